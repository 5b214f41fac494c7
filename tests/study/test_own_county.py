"""Your own county in one afternoon: a synthetic county in the formats a county's bureaus
hand over, taken through `geo network build` -> `geo init` -> `geo check` -> `geo run`.

The county (示例县, built in tests/synthetic_county.py): six townships as a Shapefile in
CGCS2000 3-degree Gauss-Krüger zone 37 with the zone prefix (EPSG:4525) whose .dbf is GBK
without a .cpg; a county boundary from another source (WGS84 GeoJSON, 30 m larger all
round); the health commission's Excel list with Chinese headers and type names; a census
table (GBK CSV) with a 合计 row; roads as an OSM extract (.osm.pbf written with pyosmium):
a grid of township roads every 2 km with a national road across. Every expected value
below comes from this construction, not from geo's output.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.cli import main
from geo.errors import CheckError
from geo.study.checks import Check
from geo.study.prepare import check_study
from geo.study.run import run_study
from tests.synthetic_county import (
    FACILITIES,
    RESIDENTS,
    TOTAL,
    TOWNSHIPS,
    W,
    write_census,
    write_facilities_xlsx,
    write_osm,
    write_townships,
)


def make_county(folder: Path, *, drop: str | None = None, grow: str | None = None,
                roads_east_m: float = 3 * W, gcj: bool = False) -> Path:
    """The county's files, and its road network built as docs/own-county.md says."""
    folder.mkdir(parents=True)
    write_townships(folder, drop, grow)
    write_facilities_xlsx(folder, gcj)
    write_census(folder)
    pbf = folder.parent / f"{folder.name}-roads.osm.pbf"  # the extract, outside the folder
    write_osm(pbf, roads_east_m)
    assert main(["network", "build", str(pbf), "--out", str(folder / "roads.npz")]) == 0
    return folder


def _init(folder: Path) -> Path:
    assert main(["init", str(folder)]) == 0
    return folder / "study.toml"


def _accept(study: Path, *keys: str) -> None:
    text = study.read_text(encoding="utf-8")
    study.write_text(text + f"\n[checks]\naccept = {list(keys)!r}\n".replace("'", '"'),
                     encoding="utf-8")


# --------------------------------------------------------------------------- the walkthrough


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_county(tmp_path_factory.mktemp("own") / "示例县")


