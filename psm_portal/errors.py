"""The server-error page. When the database cannot be reached (restarting, a dropped link) the
visitor gets a 503 page in Bahasa Indonesia that says so and to try again shortly, instead of a
generic error; when it ended a statement that ran past the web processes' bound
(``DB_STATEMENT_TIMEOUT_S``), the same page says the request took too long and to narrow it; when
it ended a wait for another session's lock (``DB_LOCK_TIMEOUT_S``), that the data is busy and to
try again shortly; every other unexpected error gets the 500 page. Both pages are rendered without a
request context, so they never touch the database themselves."""

import sys

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template import loader

from psm_portal.text import BIDI_CONTROLS

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """``handler500``: Django calls it inside the ``except`` block, so the error is at hand."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        reason = _why_unavailable(error)
        response = HttpResponse(
            loader.get_template("503.html").render({"alasan": reason}),
            status=503,
            content_type="text/html",
        )
        if reason != "terlalu_lama":  # the same request again would take as long
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = HttpResponse(
            loader.get_template("500.html").render(), status=500, content_type="text/html"
        )
    response["Cache-Control"] = "no-store"
    return response


def _why_unavailable(error) -> str:
    """``terlalu_lama``: PostgreSQL's query_canceled (57014), the statement timeout or an
    administrator's ``pg_cancel_backend``: the database is there, the request was too heavy.
    ``terkunci``: lock_not_available (55P03), the lock timeout: another session holds the rows.
    Otherwise empty: the database could not be reached."""
    return {"57014": "terlalu_lama", "55P03": "terkunci"}.get(
        getattr(error.__cause__, "sqlstate", None), ""
    )


def _holds_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class RejectNulMiddleware:
    """A NUL byte in a query string is never a real search; PostgreSQL cannot even compare text
    with one, so any filter that passed it on answered 500. Such requests get a plain 400. So do
    form posts holding one (a select of regions by code looked the value up as it came: 500 in
    the admin) and requests with one in a header (the login keeps the User-Agent of each
    attempt: 500; gunicorn refuses such a header, a proxy in front of it may not)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # request.POST: the form fields of a form post (the CSRF check reads them next anyway);
        # empty for a JSON body, which stays unread for its view
        posted = request.method == "POST" and _holds_nul(request.POST)
        if (
            posted
            or "\x00" in request.META.get("QUERY_STRING", "")
            or _holds_nul(request.GET)
            or any("\x00" in v for k, v in request.META.items() if k.startswith("HTTP_"))
        ):
            return HttpResponseBadRequest(  # before the language is known: both, as 400.html
                "Permintaan tidak valid: alamat atau isian berisi karakter yang tidak diizinkan.\n"
                "Invalid request: the address or a field holds a character that is not allowed.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _without_bidi_controls(data):
    """``data`` (a QueryDict) with every bidi control removed, or None when it holds none. A
    password is left as typed, as Django's forms leave it: one set before this, or elsewhere,
    would no longer match."""
    texts = [(key, values) for key, values in data.lists() if "password" not in key]
    if not any(v.translate(BIDI_CONTROLS) != v for _key, values in texts for v in values):
        return None
    cleaned = data.copy()
    for key, values in texts:
        cleaned.setlist(key, [v.translate(BIDI_CONTROLS) for v in values])
    cleaned._mutable = False
    return cleaned


class StripBidiControlsMiddleware:
    """Every submitted field and query parameter without bidi controls, whatever form or view it
    goes to (the case form, an import's cells, a search): stored, they reordered the pages that
    show them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (cleaned := _without_bidi_controls(request.GET)) is not None:
            request.GET = cleaned
        if (
            request.method == "POST"
            and (cleaned := _without_bidi_controls(request.POST)) is not None
        ):
            request.POST = cleaned
        return self.get_response(request)
