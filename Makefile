# Portal PSM: the two commands of the README, plus a few helpers. Thin on purpose.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run worker test lint format messages clean bench reliability bench-reports

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12+ diperlukan (Django 6.1); lihat .python-version")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Compiles the translation catalogues; without gettext's msgfmt the portal still runs in Indonesian.
messages: $(VENV)/.installed
	@if command -v msgfmt >/dev/null; then DEBUG=true $(PY) manage.py compilemessages --ignore=.venv -v0; \
	else echo "msgfmt (gettext) tidak ada: katalog terjemahan tidak dikompilasi"; fi

# Starts the portal on SQLite (or DATABASE_URL) with demo data, and prints the URL and logins.
# The background-task worker (certificate bundles, big reports) runs beside the web server and
# stops with it.
run: export DEBUG ?= true
# QR codes and printed verification links point at the address the demo answers on.
run: export PSM_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: messages
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Portal PSM berjalan di http://$(HOST):$(PORT)/  (hentikan dengan Ctrl+C)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --no-reload -v0 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The background-task worker alone (production runs it as its own service; see README).
worker:
	$(PY) manage.py db_worker --no-reload

test: messages
	$(PY) -m pytest $(PYTEST_ARGS)

# The reliability checks in full (README "Reliability"): 16 PSM for 60 s, database crashes,
# two instances, every hostile payload in every field. `make test` runs them reduced.
reliability: messages
	PSM_RELIABILITY_FULL=1 $(PY) -m pytest tests/reliability -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var staticfiles .pytest_cache

# Performance figures on PostgreSQL (see README "Benchmarks"): make bench PRESET=nasional
PRESET ?= kabkota
# The yearly recap and a rapor kinerja against a plain WeasyPrint table (see README "Reports").
bench-reports: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=benchmarks.settings $(PY) -m benchmarks.reports

bench: $(VENV)/.installed
	DJANGO_SETTINGS_MODULE=benchmarks.settings $(PY) manage.py migrate --no-input -v0
	$(PY) -m benchmarks.run --preset $(PRESET)
