# Quick start: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck check bench clean sysdeps options-doc docs dist

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

# Debian packages outside PyPI: chromium (browser test of map.html, driven by Playwright) and
# fonts-noto-cjk (Chinese in the PNG figures). Installed with apt-get when missing and root.
CHROMIUM := /usr/bin/chromium
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
sysdeps:
	@if [ -x $(CHROMIUM) ] && [ -f $(CJK_FONT) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-noto-cjk >/dev/null; \
	else echo "note: install chromium and fonts-noto-cjk (sudo apt-get install chromium" \
		"fonts-noto-cjk), or set GEO_CJK_FONT to a font with Chinese characters"; fi

demo: $(STAMP) sysdeps  ## the Luzhai study into maps/luzhai/, plus the plan's two siting questions and its roads' resilience
	$(BIN)/geo demo
	$(BIN)/geo designate maps/luzhai --from-type township_health_center \
		--role ems_station --k 3 --minutes 30 --out maps/luzhai_ems
	$(BIN)/geo compare maps/luzhai --scenario planned_2025 --out maps/luzhai_planned_2025
	$(BIN)/geo resilience maps/luzhai --standard emergency_1h --out maps/luzhai_roads
	$(BIN)/geo resilience maps/luzhai --hazard data/hazards/luzhai_flood_illustrative.geojson \
		--out maps/luzhai_flood
	$(BIN)/geo resilience maps/luzhai --hazard data/hazards/luzhai_flood_illustrative.geojson \
		--hazard data/hazards/luzhai_landslides_illustrative.geojson --out maps/luzhai_rainy_season

test: $(STAMP) sysdeps  ## the whole test suite (offline; includes headless Chromium)
	$(BIN)/pytest

lint: $(STAMP)  ## ruff, and the import layers of pyproject.toml [tool.importlinter]
	$(BIN)/ruff check geo tests data benchmarks docs
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test  ## everything CI should agree with

dist: $(STAMP)  ## the sdist and the wheel (with the embedded study and its data inside) -> dist/; offline
	$(BIN)/python -m build --no-isolation --outdir dist

docs: $(STAMP)  ## the manual (docs/*.md) and the API reference from the docstrings -> build/docs/index.html; strict: a warning or a broken reference fails
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs build/docs

bench: $(STAMP)  ## demo stages, routing engine vs peers, siting, access measures, a 50,000-facility study, road criticality, writing outputs -> benchmarks/results/
	$(BIN)/python benchmarks/bench_demo.py
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_siting.py
	$(BIN)/python benchmarks/bench_whatif.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_serve.py
	$(BIN)/python benchmarks/bench_measures.py
	$(BIN)/python benchmarks/bench_groups.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_resilience.py
	$(BIN)/python benchmarks/bench_outputs.py
	$(BIN)/python benchmarks/bench_study_measures.py --before-commit --rounds 6 --runs 5

clean:
	rm -rf $(VENV) build/docs docs/api maps/luzhai maps/luzhai_ems maps/luzhai_planned_2025 maps/liuzhou_batch .pytest_cache .mypy_cache .ruff_cache

options-doc: $(STAMP)  ## regenerate the key lists of docs/ (study file, standards, specs, facility types, scenarios) from their declarations, and the command reference of docs/cli.md from the geo parser
	$(BIN)/python -m geo.cli.docs
	$(BIN)/python -c "from geo.cli.reference import write_reference; write_reference('docs/cli.md')"
