from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("cakupan.pdf", views.coverage_pdf, name="coverage-pdf"),
    path("dokumen/", views.document_list, name="document-list"),
    path("dokumen/<uuid:pk>/", views.document, name="document"),
    path("dokumen/<uuid:pk>/unduh/", views.document_download, name="document-download"),
]
