"""Travel times on tiny networks, worked out by hand, and against networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from geo.coverage.standards import Standard
from geo.coverage.tables import coverage_table
from geo.network.lines import build_network
from geo.routing.travel import (
    nearest_facility,
    node_nearest,
    node_reach,
    nodes_as_snap,
    od_matrix,
    reach_matrix,
    snap_points,
)
from tests.conftest import UTM49, X0, Y0, lines_gdf

ACCESS = 20.0  # km/h, so 1 km of access leg = 180 s


def _straight_road():  # type: ignore[no-untyped-def]
    rows = [
        {"coords": [(0, 0), (5000, 0)], "highway": "primary"},
        {"coords": [(5000, 0), (10000, 0)], "highway": "primary"},
    ]
    return build_network(lines_gdf(rows), crs=UTM49, speeds_kmh={"primary": 60.0})


def _xy(points: list[tuple[float, float]]) -> np.ndarray:
    return np.array([(X0 + x, Y0 + y) for x, y in points])


FACILITY = [(0, 1000)]
# P1: 0.5 km off the far end; P2: 2 km off the road at x = 2.5 km; P3: 0.5 km from the facility
DEMAND = [(10000, 500), (2500, -2000), (0, 1500)]


def test_hand_worked_times() -> None:
    net = _straight_road()
    fac = snap_points(net, _xy(FACILITY))
    dem = snap_points(net, _xy(DEMAND))
    assert fac.access_m[0] == pytest.approx(1000.0, abs=1e-6)
    np.testing.assert_allclose(dem.access_m, [500.0, 2000.0, 1500.0], atol=1e-6)
    secs, idx = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS)
    # P1: leg 180 s + 10 km at 60 km/h (600 s) + leg 0.5 km (90 s) = 870 s;
    #     straight line 10,012.5 m at 20 km/h = 1,802 s is slower.
    # P2: 180 + 2.5 km along the road (150 s) + 2 km leg (360 s) = 690 s;
    #     straight line sqrt(2500² + 3000²) = 3,905 m = 703 s is slower.
    # P3: straight line 500 m at 20 km/h = 90 s beats 180 + 270 via the road.
    np.testing.assert_allclose(secs, [870.0, 690.0, 90.0], atol=1e-6)
    assert idx.tolist() == [0, 0, 0]


def test_hand_worked_coverage_shares() -> None:
    net = _straight_road()
    secs, _ = nearest_facility(net, snap_points(net, _xy(FACILITY)),
                               snap_points(net, _xy(DEMAND)), access_speed_kmh=ACCESS)
    std = Standard("s12", "12 min", "12 min", 12.0, "drive", "from_facility", ("x",), 0.8,
                   "test", "test")
    table = coverage_table(["A", "A", "B"], [100.0, 200.0, 300.0], {"s12": secs / 60}, [std],
                           {}, ["A", "B"])
    a, b = table.iloc[0], table.iloc[1]
    # A: P1 14.5 min (out), P2 11.5 min (in): 200 of 300 covered
    assert a["covered_population"] == 200.0
    assert a["covered_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert not a["meets_target"]
    assert a["max_minutes"] == 14.5
    # weighted median of {11.5 (200 people), 14.5 (100 people)} is 11.5
    assert a["median_minutes"] == 11.5
    assert b["covered_share"] == 1.0 and b["meets_target"]


def test_one_way_ring_direction() -> None:
    # a one-way ring, 5 km a side at 60 km/h (300 s a side), driven anticlockwise
    ring = [(0, 0), (5000, 0), (5000, 5000), (0, 5000), (0, 0)]
    rows = [{"coords": [ring[i], ring[i + 1]], "highway": "primary", "oneway": "yes"}
            for i in range(4)]
    net = build_network(lines_gdf(rows), crs=UTM49, speeds_kmh={"primary": 60.0})
    fac = snap_points(net, _xy([(1000, -1000)]))  # 1 km off side 1, at t = 0.2
    dem = snap_points(net, _xy([(-1000, 4000)]))  # 1 km off side 4, at t = 0.2
    kw = {"access_speed_kmh": 10.0}  # 1 km leg = 360 s
    out, _ = nearest_facility(net, fac, dem, direction="from_facility", **kw)
    back, _ = nearest_facility(net, fac, dem, direction="to_facility", **kw)
    # out: 360 + 0.8*300 + 300 + 300 + 0.2*300 + 360 (straight line 5,385 m = 1,939 s)
    assert out[0] == pytest.approx(1620.0, abs=1e-6)
    # back: 360 + 0.8*300 (rest of side 4) + 0.2*300 (start of side 1) + 360
    assert back[0] == pytest.approx(1020.0, abs=1e-6)


def test_same_segment_without_leaving_it() -> None:
    # facility and point both on one 10 km segment, 4 km apart along it
    net = build_network(lines_gdf([{"coords": [(0, 0), (10000, 0)], "highway": "primary"}]),
                        crs=UTM49, speeds_kmh={"primary": 60.0})
    fac = snap_points(net, _xy([(3000, 100)]))
    dem = snap_points(net, _xy([(7000, -100)]))
    secs, _ = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS)
    # 100 m leg (18 s) + 4 km at 60 km/h (240 s) + 100 m leg (18 s)
    assert secs[0] == pytest.approx(276.0, abs=1e-6)


def test_motorway_not_joined_between_interchanges() -> None:
    rows = [
        {"coords": [(0, 0), (10000, 0)], "highway": "motorway"},
        {"coords": [(0, 0), (0, 3000)], "highway": "primary"},
        {"coords": [(10000, 0), (10000, 3000)], "highway": "primary"},
    ]
    net = build_network(lines_gdf(rows), crs=UTM49)
    snap = snap_points(net, _xy([(5000, 100)]))
    # nearest non-motorway road: the primary at x = 0, met at (0, 100), 5 km away; the
    # motorway 100 m away is not joined
    assert snap.access_m[0] == pytest.approx(5000.0, abs=1e-3)
    assert net.seg_class[snap.seg[0]] == "primary"


def _grid_lines(n: int, step: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    rng = np.random.default_rng(7)
    classes = ["primary", "secondary", "tertiary", "residential"]
    for i in range(n):
        for j in range(n - 1):
            rows.append({"coords": [(i * step, j * step), (i * step, (j + 1) * step)],
                         "highway": classes[rng.integers(4)]})
            rows.append({"coords": [(j * step, i * step), ((j + 1) * step, i * step)],
                         "highway": classes[rng.integers(4)],
                         "oneway": "yes" if rng.random() < 0.2 else "no"})
    return rows


def _reference(net, fac, dem, fac_xy, dem_xy, direction, offset=None):  # type: ignore[no-untyped-def]
    """Same model on a networkx graph, all legs written in the original orientation.

    ``offset``: seconds per facility on its edge to (or from) the super source ``S``.
    """
    g = nx.DiGraph()
    v = ACCESS / 3.6
    off = np.zeros(len(fac.seg)) if offset is None else np.asarray(offset, dtype=float)

    def add(a: object, b: object, w: float) -> None:
        if math.isfinite(w) and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
            g.add_edge(a, b, weight=w)

    def part(frac: float, secs: float) -> float:  # no part of a segment costs 0, one-way too
        return frac * secs if frac > 0 else 0.0

    for s in range(len(net.seg_u)):
        add(int(net.seg_u[s]), int(net.seg_v[s]), net.seg_fw_s[s])
        add(int(net.seg_v[s]), int(net.seg_u[s]), net.seg_bw_s[s])
    out = direction == "from_facility"
    for k in range(len(fac.seg)):
        s, t, leg = fac.seg[k], fac.t[k], fac.access_m[k] / v
        u, w_, fw, bw = int(net.seg_u[s]), int(net.seg_v[s]), net.seg_fw_s[s], net.seg_bw_s[s]
        if out:  # facility -> segment ends
            add("S", ("f", k), off[k])
            add(("f", k), w_, leg + part(1 - t, fw))
            add(("f", k), u, leg + part(t, bw))
        else:  # segment ends -> facility
            add(("f", k), "S", off[k])
            add(u, ("f", k), part(t, fw) + leg)
            add(w_, ("f", k), part(1 - t, bw) + leg)
    for i in range(len(dem.seg)):
        s, t, leg = dem.seg[i], dem.t[i], dem.access_m[i] / v
        u, w_, fw, bw = int(net.seg_u[s]), int(net.seg_v[s]), net.seg_fw_s[s], net.seg_bw_s[s]
        if out:
            add(u, ("d", i), part(t, fw) + leg)
            add(w_, ("d", i), part(1 - t, bw) + leg)
        else:
            add(("d", i), u, leg + part(t, bw))
            add(("d", i), w_, leg + part(1 - t, fw))
    if out:
        dist = nx.single_source_dijkstra_path_length(g, "S")
    else:
        dist = nx.single_source_dijkstra_path_length(g.reverse(copy=True), "S")
    ref = np.array([dist.get(("d", i), np.inf) for i in range(len(dem.seg))])
    # plus the documented direct straight-line trip and the along-one-segment trip
    gap = dem_xy[:, None, :] - fac_xy[None, :, :]
    ref = np.minimum(ref, (np.hypot(gap[..., 0], gap[..., 1]) / v + off[None, :]).min(axis=1))
    for i in range(len(dem.seg)):
        for k in np.flatnonzero(fac.seg == dem.seg[i]):
            s = dem.seg[i]
            a, b = (fac.t[k], dem.t[i]) if out else (dem.t[i], fac.t[k])  # travel a -> b
            along = (b - a) * net.seg_fw_s[s] if b >= a else (a - b) * net.seg_bw_s[s]
            ref[i] = min(ref[i], (fac.access_m[k] + dem.access_m[i]) / v + along + off[k])
    return ref


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_matches_networkx_dijkstra(direction: str) -> None:
    net = build_network(lines_gdf(_grid_lines(12, 800.0)), crs=UTM49, min_component_share=0)
    assert net.report.oneway_lines > 0
    rng = np.random.default_rng(3)
    fac_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (5, 2))])
    dem_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (300, 2))])
    fac, dem = snap_points(net, fac_xy), snap_points(net, dem_xy)
    ours, _ = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, direction=direction)
    ref = _reference(net, fac, dem, fac_xy, dem_xy, direction)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)


def test_start_offsets_by_hand() -> None:
    # the 10 km straight road at 60 km/h (60 s per km); base A at x = 0 leaves after
    # 300 s, base B at x = 10 km after 0 s; both 1 km off the road (180 s legs at 20 km/h).
    net = _straight_road()
    fac = snap_points(net, _xy([(0, 1000), (10000, 1000)]))
    dem = snap_points(net, _xy([(4000, 0), (6000, 0)]))
    secs, idx = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, direct=False,
                                 offset_s=[300.0, 0.0])
    # x = 4 km: A 300 + 180 + 240 = 720 s, B 0 + 180 + 360 = 540 s -> B
    # x = 6 km: A 300 + 180 + 360 = 840 s, B 0 + 180 + 240 = 420 s -> B
    np.testing.assert_allclose(secs, [540.0, 420.0], atol=1e-9)
    assert idx.tolist() == [1, 1]
    # without the delay A wins at x = 4 km (420 s against 540 s)
    secs0, idx0 = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, direct=False)
    np.testing.assert_allclose(secs0, [420.0, 420.0], atol=1e-9)
    assert idx0.tolist() == [0, 1]
    # a straight-line trip carries its base's delay too: a point 100 m beyond A is reached
    # from A in 300 + 18 s (100 m at 20 km/h), from B by road in 180 + 600 + 198 = 978 s,
    # which wins once A waits 1,000 s (1,018 s)
    near_a = snap_points(net, _xy([(0, 1100)]))
    s2, i2 = nearest_facility(net, fac, near_a, access_speed_kmh=ACCESS, offset_s=[300.0, 0.0])
    assert s2[0] == pytest.approx(318.0, abs=1e-9) and i2[0] == 0
    s3, i3 = nearest_facility(net, fac, near_a, access_speed_kmh=ACCESS, offset_s=[1000.0, 0.0])
    assert s3[0] == pytest.approx(978.0, abs=1e-9) and i3[0] == 1


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("distinct", [False, True])
def test_start_offsets_match_networkx(direction: str, threads: int, distinct: bool) -> None:
    net = build_network(lines_gdf(_grid_lines(12, 800.0)), crs=UTM49, min_component_share=0)
    rng = np.random.default_rng(11)
    fac_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (7, 2))])
    dem_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (300, 2))])
    fac, dem = snap_points(net, fac_xy), snap_points(net, dem_xy)
    off = rng.uniform(0, 400, 7) if distinct else rng.choice([0.0, 120.0, 300.0], 7)
    ours, idx = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, direction=direction,
                                 offset_s=off, threads=threads)
    ref = _reference(net, fac, dem, fac_xy, dem_xy, direction, offset=off)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-6)
    # the facility named is one that gives that time
    for i in rng.choice(300, 20, replace=False):
        one = snap_points(net, fac_xy[idx[i] : idx[i] + 1])
        own = _reference(net, one, dem, fac_xy[idx[i] : idx[i] + 1], dem_xy, direction,
                         offset=off[idx[i] : idx[i] + 1])
        assert own[i] == pytest.approx(ours[i], abs=1e-6)
    # a limit bounds offset + travel
    lim = float(np.median(ours))
    capped, cidx = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, direction=direction,
                                    offset_s=off, max_seconds=lim, threads=threads)
    np.testing.assert_array_equal(np.isfinite(capped), ref <= lim)
    assert (cidx[~np.isfinite(capped)] == -1).all()


def test_bad_offsets_are_refused() -> None:
    net = _straight_road()
    fac = snap_points(net, _xy(FACILITY))
    dem = snap_points(net, _xy(DEMAND))
    for bad in ([1.0, 2.0], [-1.0], [np.nan]):
        with pytest.raises(ValueError, match="offset_s"):
            nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, offset_s=bad)


def _grid_case(seed: int = 3, n_fac: int = 5, n_dem: int = 300):  # type: ignore[no-untyped-def]
    net = build_network(lines_gdf(_grid_lines(12, 800.0)), crs=UTM49, min_component_share=0)
    rng = np.random.default_rng(seed)
    fac_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (n_fac, 2))])
    dem_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (n_dem, 2))])
    return net, fac_xy, dem_xy, snap_points(net, fac_xy), snap_points(net, dem_xy)


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("limit", [300.0, 900.0])
def test_reach_matrix_matches_networkx_per_facility(direction: str, limit: float) -> None:
    net, fac_xy, dem_xy, fac, dem = _grid_case()
    m = reach_matrix(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=limit,
                     direction=direction, threads=2)
    assert m.shape == (5, 300)
    dense = np.full(m.shape, np.inf)
    coo = m.tocoo()
    dense[coo.row, coo.col] = coo.data
    for k in range(5):
        one = snap_points(net, fac_xy[k : k + 1])
        ref = _reference(net, one, dem, fac_xy[k : k + 1], dem_xy, direction)
        ref = np.where(ref <= limit, ref, np.inf)
        np.testing.assert_allclose(dense[k], ref, rtol=0, atol=1e-6)
    assert 0 < m.nnz < 5 * 300  # the threshold bites on this network


def test_reach_matrix_keeps_zero_second_entries() -> None:
    net = _straight_road()
    fac = snap_points(net, _xy([(4000, 0)]))
    dem = snap_points(net, _xy([(4000, 0), (9000, 0)]))
    m = reach_matrix(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=60.0)
    # the first point is the facility itself (0 s); the second is 5 km = 300 s away
    assert m.nnz == 1 and m[0, 0] == 0.0 and m.indices.tolist() == [0]


def test_od_matrix_matches_networkx() -> None:
    net, fac_xy, dem_xy, fac, dem = _grid_case(seed=5, n_fac=6, n_dem=40)
    od = od_matrix(net, fac, dem, access_speed_kmh=ACCESS, threads=2)
    for k in range(6):
        one = snap_points(net, fac_xy[k : k + 1])
        ref = _reference(net, one, dem, fac_xy[k : k + 1], dem_xy, "from_facility")
        np.testing.assert_allclose(od[k], ref, rtol=0, atol=1e-6)


def test_nearest_facility_equals_row_minimum_of_od() -> None:
    net, _, _, fac, dem = _grid_case(seed=11, n_fac=7, n_dem=200)
    od = od_matrix(net, fac, dem, access_speed_kmh=ACCESS)
    secs, idx = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS)
    np.testing.assert_allclose(secs, od.min(axis=0), rtol=0, atol=1e-6)
    np.testing.assert_allclose(od[idx, np.arange(200)], secs, rtol=0, atol=1e-6)


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_node_reach_matches_scipy_dijkstra(direction: str) -> None:
    from scipy.sparse.csgraph import dijkstra

    net, _, _, _, _ = _grid_case()
    nodes = np.array([0, 17, 60, 101])
    fac = nodes_as_snap(net, nodes)
    m = node_reach(net, fac, access_speed_kmh=ACCESS, max_seconds=400.0, direction=direction)
    csr = net.csr() if direction == "from_facility" else net.csr().T.tocsr()
    ref = dijkstra(csr, indices=nodes, limit=400.0)
    dense = np.full(ref.shape, np.inf)
    coo = m.tocoo()
    dense[coo.row, coo.col] = coo.data
    np.testing.assert_allclose(dense, ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_parallel_nearest_search_is_exact(threads: int) -> None:
    """Threads that prune each other give networkx's multi-source times and valid labels."""
    from geo.network.graph import CSRGraph, csr_from_edges
    from geo.routing import _dijkstra

    rng = np.random.default_rng(threads)
    n, m = 3000, 12000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.choice([1.0, 2.0, 3.5, 10.0], m)  # many ties on purpose
    g = CSRGraph.from_matrix(csr_from_edges(u, v, w, n))
    seeds = rng.choice(n, 40, replace=False)
    secs = rng.choice([0.0, 1.0], 40)
    dist, label = _dijkstra.nearest(g.indptr, g.indices, g.weights, seeds.astype(np.int64),
                                    secs, np.arange(40, dtype=np.int64), 40, np.inf, threads)
    ref_g = nx.DiGraph()
    for a, b, c in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        if a != b and (not ref_g.has_edge(a, b) or ref_g[a][b]["weight"] > c):
            ref_g.add_edge(a, b, weight=c)
    ref_g.add_nodes_from(range(n))
    for k, s in enumerate(seeds.tolist()):
        ref_g.add_edge("S", ("s", k), weight=secs[k])
        ref_g.add_edge(("s", k), s, weight=0.0)
    ref = nx.single_source_dijkstra_path_length(ref_g, "S")
    want = np.array([ref.get(i, np.inf) for i in range(n)])
    np.testing.assert_allclose(dist, want, rtol=0, atol=1e-9)
    reached = np.isfinite(want)
    own = {k: nx.single_source_dijkstra_path_length(ref_g, ("s", k)) for k in set(label[reached])}
    named = [own[int(label[i])][i] + secs[label[i]] for i in np.flatnonzero(reached)]
    np.testing.assert_allclose(named, want[reached], atol=1e-9)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_merge_min_keeps_the_smaller_time_per_pair(index_dtype: type) -> None:
    """The compiled merge of extra trips into a reach matrix, against a dense minimum."""
    import scipy.sparse as sp

    from geo.routing import _dijkstra

    rng = np.random.default_rng(5)
    rows, cols = 30, 50
    dense = np.where(rng.random((rows, cols)) < 0.2, rng.random((rows, cols)) * 100, np.inf)
    dense[3] = np.inf  # a row with no entries that gets extras
    dense[4, 7] = 0.0  # an explicit zero must survive
    r, c = np.nonzero(np.isfinite(dense))
    perm = rng.permutation(len(r))  # rows of a kernel's matrix are not sorted by column
    m = sp.csr_matrix((dense[r, c][perm], (r[perm], c[perm])), shape=(rows, cols))
    ptr, idx = m.indptr.astype(index_dtype), m.indices.astype(index_dtype)  # scipy may narrow
    er, ec = np.divmod(rng.choice(rows * cols, 200, replace=False), cols)
    er[:3], ec[:3] = 3, [0, 1, 2]
    er[3], ec[3] = 4, 7  # larger than the existing zero: the zero stays
    et = rng.random(200) * 100
    order = np.lexsort((ec, er))
    er, ec, et = er[order].astype(np.int64), ec[order].astype(np.int64), et[order]
    want = dense.copy()
    np.minimum.at(want, (er, ec), et)
    p, i, d = _dijkstra.merge_min(ptr, idx, m.data.copy(), er, ec, et, cols)
    assert p.dtype == i.dtype == index_dtype
    got = sp.csr_matrix((d, i, p), shape=m.shape)
    assert got.nnz == np.isfinite(want).sum()  # one entry per pair, none lost
    out = np.full(want.shape, np.inf)
    coo = got.tocoo()
    out[coo.row, coo.col] = coo.data
    np.testing.assert_array_equal(out, want)
    assert got[4, 7] == 0.0 and (4, 7) in set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    with pytest.raises(ValueError, match="sorted by row"):
        _dijkstra.merge_min(ptr, idx, m.data.copy(), er[::-1].copy(), ec, et, cols)
    with pytest.raises(ValueError, match="outside"):
        _dijkstra.merge_min(ptr, idx, m.data.copy(), er, ec + cols, et, cols)


