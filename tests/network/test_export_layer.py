"""A network cache written as a line layer routes as the cache does (networkx on both)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from scipy.spatial import cKDTree

from geo.cli.main import main
from geo.network.cache import load_networks
from geo.network.export import _apart
from geo.network.graph import Network
from geo.network.sources import RoadOptions, networks_from_source
from tests.conftest import DATA


def _graph(net: Network, ids: np.ndarray) -> nx.DiGraph:
    """Node ``ids[i]`` for node i, the fastest edge each way."""
    g = nx.DiGraph()
    for u, v, fw, bw in zip(net.seg_u, net.seg_v, net.seg_fw_s, net.seg_bw_s, strict=True):
        for a, b, s in ((ids[u], ids[v], fw), (ids[v], ids[u], bw)):
            if a != b and np.isfinite(s) and (not g.has_edge(a, b) or g[a][b]["s"] > s):
                g.add_edge(int(a), int(b), s=float(s))
    return g


@pytest.mark.parametrize("speeds", [None, {"primary": 52.0}])
def test_exported_layer_routes_as_the_cache(tmp_path: Path,
                                            speeds: dict[str, float] | None) -> None:
    """Luzhai's backbone (gap-closing connectors, crossings joined as junctions, one-way
    ramps) built as a cache, with the default speeds and with a speed table of its own;
    exported and rebuilt with the cache's junctions: the same nodes, and from 25 of them
    the same seconds to every node (networkx Dijkstra on both), to the fraction of a
    second the nodes drawn apart (at most 0.5 m) add."""
    roads = DATA / "roads" / "luzhai_backbone.geojson"
    cache = tmp_path / "roads.npz"
    nets = networks_from_source(roads, ["drive"], RoadOptions(speeds_kmh=speeds or {}))
    from geo.network.cache import save_networks

    save_networks(cache, nets)
    assert main(["network", "export", str(cache), "--out", str(tmp_path / "roads.gpkg")]) == 0
    net = load_networks(cache, ["drive"])["drive"]
    assert (net.seg_class == "connector").any()  # the layer needs gap closing
    again = networks_from_source(tmp_path / "roads.gpkg", ["drive"], RoadOptions(
        node_crossings=False, snap_tolerance_m=0.0))["drive"]
    # each rebuilt node is a cache node, where the export drew it: moved by the WGS84
    # round trip (< 1 mm), and nodes sharing a position without a junction (a road over
    # another) drawn apart
    drawn = _apart(net.node_xy)
    moved = (drawn != net.node_xy).any(axis=1)
    assert 0 < moved.sum() < 200 and np.abs(drawn - net.node_xy).max() <= 0.501
    dist, ids = cKDTree(drawn).query(again.node_xy)
    assert dist.max() < 1e-3 and len(set(ids)) == again.n_nodes == net.n_nodes
    a, b = _graph(net, np.arange(net.n_nodes)), _graph(again, ids)
    assert set(a.nodes) == set(b.nodes) and a.number_of_edges() == b.number_of_edges()
    rng = np.random.default_rng(7)
    nodes = sorted(a.nodes)
    for i in rng.choice(len(nodes), 25, replace=False):
        da = nx.single_source_dijkstra_path_length(a, nodes[i], weight="s")
        db = nx.single_source_dijkstra_path_length(b, nodes[i], weight="s")
        assert da.keys() == db.keys()
        for n, s in da.items():
            assert db[n] == pytest.approx(s, abs=0.5), (nodes[i], n)  # nodes drawn apart


def test_export_refuses_what_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    roads = DATA / "roads" / "luzhai_backbone.geojson"
    assert main(["network", "export", str(roads), "--out", str(tmp_path / "r.gpkg")]) == 2
    assert "luzhai_backbone.geojson is not a network cache (.npz)" in capsys.readouterr().err
    cache = tmp_path / "roads.npz"
    assert main(["network", "build", str(roads), "--out", str(cache), "--modes", "drive"]) == 0
    assert main(["network", "export", str(cache), "--out", str(tmp_path / "r.csv")]) == 2
    assert ".gpkg, .geojson, .shp" in capsys.readouterr().err
    assert main(["network", "export", str(cache), "--out", str(tmp_path / "r.gpkg"),
                 "--mode", "walk"]) == 2
    assert "--modes drive,walk" in capsys.readouterr().err
