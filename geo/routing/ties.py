"""The nearest-facility rule at demand points: its candidates and its one tie rule.

A demand point's time to (or from) the nearest facility is the best of four kinds of
candidate, each a pair (seconds, label), the label naming the facility (its position in
the list searched, or any key that grows with it):

* via ``u``, the first end of the point's segment: the node's time + the part of the
  segment between the node and the join + the access leg (:func:`via_nodes`);
* via ``v``, the other end, alike;
* along the segment itself, from a facility joined to the same segment, without
  leaving it (:func:`along_segment`);
* the straight line between the two places at the access speed (:func:`straight_lines`).

The best pair has the smallest time and, among equal times, the smallest label: the
facility listed first wins a tie (:func:`lexmin`), as at the network's nodes
(:mod:`geo.routing._dijkstra`, ``beats``). Unreached points hold ``(inf, -1)``.

Every formula lives here once, so the full query
(:func:`geo.routing.travel.nearest_facility`) and the incremental updates of
:mod:`geo.whatif` compute the same floating-point numbers, element by element, and so
the same answer, ties included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from geo._types import FloatArray, IntArray

__all__ = [
    "DemandLegs",
    "Places",
    "along_segment",
    "demand_legs",
    "extra_trips",
    "lexmin",
    "line_seconds",
    "part",
    "segment_pairs",
    "straight_lines",
    "straight_lines_offset",
    "via_nodes",
]


# a second facility position this much (relative) farther than the nearest may still tie
# it once the exact line time is computed: such points are compared exactly
_NEAR_TIE = 1e-9


class Places(Protocol):
    """Where places join the network (:class:`geo.routing.travel.Snap` is one)."""

    @property
    def xy(self) -> FloatArray:
        """The places, in the network's metric CRS, one row each."""
        ...

    @property
    def seg(self) -> IntArray:
        """Segment each place joins."""
        ...

    @property
    def t(self) -> FloatArray:
        """Position of the join along that segment, 0 at ``seg_u``, 1 at ``seg_v``."""
        ...

    @property
    def access_m(self) -> FloatArray:
        """Straight-line length of the access leg, in metres."""
        ...


def part(frac: FloatArray, secs: FloatArray) -> FloatArray:
    """Return the seconds for a fraction ``frac`` of a segment of ``secs`` seconds.

    No part of a segment takes 0 seconds, even of a one-way segment (``inf``), where
    ``0 * inf`` would give NaN.
    """
    return np.multiply(frac, secs, out=np.zeros(np.shape(frac)), where=frac > 0)


def lexmin(t_a: FloatArray, f_a: IntArray, t_b: FloatArray,
           f_b: IntArray) -> tuple[FloatArray, IntArray]:
    """Take the element-wise best of two candidate pairs: smaller time, then smaller label."""
    take_b = (t_b < t_a) | ((t_b == t_a) & (f_b < f_a))
    return np.where(take_b, t_b, t_a), np.where(take_b, f_b, f_a).astype(np.int64)


def _labelled(t: FloatArray, f: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """Label ``(inf, -1)`` wherever the time is not finite."""
    return t, np.where(np.isfinite(t), f, -1).astype(np.int64)


@dataclass(frozen=True)
class DemandLegs:
    """What joins each demand point to its segment's end nodes, in the search's direction.

    ``to_u`` and ``to_v`` are the seconds between node ``u`` (``v``) and the join along the
    segment, ``leg`` the access leg's seconds.
    """

    u: IntArray
    v: IntArray
    to_u: FloatArray
    to_v: FloatArray
    leg: FloatArray

    def __len__(self) -> int:
        return int(self.u.shape[0])


def demand_legs(seg_u: IntArray, seg_v: IntArray, fw: FloatArray, bw: FloatArray,
                demand: Places, speed: float) -> DemandLegs:
    """Return the legs of every demand point.

    ``fw``/``bw``: segment seconds as the search travels (``seg_u`` -> ``seg_v`` and back);
    ``speed`` in m/s.
    """
    seg, t = demand.seg, demand.t
    return DemandLegs(seg_u[seg], seg_v[seg], part(t, fw[seg]), part(1.0 - t, bw[seg]),
                      demand.access_m / speed)


def via_nodes(legs: DemandLegs, dist: FloatArray, label: IntArray,
              idx: IntArray | None = None) -> tuple[FloatArray, IntArray]:
    """Find the best pair through either end node of each point's segment.

    It comes from the nodes' ``(dist, label)`` labelling (all points, or the points ``idx``).
    """
    if idx is None:
        u, v, to_u, to_v, leg = legs.u, legs.v, legs.to_u, legs.to_v, legs.leg
    else:
        u, v, to_u, to_v, leg = (legs.u[idx], legs.v[idx], legs.to_u[idx], legs.to_v[idx],
                                 legs.leg[idx])
    via_u = dist[u] + to_u + leg
    via_v = dist[v] + to_v + leg
    return lexmin(*_labelled(via_u, label[u]), *_labelled(via_v, label[v]))


def line_seconds(xy: FloatArray, other: FloatArray, speed: float) -> FloatArray:
    """Return the straight-line seconds between points ``xy`` and ``other`` (rows, or one point)."""
    d = np.asarray(xy) - np.asarray(other)
    return np.hypot(d[..., 0], d[..., 1]) / speed


def straight_lines(fac_xy: FloatArray, fac_label: IntArray, dem_xy: FloatArray,
                   speed: float) -> tuple[FloatArray, IntArray]:
    """Find the best straight-line pair per demand point.

    It is the nearest facility position, and at equal times the smallest label (co-located
    facilities share every line).
    """
    n = len(dem_xy)
    if len(fac_xy) == 0 or n == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    pos, lab = _positions(np.asarray(fac_xy, dtype=float), np.asarray(fac_label, dtype=np.int64))
    tree = cKDTree(pos)
    k = min(2, len(pos))
    d, j = tree.query(dem_xy, k=k)
    d, j = d.reshape(n, k), j.reshape(n, k)
    best_t = line_seconds(dem_xy, pos[j[:, 0]], speed)
    best_f = lab[j[:, 0]]
    if k == 2:
        near = np.flatnonzero(d[:, 1] <= d[:, 0] * (1 + _NEAR_TIE) + _NEAR_TIE)
        if len(near):
            t, f = _exact_among_near(tree, pos, lab, dem_xy[near], d[near, 0], speed)
            best_t[near], best_f[near] = t, f
    return best_t, best_f


def _positions(xy: FloatArray, label: IntArray) -> tuple[FloatArray, IntArray]:
    """Return the distinct positions among ``xy`` and the smallest label at each.

    One sort of the rows (``np.unique(axis=0)`` does the same through a structured view,
    several times slower on a few dozen facilities); positions are equal when both
    coordinates compare equal.
    """
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    s = xy[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:, 0] != s[:-1, 0]) | (s[1:, 1] != s[:-1, 1])
    starts = np.flatnonzero(new)
    return s[starts], np.minimum.reduceat(label[order], starts)


