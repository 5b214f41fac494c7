"""The corpus's county: the synthetic 示例县 of tests/synthetic_county.py, as a study.

Files: 乡镇界线.shp (township polygons, Gauss-Krüger EPSG:4525, GBK without .cpg, codes in
XZQDM), 县界.geojson (county boundary), facilities.csv (id, name, type as the health
commission writes it, WGS84 lon/lat at road crossings), 第七次人口普查_乡镇.csv (GBK census
table with a 合计 row), roads.geojson (the road grid as a line layer) and roads.npz (its
network cache, drive and walk, built with ``geo network build``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.cli.main import main
from tests.synthetic_county import (
    FACILITIES,
    facility_lonlat,
    road_layer,
    write_census,
    write_townships,
)

__all__ = ["IDS", "STUDY", "build_county", "road_study", "study_options"]

#: facility ids in file order, F01..F08 (FACILITIES of tests/synthetic_county.py)
IDS = [f"F{i + 1:02d}" for i in range(len(FACILITIES))]

#: the study file, as options (each case edits a copy)
STUDY: dict[str, dict[str, Any]] = {
    "study": {"name": "shili", "title": "示例县医疗卫生设施可达性"},
    "area": {"boundary": "县界.geojson", "name": "示例县"},
    "facilities": {"path": "facilities.csv"},
    "townships": {"boundaries": "乡镇界线.shp", "name_col": "乡镇名称"},
    "roads": {"path": "roads.npz"},
    "population": {"method": "table", "path": "第七次人口普查_乡镇.csv",
                   "table_key": "乡镇名称", "count_col": "常住人口"},
    "standards": {"use": ["primary_care_30min"]},
}


def study_options() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(STUDY)


def facility_table() -> pd.DataFrame:
    lon, lat = facility_lonlat()
    return pd.DataFrame({"id": IDS, "name": [f[0] for f in FACILITIES],
                         "type": [f[1] for f in FACILITIES],
                         "lon": np.round(lon, 6), "lat": np.round(lat, 6)})


def build_county(folder: Path) -> Path:
    """Write the county's files into ``folder`` (which must not exist)."""
    folder.mkdir(parents=True)
    write_townships(folder)
    write_census(folder)
    facility_table().to_csv(folder / "facilities.csv", index=False, encoding="utf-8")
    road_layer().to_file(folder / "roads.geojson")
    assert main(["network", "build", str(folder / "roads.geojson"), "--out",
                 str(folder / "roads.npz")]) == 0
    return folder


def road_study(folder: Path) -> Any:
    """Build the county in ``folder`` with a study on its road layer, and run it.

    The study reads ``roads.geojson`` (the line layer, whose way ids and names scenarios and
    road rankings name) rather than the cached network; returns the ComputedStudy.
    """
    from geo.study.run import run_study
    from tests.conftest import toml_sections

    build_county(folder)
    opts = study_options()
    opts["roads"]["path"] = "roads.geojson"
    (folder / "study.toml").write_text(toml_sections(opts), encoding="utf-8")
    return run_study(folder / "study.toml")
