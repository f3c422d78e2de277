# Everything a newcomer needs: `make run` serves the demo, `make test` checks everything.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The fake payment provider `make run` starts next to the server (PROVIDER_ARGS: its flags, e.g.
# "--failure-rate 0.2 --latency 0.3"; see scripts/fake_payment_provider.py --help).
PAYMENT_PROVIDER_PORT ?= 8010
PROVIDER_ARGS ?=
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

.DEFAULT_GOAL := help

.PHONY: help install migrate demo run provider relay worker lint lint-imports test bench lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP) ## create .venv and install the locked dependencies

migrate: install ## create and migrate every module's database
	$(BIN)/python manage.py migrate --verbosity 1

demo: migrate ## load the demo data (idempotent)
	$(BIN)/python manage.py load_demo_data

run: demo ## install, migrate, load demo data, start the fake payment provider and serve on $(HOST):$(PORT)
	@$(BIN)/python scripts/fake_payment_provider.py --port $(PAYMENT_PROVIDER_PORT) $(PROVIDER_ARGS) & \
	provider=$$!; trap 'kill $$provider 2>/dev/null' EXIT INT TERM; \
	PAYMENT_PROVIDER_URL=http://127.0.0.1:$(PAYMENT_PROVIDER_PORT) $(BIN)/python manage.py runserver $(HOST):$(PORT)

provider: install ## the fake payment provider alone, until Ctrl-C: make provider [ARGS="--failure-rate 0.3 --latency 0.5"]
	$(BIN)/python scripts/fake_payment_provider.py --port $(PAYMENT_PROVIDER_PORT) $(ARGS)

relay: migrate ## run the event relay process (`manage.py relay`) until Ctrl-C
	$(BIN)/python manage.py relay

worker: migrate ## a Celery worker for this SERVICE's module queues (QUEUES=... overrides)
	EVENTS_TRANSPORT=celery $(BIN)/celery -A app worker \
		-Q $${QUEUES:-$$($(BIN)/python manage.py topology --queues)} --concurrency 2 --loglevel info

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

lint-imports: install ## check the module boundaries (import-linter contracts in pyproject.toml)
	$(BIN)/lint-imports

test: lint lint-imports ## lint, lint-imports, then the whole test suite
	$(BIN)/pytest

bench: demo ## benchmarks, each against its bare baseline measured in the same run
	$(BIN)/python -m benchmarks

lock: ## re-resolve requirements.lock from pyproject.toml (needs network)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml

clean: ## remove the virtualenv and the local databases
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: module
module: install ## scaffold a module: make module NAME=shipping [ARGS="--entity parcel --dry-run"]
	@test -n "$(NAME)" || { echo 'usage: make module NAME=<name> [ARGS="--entity parcel --no-sample --dry-run"]' >&2; exit 2; }
	$(BIN)/python manage.py startmodule $(NAME) $(ARGS)

.PHONY: extract merge
extract: install ## run a module as its own service: make extract MODULE=inventory [ARGS="--port 8001 --dry-run"]
	@test -n "$(MODULE)" || { echo 'usage: make extract MODULE=<module> [ARGS="--port 8001 --standalone DIR --dry-run"]' >&2; exit 2; }
	$(BIN)/python scripts/extract_module.py $(MODULE) $(ARGS)

merge: install ## bring an extracted module back: make merge MODULE=inventory [ARGS=--dry-run]
	@test -n "$(MODULE)" || { echo 'usage: make merge MODULE=<module> [ARGS=--dry-run]' >&2; exit 2; }
	$(BIN)/python scripts/extract_module.py --merge $(MODULE) $(ARGS)
