"""Offline-capable forms, shared by every app: the service worker and the web app manifest, the
once-only processing of a submission sent from a phone's outbox, and the marks that tell the
service worker which pages a PSM may open without a connection.

How it fits together (static/js/offline.js is the other half):

* A form marked ``data-offline="<kind>"`` is saved on the device (IndexedDB) as it is typed.
  Submitting it puts it in the outbox, which POSTs the same fields to the form's own URL with
  the header ``X-Offline-Kiriman: <uuid chosen on the device>``.
* A view wrapped in :func:`offline_capable` then answers JSON instead of a redirect or a page,
  and processes each identifier once: a repeat gets the stored answer (:class:`KirimanOffline`).
* GET answers of such views carry ``X-Portal-Offline: simpan``: the service worker keeps only
  pages with that mark (never POST answers), and everything it keeps is wiped at logout.
"""

import datetime as dt
import hashlib
import json
import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from psm_portal.images import files_removed_on_failure
from psm_portal.models import KirimanOffline

SUBMISSION_HEADER = "X-Offline-Kiriman"
BACKGROUND_HEADER = "X-Offline-Latar"  # sent by the outbox when no page waits for the answer
CACHE_MARK_HEADER = "X-Portal-Offline"

# What the phone needs to open the PSM pages without a connection (the pages themselves are
# cached as the PSM visits them, or warmed by the page after login).
SHELL_FILES = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/portal.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/portal.js",
    "js/offline.js",
    "img/psm-192.png",
    "img/psm-512.png",
]


def submission_key(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.headers.get(SUBMISSION_HEADER, ""))
    except ValueError:
        return None


def is_offline_submission(request) -> bool:
    """A POST sent by the outbox (it wants JSON back, not a page)."""
    return request.method == "POST" and SUBMISSION_HEADER in request.headers


def mark_for_offline(response):
    """Let the service worker keep this page; browsers themselves must not store it."""
    if response.status_code == 200:
        response[CACHE_MARK_HEADER] = "simpan"
        patch_cache_control(response, private=True, no_store=True)
    return response


def offline_page(view):
    """For pages a PSM opens in the field (their case list): cached by the service worker."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        return mark_for_offline(response) if request.method == "GET" else response

    return wrapped


def form_errors_json(*forms, warnings=()) -> JsonResponse:
    """A refused outbox submission (``offline_capable``): each problem of ``forms`` (None for a
    form the page did not show) with its field's label, as the form shows it. Without it the
    phone said only "Formulir perlu diperbaiki", and the form it opened marked nothing."""
    shown = [f for f in forms if f is not None]
    problems = {}
    for f in shown:
        for name, errors in f.errors.items():
            label = str(f.fields[name].label) if name in f.fields else _("Formulir")
            problems.setdefault(label, []).extend(str(e) for e in errors)
    return JsonResponse(
        {
            "status": "perlu_diperbaiki",
            "galat": problems,
            # The fields refused, by their names in the form (a prefixed form's "s-nik"): the
            # phone marks them, and sends the photos again when they were refused.
            "isian": sorted(
                {
                    name if name == NON_FIELD_ERRORS else f.add_prefix(name)
                    for f in shown
                    for name in f.errors
                }
            ),
            "peringatan": [str(w) for w in warnings],
        },
        status=400,
    )


def offline_capable(view):
    """A form view that also takes submissions from the outbox.

    GET pages are marked for the service worker. A POST with ``X-Offline-Kiriman`` is run
    at most once per identifier and answered in JSON: ``{"status": "terkirim", "url": ...}``
    (200), ``perlu_diperbaiki`` (400, with ``galat`` per field when the view gives them),
    ``konflik`` (409, from the view) or ``ditolak`` (403/404). Any other request is the view's.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "GET":
            return mark_for_offline(view(request, *args, **kwargs))
        if not is_offline_submission(request):
            return view(request, *args, **kwargs)
        key = submission_key(request)
        if key is None:
            return JsonResponse(
                {"status": "ditolak", "pesan": [_("ID kiriman tidak valid.")]}, status=400
            )
        return submit_once(
            key=key,
            by=request.user,
            path=request.path,
            perform=lambda: _as_json(request, _answer(view, request, *args, **kwargs)),
        )

    return wrapped


def _answer(view, request, *args, **kwargs):
    """The view's response, with a refusal it raises (the subject merged away, the right taken
    back) turned into the status it stands for: Django's HTML 404 page would not read as JSON,
    and the phone would retry it for ever."""
    try:
        return view(request, *args, **kwargs)
    except Http404:
        messages.error(request, _("Data yang dituju tidak ada lagi atau di luar wilayah Anda."))
        return HttpResponse(status=404)
    except PermissionDenied:
        messages.error(request, _("Anda tidak berwenang mengirim formulir ini."))
        return HttpResponse(status=403)


class _Refused(Exception):
    def __init__(self, response):
        self.response = response


