"""Input checks (geo.study.checks) on inputs small enough to work out by hand, the one
point-in-polygon rule, and the checks wired into run_study and `geo check`."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import settings
from geo.cli import main
from geo.coverage.population import from_zone_table
from geo.coverage.townships import assign_to_polygons, polygon_of_points
from geo.crs import gcj02_to_bd09, gcj02_to_wgs84, wgs84_to_gcj02
from geo.errors import CheckError, StudyError
from geo.study import checks
from geo.study.checks import Check
from geo.study.run import run_study
from geo.study.schema import load_study
from tests.conftest import ROOT

UTM = "EPSG:32649"
E, N = 400_000.0, 2_700_000.0


def _points(xy: list[tuple[float, float]], pop: list[float] | None = None) -> gpd.GeoDataFrame:
    g = gpd.GeoDataFrame({"demand_id": range(len(xy)), "cell_area_km2": 1.0},
                         geometry=[Point(E + x, N + y) for x, y in xy], crs=UTM).to_crs(4326)
    if pop is not None:
        g["population"] = pop
    return g


def _polys(rows: list[tuple[str, tuple[float, float, float, float]]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"township": [n for n, _ in rows]},
                            geometry=[box(E + a, N + b, E + c, N + d) for _, (a, b, c, d) in rows],
                            crs=UTM).to_crs(4326)


# --------------------------------------------------------------------------- roads


def test_road_coverage_counts_people_beyond_the_limits() -> None:
    # four places: 1 km, 6 km, 6 km and 25 km from a road, with 10, 20, 30 and 40 people
    found = {c.key: c for c in checks.road_coverage(np.array([1e3, 6e3, 6e3, 25e3]),
                                                   np.array([10.0, 20, 30, 40]))}
    ext, cov = found["road_extent"], found["road_coverage"]
    assert ext.numbers["people"] == 40 and ext.numbers["share"] == pytest.approx(0.4)
    assert cov.numbers["people"] == 90 and cov.numbers["points"] == 3
    assert ext.status == cov.status == "stop"  # 40 % > 5 %, 90 % > 10 %
    assert "90 people (90.0%; 3 demand points)" in cov.message
    assert 'accept = ["road_coverage"]' in cov.fix


def test_road_coverage_limits_are_strictly_above() -> None:
    # exactly 10 % beyond 5 km and 5 % beyond 20 km: both still pass
    d = np.array([0.0] * 16 + [6e3, 25e3, 100.0])
    w = np.array([5.0] * 16 + [5.0, 5.0, 10.0])  # 100 people
    found = {c.key: c for c in checks.road_coverage(d, w)}
    assert found["road_coverage"].numbers["share"] == pytest.approx(0.10)
    assert found["road_extent"].numbers["share"] == pytest.approx(0.05)
    assert found["road_coverage"].status == found["road_extent"].status == "ok"


# --------------------------------------------------------------------------- townships


def test_gaps_and_overlaps_name_townships_km2_and_people() -> None:
    area = gpd.GeoDataFrame(geometry=[box(E, N, E + 6000, N + 3000)], crs=UTM).to_crs(4326)
    # A: 0-3 km, B: 2.5-4 km (overlaps A by 0.5 x 3 km = 1.5 km²), nothing over 4-6 km
    polys = _polys([("A镇", (0, 0, 3000, 3000)), ("B乡", (2500, 0, 4000, 3000))])
    pts = _points([(1000, 1500), (2750, 1500), (5000, 1500), (5500, 500)], [10, 20, 30, 40])
    found = {c.key: c for c in checks.township_layer(area, polys, pts,
                                                    pts["population"].to_numpy(), UTM)}
    gap, over = found["township_gaps"], found["township_overlaps"]
    # the 2 x 3 km gap less the sliver filter's rounded corners (4 (1 - pi/4) 0.2² km²)
    assert gap.status == "stop" and gap.numbers["km2"] == pytest.approx(6 - 0.0343, abs=1e-3)
    assert "6.0 km² next to B乡 (about 70 people)" in gap.message  # A touches it nowhere
    assert over.status == "stop" and over.numbers["km2"] == pytest.approx(1.5 - 0.0343, abs=1e-3)
    assert "A镇 and B乡 overlap by 1.5 km² (counted in A镇 only) (about 20 people)" in over.message
    assert 'accept = ["township_overlaps"]' in over.fix


def test_slivers_are_reported_not_stopped() -> None:
    # the area is 100 m wider than the townships on the east: a sliver, not a gap
    area = gpd.GeoDataFrame(geometry=[box(E, N, E + 4100, N + 3000)], crs=UTM).to_crs(4326)
    polys = _polys([("A镇", (0, 0, 2000, 3000)), ("B乡", (2000, 0, 4000, 3000))])
    pts = _points([(1000, 1500)], [1.0])
    found = {c.key: c for c in checks.township_layer(area, polys, pts, np.ones(1), UTM)}
    gap = found["township_gaps"]
    assert gap.status == "ok" and gap.numbers["sliver_km2"] == pytest.approx(0.3, rel=1e-3)
    assert "0.30 km² in slivers thinner than 400 m" in gap.message
    assert found["township_overlaps"].status == "ok"


def test_a_gap_below_one_km2_is_a_note() -> None:
    area = gpd.GeoDataFrame(geometry=[box(E, N, E + 4000, N + 3000)], crs=UTM).to_crs(4326)
    polys = _polys([("A镇", (0, 0, 2000, 3000)), ("B乡", (2000, 0, 4000, 2500))])  # 2 x 0.5 km
    found = {c.key: c for c in checks.township_layer(area, polys, _points([(1, 1)]),
                                                    np.ones(1), UTM)}
    assert found["township_gaps"].status == "note"
    assert found["township_gaps"].numbers["km2"] < settings.TOWNSHIP_GAP_MIN_KM2


def test_township_names_suggest_the_closest() -> None:
    check = checks.township_names(("the township polygons", ["鹿寨镇", "中渡镇", "拉沟乡"]),
                                  {"the table": (["鹿寨", "中渡镇", "拉沟乡 "], "stop")})
    assert check.status == "stop"
    assert "the table names 1 township(s) not in the township polygons: '鹿寨' (did you mean " \
           "'鹿寨镇'?)" in check.message
    assert "1 township(s) of the township polygons are not in the table: '鹿寨镇'" in check.message
    seats = checks.township_names(("the polygons", ["A"]), {"the seats": (["B"], "warn")})
    assert seats.status == "warn"
    ok = checks.township_names(("p", ["A", "B"]), {"t": ([" B", "A"], "stop")})
    assert ok.status == "ok" and "2 townships" in ok.message


# --------------------------------------------------------------------------- CRS


def _on_roads() -> tuple[np.ndarray, np.ndarray, gpd.GeoSeries]:
    """Eight places on an east-west road grid every 3 km (WGS84 truth)."""
    xy = [(E + 3000 * i, N + 3000 * (i % 2)) for i in range(8)]
    g = gpd.GeoSeries([Point(x, y) for x, y in xy], crs=UTM).to_crs(4326)
    return g.x.to_numpy(), g.y.to_numpy(), g


def _distance_to_rows(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Metres to the nearest east-west road y = N + 3 km k (by hand: |dy| to a multiple)."""
    y = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(UTM).y.to_numpy() - N
    return np.abs(y - 3000 * np.round(y / 3000))