def test_init_finds_every_input(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = _init(county)
    raw = tomllib.loads(study.read_text(encoding="utf-8"))
    assert raw["area"]["boundary"] == "县界.geojson"
    fac = raw["facilities"]
    assert fac["path"] == "医疗机构名单.xlsx"
    assert (fac["type_col"], fac["name_col"]) == ("机构类型", "机构名称")
    assert (fac["lon_col"], fac["lat_col"], fac["crs"]) == ("经度", "纬度", "wgs84")
    assert raw["townships"] == {"boundaries": "乡镇界线.shp", "name_col": "乡镇名称"}
    assert raw["roads"]["path"] == "roads.npz"
    pop = raw["population"]
    assert pop == {"path": "第七次人口普查_乡镇.csv", "table_key": "乡镇名称",
                   "count_col": "常住人口", "method": "table"}
    text = study.read_text(encoding="utf-8")
    assert "EPSG:4525" in text and "gb18030" in text and "'合计'" in text
    assert "户籍人口" in text  # the other count column is named, with how to use it
    # never overwritten without --force
    assert main(["init", str(county)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["init", str(county), "--force"]) == 0


def test_check_passes_with_a_checklist(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = _init_once(county)
    capsys.readouterr()
    assert main(["check", str(study)]) == 0
    printed = capsys.readouterr().out
    assert "✗" not in printed
    assert "✓ township names: 6 townships; the names agree" in printed
    assert "8 facilities" in printed and "township_health_center 4" in printed
    assert f"{TOTAL:,} people" in printed
    # the 30 m sliver between the county boundary and the townships is no gap
    assert "✓ township gaps: none;" in printed and "slivers thinner than 400 m" in printed
    assert "✓ township overlaps: none" in printed
    assert "✓ road coverage: 0 people" in printed  # nobody beyond 5 km: roads every 2 km
    assert "coordinate system of the facilities" in printed and "the declared system fits" \
        in printed
    assert "乡镇界线.shp: 6 features converted from EPSG:4525" in printed


def _init_once(county: Path) -> Path:
    study = county / "study.toml"
    return study if study.exists() else _init(county)


def test_run_end_to_end(county: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = _init_once(county)
    out = county / "out"
    assert main(["run", str(study), "--out", str(out)]) == 0
    table = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig")
    # names intact (GBK .dbf without .cpg), in 12-digit code order
    order = [t[0] for t in sorted(TOWNSHIPS, key=lambda t: t[1])]
    assert list(dict.fromkeys(table["township"])) == order
    for _, grp in table.groupby("standard"):  # exactly the census, township by township
        assert dict(zip(grp["township"], grp["population"], strict=True)) == RESIDENTS
    fac = gpd.read_file(out / "results.gpkg", layer="facilities")
    assert dict(zip(fac["name"], fac["type"], strict=True)) == {f[0]: f[4] for f in FACILITIES}
    assert set(fac["type_input"]) == {f[1] for f in FACILITIES}
    summary = (out / "run_summary.txt").read_text(encoding="utf-8")
    for said in ("乡镇界线.shp: 6 features converted from EPSG:4525",
                 "CGCS2000 coordinates taken as WGS84",
                 "text of 乡镇界线.dbf read as GB18030 (GBK)",
                 "total row '合计'", "第七次人口普查_乡镇.csv read as GB18030",
                 "facility types read from names: 县人民医院 → county_general_hospital"):
        assert said in summary, said
    meta = gpd.read_file(out / "results.gpkg", layer="metadata")
    values = "\n".join(meta["value"].astype(str))
    assert "converted from EPSG:4525" in values and "road_coverage\tok" in values


# --------------------------------------------------------------------------- what stops


def _stops(study: Path) -> dict[str, Check]:
    return {c.key: c for c in check_study(study).checks if c.stops}


def test_missing_township_polygon_stops_naming_it(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    study = _init(make_county(tmp_path / "c", drop="南岭镇"))
    stops = _stops(study)
    names = stops["township_names"].message
    assert "names 1 township(s) not in the township polygons: '南岭镇'" in names
    gap = stops["township_gaps"]
    # 10 km x 9.03 km (with the 30 m strip along the county edge), less the rounded corners
    # of the sliver filter (4 (1 - pi/4) 0.2² km²): 90.27 km² in the Gauss-Krüger plane;
    # the check measures in UTM, whose scale differs here by 0.08 %
    assert gap.numbers["km2"] == pytest.approx(90.27, abs=0.1)
    # its three neighbours along a border; 中和镇 and 新民乡 touch it at a corner only
    assert "km² next to 东山镇, 西河乡, 北坡乡;" in gap.message
    assert np.isnan(gap.numbers["people"])  # unknown: the census cannot be joined
    assert main(["check", str(study)]) == 2
    assert main(["run", str(study), "--out", str(tmp_path / "o")]) == 2
    assert "南岭镇" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_overlapping_polygons_stop_and_may_be_accepted(tmp_path: Path) -> None:
    study = _init(make_county(tmp_path / "c", grow="东山镇"))  # 2 km into 南岭镇
    with pytest.raises(CheckError) as info:
        run_study(study)
    # 2 km x 9 km, less the rounded corners of the sliver filter ((4 - pi) x 0.2² km²)
    assert "东山镇 and 南岭镇 overlap by 18.0 km² (counted in 东山镇 only)" in str(info.value)
    assert 'accept = ["township_overlaps"]' in str(info.value)
    _accept(study, "township_overlaps")
    done = run_study(study)
    assert any("township overlaps" in a and "accepted" in a for a in done.assumptions)
    pop = done.coverage.groupby("township")["population"].first()
    assert pop.to_dict() == RESIDENTS  # the census still holds exactly


def test_roads_of_a_third_of_the_county_stop_with_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = _init(make_county(tmp_path / "c", roads_east_m=W))  # the western column only
    stop = _stops(study)["road_coverage"]
    # beyond 5 km: the eastern column (x > 20 km) entirely, the middle one (10-20 km) for
    # about its eastern half; roads end at x = 10 km, within 1 km of every row
    east = sum(t[4] for t in TOWNSHIPS if t[2] == 2)
    middle = sum(t[4] for t in TOWNSHIPS if t[2] == 1)
    assert (east + 0.4 * middle) / TOTAL < stop.numbers["share"] < (east + 0.6 * middle) / TOTAL
    assert f"{stop.numbers['share']:.1%}" in stop.message and "10% limit" in stop.message
    assert "road_extent" not in _stops(study)  # nobody is 20 km from a road
    _accept(study, "road_coverage")
    out = tmp_path / "o"
    assert main(["run", str(study), "--out", str(out)]) == 0
    summary = (out / "run_summary.txt").read_text(encoding="utf-8")
    assert "road coverage:" in summary and "(accepted with [checks] accept)" in summary
    meta = gpd.read_file(out / "results.gpkg", layer="metadata")
    assert any(v.startswith("road_coverage\tstop\taccepted") for v in meta["value"].astype(str))
    table = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig")
    assert table["basis"].str.contains("road coverage").all()


def test_gcj02_positions_declared_wgs84_are_flagged(tmp_path: Path) -> None:
    study = _init(make_county(tmp_path / "c", gcj=True))
    crs = next(c for c in check_study(study).checks if c.key == "crs_facilities")
    assert crs.status == "warn" and "look like GCJ-02" in crs.message
    assert crs.numbers["median_other_m"] < 1.0 < 300 < crs.numbers["median_declared_m"]
    assert '[facilities] crs = "gcj02"' in crs.fix
    fixed = study.read_text(encoding="utf-8").replace('crs = "wgs84"', 'crs = "gcj02"')
    study.write_text(fixed, encoding="utf-8")
    done = run_study(study)
    assert any(c.key == "crs_facilities" and c.status == "ok" for c in done.checks)
    moved = [a for a in done.assumptions if "医疗机构名单.xlsx: 8 positions converted from "
             "GCJ-02" in a]
    assert moved, done.assumptions


def test_check_reports_an_unreadable_stage_and_goes_on(tmp_path: Path) -> None:
    folder = make_county(tmp_path / "c")
    study = _init(folder)
    (folder / "roads.npz").write_bytes(b"not a cache")
    found = {c.key: c for c in check_study(study).checks}
    assert found["networks"].status == "stop" and "roads.npz" in found["networks"].message
    assert found["facilities"].status == "ok"  # independent of the roads: still checked
    assert found["townships"].status == "note" and "not checked" in found["townships"].message


def test_layers_are_read_as_a_bureau_wrote_them(county: Path) -> None:
    """The fixture itself: GBK .dbf without .cpg, Gauss-Krüger with the zone prefix."""
    assert not (county / "乡镇界线.cpg").exists()
    raw = (county / "乡镇界线.dbf").read_bytes()
    assert "东山镇".encode("gbk") in raw and "东山镇".encode() not in raw
    info = pyogrio.read_info(county / "乡镇界线.shp")
    assert info["crs"].endswith("4525") and info["total_bounds"][0] > 37e6
