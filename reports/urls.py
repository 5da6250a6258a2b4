from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("cakupan.pdf", views.coverage_pdf, name="coverage-pdf"),
]