def test_a_snap_from_another_network_is_refused() -> None:
    """Segment ids beyond this network (a Snap made on a bigger one) name the fix."""
    net = _straight_road()
    bigger = build_network(lines_gdf(_grid_lines(3, 800.0)), crs=UTM49, min_component_share=0)
    fac = snap_points(bigger, _xy([(1600, 1600)]))
    assert fac.seg[0] >= len(net.seg_u)  # it joins a segment this network does not have
    dem = snap_points(net, _xy(DEMAND))
    for call in (lambda: node_nearest(net, fac, access_speed_kmh=ACCESS),
                 lambda: nearest_facility(net, fac, dem, access_speed_kmh=ACCESS)):
        with pytest.raises(ValueError, match="snap the points again"):
            call()


def test_ties_go_to_the_facility_listed_first() -> None:
    """Two facilities at one place tie everywhere: the first listed wins every point, by
    node, along a segment and by straight line, in either order and on any threads."""
    net, fac_xy, _, _, dem = _grid_case(seed=4, n_fac=4, n_dem=300)
    xy = np.vstack([fac_xy, fac_xy[1:2]])  # facility 4 stands where facility 1 does
    fac = snap_points(net, xy)
    one, idx1 = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, threads=1)
    _, idx3 = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS, threads=3)
    assert (idx1 == 1).any() and not (idx1 == 4).any()
    np.testing.assert_array_equal(idx1, idx3)
    order = [0, 4, 2, 3, 1]  # now the twin comes first: it takes facility 1's points
    other, idx = nearest_facility(net, snap_points(net, xy[order]), dem,
                                  access_speed_kmh=ACCESS)
    np.testing.assert_array_equal(other, one)
    np.testing.assert_array_equal(np.asarray(order)[idx], np.where(idx1 == 1, 4, idx1))
    # a point standing on the twins: the straight line (0 s) from both, the first wins
    on = snap_points(net, xy[[1]])
    secs, near = nearest_facility(net, fac, on, access_speed_kmh=ACCESS)
    assert secs[0] == 0.0 and near[0] == 1