def _exact_among_near(tree: cKDTree, pos: FloatArray, lab: IntArray, xy: FloatArray,
                      nearest_m: FloatArray, speed: float) -> tuple[FloatArray, IntArray]:
    """Settle points with two positions about equally near.

    Every position within the nearest distance (plus a margin far above rounding) is compared
    exactly.
    """
    balls = tree.query_ball_point(xy, nearest_m * (1 + _NEAR_TIE) + _NEAR_TIE)
    sizes = np.array([len(b) for b in balls], dtype=np.int64)
    row = np.repeat(np.arange(len(xy)), sizes)
    cand = np.concatenate([np.asarray(b, dtype=np.int64) for b in balls])
    t = line_seconds(xy[row], pos[cand], speed)
    order = np.lexsort((lab[cand], t, row))
    first = order[np.r_[0, np.cumsum(sizes)[:-1]]]
    return t[first], lab[cand][first]


def segment_pairs(src: Places, dst: Places, fw: FloatArray, bw: FloatArray,
                  speed: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Find every (source, target) pair joined to the same segment.

    Each comes with its seconds along the segment without leaving it (both access legs included;
    ``inf`` against a one-way).
    """
    order = np.argsort(src.seg, kind="stable")
    sseg = src.seg[order]
    lo = np.searchsorted(sseg, dst.seg, "left")
    cnt = np.searchsorted(sseg, dst.seg, "right") - lo
    ti = np.repeat(np.arange(len(dst.seg), dtype=np.int64), cnt)
    offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    si = order[np.repeat(lo, cnt) + offs].astype(np.int64)
    seg = dst.seg[ti]
    dt = dst.t[ti] - src.t[si]
    along = np.where(dt >= 0, part(dt, fw[seg]), part(-dt, bw[seg]))
    return si, ti, (src.access_m[si] + dst.access_m[ti]) / speed + along


def along_segment(fac: Places, fac_label: IntArray, dem: Places, fw: FloatArray,
                  bw: FloatArray, speed: float, offset: FloatArray | None = None
                  ) -> tuple[FloatArray, IntArray]:
    """Find the best pair per demand point over the facilities joined to its own segment.

    The trip travels along the segment without leaving it (``inf``, -1 where none is);
    ``offset``: seconds each facility adds before it starts (a dispatch delay).
    """
    n = len(dem.seg)
    out_t, out_f = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    si, ti, secs = segment_pairs(fac, dem, fw, bw, speed)
    if len(si) == 0:
        return out_t, out_f
    if offset is not None:
        secs = secs + offset[si]
    lab = np.asarray(fac_label, dtype=np.int64)[si]
    pick = np.lexsort((lab, secs, ti))
    first = pick[np.r_[True, ti[pick][1:] != ti[pick][:-1]]]
    out_t[ti[first]], out_f[ti[first]] = _labelled(secs[first], lab[first])
    return out_t, out_f


def straight_lines_offset(fac_xy: FloatArray, fac_label: IntArray, dem_xy: FloatArray,
                          speed: float, offset: FloatArray) -> tuple[FloatArray, IntArray]:
    """Run :func:`straight_lines` where each facility adds ``offset`` seconds before it starts.

    It takes the best line within each group of equal offsets, then the best over the groups (exact,
    the same tie rule; one tree per distinct offset, few for a set of dispatch delays).
    """
    n = len(dem_xy)
    best_t, best_f = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    lab = np.asarray(fac_label, dtype=np.int64)
    for value in np.unique(offset):
        members = np.flatnonzero(offset == value)
        t, f = straight_lines(fac_xy[members], lab[members], dem_xy, speed)
        best_t, best_f = lexmin(best_t, best_f, t + value, f)
    return best_t, best_f


def extra_trips(fac: Places, fac_label: IntArray, dem: Places, fw: FloatArray,
                bw: FloatArray, speed: float, direct: bool = True,
                offset: FloatArray | None = None) -> tuple[FloatArray, IntArray]:
    """Find the best pair per demand point over the trips no node search sees.

    These go along the point's own segment, and (``direct``) the straight line; ``offset`` as in
    :func:`along_segment`.
    """
    t, f = along_segment(fac, fac_label, dem, fw, bw, speed, offset)
    if direct:
        lines = (straight_lines(fac.xy, fac_label, dem.xy, speed) if offset is None else
                 straight_lines_offset(fac.xy, fac_label, dem.xy, speed, offset))
        t, f = lexmin(t, f, *lines)
    return t, f
