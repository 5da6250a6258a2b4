"""Rate limits by URL name, so app views need no edits: ``PSM_RATE_LIMITS`` maps a URL name
(``"registry:psm-export"``) to ``(count, seconds)`` or ``(count, seconds, methods)``; names in
``PSM_RATELIMIT_SHARED`` count on another name's counter (the admin's login on the portal's).

Why: exports and PDFs cost seconds of CPU each, and the public verification pages can be
scraped; django-axes already locks a username after repeated failed logins, and the login limit
here also stops one address from trying many usernames.

A fixed window per (URL name, who): the signed-in user, or the client's address for anonymous
requests (behind ``AXES_PROXY_COUNT`` proxies, read from ``X-Forwarded-For`` the same way axes
does). Counters live in Django's default cache: Redis when ``REDIS_URL`` is set, which every
portal instance shares; otherwise each process counts for itself (see README, "Scaling out").
If the cache cannot be reached, requests are let through and a warning is logged: a Redis outage
must not stop the office from working.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render

logger = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address; with N trusted proxies in front, the Nth address from the right of
    ``X-Forwarded-For`` (the one our own outermost proxy saw)."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if proxies:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _who(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return f"a{client_address(request)}"


def hit(name: str, who: str, count: int, seconds: int, now: float | None = None):
    """Count one request; returns (allowed, seconds until the window ends)."""
    now = time.time() if now is None else now
    window = int(now // seconds)
    retry_after = max(1, int(seconds - now % seconds))
    key = f"ratelimit:{name}:{who}:{window}"
    cache = caches[settings.PSM_RATELIMIT_CACHE]
    cache.add(key, 0, timeout=seconds + 1)
    try:
        used = cache.incr(key)
    except ValueError:  # the window's key expired between add() and incr()
        cache.set(key, 1, timeout=seconds + 1)
        used = 1
    return used <= count, retry_after


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.PSM_RATELIMIT_ENABLED:
            return None
        match = request.resolver_match
        rule = settings.PSM_RATE_LIMITS.get(match.view_name) if match else None
        if rule is None:
            return None
        count, seconds, *methods = rule
        if methods and request.method not in methods[0]:
            return None
        try:
            # Doors to the same thing share one counter (the admin's login counts as the portal's).
            counter = settings.PSM_RATELIMIT_SHARED.get(match.view_name, match.view_name)
            allowed, retry_after = hit(counter, _who(request), count, seconds)
        except Exception:  # the cache is down: let the request through, loudly
            logger.warning("rate limit cache unavailable for %s", match.view_name, exc_info=True)
            return None
        if allowed:
            return None
        logger.warning("rate limit reached: %s by %s", match.view_name, _who(request))
        response = render(
            request,
            "429.html",
            {"retry_minutes": max(1, round(retry_after / 60)), "retry_seconds": retry_after},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response


def axes_username(request, credentials=None) -> str | None:
    """The username django-axes records for a failed login, cut to its column's 255 characters.

    Django's login form does not enforce the username's length before authenticating, so a
    100 kB "username" reached axes' ``varchar(255)`` and the login page answered 500."""
    field = settings.AXES_USERNAME_FORM_FIELD
    data = credentials if credentials else getattr(request, "POST", {})
    username = data.get(field) if data else None
    return username[:255] if isinstance(username, str) else username
