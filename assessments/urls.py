from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("baru/", views.case_create, name="case-create"),
    path("antrean/", views.review_queue, name="queue"),
    path("ekspor/", views.case_export, name="case-export"),  # GET: CSV; POST: XLSX
    path("sinkron/", views.device_sync, name="device-sync"),
    path("sinkron-perangkat/", views.device_sync_list, name="device-sync-list"),
    path("<int:pk>/", views.case_detail, name="case-detail"),
    path("<int:pk>/ubah/", views.case_update, name="case-update"),
    path("<int:pk>/tinjau/", views.case_review, name="case-review"),
    path("<int:pk>/kunjungan/", views.case_visit, name="case-visit"),
    path("<int:pk>/foto/<int:photo_pk>/", views.case_photo, name="case-photo"),
    path("<int:pk>/rujuk/", views.referral_create, name="referral-create"),
    path("rujukan/<int:pk>/", views.referral_update, name="referral-update"),
    path("rujukan/<int:pk>/bukti.pdf", views.referral_proof, name="referral-proof"),
    path("rujukan/macet/", views.referrals_stalled, name="referrals-stalled"),
    path("subjek/<int:pk>/", views.subject_detail, name="subject-detail"),
    path("subjek/<int:pk>/koreksi/", views.subject_correct, name="subject-correct"),
    path("subjek/<int:pk>/keluarga/tambah/", views.family_member_edit, name="family-add"),
    path(
        "subjek/<int:pk>/keluarga/<int:member_pk>/ubah/",
        views.family_member_edit,
        name="family-update",
    ),
    path(
        "subjek/<int:pk>/keluarga/<int:member_pk>/hapus/",
        views.family_member_delete,
        name="family-delete",
    ),
    path("subjek/<int:pk>/gabung/", views.subject_merge, name="subject-merge"),
    path("subjek/<int:pk>/salinan-data/", views.subject_data_copy, name="subject-data-copy"),
]
