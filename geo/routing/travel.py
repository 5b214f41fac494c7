"""Travel times on a :class:`~geo.network.graph.Network`, with off-network access legs.

A place (facility or demand point) joins the network at the nearest point of the
nearest usable segment, by a straight *access leg* at ``access_speed_kmh``; from there it
runs along the segment to either end node (as far as one-way allows). Two places may also
be joined directly by a straight line at the access speed (``direct=True``, the default),
which is what an off-road trip between close neighbours is, and two places on one
segment are joined along it without leaving it.

Queries, all exact Dijkstra searches in compiled code (:mod:`geo.routing._dijkstra`) on the
network's CSR arrays (:meth:`Network.graph`), each search seeded at the two ends of a
place's segment:

* :func:`nearest_facility` — one multi-source search: seconds to (or from) the nearest
  facility for every demand point;
* :func:`reach_matrix` — one bounded search per facility: a sparse facility × demand
  matrix of seconds within a threshold (never a dense facilities × nodes array);
  :func:`shared_reach` keeps those searches at the largest threshold asked and hands out
  the matrix of any subset of the facilities at any smaller threshold, entry for entry
  what :func:`reach_matrix` gives (a study's measures share one per mode and direction);
* :func:`od_matrix` — a dense origin × destination matrix: on the network's contraction
  hierarchy (:mod:`geo.routing.hierarchy`, restricted PHAST: one upward search per origin
  and a sweep over the part of the hierarchy above the destinations) when the query is
  unbounded and the network has one or enough origins pay for building it, else one
  Dijkstra search per origin stopping once every destination is settled (or at
  ``max_seconds``); both give the same seconds to the last bit;
* :func:`node_nearest` / :func:`node_reach` — the same at the network's nodes (no demand
  legs): nearest facility per node, and per facility the nodes within a threshold.

Directions: ``from_facility`` (an ambulance drives out) searches the network as is;
``to_facility`` (a patient travels in) searches the reversed network. They differ only
where one-way roads exist. Batches of searches run on ``threads`` threads (the kernels
release the GIL).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geo import settings
from geo._types import FloatArray, IntArray
from geo.errors import Arg, NetworkError, QueryError
from geo.network.graph import CSRGraph, Network
from geo.routing import _dijkstra, _hierarchy, hierarchy, ties
from geo.routing.threads import threads as _threads

__all__ = [
    "DIRECTIONS",
    "SharedReach",
    "Snap",
    "nearest_facility",
    "node_nearest",
    "node_reach",
    "nodes_as_snap",
    "od_engine",
    "od_matrix",
    "reach_matrix",
    "shared_reach",
    "snap_points",
]


DIRECTIONS = ("from_facility", "to_facility")

# what a batch of bounded searches hands back: targets reached per source, then the
# reached targets and their seconds, source after source
_Triples = tuple[IntArray, npt.NDArray[np.int32], FloatArray]


@dataclass(frozen=True)
class Snap:
    """Where points join the network.

    Attributes
    ----------
    xy : (n, 2) float array
        The points, in the network's metric CRS.
    seg : (n,) int array
        Segment each point joins.
    t : (n,) float array
        Position of the join along that segment, 0 at ``seg_u``, 1 at ``seg_v``.
    access_m : (n,) float array
        Straight-line length of the access leg.
    """

    xy: FloatArray
    seg: IntArray
    t: FloatArray
    access_m: FloatArray

    def __len__(self) -> int:
        return int(self.seg.shape[0])


def snap_points(
    net: Network, xy: FloatArray, *, exclude_classes: tuple[str, ...] = settings.SNAP_EXCLUDE,
    closed: npt.NDArray[np.bool_] | None = None,
) -> Snap:
    """Join points (metric ``xy``) to the nearest usable segment.

    A usable segment is not of ``exclude_classes`` and may be travelled in some direction
    (a closed road, :mod:`geo.network.closures`, joins no place).

    Motorways are excluded by default: nobody joins an expressway between
    interchanges, so a place next to one joins the nearest other road. Among segments
    equally near, the one listed first (smallest segment id) is joined, so the same
    network gives the same joins however it was made. ``closed`` (one flag per segment)
    leaves more segments out: the points join as they would on the network with those
    segments closed (:func:`geo.network.closures.changed_network`), found from this
    network's search tree (what a criticality ranking does for every road piece).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    ok, tree = _snap_tree(net, tuple(exclude_classes))
    pts = np.asarray(shapely.points(xy), dtype=object)
    seg = np.empty(len(xy), dtype=np.int64)
    access = np.empty(len(xy))
    if closed is None:
        (pi, si), dist = tree.query_nearest(pts, return_distance=True, all_matches=True)
        _first_nearest(pi, ok[si], dist, seg, access)
    else:
        _nearest_open(tree, ok, pts, np.asarray(closed, dtype=bool), seg, access)
    pa, pb = net.node_xy[net.seg_u[seg]], net.node_xy[net.seg_v[seg]]
    ab = pb - pa
    denom = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    t = np.clip(np.einsum("ij,ij->i", xy - pa, ab) / denom, 0.0, 1.0)
    return Snap(xy, seg, t, access)


