# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## the Luzhai study into maps/luzhai/, plus the plan's two siting questions
	$(BIN)/geo demo
	$(BIN)/geo designate analysis/luzhai.toml --from-type township_health_center \
		--role ems_station --k 3 --minutes 30 --out maps/luzhai_ems
	$(BIN)/geo compare analysis/luzhai.toml --scenario planned_2025 --out maps/luzhai_planned_2025

test: $(STAMP)  ## the whole test suite (offline)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check geo tests data benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test  ## everything CI should agree with

bench: $(STAMP)  ## speed of the demo stages and of siting, written to benchmarks/results/
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_siting.py

clean:
	rm -rf $(VENV) maps/luzhai maps/luzhai_ems maps/luzhai_planned_2025 .pytest_cache .mypy_cache .ruff_cache
