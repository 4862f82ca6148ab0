# The README's commands. Each installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
# The address browsers use: embed.js, the widget's socket, links and the demo's allowed
# origins all follow it, so `PORT=8080 make demo` gives a widget that connects.
PUBLIC_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
export PUBLIC_URL

.PHONY: demo demo-reset test lint typecheck install install-test messages system-deps clean bench

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

messages: $(VENV)/.installed
	$(PY) manage.py compile_translations

demo: install messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@$(PY) -m helpdesk.security.exposure $(HOST)
	@echo "Serving on $(PUBLIC_URL)/ (Ctrl-C to stop)"
	$(PY) -m daphne -b $(HOST) -p $(PORT) helpdesk.asgi:application

# The embedded demo only: its SQLite database and attachments go, then the demo loads again.
demo-reset:
	@if [ -n "$$DATABASE_URL" ]; then echo "demo-reset only resets the embedded SQLite demo (DATABASE_URL is set)"; exit 1; fi
	rm -f $(or $(HELPDESK_DATA_DIR),var)/helpdesk.sqlite3 $(or $(HELPDESK_DATA_DIR),var)/helpdesk.sqlite3-wal $(or $(HELPDESK_DATA_DIR),var)/helpdesk.sqlite3-shm
	rm -rf $(or $(HELPDESK_DATA_DIR),var)/media
	$(MAKE) demo

system-deps:
	@scripts/ensure-system-deps

test: install-test messages system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# Every benchmark in bench/ at sizes that fit 10 minutes on 2 cores (FULL=1: the full sizes),
# then one table of goals. Needs DATABASE_URL (a database of its own: emptied) and REDIS_URL.
bench: install-test
	$(PY) bench/run.py $(if $(FULL),--full,)

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install-test
	$(PY) -m mypy helpdesk channels_in orders_link knowledge_base chatbot

clean:
	rm -rf $(VENV) var
