import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

from psm_portal.wsgi import application  # noqa: E402,F401  the web processes' bounds, as deployed
