"""One reach structure for many reach matrices (geo.routing.travel.shared_reach).

Every matrix it hands out must be :func:`reach_matrix`'s for the same facilities and
catchment, array for array (pairs, seconds and the order of each row's entries: the
measures sum over a row in that order), on grids with one-way streets and equal times.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geo.errors import QueryError
from geo.network.lines import build_network
from geo.routing.travel import Snap, reach_matrix, shared_reach, snap_points
from tests.conftest import UTM49, lines_gdf
from tests.routing.test_travel import ACCESS, _grid_lines, _xy


def _case(seed: int, n_fac: int = 30, n_dem: int = 400):  # type: ignore[no-untyped-def]
    net = build_network(lines_gdf(_grid_lines(12, 800.0)), crs=UTM49, min_component_share=0)
    assert net.report.oneway_lines > 0
    rng = np.random.default_rng(seed)
    fac_xy = _xy([tuple(p) for p in rng.uniform(-500, 9300, (n_fac, 2))])
    # a quarter of the demand points on grid nodes: equal times from symmetric places
    dem_xy = rng.uniform(-500, 9300, (n_dem, 2))
    dem_xy[: n_dem // 4] = rng.integers(0, 12, (n_dem // 4, 2)) * 800.0
    return net, fac_xy, snap_points(net, fac_xy), snap_points(net, _xy([tuple(p) for p in dem_xy]))


def _rows(s: Snap, rows: np.ndarray) -> Snap:
    return Snap(s.xy[rows], s.seg[rows], s.t[rows], s.access_m[rows])


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_slice_is_the_reach_matrix_entry_for_entry(direction: str, seed: int) -> None:
    net, _, fac, dem = _case(seed)
    top = 1500.0
    shared = shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=top,
                          direction=direction)
    rng = np.random.default_rng(seed)
    subsets = [np.arange(30), np.sort(rng.choice(30, 12, replace=False)),
               rng.choice(30, 9, replace=False), np.array([], dtype=np.int64)]
    reordered = 0
    for limit in (0.0, 200.0, 450.5, 900.0, 1499.9, top):
        for rows in subsets:
            want = reach_matrix(net, _rows(fac, rows), dem, access_speed_kmh=ACCESS,
                                max_seconds=limit, direction=direction)
            _same(shared.matrix(rows, limit), want)
        # the test can fail: rows at a smaller catchment are not the larger one's entries in
        # its order (a point reached first from one segment end within the larger catchment
        # is reached first from the other end within the smaller one, or by straight line)
        big = shared.matrix(None, top)
        small = shared.matrix(None, limit)
        for r in range(30):
            cols = big.indices[big.indptr[r]: big.indptr[r + 1]]
            kept = cols[np.isin(cols, small.indices[small.indptr[r]: small.indptr[r + 1]])]
            own = small.indices[small.indptr[r]: small.indptr[r + 1]]
            reordered += not np.array_equal(kept, own)
    assert reordered > 0
    _same(shared.matrix(), reach_matrix(net, fac, dem, access_speed_kmh=ACCESS,
                                        max_seconds=top, direction=direction))


def test_without_straight_lines_and_with_threads() -> None:
    net, _, fac, dem = _case(3)
    shared = shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=1200.0,
                          direct=False, threads=3)
    for limit in (300.0, 1200.0):
        want = reach_matrix(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=limit,
                            direct=False, threads=1)
        _same(shared.matrix(max_seconds=limit), want)
    assert shared.nbytes == sum(a.nbytes for a in (
        shared.visit_ptr, shared.visit_tgt, shared.visit_sec, shared.extra_row,
        shared.extra_col, shared.extra_sec))


def test_slices_it_cannot_give_are_refused() -> None:
    net, _, fac, dem = _case(4, n_fac=5, n_dem=50)
    shared = shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=600.0)
    with pytest.raises(QueryError, match="largest catchment"):
        shared.matrix(max_seconds=601.0)
    with pytest.raises(QueryError, match="distinct"):
        shared.matrix([1, 1])
    with pytest.raises(QueryError, match="positions among the 5"):
        shared.matrix([5])
    with pytest.raises(QueryError, match="max_seconds"):
        shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=np.inf)
    with pytest.raises(QueryError, match="max_seconds"):
        shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=[60.0, -1, 1, 2, 3])
    own = shared_reach(net, fac, dem, access_speed_kmh=ACCESS,
                       max_seconds=[600.0, 300.0, 600.0, 900.0, 600.0])
    with pytest.raises(QueryError, match="searched to 300 s"):
        own.matrix([0, 1], 400.0)


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_each_facility_to_its_own_bound(direction: str) -> None:
    """Facilities searched to different bounds (the largest catchment of the measures that
    count each) give every matrix their bounds allow, entry for entry."""
    net, _, fac, dem = _case(5)
    rng = np.random.default_rng(5)
    bound = rng.choice([300.0, 750.0, 1500.0], 30)
    shared = shared_reach(net, fac, dem, access_speed_kmh=ACCESS, max_seconds=bound,
                          direction=direction)
    np.testing.assert_array_equal(shared.max_seconds, bound)
    for limit in (300.0, 700.0, 750.0, 1500.0):
        rows = np.flatnonzero(bound >= limit)
        rows = rows[rng.permutation(len(rows))]
        want = reach_matrix(net, _rows(fac, rows), dem, access_speed_kmh=ACCESS,
                            max_seconds=limit, direction=direction)
        _same(shared.matrix(rows, limit), want)
    # a facility searched to 300 s holds nothing beyond it
    low = np.flatnonzero(bound == 300.0)
    assert (shared.visit_sec[np.concatenate([np.arange(shared.visit_ptr[r],
                                                       shared.visit_ptr[r + 1])
                                             for r in low])] <= 300.0).all()


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
def test_one_pass_slices_equal_the_replay_then_merge(direction: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled one-pass slice and the replay followed by the merge: the same arrays."""
    from geo.routing import travel

    net, _, fac, dem = _case(7)
    shared = shared_reach(net, fac, dem, access_speed_kmh=ACCESS,
                          max_seconds=np.linspace(600.0, 1500.0, 30), direction=direction)
    rng = np.random.default_rng(7)
    for limit in (0.0, 333.3, 600.0):
        for rows in (np.arange(30), rng.choice(30, 11, replace=False),
                     np.array([], dtype=np.int64)):
            fused = shared.matrix(rows, limit)
            with monkeypatch.context() as m:
                m.setattr(travel, "_FUSED_MAX", 0)
                apart = shared.matrix(rows, limit)
            _same(fused, apart)
            assert fused.indices.dtype == apart.indices.dtype == np.int32
    # the test can fail: extra trips join pairs the node searches reach and pairs they miss
    assert len(shared.extra_row) > 0


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("seed", [3, 4])
def test_a_nearest_search_bounded_higher_cut_at_a_limit_is_the_bounded_search(
        direction: str, seed: int) -> None:
    """What a study's measures counting the same facilities rely on to share one search.

    The nearest facility within ``L`` equals the nearest facility of a search bounded at
    ``L' > L`` (or unbounded) wherever its time is within ``L``, and -1 elsewhere: ties
    (equal times from symmetric places) and one-way streets included.
    """
    from geo.routing.travel import nearest_facility

    net, _, fac, dem = _case(seed, n_fac=25, n_dem=500)
    top_s, top_f = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS,
                                    direction=direction)
    finite = np.sort(top_s[np.isfinite(top_s)])
    # limits between the times, and limits equal to a place's time (the bound itself)
    limits = [0.0, *finite[[5, len(finite) // 3, len(finite) // 2, -40]], 700.0]
    cut = 0
    for higher in (None, 1200.0):
        if higher is not None:
            top_s, top_f = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS,
                                            direction=direction, max_seconds=higher)
        for limit in limits:
            s, f = nearest_facility(net, fac, dem, access_speed_kmh=ACCESS,
                                    direction=direction, max_seconds=limit)
            np.testing.assert_array_equal(f, np.where(top_s <= limit, top_f, -1))
            np.testing.assert_array_equal(s, np.where(top_s <= limit, top_s, np.inf))
            cut += int(0 < (f >= 0).sum() < (top_f >= 0).sum())
    # the test can fail: the limits cut some places and keep others, among many facilities
    assert cut >= 6
    assert len(np.unique(top_f[top_f >= 0])) > 5


def test_fastest_trip_per_pair_by_table_and_by_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_pairs_min``'s two ways (a table of every pair, a sort): the brute-force answer."""
    from geo.routing import travel

    rng = np.random.default_rng(11)
    rows = rng.integers(0, 40, 5000)
    cols = rng.integers(0, 300, 5000)
    secs = rng.integers(0, 50, 5000).astype(float)  # equal times for many pairs
    secs[::97] = np.inf  # one-way trips along a segment: kept as pairs, with inf
    want: dict[tuple[int, int], float] = {}
    for r, c, t in zip(rows.tolist(), cols.tolist(), secs.tolist(), strict=True):
        want[r, c] = min(want.get((r, c), np.inf), t)
    keys = sorted(want)
    got = [travel._pairs_min(rows, cols, secs, 300)]
    with monkeypatch.context() as m:
        m.setattr(travel, "_PAIRS_DENSE_MAX", 0)
        got.append(travel._pairs_min(rows, cols, secs, 300))
    for r, c, t in got:
        assert list(zip(r.tolist(), c.tolist(), strict=True)) == keys
        np.testing.assert_array_equal(t, [want[k] for k in keys])
        assert r.dtype == c.dtype == np.int64
    # the test can fail: pairs come several times, some only with inf
    assert len(keys) < 5000 and np.isinf([want[k] for k in keys]).any()


def _random_visits_case(rng: np.random.Generator, n: int, n_src: int, n_tgt: int):  # type: ignore[no-untyped-def]
    """CSR arrays of a random directed graph with integer weights (many equal times)."""
    m = n * int(rng.integers(1, 4))
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.integers(1, 5, m).astype(float)
    order = np.argsort(u, kind="stable")
    u, v, w = u[order], v[order], w[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))]).astype(np.int32)
    k = rng.integers(1, 3, n_src)
    seed_ptr = np.concatenate([[0], np.cumsum(k)]).astype(np.int64)
    seed_node = rng.integers(0, n, seed_ptr[-1]).astype(np.int64)
    seed_dist = rng.integers(0, 4, seed_ptr[-1]).astype(float)
    limits = rng.integers(0, 40, n_src).astype(float)
    tn = rng.integers(0, n, 2 * n_tgt)
    tt = np.tile(np.arange(n_tgt, dtype=np.int64), 2)
    tc = rng.integers(0, 3, 2 * n_tgt).astype(float)
    o = np.argsort(tn, kind="stable")
    tgt_ptr = np.concatenate([[0], np.cumsum(np.bincount(tn, minlength=n))]).astype(np.int64)
    return (indptr, v.astype(np.int32), w, seed_ptr, seed_node, seed_dist, limits, tgt_ptr,
            tt[o], tc[o])


