from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from psm_portal import offline, views

# A database that cannot be reached answers a 503 page in Bahasa Indonesia (psm_portal/errors.py).
handler500 = "psm_portal.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("sw.js", offline.service_worker, name="service-worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("masuk/", views.Login.as_view(), name="login"),
    path("keluar/", offline.clears_device(auth_views.LogoutView.as_view()), name="logout"),
    path("akun/sandi/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "akun/sandi/selesai/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("bahasa/", login_not_required(set_language), name="set_language"),
    path("privasi/", views.privacy_notice, name="privacy"),
    path("registri/", include("registry.urls")),
    path("pelatihan/", include("training.urls")),
    path("kasus/", include("assessments.urls")),
    path("laporan/", include("reports.urls")),
    path("admin/", admin.site.urls),
]

# No MEDIA_URL route, not even with DEBUG on (the demo): every stored file (photos of people,
# SK scans, exports with NIKs) is served by a view that checks who asks, and a plain route
# served them to anyone who had the path.