def _first_nearest(pi: IntArray, seg_of: IntArray, dist: FloatArray, seg: IntArray,
                   access: FloatArray) -> None:
    """Per point, the smallest segment id among its nearest (``pi``: point of each match).

    Into ``seg`` and ``access``.
    """
    if len(pi) == 0:
        return
    order = np.lexsort((seg_of, dist, pi))
    first = order[np.r_[True, pi[order][1:] != pi[order][:-1]]]
    seg[pi[first]], access[pi[first]] = seg_of[first], dist[first]


def _nearest_open(tree: shapely.STRtree, ok: IntArray, pts: npt.NDArray[np.object_],
                  closed: npt.NDArray[np.bool_], seg: IntArray, access: FloatArray) -> None:
    """:func:`_first_nearest` over the segments not ``closed``: the nearest match first.

    Points whose nearest are all closed search rings of growing radius.
    """
    (pi, si), dist = tree.query_nearest(pts, return_distance=True, all_matches=True)
    open_ = ~closed[ok[si]]
    _first_nearest(pi[open_], ok[si][open_], dist[open_], seg, access)
    todo = np.setdiff1d(np.arange(len(pts)), pi[open_])
    if len(todo) and not (~closed[ok]).any():
        raise NetworkError("every road segment places may join is closed")
    radius = np.full(len(todo), 2.0)
    if len(todo):
        near = np.zeros(len(pts))
        np.maximum.at(near, pi, dist)
        radius = near[todo] + np.maximum(0.25 * near[todo], 100.0)
    while len(todo):
        qi, qs = tree.query(pts[todo], predicate="dwithin", distance=radius)
        keep = ~closed[ok[qs]]
        qi, qs = qi[keep], qs[keep]
        d = shapely.distance(pts[todo][qi], tree.geometries[qs])
        # a match nearer than the radius is the nearest open segment (rings are complete)
        fine = d <= radius[qi]
        qi, qs, d = qi[fine], qs[fine], d[fine]
        done = np.unique(qi)
        _first_nearest(todo[qi], ok[qs], d, seg, access)
        left = np.setdiff1d(np.arange(len(todo)), done)
        todo, radius = todo[left], radius[left] * 2.0


def _snap_tree(net: Network, exclude: tuple[str, ...]) -> tuple[IntArray, shapely.STRtree]:
    """Return the segments places may join and their search tree.

    They are built once per network and ``exclude`` and kept with the network (a what-if edit snaps
    one point at a time).
    """
    key = ("snap", exclude)
    if key not in net._kernels:
        passable = np.isfinite(net.seg_fw_s) | np.isfinite(net.seg_bw_s)  # not closed
        ok = np.flatnonzero(~np.isin(net.seg_class, list(exclude)) & passable)
        if len(ok) == 0:
            raise NetworkError(
                "no road segment to join places to: every segment is of a class in ",
                Arg("snap_points", "exclude_classes", list(exclude)), ": exclude fewer classes")
        a, b = net.node_xy[net.seg_u[ok]], net.node_xy[net.seg_v[ok]]
        lines = np.asarray(shapely.linestrings(np.stack([a, b], axis=1)), dtype=object)
        net._kernels[key] = (ok, shapely.STRtree(lines))
    ok, tree = net._kernels[key]
    return ok, tree


def nodes_as_snap(net: Network, nodes: npt.ArrayLike) -> Snap:
    """Return places standing exactly on network nodes (no access leg), e.g. for benchmarks.

    Each node is expressed as an end of one of its segments (``t`` = 0 or 1).
    """
    nodes = np.asarray(nodes, dtype=np.int64).ravel()
    if len(nodes) and (nodes.min() < 0 or nodes.max() >= net.n_nodes):
        raise QueryError(
            f"node ids must lie in [0, {net.n_nodes}), got {nodes.min()}..{nodes.max()}"
        )
    first_as_u = np.full(net.n_nodes, -1, dtype=np.int64)
    first_as_u[net.seg_u[::-1]] = np.arange(len(net.seg_u))[::-1]
    first_as_v = np.full(net.n_nodes, -1, dtype=np.int64)
    first_as_v[net.seg_v[::-1]] = np.arange(len(net.seg_v))[::-1]
    seg = np.where(first_as_u[nodes] >= 0, first_as_u[nodes], first_as_v[nodes])
    if (seg < 0).any():
        raise NetworkError("some nodes have no segment: they are not part of the network")
    t = np.where(first_as_u[nodes] >= 0, 0.0, 1.0)
    return Snap(net.node_xy[nodes], seg, t, np.zeros(len(nodes)))


# --------------------------------------------------------------------------- plumbing


