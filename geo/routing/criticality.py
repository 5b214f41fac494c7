"""Single-piece criticality: every road piece cut alone, the demand points' new times.

A *piece* is a stretch of road between junctions: segments joined end to end through
nodes of degree 2 (two neighbours), ending at junctions of degree 3 or more and at dead
ends (:func:`road_pieces`). Cutting a piece closes its segments (as ``close_road`` does,
:mod:`geo.network.closures`): nothing travels on it, and places that stood on it join
the nearest open road.

How the answer is kept exact without a search per piece
--------------------------------------------------------
One nearest-facility search gives every node its time and facility. Its shortest-path
tree (each reached node's predecessor along a *tight* edge, one whose tail's time plus
its seconds equals the head's time exactly: times lie on a 2^-24 s grid, so equality is
exact) tells which nodes a cut can touch: a node whose tree path avoids the piece keeps
its path, and a cut only removes paths, so its time stays. Only the nodes below the
piece's tree edges (their subtrees: the *region*) may change; they are cleared and
searched again from the region's border, each seeded from its neighbours outside the
region through open edges and from facility seeds inside it (the compiled ``repair``
kernel of the what-if engine, on a graph with the piece's edges at infinite seconds).
That is the same search a fresh run would do for those nodes, so the same numbers.
Demand points are recomputed where either end of their segment lies in the region, or
where they stood on the piece (they join the nearest open road: :func:`snap_points` with
the piece closed), with the formulas of :mod:`geo.routing.ties`. A piece that carries a
facility's join is searched afresh (the facility itself moves). Pieces that carry no
tree edge and no join change nothing and are not searched. Tests compare every piece
with a full rerun on the network with the piece closed.

Detour minutes between a piece's ends (single-link redundancy, as RA2CE reports it):
the quickest route from one end to the other without the piece, less the piece's own
time, from a search on the network without it that stops at the other end. A piece that
is a bridge of the road graph (directions aside: a dead end, the one road into a valley)
has no detour, ``inf``, without a search (none could reach the other end).

What does not depend on the cut is worked out once, for every demand point: its legs to
its segment's ends, its trips along its own segment and its straight line (as
:mod:`geo.routing.ties` computes them), and where it joins when its own piece is cut
(the nearest usable segment of another piece: :func:`snap_points` with that piece
closed gives the same). Per piece only the region's labelling and its points are
recomputed, so the work per piece is about the size of what it changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import breadth_first_order, connected_components

from geo._types import FloatArray, IntArray
from geo.errors import NetworkError
from geo.network.closures import changed_network
from geo.network.graph import Network
from geo.routing import _dijkstra, ties
from geo.routing.travel import (
    Snap,
    _first_nearest,
    _nearest_from,
    _oriented,
    _snap_tree,
    snap_points,
)

__all__ = ["PieceImpact", "Pieces", "piece_impacts", "road_pieces"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Pieces:
    """Road pieces of a network.

    The piece of every segment, and each piece's end nodes (``a`` == ``b`` for a loop without
    junctions).
    """

    seg_piece: IntArray
    a: IntArray
    b: IntArray

    @property
    def n(self) -> int:
        """Number of pieces."""
        return len(self.a)

    def segments(self) -> tuple[IntArray, IntArray]:
        """Segments ordered by piece, and the CSR pointer of each piece's run."""
        order = np.argsort(self.seg_piece, kind="stable")
        ptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.seg_piece, minlength=self.n), out=ptr[1:])
        return order.astype(np.int64), ptr


