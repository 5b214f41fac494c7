"""Travel-time bands, coverage gaps and facility tiers on tiny cases worked out by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage.bands import band_labels, coverage_gaps, travel_time_bands
from geo.coverage.standards import Standard
from geo.coverage.tiers import nearest_peer, tier_of
from geo.errors import QueryError
from geo.network.lines import build_network
from geo.routing.travel import Snap, snap_points
from tests.conftest import UTM49, X0, Y0, lines_gdf


def _std(name: str, minutes: float) -> Standard:
    return Standard(name, name, name, minutes, "drive", "from_facility", ("x",), 1.0, "t", "t")


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    """Four 1 km cells in a row (UTM 49N): x = 0-1, 1-2, 2-3, 3-4 km."""
    squares = [shapely.box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(4)]
    return gpd.GeoDataFrame({"cell_id": range(4)}, geometry=squares, crs=UTM49)


def test_band_labels() -> None:
    assert band_labels() == ["0–15", "15–30", "30–60", "60–120", ">120"]
    assert band_labels([10, 20]) == ["0–10", "10–20", ">20"]


def test_bands_dissolve_cells_by_minutes(cells: gpd.GeoDataFrame) -> None:
    minutes = {"s": np.array([5.0, 14.9, 15.0, 200.0])}  # 15.0 belongs to 15–30
    bands = travel_time_bands(cells, minutes, [_std("s", 30), _std("na", 15)])
    assert bands["standard"].tolist() == ["s", "s", "s"]  # "na" has no minutes: no rows
    assert bands["band"].tolist() == ["0–15", "15–30", ">120"]  # empty bands left out
    assert bands["cells"].tolist() == [2, 1, 1]
    np.testing.assert_allclose(bands.area, [2e6, 1e6, 1e6])
    first = bands.geometry.iloc[0]
    assert first.geom_type == "Polygon"  # two adjacent cells dissolve into one rectangle
    assert first.equals(shapely.box(X0, Y0, X0 + 2000, Y0 + 1000))
    assert math.isinf(bands["hi"].iloc[-1])


def test_bands_refuse_bad_limits(cells: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValueError, match="increasing"):
        travel_time_bands(cells, {"s": np.zeros(4)}, [_std("s", 30)], breaks=[30, 15])


def test_gaps_cut_by_township_with_people_beyond(cells: gpd.GeoDataFrame) -> None:
    towns = gpd.GeoDataFrame(
        {"township": ["west", "east"]},
        geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 1000),
                  shapely.box(X0 + 2000, Y0, X0 + 4000, Y0 + 1000)],
        crs=UTM49,
    )
    demand = pd.DataFrame({
        "township": ["west", "west", "east", "east"],
        "population": [10.0, 20.0, 30.0, 40.0],
        "minutes_s": [10.0, 31.0, 29.0, 45.0],
    })
    gaps = coverage_gaps(cells, {"s": demand["minutes_s"].to_numpy()}, towns, demand,
                         [_std("s", 30)])
    assert gaps["township"].tolist() == ["west", "east"]
    assert gaps["population"].tolist() == [20.0, 40.0]  # cells 2 and 4 are beyond 30 min
    assert gaps.geometry.iloc[0].equals(shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000))
    assert gaps.geometry.iloc[1].equals(shapely.box(X0 + 3000, Y0, X0 + 4000, Y0 + 1000))
    assert (gaps["minutes"] == 30).all()


def test_tiers() -> None:
    assert tier_of("county_general_hospital") == tier_of("county_cdc") == "county"
    assert tier_of("central_township_health_center") == "township"
    assert tier_of("township_health_center") == "township"
    assert tier_of("village_clinic") == "village"
    assert tier_of("dental_clinic") == "other"


def test_nearest_peer_by_road() -> None:
    """A 10 km primary road at 60 km/h (1 km a minute); facilities on it, no access leg."""
    net = build_network(
        lines_gdf([{"coords": [(0, 0), (5000, 0)], "highway": "primary"},
                   {"coords": [(5000, 0), (10000, 0)], "highway": "primary"}]),
        crs=UTM49, speeds_kmh={"primary": 60.0},
    )
    xs = [0, 2000, 10000, 5000]
    fac = gpd.GeoDataFrame(
        {"id": ["A", "B", "C", "H"],
         "type": ["township_health_center", "central_township_health_center",
                  "township_health_center", "county_general_hospital"]},
        geometry=[shapely.Point(X0 + x, Y0) for x in xs], crs=UTM49,
    ).to_crs(4326)
    peers = nearest_peer(net, fac, access_speed_kmh=25.0)
    assert peers["tier"].tolist() == ["township"] * 3 + ["county"]
    # A-B 2 km of road = 2 min (the straight line at 25 km/h would take 4.8 min);
    # C's nearest is B, 8 km = 8 min; the hospital is alone in its tier.
    np.testing.assert_allclose(peers["peer_minutes"].to_numpy()[:3], [2.0, 2.0, 8.0], atol=0.05)
    assert peers["peer_id"].tolist()[:3] == ["B", "A", "B"]
    assert math.isnan(peers["peer_minutes"].iloc[3]) and peers["peer_id"].iloc[3] == ""
    # the facilities joined beforehand (a study joins them once for the peers and its
    # measures): the same answer; joins of other places are refused
    g = fac.geometry.to_crs(net.crs)
    joined = snap_points(net, np.column_stack([g.x, g.y]))
    pd.testing.assert_frame_equal(nearest_peer(net, fac, access_speed_kmh=25.0, snap=joined),
                                  peers)
    with pytest.raises(QueryError, match="3 joins given for 4 facilities"):
        nearest_peer(net, fac, access_speed_kmh=25.0, snap=Snap(
            joined.xy[:3], joined.seg[:3], joined.t[:3], joined.access_m[:3]))
