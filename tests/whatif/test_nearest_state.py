"""NearestState after random adds and removes equals a fresh nearest_facility, ties
included, on random networks with one-way roads, many equal times and co-located
facilities; and the geo.routing.ties rule checked by brute force on a tiny case."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import CRS

from geo.network.graph import Network
from geo.routing import ties
from geo.routing.travel import Snap, nearest_facility, snap_points
from geo.whatif.nearest import NearestState, concat_snaps

STEP = 100.0  # m between lattice nodes; 36 km/h makes every segment 10 s: ties everywhere


def _lattice(seed: int, side: int = 14) -> Network:
    """A jitter-free lattice with a few missing roads, a third of them one way, and a
    slower road class: whole seconds everywhere, so equal times are common."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) < 0.9
    u, v = u[keep], v[keep]
    secs = np.where(rng.random(len(u)) < 0.25, 20.0, 10.0)
    fw, bw = secs.copy(), secs.copy()
    one = rng.random(len(u))
    fw[one < 0.15] = np.inf
    bw[(one >= 0.15) & (one < 0.3)] = np.inf
    yy, xx = np.divmod(np.arange(side * side), side)
    xy = np.column_stack([500_000 + STEP * xx, 2_700_000 + STEP * yy]).astype(float)
    cls = np.full(len(u), "residential", dtype=object)
    return Network(CRS.from_epsg(32649), xy, u.astype(np.int64), v.astype(np.int64), fw, bw,
                   cls, "drive")


def _points(rng: np.random.Generator, net: Network, n: int) -> np.ndarray:
    """Places on lattice nodes, on half and quarter points of roads, and off the roads."""
    lo = net.node_xy.min(axis=0)
    span = net.node_xy.max(axis=0) - lo
    kind = rng.integers(0, 3, n)
    grid = lo + np.round(rng.uniform(0, 1, (n, 2)) * span / (STEP / 4)) * (STEP / 4)
    free = lo + rng.uniform(-0.05, 1.05, (n, 2)) * span
    return np.where((kind < 2)[:, None], grid, free)


def _check(state: NearestState, held: dict[int, Snap], net: Network, dem: Snap,
           direction: str) -> None:
    slots = np.array(sorted(held), dtype=np.int64)
    if len(slots) == 0:
        assert np.isinf(state.seconds).all() and (state.nearest == -1).all()
        return
    secs, idx = nearest_facility(net, concat_snaps([held[k] for k in slots]), dem,
                                 access_speed_kmh=3.6, direction=direction)
    np.testing.assert_array_equal(state.seconds, secs)
    np.testing.assert_array_equal(state.nearest, np.where(idx >= 0, slots[idx], -1))


@pytest.mark.parametrize("direction", ["from_facility", "to_facility"])
@pytest.mark.parametrize("seed", range(4))
def test_random_adds_and_removes_equal_a_fresh_search(direction: str, seed: int) -> None:
    net = _lattice(seed)
    rng = np.random.default_rng(seed)
    dem = snap_points(net, _points(rng, net, 500))
    xy = _points(rng, net, 40)
    xy[1::5] = xy[0::5][: len(xy[1::5])]  # co-located pairs
    pool = {k: snap_points(net, xy[k : k + 1]) for k in range(40)}
    held = {k: pool[k] for k in rng.choice(40, 8, replace=False).tolist()}
    state = NearestState(net, dem, dict(held), access_speed_kmh=3.6, direction=direction)
    _check(state, held, net, dem, direction)
    ties_seen = 0
    for _ in range(60):
        k = int(rng.integers(40))
        before = (state.seconds.copy(), state.nearest.copy())
        if k in held:
            changed = state.remove(k)
            del held[k]
        else:
            changed = state.add(k, pool[k])
            held[k] = pool[k]
        _check(state, held, net, dem, direction)
        moved = (before[0] != state.seconds) | (before[1] != state.nearest)
        np.testing.assert_array_equal(np.sort(changed), np.flatnonzero(moved))
        ties_seen += int(((before[0] == state.seconds) & (before[1] != state.nearest)).sum())
    assert ties_seen > 0  # some points changed facility at an equal time: ties were tested


def test_removing_every_facility_and_adding_one_back() -> None:
    net = _lattice(9)
    rng = np.random.default_rng(9)
    dem = snap_points(net, _points(rng, net, 200))
    places = {k: snap_points(net, _points(rng, net, 1)) for k in range(3)}
    state = NearestState(net, dem, dict(places), access_speed_kmh=3.6,
                         direction="from_facility")
    for k in range(3):
        state.remove(k)
    assert np.isinf(state.seconds).all() and (state.nearest == -1).all()
    assert np.isinf(state.dist).all() and (state.lab == -1).all()
    state.add(7, places[1])
    _check(state, {7: places[1]}, net, dem, "from_facility")
    empty = NearestState(net, dem, {}, access_speed_kmh=3.6, direction="to_facility")
    assert np.isinf(empty.seconds).all()
    with pytest.raises(ValueError, match="not held"):
        empty.remove(3)


def test_ties_rule_by_brute_force() -> None:
    """Every candidate of every (facility, point) pair listed by hand-written loops; the
    best pair per point is the smallest time, then the smallest label."""
    net = _lattice(2, side=5)
    rng = np.random.default_rng(2)
    fac = snap_points(net, _points(rng, net, 6))
    dem = snap_points(net, _points(rng, net, 60))
    label = np.array([5, 3, 9, 1, 4, 2])
    speed = 1.0
    got_t, got_f = ties.extra_trips(fac, label, dem, net.seg_fw_s, net.seg_bw_s, speed)
    for i in range(len(dem)):
        cands = []
        for k in range(len(fac)):
            d = float(np.hypot(*(dem.xy[i] - fac.xy[k])))
            cands.append((d / speed, int(label[k])))
            if fac.seg[k] == dem.seg[i]:
                s, dt = dem.seg[i], dem.t[i] - fac.t[k]
                along = dt * net.seg_fw_s[s] if dt > 0 else (-dt * net.seg_bw_s[s]
                                                             if dt < 0 else 0.0)
                cands.append(((fac.access_m[k] + dem.access_m[i]) / speed + along,
                              int(label[k])))
        best = min((c for c in cands if np.isfinite(c[0])), default=(np.inf, -1))
        assert (got_t[i], got_f[i]) == best
