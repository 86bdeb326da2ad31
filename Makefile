# One-command set-up: every target bootstraps .venv from pyproject.toml when it is missing or stale.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export GX_ANALYTICS_ENABLED := false

.PHONY: install run test test-fast typecheck lint docs dev sample bench clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cdpi needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# setuptools prints an informational note on every editable install (folders named like a package
	@# may shadow it); only that note is filtered, any real warning of the build still shows.
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -e '.[dev]'
	@# pip compiles the packages it installs but not an editable project's own modules; where Python is
	@# told not to write bytecode (PYTHONDONTWRITEBYTECODE), every run would compile them again.
	$(BIN)/python -m compileall -q pipelines assets sources expectations warehouse > /dev/null
	touch $(STAMP)

install: $(STAMP)

## Run the whole pipeline on the built-in offline sample and publish ./data/warehouse.duckdb.
run: $(STAMP)
	$(BIN)/cdpi run --sample

## Full test suite, slow and network-simulation tests included (what CI runs).
test: $(STAMP)
	bash scripts/ensure_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/cdpi docs --check
	$(BIN)/python -m pytest -q -m '' --durations=10

## Static type check of sources/, warehouse/, expectations/, assets/ and pipelines/ (settings: pyproject.toml).
typecheck: $(STAMP)
	$(BIN)/mypy

## Fast tests only (slow ones skipped), for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q

## Benchmarks (not tests): figures go to docs/BENCHMARKS.md and docs/benchmarks.json.
## CITIES, DELAY: national crawl size and per-host delay (cdpi vs the politeness bound, Scrapy, a sequential
## loop, a refresh). The shared vendor host sets the pace (about 2 requests per city), so the three crawls take
## about 6 x CITIES x DELAY seconds: the default about two and a half hours, CITIES=300 about 35 minutes.
## DATASETS: catalog size of the portal benchmark; EVIDENCE_CITIES: websites crawled; INDEX_CITIES: cities scored.
CITIES ?= 1500
DELAY ?= 1.0
DATASETS ?= 50000
EVIDENCE_CITIES ?= 40
INDEX_CITIES ?= 20000
## HISTORY_MONTHS x HISTORY_SCALE: the history benchmark's snapshots and copies of the sample's 111 cities.
## REFRESH_CITIES: the monthly-refresh benchmark (a full crawl, then refreshes with 0, 5 and 20 % of pages changed).
REFRESH_CITIES ?= 120
HISTORY_MONTHS ?= 60
HISTORY_SCALE ?= 180
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python scripts/bench_national.py --cities $(CITIES) --delay $(DELAY)
	$(BIN)/python scripts/bench_refresh.py --cities $(REFRESH_CITIES)
	$(BIN)/python scripts/bench_portals.py --datasets $(DATASETS)
	$(BIN)/python scripts/bench_evidence.py --cities $(EVIDENCE_CITIES)
	$(BIN)/python scripts/bench_replay_memory.py
	$(BIN)/python scripts/bench_index.py --cities $(INDEX_CITIES)
	$(BIN)/python scripts/bench_history.py --months $(HISTORY_MONTHS) --scale $(HISTORY_SCALE)

lint: $(STAMP)
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/cdpi docs

## Dagster UI on http://127.0.0.1:3000 with a persistent DAGSTER_HOME under ./data and telemetry off.
dev: $(STAMP)
	$(BIN)/cdpi dev

## Rebuild the built-in sample archive from the simulated web (deterministic).
sample: $(STAMP)
	$(BIN)/python scripts/build_sample.py

clean:
	rm -rf data .pytest_cache
