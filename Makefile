# Panal — `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help demo test test-sqlite test-postgres test-browser lint fmt bench messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/panal: pyproject.toml
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(BIN)/panal

demo: $(BIN)/panal ## Install, migrate SQLite, load the demo company, serve :8000 with the worker
	$(BIN)/panal migrate --no-input
	$(BIN)/panal demo
	$(BIN)/panal run --host $(HOST) --port $(PORT)

/usr/bin/chromium:
	@echo "Installing Debian's Chromium for the browser tests"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: $(BIN)/panal /usr/bin/chromium lint test-sqlite test-postgres ## Lint, then the whole suite on SQLite and on PostgreSQL

test-sqlite: $(BIN)/panal
	env -u DATABASE_URL $(BIN)/pytest -n 2

test-postgres: $(BIN)/panal
	DATABASE_URL=$(PG_URL) $(BIN)/pytest -n 2

test-browser: $(BIN)/panal /usr/bin/chromium ## Only the browser tests
	$(BIN)/pytest tests/browser

lint: $(BIN)/panal ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fmt: $(BIN)/panal ## Format and fix what ruff can
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(BIN)/panal ## Benchmarks; JSON results under bench/results/
	$(BIN)/python bench/run.py

messages: $(BIN)/panal ## Refresh and compile the es/en translations
	cd src/panal && ../../$(BIN)/panal makemessages -l es -l en --no-obsolete && ../../$(BIN)/panal compilemessages

clean: ## Remove the venv and local data
	rm -rf $(VENV) var
