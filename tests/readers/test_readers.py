"""Tests for the readers (geo.readers: points, layers, tables).

Expected values come from outside the code under test: the sample files read with the stdlib
``csv`` module, positions converted by the independent ``prcoords`` package or by the tool
that wrote township_seats.csv, distances from pyproj's geodesic (``Geod.inv``/``Geod.fwd``),
and row numbers counted by hand in the sample (header = row 1, LZ-H01 = row 2, LZ-T01 = row 7).
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
from pyproj import Geod
from shapely.geometry import LineString, MultiLineString, MultiPoint, Point, Polygon, box

from geo.errors import ColumnError, CoordinateError, DuplicateIdError, InputFileError
from geo.readers import (
    input_notes,
    read_boundaries,
    read_facilities,
    read_points,
    read_roads,
    read_table,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SAMPLE = DATA / "facilities" / "facilities_luzhai.csv"
SEATS = DATA / "boundaries" / "luzhai_township_seats.csv"  # GCJ-02 and WGS84, by their tool
COUNTIES = DATA / "boundaries" / "liuzhou_counties.geojson"
GEOD = Geod(ellps="WGS84")

LUZHAI_IDS = [
    "LZ-H01", "LZ-H02", "LZ-H03", "LZ-P01", "LZ-H04", "LZ-T01", "LZ-T02",
    "LZ-T03", "LZ-T04", "LZ-T05", "LZ-T06", "LZ-T07", "LZ-T08", "LZ-T09",
]  # fmt: skip


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def seat_rows() -> list[dict[str, str]]:
    with SEATS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def sample_text(edit: dict[str, dict[str, str]] | None = None) -> str:
    """The sample CSV as text, with cells of some rows (by id) replaced."""
    rows = sample_rows()
    for row in rows:
        row.update((edit or {}).get(row["id"], {}))
    return pd.DataFrame(rows).to_csv(index=False)


def write(tmp_path: Path, text: str, name: str = "f.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def sample_gdf(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    rows = sample_rows()
    points = [Point(float(r["lon"]), float(r["lat"])) for r in rows]
    frame = pd.DataFrame(rows).drop(columns=["lon", "lat"])
    return gpd.GeoDataFrame(frame, geometry=points, crs=crs)


def metres(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def luzhai() -> gpd.GeoDataFrame:
    counties = gpd.read_file(COUNTIES)
    return counties[counties["adcode"].astype(str) == "450223"]


# --- formats ------------------------------------------------------------------------------


def _csv_bom(tmp_path: Path) -> Path:
    return write(tmp_path, SAMPLE.read_text(encoding="utf-8"), encoding="utf-8-sig")


def _csv_gbk(tmp_path: Path) -> Path:
    return write(tmp_path, SAMPLE.read_text(encoding="utf-8"), encoding="gbk")


def _xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "f.xlsx"
    pd.DataFrame(sample_rows()).to_excel(path, index=False)
    return path


def _vector(name: str):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        sample_gdf().to_file(path)
        return path

    return make


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered")
@pytest.mark.parametrize(
    "make",
    [
        lambda tmp_path: SAMPLE,
        _csv_bom,
        _csv_gbk,
        _xlsx,
        _vector("f.geojson"),
        _vector("f.gpkg"),
        _vector("f.shp"),
    ],
    ids=["csv", "csv-bom", "csv-gbk", "xlsx", "geojson", "gpkg", "shp"],
)
def test_every_format_gives_the_14_luzhai_facilities(tmp_path: Path, make) -> None:
    path = make(tmp_path)
    gdf = read_facilities(path)
    rows = sample_rows()
    assert list(gdf["id"]) == LUZHAI_IDS
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf.index) == list(range(14))
    assert set(gdf.geom_type) == {"Point"}
    np.testing.assert_allclose(gdf.geometry.x, [float(r["lon"]) for r in rows], atol=1e-9)
    np.testing.assert_allclose(gdf.geometry.y, [float(r["lat"]) for r in rows], atol=1e-9)
    assert gdf.loc[0, "name"] == "鹿寨县人民医院"
    assert gdf.loc[7, "name"] == "寨沙镇中心卫生院"
    assert gdf.attrs["source"] == str(path)
    assert gdf.attrs["input_crs"] == "wgs84"
    assert "input_lon" not in gdf.columns


def test_csv_keeps_text_columns_as_strings() -> None:
    gdf = read_facilities(SAMPLE)
    assert gdf.loc[0, "grade"] == "Grade 2A (二级甲等)"
    assert pd.isna(gdf.loc[1, "grade"])  # empty cell stays missing, not "nan"
    assert gdf.loc[6, "township"] == "中渡镇"
    assert gdf["lon"].dtype == float
    assert gdf.loc[7, "lon"] == 109.962245
    assert gdf.attrs["dropped_outside"] == []


def test_id_column_is_string_for_integer_ids_in_a_vector_file(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"id": [7, 8]}, geometry=[Point(109.5, 24.5), Point(109.6, 24.6)])
    gdf.set_crs("EPSG:4326").to_file(tmp_path / "f.gpkg")
    assert list(read_facilities(tmp_path / "f.gpkg")["id"]) == ["7", "8"]


def test_excel_sheet_by_layer_name(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(xl, sheet_name="readme", index=False)
        pd.DataFrame(sample_rows()).to_excel(xl, sheet_name="医院", index=False)
    assert list(read_facilities(path, layer="医院")["id"]) == LUZHAI_IDS
    with pytest.raises(InputFileError, match="医院"):
        read_facilities(path, layer="clinics")


# --- coordinate columns -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        ("经度", "纬度"),
        ("Longitude", "LATITUDE"),
        ("lng", "lat"),
        ("X", "Y"),
        ("long", "latitude"),
        ("wgs84_lon", "wgs84_lat"),
    ],
)
def test_coordinate_columns_found_by_name(tmp_path: Path, lon: str, lat: str) -> None:
    path = write(tmp_path, f"id,名称,{lon},{lat}\nA,甲,109.5,24.25\nB,乙,110.125,24.75\n")
    gdf = read_facilities(path)
    assert list(gdf.geometry.x) == [109.5, 110.125]
    assert list(gdf.geometry.y) == [24.25, 24.75]
    assert list(gdf["名称"]) == ["甲", "乙"]


def test_explicit_coordinate_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "code,东经,北纬,lon,lat\nA,109.5,24.25,0,0\n")
    gdf = read_facilities(path, id_col="code", lon_col="东经", lat_col="北纬")
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (109.5, 24.25)
    assert gdf.loc[0, "id"] == "A"
    assert "code" not in gdf.columns


def test_plain_columns_win_over_wgs84_named_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "id,wgs84_lon,wgs84_lat,lon,lat\nA,1,2,109.5,24.25\n")
    gdf = read_facilities(path)
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (109.5, 24.25)


def test_columns_named_after_the_crs_win(tmp_path: Path) -> None:
    path = write(tmp_path, "id,lon,lat,gcj02_lon,gcj02_lat\nA,1,2,109.5,24.25\n")
    gdf = read_facilities(path, crs="gcj02")
    assert (gdf.loc[0, "input_lon"], gdf.loc[0, "input_lat"]) == (109.5, 24.25)


def test_id_col_other_than_id_keeps_the_old_id_column(tmp_path: Path) -> None:
    path = write(tmp_path, "id,code,lon,lat\n1,A,109.5,24.25\n")
    gdf = read_facilities(path, id_col="code")
    assert gdf.loc[0, "id"] == "A"
    assert gdf.loc[0, "id_original"] == "1"


# --- GCJ-02 and BD-09 ---------------------------------------------------------------------


def test_gcj02_matches_the_independently_converted_wgs84_columns() -> None:
    rows = seat_rows()
    gdf = read_facilities(SEATS, id_col="nbs_code_2016", crs="gcj02")
    assert len(gdf) == len(rows) == 9
    assert list(gdf["id"]) == [r["nbs_code_2016"] for r in rows]
    want_lon = np.array([float(r["wgs84_lon"]) for r in rows])
    want_lat = np.array([float(r["wgs84_lat"]) for r in rows])
    assert metres(gdf.geometry.x, gdf.geometry.y, want_lon, want_lat).max() < 1.0
    assert list(gdf["input_lon"]) == [float(r["gcj02_lon"]) for r in rows]
    assert set(gdf["input_crs"]) == {"gcj02"}
    assert gdf.attrs["input_crs"] == "gcj02"
    # the shift undone is real: GCJ-02 lies 400-600 m from WGS84 here
    shift = metres(gdf["input_lon"], gdf["input_lat"], want_lon, want_lat)
    assert shift.min() > 300


def test_bd09_made_by_prcoords_round_trips_to_wgs84(tmp_path: Path) -> None:
    rows = seat_rows()
    bd = [prcoords.gcj_bd((float(r["gcj02_lat"]), float(r["gcj02_lon"]))) for r in rows]
    table = pd.DataFrame(
        {
            "id": [r["nbs_code_2016"] for r in rows],
            "bd09_lon": [c.lon for c in bd],
            "bd09_lat": [c.lat for c in bd],
        }
    )
    path = tmp_path / "bd.csv"
    table.to_csv(path, index=False, float_format="%.9f")
    gdf = read_facilities(path, crs="bd09")
    want_lon = [float(r["wgs84_lon"]) for r in rows]
    want_lat = [float(r["wgs84_lat"]) for r in rows]
    assert metres(gdf.geometry.x, gdf.geometry.y, want_lon, want_lat).max() < 1.0
    assert set(gdf["input_crs"]) == {"bd09"}


def test_gcj02_point_layer_is_converted_too(tmp_path: Path) -> None:
    rows = seat_rows()[:5]
    points = [Point(float(r["gcj02_lon"]), float(r["gcj02_lat"])) for r in rows]
    ids = [r["nbs_code_2016"] for r in rows]
    gpd.GeoDataFrame({"id": ids}, geometry=points, crs="EPSG:4326").to_file(tmp_path / "g.geojson")
    gdf = read_facilities(tmp_path / "g.geojson", crs="gcj02")
    want = [(float(r["wgs84_lon"]), float(r["wgs84_lat"])) for r in rows]
    got = metres(gdf.geometry.x, gdf.geometry.y, *np.array(want).T)
    assert got.max() < 1.0
    assert list(gdf["input_lon"]) == [p.x for p in points]


def test_point_layer_in_utm_is_reprojected(tmp_path: Path) -> None:
    sample_gdf().to_crs("EPSG:32649").to_file(tmp_path / "utm.gpkg")
    gdf = read_facilities(tmp_path / "utm.gpkg")
    rows = sample_rows()
    np.testing.assert_allclose(gdf.geometry.x, [float(r["lon"]) for r in rows], atol=1e-8)
    assert gdf.crs.to_epsg() == 4326


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_point_layer_without_crs_takes_the_crs_option(tmp_path: Path) -> None:
    row = seat_rows()[0]
    gpd.GeoDataFrame(
        {"id": ["s"]}, geometry=[Point(float(row["gcj02_lon"]), float(row["gcj02_lat"]))]
    ).to_file(tmp_path / "nocrs.shp")
    assert not (tmp_path / "nocrs.prj").exists()
    gdf = read_facilities(tmp_path / "nocrs.shp", crs="gcj02")
    dist = metres(
        gdf.geometry.x, gdf.geometry.y, [float(row["wgs84_lon"])], [float(row["wgs84_lat"])]
    )
    assert dist[0] < 1.0


def test_multipoint_with_one_point_is_accepted_two_are_not(tmp_path: Path) -> None:
    one = gpd.GeoDataFrame({"id": ["a"]}, geometry=[MultiPoint([(109.5, 24.25)])], crs=4326)
    one.to_file(tmp_path / "one.geojson")
    gdf = read_facilities(tmp_path / "one.geojson")
    assert gdf.geometry[0].equals(Point(109.5, 24.25))
    two = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[Point(109.5, 24.25), MultiPoint([(109.5, 24.25), (109.6, 24.3)])],
        crs=4326,
    )
    two.to_file(tmp_path / "two.geojson")
    with pytest.raises(InputFileError, match=r"feature 2 \(MultiPoint\)"):
        read_facilities(tmp_path / "two.geojson")


# --- bad input ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_facilities(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value)
    assert "relative to the study file" in str(err.value)


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="empty"):
        read_facilities(write(tmp_path, "", "empty.csv"))
    with pytest.raises(InputFileError, match="no data rows"):
        read_facilities(write(tmp_path, "id,lon,lat\n", "header.csv"))


def test_unknown_id_column_lists_the_columns() -> None:
    with pytest.raises(ColumnError) as err:
        read_facilities(SAMPLE, id_col="code")
    message = str(err.value)
    assert "'code'" in message
    assert "'name_en'" in message and "'township'" in message
    assert "id_col" in message


def test_unknown_lon_column(tmp_path: Path) -> None:
    with pytest.raises(ColumnError) as err:
        read_facilities(SAMPLE, lon_col="经度")
    assert "'经度'" in str(err.value)
    assert "'lon'" in str(err.value)
    assert "[facilities] lon_col" in str(err.value)


def test_no_coordinate_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "id,east,north\nA,109.5,24.25\n")
    with pytest.raises(ColumnError) as err:
        read_facilities(path)
    message = str(err.value)
    assert "longitude" in message and "'east'" in message and "[facilities] lon_col" in message


def test_wgs84_columns_with_crs_gcj02_point_at_the_crs_option(tmp_path: Path) -> None:
    path = write(tmp_path, "id,wgs84_lon,wgs84_lat\nA,109.5,24.25\n")
    with pytest.raises(ColumnError, match=r"'wgs84_lon'.*is crs='gcj02' right"):
        read_facilities(path, crs="gcj02")


def test_bad_coordinates_name_every_row_and_drop_none(tmp_path: Path) -> None:
    text = sample_text({"LZ-T02": {"lon": "abc"}, "LZ-T05": {"lat": ""}})
    with pytest.raises(CoordinateError) as err:
        read_facilities(write(tmp_path, text))
    message = str(err.value)
    assert "facility 'LZ-T02'" in message and "'abc'" in message
    assert "facility 'LZ-T05'" in message and "lat empty" in message
    assert "LZ-T01" not in message


def test_swapped_coordinates(tmp_path: Path) -> None:
    text = sample_text({"LZ-T03": {"lon": "24.501737", "lat": "109.962245"}})
    with pytest.raises(CoordinateError) as err:
        read_facilities(write(tmp_path, text))
    message = str(err.value)
    assert "facility 'LZ-T03'" in message
    assert "lat 109.962245" in message
    assert "swapped" in message
    assert "[facilities] lon_col/lat_col" in message


def test_swapped_coordinates_found_through_the_study_area(tmp_path: Path) -> None:
    # both values are below 90, so only the study area (around 30°E 60°N) tells
    path = write(tmp_path, "id,lon,lat\nok,30.2,60.1\nbad,60.1,30.2\n")
    with pytest.raises(CoordinateError, match=r"facility 'bad'.*swapped") as err:
        read_facilities(path, study_area=box(29, 59, 31, 61))
    assert "'ok'" not in str(err.value)


def test_out_of_range_and_projected_values(tmp_path: Path) -> None:
    path = write(tmp_path, "id,lon,lat\nA,209.5,24.25\nB,500000,2700000\n")
    with pytest.raises(CoordinateError) as err:
        read_facilities(path)
    message = str(err.value)
    assert "out of range" in message
    assert "facility 'A'" in message and "facility 'B'" in message


def test_duplicate_ids_are_listed_with_their_rows(tmp_path: Path) -> None:
    text = sample_text({"LZ-T03": {"id": "LZ-T02"}, "LZ-T09": {"id": "LZ-H01"}})
    with pytest.raises(DuplicateIdError) as err:
        read_facilities(write(tmp_path, text))
    message = str(err.value)
    # LZ-H01 is row 2 and LZ-T09 row 15; LZ-T02 is row 8 and LZ-T03 row 9
    assert "'LZ-H01' (row 2, row 15)" in message
    assert "'LZ-T02' (row 8, row 9)" in message


def test_missing_id(tmp_path: Path) -> None:
    text = sample_text({"LZ-T04": {"id": " "}})  # LZ-T04 is row 10
    with pytest.raises(DuplicateIdError) as err:
        read_facilities(write(tmp_path, text))
    assert "row 10 " in str(err.value)
    assert "id_col" in str(err.value)


def test_unknown_crs() -> None:
    with pytest.raises(CoordinateError, match="gcj02"):
        read_facilities(SAMPLE, crs="baidu-ll")


# --- study area ---------------------------------------------------------------------------


def test_sample_lies_inside_luzhai() -> None:
    gdf = read_facilities(SAMPLE, study_area=luzhai())
    assert list(gdf["id"]) == LUZHAI_IDS


def _with_liuzhou_city(tmp_path: Path) -> Path:
    """The sample plus LZ-X99 at 公园街道, Liuzhou city (WGS84 from township_seats.csv)."""
    rows = sample_rows()
    rows.append(dict.fromkeys(rows[0], "") | {"id": "LZ-X99", "name": "柳州市区"})
    rows[-1].update(lon="109.408913", lat="24.318454")
    return write(tmp_path, pd.DataFrame(rows).to_csv(index=False))


def test_outside_error_names_the_id_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CoordinateError) as err:
        read_facilities(_with_liuzhou_city(tmp_path), study_area=luzhai())
    message = str(err.value)
    assert "facility 'LZ-X99'" in message and "km outside" in message
    assert "crs = 'gcj02'" in message
    assert "[facilities] outside = 'keep'" in message and "'drop'" in message
    assert "LZ-T01" not in message


def test_outside_drop_drops_exactly_the_outside_ids(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="geo.readers.points"):
        gdf = read_facilities(_with_liuzhou_city(tmp_path), study_area=luzhai(), outside="drop")
    assert list(gdf["id"]) == LUZHAI_IDS
    assert list(gdf.index) == list(range(14))
    assert gdf.attrs["dropped_outside"] == ["LZ-X99"]
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert dropped[0].levelno == logging.WARNING
    assert "LZ-X99" in dropped[0].getMessage()


def test_outside_keep_keeps_them_and_says_so(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="geo.readers.points"):
        gdf = read_facilities(_with_liuzhou_city(tmp_path), study_area=luzhai(), outside="keep")
    assert list(gdf["id"]) == [*LUZHAI_IDS, "LZ-X99"]
    assert any("LZ-X99" in r.getMessage() for r in caplog.records)
    # the outputs carry it (the notes of the read), not only the log
    assert any(n.startswith("1 facility outside the study area is counted")
               for n in gdf.attrs["notes"])


def test_outside_distance_and_tolerance(tmp_path: Path) -> None:
    area = box(109.0, 24.0, 109.1, 24.1)
    near = GEOD.fwd(109.1, 24.05, 90, 500)  # 0.5 km east of the east edge
    far = GEOD.fwd(109.1, 24.05, 90, 5000)  # 5 km east
    text = f"id,lon,lat\nin,109.05,24.05\nnear,{near[0]:.8f},24.05\nfar,{far[0]:.8f},24.05\n"
    path = write(tmp_path, text)
    with pytest.raises(CoordinateError) as err:
        read_facilities(path, study_area=area)
    assert "facility 'far' (5.0 km outside)" in str(err.value)
    assert "'near'" not in str(err.value)
    kept = read_facilities(path, study_area=area, outside_tolerance_m=6000)
    assert list(kept["id"]) == ["in", "near", "far"]
    strict = read_facilities(path, study_area=area, outside="drop", outside_tolerance_m=100)
    assert list(strict["id"]) == ["in"]


def test_study_area_in_another_crs_is_reprojected() -> None:
    area = luzhai().to_crs("EPSG:32649")
    assert len(read_facilities(SAMPLE, study_area=area)) == 14


# --- boundaries ---------------------------------------------------------------------------


def test_read_boundaries_counties() -> None:
    gdf = read_boundaries(COUNTIES, name_col="name")
    assert len(gdf) == 10
    assert "鹿寨县" in set(gdf["name"])
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert gdf.crs.to_epsg() == 4326
    with pytest.raises(ColumnError, match=r"'名称'.*'adcode'"):
        read_boundaries(COUNTIES, name_col="名称")


def _bowtie(tmp_path: Path) -> Path:
    # self-intersecting at (109.005, 24.005): two triangles of 0.5 * 0.01 * 0.005 deg² each
    ring = [(109.0, 24.0), (109.01, 24.01), (109.01, 24.0), (109.0, 24.01), (109.0, 24.0)]
    gdf = gpd.GeoDataFrame({"name": ["bow"]}, geometry=[Polygon(ring)], crs=4326)
    gdf.to_file(tmp_path / "bow.gpkg")
    return tmp_path / "bow.gpkg"


def test_invalid_polygon_repaired_and_reported(tmp_path: Path, caplog) -> None:
    path = _bowtie(tmp_path)
    with caplog.at_level(logging.WARNING, logger="geo.readers.layers"):
        gdf = read_boundaries(path)
    assert gdf.geometry[0].is_valid
    assert gdf.geometry[0].area == pytest.approx(2 * 0.5 * 0.01 * 0.005)
    assert any("Self-intersection" in r.getMessage() for r in caplog.records)
    with pytest.raises(CoordinateError, match=r"feature 1.*on_invalid='warn'"):
        read_boundaries(path, on_invalid="raise")


def test_boundaries_reject_points(tmp_path: Path) -> None:
    sample_gdf().to_file(tmp_path / "p.geojson")
    with pytest.raises(InputFileError, match=r"14 Point.*Polygon or MultiPolygon"):
        read_boundaries(tmp_path / "p.geojson")


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_boundary_without_crs(tmp_path: Path) -> None:
    square = Polygon([(109.5, 24.2), (109.6, 24.2), (109.6, 24.3), (109.5, 24.3)])
    gpd.GeoDataFrame({"n": [1]}, geometry=[square]).to_file(tmp_path / "sq.shp")
    with pytest.raises(CoordinateError, match=r"no coordinate system.*\[area\] crs"):
        read_boundaries(tmp_path / "sq.shp")
    gdf = read_boundaries(tmp_path / "sq.shp", crs="gcj02")
    corners = [prcoords.gcj_wgs_bored((lat, lon)) for lon, lat in square.exterior.coords]
    want = Polygon([(c.lon, c.lat) for c in corners])
    assert not want.equals_exact(square, tolerance=1e-3)  # the conversion moves it
    # 1e-7 degrees is about 1 cm; the shapefile may have reversed the ring, hence normalize
    assert gdf.geometry[0].normalize().equals_exact(want.normalize(), tolerance=1e-7)
    assert gdf.attrs["input_crs"] == "gcj02"
    plain = read_boundaries(tmp_path / "sq.shp", crs="EPSG:4326")
    assert plain.geometry[0].equals(square)


def test_boundary_in_utm_is_reprojected(tmp_path: Path) -> None:
    county = luzhai()
    county.to_crs("EPSG:32649").to_file(tmp_path / "lz.gpkg")
    gdf = read_boundaries(tmp_path / "lz.gpkg")
    np.testing.assert_allclose(gdf.total_bounds, county.total_bounds, atol=1e-7)


def test_layer_choice_in_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    luzhai().to_file(path, layer="county")
    gpd.GeoDataFrame(geometry=[box(109, 24, 110, 25)], crs=4326).to_file(path, layer="box")
    with pytest.raises(InputFileError, match=r"'county', 'box'.*layer"):
        read_boundaries(path)
    assert read_boundaries(path, layer="box").geometry[0].equals(box(109, 24, 110, 25))
    with pytest.raises(InputFileError, match="no layer 'boxes'"):
        read_boundaries(path, layer="boxes")


# --- roads --------------------------------------------------------------------------------


def test_read_roads_explodes_multilines(tmp_path: Path) -> None:
    a = LineString([(109.0, 24.0), (109.1, 24.0)])
    b = LineString([(109.2, 24.0), (109.3, 24.1)])
    c = LineString([(109.4, 24.0), (109.5, 24.0)])
    roads = gpd.GeoDataFrame(
        {"highway": ["trunk", "primary"], "ref": ["G322", "S306"]},
        geometry=[MultiLineString([a, b]), c],
        crs=4326,
    )
    roads.to_file(tmp_path / "roads.geojson")
    gdf = read_roads(tmp_path / "roads.geojson")
    assert list(gdf.index) == [0, 1, 2]
    assert list(gdf["highway"]) == ["trunk", "trunk", "primary"]
    assert list(gdf["ref"]) == ["G322", "G322", "S306"]
    assert [g.equals(want) for g, want in zip(gdf.geometry, [a, b, c], strict=True)] == [True] * 3


def test_read_roads_sample() -> None:
    gdf = read_roads(DATA / "roads" / "luzhai_backbone.geojson")
    assert len(gdf) == 1370  # data/README.md
    assert set(gdf.geom_type) == {"LineString"}
    assert {"highway", "construction", "brunnel"} <= set(gdf.columns)


def test_roads_reject_polygons_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"MultiPolygon.*LineString or MultiLineString"):
        read_roads(COUNTIES)
    empty = write(tmp_path, '{"type": "FeatureCollection", "features": []}', "e.geojson")
    with pytest.raises(InputFileError, match="no features"):
        read_roads(empty)
    with pytest.raises(InputFileError, match="not found"):
        read_roads(tmp_path / "roads.gpkg")


def test_roads_with_a_missing_geometry(tmp_path: Path) -> None:
    text = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"h": "a"}, "geometry": '
        '{"type": "LineString", "coordinates": [[109, 24], [109.1, 24]]}},'
        '{"type": "Feature", "properties": {"h": "b"}, "geometry": null}]}'
    )
    with pytest.raises(CoordinateError, match=r"feature 2 .*no geometry"):
        read_roads(write(tmp_path, text, "r.geojson"))


# --- tables -------------------------------------------------------------------------------


def test_read_table_gbk_and_xlsx(tmp_path: Path) -> None:
    text = "乡镇,人口\n鹿寨镇,123456\n中渡镇,45678\n"
    table = read_table(write(tmp_path, text, "pop.csv", encoding="gbk"))
    assert list(table.columns) == ["乡镇", "人口"]
    assert list(table["乡镇"]) == ["鹿寨镇", "中渡镇"]
    assert list(table["人口"]) == ["123456", "45678"]
    assert list(table.index) == [0, 1]
    pd.DataFrame({"乡镇": ["黄冕镇"], "人口": [30000]}).to_excel(tmp_path / "p.xlsx", index=False)
    assert read_table(tmp_path / "p.xlsx").loc[0, "人口"] == "30000"


@pytest.mark.parametrize("top", [
    "柳城县第七次全国人口普查各乡镇常住人口\n\n",   # a title and a blank row
    "表1 各乡镇人口,,\n",                          # a title padded by Excel's CSV export
    "\n\n",                                       # blank rows
    "表1 各乡镇人口\n填报单位：示例县统计局,单位：人\n",  # a line of two cells above
])
def test_a_title_above_the_header_is_skipped_and_said(tmp_path: Path, top: str) -> None:
    text = top + "乡镇,人口\n鹿寨镇,123456\n中渡镇,45678\n"
    header = top.count("\n") + 1
    table = read_table(write(tmp_path, text, "pop.csv", encoding="gbk"))
    assert list(table.columns[:2]) == ["乡镇", "人口"]
    assert list(table["人口"]) == ["123456", "45678"]
    assert table.attrs["rows"] == [header + 1, header + 2]  # spreadsheet rows, for messages
    assert table.attrs["header_row"] == header
    (note,) = [n for n in table.attrs["notes"] if "header" in n]
    assert f"the header is row {header}; the {header - 1} row(s) above it were" in note
    if top.strip(",\n"):
        assert repr(top.strip(",\n").replace(",\n", "; ").replace("\n", "; ")
                    .replace(",", "; ")) in note
    # the same in a workbook, the title in a cell of its own
    book = tmp_path / "pop.xlsx"
    with pd.ExcelWriter(book) as xw:
        if top.strip(",\n"):
            pd.DataFrame([[top.split("\n")[0].strip(",")]]).to_excel(xw, index=False,
                                                                     header=False)
        pd.DataFrame({"乡镇": ["黄冕镇"], "人口": ["30000"]}).to_excel(
            xw, index=False, startrow=header - 1)
    table = read_table(book)
    assert table.loc[0, "人口"] == "30000" and table.attrs["rows"] == [header + 1]


def test_a_header_row_stays_the_header(tmp_path: Path) -> None:
    # a header with a blank name above rows of numbers is still the header; a first row of
    # two names is the header even when later rows have more cells
    table = read_table(write(tmp_path, "乡镇,\n鹿寨镇,123456\n中渡镇,45678\n", "a.csv"))
    assert list(table["乡镇"]) == ["鹿寨镇", "中渡镇"] and table.attrs["header_row"] == 1
    assert not [n for n in table.attrs["notes"] if "header" in n]


def test_a_title_above_a_facility_list_is_stated(tmp_path: Path) -> None:
    text = ("鹿寨县医疗机构名录（2024年）\nid,name,type,lon,lat\n"
            "A,鹿寨县人民医院,县人民医院,109.75,24.48\n")
    gdf = read_facilities(write(tmp_path, text, "fac.csv"))
    assert list(gdf["id"]) == ["A"]
    assert any("the header is row 2" in n and "鹿寨县医疗机构名录" in n for n in gdf.attrs["notes"])
    # without ids, a bad value is named by its row in the spreadsheet (3), not its place
    # in the data
    bad = text.replace("id,", "").replace("A,", "").replace("109.75", "abc")
    with pytest.raises(CoordinateError, match=r"row 3 \(lon 'abc'"):
        read_facilities(write(tmp_path, bad, "bad.csv"))


def test_read_table_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "pop.csv")
    with pytest.raises(InputFileError, match="no data rows"):
        read_table(write(tmp_path, "乡镇,人口\n", "h.csv"))
    with pytest.raises(InputFileError, match="cannot read"):
        read_table(write(tmp_path, "not a spreadsheet", "fake.xlsx"))


# --- points with counts -------------------------------------------------------------------


def test_read_points_population(tmp_path: Path) -> None:
    path = write(tmp_path, "经度,纬度,pop\n109.5,24.25,120\n109.6,24.3,0\n109.7,24.35,35.5\n")
    gdf = read_points(path, count_col="pop")
    assert list(gdf["population"]) == [120.0, 0.0, 35.5]
    assert gdf["population"].dtype == float
    assert list(gdf.geometry.x) == [109.5, 109.6, 109.7]
    assert gdf.crs.to_epsg() == 4326


def test_read_points_bad_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "lon,lat,pop\n109.5,24.25,120\n109.6,24.3,-5\n109.7,24.35,many\n")
    with pytest.raises(ColumnError) as err:
        read_points(path, count_col="pop")
    message = str(err.value)
    assert "row 3 ('-5')" in message and "row 4 ('many')" in message and "row 2" not in message
    with pytest.raises(ColumnError, match=r"'people'.*'pop'"):
        read_points(path, count_col="people")


def test_read_points_vector(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"n": [10, 20]}, geometry=[Point(109.5, 24.25), Point(109.6, 24.3)], crs=4326
    )
    gdf.to_file(tmp_path / "p.gpkg")
    out = read_points(tmp_path / "p.gpkg", count_col="n")
    assert list(out["population"]) == [10.0, 20.0]


# --- automatic ids ------------------------------------------------------------------------


def test_no_id_column_gives_automatic_ids_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "名称,lon,lat\n甲,109.5,24.25\n乙,109.6,24.3\n丙,109.7,24.35\n")
    gdf = read_facilities(path)
    assert list(gdf["id"]) == ["F0001", "F0002", "F0003"]
    assert list(gdf["名称"]) == ["甲", "乙", "丙"]
    assert gdf.attrs["notes"] == [
        "f.csv has no id column: its 3 facilities are numbered F0001–F0003 in file order "
        "(give id_col to use ids of your own)"
    ]
    # an id column named otherwise is used without id_col when it is called id/ID
    upper = read_facilities(write(tmp_path, "ID,lon,lat\nA,109.5,24.25\n", "u.csv"))
    assert list(upper["id"]) == ["A"] and upper.attrs["notes"] == []


def test_automatic_ids_widen_past_9999(tmp_path: Path) -> None:
    rows = "".join(f"{109 + i * 1e-5:.5f},24.5\n" for i in range(10_000))
    gdf = read_facilities(write(tmp_path, "lon,lat\n" + rows))
    assert gdf["id"].iloc[0] == "F00001" and gdf["id"].iloc[-1] == "F10000"
    assert gdf["id"].is_unique


def test_automatic_ids_for_a_point_layer_and_errors_name_rows(tmp_path: Path) -> None:
    gpd.GeoDataFrame({"n": ["a", "b"]}, geometry=[Point(109.5, 24.25), Point(109.6, 24.3)],
                     crs=4326).to_file(tmp_path / "p.gpkg")
    assert list(read_facilities(tmp_path / "p.gpkg")["id"]) == ["F0001", "F0002"]
    bad = write(tmp_path, "名称,lon,lat\n甲,109.5,24.25\n乙,abc,24.3\n", "bad.csv")
    with pytest.raises(CoordinateError, match=r"row 3 \(lon 'abc'"):
        read_facilities(bad)


def test_a_named_id_column_that_is_missing_still_stops(tmp_path: Path) -> None:
    path = write(tmp_path, "名称,lon,lat\n甲,109.5,24.25\n")
    with pytest.raises(ColumnError, match=r"no column 'code'.*id_col"):
        read_facilities(path, id_col="code")


def test_input_notes_collects_each_note_once(tmp_path: Path) -> None:
    path = write(tmp_path, "名称,lon,lat\n甲,109.5,24.25\n")
    gbk = write(tmp_path, "乡镇,人口\n鹿寨镇,1\n", "pop.csv", encoding="gbk")
    fac, table = read_facilities(path), read_table(gbk)
    notes = input_notes(fac, table, fac, pd.DataFrame())
    assert notes == [fac.attrs["notes"][0], table.attrs["notes"][0]]
    assert "F0001" in notes[0] and "GB18030" in notes[1]


def test_gcj02_point_layer_labelled_cgcs2000_is_still_shifted(tmp_path: Path) -> None:
    rows = seat_rows()
    points = [Point(float(r["gcj02_lon"]), float(r["gcj02_lat"])) for r in rows]
    gpd.GeoDataFrame({"id": [r["township"] for r in rows]}, geometry=points,
                     crs="EPSG:4490").to_file(tmp_path / "g.gpkg")
    gdf = read_facilities(tmp_path / "g.gpkg", crs="gcj02")
    want = np.array([(float(r["wgs84_lon"]), float(r["wgs84_lat"])) for r in rows]).T
    assert metres(gdf.geometry.x, gdf.geometry.y, *want).max() < 1.0
    assert gdf.attrs["input_crs"] == "gcj02"


def test_facilities_kept_outside_the_area_are_stated() -> None:
    """outside = "keep" puts how many facilities lie outside the area into the notes the
    outputs carry (counted here with geopandas distances, 1 km tolerance)."""
    area = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson")
    fac = read_facilities(DATA / "facilities" / "facilities_liuzhou_assumed.csv",
                             study_area=area, outside="keep")
    metric = area.to_crs(32649)
    far = fac.to_crs(32649).distance(metric.union_all()) > 1000.0
    assert 0 < int(far.sum()) < len(fac)
    notes = [n for n in fac.attrs["notes"] if "outside the study area are counted" in n]
    assert len(notes) == 1 and notes[0].startswith(f"{int(far.sum())} facilities outside")


def test_a_lon_lat_header_naming_another_system_stops(tmp_path: Path) -> None:
    """'经度（GCJ-02）' is found as the longitude by its name; read as the default WGS84 it
    would put every facility ~500 m off: the header's system must match the crs."""
    text = ("id,name,type,经度（GCJ-02）,纬度（GCJ-02）\n"
            "A,医院,county_general_hospital,109.76,24.48\n")
    path = write(tmp_path, text, "fac.csv")
    with pytest.raises(CoordinateError) as e:
        read_facilities(path)
    assert "'经度（GCJ-02）' names its coordinates gcj02, but they are declared wgs84" in \
        str(e.value) and "set crs = 'gcj02'" in str(e.value)
    gdf = read_facilities(path, crs="gcj02")  # declared: converted as for any GCJ-02 table
    lon, lat = prcoords.gcj_wgs_bored((24.48, 109.76))[::-1]
    assert abs(gdf.geometry.x[0] - lon) < 1e-6 and abs(gdf.geometry.y[0] - lat) < 1e-6
    # columns the study names itself are taken as declared (a header can be wrong)
    named = read_facilities(path, lon_col="经度（GCJ-02）", lat_col="纬度（GCJ-02）")
    assert named.geometry.x[0] == 109.76
    # with crs = "bd09", a header naming BD-09 comes before a plain 经度 of the same table
    both = ("name,type,经度,纬度,经度（百度）,纬度（百度）\n"
            "医院,county_general_hospital,109.70,24.40,109.76,24.48\n")
    bd = read_facilities(write(tmp_path, both, "both.csv"), crs="bd09")
    lat, lon = prcoords.bd_wgs((24.48, 109.76))
    assert abs(bd.geometry.x[0] - lon) < 1e-4 and abs(bd.geometry.y[0] - lat) < 1e-4
    # a header naming the declared system, or none, or two (unclear), is read as declared
    for header in ("经度(WGS84)", "经度(°)", "经度（WGS84，由高德坐标转换）"):
        ok = text.replace("经度（GCJ-02）", header).replace("纬度（GCJ-02）", "纬度")
        assert len(read_facilities(write(tmp_path, ok, "ok.csv"))) == 1