@dataclass(frozen=True)
class _Oriented:
    """The graph to search and the per-segment seconds in the search's direction."""

    graph: CSRGraph
    fw: FloatArray  # seconds seg_u -> seg_v, as the search travels
    bw: FloatArray  # seconds seg_v -> seg_u


def _oriented(net: Network, direction: str) -> _Oriented:
    if direction not in DIRECTIONS:
        raise QueryError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if direction == "from_facility":
        return _Oriented(net.graph("forward"), net.seg_fw_s, net.seg_bw_s)
    # on the reversed graph a search moving u -> v stands for travel v -> u
    return _Oriented(net.graph("reverse"), net.seg_bw_s, net.seg_fw_s)


def _check(net: Network, speed_kmh: float, *snaps: Snap) -> float:
    if not speed_kmh > 0:
        raise QueryError(f"access speed must be positive km/h, got {speed_kmh}")
    for s in snaps:
        if len(s) and (s.seg.max() >= len(net.seg_u) or s.seg.min() < 0):
            raise QueryError(_dijkstra.FOREIGN_SNAP)
    return speed_kmh / 3.6


_part = ties.part


def _seeds(net: Network, o: _Oriented, src: Snap, speed: float) -> tuple[IntArray, IntArray,
                                                                       FloatArray]:
    """Return per source, its two seeds: the segment ends with the time to reach each."""
    c = np.ascontiguousarray
    node, secs = _dijkstra.snap_seeds(c(src.seg, np.int64), c(src.t, np.float64),
                                      c(src.access_m, np.float64), net.seg_u, net.seg_v,
                                      o.fw, o.bw, speed)
    ptr = np.arange(0, 2 * len(src) + 1, 2, dtype=np.int64)
    return ptr, node, secs


def _incidence(net: Network, o: _Oriented, dst: Snap, speed: float) -> tuple[IntArray, IntArray,
                                                                          FloatArray]:
    """Return node -> target lists (CSR): target ``i`` is ``cost`` seconds beyond the node."""
    leg = dst.access_m / speed
    node = np.concatenate([net.seg_u[dst.seg], net.seg_v[dst.seg]])
    cost = np.concatenate([_part(dst.t, o.fw[dst.seg]) + leg,
                           _part(1.0 - dst.t, o.bw[dst.seg]) + leg])
    tgt = np.concatenate([np.arange(len(dst)), np.arange(len(dst))])
    ok = np.isfinite(cost)
    node, cost, tgt = node[ok], cost[ok], tgt[ok]
    order = np.argsort(node, kind="stable")
    ptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=net.n_nodes), out=ptr[1:])
    return ptr, tgt[order].astype(np.int64), cost[order].astype(np.float64)


