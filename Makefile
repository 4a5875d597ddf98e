# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
DB     ?= data/scorecard.duckdb

.PHONY: run test check docs demo lint bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.installed
	$(PY) -m scorecard demo --db $(DB)

## run: set everything up and serve the dashboard on the demo data at localhost:$(PORT)
run: $(VENV)/.installed $(DB)
	SCORECARD_DB=$(DB) $(PY) -m streamlit run dashboard.py --server.port $(PORT) --server.headless true

## test: install the test dependencies, run every tier on every engine and build the docs (what CI runs)
test: $(VENV)/.dev-installed
	$(PY) -m pytest -n 2
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet --site-dir $(CURDIR)/site

## check: the fast tier for iterating: unit and engine tests on DuckDB, no browser, no PostgreSQL (under 2 min)
check: $(VENV)/.dev-installed
	SCORECARD_TEST_ENGINES=duckdb $(PY) -m pytest -n 2 -m "not slow and not browser" tests/unit tests/engines

## docs: build the documentation site into site/ (broken links fail the build); `mkdocs serve` to browse it
docs: $(VENV)/.dev-installed
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir $(CURDIR)/site

## demo: rebuild the demo database (LEADS=1000000 for the large one)
demo: $(VENV)/.installed
	$(PY) -m scorecard demo --db $(DB) --force $(if $(LEADS),--leads $(LEADS))

## lint: ruff everywhere, mypy on the core
lint: $(VENV)/.dev-installed
	$(PY) -m ruff check scorecard app tests bench dashboard.py
	$(PY) -m mypy scorecard

## bench: engine, dashboard, import and demo benchmarks on the 1M-lead demo (prints figures and ratios)
bench: $(VENV)/.dev-installed
	$(PY) -m scorecard bench --sizes 100000,1000000
	$(PY) bench/engine_bench.py --leads 1000000 --skip-sqlite
	$(PY) bench/dashboard_bench.py --db /tmp/scorecard-bench/demo-1000000.duckdb
	$(PY) bench/import_bench.py
	$(PY) bench/demo_bench.py

clean:
	rm -rf $(VENV) .pytest_cache test-output site
