"""Isochrone polygons per facility and threshold that follow the roads actually reached.

The area within ``T`` minutes of a facility (or from which it is reached in ``T``, for
``to_facility``) under the same model as the travel times: travel along the network,
then a straight leg at the access speed. For every segment piece reachable within ``T``
(from a reached node, as far along the segment as the remaining time allows, one-way
respected), the places that can be reached by leaving the road anywhere on the piece
form the convex hull of two discs: at the piece's start and end, each of radius
``access speed x time left there`` (the union of discs along a piece whose radius falls
linearly is exactly that hull). The facility's own leg and its straight-line trips add
a disc around the facility. The polygon is the union of all of these, not a convex hull
of reached points.

It is an *approximation* of the demand-point times in one respect, stated in the output
(``method`` column): a demand point joins its nearest road, while the polygon lets a
place leave from any road piece reached, so it can include a few places whose own
nearest road is slower. ``max_leg_m`` caps the leg (e.g. 1,000 m on a full OSM extract,
where nobody drives 10 km cross-country).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from geo._types import FloatArray
from geo.errors import QueryError
from geo.network.graph import Network
from geo.routing.travel import Snap, _part, node_reach

__all__ = ["METHOD", "isochrones"]


METHOD = (
    "network isochrone: road pieces reached within the time plus a straight leg at the "
    "access speed from anywhere on them (approximation: places may join any reached road, "
    "not only their nearest)"
)


def _pieces(
    xy_a: FloatArray, xy_b: FloatArray, time_a: FloatArray, secs_ab: FloatArray, limit: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Cut the pieces from point a (reached at ``time_a``) towards b (``secs_ab`` for the way).

    Return the start point, end point and the time left at each.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((limit - time_a) / secs_ab, 0.0, 1.0)
    frac = np.where(np.isfinite(secs_ab), frac, 0.0)
    end = xy_a + frac[:, None] * (xy_b - xy_a)
    left_a = limit - time_a
    left_b = np.maximum(left_a - _part(frac, secs_ab), 0.0)
    return xy_a, end, left_a, left_b


def _hulls(
    p1: FloatArray, p2: FloatArray, r1: FloatArray, r2: FloatArray
) -> npt.NDArray[np.object_]:
    # a disc of radius 0 (no time left) would buffer to nothing: keep it as 1 cm
    d1 = shapely.buffer(shapely.points(p1), np.maximum(r1, 0.01), quad_segs=4)
    d2 = shapely.buffer(shapely.points(p2), np.maximum(r2, 0.01), quad_segs=4)
    return np.asarray(shapely.convex_hull(shapely.union(d1, d2)), dtype=object)


def _one(
    net: Network, snap: Snap, k: int, nodes: npt.NDArray[np.int64], secs: FloatArray,
    limit: float, speed: float, max_leg: float, fw: FloatArray, bw: FloatArray,
) -> shapely.Geometry | None:
    t_node = np.full(net.n_nodes, np.inf)
    t_node[nodes] = secs
    parts: list[npt.NDArray[np.object_]] = []
    su, sv = net.seg_u, net.seg_v
    for a, b, ta, cost in ((su, sv, t_node[su], fw), (sv, su, t_node[sv], bw)):
        ok = ta <= limit
        if ok.any():
            p1, p2, r1, r2 = _pieces(net.node_xy[a[ok]], net.node_xy[b[ok]], ta[ok], cost[ok],
                                     limit)
            parts.append(_hulls(p1, p2, np.minimum(r1 * speed, max_leg),
                                np.minimum(r2 * speed, max_leg)))
    # the facility's own leg, then its segment from where the leg meets it, both ways
    s, t, leg = int(snap.seg[k]), float(snap.t[k]), float(snap.access_m[k]) / speed
    if leg <= limit:
        at = net.node_xy[su[s]] + t * (net.node_xy[sv[s]] - net.node_xy[su[s]])
        parts.append(_hulls(snap.xy[k][None], at[None], np.array([min(limit * speed, max_leg)]),
                            np.array([min((limit - leg) * speed, max_leg)])))
        for end, cost in ((net.node_xy[sv[s]], (1 - t) * fw[s]), (net.node_xy[su[s]], t * bw[s])):
            p1, p2, r1, r2 = _pieces(at[None], end[None], np.array([leg]), np.array([cost]), limit)
            parts.append(_hulls(p1, p2, np.minimum(r1 * speed, max_leg),
                                np.minimum(r2 * speed, max_leg)))
    parts.append(np.asarray([shapely.buffer(shapely.Point(snap.xy[k]),
                                            min(limit * speed, max_leg), quad_segs=8)],
                            dtype=object))
    geoms = np.concatenate(parts)
    geoms = geoms[~shapely.is_empty(geoms)]
    return shapely.union_all(geoms) if len(geoms) else None


def isochrones(
    net: Network,
    facilities: Snap,
    minutes: Sequence[float],
    *,
    access_speed_kmh: float,
    direction: str = "from_facility",
    max_leg_m: float | None = None,
    simplify_m: float = 10.0,
    ids: Sequence[object] | None = None,
) -> gpd.GeoDataFrame:
    """Return one polygon per facility and threshold (see module docs), in WGS84.

    Parameters
    ----------
    net, facilities
        The network and the facilities snapped to it (:func:`geo.routing.travel.snap_points`).
    minutes : sequence of float
        Thresholds, e.g. ``[15, 30, 60]``.
    access_speed_kmh : float
        Speed of the straight legs, as for the travel times.
    direction : {"from_facility", "to_facility"}
    max_leg_m : float, optional
        Longest straight leg drawn; no cap by default (the travel-time model has none).
    simplify_m : float
        Tolerance of the final simplification (metres).
    ids : sequence, optional
        Facility ids for the ``facility`` column (positions by default).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility``, ``minutes``, ``method``, ``geometry`` (WGS84).
    """
    if not minutes:
        raise QueryError("give at least one threshold in minutes")
    if any(not m > 0 for m in minutes):
        raise QueryError(f"thresholds must be positive minutes, got {list(minutes)}")
    speed = access_speed_kmh / 3.6
    cap = np.inf if max_leg_m is None else float(max_leg_m)
    reach = node_reach(net, facilities, access_speed_kmh=access_speed_kmh,
                       max_seconds=max(minutes) * 60.0, direction=direction)
    fw, bw = (net.seg_fw_s, net.seg_bw_s) if direction == "from_facility" else (
        net.seg_bw_s, net.seg_fw_s)
    names = list(ids) if ids is not None else list(range(len(facilities)))
    rows = []
    for k in range(len(facilities)):
        lo, hi = reach.indptr[k], reach.indptr[k + 1]
        nodes, secs = reach.indices[lo:hi].astype(np.int64), reach.data[lo:hi]
        for m in sorted(minutes):
            geom = _one(net, facilities, k, nodes, secs, m * 60.0, speed, cap, fw, bw)
            if geom is not None and simplify_m > 0:
                geom = shapely.simplify(geom, simplify_m)
            rows.append({"facility": names[k], "minutes": float(m), "method": METHOD,
                         "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=net.crs).to_crs(4326)