def test_crs_plausibility_flags_gcj02_declared_as_wgs84() -> None:
    lon, lat, _ = _on_roads()
    glon, glat = wgs84_to_gcj02(lon, lat)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(glon, glat), crs=4326)
    pts.attrs["input_crs"] = "wgs84"  # AMap positions declared as WGS84
    check = checks.crs_plausibility("crs_facilities", "facilities", pts, _distance_to_rows,
                                    "[facilities] crs")
    assert check is not None and check.status == "warn"
    assert check.numbers["median_other_m"] < 1.0  # read as GCJ-02 they sit on the roads
    assert check.numbers["median_declared_m"] > 200  # the systematic offset here
    assert "look like GCJ-02 (AMap, Tencent), not WGS84" in check.message
    assert check.fix == 'check where they come from and set [facilities] crs = "gcj02" if so'


def test_crs_plausibility_accepts_the_right_declaration() -> None:
    lon, lat, _ = _on_roads()
    g = wgs84_to_gcj02(lon, lat)
    pts = gpd.GeoDataFrame({"input_lon": g[0], "input_lat": g[1]},
                           geometry=gpd.points_from_xy(*gcj02_to_wgs84(*g)), crs=4326)
    pts.attrs["input_crs"] = "gcj02"
    check = checks.crs_plausibility("crs_x", "x", pts, _distance_to_rows, "[facilities] crs")
    assert check is not None and check.status == "ok"
    b = gcj02_to_bd09(*g)  # BD-09 values declared as GCJ-02: BD-09 fits
    pts2 = pts.assign(input_lon=b[0], input_lat=b[1])
    pts2.attrs["input_crs"] = "gcj02"
    check2 = checks.crs_plausibility("crs_x", "x", pts2, _distance_to_rows, "[facilities] crs")
    assert check2 is not None and check2.status == "warn" and "BD-09" in check2.message


