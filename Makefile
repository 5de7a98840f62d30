# Returns portal — `make help` lists every command.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
HOST ?= 127.0.0.1
STRIPE_PORT ?= 8420
# Links in mails (and the QR codes) point where `make run` serves, unless PUBLIC_URL says
# (give it when sharing on all interfaces: the machine's name, not the wildcard address).
PUBLIC_URL ?= http://$(if $(filter 127.0.0.1,$(HOST)),localhost,$(HOST)):$(PORT)
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/returns_portal_test
export FLASK_APP := returns_portal

.DEFAULT_GOAL := help
.PHONY: help install lock system-deps run test test-sqlite test-postgres lint imports format typecheck migrate upgrade worker seed bench clean translations messages

help: ## List every command
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the portal with its dev tools (pinned, hashed)

lock: $(STAMP) ## Re-pin every dependency, with hashes, into requirements.lock (after editing pyproject.toml)
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --extra dev --extra production --extra demo \
	  -o requirements.lock pyproject.toml

system-deps: ## Install the Debian packages the tests need (chromium, CJK fonts)
	@if [ -x /usr/bin/chromium ] && [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then \
	  exit 0; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing chromium and fonts-wqy-zenhei (apt-get)"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei > /dev/null; \
	else \
	  echo "The tests need Chromium (/usr/bin/chromium) and the WenQuanYi Zen Hei font." >&2; \
	  echo "Install with: sudo apt-get install chromium fonts-wqy-zenhei" >&2; \
	  exit 1; \
	fi

translations: $(STAMP) ## Compile the message catalogues (.po → .mo)
	@$(BIN)/pybabel compile -d returns_portal/translations 2>&1 | { grep -v '^compiling catalog' || true; }; \
	  exit $${PIPESTATUS[0]}

messages: $(STAMP) ## Extract translatable text and update every catalogue
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _l -k lazy_gettext --no-location --sort-output \
	  --project returns-portal --copyright-holder "Returns portal contributors" \
	  -o returns_portal/translations/messages.pot . > /dev/null
	$(BIN)/pybabel update -i returns_portal/translations/messages.pot -d returns_portal/translations --no-fuzzy-matching

run: translations ## Run the portal on SQLite with a local Stripe server and demo data (HOST=0.0.0.0 to share it)
	@mkdir -p instance; \
	export STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) PUBLIC_URL=$(PUBLIC_URL); \
	if ! (echo > /dev/tcp/127.0.0.1/$(STRIPE_PORT)) 2>/dev/null; then \
	  echo "Starting the local Stripe server on port $(STRIPE_PORT) (log: instance/localstripe.log)"; \
	  $(BIN)/localstripe --port $(STRIPE_PORT) --from-scratch > instance/localstripe.log 2>&1 & stripe_pid=$$!; \
	  trap 'kill $$stripe_pid 2>/dev/null' EXIT INT TERM; \
	  for i in $$(seq 100); do (echo > /dev/tcp/127.0.0.1/$(STRIPE_PORT)) 2>/dev/null && break; sleep 0.2; done; \
	fi; \
	$(BIN)/flask db upgrade && $(BIN)/flask demo seed && \
	echo "Portal: http://$(HOST):$(PORT)/   API: http://$(HOST):$(PORT)/api/v1/openapi.json" && \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: $(STAMP) ## Run the whole suite on SQLite, then on PostgreSQL (PG_TEST_URL)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: translations system-deps ## Run the suite on SQLite only
	@echo "== test suite on SQLite =="
	$(BIN)/python -m pytest -q

test-postgres: translations system-deps ## Run the suite on PostgreSQL only (fails if it is not reachable)
	@echo "== test suite on PostgreSQL ($(PG_TEST_URL)) =="
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q

lint: $(STAMP) ## ruff (lint + format check), mypy and the import contracts (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

imports: $(STAMP) ## Show which parts of the portal import which, and any import cycle
	@$(BIN)/python -m tests.architecture

format: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy only
	$(BIN)/mypy

upgrade: $(STAMP) ## Apply database migrations (DATABASE_URL or the SQLite default)
	$(BIN)/flask db upgrade

migrate: $(STAMP) ## Autogenerate a migration after changing models: make migrate m="what changed"
	$(BIN)/flask db migrate -m "$(m)"

worker: $(STAMP) ## Run a Celery worker with beat for background jobs (needs REDIS_URL)
	@test -n "$$REDIS_URL$$JOBS_BROKER_URL" || { echo "Set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379/0 make worker" >&2; exit 1; }
	$(BIN)/celery -A returns_portal.worker worker --beat --loglevel INFO

seed: $(STAMP) ## Create or refresh the demo store (needs the Stripe server: see `make run`)
	$(BIN)/flask demo seed

bench: $(STAMP) ## Run the benchmarks under bench/ and print their figures
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean: ## Remove caches (keeps .venv and instance/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
