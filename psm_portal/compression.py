"""Pages compressed for the phones that fetch them over a weak signal.

A PSM's case form is about 60 KB of HTML (8.4 KB gzipped); at the 40 KB/s a village's signal
gives, that is a second and a half before the page can even start to draw (a walk measured
6-12 s for a cold page, its static files included), and gzip makes it a seventh of that.
Static files are compressed by WhiteNoise already; this is for what the views write.

Only whole (not streamed) text answers: HTML pages, the outbox's JSON and the service worker.
A streamed CSV stays as it is, so that a download cut by the statement bound still ends without
its last chunk (``web_bounds``), and PDFs, spreadsheets and images are compressed already.

BREACH (reading a secret from compressed lengths across many requests that reflect the
attacker's input): the CSRF token is masked anew on every request, Django's GZipMiddleware pads
each answer with up to 100 random bytes (more requests, not none), and the session cookie is
SameSite=Lax, so another site cannot make a signed-in browser send the requests it would need.
"""

from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = ("text/html", "application/json", "text/javascript")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if response.streaming or content_type not in COMPRESSED_TYPES:
            return response
        return super().process_response(request, response)
