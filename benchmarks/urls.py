from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from registry.models import Wilayah


@login_not_required
def baseline(request):
    """The yardstick: a bare Django view doing one query, through the same middleware."""
    exists = Wilayah.objects.filter(kode="33").exists()
    return HttpResponse("ok" if exists else "kosong", content_type="text/plain")


urlpatterns = [
    path("bench/baseline/", baseline),
    path("", include("psm_portal.urls")),
]
