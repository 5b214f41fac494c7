"""One standard's nearest facility, per node and per demand point, kept exact.

It stays exact while facilities come and go.

:class:`NearestState` holds what :func:`geo.routing.travel.nearest_facility` computes for
one standard (network and direction, demand points, eligible facilities, access speed),
plus what it needs to update it: the node labelling (seconds and facility per node) and
each point's best trip that no node search sees (along its own segment, or the straight
line). Facilities are named by *slot*, a whole number that never changes and orders
ties: at equal times the smaller slot wins, as the facility listed first wins in
``nearest_facility``. So after any sequence of :meth:`~NearestState.add` and
:meth:`~NearestState.remove`, the arrays equal ``nearest_facility`` run afresh on the
facilities in slot order (tests).

* :meth:`~NearestState.add` runs one search from the new facility that enters only the nodes it wins
  (:func:`geo.routing._dijkstra.grow`), merges its straight lines and along-segment trips,
  and recomputes the points next to the nodes it took;
* :meth:`~NearestState.remove` recomputes only the region the facility held, from its border
  (:func:`geo.routing._dijkstra.repair`), and the points it served.

Arrays only: no geopandas. Straight lines are always allowed (``direct``) and there is no
time limit, as in a study.
"""

from __future__ import annotations

import copy

import numpy as np

from geo._types import FloatArray, IntArray
from geo.network.graph import Network
from geo.routing import _dijkstra, ties
from geo.routing.travel import DIRECTIONS, Snap, node_nearest

__all__ = ["NearestState", "concat_snaps", "subset"]

_NO_I = np.zeros(0, dtype=np.int64)


def subset(s: Snap, idx: IntArray) -> Snap:
    """Return the places ``idx`` of a Snap."""
    return Snap(s.xy[idx], s.seg[idx], s.t[idx], s.access_m[idx])


def concat_snaps(snaps: list[Snap]) -> Snap:
    """Return one Snap of several, in order (an empty one for none)."""
    if not snaps:
        return Snap(np.zeros((0, 2)), _NO_I.copy(), np.zeros(0), np.zeros(0))
    return Snap(np.concatenate([s.xy for s in snaps]), np.concatenate([s.seg for s in snaps]),
                np.concatenate([s.t for s in snaps]),
                np.concatenate([s.access_m for s in snaps]))


