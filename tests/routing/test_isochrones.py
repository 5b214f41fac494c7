"""Isochrone polygons on a hand-worked straight road."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.network.lines import build_network
from geo.routing.isochrones import METHOD, isochrones
from geo.routing.travel import snap_points
from tests.conftest import UTM49, X0, Y0, lines_gdf


def _inside(iso: gpd.GeoDataFrame, row: int, pts: list[tuple[float, float]]) -> list[bool]:
    poly = iso.to_crs(UTM49).geometry.iloc[row]
    return [bool(poly.covers(shapely.Point(X0 + x, Y0 + y))) for x, y in pts]


def test_straight_road_isochrone_by_hand() -> None:
    # 10 km of primary road at 60 km/h (1 km a minute); legs at 3.6 km/h (1 m/s)
    net = build_network(lines_gdf([{"coords": [(0, 0), (10000, 0)], "highway": "primary"}]),
                        crs=UTM49, speeds_kmh={"primary": 60.0})
    fac = snap_points(net, np.array([[X0, Y0]]))
    iso = isochrones(net, fac, [5], access_speed_kmh=3.6, simplify_m=0)
    assert iso["method"].iloc[0] == METHOD
    # at x = 2.5 km the road is reached after 150 s: 150 s left, 150 m off the road
    # the road ends being reached at x = 5 km; behind the facility, a 300 m disc
    assert _inside(iso, 0, [(2500, 140), (2500, -140), (4900, 0), (-290, 0), (0, 290)]) == [
        True] * 5
    assert _inside(iso, 0, [(2500, 160), (5100, 0), (-310, 0), (0, 310)]) == [False] * 4
    # area: a 300 m half-disc behind plus a triangle-like band along 5 km (2 x 0.5 x 5000 x 300)
    area = iso.to_crs(UTM49).area.iloc[0]
    assert area == pytest.approx(np.pi * 300**2 / 2 + 5000 * 300, rel=0.02)


def test_one_way_road_isochrone_goes_one_way() -> None:
    # a one-way street east along y = 0, back west on a two-way road 20 km north
    rows = [
        {"coords": [(-10000, 0), (10000, 0)], "highway": "primary", "oneway": "yes"},
        {"coords": [(10000, 0), (10000, 20000), (-10000, 20000), (-10000, 0)],
         "highway": "primary"},
    ]
    net = build_network(lines_gdf(rows), crs=UTM49, speeds_kmh={"primary": 60.0})
    fac = snap_points(net, np.array([[X0, Y0]]))
    out = isochrones(net, fac, [3], access_speed_kmh=3.6, simplify_m=0)
    back = isochrones(net, fac, [3], access_speed_kmh=3.6, direction="to_facility", simplify_m=0)
    # driving out goes east only; coming in, from the west only
    assert _inside(out, 0, [(2500, 0), (-2500, 0)]) == [True, False]
    assert _inside(back, 0, [(2500, 0), (-2500, 0)]) == [False, True]


def test_thresholds_nest_and_leg_cap() -> None:
    net = build_network(lines_gdf([{"coords": [(0, 0), (10000, 0)], "highway": "primary"}]),
                        crs=UTM49, speeds_kmh={"primary": 60.0})
    fac = snap_points(net, np.array([[X0 + 3000, Y0 + 500]]))
    iso = isochrones(net, fac, [10, 5], access_speed_kmh=20, max_leg_m=200, ids=["F1"],
                     simplify_m=0)
    assert iso["minutes"].tolist() == [5.0, 10.0] and (iso["facility"] == "F1").all()
    small, big = iso.to_crs(UTM49).geometry
    assert big.buffer(0.01).covers(small)
    assert small.geom_type == "Polygon"  # the facility's own leg joins it to the road
    assert not _inside(iso, 1, [(3000, 800)])[0]  # 300 m off the road: beyond the 200 m cap
    with pytest.raises(ValueError, match="positive"):
        isochrones(net, fac, [0], access_speed_kmh=20)
