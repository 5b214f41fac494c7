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

demo: $(STAMP)  ## run the embedded Luzhai study into maps/luzhai/
	$(BIN)/geo demo

test: $(STAMP)  ## the whole test suite (offline)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check geo tests data benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test  ## everything CI should agree with

bench: $(STAMP)  ## speed of the demo stages, written to benchmarks/results/
	$(BIN)/python benchmarks/bench_demo.py

clean:
	rm -rf $(VENV) maps/luzhai .pytest_cache .mypy_cache .ruff_cache