def test_an_excel_97_2003_workbook_is_read(tmp_path: Path) -> None:
    """A .xls (tests/fixtures/make_xls.py): read with xlrd, its title row skipped, Chinese
    headers and type names taken as in an .xlsx."""
    src = Path(__file__).parents[1] / "fixtures" / "医疗机构名录.xls"
    gdf = read_facilities(src, type_col="机构类别")
    assert list(gdf["单位名称"]) == ["鹿寨县人民医院", "中渡镇卫生院", "黄冕镇中心卫生院"]
    assert list(gdf["type"]) == ["county_general_hospital", "township_health_center",
                                 "central_township_health_center"]
    assert gdf.geometry.x.tolist() == [109.752928, 109.608, 109.853]
    assert any("the header is row 3" in n for n in gdf.attrs["notes"])


@pytest.mark.parametrize("name", ["pop.txt", "pop.csv"])
def test_excel_unicode_text_is_read(tmp_path: Path, name: str) -> None:
    """Excel's 'Unicode text' (Unicode 文本) export: UTF-16 with a byte-order mark, cells
    between tabs (also when renamed .csv), here with a title above the header."""
    text = "鹿寨县人口\r\n乡镇\t人口\r\n鹿寨镇\t123456\r\n中渡镇\t45678\r\n"
    (tmp_path / name).write_bytes(text.encode("utf-16"))
    table = read_table(tmp_path / name)
    assert list(table["乡镇"]) == ["鹿寨镇", "中渡镇"]
    assert list(table["人口"]) == ["123456", "45678"]
    assert table.attrs["rows"] == [3, 4] and table.attrs["encoding"] == "utf-16"
    assert any("read as UTF-16, detected from its byte-order mark" in n
               for n in table.attrs["notes"])
