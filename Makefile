# Gendan: `make run` starts everything on 127.0.0.1, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SIM_PORT ?= 5001
STAMP := $(VENV)/.installed

.PHONY: setup system-deps test-system-deps run run-prod migrate simulator sim-menu test test-clock test-isolation lint format vendor vendor-barcode clean

system-deps:
	@ldconfig -p | grep -q 'libzbar.so.0' || { \
	  echo "Installing libzbar0 (barcode decoding)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libzbar0 >/dev/null; }
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  echo "Installing fonts-wqy-microhei (Chinese text on printed labels)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

# Only the tests need a browser: Playwright drives Debian's Chromium (no browser download).
test-system-deps:
	@command -v chromium >/dev/null || { \
	  echo "Installing chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@dpkg -L libfaketime >/dev/null 2>&1 || { \
	  echo "Installing libfaketime for the clock check"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

setup: system-deps $(STAMP)

migrate: setup bytecode
	$(BIN)/flask --app wsgi migrate
	$(BIN)/flask --app wsgi seed-demo --if-empty

run: migrate
	PORT=$(PORT) SIM_PORT=$(SIM_PORT) $(BIN)/python -m app.launcher

# Production mode on this machine: checks DATABASE_URL (PostgreSQL), SECRET_KEY and UPLOAD_DIR,
# migrates, then runs gunicorn (gunicorn.conf.py) and the scheduler until SIGTERM / Ctrl-C.
run-prod: setup bytecode
	$(BIN)/python -m app.production

simulator: setup
	$(BIN)/python -m bots.simulator --port $(SIM_PORT) --gendan-url http://127.0.0.1:$(PORT)

# Create the WeCom and WeChat app menus on the running simulator (`chat-menu sync` with the
# simulator's demo credentials, as `make run` hands them to the web server).
sim-menu: setup
	@for platform in wecom wechat; do \
	  $(BIN)/python -c 'import os, sys; from app.launcher import simulator_settings; \
	    os.environ.update(simulator_settings($(SIM_PORT))); from flask.cli import main; \
	    sys.argv = ["flask", "--app", "wsgi", "chat-menu", "sync", "--platform", sys.argv[1]]; \
	    main()' $$platform || exit 1; \
	done

# Parallel workers (pytest-xdist), each with its own databases, ports and upload folder; the ten
# slowest tests are printed so that drift is visible. Two workers per core: many tests wait on
# processes they start (gunicorn, schedulers, the browser), and a waiting worker leaves its core
# to the other; work stealing keeps the long tests from piling up on one worker at the end. Under the faketime wrapper
# (`faketime -f '@2026-12-31 16:20:00' make test`) the suite goes through tests/clockcheck/run,
# which hands the faked time to libfaketime in a form Python's threads survive.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist worksteal
# pytest keeps the test modules it rewrote (assert introspection) as hash-checked .pyc files,
# unless PYTHONDONTWRITEBYTECODE is set, as it is on the CI machines. There every worker of every
# run rewrote all 200 test modules and the plugins' (schemathesis, xdist) again, about 5 s of
# CPU each: the runs of test-clock after test now read what the first run wrote.
PYTEST = PYTHONDONTWRITEBYTECODE= $(BIN)/pytest
test: setup test-system-deps bytecode
	$(if $(FAKETIME),tests/clockcheck/run) $(PYTEST) -q $(PYTEST_PARALLEL) --durations=10

# Our modules compiled once, up front. Where PYTHONDONTWRITEBYTECODE is set (it is on the CI
# machines) nothing caches them otherwise, and every process the suite starts (workers,
# schedulers, gunicorn, chat-stream: about a hundred) compiled all 300 of them again, about
# 0.4 s of CPU each. compileall writes the caches whatever that variable says.
BYTECODE_DIRS = app bots models reminders scanning migrations tests bench wsgi.py
.PHONY: bytecode
bytecode: setup
	@$(BIN)/python -m compileall -q -j 0 $(BYTECODE_DIRS)

# The date-sensitive tests (marker `clock`) again, with the clock of the suite and of every
# process it starts moved by libfaketime to instants around Shanghai's midnight, month and year
# ends (UTC): 00:20 on New Year's Day in Shanghai while UTC is still in 2026; 23:58 on the last
# day of February in Shanghai, so the run crosses midnight; 23:50 UTC on a month's last day,
# 07:50 on the next month's first in Shanghai; 22:40 on a half-year's last day in Shanghai
# (after the daily-report cut-off, inside quiet hours: the evening that broke tests before).
# `make test-clock CLOCK_AT='2027-03-31 15:59:30'` tries another instant.
CLOCK_AT ?= 2026-12-31 16:20:00|2027-02-28 15:58:00|2027-01-31 23:50:00|2027-06-30 14:40:00
test-clock: setup test-system-deps bytecode
	@echo '$(CLOCK_AT)' | tr '|' '\n' | while read -r at; do \
	  echo "== clock at $$at UTC"; \
	  tests/clockcheck/run --at "$$at" $(PYTEST) -q $(PYTEST_PARALLEL) -m clock || exit 1; \
	done

# Every test but the browser's again, in workers started as if a browser test had run first in
# each (Playwright's sync API started, an app built with another SECRET_KEY): a test that leans
# on state an earlier test left behind fails here (tests/worker_state.py). Not part of .ci/run.
test-isolation: setup test-system-deps bytecode
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -p tests.worker_state \
	  --ignore=tests/browser

# Style, formatting, and the import contracts of pyproject.toml ([tool.importlinter]: imports
# point down only, see docs/ARCHITECTURE.md). --no-cache: grimp's cache can miss moved modules.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the vendored chart library from npm (needs Node.js; the result is committed so that
# a fresh machine needs no Node at all).
ECHARTS_VERSION ?= 6.1.0
vendor:
	rm -rf /tmp/gendan-echarts && mkdir -p /tmp/gendan-echarts
	cd /tmp/gendan-echarts && npm pack echarts@$(ECHARTS_VERSION) >/dev/null && tar xzf echarts-$(ECHARTS_VERSION).tgz
	cp /tmp/gendan-echarts/package/dist/echarts.min.js /tmp/gendan-echarts/package/LICENSE \
	   /tmp/gendan-echarts/package/NOTICE app/web/static/vendor/echarts/
	echo $(ECHARTS_VERSION) > app/web/static/vendor/echarts/VERSION
	$(MAKE) vendor-barcode

# The /m/ decoder: barcode-detector and the zxing-wasm reader it pins (see the vendor README).
BARCODE_DETECTOR_VERSION ?= 3.2.2
ZXING_WASM_VERSION ?= 3.1.3
vendor-barcode:
	rm -rf /tmp/gendan-bd && mkdir -p /tmp/gendan-bd/bd /tmp/gendan-bd/zx
	cd /tmp/gendan-bd && npm pack barcode-detector@$(BARCODE_DETECTOR_VERSION) zxing-wasm@$(ZXING_WASM_VERSION) >/dev/null
	tar xzf /tmp/gendan-bd/barcode-detector-$(BARCODE_DETECTOR_VERSION).tgz -C /tmp/gendan-bd/bd
	tar xzf /tmp/gendan-bd/zxing-wasm-$(ZXING_WASM_VERSION).tgz -C /tmp/gendan-bd/zx
	cp /tmp/gendan-bd/bd/package/dist/es/ponyfill.js /tmp/gendan-bd/bd/package/dist/es/zxing-exported.js \
	   /tmp/gendan-bd/bd/package/LICENSE /tmp/gendan-bd/zx/package/dist/reader/zxing_reader.wasm \
	   app/web/static/vendor/barcode-detector/
	cp /tmp/gendan-bd/zx/package/LICENSE app/web/static/vendor/barcode-detector/LICENSE.zxing-wasm
	printf 'barcode-detector $(BARCODE_DETECTOR_VERSION)\nzxing-wasm $(ZXING_WASM_VERSION)\n' \
	   > app/web/static/vendor/barcode-detector/VERSION

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Benchmarks: every bench/bench_*.py with fixed seeds and sizes, against gunicorn (2 workers),
# the scheduler and the chat simulator on 127.0.0.1 and PostgreSQL at BENCH_DATABASE_URL
# (default postgresql://postgres@127.0.0.1:5432/test, a schema per run); writes bench/RESULTS.md.
# wrk (Debian's, a compiled load generator) drives the HTTP benchmarks (bench/wrk/*.lua).
# `make bench-quick`: the wrk ceilings and memory only, short runs at 4 connections, in under
# three minutes, written to bench/RESULTS-quick.md (bench/RESULTS.md keeps the full run).
.PHONY: bench bench-quick bench-system-deps test-reliability
bench-system-deps:
	@command -v wrk >/dev/null || { \
	  echo "Installing wrk for the HTTP benchmarks"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@command -v valgrind >/dev/null || { \
	  echo "Installing valgrind for the instruction counts"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }

bench: setup bench-system-deps
	$(BIN)/python -m bench.run_all

bench-quick: setup bench-system-deps
	$(BIN)/python -m bench.run_all --quick

# Load and fault tests (real gunicorn, PostgreSQL, a TCP proxy, a tmpfs): seconds each.
test-reliability: setup
	$(BIN)/pytest -q -m reliability tests/reliability
