"""Hazard rasters and landslide points: the road segments they close, worked out by hand.

The county is the synthetic 示例县 (tests/synthetic_county.py): north-south township roads at
x = X0 + 1000 + 2000 i, east-west ones at y = Y0 + 1000 + 2000 j (the national road G323 at
j = 4, y = Y0 + 9000), vertices every 500 m, in Gauss-Krüger metres (EPSG:4525). The rasters
are written here with rasterio, 100 m cells whose edges lie 50 m off every road (so a road runs
through the middle of a cell), and the segments each cell closes are listed from that
construction: a segment is closed when its line crosses or touches a hazardous cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import from_origin

from geo.errors import CoordinateError, InputFileError
from geo.network.graph import Network
from geo.planning.compare import compare
from geo.planning.hazard import hazard_comparison, read_hazard
from geo.planning.road_changes import change_roads
from geo.study.run import ComputedStudy
from tests.bad_inputs.county import road_study
from tests.synthetic_county import GK, TO_WGS84, X0, Y0

CELL = 100.0
LEFT, TOP = X0 - 50.0, Y0 + 18_050.0  # cell edges 50 m off the roads
NCOL, NROW = 310, 182
NODATA = -9999.0


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> ComputedStudy:
    return road_study(tmp_path_factory.mktemp("hazard") / "示例县")


def _cell(x: float, y: float) -> tuple[int, int]:
    """Row and column of the cell holding the Gauss-Krüger point ``x, y`` (metres)."""
    return int((TOP - y) // CELL), int((x - LEFT) // CELL)


def _raster(path: Path, cells: dict[tuple[float, float], float], crs: str | None = GK,
            fill: float = 0.0) -> Path:
    """A depth GeoTIFF of ``fill`` with the cells holding the given points set."""
    data = np.full((NROW, NCOL), fill, dtype=np.float32)
    for (dx, dy), value in cells.items():
        data[_cell(X0 + dx, Y0 + dy)] = value
    with rasterio.open(path, "w", driver="GTiff", width=NCOL, height=NROW, count=1,
                       dtype="float32", crs=crs, nodata=NODATA,
                       transform=from_origin(LEFT, TOP, CELL, CELL)) as dst:
        dst.write(data, 1)
    return path


def _segments(net: Network, ends: Sequence[tuple[tuple[int, int], tuple[int, int]]]
              ) -> np.ndarray:
    """The segments of ``net`` between the given ends (offsets from X0, Y0 in metres)."""
    tr = Transformer.from_crs(net.crs, GK, always_xy=True)
    x, y = tr.transform(net.node_xy[:, 0], net.node_xy[:, 1])
    key = {(round(float(a) - X0), round(float(b) - Y0)): i
           for i, (a, b) in enumerate(zip(x, y, strict=True))}
    want = np.zeros(len(net.seg_u), dtype=bool)
    pairs = {(key[a], key[b]) for a, b in ends} | {(key[b], key[a]) for a, b in ends}
    for s, (u, v) in enumerate(zip(net.seg_u, net.seg_v, strict=True)):
        want[s] = (int(u), int(v)) in pairs
    assert want.sum() == len(ends)
    return want


def _closed(county: ComputedStudy, comp_or_actions) -> np.ndarray:  # type: ignore[no-untyped-def]
    actions = comp_or_actions.scenario.actions
    return change_roads(actions, county.networks).closed["drive"]


#: the hand-worked raster: each point's cell and the segments it closes
TRUNK_MID = (10_200.0, 9000.0)  # on G323 between its vertices at 10,000 and 10,500
AT_THRESHOLD = (1000.0, 3250.0)  # on the road x = X0 + 1000, between 3,000 and 3,500
BELOW = (20_200.0, 9000.0)  # on G323, 0.49 m: below 0.5
NODATA_CELL = (5200.0, 9000.0)  # on G323, nodata: not hazardous
JUNCTION = (13_000.0, 5000.0)  # the crossing of x = X0 + 13,000 and y = Y0 + 5,000
CLOSED = [((10_000, 9000), (10_500, 9000)), ((1000, 3000), (1000, 3500)),
          ((13_000, 4500), (13_000, 5000)), ((13_000, 5000), (13_000, 5500)),
          ((12_500, 5000), (13_000, 5000)), ((13_000, 5000), (13_500, 5000))]


def test_a_raster_closes_the_segments_crossing_cells_at_or_above_the_threshold(
        county: ComputedStudy, tmp_path: Path) -> None:
    tif = _raster(tmp_path / "depth.tif", {TRUNK_MID: 1.2, AT_THRESHOLD: 0.5, BELOW: 0.49,
                                           NODATA_CELL: NODATA, JUNCTION: 3.0})
    comp = hazard_comparison(county, [tif], threshold=0.5)
    want = _segments(county.networks["drive"], CLOSED)
    assert np.array_equal(_closed(county, comp), want)
    lines = comp.closed_roads
    assert lines is not None and len(lines) == 6 and (lines["change"] == "closed").all()
    assert lines["length_m"].sum() == pytest.approx(3000.0, rel=1e-3)  # UTM scale
    assert comp.hazard is not None and list(comp.hazard["kind"]) == ["raster"]
    # 3 hazardous cells of 100 m (1.2, 0.5 and 3.0 m): their union, back in Gauss-Krüger
    area = comp.hazard.to_crs(GK).area.sum()
    assert area == pytest.approx(3 * CELL * CELL, rel=1e-6)
    notes = " ".join(comp.notes)
    assert "raster cells >= 0.5 hazardous (3 cells under the roads)" in notes
    assert re.search(r"depth\.tif: 1 of [\d,]+ cells under the study's roads are nodata", notes)


def test_the_same_cells_as_a_polygon_give_the_same_comparison(
        county: ComputedStudy, tmp_path: Path) -> None:
    tif = _raster(tmp_path / "depth.tif", {TRUNK_MID: 1.2, JUNCTION: 3.0})
    comp = hazard_comparison(county, [tif], threshold=0.5)
    boxes = []
    for dx, dy in (TRUNK_MID, JUNCTION):
        r, c = _cell(X0 + dx, Y0 + dy)
        x0, y1 = LEFT + c * CELL, TOP - r * CELL
        boxes.append(shapely.box(x0, y1 - CELL, x0 + CELL, y1))
    poly = gpd.GeoDataFrame(geometry=boxes, crs=GK)
    poly.to_file(tmp_path / "cells.gpkg")
    by_polygon = hazard_comparison(county, [tmp_path / "cells.gpkg"])
    for std in comp.minutes_after:
        np.testing.assert_array_equal(comp.minutes_after[std], by_polygon.minutes_after[std])
    assert (comp.minutes_after["primary_care_30min"] !=
            comp.minutes_before["primary_care_30min"]).any()


def test_a_raster_in_lon_lat_is_reprojected(county: ComputedStudy, tmp_path: Path) -> None:
    lon, lat = TO_WGS84.transform(X0 + 10_250.0, Y0 + 9000.0)
    step = 0.0005  # about 50 m: the cell lies inside the segment 10,000-10,500 of G323
    data = np.zeros((3, 3), dtype=np.float32)
    data[1, 1] = 2.0
    with rasterio.open(tmp_path / "wgs.tif", "w", driver="GTiff", width=3, height=3, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(lon - 1.5 * step, lat + 1.5 * step, step,
                                             step)) as dst:
        dst.write(data, 1)
    h = read_hazard(tmp_path / "wgs.tif", county, threshold=1.0)
    got = change_roads([{"action": "close_road", "geometry": h.extent.geometry.iloc[0]}],
                       county.networks).closed["drive"]
    want = _segments(county.networks["drive"], [((10_000, 9000), (10_500, 9000))])
    assert np.array_equal(got, want)
    # the cell, taken back to Gauss-Krüger metres, is the cell drawn in degrees
    cell = shapely.box(lon - 0.5 * step, lat - 0.5 * step, lon + 0.5 * step, lat + 0.5 * step)
    gk = gpd.GeoSeries([shapely.segmentize(cell, step / 100)], crs=4326).to_crs(GK)
    assert h.extent.to_crs(GK).symmetric_difference(gk).area.sum() < 0.01


def test_a_raster_in_gcj02_without_crs_is_read_with_hazard_crs(county: ComputedStudy,
                                                                 tmp_path: Path) -> None:
    from geo.crs import wgs84_to_gcj02

    lon, lat = TO_WGS84.transform(X0 + 10_250.0, Y0 + 9000.0)
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))  # ~500 m off in Guangxi
    step = 0.0005
    data = np.zeros((3, 3), dtype=np.float32)
    data[1, 1] = 2.0
    with rasterio.open(tmp_path / "amap.tif", "w", driver="GTiff", width=3, height=3, count=1,
                       dtype="float32", transform=from_origin(glon - 1.5 * step,
                                                              glat + 1.5 * step, step,
                                                              step)) as dst:
        dst.write(data, 1)
    h = read_hazard(tmp_path / "amap.tif", county, threshold=1.0, crs="gcj02")
    got = change_roads([{"action": "close_road", "geometry": h.extent.geometry.iloc[0]}],
                       county.networks).closed["drive"]
    want = _segments(county.networks["drive"], [((10_000, 9000), (10_500, 9000))])
    assert np.array_equal(got, want)
    assert "read in --hazard-crs gcj02" in " ".join(h.notes)


def test_landslide_points_buffered_close_the_roads_within_the_radius(
        county: ComputedStudy, tmp_path: Path) -> None:
    x, y = X0 + 13_000.0, Y0 + 5000.0  # the junction
    gpd.GeoDataFrame({"note": ["示意 (illustrative)"]}, geometry=[shapely.Point(x, y)],
                     crs=GK).to_file(tmp_path / "slides.gpkg")
    h = read_hazard(tmp_path / "slides.gpkg", county, buffer_m=100.0)
    assert h.kind == "points" and h.said == "示意 (illustrative)"
    got = change_roads([{"action": "close_road", "geometry": h.extent.geometry.iloc[0]}],
                       county.networks).closed["drive"]
    assert np.array_equal(got, _segments(county.networks["drive"], CLOSED[2:]))
    # 64-sided circle of 100 m: area 64/2 r² sin(2π/64), measured in Gauss-Krüger metres
    ring = 32 * 100.0 ** 2 * np.sin(2 * np.pi / 64)
    assert h.extent.to_crs(GK).area.iloc[0] == pytest.approx(ring, rel=2e-3)
    # a table with a buffer_m column: 750 m around a point 700 m north of G323 at 10,200
    # reaches G323 within 10,200 ± √(750² - 700²) = ± 269 m (9,931-10,469), and no other road
    # (the nearest, x = 11,000, is 800 m away)
    lon, lat = TO_WGS84.transform(X0 + 10_200.0, Y0 + 9700.0)
    pd.DataFrame({"lon": [lon], "lat": [lat], "buffer_m": [750]}).to_csv(
        tmp_path / "slides.csv", index=False)
    h = read_hazard(tmp_path / "slides.csv", county)
    got = change_roads([{"action": "close_road", "geometry": h.extent.geometry.iloc[0]}],
                       county.networks).closed["drive"]
    want = [((9500, 9000), (10_000, 9000)), ((10_000, 9000), (10_500, 9000))]
    assert np.array_equal(got, _segments(county.networks["drive"], want))


def test_a_flood_and_landslide_points_combine_in_one_scenario(
        county: ComputedStudy, tmp_path: Path) -> None:
    tif = _raster(tmp_path / "depth.tif", {TRUNK_MID: 1.2})
    gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 13_000.0, Y0 + 5000.0)], crs=GK).to_file(
        tmp_path / "slides.geojson")
    comp = hazard_comparison(county, [tif, tmp_path / "slides.geojson"], threshold=[0.5],
                             buffer_m=100.0)
    want = _segments(county.networks["drive"], [CLOSED[0], *CLOSED[2:]])
    assert np.array_equal(_closed(county, comp), want)
    assert comp.hazard is not None and list(comp.hazard["kind"]) == ["raster", "points"]
    assert list(comp.applied.changes["project"]) == ["depth.tif", "slides.geojson"]


@pytest.mark.parametrize(("cells", "kwargs", "error", "words"), [
    ({TRUNK_MID: 1.2}, {}, InputFileError, "needs --threshold"),
    ({TRUNK_MID: 0.2}, {"threshold": 0.5}, InputFileError,
     "no cell under the study's roads reaches --threshold 0.5 (the largest value there is 0.2)"),
    ({}, {"threshold": 0.5, "fill": NODATA}, InputFileError, "every cell under the study's "
     "roads is nodata"),
    ({TRUNK_MID: 1.2}, {"threshold": 0.5, "buffer_m": 100.0}, InputFileError,
     "--hazard-buffer buffers point layers, not a raster"),
    ({TRUNK_MID: 1.2}, {"threshold": 0.5, "crs": None, "no_crs": True}, CoordinateError,
     "names no coordinate system"),
])
def test_a_raster_that_cannot_say_what_it_closes_stops(
        county: ComputedStudy, tmp_path: Path, cells: dict, kwargs: dict, error: type,
        words: str) -> None:
    fill = kwargs.pop("fill", 0.0)
    no_crs = kwargs.pop("no_crs", False)
    tif = _raster(tmp_path / "depth.tif", cells, fill=fill, crs=None if no_crs else GK)
    with pytest.raises(error) as info:
        read_hazard(tif, county, **kwargs)
    assert words in str(info.value)


def test_a_raster_without_crs_reads_with_hazard_crs(county: ComputedStudy,
                                                     tmp_path: Path) -> None:
    tif = _raster(tmp_path / "depth.tif", {TRUNK_MID: 1.2}, crs=None)
    h = read_hazard(tif, county, threshold=0.5, crs="EPSG:4525")
    assert "read in --hazard-crs EPSG:4525" in " ".join(h.notes)
    assert h.extent.to_crs(GK).area.iloc[0] == pytest.approx(CELL * CELL, rel=1e-6)


def test_a_raster_of_another_county_stops_naming_the_distance(county: ComputedStudy,
                                                               tmp_path: Path) -> None:
    data = np.ones((10, 10), dtype=np.float32)
    with rasterio.open(tmp_path / "far.tif", "w", driver="GTiff", width=10, height=10,
                       count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(110.2, 25.3, 0.01, 0.01)) as dst:
        dst.write(data, 1)
    with pytest.raises(InputFileError, match=r"the raster lies [\d.]+ km outside the study area"):
        read_hazard(tmp_path / "far.tif", county, threshold=0.5)


def test_a_threshold_for_a_polygon_layer_stops(county: ComputedStudy, tmp_path: Path) -> None:
    gpd.GeoDataFrame(geometry=[shapely.box(X0 + 10_100, Y0 + 8900, X0 + 10_300, Y0 + 9100)],
                     crs=GK).to_file(tmp_path / "flood.geojson")
    with pytest.raises(InputFileError, match="--threshold applies to hazard rasters"):
        read_hazard(tmp_path / "flood.geojson", county, threshold=0.5)
    with pytest.raises(InputFileError, match="--hazard-buffer buffers point layers"):
        read_hazard(tmp_path / "flood.geojson", county, buffer_m=50.0)


def test_points_without_a_radius_stop(county: ComputedStudy, tmp_path: Path) -> None:
    gpd.GeoDataFrame({"buffer_m": [0.0]}, geometry=[shapely.Point(X0 + 13_000, Y0 + 5000)],
                     crs=GK).to_file(tmp_path / "slides.geojson")
    with pytest.raises(InputFileError, match="not above 0 in feature"):
        read_hazard(tmp_path / "slides.geojson", county)
    with pytest.raises(InputFileError, match="a buffer_m column and --hazard-buffer"):
        read_hazard(tmp_path / "slides.geojson", county, buffer_m=50.0)


def test_compare_draws_the_closed_roads_of_a_scenario(county: ComputedStudy) -> None:
    folder = county.study.path.parent
    (folder / "g323.toml").write_text('[scenario]\nname = "g323"\ntitle = "g323"\n\n'
                                      '[[actions]]\naction = "close_road"\nroad = "G323"\n',
                                      encoding="utf-8")
    comp = compare(county, folder / "g323.toml")
    assert comp.closed_roads is not None and len(comp.closed_roads) == 60
    assert set(comp.closed_roads["road"]) == {"G323 国道323"}
    assert comp.hazard is None


def test_the_outputs_draw_the_hazard_and_the_closed_roads(
        county: ComputedStudy, tmp_path: Path) -> None:
    import pyogrio

    from geo.outputs.planning import write_comparison
    from tests.outputs.test_gis_outputs import check_gpkg

    tif = _raster(tmp_path / "depth.tif", {TRUNK_MID: 1.2, AT_THRESHOLD: 0.5, JUNCTION: 3.0})
    gpd.GeoDataFrame({"note": ["示意 (illustrative)"]},
                     geometry=[shapely.Point(X0 + 20_200.0, Y0 + 9000.0)], crs=GK).to_file(
        tmp_path / "slides.geojson")
    comp = hazard_comparison(county, [tif, tmp_path / "slides.geojson"], threshold=0.5,
                             buffer_m=100.0)
    out = tmp_path / "out"
    write_comparison(comp, out)
    gpkg = out / "comparison.gpkg"
    styled = check_gpkg(gpkg, comp.notes)
    assert {"closed_roads", "hazard_extent"} <= set(pyogrio.list_layers(gpkg)[:, 0])
    assert "closed_roads" in styled and "hazard_extent" in styled
    roads = gpd.read_file(gpkg, layer="closed_roads")
    # the six segments of the raster, and the G323 segment 20,000-20,500 the point at 20,200
    # lies on (200 m from its nearer end, 800 m from any other road)
    assert len(roads) == 7 and set(roads["change"]) == {"封闭"}  # closed, in Chinese
    assert roads["length_m"].sum() == pytest.approx(3500.0, rel=1e-3)
    extent = gpd.read_file(gpkg, layer="hazard_extent")
    assert list(extent["layer"]) == ["depth.tif", "slides.geojson"]
    assert list(extent["note"]) == ["", "示意 (illustrative)"]
    # what each rule rests on: 3 cells >= 0.5 under the roads; 1 point, 100 m
    assert extent["threshold"].iloc[0] == 0.5 and extent["cells"].iloc[0] == 3
    assert extent["points"].iloc[1] == 1 and extent["radius_m"].iloc[1] == 100
    assert list(extent["rule"]) == [
        "栅格值 ≥ 0.5 的像元为危险像元（道路范围内 3 个）；道路线段穿过或接触危险像元即关闭",
        "1 个点各按半径 100 米缓冲成圆（64 边形）；道路线段穿过或接触圆即关闭"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "灾害情景：道路中断的影响" in report
    assert "depth.tif、slides.geojson关闭了 7 段道路（3.5 公里）" in report
    assert "示意 (illustrative)" in report
    assert "栅格值 ≥ 0.5 的像元为危险像元（道路范围内 3 个）" in report
    page = (out / "comparison_map.html").read_text(encoding="utf-8")
    assert json.dumps("灾害范围 / 关闭的道路")[1:-1] in page  # the layer, in the layer control
    assert json.dumps("示意 (illustrative)")[1:-1] in page  # the extent's tooltip
    assert "灾害范围" in page and "关闭的道路" in page  # the legend


def test_the_report_says_what_a_flood_cutting_the_county_in_two_takes(
        county: ComputedStudy, tmp_path: Path) -> None:
    from geo.outputs.planning import write_comparison

    strip = shapely.box(X0 - 500, Y0 + 3600, X0 + 30_500, Y0 + 4400)  # across every road x
    gpd.GeoDataFrame({"note": ["示意 (illustrative)"]}, geometry=[strip], crs=GK).to_file(
        tmp_path / "flood.gpkg")
    comp = hazard_comparison(county, [tmp_path / "flood.gpkg"])
    write_comparison(comp, tmp_path / "out")
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    # the 15 roads x = X0 + 1000 + 2000 i cross the strip on 2 segments each (3,500-4,000 and
    # 4,000-4,500); no east-west road (y = 3,000, 5,000) reaches it
    assert "flood.gpkg关闭了 30 段道路（15.0 公里）" in report
    # its people lost for the whole area are the answer's change (same rounding)
    # the section's people lost for the whole area are the answer's change, standard by standard
    answer = r"<li>([^:<]+): (\d+)分钟内人口：[\d,]+ → [\d,]+（-([\d,]+)）"
    falls = re.findall(answer, report)
    assert falls
    for label, minutes, change in falls:
        assert re.search(f"示例县（全县合计）{label}（{minutes} 分钟）覆盖率从 [\\d.]+% 降到 "
                         f"[\\d.]+%（减少 {change} 人）", report), (label, change)
