from django.urls import path, re_path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("peringkat/", views.ranking, name="ranking"),
    path("tidak-aktif/", views.inactive, name="inactive"),
    path(
        "indikator/<int:psm_pk>/<int:tahun>/<slug:indikator>/",
        views.indicator_rows,
        name="indicator-rows",
    ),
    path("evaluasi/<int:psm_pk>/<int:tahun>/", views.evaluation, name="evaluation"),
    path("rapor/<int:psm_pk>/<int:tahun>.pdf", views.rapor_pdf, name="rapor"),
    path("rekap-kinerja/", views.recap_request, name="recap-request"),
    path("rekap-kinerja.xlsx", views.recap_xlsx, name="recap-xlsx"),
    re_path(r"^rekap-ppks\.(?P<fmt>pdf|xlsx)$", views.ppks_recap, name="ppks-recap"),
    path("rekap-bimtek.pdf", views.training_recap_pdf, name="training-recap"),
    path("cakupan.pdf", views.coverage_pdf, name="coverage-pdf"),
    path("dokumen/", views.document_list, name="document-list"),
    path("dokumen/<uuid:pk>/", views.document, name="document"),
    path("dokumen/<uuid:pk>/unduh/", views.document_download, name="document-download"),
]
