from django.urls import path, re_path

from registry import views, views_activity, views_import

app_name = "registry"
urlpatterns = [
    path("psm/", views.psm_list, name="psm-list"),
    re_path(r"^psm/ekspor\.(?P<fmt>csv|xlsx)$", views.psm_export, name="psm-export"),
    path("psm/tambah/", views.psm_create, name="psm-create"),
    path("psm/<int:pk>/", views.psm_detail, name="psm-detail"),
    path("psm/<int:pk>/ubah/", views.psm_update, name="psm-update"),
    path("psm/<int:pk>/status/", views.psm_status_change, name="psm-status"),
    path("psm/<int:pk>/<slug:kind>/tambah/", views.psm_record_add, name="psm-record-add"),
    path(
        "psm/<int:pk>/<slug:kind>/<int:record_pk>/ubah/",
        views.psm_record_edit,
        name="psm-record-edit",
    ),
    path(
        "psm/<int:pk>/<slug:kind>/<int:record_pk>/hapus/",
        views.psm_record_remove,
        name="psm-record-remove",
    ),
    path("psm/<int:pk>/kartu.pdf", views.psm_card, name="psm-card"),
    path("psm/<int:pk>/foto/", views.psm_photo, name="psm-photo"),
    path("psm/<int:pk>/sk/<int:sk_pk>/dokumen.pdf", views.sk_document, name="sk-document"),
    path("cakupan/", views.coverage, name="coverage"),
    path("verifikasi/<slug:kode>/", views.psm_verify, name="psm-verify"),
    path("kegiatan/", views_activity.activity_list, name="activity-list"),
    path("kegiatan/catat/", views_activity.activity_create, name="activity-create"),
    path("kegiatan/<int:pk>/", views_activity.activity_detail, name="activity-detail"),
    path("kegiatan/<int:pk>/verifikasi/", views_activity.activity_verify, name="activity-verify"),
    path(
        "kegiatan/<int:pk>/foto/<int:photo_pk>/",
        views_activity.activity_photo,
        name="activity-photo",
    ),
    path("impor/", views_import.import_upload, name="import-upload"),
    path("impor/templat.xlsx", views_import.import_template, name="import-template"),
    path("impor/<int:pk>/", views_import.import_preview, name="import-preview"),
    path("impor/<int:pk>/simpan/", views_import.import_commit, name="import-commit"),
    path("impor/<int:pk>/batal/", views_import.import_cancel, name="import-cancel"),
]
