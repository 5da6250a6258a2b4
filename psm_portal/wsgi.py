import os

from django.core.wsgi import get_wsgi_application

from psm_portal import web_bounds

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psm_portal.settings")
web_bounds.apply()
application = get_wsgi_application()
