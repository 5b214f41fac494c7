"""Travel times on a :class:`~geo.network.Network`, with off-network access legs.

A place (facility or demand point) joins the network at the nearest point of the
nearest usable segment, by a straight *access leg* at ``access_speed_kmh``; from
there it runs along the segment to either end node (as far as one-way allows). Two
places may also be joined directly by a straight line at the access speed, which is
what an off-road trip between close neighbours is. Times to the nearest eligible
facility come from one multi-source Dijkstra (:func:`scipy.sparse.csgraph.dijkstra`
with ``min_only=True``) over the network plus one virtual node per facility.

Directions: ``from_facility`` (an ambulance drives out) searches the network as is;
``to_facility`` (a patient travels in) searches the reversed network. They differ
only where one-way roads exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.errors import NetworkError
from geo.network import Network, csr_from_edges

__all__ = ["Snap", "nearest_facility", "snap_points"]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DIRECTIONS = ("from_facility", "to_facility")


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


def snap_points(
    net: Network, xy: FloatArray, *, exclude_classes: tuple[str, ...] = ("motorway",)
) -> Snap:
    """Join points (metric ``xy``) to the nearest segment not of ``exclude_classes``.

    Motorways are excluded by default: nobody joins an expressway between
    interchanges, so a place next to one joins the nearest other road.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    ok = np.flatnonzero(~np.isin(net.seg_class, list(exclude_classes)))
    if len(ok) == 0:
        raise NetworkError(
            f"no road segment to join places to: every segment is of the excluded classes "
            f"{list(exclude_classes)}; change access.snap_exclude in the study file"
        )
    a, b = net.node_xy[net.seg_u[ok]], net.node_xy[net.seg_v[ok]]
    tree = shapely.STRtree(np.asarray(shapely.linestrings(np.stack([a, b], axis=1)), dtype=object))
    pts = shapely.points(xy)
    (pi, si), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    seg = np.empty(len(xy), dtype=np.int64)
    access = np.empty(len(xy))
    seg[pi], access[pi] = ok[si], dist
    pa, pb = net.node_xy[net.seg_u[seg]], net.node_xy[net.seg_v[seg]]
    ab = pb - pa
    denom = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12)
    t = np.clip(np.einsum("ij,ij->i", xy - pa, ab) / denom, 0.0, 1.0)
    return Snap(xy, seg, t, access)


def _oriented(net: Network, direction: str) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    """Graph and per-segment (u→v, v→u) seconds for searching out of the sources."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if direction == "from_facility":
        return net.csr(), net.seg_fw_s, net.seg_bw_s
    u = np.concatenate([net.seg_v, net.seg_u])  # reversed graph: edge v→u costs fw
    v = np.concatenate([net.seg_u, net.seg_v])
    w = np.concatenate([net.seg_fw_s, net.seg_bw_s])
    return csr_from_edges(u, v, w, net.n_nodes), net.seg_bw_s, net.seg_fw_s


def _source_edges(
    net: Network, snap: Snap, speed: float, fw: FloatArray, bw: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Edges from one virtual node per source to the ends of its segment."""
    n = net.n_nodes
    k = len(snap.seg)
    src = n + np.arange(k)
    leg = snap.access_m / speed
    to_v = leg + (1.0 - snap.t) * fw[snap.seg]
    to_u = leg + snap.t * bw[snap.seg]
    rows = np.concatenate([src, src])
    cols = np.concatenate([net.seg_v[snap.seg], net.seg_u[snap.seg]])
    return rows, cols, np.concatenate([to_v, to_u])


def _same_segment(
    facilities: Snap,
    demand: Snap,
    speed: float,
    fw: FloatArray,
    bw: FloatArray,
    best: FloatArray,
    nearest: IntArray,
) -> tuple[FloatArray, IntArray]:
    """Improve times of demand points that join the same segment as a facility.

    The node-based search only goes through segment ends; a facility and a point on
    one segment are also joined along it, without leaving it.
    """
    best, nearest = best.copy(), nearest.copy()
    on_seg = np.isin(demand.seg, facilities.seg)
    for i in np.flatnonzero(on_seg):
        for f in np.flatnonzero(facilities.seg == demand.seg[i]):
            dt = demand.t[i] - facilities.t[f]
            along = dt * fw[demand.seg[i]] if dt >= 0 else -dt * bw[demand.seg[i]]
            time = (facilities.access_m[f] + demand.access_m[i]) / speed + along
            if time < best[i]:
                best[i], nearest[i] = time, f
    return best, nearest


def nearest_facility(
    net: Network,
    facilities: Snap,
    demand: Snap,
    *,
    access_speed_kmh: float,
    direction: str = "from_facility",
) -> tuple[FloatArray, IntArray]:
    """Seconds from (or to) the nearest facility for every demand point.

    Parameters
    ----------
    net : Network
    facilities, demand : Snap
        From :func:`snap_points`.
    access_speed_kmh : float
        Speed of access legs and of direct off-network trips.
    direction : {"from_facility", "to_facility"}

    Returns
    -------
    seconds : (n_demand,) float array
        ``inf`` only if no facility can reach the point at all.
    nearest : (n_demand,) int array
        Index (into ``facilities``) of the facility giving that time, -1 if none.
    """
    if len(facilities.seg) == 0:
        raise ValueError("no facilities given: a standard needs at least one eligible facility")
    if not access_speed_kmh > 0:
        raise ValueError(f"access speed must be positive km/h, got {access_speed_kmh}")
    speed = access_speed_kmh / 3.6
    graph, fw, bw = _oriented(net, direction)
    rows, cols, w = _source_edges(net, facilities, speed, fw, bw)
    n, k = net.n_nodes, len(facilities.seg)
    g = graph.tocoo()
    full = csr_from_edges(
        np.concatenate([g.row.astype(np.int64), rows]),
        np.concatenate([g.col.astype(np.int64), cols]),
        np.concatenate([g.data, w]),
        n + k,
    )
    dist, _, sources = dijkstra(
        full, directed=True, indices=np.arange(n, n + k), min_only=True, return_predecessors=True
    )
    dist_n, src_n = dist[:n], np.asarray(sources[:n], dtype=np.int64) - n
    seg, t = demand.seg, demand.t
    leg = demand.access_m / speed
    via_u = dist_n[net.seg_u[seg]] + t * fw[seg] + leg
    via_v = dist_n[net.seg_v[seg]] + (1.0 - t) * bw[seg] + leg
    best = np.minimum(via_u, via_v)
    nearest = np.where(via_u <= via_v, src_n[net.seg_u[seg]], src_n[net.seg_v[seg]])
    best, nearest = _same_segment(facilities, demand, speed, fw, bw, best, nearest)
    direct_m, direct_i = cKDTree(facilities.xy).query(demand.xy)
    direct = np.asarray(direct_m) / speed
    use_direct = direct < best
    best = np.where(use_direct, direct, best)
    nearest = np.where(use_direct, np.asarray(direct_i, dtype=np.int64), nearest)
    nearest = np.where(np.isfinite(best), nearest, -1)
    return best, nearest.astype(np.int64)
