# wooxero — `make run` serves everything on this machine; `make demo` runs it with both
# sandboxes and a demo store; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Running needs the package alone; the demo adds the sandboxes' extras; testing, linting and
# benchmarks add the test extras (which include the sandboxes').
STAMP := $(VENV)/.installed
SANDBOX_STAMP := $(VENV)/.installed-sandbox
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run demo test lint bench chaos clean pot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(SANDBOX_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[sandbox]'
	touch $(SANDBOX_STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/wooxero serve

# Both sandboxes, the server on its own data directory (var/demo) and a demo store connected
# to both; prints the dashboard link and the operator's login. Ctrl-C stops everything.
demo: $(SANDBOX_STAMP)
	$(BIN)/python -m sandbox.demo

# The bridge plugin's tests need Debian's PHP and PHPUnit, and its end-to-end test a real
# WordPress (on php -S, with php-mysql and a private MariaDB server) driven by Chromium.
SYSTEM_PACKAGES := php-cli php-mysql phpunit gettext wordpress chromium mariadb-server mariadb-client

# Debian packages installed unless all are there already: $(call apt_install,PACKAGES).
define apt_install
	@installed=$$(dpkg-query -W -f='$${Status}\n' $(1) 2>/dev/null | grep -c 'ok installed'); \
	if [ "$$installed" != "$(words $(1))" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
	fi
endef

.PHONY: system-packages
system-packages:
	$(call apt_install,$(SYSTEM_PACKAGES))

test: $(TEST_STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# Every benchmark, one table, kept in BENCHMARKS.md (see benchmarks/__main__.py); intake's
# load comes from wrk.
BENCH_PACKAGES := wrk

.PHONY: bench-packages
bench-packages:
	$(call apt_install,$(BENCH_PACKAGES))

bench: $(TEST_STAMP) bench-packages
	$(BIN)/python -m benchmarks

# 5,000 orders through webhooks into a faulty sandbox Xero while workers are killed and Redis
# restarts; checks the books at the end (README, "Chaos run"). `make chaos ORDERS=300` for less.
ORDERS ?= 5000
chaos: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.chaos --orders $(ORDERS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) artifacts .pytest_cache .ruff_cache .hypothesis .import_linter_cache *.egg-info build

# The bridge plugin's translation template, from every translatable string in its PHP.
POT ?= $(CURDIR)/plugin_bridge/languages/sync-orders-with-xero.pot
pot: system-packages
	mkdir -p $(dir $(POT))
	cd plugin_bridge && find . -name '*.php' -not -path './tests/*' | sort | xgettext \
		--files-from=- --language=PHP --from-code=UTF-8 --add-comments=translators: \
		--keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e \
		--keyword=esc_attr__ --keyword=esc_attr_e --keyword=_x:1,2c --keyword=_n:1,2 \
		--package-name=sync-orders-with-xero --package-version=1.1.0 \
		--msgid-bugs-address=https://github.com/wooxero/wooxero/issues \
		--copyright-holder=wooxero --sort-by-file --output=- \
		| sed -e 's/charset=CHARSET/charset=UTF-8/' > $(POT)
