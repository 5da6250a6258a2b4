from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from assessments.access import uses_kecamatan_level
from assessments.selectors import returned_count
from psm_portal import passwords
from psm_portal.models import Role
from psm_portal.office import current_office
from psm_portal.offline import DEVICE_COOKIE, DEVICE_COOKIE_AGE, DEVICE_COOKIE_SALT, offline_page


@require_GET
def home(request):
    """Each role lands where its daily work is: a PSM on their own profile (on their cases while
    the office has returned one to them), a kecamatan verifier
    on the cases waiting for them, a supervisor on the dashboard, office staff on the registry."""
    user = request.user
    if user.role == Role.PSM and user.psm_id:
        # A case the office returned needs them before anything else: their list, where it
        # stands first, and says so (their profile said nothing of it).
        returned = returned_count(user)
        if returned:
            messages.warning(
                request,
                ngettext(
                    "%(n)d kasus dikembalikan dinas untuk diperbaiki: ada di atas daftar ini.",
                    "%(n)d kasus dikembalikan dinas untuk diperbaiki: ada di atas daftar ini.",
                    returned,
                )
                % {"n": returned},
            )
            return redirect("assessments:case-list")
        return redirect("registry:psm-detail", pk=user.psm_id)
    if user.role == Role.VERIFIKATOR:
        # the queue is theirs only where the office has the kecamatan step
        return redirect("assessments:queue" if uses_kecamatan_level() else "assessments:case-list")
    if user.role == Role.SUPERVISOR:
        return redirect("reports:dashboard")
    return redirect("registry:psm-list")


@login_not_required
@require_GET
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
@offline_page
def privacy_notice(request):
    """UU 27/2022 Pasal 21: what is collected, why, on what basis, for how long, who sees it, and
    the rights of the people it is about, with whom to ask. Public: it is read before consent."""
    return render(
        request,
        "privacy.html",
        {
            "office": current_office(),
            "document_days": settings.PSM_DOCUMENT_KEEP_DAYS,
        },
    )


@login_not_required
def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


class LoginForm(AuthenticationForm):
    """Django's, with its refusal said once: its Indonesian catalogue puts the field's name in a
    sentence that names it already ("Masukkan nama pengguna nama pengguna dan sandi...")."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Nama pengguna atau sandi salah. Perhatikan huruf besar dan kecil pada keduanya."
        ),
    }


class Login(auth_views.LoginView):
    """Django's, which also clears what an account turned off left on a device. An account
    deactivated since it signed in on a browser (a PSM stopped, a phone reported lost) signs
    no one in, but its phone still holds the pages, drafts and outbox kept for offline use: the
    cases of the people that PSM visited. The login page, where every page sends it (the
    outbox's sends too), has the browser wipe what this site stored, as logging out does
    (``offline.clears_device``), and says so, until someone signs in on it again.

    The browser is recognised by a signed cookie naming who signed in on it last (set at each
    login, kept for a year), or by a session still holding their id. A password changed
    elsewhere, or a session that merely ran out, wipes nothing: the PSM signs in again and
    finds their drafts."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    account_ended = False

    def get(self, request, *args, **kwargs):
        self.account_ended = self._account_ended(request)
        response = super().get(request, *args, **kwargs)
        if self.account_ended:
            response["Clear-Site-Data"] = '"storage"'
        return response

    @staticmethod
    def _account_ended(request) -> bool:
        if request.user.is_authenticated:
            return False
        # Django flushes a session whose password changed; one still holding a user id that
        # signs no one in is an account deactivated (or deleted) since.
        if SESSION_KEY in request.session:
            return True
        last = request.get_signed_cookie(
            DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT, max_age=DEVICE_COOKIE_AGE
        )
        if not (last and last.isascii() and last.isdigit()):
            return False
        return not get_user_model().objects.filter(pk=int(last), is_active=True).exists()

    def form_valid(self, form):
        response = super().form_valid(form)
        response.set_signed_cookie(
            DEVICE_COOKIE,
            str(form.get_user().pk),
            salt=DEVICE_COOKIE_SALT,
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
            samesite="Lax",
        )
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(account_ended=self.account_ended, **kwargs)


class PasswordChange(auth_views.PasswordChangeView):
    """Django's, with the new password and the session that keeps its user signed in written
    together: apart, a failure between them changed the password under a page saying nothing
    was saved, and the old one, typed again, was refused."""

    form_class = passwords.PasswordChangeForm

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            self.request.session.save()
        return response
