"""Every module of the package sits in a layer of the import contract (pyproject.toml), so
`make lint` checks all of it, not only the modules someone remembered to list."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def test_every_top_level_module_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    layers = config["tool"]["importlinter"]["contracts"][0]["layers"]
    listed = {m.strip() for layer in layers for m in re.split(r"[:|]", layer)}
    geo = ROOT / "geo"
    present = {f"geo.{p.stem}" for p in geo.glob("*.py") if p.stem != "__init__"}
    present |= {f"geo.{p.name}" for p in geo.iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    assert present == listed, (sorted(present - listed), sorted(listed - present))


def test_the_root_holds_only_the_basics() -> None:
    """Issue 19: the root of geo/ keeps ``__init__`` and at most 8 basic modules, and those
    form the bottom layer of the contract; every other module lives in a folder-sized layer."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bottom = config["tool"]["importlinter"]["contracts"][0]["layers"][-1]
    basics = {m.strip() for m in re.split(r"[:|]", bottom)}
    root = {f"geo.{p.stem}" for p in (ROOT / "geo").glob("*.py") if p.stem != "__init__"}
    assert len(root) <= 8, sorted(root)
    assert root == basics, (sorted(root - basics), sorted(basics - root))