def _visits_oracle(case, first: int, last: int):  # type: ignore[no-untyped-def]
    """Every visit, by a textbook Dijkstra in Python: (seconds, node) popped in order."""
    import heapq

    indptr, indices, w, sp_, sn, sd, limits, tp, ti, tc = case
    counts, tgt, sec = [], [], []
    for s in range(first, last):
        lim, dist, heap, c = limits[s], {}, [], 0
        for k in range(sp_[s], sp_[s + 1]):
            node, d = int(sn[k]), float(sd[k])
            if d <= lim and d < dist.get(node, np.inf):
                dist[node] = d
                heapq.heappush(heap, (d, node))
        while heap:
            d, node = heapq.heappop(heap)
            if d > dist[node]:
                continue
            for j in range(tp[node], tp[node + 1]):
                if d + tc[j] <= lim:
                    tgt.append(ti[j])
                    sec.append(d + tc[j])
                    c += 1
            for e in range(indptr[node], indptr[node + 1]):
                x, nd = int(indices[e]), d + w[e]
                if nd < dist.get(x, np.inf) and nd <= lim:
                    dist[x] = nd
                    heapq.heappush(heap, (nd, x))
        counts.append(c)
    return np.array(counts, dtype=np.int64), np.array(tgt, dtype=np.int32), np.array(sec)


