"""The own-county walkthrough on files shaped as a statistics bureau, a health commission
and a transport bureau hand them over, built from the project's own data/ for 柳城县:

- township polygons: Voronoi cells of the real township seats clipped to the real county
  (a stand-in: no public township boundaries exist), a Shapefile in CGCS2000 3-degree
  Gauss-Krüger zone 36 with the zone prefix (EPSG:4524), GBK without a .cpg, in a subfolder;
- the facility list: a workbook (sheet 机构名录) with 单位名称/机构类别 and surveyors' X
  (northing) / Y (easting) columns, no ids;
- the census: a workbook with a title row and a blank row above 乡镇（街道）/常住人口（人）,
  and a 总计 row;
- roads: the Liuzhou backbone with its classes in Chinese under 道路等级.

Expected values come from this construction (the census counts written, the positions
converted back with pyproj), not from geo's output.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geo.cli import main
from tests.conftest import DATA

GK = "EPSG:4524"  # CGCS2000 / 3-degree Gauss-Kruger zone 36, with the zone prefix
CLASSES = {"motorway": "高速公路", "trunk": "国道", "primary": "省道"}


def _county(folder: Path) -> tuple[dict[str, int], pd.DataFrame]:
    """Write the county's files; return the census by township and the facility table."""
    (folder / "边界").mkdir(parents=True)
    county = gpd.read_file(DATA / "boundaries" / "liuzhou_counties.geojson")
    county = county[county["name"] == "柳城县"]
    seats = pd.read_csv(DATA / "boundaries" / "liuzhou_township_seats.csv")
    seats = seats[seats["county"] == "柳城县"].reset_index(drop=True)
    area = county.to_crs(GK).geometry.iloc[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(seats["wgs84_lon"], seats["wgs84_lat"]),
                        crs=4326).to_crs(GK)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(pts)), extend_to=area.buffer(5000))
    polys = [next(c for c in cells.geoms if c.contains(p)).intersection(area) for p in pts]
    names = [str(t) for t in seats["township"]]
    gpd.GeoDataFrame({"XZMC": names, "XZDM": seats["nbs_code_2016"].astype(str)},
                     geometry=polys, crs=GK).to_file(folder / "边界" / "乡镇界线.shp",
                                                     encoding="gbk", engine="pyogrio")
    (folder / "边界" / "乡镇界线.cpg").unlink(missing_ok=True)

    rng = np.random.default_rng(7)
    total = int(county["population_2020"].iloc[0])
    share = rng.lognormal(0, 0.5, len(names))
    people = np.floor(share / share.sum() * total).astype(int)
    people[0] += total - people.sum()
    with pd.ExcelWriter(folder / "柳城县七普乡镇人口.xlsx") as xw:
        pd.DataFrame([["柳城县第七次全国人口普查各乡镇常住人口"]]).to_excel(
            xw, index=False, header=False)
        pd.DataFrame({"乡镇（街道）": [*names, "总计"],
                      "常住人口（人）": [*people.tolist(), total]}).to_excel(
            xw, index=False, startrow=2)

    fac = pd.DataFrame({"单位名称": [f"{n}卫生院" for n in names], "机构类别": "乡镇卫生院",
                        "X": np.round(pts.y + 150.0, 2), "Y": np.round(pts.x - 120.0, 2)})
    fac.loc[0, ["单位名称", "机构类别"]] = ["柳城县人民医院", "县人民医院"]
    fac.to_excel(folder / "医疗卫生机构名录.xlsx", index=False, sheet_name="机构名录")

    roads = gpd.read_file(DATA / "roads" / "liuzhou_backbone.geojson")
    roads["道路等级"] = roads.pop("highway").map(CLASSES)
    roads.to_file(folder.parent / "柳州市道路.geojson")
    return dict(zip(names, people.tolist(), strict=True)), fac


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int], pd.DataFrame]:
    county = tmp_path_factory.mktemp("bureau") / "my_county"
    census, fac = _county(county)
    assert main(["network", "build", str(county.parent / "柳州市道路.geojson"), "--out",
                 str(county / "roads.npz")]) == 0
    assert main(["init", str(county)]) == 0
    return county, census, fac


def test_init_reads_the_bureaus_files(walked: tuple[Path, dict[str, int], pd.DataFrame]) -> None:
    county, _, _ = walked
    raw = tomllib.loads((county / "study.toml").read_text(encoding="utf-8"))
    assert raw["population"] == {"path": "柳城县七普乡镇人口.xlsx", "table_key": "乡镇（街道）",
                                 "count_col": "常住人口（人）", "method": "table"}
    fac = raw["facilities"]
    assert (fac["crs"], fac["x_col"], fac["y_col"]) == ("EPSG:4524", "Y", "X")
    assert raw["townships"] == {"boundaries": "边界/乡镇界线.shp", "name_col": "XZMC"}
    text = (county / "study.toml").read_text(encoding="utf-8")
    assert "the header is row 3" in text and "'总计'" in text


def test_check_then_run(walked: tuple[Path, dict[str, int], pd.DataFrame],
                        capsys: pytest.CaptureFixture[str]) -> None:
    county, census, fac = walked
    study = county / "study.toml"
    capsys.readouterr()
    # the backbone leaves many people beyond 5 km of a road: that one check stops, with the fix
    assert main(["check", str(study)]) == 2
    printed = capsys.readouterr().out
    assert [ln[:16] for ln in printed.splitlines() if ln.startswith("✗")] == ["✗ road coverage:"]
    assert 'accept = ["road_coverage"]' in printed
    study.write_text(study.read_text(encoding="utf-8")
                     + '\n[checks]\naccept = ["road_coverage"]\n', encoding="utf-8")
    out = county / "out"
    assert main(["run", str(study), "--out", str(out)]) == 0
    table = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig")
    for _, grp in table.groupby("standard"):  # the census, township by township
        assert dict(zip(grp["township"], grp["population"], strict=True)) == census
    # the facilities where the survey columns put them (X northing, Y easting)
    got = gpd.read_file(out / "results.gpkg", layer="facilities")
    lon, lat = Transformer.from_crs(GK, 4326, always_xy=True).transform(fac["Y"], fac["X"])
    np.testing.assert_allclose(got.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(got.geometry.y, lat, atol=1e-7)
    summary = (out / "run_summary.txt").read_text(encoding="utf-8")
    for said in ("the header is row 3; the 2 row(s) above it were skipped as a title",
                 "total row '总计'", "road classes read from column '道路等级'",
                 "国道 → trunk", "乡镇界线.shp: 12 features converted from EPSG:4524"):
        assert said in summary, said
