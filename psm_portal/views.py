from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from psm_portal.models import Role


@require_GET
def home(request):
    """PSM land on their own profile; office roles on the registry."""
    if request.user.role == Role.PSM and request.user.psm_id:
        return redirect("registry:psm-detail", pk=request.user.psm_id)
    return redirect("registry:psm-list")


@login_not_required
@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