def submit_once(*, key: uuid.UUID, by, path: str, perform) -> JsonResponse:
    """Run ``perform`` (which answers a JsonResponse) once for ``key``.

    The receipt row is inserted first, in the same transaction as the work: a concurrent repeat
    waits on the unique index until the first copy commits, then reads its answer. A refusal
    (anything but 200) rolls the receipt back with the work, so a corrected copy may follow.
    """
    previous = KirimanOffline.objects.filter(kunci=key).first()
    if previous is not None:
        return _repeat(previous, by)
    try:
        # Photos the work stores go again should the receipt or the commit fail after it.
        with files_removed_on_failure(), transaction.atomic():
            receipt = KirimanOffline.objects.create(kunci=key, pengguna=by, jalur=path[:200])
            response = perform()
            if response.status_code != 200:
                raise _Refused(response)
            receipt.hasil = json.loads(response.content)
            receipt.save(update_fields=["hasil"])
    except _Refused as refused:
        return refused.response
    except IntegrityError:
        previous = KirimanOffline.objects.filter(kunci=key).first()
        if previous is None:
            raise
        return _repeat(previous, by)
    return response


def receipts_prune(*, older_than: dt.timedelta, now, dry_run: bool = False) -> int:
    """Delete receipts older than ``older_than`` (they only answer repeats of a submission a
    phone may still retry; past the drafts' expiry none can come). Returns how many."""
    old = KirimanOffline.objects.filter(created_at__lt=now - older_than)
    return old.count() if dry_run else old.delete()[0]


def _repeat(receipt: KirimanOffline, by) -> JsonResponse:
    if receipt.pengguna_id != by.pk:
        return JsonResponse(
            {"status": "ditolak", "pesan": [_("Kiriman ini milik pengguna lain.")]}, status=403
        )
    return JsonResponse({**receipt.hasil, "ulangan": True})


def _as_json(request, response) -> JsonResponse:
    """The view's answer as the outbox reads it. Flash messages go into the JSON; they stay for
    the next page only when a page is waiting for this answer (a send in the foreground).
    ``tingkat_pesan`` gives each message's level, in step with ``pesan``: a page that waited on
    a background send shows them itself, and a warning must not look like a success."""
    texts, levels = [], []
    for message in messages.get_messages(request):
        texts.append(str(message))
        levels.append(message.level_tag)
        if BACKGROUND_HEADER not in request.headers:
            messages.add_message(request, message.level, message.message, message.extra_tags)
    if isinstance(response, JsonResponse):
        data = json.loads(response.content)
        if "pesan" not in data:
            data.update(pesan=texts, tingkat_pesan=levels)
        return JsonResponse(data, status=response.status_code)
    if response.status_code in (301, 302, 303):
        return JsonResponse(
            {
                "status": "terkirim",
                "url": response["Location"],
                "pesan": texts,
                "tingkat_pesan": levels,
            }
        )
    if response.status_code in (403, 404):
        return JsonResponse({"status": "ditolak", "pesan": texts}, status=response.status_code)
    return JsonResponse(
        {
            "status": "perlu_diperbaiki",
            "pesan": texts or [_("Formulir perlu diperbaiki. Buka formulirnya untuk melihat.")],
        },
        status=400,
    )


@login_not_required
@require_GET
def service_worker(request):
    """The service worker, served from the site root so its scope covers every page. Rendered
    from a template so it names the hashed static files; its cache version is its own hash."""
    files = [static(name) for name in SHELL_FILES]
    offline_page = render_to_string("offline/no_signal.html")
    body = render_to_string(
        "offline/sw.js",
        {
            "files": json.dumps(files),
            "version": "{v}",
            "offline_page": json.dumps(offline_page),
            # as text: a number would be written "60.000" in Indonesian (60 ms to JavaScript)
            "page_timeout_ms": json.dumps(int(settings.PSM_OFFLINE_PAGE_TIMEOUT_S * 1000)),
        },
    )
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    response = HttpResponse(
        body.replace('"{v}"', json.dumps(version)), content_type="text/javascript"
    )
    response["Service-Worker-Allowed"] = "/"
    patch_cache_control(response, no_cache=True)
    return response


@login_not_required
@require_GET
def manifest(request):
    data = {
        "name": _("Portal PSM"),
        "short_name": "PSM",
        "description": _("Formulir PSM yang tetap bisa diisi tanpa sinyal."),
        "lang": "id",
        "start_url": "/kasus/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b4a8b",
        "icons": [
            {"src": static("img/psm-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/psm-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    patch_cache_control(response, max_age=3600)
    return response


# Who last signed in on this browser (``views.Login``): kept past the session (8 hours), so that
# a phone whose account was turned off days later is still recognised when it next reaches the
# server, and its copy wiped.
DEVICE_COOKIE = "psm_perangkat"
DEVICE_COOKIE_SALT = "psm_portal.views.Login"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


def clears_device(view):
    """Logout: the browser wipes what this site stored (IndexedDB drafts and outbox, cached
    pages, the service worker), even if the page's own clean-up did not run. Nobody is signed
    in on it any more: the login page has no account to tell it about later."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = view(request, *args, **kwargs)
        if request.method == "POST":
            response["Clear-Site-Data"] = '"storage"'
            response.delete_cookie(DEVICE_COOKIE, samesite="Lax")
            if was_signed_in:  # a shared phone: the next person sees it was done
                messages.success(request, _("Anda sudah keluar."))
        return response

    return wrapped