def _batches(n: int, threads: int) -> list[tuple[int, int]]:
    """Return source ranges: several per thread so that uneven searches even out."""
    if n == 0:
        return []
    size = max(1, min(256, -(-n // (threads * 4))))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


_T = TypeVar("_T")


def _run_batches(fn: Callable[[int, int], _T], n: int, threads: int) -> list[_T]:
    spans = _batches(n, threads)
    if threads == 1 or len(spans) <= 1:
        return [fn(a, b) for a, b in spans]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda ab: fn(*ab), spans))


# --------------------------------------------------------------------------- extra trips


#: up to this many (row, col) cells, :func:`_pairs_min` keeps the minimum per pair in a
#: table of every cell (9 bytes a cell, 9 MB at most) instead of sorting the pairs: the
#: same pairs, order and minimum, 5x faster on the 30,000 trips of a Helsinki study
_PAIRS_DENSE_MAX = 1_000_000


def _pairs_min(rows: IntArray, cols: IntArray, secs: FloatArray,
               n_cols: int) -> tuple[IntArray, IntArray, FloatArray]:
    """Keep the smallest time of each (row, col) pair; the result is sorted by row, then col.

    One sort on a combined int64 key and a grouped minimum (a three-key lexsort took
    0.6 s for the 1.2 M straight-line pairs of 1,000 candidates at province scale).
    """
    if len(rows) == 0:
        return rows, cols, secs
    key = rows * np.int64(n_cols) + cols
    n_rows = int(rows.max()) + 1
    if n_rows * n_cols <= _PAIRS_DENSE_MAX:  # a table of every pair: no sort
        seen = np.zeros(n_rows * n_cols, dtype=bool)
        seen[key] = True
        best = np.full(n_rows * n_cols, np.inf)
        np.minimum.at(best, key, secs)
        at = np.flatnonzero(seen)
        r, c = np.divmod(at, np.int64(n_cols))
        return r, c, best[at]
    order = np.argsort(key)
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    best = np.minimum.reduceat(secs[order], starts)
    return rows[order[starts]], cols[order[starts]], best


def _extra_trips(
    o: _Oriented, src: Snap, dst: Snap, speed: float, limit: float, direct: bool
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return trips the node search cannot see: along one shared segment, and straight lines.

    One per (source, target) pair within ``limit``, the smaller time where both kinds join a
    pair; sorted by source, then target.
    """
    r, c, t = _extra_candidates(o, src, dst, speed, limit, direct)
    keep = t <= limit
    return _pairs_min(r[keep], c[keep], t[keep], len(dst))


#: the straight-line search radius is the limit's distance padded by this factor, so the
#: trips kept are exactly those whose seconds are within the limit (``t <= limit``), never
#: cut by the rounding of the radius: a larger limit's trips then hold every smaller one's
_RADIUS_PAD = 1.0 + 1e-9


def _extra_candidates(
    o: _Oriented, src: Snap, dst: Snap, speed: float, limit: float, direct: bool
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return the extra trips of :func:`_extra_trips` before the limit and the per-pair minimum.

    Every trip within ``limit`` is there (and some just beyond it).
    """
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    secs: list[FloatArray] = []
    # along one segment: every (source, target) pair that joins the same segment
    si, ti, along = ties.segment_pairs(src, dst, o.fw, o.bw, speed)
    rows.append(si)
    cols.append(ti)
    secs.append(along)
    if direct and len(src) and len(dst):
        if np.isfinite(limit):
            m = cKDTree(src.xy).sparse_distance_matrix(
                cKDTree(dst.xy), limit * speed * _RADIUS_PAD, output_type="ndarray")
            rows.append(m["i"].astype(np.int64))
            cols.append(m["j"].astype(np.int64))
            secs.append(m["v"] / speed)
        else:  # no bound: every pair (only dense OD matrices ask for this)
            rr, cc = np.divmod(np.arange(len(src) * len(dst), dtype=np.int64), len(dst))
            rows.append(rr)
            cols.append(cc)
            secs.append(np.hypot(*(src.xy[rr] - dst.xy[cc]).T) / speed)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(secs)


# --------------------------------------------------------------------------- queries


def nearest_facility(
    net: Network,
    facilities: Snap,
    demand: Snap,
    *,
    access_speed_kmh: float,
    direction: str = "from_facility",
    direct: bool = True,
    max_seconds: float = np.inf,
    threads: int | None = None,
    offset_s: npt.ArrayLike | None = None,
) -> tuple[FloatArray, IntArray]:
    """Return seconds from (or to) the nearest facility for every demand point.

    Parameters
    ----------
    net : Network
    facilities, demand : Snap
        From :func:`snap_points`.
    access_speed_kmh : float
        Speed of access legs and of direct off-network trips.
    direction : {"from_facility", "to_facility"}
    direct : bool
        Also allow the straight-line trip at the access speed.
    max_seconds : float
        Stop searching beyond this time (points further away get ``inf``).
    threads : int, optional
        Threads sharing the search on large networks (all cores by default; see
        :class:`geo.routing._dijkstra.NearestSearch`). Results do not depend on it.
    offset_s : (n_facilities,) float array, optional
        Seconds added to every trip of each facility before it starts (finite, >= 0),
        e.g. an ambulance base's dispatch delay: the nearest facility is the one with the
        smallest offset + travel time, and ``max_seconds`` bounds that sum.

    Returns
    -------
    seconds : (n_demand,) float array
        ``inf`` only if no facility can reach the point (within ``max_seconds``).
    nearest : (n_demand,) int array
        Index (into ``facilities``) of the facility giving that time, -1 if none. Where
        several give the same time, the first of them in ``facilities`` (one rule at
        nodes and points, whatever the threads: :mod:`geo.routing.ties`).
    """
    if len(facilities) == 0:
        raise QueryError("no facilities given: a standard needs at least one eligible facility")
    speed = _check(net, access_speed_kmh, demand)  # the compiled search checks the facilities
    offset = _offsets(offset_s, len(facilities))
    o = _oriented(net, direction)
    dist, src = _nearest_from(net, direction, facilities, speed, max_seconds, threads, offset)
    legs = ties.demand_legs(net.seg_u, net.seg_v, o.fw, o.bw, demand, speed)
    best, nearest = ties.lexmin(
        *ties.via_nodes(legs, dist, src),
        *ties.extra_trips(facilities, np.arange(len(facilities), dtype=np.int64), demand,
                          o.fw, o.bw, speed, direct, offset))
    best = np.where(best <= max_seconds, best, np.inf)
    nearest = np.where(np.isfinite(best), nearest, -1)
    return best, nearest.astype(np.int64)


def _nearest_kernel(net: Network, direction: str) -> _dijkstra.NearestSearch:
    """Return the compiled nearest search of a network in one direction, built once and kept."""
    search = net._kernels.get(direction)
    if search is None:
        o, c = _oriented(net, direction), np.ascontiguousarray
        g = o.graph
        search = net._kernels[direction] = _dijkstra.NearestSearch(
            g.indptr, g.indices, g.weights, c(net.seg_u, np.int64), c(net.seg_v, np.int64),
            c(o.fw, np.float64), c(o.bw, np.float64))
    return search


def _offsets(offset_s: npt.ArrayLike | None, n: int) -> FloatArray | None:
    """Return per-facility start offsets as a contiguous float array (None: no offsets)."""
    if offset_s is None:
        return None
    off = np.ascontiguousarray(offset_s, dtype=np.float64).ravel()
    if off.shape != (n,) or not np.isfinite(off).all() or (off < 0).any():
        raise QueryError(f"offset_s must hold {n} finite seconds >= 0, one per facility")
    return off


def _nearest_from(
    net: Network, direction: str, facilities: Snap, speed: float, limit: float,
    threads: int | None, offset: FloatArray | None = None,
) -> tuple[FloatArray, IntArray]:
    """Return per node: seconds from the nearest facility (its two seeds) and which one.

    One compiled call (:class:`geo.routing._dijkstra.NearestSearch`, built once per network and
    direction: seeds, search and, on large networks, threads that share the sources and
    prune each other); it also refuses a Snap whose segment ids are not this network's.
    """
    search = _nearest_kernel(net, direction)
    k = _threads(threads) if search.n_nodes >= PARALLEL_MIN_NODES else 1
    c = np.ascontiguousarray
    return search.nearest(c(facilities.seg, np.int64), c(facilities.t, np.float64),
                          c(facilities.access_m, np.float64), speed, float(limit), k, offset)


PARALLEL_MIN_NODES = 50_000  # below this a single search is faster than starting threads


def reach_matrix(
    net: Network,
    facilities: Snap,
    demand: Snap,
    *,
    access_speed_kmh: float,
    max_seconds: float,
    direction: str = "from_facility",
    direct: bool = True,
    threads: int | None = None,
) -> sp.csr_matrix:
    """Return seconds between each facility and each demand point within ``max_seconds``.

    Always one bounded Dijkstra search per facility, whether or not the network has a
    contraction hierarchy: a bounded search settles only what lies within the bound and
    hands back a sparse row, where the hierarchy's sweep (:func:`od_matrix`) covers every
    node above the targets and fills a dense row.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_facilities, n_demand)
        Entry ``[f, i]`` is the time between facility ``f`` and demand point ``i``
        when it is at most ``max_seconds``. Entries are stored explicitly, a time of 0 s
        included: test membership with the sparsity pattern, not with ``data > 0``.
    """
    if not np.isfinite(max_seconds) or max_seconds < 0:
        raise QueryError(f"max_seconds must be a finite, non-negative number, got {max_seconds}")
    speed = _check(net, access_speed_kmh, facilities, demand)
    o = _oriented(net, direction)
    ptr, node, secs = _seeds(net, o, facilities, speed)
    tp, ti, tc = _incidence(net, o, demand, speed)
    g = o.graph

    def run(a: int, b: int) -> _Triples:
        return _dijkstra.bounded_reach(g.indptr, g.indices, g.weights, ptr, node, secs, a, b,
                                       float(max_seconds), tp, ti, tc, len(demand))

    parts = _run_batches(run, len(facilities), _reach_threads(threads, net, len(facilities)))
    m = _rows_to_csr(parts, (len(facilities), len(demand)))
    return _merge_extra(m, *_extra_trips(o, facilities, demand, speed, float(max_seconds),
                                         direct))


#: below this many facilities x nodes, bounded searches run on the calling thread: starting a
#: pool costs more than it saves (Helsinki's 1,599 drive nodes and 45 facilities: 3.4 ms on
#: one thread, 5.7 ms with a pool of two); the rows do not depend on it
REACH_PARALLEL_MIN = 1_000_000


def _reach_threads(threads: int | None, net: Network, n_sources: int,
                   minimum: int = REACH_PARALLEL_MIN) -> int:
    """Return the threads for one search per source.

    ``threads`` when given; else one below ``minimum`` sources x nodes, all cores above.
    """
    if threads is None and n_sources * net.n_nodes < minimum:
        return 1
    return _threads(threads)


#: below this many sources x network nodes, :func:`shared_reach` searches on one thread when
#: the caller does not say: its searches share sources over C++ threads started in the
#: kernel (tens of microseconds), so the bar is lower than REACH_PARALLEL_MIN's
#: pool of Python threads
VISITS_PARALLEL_MIN = 50_000


#: below this many visits and extra trips a reach structure slices its matrices in one
#: compiled pass (:func:`geo.routing._dijkstra.replay_reach_extra`, 32-bit indices); above,
#: the replay and the merge of the extra trips run apart (64-bit indices where needed)
_FUSED_MAX = 2**31 - 1


@dataclass(frozen=True)
class SharedReach:
    """One reach structure for every reach matrix of some facilities at up to ``max_seconds``.

    Built by :func:`shared_reach` once (one bounded search per facility, at the largest
    catchment asked); :meth:`matrix` then gives, for any subset of its facilities and any
    catchment up to ``max_seconds``, the matrix :func:`reach_matrix` would return for them,
    entry for entry: the same pairs, the same seconds, in the same order in every row (so
    sums over a row add in the same order, to the last bit).

    It keeps every *visit* of a demand point by a search (a settled node passing its time
    to a point hanging on it: at most two per pair, one per end of the point's segment),
    in the order the search made them, and the trips the node search cannot see (along a
    shared segment, straight lines), the fastest per pair. Both are sliced per catchment: a
    search bounded at ``L`` makes exactly the visits within ``L`` of a search bounded
    higher, in the same order (equal times settle by node id), and its row keeps each
    point's first visit in place with the smallest time (:func:`_dijkstra.replay_reach`); a
    pair has an extra trip within ``L`` exactly when its fastest one is within ``L``.

    Size: 12 bytes per visit (int32 point, float64 seconds; about 1.7 visits per pair
    within reach on OSM roads, so about 1.7 times the CSR arrays of the largest matrix it
    stands for) and 24 per extra trip. On Helsinki's six-measure study the ``to_facility``
    structure (55 facilities x 619 points at 60 min: 56,430 visits, 34,045 extra trips)
    holds 1.5 MB, the ``from_facility`` one (17 facilities) 0.47 MB. Nothing in it is
    dense: a visit is a pair within reach.

    Attributes
    ----------
    shape : (n_facilities, n_demand)
    max_seconds : (n_facilities,) float array
        The catchment each facility was searched to; :meth:`matrix` refuses a larger one.
    visit_ptr : (n_facilities + 1,) int64 array
    visit_tgt : (n_visits,) int32 array
    visit_sec : (n_visits,) float array
        Visits per facility (CSR rows): demand point and seconds.
    extra_row, extra_col : (n_extra,) int64 arrays
    extra_sec : (n_extra,) float array
        The fastest off-node trip of each pair that has one within ``max_seconds``, sorted
        by row, then column.
    """

    shape: tuple[int, int]
    max_seconds: FloatArray
    visit_ptr: IntArray
    visit_tgt: npt.NDArray[np.int32]
    visit_sec: FloatArray
    extra_row: IntArray
    extra_col: IntArray
    extra_sec: FloatArray

    @property
    def nbytes(self) -> int:
        """Bytes held by the structure's arrays."""
        return sum(a.nbytes for a in (self.visit_ptr, self.visit_tgt, self.visit_sec,
                                      self.extra_row, self.extra_col, self.extra_sec))

    def matrix(self, rows: npt.ArrayLike | None = None,
               max_seconds: float | None = None) -> sp.csr_matrix:
        """Return the reach matrix of facilities ``rows`` (all by default) within ``max_seconds``.

        ``rows``: distinct positions among the structure's facilities, in the order the
        matrix lists them; ``max_seconds``: at most what each of them was searched to (by
        default the smallest of those). The result equals :func:`reach_matrix` on those
        facilities' snaps with the same network, demand, speed, direction and ``direct``.
        """
        n_fac, n_dem = self.shape
        sel = (np.arange(n_fac, dtype=np.int64) if rows is None
               else np.asarray(rows, dtype=np.int64).ravel())
        if len(sel) and (sel.min() < 0 or sel.max() >= n_fac):
            raise QueryError(f"rows must be positions among the {n_fac} facilities of the "
                             "reach structure")
        top = float(self.max_seconds[sel].min()) if len(sel) else np.inf
        limit = top if max_seconds is None else float(max_seconds)
        if not 0 <= limit <= top:
            raise QueryError(f"max_seconds {limit:g} is outside this reach structure, whose "
                             f"facilities were searched to {top:g} s: build it at the largest "
                             "catchment asked")
        pos = np.full(n_fac, -1, dtype=np.int64)
        pos[sel] = np.arange(len(sel), dtype=np.int64)
        if len(np.unique(sel)) != len(sel):
            raise QueryError("rows of a reach structure must be distinct")
        if len(self.visit_tgt) + len(self.extra_row) < _FUSED_MAX and n_dem < _FUSED_MAX:
            # replay and merge in one pass (what the two calls below give, entry for entry)
            eptr = np.searchsorted(self.extra_row, np.arange(n_fac + 1, dtype=np.int64))
            p, i, d = _dijkstra.replay_reach_extra(
                self.visit_ptr, self.visit_tgt, self.visit_sec, sel, limit, n_dem, eptr,
                self.extra_col, self.extra_sec)
            return sp.csr_matrix((d, i, p.astype(np.int32)), shape=(len(sel), n_dem),
                                 copy=False)
        part = _dijkstra.replay_reach(self.visit_ptr, self.visit_tgt, self.visit_sec, sel,
                                      limit, n_dem)
        m = _rows_to_csr([part], (len(sel), n_dem))
        keep = (self.extra_sec <= limit) & (pos[self.extra_row] >= 0)
        r, c, t = pos[self.extra_row[keep]], self.extra_col[keep], self.extra_sec[keep]
        if len(r) > 1 and (np.diff(r) < 0).any():  # rows asked out of order
            order = np.argsort(r, kind="stable")  # columns stay sorted within a row
            r, c, t = r[order], c[order], t[order]
        return _merge_extra(m, r, c, t)


def shared_reach(
    net: Network,
    facilities: Snap,
    demand: Snap,
    *,
    access_speed_kmh: float,
    max_seconds: npt.ArrayLike,
    direction: str = "from_facility",
    direct: bool = True,
    threads: int | None = None,
) -> SharedReach:
    """Return the reach structure of ``facilities`` at ``max_seconds`` (see :class:`SharedReach`).

    Parameters as :func:`reach_matrix`; one bounded search per facility, as it makes,
    shared over ``threads`` C++ threads in the kernel (by default all cores from
    ``VISITS_PARALLEL_MIN`` facilities x nodes, else one); the structure does not
    depend on the number of threads.
    ``max_seconds`` may also give each facility its own bound (the largest catchment of
    the measures that count it: a facility only a 15-minute measure counts is not
    searched to the 60 minutes of another).
    """
    n = len(facilities)
    bound = np.broadcast_to(np.asarray(max_seconds, dtype=np.float64), (n,)).copy()
    if not (np.isfinite(bound).all() and (bound >= 0).all()):
        raise QueryError("max_seconds must be finite, non-negative numbers (one, or one per "
                         "facility)")
    speed = _check(net, access_speed_kmh, facilities, demand)
    o = _oriented(net, direction)
    ptr, node, secs = _seeds(net, o, facilities, speed)
    tp, ti, tc = _incidence(net, o, demand, speed)
    g = o.graph

    counts, vtgt, vsec = _dijkstra.reach_visits(
        g.indptr, g.indices, g.weights, ptr, node, secs, 0, n, bound, tp, ti, tc,
        _reach_threads(threads, net, n, VISITS_PARALLEL_MIN))
    vptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=vptr[1:])
    parts_r, parts_c, parts_t = [], [], []
    for top in np.unique(bound):  # the trips off the nodes, per group of equal bounds
        group = np.flatnonzero(bound == top)
        r, c, t = _extra_candidates(o, _subset(facilities, group), demand, speed,
                                    float(top), direct)
        keep = t <= top  # as _extra_trips keeps them
        parts_r.append(group[r[keep]])
        parts_c.append(c[keep].astype(np.int64))
        parts_t.append(t[keep])
    # the fastest trip per pair, by row, then column: each facility is in one group, so
    # this is each group's _extra_trips with its rows in place
    r, c, t = _pairs_min(np.concatenate(parts_r) if parts_r else np.zeros(0, dtype=np.int64),
                         np.concatenate(parts_c) if parts_c else np.zeros(0, dtype=np.int64),
                         np.concatenate(parts_t) if parts_t else np.zeros(0), len(demand))
    return SharedReach((n, len(demand)), bound, vptr, vtgt, vsec, r, c, t)


def _subset(s: Snap, rows: IntArray) -> Snap:
    return Snap(s.xy[rows], s.seg[rows], s.t[rows], s.access_m[rows])


def _rows_to_csr(parts: list[_Triples], shape: tuple[int, int]) -> sp.csr_matrix:
    """Build a CSR matrix from the kernels' batches, which come row after row.

    That takes no sorting, and 32-bit indices where they fit (a 60-minute reach of 1,000 facilities
    is tens of millions of entries).
    """
    counts = np.concatenate([p[0] for p in parts]) if parts else np.zeros(shape[0], np.int64)
    nnz = int(counts.sum())
    idx = np.int32 if max(nnz, shape[1]) < 2**31 - 1 else np.int64
    indptr = np.zeros(shape[0] + 1, dtype=idx)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(nnz, dtype=idx)
    data = np.empty(nnz)
    at = 0
    for i in range(len(parts)):
        _, t, d = parts[i]
        indices[at : at + len(t)] = t
        data[at : at + len(d)] = d
        at += len(t)
        parts[i] = (parts[i][0], t[:0], d[:0])  # let the batch go as soon as it is copied
    return sp.csr_matrix((data, indices, indptr), shape=shape, copy=False)


def _merge_extra(m: sp.csr_matrix, r: IntArray, c: IntArray, t: FloatArray) -> sp.csr_matrix:
    """Add (row, col, seconds) trips to a reach matrix, keeping the smaller time per pair.

    ``r, c, t`` come from :func:`_pairs_min` (sorted by row, one per pair). The compiled
    merge looks each one up in its row and appends the new ones: no re-sorting of the
    matrix's (tens of millions of) entries.
    """
    if len(r) == 0:
        return m
    indptr, indices = m.indptr, m.indices
    if m.nnz + len(r) >= 2**31 - 1:
        indptr, indices = indptr.astype(np.int64), indices.astype(np.int64)
    p, i, d = _dijkstra.merge_min(indptr, indices, m.data, r, c, t, m.shape[1])
    return sp.csr_matrix((d, i, p), shape=m.shape, copy=False)


def od_matrix(
    net: Network,
    origins: Snap,
    destinations: Snap,
    *,
    access_speed_kmh: float,
    direct: bool = True,
    max_seconds: float = np.inf,
    threads: int | None = None,
) -> FloatArray:
    """Return the dense matrix of seconds from each origin to each destination (``inf``: none).

    Which search answers (the seconds are the same to the last bit either way; see
    :func:`od_engine`):

    * the network's contraction hierarchy (:mod:`geo.routing.hierarchy`) when
      ``max_seconds`` is infinite and the network has one (from its cache, or from an
      earlier query on the same network object), or has none and there are at least
      :data:`geo.routing.hierarchy.BUILD_ORIGINS` origins (it is then built, about the
      cost of that many Dijkstra searches, and kept with the network);
    * else one Dijkstra search per origin, stopping once every destination's segment ends
      are settled, or at ``max_seconds`` (a bounded search touches only what lies within
      the bound, which the hierarchy's sweep cannot skip).

    Memory is ``8 * n_origins * n_destinations`` bytes.
    """
    speed = _check(net, access_speed_kmh, origins, destinations)
    o = _oriented(net, "from_facility")
    ptr, node, secs = _seeds(net, o, origins, speed)
    tp, ti, tc = _incidence(net, o, destinations, speed)
    ch = _od_hierarchy(net, len(origins), float(max_seconds), _threads(threads))
    if ch is not None:
        out = hierarchy.many_to_many(ch, (ptr, node, secs), (tp, ti, tc), len(destinations),
                                     float(max_seconds), reverse=False,
                                     threads=_threads(threads))
    else:
        g = o.graph
        out = np.full((len(origins), len(destinations)), np.inf)

        def run(a: int, b: int) -> None:
            _dijkstra.od_rows(g.indptr, g.indices, g.weights, ptr, node, secs, a, b,
                              float(max_seconds), tp, ti, tc, out[a:b])

        _run_batches(run, len(origins), _threads(threads))
    er, ec, et = _extra_trips(o, origins, destinations, speed, float(max_seconds), direct)
    if len(er):
        out[er, ec] = np.minimum(out[er, ec], et)
    return out


def od_engine(net: Network, n_origins: int, max_seconds: float = np.inf) -> str:
    """Choose the search :func:`od_matrix` uses for a query of this shape on ``net``.

    That is ``"hierarchy"`` (it has one, or the query pays for building one) or ``"dijkstra"``.
    """
    if np.isfinite(max_seconds) or n_origins == 0:
        return "dijkstra"
    return "hierarchy" if hierarchy.has(net) or hierarchy.worth_building(n_origins) \
        else "dijkstra"


def _od_hierarchy(net: Network, n_origins: int, max_seconds: float,
                  threads: int) -> _hierarchy.Hierarchy | None:
    """Return the hierarchy :func:`od_matrix` searches, or None for Dijkstra (:func:`od_engine`)."""
    if od_engine(net, n_origins, max_seconds) != "hierarchy":
        return None
    return hierarchy.get(net, build_missing=True, threads=threads)


def node_nearest(
    net: Network,
    facilities: Snap,
    *,
    access_speed_kmh: float,
    direction: str = "from_facility",
    max_seconds: float = np.inf,
    threads: int | None = None,
) -> tuple[FloatArray, IntArray]:
    """Return seconds from (or to) the nearest facility for every network node, and which one.

    The node-level core of :func:`nearest_facility` (no demand legs, no straight lines):
    ``inf`` and -1 for nodes beyond ``max_seconds``.
    """
    if len(facilities) == 0:
        raise QueryError("no facilities given")
    speed = _check(net, access_speed_kmh)  # the compiled search checks the Snap itself
    return _nearest_from(net, direction, facilities, speed, max_seconds, threads)


def node_reach(
    net: Network,
    facilities: Snap,
    *,
    access_speed_kmh: float,
    max_seconds: float,
    direction: str = "from_facility",
    threads: int | None = None,
) -> sp.csr_matrix:
    """Return seconds from (or to) each facility to every network node within ``max_seconds``.

    A sparse ``(n_facilities, n_nodes)`` matrix with explicit entries (zeros kept).
    """
    speed = _check(net, access_speed_kmh, facilities)
    o = _oriented(net, direction)
    ptr, node, secs = _seeds(net, o, facilities, speed)
    none_i, none_f = np.zeros(1, dtype=np.int64), np.zeros(1)
    g = o.graph

    def run(a: int, b: int) -> _Triples:
        return _dijkstra.bounded_reach(g.indptr, g.indices, g.weights, ptr, node, secs, a, b,
                                       float(max_seconds), none_i, none_i, none_f, 0,
                                       nodes_are_targets=True)

    parts = _run_batches(run, len(facilities), _threads(threads))
    return _rows_to_csr(parts, (len(facilities), net.n_nodes))
