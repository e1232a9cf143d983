# Linli — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help install db run test test-pg browser translations screenshots bench clean

help:
	@echo "make run        create the virtualenv, migrate and seed the SQLite database, serve http://$(HOST):$(PORT)"
	@echo "make test       run the whole test suite on SQLite (installs Chromium for the browser tests if missing)"
	@echo "make test-pg    run the whole test suite on a throwaway PostgreSQL cluster"
	@echo "make translations  extract, update and compile the translation catalogs"
	@echo "make bench      measure response times against /healthz (writes docs/PERFORMANCE.md)"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

db: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

run: db
	$(FLASK) run --host $(HOST) --port $(PORT)

browser:
	scripts/ensure-chromium

test: install browser
	$(BIN)/python -m pytest

test-pg: install browser
	scripts/with-postgres $(BIN)/python -m pytest

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--ignore-dirs=".* ._ tests bench scripts migrations instance artifacts" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

screenshots: install browser
	$(BIN)/python scripts/screenshots.py http://$(HOST):$(PORT) artifacts/screens

bench: install
	$(BIN)/python bench/run.py --write-doc

clean:
	rm -rf $(VENV) .pytest_cache artifacts
