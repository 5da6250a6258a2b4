from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path

from registry.models import Wilayah


@login_not_required
def baseline(request):
    """The yardstick: a bare Django view doing one query, through the same middleware."""
    exists = Wilayah.objects.filter(kode="33").exists()
    return HttpResponse("ok" if exists else "kosong", content_type="text/plain")


def signed_in(request):
    """What every signed-in page pays before its own work: session, user and scope."""
    return HttpResponse(",".join(request.user.scope_codes[:1]), content_type="text/plain")


def signed_in_layout(request):
    """The same, with the base layout (menu, footer) and no content."""
    return render(request, "base.html", {})


urlpatterns = [
    path("bench/baseline/", baseline),
    path("bench/signed-in/", signed_in),
    path("bench/signed-in/layout/", signed_in_layout),
    path("", include("psm_portal.urls")),
]
