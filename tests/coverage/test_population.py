"""Tests for geo.coverage.population: every expected value is worked out by hand in the comments.

Coordinates are in UTM 49N (EPSG:32649) near Luzhai (E 400 000, N 2 700 000 ≈ 110.0°E 24.4°N),
which is also the CRS utm_crs_for picks there, so metric checks need no tolerance beyond float
noise from the round trip through EPSG:4326.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from shapely.geometry import LineString, Point, Polygon, box

from geo.coverage.population import (
    from_points,
    from_raster,
    from_zone_table,
    grid_cells,
    spread_evenly,
)
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, GeoError, InputFileError

UTM = "EPSG:32649"
E, N = 400_000.0, 2_700_000.0


def area_of(geom: Polygon) -> gpd.GeoSeries:
    return gpd.GeoSeries([geom], crs=UTM)


def metric_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    pts = frame.geometry.to_crs(UTM)
    return np.column_stack([pts.x, pts.y])


# --- grid_cells -----------------------------------------------------------------------------


def test_square_10km_at_1km_gives_100_unit_cells_with_known_centres() -> None:
    cells, points = grid_cells(area_of(box(E, N, E + 10_000, N + 10_000)), 1000)
    assert len(cells) == 100 and len(points) == 100
    assert cells["cell_id"].tolist() == list(range(100))
    assert points["demand_id"].tolist() == list(range(100))
    np.testing.assert_allclose(cells["cell_area_km2"], 1.0, rtol=1e-12)
    assert cells.crs.to_epsg() == 4326 and points.crs.to_epsg() == 4326
    assert cells.attrs["metric_crs"] == UTM and cells.attrs["grid_spacing_m"] == 1000.0
    xy = metric_xy(points)
    # row by row from the north-west: cell 0 centre (E+500, N+9500), cell 9 (E+9500, N+9500),
    # cell 10 starts the next row south, cell 99 is the south-east corner
    np.testing.assert_allclose(xy[0], [E + 500, N + 9500], atol=1e-6)
    np.testing.assert_allclose(xy[9], [E + 9500, N + 9500], atol=1e-6)
    np.testing.assert_allclose(xy[10], [E + 500, N + 8500], atol=1e-6)
    np.testing.assert_allclose(xy[99], [E + 9500, N + 500], atol=1e-6)
    expected = {(E + 500 + 1000 * i, N + 500 + 1000 * j) for i in range(10) for j in range(10)}
    assert {(round(x, 3), round(y, 3)) for x, y in xy} == expected
    np.testing.assert_allclose(cells.geometry.to_crs(UTM).area, 1e6, rtol=1e-9)


def test_unaligned_square_is_clipped_to_grid_multiples() -> None:
    # 400300..410300 on a 1 km grid aligned to multiples of 1000: 11 columns of widths
    # 0.7, 1 x 9, 0.3 km; 10 rows -> 110 cells
    cells, points = grid_cells(area_of(box(E + 300, N, E + 10_300, N + 10_000)), 1000)
    assert len(cells) == 110
    row = [0.7] + [1.0] * 9 + [0.3]
    np.testing.assert_allclose(cells["cell_area_km2"], row * 10, rtol=1e-9)
    xy = metric_xy(points)
    np.testing.assert_allclose(xy[0], [E + 500, N + 9500], atol=1e-6)  # centre inside 0.7 part
    # the east column's centre E+10500 lies outside its 0.3 km part: a point inside is used
    assert E + 10_000 < xy[10, 0] < E + 10_300


def test_l_shape_areas_sum_to_polygon_and_points_inside() -> None:
    # L = 3x1 km bar plus a 1x2 km arm, offset 250 m from the 500 m grid: 5 km².
    # Bottom bar spans 7 columns x 3 rows = 21 cells, the arm adds 3 columns x 4 rows = 12.
    x, y = E + 250, N + 250
    shape = Polygon(
        [
            (x, y),
            (x + 3000, y),
            (x + 3000, y + 1000),
            (x + 1000, y + 1000),
            (x + 1000, y + 3000),
            (x, y + 3000),
        ]
    )
    cells, points = grid_cells(area_of(shape), 500)
    assert len(cells) == 33
    assert cells["cell_area_km2"].sum() == pytest.approx(shape.area / 1e6, rel=1e-12)
    assert shape.area / 1e6 == pytest.approx(5.0)
    xy = metric_xy(points)
    assert all(shape.contains(Point(px, py)) for px, py in xy)
    # the cell E+1000..1500 x N+1000..1500 holds the inner corner: bar part 0.5 x 0.25 km plus
    # arm part 0.25 x 0.25 km = 0.1875 km²; its centre is that corner, on the boundary
    corner = cells.geometry.to_crs(UTM).centroid.distance(Point(E + 1200, N + 1200)).idxmin()
    assert cells.loc[corner, "cell_area_km2"] == pytest.approx(0.1875, rel=1e-9)
    assert not np.allclose(xy[corner], [E + 1250, N + 1250])


def test_triangle_cut_cell_uses_point_inside_its_part() -> None:
    # right triangle 5 km x 2 km = 5 km²; hypotenuse y = N + 2000 - 0.4 (x - E)
    tri = Polygon([(E, N), (E + 5000, N), (E, N + 2000)])
    cells, points = grid_cells(area_of(tri), 1000)
    assert cells["cell_area_km2"].sum() == pytest.approx(5.0, rel=1e-12)
    xy = metric_xy(points)
    assert all(tri.contains(Point(px, py)) for px, py in xy)
    # cell E+4000..5000 x N..N+1000 keeps the triangle (4000,0),(5000,0),(4000,400): 0.2 km²
    i = int(np.argmin(np.hypot(xy[:, 0] - (E + 4300), xy[:, 1] - (N + 130))))
    assert cells.loc[i, "cell_area_km2"] == pytest.approx(0.2, rel=1e-9)
    assert not np.allclose(xy[i], [E + 4500, N + 500])  # the centre is above the hypotenuse


def test_shapely_lonlat_area_round_trips_to_100_cells() -> None:
    to_ll = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    corners = [(E, N), (E + 10_000, N), (E + 10_000, N + 10_000), (E, N + 10_000)]
    lonlat = Polygon([to_ll.transform(x, y) for x, y in corners])
    cells, _ = grid_cells(lonlat, 1000)
    assert len(cells) == 100  # float-noise slivers along the grid lines are not cells
    assert cells["cell_area_km2"].sum() == pytest.approx(100.0, rel=1e-9)


def test_circle_3000_km2_at_250_m() -> None:
    disc = Point(E + 40_000, N + 40_000).buffer(np.sqrt(3000e6 / np.pi), 256)
    cells, points = grid_cells(area_of(disc), 250)
    # 3000 km² / 0.0625 km² = 48,000 full-cell equivalents, plus about half a cell for each
    # of the ~780 cells the 194 km perimeter crosses
    assert 48_000 < len(cells) < 49_000
    assert disc.buffer(1e-6).contains(points.geometry.to_crs(UTM).union_all())
    assert cells["cell_area_km2"].sum() == pytest.approx(disc.area / 1e6, rel=1e-9)


@pytest.mark.parametrize(
    ("area", "spacing", "error"),
    [
        (gpd.GeoSeries([box(E, N, E + 10, N + 10)]), 1, CoordinateError),  # no CRS
        (box(E, N, E + 10, N + 10), 1, CoordinateError),  # bare geometry not in lon/lat
        (area_of(LineString([(E, N), (E + 10, N)])), 1, GeoError),
        (gpd.GeoSeries([], crs=UTM), 1, GeoError),
        (area_of(box(E, N, E + 1000, N + 1000)), 0, GeoError),
        (area_of(box(E, N, E + 1000, N + 1000)), float("nan"), GeoError),
        (area_of(box(E, N, E + 10_000, N + 10_000)), 1, GeoError),  # 100 million cells
        ("not an area", 1, GeoError),
    ],
)
def test_grid_cells_rejects_bad_input(area: object, spacing: float, error: type) -> None:
    with pytest.raises(error):
        grid_cells(area, spacing)


# --- spread_evenly --------------------------------------------------------------------------


@pytest.fixture
def offset_points() -> gpd.GeoDataFrame:
    """110 points; cell areas per row 0.7, 1.0 x 9, 0.3 km² (100 km² in all)."""
    return grid_cells(area_of(box(E + 300, N, E + 10_300, N + 10_000)), 1000)[1]


def test_spread_evenly_sums_to_total_by_area_share(offset_points: gpd.GeoDataFrame) -> None:
    label = "2020 census county total 337,298 (no sub-county data)"
    demand = spread_evenly(offset_points, 337_298, label=label)
    assert demand["population"].sum() == pytest.approx(337_298, rel=1e-12)
    # 337,298 x 0.7 / 100 = 2,361.086; x 1 / 100 = 3,372.98; x 0.3 / 100 = 1,011.894
    np.testing.assert_allclose(demand["population"][:11], [2361.086] + [3372.98] * 9 + [1011.894])
    assert demand.columns.tolist() == ["demand_id", "population", "cell_area_km2", "geometry"]
    assert demand.attrs["population_method"] == (
        "population spread evenly over the study area: 2020 census county total 337,298 "
        "(no sub-county data)"
    )
    assert "population" not in offset_points.columns  # input untouched


@pytest.mark.parametrize(("total", "label"), [(-1, "x"), (float("nan"), "x"), ("9", "x"), (1, " ")])
def test_spread_evenly_rejects_bad_total_or_label(
    offset_points: gpd.GeoDataFrame, total: float, label: str
) -> None:
    with pytest.raises(GeoError):
        spread_evenly(offset_points, total, label=label)


def test_spread_evenly_needs_grid_points(offset_points: gpd.GeoDataFrame) -> None:
    with pytest.raises(ColumnError, match="available columns"):
        spread_evenly(offset_points.drop(columns="cell_area_km2"), 10, label="x")
    with pytest.raises(ColumnError, match="grid_cells"):
        spread_evenly(offset_points.assign(cell_area_km2=np.nan), 10, label="x")


# --- from_zone_table ------------------------------------------------------------------------
# Zone 甲镇 = x < E+4000 holds columns 0-3 (0.7 + 3 km² per row = 37 km²); zone 乙乡 holds
# columns 4-10 (6 + 0.3 = 63 km²). With 3,700 and 12,600 people the densities are 100 and
# 200 per km², so a row of points gets 70, 100, 100, 100, 200 x 6, 60.

ROW = [70.0, 100.0, 100.0, 100.0] + [200.0] * 6 + [60.0]


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["甲镇", "乙乡"], "code": [450223101, 450223102]},
        geometry=[box(E, N, E + 4000, N + 10_000), box(E + 4000, N, E + 11_000, N + 10_000)],
        crs=UTM,
    )


def test_zone_table_by_name(offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
    table = pd.DataFrame({"township": [" 甲镇 ", "乙乡"], "pop": ["3,700", 12600]})
    table.attrs["source"] = "/data/townships_2020.xlsx"
    demand = from_zone_table(
        offset_points, zones, table, zone_key="name", table_key="township", count_col="pop"
    )
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)
    assert demand["population"].sum() == pytest.approx(16_300)
    method = demand.attrs["population_method"]
    assert "townships_2020.xlsx" in method and "16,300" in method and "2 zones" in method
    assert demand.attrs["grid_spacing_m"] == 1000.0


def test_zone_table_by_code(offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> None:
    # codes read as floats (a column with blanks) or strings still match the integer codes
    table = pd.DataFrame({"adcode": [450223101.0, "450223102 "], "n": [3700, 12600]})
    demand = from_zone_table(
        offset_points, zones, table, zone_key="code", table_key="adcode", count_col="n"
    )
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)


def test_points_in_no_zone_get_zero_and_are_reported(
    offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame
) -> None:
    table = pd.DataFrame({"name": ["甲镇"], "pop": [3700]})
    demand = from_zone_table(
        offset_points, zones.iloc[:1], table, zone_key="name", table_key="name", count_col="pop"
    )
    assert demand["population"].sum() == pytest.approx(3700)
    assert demand["population"].tolist()[:11] == pytest.approx(ROW[:4] + [0.0] * 7)
    assert "70 demand points lie in no zone" in demand.attrs["population_method"]


def _zone_call(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, table: pd.DataFrame) -> None:
    from_zone_table(points, zones, table, zone_key="name", table_key="name", count_col="pop")


def test_zone_table_names_unmatched_rows_and_uncovered_zones(
    offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame
) -> None:
    table = pd.DataFrame({"name": ["甲镇", "乙", "丙村"], "pop": [1, 2, 3]})
    with pytest.raises(GeoError) as info:
        _zone_call(offset_points, zones, table)
    message = str(info.value)
    assert "2 table row(s)" in message and "did you mean '乙乡'" in message
    assert "'丙村' (no similar zone)" in message
    assert "1 zone(s) have no table row: '乙乡'" in message


@pytest.mark.parametrize(
    ("table", "error", "text"),
    [
        (pd.DataFrame({"name": ["甲镇", "乙乡"], "pop": [1, -5]}), ColumnError, "negative"),
        (pd.DataFrame({"name": ["甲镇", "乙乡"], "pop": [1, "many"]}), ColumnError, "'many'"),
        (pd.DataFrame({"name": ["甲镇", "乙乡"], "pop": [1, None]}), ColumnError, "'乙乡'"),
        (pd.DataFrame({"name": ["甲镇", "乙乡"], "people": [1, 2]}), ColumnError, "'people'"),
        (
            pd.DataFrame({"name": ["甲镇", "乙乡", "甲镇"], "pop": [1, 2, 3]}),
            DuplicateIdError,
            "甲镇",
        ),
        (pd.DataFrame({"name": ["甲镇", None], "pop": [1, 2]}), ColumnError, "empty"),
    ],
)
def test_zone_table_rejects_bad_tables(
    offset_points: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    error: type,
    text: str,
) -> None:
    with pytest.raises(error, match=text):
        _zone_call(offset_points, zones, table)


def test_zone_with_people_but_no_point_asks_for_finer_grid(
    offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame
) -> None:
    tiny = gpd.GeoDataFrame(
        {"name": ["丁村"]}, geometry=[box(E + 2100, N + 100, E + 2200, N + 200)], crs=UTM
    )
    both = pd.concat([zones[["name", "geometry"]], tiny], ignore_index=True)
    table = pd.DataFrame({"name": ["甲镇", "乙乡", "丁村"], "pop": [3700, 12600, 50]})
    with pytest.raises(GeoError, match="finer grid"):
        _zone_call(offset_points, both, table)
    # with nobody living there the empty zone is fine and the rest is unchanged
    demand = from_zone_table(
        offset_points,
        both,
        table.assign(pop=[3700, 12600, 0]),
        zone_key="name",
        table_key="name",
        count_col="pop",
    )
    np.testing.assert_allclose(demand["population"], ROW * 10, rtol=1e-12)


def test_zone_table_rejects_bad_layers(
    offset_points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame
) -> None:
    table = pd.DataFrame({"name": ["甲镇", "乙乡"], "pop": [1, 2]})
    with pytest.raises(ColumnError, match="'name', 'code', 'geometry'"):
        from_zone_table(
            offset_points, zones, table, zone_key="township", table_key="name", count_col="pop"
        )
    with pytest.raises(CoordinateError):
        _zone_call(offset_points, zones.set_crs(None, allow_override=True), table)
    with pytest.raises(DuplicateIdError, match="dissolve"):
        _zone_call(offset_points, pd.concat([zones, zones]), table)
    with pytest.raises(ColumnError, match="grid_cells"):
        _zone_call(offset_points.assign(cell_area_km2=np.nan), zones, table)


# --- from_points ----------------------------------------------------------------------------


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    layer = gpd.GeoDataFrame(
        {"village": ["a", "b", "c"], "people": [10, 20.5, 0]},
        geometry=[Point(E + 100, N + 200), Point(E + 3000, N + 4000), Point(E + 5000, N + 50)],
        crs=UTM,
        index=[7, 8, 9],
    )
    layer.attrs["source"] = "/tmp/in/villages.gpkg"
    return layer


def test_from_points(villages: gpd.GeoDataFrame) -> None:
    demand = from_points(villages, count_col="people")
    assert demand.columns.tolist() == ["demand_id", "population", "cell_area_km2", "geometry"]
    assert demand["demand_id"].tolist() == [0, 1, 2]
    assert demand["population"].tolist() == [10.0, 20.5, 0.0]
    assert demand["cell_area_km2"].isna().all()
    assert demand.crs.to_epsg() == 4326
    np.testing.assert_allclose(
        metric_xy(demand), [[E + 100, N + 200], [E + 3000, N + 4000], [E + 5000, N + 50]], atol=1e-6
    )
    method = demand.attrs["population_method"]
    assert "villages.gpkg" in method and "3 points" in method and "total 30" in method


@pytest.mark.parametrize(
    ("change", "error", "text"),
    [
        (lambda g: g.assign(people=[1, -2, 3]), ColumnError, "negative"),
        (lambda g: g.assign(people=[1, "x", 3]), ColumnError, "8: 'x'"),
        (lambda g: g.assign(people=[1, np.nan, 3]), ColumnError, "missing"),
        (lambda g: g.drop(columns="people"), ColumnError, "'village', 'geometry'"),
        (lambda g: g.set_crs(None, allow_override=True), CoordinateError, "CRS"),
        (lambda g: g.set_geometry([Point(E, N), box(E, N, E + 1, N + 1), None]), GeoError, "9"),
        (lambda g: g.iloc[:0], GeoError, "empty"),
    ],
)
def test_from_points_rejects_bad_layers(
    villages: gpd.GeoDataFrame, change: object, error: type, text: str
) -> None:
    with pytest.raises(error, match=text):
        from_points(change(villages), count_col="people")  # type: ignore[operator]


# --- from_raster ----------------------------------------------------------------------------
# 4 x 4 pixels of 1 km, top-left corner (E, N+4000), one nodata pixel (ND: the float32
# maximum, as some tools write it) and one negative pixel, both counted as 0:
#   row 0:  1   2   3   4      pixel centres x = E+500, E+1500, E+2500, E+3500
#   row 1:  5   6   7   8                    y = N+3500, N+2500, N+1500, N+500
#   row 2:  9  nd  11  12
#   row 3: 13  -5  15  16
# Area E+200..E+3000 x N..N+3200 holds the centres of columns 0-2 and rows 1-3:
# 5+6+7 + 9+0+11 + 13+0+15 = 66. The window read is columns 0-2, rows 0-3, which adds
# row 0's 1+2+3 = 6 outside the area: 72 read.

ND = float(np.finfo(np.float32).max)
PIXELS = [[1, 2, 3, 4], [5, 6, 7, 8], [9, ND, 11, 12], [13, -5, 15, 16]]
RASTER_AREA = box(E + 200, N, E + 3000, N + 3200)


def from_origin(west: float, north: float, xsize: float, ysize: float) -> Affine:
    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def write_tif(path: Path, values: list[list[float]], crs: str | None, transform: object) -> Path:
    data = np.asarray(values, dtype="float32")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=ND,
    ) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture
def tif(tmp_path: Path) -> Path:
    return write_tif(tmp_path / "pop.tif", PIXELS, UTM, from_origin(E, N + 4000, 1000, 1000))


def test_raster_pixels_inside_area_become_points(tif: Path) -> None:
    demand = from_raster(tif, area_of(RASTER_AREA), max_uncovered=1.0)
    assert demand["population"].tolist() == [5, 6, 7, 9, 11, 13, 15]
    assert demand["demand_id"].tolist() == list(range(7))
    assert demand["cell_area_km2"].isna().all()
    np.testing.assert_allclose(
        metric_xy(demand),
        [
            [E + 500, N + 2500],
            [E + 1500, N + 2500],
            [E + 2500, N + 2500],
            [E + 500, N + 1500],
            [E + 2500, N + 1500],
            [E + 500, N + 500],
            [E + 2500, N + 500],
        ],
        atol=1e-6,
    )
    assert demand.attrs["population_read"] == 72 and demand.attrs["population_outside_area"] == 6
    method = demand.attrs["population_method"]
    assert "pop.tif" in method and "66 people inside" in method and "of 72 read" in method
    assert "6 outside" in method


def test_raster_summed_into_grid_cells(tif: Path) -> None:
    # 2 km grid aligned at E, N: 2 x 2 cells clipped to the area, north-west first:
    # NW rows 1 x cols 0-1: 5+6 = 11 (1.8 x 1.2 km); NE row 1 col 2: 7 (1.0 x 1.2);
    # SW rows 2-3 x cols 0-1: 9+0+13+0 = 22 (1.8 x 2); SE rows 2-3 col 2: 11+15 = 26 (1 x 2)
    demand = from_raster(tif, area_of(RASTER_AREA), spacing_m=2000, max_uncovered=1.0)
    assert demand["population"].tolist() == [11, 7, 22, 26]
    np.testing.assert_allclose(demand["cell_area_km2"], [2.16, 1.2, 3.6, 2.0], rtol=1e-9)
    _, points = grid_cells(area_of(RASTER_AREA), 2000)
    np.testing.assert_allclose(metric_xy(demand), metric_xy(points))
    assert demand.attrs["population_outside_area"] == 6 and demand.attrs["grid_spacing_m"] == 2000
    assert "summed into 2000 m grid cells" in demand.attrs["population_method"]


def test_raster_in_lonlat_with_lonlat_area(tmp_path: Path) -> None:
    # 3 x 3 pixels of 0.01° from (110.00°E, 24.43°N); the area covers columns 0-1:
    # 1+2 + 4+5 + 7+8 = 27 over 6 pixels
    nine = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    path = write_tif(tmp_path / "ll.tif", nine, "EPSG:4326", from_origin(110.0, 24.43, 0.01, 0.01))
    for spacing in (None, 500):
        demand = from_raster(path, box(110.0, 24.40, 110.02, 24.43), spacing_m=spacing)
        assert demand["population"].sum() == pytest.approx(27)
        read = demand.attrs["population_read"]
        assert read - demand.attrs["population_outside_area"] == pytest.approx(27)
    assert len(from_raster(path, box(110.0, 24.40, 110.02, 24.43))) == 6


def test_raster_leaving_part_of_the_area_without_data(tmp_path: Path, tif: Path) -> None:
    """The area holds 9 pixel centres (columns 0-2, rows 1-3), one nodata: 1/9 of the
    covered 2.8 x 3.2 km (8.96 km²) is 0.996 km² without data, 11.1 %: a stop naming it.
    An area reaching 1 km past the raster's east edge (E+3000..E+5000 x N..N+2000, half
    beyond) stops on 50 %; within the 1 % allowed, the share is stated."""
    with pytest.raises(CoordinateError, match=r"leaves 11\.1% of the study area without "
                       r"data \(1\.0 km² of nodata pixels, of 9 km²\)"):
        from_raster(tif, area_of(RASTER_AREA))
    with pytest.raises(CoordinateError, match=r"leaves 50\.0% .*\(2\.0 km² beyond its extent"):
        from_raster(tif, area_of(box(E + 3000, N, E + 5000, N + 2000)))
    edge = from_raster(tif, area_of(box(E + 3000, N, E + 4010, N + 2000)))
    assert "leaves 0.99% of the study area without data (0.0 km² beyond its extent)" in \
        edge.attrs["population_method"]


def test_raster_errors(tmp_path: Path, tif: Path) -> None:
    area = area_of(RASTER_AREA)
    with pytest.raises(InputFileError, match="not found"):
        from_raster(tmp_path / "missing.tif", area)
    garbage = tmp_path / "bad.tif"
    garbage.write_text("not a tiff")
    with pytest.raises(InputFileError):
        from_raster(garbage, area)
    bare = write_tif(tmp_path / "bare.tif", PIXELS, None, from_origin(E, N + 4000, 1000, 1000))
    with pytest.raises(CoordinateError, match="no CRS"):
        from_raster(bare, area)
    with pytest.raises(GeoError, match="band"):
        from_raster(tif, area, band=2, max_uncovered=1.0)
    with pytest.raises(CoordinateError, match="does not cover"):
        from_raster(tif, area_of(box(E + 50_000, N, E + 51_000, N + 1000)))
    zeros = write_tif(
        tmp_path / "z.tif", [[0, 0], [0, ND]], UTM, from_origin(E, N + 2000, 1e3, 1e3)
    )
    with pytest.raises(GeoError, match="no population inside"):
        from_raster(zeros, area, max_uncovered=1.0)
