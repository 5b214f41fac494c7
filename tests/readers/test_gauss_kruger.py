"""Declared coordinate systems: cgcs2000, EPSG lon/lat and Gauss-Krüger x/y tables and layers.

Expected positions are worked out independently of pyproj: the Gauss-Krüger (transverse
Mercator, scale 1 on the central meridian) coordinates of the nine Luzhai township seats
(data/boundaries/luzhai_township_seats.csv, WGS84 lon/lat) come from Snyder's series (USGS
Professional Paper 1395, eqs. 8-9 to 8-10) written out below, on the CGCS2000 ellipsoid
(a = 6 378 137 m, 1/f = 298.257222101) or Xian 1980's IAG-75 (6 378 140 m, 298.257).
The readers must give back the seats' lon/lat; pyproj's own Transformer is compared too.
Zone numbers and EPSG codes are from the EPSG registry's names (e.g. EPSG:4525 = CGCS2000 /
3-degree Gauss-Kruger zone 37, central meridian 3 x 37 = 111°E).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Point, Polygon

from geo.crs import CGCS2000_NOTE, input_system
from geo.errors import ColumnError, CoordinateError
from geo.readers import read_boundaries, read_facilities, read_points

DATA = Path(__file__).resolve().parents[2] / "data"
GEOD = Geod(ellps="WGS84")
CGCS2000 = (6378137.0, 1 / 298.257222101)
IAG75 = (6378140.0, 1 / 298.257)


def seats() -> list[dict[str, str]]:
    with (DATA / "boundaries" / "luzhai_township_seats.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


LON = np.array([float(r["wgs84_lon"]) for r in seats()])
LAT = np.array([float(r["wgs84_lat"]) for r in seats()])


def snyder(lon: np.ndarray, lat: np.ndarray, cm: float, ellipsoid=CGCS2000):  # type: ignore[no-untyped-def]
    """Transverse Mercator forward, k0 = 1, origin on the equator (Snyder 1987, 8-9/8-10)."""
    a, f = ellipsoid
    e2 = 2 * f - f * f
    ep2 = e2 / (1 - e2)
    phi, dlam = np.radians(lat), np.radians(lon - cm)
    n = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    t, c, big_a = np.tan(phi) ** 2, ep2 * np.cos(phi) ** 2, dlam * np.cos(phi)
    m = a * ((1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256) * phi
             - (3 * e2 / 8 + 3 * e2**2 / 32 + 45 * e2**3 / 1024) * np.sin(2 * phi)
             + (15 * e2**2 / 256 + 45 * e2**3 / 1024) * np.sin(4 * phi)
             - (35 * e2**3 / 3072) * np.sin(6 * phi))
    x = n * (big_a + (1 - t + c) * big_a**3 / 6
             + (5 - 18 * t + t * t + 72 * c - 58 * ep2) * big_a**5 / 120)
    y = m + n * np.tan(phi) * (big_a**2 / 2 + (5 - t + 9 * c + 4 * c * c) * big_a**4 / 24
                               + (61 - 58 * t + t * t + 600 * c - 330 * ep2) * big_a**6 / 720)
    return x + 500_000.0, y


def table(tmp_path: Path, x: np.ndarray, y: np.ndarray, cols=("x", "y"), name="gk.csv") -> Path:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"id": [r["township"] for r in seats()][: len(x)],
                          cols[0]: x, cols[1]: y})
    path = tmp_path / name
    frame.to_csv(path, index=False, float_format="%.4f")
    return path


def metres(gdf: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.asarray(GEOD.inv(gdf.geometry.x, gdf.geometry.y, lon, lat)[2])


def test_snyder_reference_is_sound() -> None:
    # on the central meridian the easting is the false easting and the northing the
    # meridian arc: 1° of latitude at 24.5°N is about 110.8 km
    x0, y0 = snyder(np.array([111.0]), np.array([24.0]), 111.0)
    _, y1 = snyder(np.array([111.0]), np.array([25.0]), 111.0)
    assert x0[0] == pytest.approx(500_000.0)
    assert 110_700 < y1[0] - y0[0] < 110_900


@pytest.mark.parametrize(
    ("epsg", "cm", "prefix"),
    [
        ("EPSG:4525", 111, 37),  # CGCS2000 3-degree zone 37 (prefix 37)
        ("EPSG:4546", 111, 0),   # CGCS2000 3-degree CM 111E (no prefix)
        ("EPSG:4497", 111, 19),  # CGCS2000 6-degree zone 19 (CM 6 x 19 - 3 = 111E)
        ("EPSG:4508", 111, 0),   # CGCS2000 6-degree CM 111E
        ("EPSG:4545", 108, 0),   # CGCS2000 3-degree CM 108E (Luzhai lies 1.3-2.2° east)
    ],
)
def test_gauss_kruger_tables_give_the_seats_back(
    tmp_path: Path, epsg: str, cm: int, prefix: int
) -> None:
    x, y = snyder(LON, LAT, cm)
    path = table(tmp_path, x + prefix * 1e6, y)
    gdf = read_facilities(path, crs=epsg)
    assert metres(gdf, LON, LAT).max() < 0.01  # Snyder's series: sub-centimetre here
    direct = Transformer.from_crs(epsg, "EPSG:4490", always_xy=True).transform(
        x + prefix * 1e6, y)
    np.testing.assert_allclose(gdf.geometry.x, direct[0], atol=1e-9)
    np.testing.assert_allclose(gdf.geometry.y, direct[1], atol=1e-9)
    assert gdf.attrs["input_crs"] == epsg
    assert set(gdf["input_crs"]) == {epsg}
    np.testing.assert_allclose(gdf["input_x"], np.round(x + prefix * 1e6, 4))
    assert CGCS2000_NOTE in gdf.attrs["notes"]


def test_cgcs2000_lon_lat_is_taken_as_wgs84(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    pd.DataFrame({"id": ["a", "b"], "经度": LON[:2], "纬度": LAT[:2]}).to_csv(path, index=False)
    for crs in ("cgcs2000", "CGCS2000", "EPSG:4490"):
        gdf = read_facilities(path, crs=crs)
        assert list(gdf.geometry.x) == list(LON[:2]) and list(gdf.geometry.y) == list(LAT[:2])
        assert gdf.attrs["input_crs"] == "cgcs2000"
        assert gdf.attrs["notes"] == [CGCS2000_NOTE]
        assert "sub-metre" in CGCS2000_NOTE


def test_xian1980_says_the_datum_shift_is_left_out(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111, IAG75)
    gdf = read_facilities(table(tmp_path, x + 37e6, y), crs="EPSG:2361")  # Xian 1980 zone 37
    assert metres(gdf, LON, LAT).max() < 0.01  # the projection undone exactly, no shift
    assert any("without a datum shift" in n for n in gdf.attrs["notes"])


def test_gauss_kruger_point_layer(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    layer = gpd.GeoDataFrame({"id": [r["township"] for r in seats()]},
                             geometry=[Point(a + 37e6, b) for a, b in zip(x, y, strict=True)],
                             crs="EPSG:4525")
    layer.to_file(tmp_path / "gk.gpkg")
    gdf = read_facilities(tmp_path / "gk.gpkg")
    assert metres(gdf, LON, LAT).max() < 0.01
    assert gdf.attrs["input_crs"] == "EPSG:4525"
    assert CGCS2000_NOTE in gdf.attrs["notes"]


def test_gauss_kruger_polygon_layer(tmp_path: Path) -> None:
    x, y = snyder(LON[:4], LAT[:4], 111)
    ring = Polygon([(a + 37e6, b) for a, b in zip(x, y, strict=True)]).convex_hull
    gpd.GeoDataFrame({"n": [1]}, geometry=[ring], crs="EPSG:4525").to_file(tmp_path / "p.shp")
    gdf = read_boundaries(tmp_path / "p.shp")
    got = np.array(gdf.geometry[0].exterior.coords)
    want_lon, want_lat = Transformer.from_crs("EPSG:4525", "EPSG:4490", always_xy=True).transform(
        *np.array(ring.exterior.coords).T)
    np.testing.assert_allclose(got[:, 0], want_lon, atol=1e-9)
    np.testing.assert_allclose(got[:, 1], want_lat, atol=1e-9)
    assert gdf.attrs["notes"] == [
        "p.shp: 1 features converted from EPSG:4525 (CGCS2000 / 3-degree Gauss-Kruger zone "
        "37) x/y to WGS84", CGCS2000_NOTE]


def test_utm_table_and_its_area_of_use(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
    x, y = to_utm.transform(LON, LAT)
    gdf = read_facilities(table(tmp_path, np.asarray(x), np.asarray(y), ("easting", "northing")),
                          crs="EPSG:32649")
    assert metres(gdf, LON, LAT).max() < 0.001
    # WGS 84 / UTM: nothing approximate, the conversion stated
    assert gdf.attrs["notes"] == ["gk.csv: 9 positions converted from EPSG:32649 (WGS 84 / UTM "
                                  "zone 49N) x/y to WGS84 lon/lat"]
    far = table(tmp_path, np.array([400_000.0, 400_000.0]), np.array([2_700_000.0, 9e6]),
                name="far.csv")
    with pytest.raises(CoordinateError, match=r"facility '中渡镇'.*where EPSG:32649"):
        read_facilities(far, crs="EPSG:32649")


# --- wrong codes ----------------------------------------------------------------------------


def _fails(tmp_path: Path, x: np.ndarray, y: np.ndarray, crs: str, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(CoordinateError) as err:
        read_facilities(table(tmp_path, x, y, **kw), crs=crs)
    return str(err.value)


def test_zone_prefix_with_a_code_without_prefix(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    message = _fails(tmp_path, x + 37e6, y, "EPSG:4534")
    assert "the easting carries zone prefix 37" in message
    assert "use EPSG:4525" in message
    assert "facility '鹿寨镇'" in message


def test_no_prefix_with_a_zone_code(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    message = _fails(tmp_path, x, y, "EPSG:4525")
    assert "no zone prefix" in message and "use EPSG:4546" in message


def test_prefix_of_another_zone(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 114)
    assert "use EPSG:4526" in _fails(tmp_path, x + 38e6, y, "EPSG:4525")  # zone 38 = CM 114
    x, y = snyder(LON, LAT, 111)
    # a 6-degree prefix (19) under a 3-degree code: zone 19 of the 6-degree system
    assert "use EPSG:4497" in _fails(tmp_path, x + 19e6, y, "EPSG:4546")


def test_survey_convention_x_north_is_found(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    message = _fails(tmp_path, y, x + 37e6, "EPSG:4525", cols=("X坐标", "Y坐标"))
    assert "swapped" in message
    assert "x_col = 'Y坐标' and y_col = 'X坐标'" in message
    ok = read_facilities(table(tmp_path, y, x + 37e6, ("X坐标", "Y坐标"), "ok.csv"),
                         crs="EPSG:4525", x_col="Y坐标", y_col="X坐标")
    assert metres(ok, LON, LAT).max() < 0.01


def test_metres_declared_as_lon_lat(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    message = _fails(tmp_path, x + 37e6, y, "wgs84")
    assert "out of range" in message and "declare crs = 'EPSG:4525'" in message


def test_wrong_central_meridian_found_through_the_study_area(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)  # CM 111E values declared as CM 108E
    area = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson")
    with pytest.raises(CoordinateError) as err:
        read_facilities(table(tmp_path, x, y), crs="EPSG:4545", study_area=area)
    message = str(err.value)
    assert "km outside" in message
    fit = "in EPSG:4546 (CGCS2000 / 3-degree Gauss-Kruger CM 111E) they would lie inside"
    assert fit in message


def test_layer_whose_prj_does_not_fit_its_coordinates(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    layer = gpd.GeoDataFrame({"id": list("abcdefghi")},
                             geometry=[Point(a + 37e6, b) for a, b in zip(x, y, strict=True)],
                             crs="EPSG:4546")  # says CM 111E without prefix
    layer.to_file(tmp_path / "bad.gpkg")
    with pytest.raises(CoordinateError, match=r"feature 1.*zone prefix 37.*EPSG:4525"):
        read_facilities(tmp_path / "bad.gpkg")


def test_column_options_must_fit_the_system(tmp_path: Path) -> None:
    x, y = snyder(LON, LAT, 111)
    path = table(tmp_path, x + 37e6, y)
    with pytest.raises(ColumnError, match="x_col"):
        read_facilities(path, crs="EPSG:4525", lon_col="x", lat_col="y")
    with pytest.raises(ColumnError, match="lon_col/lat_col"):
        read_facilities(path, x_col="x", y_col="y")
    with pytest.raises(CoordinateError, match=r"cgcs2000.*EPSG:4525"):
        read_facilities(path, crs="xian80")
    with pytest.raises(CoordinateError, match="not an EPSG code"):
        read_facilities(path, crs="EPSG:999999")


def test_read_points_in_gauss_kruger(tmp_path: Path) -> None:
    x, y = snyder(LON[:3], LAT[:3], 111)
    path = tmp_path / "pop.csv"
    frame = pd.DataFrame({"东坐标": x + 37e6, "北坐标": y, "人口": [100, 200, 300]})
    frame.to_csv(path, index=False)
    gdf = read_points(path, count_col="人口", crs="EPSG:4525")
    assert list(gdf["population"]) == [100.0, 200.0, 300.0]
    assert metres(gdf, LON[:3], LAT[:3]).max() < 0.01


def test_input_system_names() -> None:
    assert input_system("WGS-84").name == "wgs84"
    assert input_system("EPSG:4326").name == "wgs84"
    assert input_system("epsg:4525").label == "EPSG:4525 (CGCS2000 / 3-degree Gauss-Kruger zone 37)"
    assert input_system("EPSG:4525").projected and not input_system("cgcs2000").projected
    assert math.isclose(input_system("EPSG:4490").crs.ellipsoid.inverse_flattening, 298.257222101)
