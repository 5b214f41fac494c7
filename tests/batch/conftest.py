"""A small Liuzhou batch written in a temporary folder (the embedded data, 1 km grid)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from tests.conftest import DATA, ROOT

#: 城中区 and 柳北区 run; 柳南区 is the area whose population the tests break
GOOD = ["450202", "450205"]
BROKEN = "450204"


def write_batch(folder: Path, *, population: dict[str, float] | None = None,
                retries: int = 1, outputs: str = "all", buffer_km: float = 60.0) -> Path:
    """A template (Liuzhou, two drive standards) and a batch file in ``folder``; the areas
    layer is a copy of the Liuzhou counties with ``population`` changes."""
    folder.mkdir(parents=True, exist_ok=True)
    areas = gpd.read_file(DATA / "boundaries" / "liuzhou_counties.geojson")
    for ident, value in (population or {}).items():
        areas.loc[areas["adcode"] == ident, "population_2020"] = value
    areas.to_file(folder / "counties.geojson", driver="GeoJSON")
    (folder / "template.toml").write_text(f"""
[study]
name = "lz"
title = "柳州 test"

[area]
boundary = "{(folder / 'counties.geojson').as_posix()}"

[facilities]
path = "{(DATA / 'facilities' / 'facilities_liuzhou_assumed.csv').as_posix()}"

[townships]
seats = "{(DATA / 'boundaries' / 'liuzhou_township_seats.csv').as_posix()}"
seat_lon_col = "wgs84_lon"
seat_lat_col = "wgs84_lat"

[roads]
path = "{(DATA / 'roads' / 'liuzhou_backbone.geojson').as_posix()}"

[population]
total = 4157934
grid_spacing_m = 1000

[standards]
file = "{(ROOT / 'analysis' / 'standards.toml').as_posix()}"
use = ["emergency_1h", "primary_care_30min"]

[checks]
accept = ["road_coverage"]  # the backbone-only roads, as in analysis/liuzhou.toml
""", encoding="utf-8")
    (folder / "batch.toml").write_text(f"""
[batch]
template = "template.toml"
id_col = "adcode"
population_col = "population_2020"
population_label = "census"
buffer_km = {buffer_km}
retries = {retries}
area_outputs = "{outputs}"
""", encoding="utf-8")
    return folder / "batch.toml"


@pytest.fixture
def batch_dir(tmp_path: Path) -> Path:
    return tmp_path