def road_pieces(net: Network) -> Pieces:
    """Stretches between junctions (see module docs).

    Segments closed in both directions belong to no travel but still to a piece (they do not make
    junctions).
    """
    live = np.isfinite(net.seg_fw_s) | np.isfinite(net.seg_bw_s)
    u, v = net.seg_u, net.seg_v
    pair = np.unique(np.column_stack([np.minimum(u, v), np.maximum(u, v)])[live], axis=0)
    degree = np.bincount(pair.ravel(), minlength=net.n_nodes)
    s = np.arange(len(u))
    # segments meeting at a node of degree 2 are one piece
    ends = np.concatenate([u, v])
    segs = np.concatenate([s, s])
    through = degree[ends] == 2
    ends, segs = ends[through], segs[through]
    order = np.argsort(ends, kind="stable")
    ends, segs = ends[order], segs[order]
    same = ends[1:] == ends[:-1]
    link = sp.coo_matrix((np.ones(int(same.sum())), (segs[:-1][same], segs[1:][same])),
                         shape=(len(u), len(u)))
    _, piece = connected_components(link, directed=False)
    piece = np.asarray(piece, dtype=np.int64)
    n = int(piece.max()) + 1 if len(piece) else 0
    # ends: the nodes of a piece's segments whose degree is not 2 (one or two of them)
    node = np.concatenate([u, v])
    pc = np.concatenate([piece, piece])
    keep = degree[node] != 2
    a = np.full(n, -1, dtype=np.int64)
    b = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((node[keep], pc[keep]))
    pn, nn = pc[keep][order], node[keep][order]
    first = np.r_[True, pn[1:] != pn[:-1]]
    a[pn[first]] = nn[first]
    last = np.r_[pn[1:] != pn[:-1], True]
    b[pn[last]] = nn[last]
    loop = a < 0  # a ring of degree-2 nodes: any node of it stands for both ends
    if loop.any():
        a[piece[::-1]] = u[::-1]
        b[loop] = a[loop]
    return Pieces(piece, a, b)


@dataclass
class PieceImpact:
    """Per piece (rows of :class:`Pieces`).

    What cutting it alone does to one standard's demand points; ``minutes_after`` only for the
    points it changes (``changed``).
    """

    evaluated: BoolArray
    people_lost: FloatArray
    person_minutes: FloatArray
    #: people who reach a facility by road before the cut and by no road after it (the
    #: straight-line access leg at the access speed may still reach one)
    people_isolated: FloatArray
    worst_minutes: FloatArray
    detour_minutes: FloatArray
    piece_minutes: FloatArray
    changed_ptr: IntArray
    changed: IntArray
    minutes_after: FloatArray
    minutes_before: FloatArray
    full_reruns: int = 0


class _Graph:
    """The search graph of one direction as edges, in CSR by tail and by head.

    Edges are not merged (a cut removes one of two parallel segments only); each has its
    segment.
    """

    def __init__(self, net: Network, direction: str) -> None:
        o = _oriented(net, direction)
        s = np.arange(len(net.seg_u), dtype=np.int64)
        tail = np.concatenate([net.seg_u, net.seg_v])
        head = np.concatenate([net.seg_v, net.seg_u])
        w = np.concatenate([o.fw, o.bw])
        seg = np.concatenate([s, s])
        ok = np.isfinite(w) & (tail != head)
        tail, head, w, seg = tail[ok], head[ok], w[ok], seg[ok]
        n = net.n_nodes
        by_tail = np.lexsort((head, tail))
        self.tail, self.head = tail[by_tail], head[by_tail]
        self.w = np.ascontiguousarray(w[by_tail])
        self.seg = seg[by_tail]
        self.indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(self.tail, minlength=n), out=self.indptr[1:])
        self.indices = np.ascontiguousarray(self.head, dtype=np.int32)
        by_head = np.lexsort((self.tail, self.head))
        self.t_pos = by_head  # edge (in tail order) of each transposed entry
        self.t_indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(np.bincount(self.head, minlength=n), out=self.t_indptr[1:])
        self.t_indices = np.ascontiguousarray(self.tail[by_head], dtype=np.int32)
        self.t_w = np.ascontiguousarray(self.w[by_head])
        # the edges of each segment, in both orders
        order = np.argsort(self.seg, kind="stable")
        self.seg_ptr = np.zeros(len(net.seg_u) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.seg, minlength=len(net.seg_u)), out=self.seg_ptr[1:])
        self.seg_edges = order
        t_of = np.empty(len(by_head), dtype=np.int64)
        t_of[by_head] = np.arange(len(by_head))
        self.t_of_edge = t_of

    def edges_of(self, segs: IntArray) -> IntArray:
        return _gather(self.seg_ptr, self.seg_edges, segs)


