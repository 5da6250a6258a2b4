from django.urls import path, re_path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("tambah/", views.event_create, name="event-create"),
    path("<int:pk>/", views.event_detail, name="event-detail"),
    path("<int:pk>/ubah/", views.event_update, name="event-update"),
    path("<int:pk>/status/", views.event_status, name="event-status"),
    path("<int:pk>/kuota/", views.event_quota, name="event-quota"),
    path("<int:pk>/nominasi/", views.event_nominate, name="event-nominate"),
    path("<int:pk>/daftar/", views.enrol_self, name="enrol-self"),
    path("<int:pk>/nilai/", views.scores, name="scores"),
    path("<int:pk>/selesai/", views.event_complete, name="event-complete"),
    path("<int:pk>/hari/<int:day_pk>/", views.roster, name="roster"),
    path(
        "<int:pk>/hari/<int:day_pk>/daftar-hadir.pdf",
        views.attendance_sheet_pdf,
        name="attendance-sheet",
    ),
    path("<int:pk>/sertifikat/", views.certificates_bundle, name="certificates-bundle"),
    path("peserta/<int:pk>/batal/", views.enrolment_cancel, name="enrolment-cancel"),
    path("peserta/<int:pk>/sertifikat.pdf", views.certificate_pdf, name="certificate"),
    path(
        "peserta/<int:pk>/cabut-sertifikat/",
        views.certificate_revoke,
        name="certificate-revoke",
    ),
    path("sertifikat/<slug:kode>/", views.certificate_verify, name="certificate-verify"),
    path("presensi/<slug:token>/", views.checkin, name="checkin"),
    path("riwayat/<int:psm_pk>/", views.psm_history, name="psm-history"),
    re_path(
        r"^(?P<pk>[0-9]+)/peserta\.(?P<fmt>pdf|xlsx)$", views.participants, name="participants"
    ),
    path("rekap/", views.recap, name="recap"),
    path("rekap.xlsx", views.recap, {"fmt": "xlsx"}, name="recap-xlsx"),
]