def test_visits_on_any_number_of_threads_are_the_textbook_searches_in_source_order() -> None:
    """The compiled searches sharing their sources over C++ threads hand back every visit
    as one thread does, in source order: equal to a textbook Dijkstra whose heap pops equal
    times by node id (``TieHeap``), visit for visit."""
    from geo.routing import _dijkstra

    rng = np.random.default_rng(11)
    for _ in range(12):
        n, n_src = int(rng.integers(1, 300)), int(rng.integers(0, 40))
        case = _random_visits_case(rng, n, n_src, int(rng.integers(1, 60)))
        first = int(rng.integers(0, n_src + 1))
        last = int(rng.integers(first, n_src + 1))
        want = _visits_oracle(case, first, last)
        indptr, indices, w, sp_, sn, sd, limits, tp, ti, tc = case
        for threads in (1, 2, 3, 8):
            got = _dijkstra.reach_visits(indptr, indices, w, sp_, sn, sd, first, last, limits,
                                         tp, ti, tc, threads)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)
                assert a.dtype == b.dtype


def test_visits_refuse_sources_limits_and_incidence_that_do_not_fit() -> None:
    from geo.routing import _dijkstra

    case = _random_visits_case(np.random.default_rng(12), 20, 5, 10)
    indptr, indices, w, sp_, sn, sd, limits, tp, ti, tc = case
    with pytest.raises(ValueError, match="seed rows"):
        _dijkstra.reach_visits(indptr, indices, w, sp_, sn, sd, 0, 6, limits, tp, ti, tc, 2)
    with pytest.raises(ValueError, match="one limit per source"):
        _dijkstra.reach_visits(indptr, indices, w, sp_, sn, sd, 0, 5, limits[:4], tp, ti, tc)
    with pytest.raises(ValueError, match="incidence row per node"):
        _dijkstra.reach_visits(indptr, indices, w, sp_, sn, sd, 0, 5, limits, tp[:-1], ti, tc)