def _csr_index(keys: IntArray, values: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Return ``values`` grouped by ``keys`` in ``[0, n)``: (ptr, grouped values)."""
    order = np.argsort(keys, kind="stable")
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=ptr[1:])
    return ptr, values[order].astype(np.int64)


def _gather(ptr: IntArray, vals: IntArray, rows: IntArray) -> IntArray:
    """Return the values of CSR rows ``rows``, concatenated."""
    start, stop = ptr[rows], ptr[rows + 1]
    cnt = stop - start
    if not cnt.any():
        return _NO_I
    offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    return vals[np.repeat(start, cnt) + offs]


class NearestState:
    """Nearest eligible facility for one standard.

    It is updated exactly by :meth:`~NearestState.add` and :meth:`~NearestState.remove` (see the
    module docs).

    Parameters
    ----------
    net : Network
        The standard's network (its mode).
    demand : Snap
        The demand points, joined to ``net``.
    places : dict of int to Snap
        The eligible facilities by slot, each a Snap of one place joined to ``net``.
    access_speed_kmh : float
    direction : {"from_facility", "to_facility"}
    threads : int, optional
        Threads of the first, full search (as in ``nearest_facility``).

    Attributes
    ----------
    seconds : (n_demand,) float array
        Seconds to (or from) the nearest facility, ``inf`` where none reaches.
    nearest : (n_demand,) int array
        Its slot, -1 where none.
    """

    def __init__(self, net: Network, demand: Snap, places: dict[int, Snap], *,
                 access_speed_kmh: float, direction: str, threads: int | None = None) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        if not access_speed_kmh > 0:
            raise ValueError(f"access speed must be positive km/h, got {access_speed_kmh}")
        self.net, self.direction, self.demand = net, direction, demand
        self.speed = access_speed_kmh / 3.6  # as geo.routing.travel does
        forward = direction == "from_facility"
        self.graph = net.graph("forward" if forward else "reverse")
        self.t_graph = net.graph("reverse" if forward else "forward")
        c = np.ascontiguousarray
        self._seg_u, self._seg_v = c(net.seg_u, np.int64), c(net.seg_v, np.int64)
        fw, bw = (net.seg_fw_s, net.seg_bw_s) if forward else (net.seg_bw_s, net.seg_fw_s)
        self.fw, self.bw = c(fw, np.float64), c(bw, np.float64)
        self.legs = ties.demand_legs(self._seg_u, self._seg_v, self.fw, self.bw, demand,
                                     self.speed)
        n_dem = len(demand)
        both = np.arange(n_dem, dtype=np.int64)
        self._inc_ptr, self._inc = _csr_index(np.concatenate([self.legs.u, self.legs.v]),
                                              np.concatenate([both, both]), net.n_nodes)
        self._seg_ptr, self._on_seg = _csr_index(demand.seg, both, len(net.seg_u))
        self.places = dict(sorted(places.items()))
        self._init_arrays(access_speed_kmh, threads)
        # (points, their seconds and nearest before a change), change after change
        self._journal: list[tuple[IntArray, FloatArray, IntArray]] = []

    def fork(self) -> NearestState:
        """Return an independent copy.

        The network, demand and their indexes shared (never changed), the labelling and the points'
        arrays copied.
        """
        new = copy.copy(self)
        new.dist, new.lab = self.dist.copy(), self.lab.copy()
        new.ext_t, new.ext_f = self.ext_t.copy(), self.ext_f.copy()
        new.seconds, new.nearest = self.seconds.copy(), self.nearest.copy()
        new.places = dict(self.places)
        new._journal = []
        return new

    def query(self, spot: Snap) -> tuple[FloatArray, IntArray]:
        """Return the seconds and nearest slot of places ``spot`` as if demand points.

        ``spot`` is joined to the network; from the present labelling, exactly as the points'
        own.
        """
        legs = ties.demand_legs(self._seg_u, self._seg_v, self.fw, self.bw, spot, self.speed)
        slots, fac = self.facilities()
        ext_t, ext_f = ties.extra_trips(fac, slots, spot, self.fw, self.bw, self.speed)
        return ties.lexmin(*ties.via_nodes(legs, self.dist, self.lab), ext_t, ext_f)

    # ------------------------------------------------------------------ state

    def _init_arrays(self, kmh: float, threads: int | None) -> None:
        slots, fac = self.facilities()
        n = self.net.n_nodes
        if len(slots):
            dist, pos = node_nearest(self.net, fac, access_speed_kmh=kmh,
                                     direction=self.direction, threads=threads)
            lab = np.where(pos >= 0, slots[np.maximum(pos, 0)], -1).astype(np.int64)
        else:
            dist, lab = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        self.dist, self.lab = np.ascontiguousarray(dist), np.ascontiguousarray(lab)
        self.ext_t, self.ext_f = ties.extra_trips(fac, slots, self.demand, self.fw, self.bw,
                                                  self.speed)
        self.seconds, self.nearest = ties.lexmin(*ties.via_nodes(self.legs, self.dist,
                                                                 self.lab),
                                                 self.ext_t, self.ext_f)

    def facilities(self) -> tuple[IntArray, Snap]:
        """Return the slots held, in order, and their places (one Snap)."""
        slots = np.fromiter(self.places, dtype=np.int64, count=len(self.places))
        return slots, concat_snaps(list(self.places.values()))

    def _seeds(self, place: Snap) -> tuple[IntArray, FloatArray]:
        c = np.ascontiguousarray
        return _dijkstra.snap_seeds(c(place.seg, np.int64), c(place.t, np.float64),
                                    c(place.access_m, np.float64), self._seg_u, self._seg_v,
                                    self.fw, self.bw, self.speed)

    def _refresh(self, idx: IntArray) -> IntArray:
        """Recompute the points ``idx`` from the node labelling and their extra trips.

        Returns those whose seconds or nearest slot changed.
        """
        if len(idx) == 0:
            return _NO_I
        t, f = ties.lexmin(*ties.via_nodes(self.legs, self.dist, self.lab, idx),
                           self.ext_t[idx], self.ext_f[idx])
        diff = (t != self.seconds[idx]) | (f != self.nearest[idx])
        hit = idx[diff]
        self._journal.append((hit, self.seconds[hit], self.nearest[hit]))
        self.seconds[idx], self.nearest[idx] = t, f
        return hit

    def changed_since_mark(self) -> IntArray:
        """Return the points whose seconds or nearest slot changed since the last :meth:`mark`.

        An edit is made of several adds and removes: a point changed and changed back is not
        counted. The call marks anew.
        """
        if not self._journal:
            return _NO_I
        idx = np.concatenate([j[0] for j in self._journal])
        old_t = np.concatenate([j[1] for j in self._journal])
        old_f = np.concatenate([j[2] for j in self._journal])
        self._journal = []
        pts, first = np.unique(idx, return_index=True)  # first: the value before the mark
        diff = (old_t[first] != self.seconds[pts]) | (old_f[first] != self.nearest[pts])
        return pts[diff]

    def succeed(self, old: NearestState) -> NearestState:
        """Take ``old``'s place: its journal, and the points whose answer differs from its own.

        So :meth:`changed_since_mark` counts from ``old``'s mark (a state made afresh on a network
        with roads closed replaces the one before). Returns ``self``.
        """
        hit = np.flatnonzero((self.seconds != old.seconds) | (self.nearest != old.nearest))
        self._journal = [*old._journal, (hit, old.seconds[hit], old.nearest[hit])]
        return self

    def mark(self) -> None:
        """Start counting changes afresh (see :meth:`changed_since_mark`)."""
        self._journal = []

    # ------------------------------------------------------------------ updates

    def add(self, slot: int, place: Snap) -> IntArray:
        """Add facility ``slot`` at ``place`` (a Snap of one).

        Returns the demand points whose seconds or nearest facility changed.
        """
        if slot in self.places:
            raise ValueError(f"slot {slot} is already held")
        if len(place) != 1 or slot < 0:
            raise ValueError("add takes one place and a non-negative slot")
        self.places[slot] = place
        self.places = dict(sorted(self.places.items()))
        node, secs = self._seeds(place)
        g = self.graph
        taken = _dijkstra.grow(g.indptr, g.indices, g.weights, node, secs, slot, self.dist,
                               self.lab)
        line = ties.line_seconds(self.demand.xy, place.xy[0], self.speed)
        cand_f = np.full(len(line), slot, dtype=np.int64)
        seg = int(place.seg[0])
        on = self._on_seg[self._seg_ptr[seg]:self._seg_ptr[seg + 1]]
        if len(on):
            along = ties.along_segment(place, cand_f[:1], subset(self.demand, on), self.fw,
                                       self.bw, self.speed)
            line[on], cand_f[on] = ties.lexmin(line[on], cand_f[on], *along)
        t, f = ties.lexmin(self.ext_t, self.ext_f, line, cand_f)
        moved = np.flatnonzero((t != self.ext_t) | (f != self.ext_f))
        self.ext_t, self.ext_f = t, f
        near = _gather(self._inc_ptr, self._inc, taken)
        return self._refresh(np.union1d(near, moved))

    def remove(self, slot: int) -> IntArray:
        """Remove facility ``slot``.

        Returns the demand points whose seconds or nearest facility changed.
        """
        if slot not in self.places:
            raise ValueError(f"slot {slot} is not held")
        del self.places[slot]
        slots, fac = self.facilities()
        node, secs = self._seeds(fac)
        g, t = self.graph, self.t_graph
        region = _dijkstra.repair(g.indptr, g.indices, g.weights, t.indptr, t.indices,
                                  t.weights, slot, node, secs, np.repeat(slots, 2), self.dist,
                                  self.lab)
        lost = np.flatnonzero(self.ext_f == slot)
        if len(lost):
            self.ext_t[lost], self.ext_f[lost] = ties.extra_trips(
                fac, slots, subset(self.demand, lost), self.fw, self.bw, self.speed)
        near = _gather(self._inc_ptr, self._inc, region)
        return self._refresh(np.union1d(near, lost))
