import os

from django.core.asgi import get_asgi_application

from psm_portal import web_bounds

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psm_portal.settings")
web_bounds.apply()
application = get_asgi_application()
