"""Shared fixtures: tiny networks built in code, paths to the embedded data."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
UTM49 = CRS.from_epsg(32649)
X0, Y0 = 400_000.0, 2_700_000.0  # a spot inside Luzhai in UTM 49N


def lines_gdf(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """Road lines from rows with ``coords`` in metres relative to (X0, Y0), to WGS84."""
    geoms = [
        shapely.LineString([(X0 + x, Y0 + y) for x, y in r["coords"]])  # type: ignore[attr-defined]
        for r in rows
    ]
    attrs = [{k: v for k, v in r.items() if k != "coords"} for r in rows]
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs=UTM49).to_crs(4326)


def _key(key: str) -> str:
    """A TOML key: bare when it can be (letters, digits, _ and -), else quoted."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_value(value: object) -> str:
    """A Python value as a TOML value (strings quoted, lists, inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def toml_sections(sections: dict[str, dict[str, object]]) -> str:
    """Sections of options (a study file's, as ``study_options`` gives them) as TOML text."""
    return "".join(f"[{s}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in o.items())
                   for s, o in sections.items())


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def luzhai_demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The embedded Luzhai study, run once per session as `make demo` runs it."""
    from geo.outputs.write import write_outputs
    from geo.study.run import run_study

    out = tmp_path_factory.mktemp("demo") / "luzhai"
    computed = run_study(ROOT / "analysis" / "luzhai.toml")
    write_outputs(computed, out)
    return computed, out
