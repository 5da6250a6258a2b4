import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psm_portal.settings")
# Web processes only (gunicorn loads this module before the settings; manage.py, runserver
# included, and the task worker read the settings without these): with threads, gunicorn no
# longer stops a request that hangs, so PostgreSQL ends a statement after 30 s (what gunicorn
# allowed a whole request with sync workers), a wait for another session's lock after 10 s (a
# page's own locks are held for milliseconds), and a transaction left idle for 10 minutes (a CSV
# download reads its rows in one). The environment may say otherwise, 0 for no bound.
os.environ.setdefault("DB_STATEMENT_TIMEOUT_S", "30")
os.environ.setdefault("DB_LOCK_TIMEOUT_S", "10")
os.environ.setdefault("DB_IDLE_IN_TRANSACTION_TIMEOUT_S", "600")
application = get_wsgi_application()
