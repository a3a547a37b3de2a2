# kinerja — the two commands a newcomer needs are `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run run-distributed test lint typecheck migrate-check bench system-deps clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

## setup: create .venv with the locked dependencies and the `kinerja` command
setup: $(STAMP)

## system-deps: OS packages the test suite needs (ClamAV's clamd); idempotent
system-deps:
	bash scripts/install-system-deps

## run: everything in one process on SQLite + local files, with the Kalbagtim 2024 demo data
run: setup
	$(BIN)/kinerja run --host $(HOST) --port $(PORT)

## run-distributed: every part its own process (local PostgreSQL, SeaweedFS S3, clamd if running)
run-distributed: setup
	$(BIN)/kinerja run-distributed --host $(HOST) --port $(PORT)

## test: set up, then lint + type-check + the whole test suite (PostgreSQL, real SeaweedFS, real clamd)
test: setup system-deps
	$(BIN)/ruff check kernel services gateway tests bench migrations
	$(BIN)/ruff format --check kernel services gateway tests bench migrations
	$(BIN)/mypy kernel services gateway
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check kernel services gateway tests bench migrations
	$(BIN)/ruff format --check kernel services gateway tests bench migrations

typecheck: setup
	$(BIN)/mypy kernel services gateway

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
