"""The nearest *other* place of a set, for every place of it, in one search.

:func:`nearest_other` answers, for each place, what :func:`geo.routing.travel.nearest_facility`
answers with that place as the demand point and all the others as facilities, but
with one search for the whole set instead of one per place: a compiled multi-source
Dijkstra that keeps the two nearest different sources of every node
(:mod:`geo.routing._peers`), so at each end of a place's segment the nearest source that
is not the place itself is known. The trips no node search sees are added as in
``nearest_facility``: along one shared segment, and the straight line at the access
speed (``direct``).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from geo._types import FloatArray, IntArray
from geo.network.graph import Network
from geo.routing import _peers
from geo.routing.travel import Snap, _check, _extra_trips, _oriented, _part, _seeds

__all__ = ["nearest_other"]



def nearest_other(
    net: Network,
    places: Snap,
    *,
    access_speed_kmh: float,
    direction: str = "from_facility",
    direct: bool = True,
) -> tuple[FloatArray, IntArray]:
    """Return seconds from (or to) the nearest other place, for every place, and which one.

    Parameters
    ----------
    net : Network
    places : Snap
        From :func:`geo.routing.travel.snap_points`.
    access_speed_kmh : float
        Speed of access legs and of direct off-network trips.
    direction : {"from_facility", "to_facility"}
        ``from_facility``: seconds from the other place to this one (an ambulance
        driving over); ``to_facility``: from this place to the other.
    direct : bool
        Also allow the straight-line trip at the access speed.

    Returns
    -------
    seconds : (n,) float array
        ``inf`` where no other place can be reached (or the set has one place).
    other : (n,) int array
        Index of the other place giving that time, -1 if none. Places at one position
        are each other's nearest at 0 s. Among equal times any one of them is named.
    """
    n = len(places)
    best, other = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    if n < 2:
        return best, other
    speed = _check(net, access_speed_kmh, places)
    o = _oriented(net, direction)
    _, node, secs = _seeds(net, o, places, speed)
    g = o.graph
    d1, l1, d2, l2 = _peers.two_nearest(g.indptr, g.indices, g.weights, node, secs,
                                        np.repeat(np.arange(n, dtype=np.int64), 2), np.inf)
    me = np.arange(n)
    seg, t, leg = places.seg, places.t, places.access_m / speed
    for end, part in ((net.seg_u[seg], _part(t, o.fw[seg])),
                      (net.seg_v[seg], _part(1.0 - t, o.bw[seg]))):
        d = np.where(l1[end] != me, d1[end], d2[end]) + part + leg
        lab = np.where(l1[end] != me, l1[end], l2[end])
        better = d < best
        best[better], other[better] = d[better], lab[better]
    r, c, s = _extra_trips(o, places, places, speed, np.inf, direct=False)
    if direct:
        dist, idx = cKDTree(places.xy).query(places.xy, k=2)
        first_other = np.where(idx[:, 0] != me, 0, 1)
        r = np.concatenate([r, idx[me, first_other].astype(np.int64)])
        c = np.concatenate([c, me.astype(np.int64)])
        s = np.concatenate([s, dist[me, first_other] / speed])
    keep = (r != c) & (s < best[c])
    r, c, s = r[keep], c[keep], s[keep]
    order = np.argsort(s)[::-1]  # the smallest last, so it wins per place
    best[c[order]], other[c[order]] = s[order], r[order]
    other[~np.isfinite(best)] = -1
    return best, other
