# Linli — the two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 5000
# make bench DB=postgres measures on a throwaway PostgreSQL cluster; BENCH_ARGS adds options.
DB ?= sqlite
BENCH_ARGS ?=
RUNS ?= 1
# Test processes: one per core (pytest-xdist); the HTTP rush keeps to one of them.
WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup
# Extra pytest arguments, e.g. make test TEST_ARGS='-m "not e2e"' or TEST_ARGS=tests/services
TEST_ARGS ?=

.PHONY: help install db run serve test test-pg race tools browser nginx translations screenshots bench clean

help:
	@echo "make run        create the virtualenv, migrate and seed the SQLite database, serve http://$(HOST):$(PORT)"
	@echo "make serve      migrate the database and serve it with gunicorn, the production server"
	@echo "make test       run the whole test suite on SQLite (installs Chromium for the browser tests if missing)"
	@echo "make test-pg    run the whole test suite on a throwaway PostgreSQL cluster"
	@echo "make race RUNS=5  the rush over HTTP (gunicorn, 4 workers) RUNS times on SQLite, then on PostgreSQL"
	@echo "make translations  extract, update and compile the translation catalogs"
	@echo "make bench      gunicorn + wrk against a hello-world, demo and scale data (writes docs/PERFORMANCE.md);"
	@echo "                make bench DB=postgres for PostgreSQL"

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

db: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

# A developer's server on plain http://127.0.0.1: cookies without Secure on purpose.
run: db
	@$(FLASK) notifications status
	LINLI_PLAIN_HTTP=1 $(FLASK) run --host $(HOST) --port $(PORT)

# The production server on the same database: migrations, then gunicorn (gunicorn.conf.py;
# WEB_CONCURRENCY workers, default 2 × cores + 1). No demo data is added.
serve: install
	$(FLASK) db upgrade
	LINLI_BIND=$(HOST):$(PORT) exec $(BIN)/gunicorn -c gunicorn.conf.py

browser:
	scripts/ensure-chromium

nginx:
	scripts/ensure-nginx

tools: browser nginx

test: install tools
	$(PYTEST) $(TEST_ARGS)

test-pg: install tools
	scripts/with-postgres $(PYTEST) $(TEST_ARGS)

# The Wednesday-morning rush over HTTP (tests/load): gunicorn with 4 workers, RUNS times on
# SQLite, then RUNS times on a throwaway PostgreSQL cluster.
race: install
	for run in $$(seq $(RUNS)); do echo "race $$run/$(RUNS) on SQLite"; \
		$(BIN)/python -m pytest -q tests/load || exit 1; done
	scripts/with-postgres sh -c 'for run in $$(seq $(RUNS)); do echo "race $$run/$(RUNS) on PostgreSQL"; \
		$(BIN)/python -m pytest -q tests/load || exit 1; done'

translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output \
		--ignore-dirs=".* ._ tests bench scripts migrations instance artifacts" -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-wrap --ignore-obsolete
	$(BIN)/pybabel compile -d translations --statistics

screenshots: install browser
	$(BIN)/python scripts/screenshots.py http://$(HOST):$(PORT) artifacts/screens

bench: install
	scripts/ensure-wrk
ifeq ($(DB),postgres)
	scripts/with-postgres sh -c '$(BIN)/python bench/run.py --database-url "$$TEST_DATABASE_URL" --write-doc $(BENCH_ARGS)'
else
	$(BIN)/python bench/run.py --write-doc $(BENCH_ARGS)
endif

clean:
	rm -rf $(VENV) .pytest_cache artifacts
