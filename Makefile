# Two commands do the work on a fresh machine: `make report` and `make test`.
# Each builds .venv from pyproject.toml first when it is missing or stale.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-from-pyproject

.DEFAULT_GOAL := help
.PHONY: help venv test lint lock report validate sample bench wheel-check clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

# constraints.txt pins every package to the versions the suite and the sample report were last checked
# with, so another machine makes the same report byte for byte; `make lock` refreshes it.
$(STAMP): pyproject.toml constraints.txt
	@echo "Setting up $(VENV) from pyproject.toml and constraints.txt (first run takes a few minutes)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,lab]'
	@touch $(STAMP)

lock: ## Refresh constraints.txt from a fresh install of the newest releases pyproject.toml allows
	rm -rf build/lock && $(PYTHON) -m venv build/lock
	build/lock/bin/python -m pip install --quiet -e '.[dev,lab]'
	build/lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

venv: $(STAMP) ## Create or update .venv from pyproject.toml

test: $(STAMP) lint ## Run the linter and the test suite (quick versions of simulation studies), a file per core
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

lint: $(STAMP) ## Check the code with ruff (settings in pyproject.toml)
	$(BIN)/ruff check liushou_analysis notebooks tests benchmarks tools

report: $(STAMP) ## Run the main job on the bundled sample: its latest term's report
	$(BIN)/liushou report --data data_raw/sample
	$(BIN)/liushou score --data data_clean/sample --out reports/sample/reward_points
	$(BIN)/liushou inventory data_raw/sample --out reports/sample/raw_inventory.csv

validate: $(STAMP) ## Run the full simulation studies (slow)
	$(BIN)/python -m pytest -m slow; status=$$?; \
	if [ $$status -eq 5 ]; then echo "No slow validation studies exist yet."; exit 0; fi; exit $$status

sample: $(STAMP) ## Regenerate the bundled sample county in data_raw/sample
	$(BIN)/python -m liushou_analysis.synth.sample

wheel-check: $(STAMP) ## Build the wheel, install it in a fresh venv, and make a county and its report from /tmp
	rm -rf build/wheel-check && mkdir -p build/wheel-check
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir build/wheel-check .
	$(PYTHON) -m venv build/wheel-check/venv
	build/wheel-check/venv/bin/python -m pip install --quiet -c constraints.txt "$$(ls build/wheel-check/liushou_analysis-*.whl)[report]"
	cd "$$(mktemp -d)" && $(CURDIR)/build/wheel-check/venv/bin/liushou synth --out county --schools 2 --years 1 \
	    && $(CURDIR)/build/wheel-check/venv/bin/liushou report --data county --allow-incomplete \
	    && test -f reports/county/*/index.html && echo "wheel-check: the installed wheel made a report in $$PWD"

bench: $(STAMP) ## Run the benchmarks (speed and memory targets)
	$(BIN)/python benchmarks/clean_sample.py
	$(BIN)/python benchmarks/rank_million.py
	$(BIN)/python benchmarks/audit_replays.py --copies 20
	$(BIN)/python benchmarks/rank_duckdb.py
	$(BIN)/python benchmarks/cluster_scaling.py
	$(BIN)/python benchmarks/synth_scale.py
	$(BIN)/python benchmarks/report_sample.py
	$(BIN)/python benchmarks/long_cell.py

clean: ## Remove generated outputs (data_clean, reports) and caches; keeps data_raw
	rm -rf data_clean/*/ reports/*/ .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