def _gather(ptr: IntArray, items: IntArray, keys: IntArray) -> IntArray:
    """``items[ptr[k]:ptr[k+1]]`` for every ``k`` in ``keys``, concatenated."""
    lo, hi = ptr[keys], ptr[keys + 1]
    n = hi - lo
    if n.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
    return items[start + np.arange(int(n.sum()))]


def _tree(g: _Graph, dist: FloatArray, seed_node: IntArray, seed_dist: FloatArray
          ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Return the shortest-path tree.

    Per node the tight edge it hangs on (-1: a root, seeded at its time, or unreached), and the
    Euler order (``order``, ``tin``, ``tout``).
    """
    n = len(dist)
    root = np.zeros(n, dtype=bool)
    at_seed = seed_dist == dist[seed_node]
    root[seed_node[at_seed]] = True
    # a breadth-first walk over the tight edges from the roots (through a source above
    # them): every path it takes is tight, so a shortest path, and edges of 0 seconds (a
    # connector between two points at one place) cannot make a loop
    tight = np.flatnonzero(np.isfinite(dist[g.tail]) & (dist[g.tail] + g.w == dist[g.head])
                           & ~root[g.head])
    roots = np.flatnonzero(root)
    m = sp.csr_matrix((np.ones(len(tight) + len(roots)),
                       (np.r_[g.tail[tight], np.full(len(roots), n)],
                        np.r_[g.head[tight], roots])), shape=(n + 1, n + 1))
    _, up = breadth_first_order(m, n, directed=True, return_predecessors=True)
    up = up[:n]
    pred = np.full(n, -1, dtype=np.int64)
    hang = np.flatnonzero((up >= 0) & (up < n))
    key = g.tail[tight] * np.int64(n) + g.head[tight]
    uk, first = np.unique(key, return_index=True)
    pos = np.searchsorted(uk, up[hang].astype(np.int64) * n + hang)
    pred[hang] = tight[first[pos]]
    if ((up < 0) & np.isfinite(dist) & ~root).any():
        raise AssertionError("a reached node has no tight path from a facility's seed")
    # children lists, then an iterative depth-first walk for the Euler intervals
    has = np.flatnonzero(pred >= 0)
    parent = g.tail[pred[has]]
    order_c = np.argsort(parent, kind="stable")
    child = has[order_c]
    cptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(parent, minlength=n), out=cptr[1:])
    tin = np.full(n, -1, dtype=np.int64)
    tout = np.full(n, -1, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    clock = 0
    cptr_l, child_l = cptr.tolist(), child.tolist()
    for r in np.flatnonzero(pred < 0).tolist():
        if tin[r] >= 0:
            continue
        stack = [(r, cptr_l[r])]
        tin[r] = clock
        order[clock] = r
        clock += 1
        while stack:
            v, k = stack[-1]
            if k < cptr_l[v + 1]:
                stack[-1] = (v, k + 1)
                c = child_l[k]
                tin[c] = clock
                order[clock] = c
                clock += 1
                stack.append((c, cptr_l[c]))
            else:
                tout[v] = clock
                stack.pop()
    return pred, order, tin, tout


def _point_times(net: Network, o_fw: FloatArray, o_bw: FloatArray, fac: Snap, dem: Snap,
                 speed: float, direct: bool, dist: FloatArray, lab: IntArray
                 ) -> tuple[FloatArray, FloatArray]:
    """Seconds of each demand point from the node labelling.

    With the ties module's formulas (the full query's own); also by road alone (no straight line).
    """
    legs = ties.demand_legs(net.seg_u, net.seg_v, o_fw, o_bw, dem, speed)
    labels = np.arange(len(fac), dtype=np.int64)
    road, f = ties.lexmin(*ties.via_nodes(legs, dist, lab),
                          *ties.extra_trips(fac, labels, dem, o_fw, o_bw, speed, False))
    if not direct:
        return road, road
    best, _ = ties.lexmin(road, f, *ties.straight_lines(fac.xy, labels, dem.xy, speed))
    return best, road


def _subset(s: Snap, idx: IntArray) -> Snap:
    return Snap(s.xy[idx], s.seg[idx], s.t[idx], s.access_m[idx])


class _PointTrips:
    """Per demand point, what no cut of another piece changes.

    Its legs to its segment's ends, the best trip along its own segment and the best straight line
    (:mod:`geo.routing.ties`, the full query's own formulas), so that a piece's points are
    recomputed from the region's labelling alone.
    """

    def __init__(self, net: Network, o_fw: FloatArray, o_bw: FloatArray, fac: Snap,
                 dem: Snap, speed: float, direct: bool) -> None:
        labels = np.arange(len(fac), dtype=np.int64)
        self.legs = ties.demand_legs(net.seg_u, net.seg_v, o_fw, o_bw, dem, speed)
        self.ext_t, self.ext_f = ties.extra_trips(fac, labels, dem, o_fw, o_bw, speed, False)
        self.direct = direct
        if direct:
            self.line_t, self.line_f = ties.straight_lines(fac.xy, labels, dem.xy, speed)

    def times(self, idx: IntArray, dist: FloatArray, lab: IntArray
              ) -> tuple[FloatArray, FloatArray]:
        """Seconds of points ``idx`` from the labelling, and by road alone (as _point_times)."""
        road, f = ties.lexmin(*ties.via_nodes(self.legs, dist, lab, idx), self.ext_t[idx],
                              self.ext_f[idx])
        if not self.direct:
            return road, road
        best, _ = ties.lexmin(road, f, self.line_t[idx], self.line_f[idx])
        return best, road


def _off_own_piece(net: Network, dem: Snap, seg_piece: IntArray,
                   exclude_classes: tuple[str, ...]) -> Snap:
    """Return where each point joins when its own piece is cut.

    The nearest usable segment of another piece, the first (smallest id) of equally near ones:
    what :func:`snap_points` with the piece closed gives (its search, for every point at once).
    """
    n = len(dem)
    seg, access = np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    if n == 0:
        return Snap(dem.xy, seg, np.zeros(0), access)
    ok, tree = _snap_tree(net, tuple(exclude_classes))
    own = seg_piece[dem.seg]
    pts = np.asarray(shapely.points(dem.xy), dtype=object)
    (pi, si), dist = tree.query_nearest(pts, return_distance=True, all_matches=True)
    other = seg_piece[ok[si]] != own[pi]
    _first_nearest(pi[other], ok[si][other], dist[other], seg, access)
    todo = np.setdiff1d(np.arange(n), pi[other])
    near = np.zeros(n)
    np.maximum.at(near, pi, dist)
    radius = near[todo] + np.maximum(0.25 * near[todo], 100.0)
    span = float(np.ptp(net.node_xy, axis=0).max()) if net.n_nodes else 0.0
    while len(todo):
        qi, qs = tree.query(pts[todo], predicate="dwithin", distance=radius)
        keep = seg_piece[ok[qs]] != own[todo[qi]]
        qi, qs = qi[keep], qs[keep]
        d = shapely.distance(pts[todo][qi], tree.geometries[qs])
        fine = d <= radius[qi]  # rings are complete: a match within the radius is nearest
        qi, qs, d = qi[fine], qs[fine], d[fine]
        _first_nearest(todo[qi], ok[qs], d, seg, access)
        left = np.setdiff1d(np.arange(len(todo)), np.unique(qi))
        todo, radius = todo[left], radius[left] * 2.0
        if len(todo) and radius.min() > 4 * span + 1e6:
            raise NetworkError("every road segment places may join is on one road piece: "
                               "a criticality ranking needs a network of several pieces")
    placed = seg >= 0
    t = np.zeros(n)
    s_ok = seg[placed]
    pa, pb = net.node_xy[net.seg_u[s_ok]], net.node_xy[net.seg_v[s_ok]]
    ab = pb - pa
    denom = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    t[placed] = np.clip(np.einsum("ij,ij->i", dem.xy[placed] - pa, ab) / denom, 0.0, 1.0)
    return Snap(dem.xy, np.where(placed, seg, 0), t, access)


def _bridges(pieces: Pieces, live: BoolArray, n_nodes: int) -> BoolArray:
    """Find the pieces that are bridges of the road graph, directions aside.

    Cutting one leaves its two ends in separate parts (Tarjan's low links over the pieces
    as edges between their end nodes, iteratively; parallel pieces are no bridges). A piece
    that carries no traffic (``live`` false) is no edge.
    """
    k = pieces.n
    out = np.zeros(k, dtype=bool)
    use = np.flatnonzero(live & (pieces.a != pieces.b))
    if len(use) == 0:
        return out
    a, b = pieces.a[use], pieces.b[use]
    ends = np.concatenate([a, b])
    other = np.concatenate([b, a])
    edge = np.concatenate([use, use])
    order = np.argsort(ends, kind="stable")
    ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n_nodes), out=ptr[1:])
    nb, eid = other[order].tolist(), edge[order].tolist()
    ptr_l = ptr.tolist()
    tin = [-1] * n_nodes
    low = [0] * n_nodes
    clock = 0
    for root in np.unique(ends).tolist():
        if tin[root] >= 0:
            continue
        tin[root] = low[root] = clock
        clock += 1
        stack = [(root, -1, ptr_l[root])]
        while stack:
            v, via, k_ = stack[-1]
            if k_ < ptr_l[v + 1]:
                stack[-1] = (v, via, k_ + 1)
                w, e = nb[k_], eid[k_]
                if e == via:
                    continue
                if tin[w] < 0:
                    tin[w] = low[w] = clock
                    clock += 1
                    stack.append((w, e, ptr_l[w]))
                elif tin[w] < low[v]:
                    low[v] = tin[w]
            else:
                stack.pop()
                if stack:
                    u = stack[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                    if low[v] > tin[u]:
                        out[via] = True
    return out


def piece_impacts(
    net: Network, facilities: Snap, demand: Snap, population: FloatArray, minutes: float,
    *, access_speed_kmh: float, direction: str = "from_facility", direct: bool = True,
    exclude_classes: tuple[str, ...] = (), pieces: Pieces | None = None,
    detour_cap_s: float = 4 * 3600.0,
) -> tuple[Pieces, PieceImpact]:
    """Cut every piece alone and measure one standard on the demand points.

    ``minutes``: the standard's threshold (see module docs); ``exclude_classes``: the
    classes places may not join (as they were snapped).
    """
    pieces = pieces or road_pieces(net)
    speed = access_speed_kmh / 3.6
    o = _oriented(net, direction)
    g = _Graph(net, direction)
    dist, lab = _nearest_from(net, direction, facilities, speed, np.inf, 1)
    c = np.ascontiguousarray
    seed_node, seed_dist = _dijkstra.snap_seeds(
        c(facilities.seg, np.int64), c(facilities.t, np.float64),
        c(facilities.access_m, np.float64), net.seg_u, net.seg_v, c(o.fw), c(o.bw), speed)
    seed_label = np.repeat(np.arange(len(facilities), dtype=np.int64), 2)
    ok_seed = np.isfinite(seed_dist)
    seed_node, seed_dist, seed_label = seed_node[ok_seed], seed_dist[ok_seed], seed_label[ok_seed]
    trips = _PointTrips(net, o.fw, o.bw, facilities, demand, speed, direct)
    before, road_before = trips.times(np.arange(len(demand), dtype=np.int64), dist, lab)
    pred, order, tin, tout = _tree(g, dist, seed_node, seed_dist)
    limit = minutes * 60.0
    pop = np.asarray(population, dtype=float)
    # demand points by the nodes at their segment's ends; by their segment
    n = net.n_nodes
    du, dv = net.seg_u[demand.seg], net.seg_v[demand.seg]
    pn = np.concatenate([du, dv])
    pp = np.concatenate([np.arange(len(demand)), np.arange(len(demand))])
    o_pn = np.argsort(pn, kind="stable")
    node_pts, node_ptr = pp[o_pn], np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pn, minlength=n), out=node_ptr[1:])
    seg_order, seg_ptr = pieces.segments()
    dem_piece = pieces.seg_piece[demand.seg]
    fac_piece = np.unique(pieces.seg_piece[facilities.seg])
    tree_piece = np.zeros(pieces.n, dtype=bool)
    has_pred = pred >= 0
    tree_piece[pieces.seg_piece[g.seg[pred[has_pred]]]] = True
    cand = tree_piece.copy()
    cand[dem_piece] = True
    cand[fac_piece] = True

    k = pieces.n
    out = PieceImpact(cand, np.zeros(k), np.zeros(k), np.zeros(k), np.full(k, np.nan),
                      np.full(k, np.nan), np.zeros(k), np.zeros(k + 1, dtype=np.int64),
                      np.zeros(0, dtype=np.int64), np.zeros(0), before)
    # the piece's own time: each segment in its quicker direction
    piece_secs = np.bincount(pieces.seg_piece, weights=np.where(
        np.isfinite(np.minimum(o.fw, o.bw)), np.minimum(o.fw, o.bw), 0.0), minlength=k)
    out.piece_minutes = piece_secs / 60.0
    head_of_edge = np.full(len(g.w), -1, dtype=np.int64)  # the node a tree edge holds up
    head_of_edge[pred[pred >= 0]] = np.flatnonzero(pred >= 0)
    w_cut, tw_cut = g.w.copy(), g.t_w.copy()
    changed_idx: list[IntArray] = []
    changed_val: list[FloatArray] = []
    dist_w, lab_w = dist.copy(), lab.copy()
    dem_by_piece_order = np.argsort(dem_piece, kind="stable")
    dem_ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(dem_piece, minlength=k), out=dem_ptr[1:])
    fac_piece_set = set(fac_piece.tolist())
    # where each point on a candidate piece joins when that piece is cut, and its trips there
    on_cand = np.flatnonzero(cand[dem_piece])
    off = _off_own_piece(net, _subset(demand, on_cand), pieces.seg_piece, exclude_classes)
    off_trips = _PointTrips(net, o.fw, o.bw, facilities, off, speed, direct)
    off_row = np.full(len(demand), -1, dtype=np.int64)
    off_row[on_cand] = np.arange(len(on_cand))
    live = np.bincount(pieces.seg_piece, weights=(np.isfinite(o.fw) | np.isfinite(o.bw)
                                                  ).astype(float), minlength=k) > 0
    # every piece's detour in one compiled call (a bridge has none: not searched)
    edge_piece = pieces.seg_piece[g.seg]
    cut_edges = np.argsort(edge_piece, kind="stable").astype(np.int64)
    cut_ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(edge_piece, minlength=k), out=cut_ptr[1:])
    ends = pieces.a != pieces.b
    skip = (_bridges(pieces, live, n) | ~ends).astype(np.uint8)
    det = _dijkstra.piece_detours(g.indptr, g.indices, g.w, cut_ptr, cut_edges,
                                  pieces.a.astype(np.int64), pieces.b.astype(np.int64), skip,
                                  detour_cap_s)
    out.detour_minutes[ends] = np.where(np.isfinite(det[ends]),
                                        (det[ends] - piece_secs[ends]) / 60.0, np.inf)
    inside = np.zeros(n, dtype=np.uint8)
    for p in np.flatnonzero(cand).tolist():
        edges = cut_edges[cut_ptr[p]:cut_ptr[p + 1]]
        segs = seg_order[seg_ptr[p]:seg_ptr[p + 1]]
        w_cut[edges] = np.inf
        tw_cut[g.t_of_edge[edges]] = np.inf
        if p in fac_piece_set:
            closed = np.zeros(len(net.seg_u), dtype=bool)
            closed[segs] = True
            idx, new, road = _full_rerun(net, facilities, demand, closed,
                                         access_speed_kmh, direction, direct,
                                         exclude_classes, before)
            out.full_reruns += 1
        else:
            heads = head_of_edge[edges]
            heads = heads[heads >= 0]
            rnodes = (np.unique(np.concatenate([order[tin[h]:tout[h]]
                                                for h in heads.tolist()]))
                      if len(heads) else np.zeros(0, dtype=np.int64))
            if len(rnodes):
                _dijkstra.repair_region(g.indptr, g.indices, w_cut, g.t_indptr,
                                        g.t_indices, tw_cut, rnodes, seed_node, seed_dist,
                                        seed_label, dist_w, lab_w, inside)
            on = dem_by_piece_order[dem_ptr[p]:dem_ptr[p + 1]]
            idx = np.unique(np.concatenate([_gather(node_ptr, node_pts, rnodes), on]))
            new, road = np.empty(len(idx)), np.empty(len(idx))
            moved = np.isin(idx, on)
            if (~moved).any():
                new[~moved], road[~moved] = trips.times(idx[~moved], dist_w, lab_w)
            if moved.any():  # joined to another piece's segment: open, so its own
                # seconds (the legs and trips along it) are the uncut network's
                new[moved], road[moved] = off_trips.times(off_row[idx[moved]], dist_w,
                                                          lab_w)
            dist_w[rnodes], lab_w[rnodes] = dist[rnodes], lab[rnodes]
        iso = np.isfinite(road_before[idx]) & ~np.isfinite(road)
        out.people_isolated[p] = pop[idx][iso].sum()
        worse = new != before[idx]
        idx, new = idx[worse], new[worse]
        changed_idx.append(idx)
        changed_val.append(new)
        out.changed_ptr[p + 1] = len(idx)
        b = before[idx]
        lost = (b <= limit) & ~(new <= limit)
        out.people_lost[p] = pop[idx][lost].sum()
        fin = np.isfinite(b) & np.isfinite(new)
        out.person_minutes[p] = float((pop[idx][fin] * (new[fin] - b[fin])).sum()) / 60.0
        if fin.any():
            out.worst_minutes[p] = float(new[fin].max()) / 60.0
        w_cut[edges] = g.w[edges]
        tw_cut[g.t_of_edge[edges]] = g.t_w[g.t_of_edge[edges]]
    out.changed_ptr = np.cumsum(out.changed_ptr)
    out.changed = np.concatenate(changed_idx) if changed_idx else np.zeros(0, np.int64)
    out.minutes_after = (np.concatenate(changed_val) / 60.0 if changed_val else np.zeros(0))
    out.minutes_before = before / 60.0
    return pieces, out


def _resnap(net: Network, places: Snap, closed: BoolArray,
            exclude_classes: tuple[str, ...]) -> Snap:
    """``places`` joined as on the network with ``closed`` segments closed.

    Those on a closed segment join the nearest open one; the others keep their join (their nearest
    segment is still open, and the rule among equally near ones is the same).
    """
    on = np.flatnonzero(closed[places.seg])
    if len(on) == 0:
        return places
    new = snap_points(net, places.xy[on], exclude_classes=exclude_classes, closed=closed)
    seg, t, acc = places.seg.copy(), places.t.copy(), places.access_m.copy()
    seg[on], t[on], acc[on] = new.seg, new.t, new.access_m
    return Snap(places.xy, seg, t, acc)


def _full_rerun(net: Network, facilities: Snap, demand: Snap, closed: BoolArray,
                speed_kmh: float, direction: str, direct: bool,
                exclude_classes: tuple[str, ...], before: FloatArray
                ) -> tuple[IntArray, FloatArray, FloatArray]:
    """Return a piece that carries a facility's join.

    Every point searched afresh on the network with the piece closed (facilities and points on it
    join another road).
    """
    cut = changed_network(net, closed)
    fac = _resnap(net, facilities, closed, exclude_classes)
    dem = _resnap(net, demand, closed, exclude_classes)
    o = _oriented(cut, direction)
    dist, lab = _nearest_from(cut, direction, fac, speed_kmh / 3.6, np.inf, 1)
    best, road = _point_times(cut, o.fw, o.bw, fac, dem, speed_kmh / 3.6, direct, dist, lab)
    return np.arange(len(before)), best, road
