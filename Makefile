# Gendan: `make run` starts everything on 127.0.0.1, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
SIM_PORT ?= 5001
STAMP := $(VENV)/.installed

.PHONY: setup system-deps test-system-deps run run-prod migrate simulator test lint format vendor clean

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

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(STAMP)

setup: system-deps $(STAMP)

migrate: setup
	$(BIN)/flask --app wsgi migrate
	$(BIN)/flask --app wsgi seed-demo --if-empty

run: migrate
	PORT=$(PORT) SIM_PORT=$(SIM_PORT) $(BIN)/python -m app.launcher

# Production mode on this machine: checks DATABASE_URL (PostgreSQL), SECRET_KEY and UPLOAD_DIR,
# migrates, then runs gunicorn (gunicorn.conf.py) and the scheduler until SIGTERM / Ctrl-C.
run-prod: setup
	$(BIN)/python -m app.production

simulator: setup
	$(BIN)/python -m bots.simulator --port $(SIM_PORT) --gendan-url http://127.0.0.1:$(PORT)

test: setup test-system-deps
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Benchmarks: every bench/bench_*.py with fixed seeds and sizes, against gunicorn (2 workers),
# the scheduler and the chat simulator on 127.0.0.1 and PostgreSQL at BENCH_DATABASE_URL
# (default postgresql://postgres@127.0.0.1:5432/test, a schema per run); writes bench/RESULTS.md.
.PHONY: bench bench-quick test-reliability
bench: setup
	$(BIN)/python -m bench.run_all

bench-quick: setup
	$(BIN)/python -m bench.run_all --quick

# Load and fault tests (real gunicorn, PostgreSQL, a TCP proxy, a tmpfs): seconds each.
test-reliability: setup
	$(BIN)/pytest -q -m reliability tests/reliability
