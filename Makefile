# wooxero — `make run` serves everything on this machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wooxero serve

# The bridge plugin's tests run PHP and PHPUnit (Debian's php-cli and phpunit).
PHPUNIT := /usr/bin/phpunit
$(PHPUNIT):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli phpunit

test: $(STAMP) $(PHPUNIT)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks.xero_limiter
	$(BIN)/python -m benchmarks.backfill

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .import_linter_cache *.egg-info build