def test_crs_plausibility_needs_enough_points_and_skips_projected() -> None:
    lon, lat, _ = _on_roads()
    glon, glat = wgs84_to_gcj02(lon[:4], lat[:4])
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(glon, glat), crs=4326)
    pts.attrs["input_crs"] = "wgs84"
    few = checks.crs_plausibility("k", "x", pts, _distance_to_rows, "[facilities] crs")
    assert few is not None and few.status == "ok"  # 4 < CRS_MIN_POINTS: no warning
    pts.attrs["input_crs"] = "EPSG:4525"
    assert checks.crs_plausibility("k", "x", pts, _distance_to_rows, "[facilities] crs") is None


# --------------------------------------------------------------------------- accepting


def test_accept_raise_and_state() -> None:
    found = [Check("road_coverage", "road coverage", "stop", "48% far", fix="use roads"),
             Check("township_gaps", "township gaps", "stop", "3 km² gap", fix="fix it"),
             Check("crs_facilities", "crs", "warn", "looks GCJ", fix="set crs"),
             Check("area", "area", "ok", "fine")]
    with pytest.raises(CheckError) as info:
        checks.raise_stops(found)
    assert "2 input check(s) stop the run" in str(info.value)
    assert "- road coverage: 48% far: use roads" in str(info.value)
    accepted = checks.accept(found, ["road_coverage"])
    with pytest.raises(CheckError) as info2:
        checks.raise_stops(accepted)
    assert "1 input check(s)" in str(info2.value) and "road coverage" not in str(info2.value)
    checks.raise_stops(checks.accept(found, ["road_coverage", "township_gaps"]))
    assert checks.stated(accepted) == ["road coverage: 48% far (accepted with [checks] accept)",
                                       "crs: looks GCJ: set crs"]
    assert accepted[0].line.startswith("! road coverage: 48% far (accepted")
    assert [checks.from_record(c.record()) for c in accepted] == [
        Check(c.key, c.title, c.status, c.message, accepted=c.accepted, fix=c.fix)
        for c in accepted]


def test_accept_keys_are_checked(tmp_path: Path) -> None:
    text = (ROOT / "analysis" / "luzhai.toml").read_text(encoding="utf-8").replace(
        '"../', f'"{ROOT.as_posix()}/').replace('"standards.toml"', '"' + (
            ROOT / "analysis" / "standards.toml").as_posix() + '"')
    bad = tmp_path / "s.toml"
    bad.write_text(text.replace('accept = ["road_coverage"]', 'accept = ["road_covrage"]'),
                   encoding="utf-8")
    with pytest.raises(StudyError, match=r"did you mean 'road_coverage'"):
        load_study(bad)
    strict = tmp_path / "strict.toml"
    strict.write_text(text.replace('accept = ["road_coverage"]', "accept = []"),
                      encoding="utf-8")
    with pytest.raises(CheckError, match=r"road coverage: 163,770 people \(48\.6%"):
        run_study(strict)


# --------------------------------------------------------------------------- one rule


def test_one_point_in_polygon_rule() -> None:
    # A and B share the edge x = 2 km and overlap over 3-4 km (B listed first there? no: A)
    polys = _polys([("A", (0, 0, 4000, 2000)), ("B", (2000, 0, 6000, 2000))])
    pts = _points([(1000, 1000), (2000, 1000), (3000, 1000), (5000, 1000), (7000, 1000)])
    pos, outside = polygon_of_points(pts, polys, UTM)
    # inside A; on the shared edge and in the overlap: the first listed (A); inside B only;
    # in none: the nearest (B), flagged
    assert pos.tolist() == [0, 0, 0, 1, 1] and outside.tolist() == [False] * 4 + [True]
    names, n_out = assign_to_polygons(pts, polys, UTM)
    assert names.tolist() == ["A", "A", "A", "B", "B"] and n_out == 1
    strict, _ = polygon_of_points(pts, polys, UTM, nearest=False)
    assert strict.tolist() == [0, 0, 0, 1, -1]
    # the population table uses the same rule: A's 300 people over its three points, B's
    # 100 over its one; the point in no polygon gets none
    table = pd.DataFrame({"t": ["A", "B"], "n": [300, 100]})
    demand = from_zone_table(pts, polys.rename(columns={"township": "t"}), table,
                             zone_key="t", table_key="t", count_col="n")
    assert demand["population"].tolist() == [100.0, 100.0, 100.0, 100.0, 0.0]


def test_table_populations_equal_the_table_with_shared_edges(tmp_path: Path) -> None:
    """Official polygons whose shared edges run through demand points: each township's
    population in the coverage table equals its row exactly."""
    folder = tmp_path / "c"
    folder.mkdir()
    # Luzhai's area cut into three vertical strips at the county's own grid lines
    area = gpd.read_file(ROOT / "data" / "boundaries" / "luzhai_county.geojson").to_crs(UTM)
    x0, y0, x1, y1 = area.total_bounds
    g = np.floor(x0 / 500) * 500 + 250  # the x of the 500 m grid's demand points
    cuts = [x0 - 1, g + 50 * 500, g + 80 * 500, x1 + 1]  # edges through demand points
    strips = [box(a, y0 - 1, b, y1 + 1).intersection(area.union_all())
              for a, b in itertools.pairwise(cuts)]
    gpd.GeoDataFrame({"name": ["西乡", "中镇", "东乡"]}, geometry=strips, crs=UTM).to_file(
        folder / "towns.gpkg")
    counts = {"西乡": 123_457, "中镇": 98_765, "东乡": 115_076}
    pd.DataFrame({"township": list(counts), "population": list(counts.values())}).to_csv(
        folder / "pop.csv", index=False)
    text = (ROOT / "analysis" / "luzhai.toml").read_text(encoding="utf-8")
    text = re.sub(r"\[townships\].*?\n\[roads\]", '[townships]\nboundaries = "towns.gpkg"\n'
                  "\n[roads]", text, flags=re.S)
    text = re.sub(r"\[population\].*?\n\[standards\]", '[population]\nmethod = "table"\n'
                  'path = "pop.csv"\ngrid_spacing_m = 500\n\n[standards]', text, flags=re.S)
    text = text.replace('"../', f'"{ROOT.as_posix()}/').replace(
        '"standards.toml"', '"' + (ROOT / "analysis" / "standards.toml").as_posix() + '"')
    (folder / "s.toml").write_text(text, encoding="utf-8")
    done = run_study(folder / "s.toml")
    for _, grp in done.coverage.groupby("standard"):
        assert dict(zip(grp["township"], grp["population"], strict=True)) == counts


# --------------------------------------------------------------------------- wiring


def test_geo_check_on_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(ROOT / "analysis" / "luzhai.toml")]) == 0
    printed = capsys.readouterr().out
    assert "! road coverage: 163,770 people (48.6%" in printed and "(accepted" in printed
    assert "✓ road layer extent: 3,636 people (1.1%" in printed
    assert "no check stops the run" in printed


def test_facility_name_column(tmp_path: Path) -> None:
    from geo.errors import ColumnError
    from geo.study import inputs

    text = (ROOT / "analysis" / "luzhai.toml").read_text(encoding="utf-8").replace(
        '"../', f'"{ROOT.as_posix()}/').replace('file = "standards.toml"', "")
    study = tmp_path / "s.toml"  # no standards.toml beside it: geo's own is used
    for col, want in (("name_en", "Luzhai County People's Hospital"), ("名称x", None)):
        study.write_text(text.replace('id_col = "id"', f'id_col = "id"\nname_col = "{col}"'),
                         encoding="utf-8")
        cfg = load_study(study)
        area = inputs.area(cfg)
        if want is None:
            with pytest.raises(ColumnError, match=r"no column '名称x'.*\[facilities\] name_col"):
                inputs.facilities(cfg, area, inputs.standards(cfg))
            continue
        fac = inputs.facilities(cfg, area, inputs.standards(cfg))
        assert fac.loc[fac["id"] == "LZ-H01", "name"].item() == want
        assert fac.loc[fac["id"] == "LZ-H01", "name_original"].item() == "鹿寨县人民医院"
