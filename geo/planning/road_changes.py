"""A scenario's ``close_road`` and ``slow_road`` actions applied to a study's networks.

Each action selects segments (:mod:`geo.network.closures`: by way id, by name or ref, by
polygon, by a line drawn: every segment it crosses or touches; or a segment picked, ``lon``
+ ``lat``: the stretch of road nearest the point between its junctions, a piece of
:func:`geo.routing.criticality.road_pieces`, found on the network as the study built it) on
every network of the study; closed segments may be travelled in no
direction, slowed ones take ``1 / factor`` as long. Node and segment numbers stay, so the
searches afterwards are the study's own, exactly (:func:`geo.routing.travel.nearest_facility`
on the changed network). Places that stood on a closed road join the nearest open road
again; :func:`resnap_notes` says how many, and which facilities end up cut off from most
of the network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from geo import crs as gcrs
from geo.errors import ScenarioError
from geo.network.closures import (
    changed_network,
    road_groups,
    road_label,
    segments_named,
    segments_of_ways,
    segments_touching,
)
from geo.network.graph import Network
from geo.planning.scenario import action_position, road_change_label
from geo.routing.criticality import road_pieces
from geo.routing.travel import Snap, snap_points

__all__ = ["ChangedRoads", "change_roads", "cut_off_nodes", "resnap_notes", "selected_segments",
           "stretch_nearest"]

BoolArray = npt.NDArray[np.bool_]

#: a close_road/slow_road by ``lon`` + ``lat`` picks a road at most this far from the point
PICK_M = 1000.0


@dataclass
class ChangedRoads:
    """The networks after the road actions, the closed segments per mode.

    And per action what it did (for the change table).
    """

    networks: dict[str, Network]
    closed: dict[str, BoolArray]
    details: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _wgs84(a: Mapping[str, Any], key: str) -> npt.NDArray[np.float64]:
    """Return the action's ``key`` points ([[lon, lat], ...] in its ``crs``) in WGS84."""
    xy = np.asarray(a[key], dtype=float).reshape(-1, 2)
    crs = str(a.get("crs", "wgs84")).lower()
    if crs not in ("wgs84", "gcj02", "bd09"):
        raise ScenarioError(f"{a['action']}: crs must be wgs84, gcj02 or bd09, got {crs!r}")
    if crs != "wgs84":
        x, y = gcrs.to_wgs84(xy[:, 0], xy[:, 1], crs)
        xy = np.column_stack([x, y])
    return xy


def _polygon(a: Mapping[str, Any]) -> shapely.Polygon:
    poly = shapely.Polygon(_wgs84(a, "polygon"))
    if not poly.is_valid or poly.area == 0:
        raise ScenarioError(f"{a['action']} polygon {a['polygon'][:4]!r}...: the corners do not "
                            "make a valid polygon (they cross, or lie on a line): list them "
                            "in order around the area")
    return poly


def selected_segments(net: Network, a: Mapping[str, Any]) -> BoolArray:
    """Return the segments of ``net`` that a close_road/slow_road action names.

    A name or ref matching several separate roads stops unless the action says ``all = true``.
    """
    if "way_ids" in a:
        return segments_of_ways(net, list(a["way_ids"]))
    if "polygon" in a:
        return segments_touching(net, _polygon(a))
    if "geometry" in a:  # a hazard layer's shapes (WGS84), read by geo.planning.hazard
        return segments_touching(net, a["geometry"])
    if "line" in a:
        return segments_touching(net, shapely.LineString(_wgs84(a, "line")))
    if "lon" in a:
        return stretch_nearest(net, *action_position(a))
    seg = segments_named(net, str(a["road"]))
    groups = road_groups(net, seg)
    n = int(groups.max()) + 1 if len(groups) else 0
    if n > 1 and not a.get("all", False):
        idx = np.flatnonzero(seg)
        km = np.bincount(groups, weights=net.seg_length_m[idx], minlength=n) / 1000.0
        lonlat = net.to_gdf()[0].geometry  # WGS84 nodes
        where = []
        for g in np.argsort(-km)[:5]:
            p = lonlat.iloc[int(net.seg_u[idx[groups == g][0]])]
            where.append(f"{km[g]:.1f} km near lon {p.x:.4f}, lat {p.y:.4f}")
        raise ScenarioError(
            f"road = {a['road']!r} matches {n} separate roads ({'; '.join(where)}): name one "
            "by way_ids or polygon, or add all = true to the action to close every one")
    return seg


def stretch_nearest(net: Network, lon: float, lat: float) -> BoolArray:
    """Select the stretch of road nearest WGS84 ``lon``, ``lat``, between its junctions.

    The nearest segment passable in some direction (of any class; among equally near ones the
    first), and the segments of its road piece (:func:`geo.routing.criticality.road_pieces`).
    A point more than :data:`PICK_M` from every road stops (a typo, or another county).
    """
    x, y = Transformer.from_crs(4326, net.crs, always_xy=True).transform(lon, lat)
    # where a place there would join, were no class excluded: the first of equally near ones
    snap = snap_points(net, np.array([[x, y]], dtype=float), exclude_classes=())
    if not snap.access_m[0] <= PICK_M:
        raise ScenarioError(
            f"lon = {lon}, lat = {lat} lies {float(snap.access_m[0]):,.0f} m from the nearest "
            f"road of the network (more than {PICK_M:,.0f} m): give a point on the road to "
            "close (WGS84 lon, lat, or say its crs), or name the road by way_ids, road or "
            "polygon")
    seg = int(snap.seg[0])
    pieces = road_pieces(net)
    return np.asarray(pieces.seg_piece == pieces.seg_piece[seg], dtype=bool)


def change_roads(actions: Sequence[Mapping[str, Any]], networks: Mapping[str, Network]
                 ) -> ChangedRoads:
    """Apply every close_road and slow_road of ``actions`` to the networks, in order.

    A slowdown of a closed road leaves it closed; two slowdowns multiply.
    """
    closed = {m: np.zeros(len(n.seg_u), dtype=bool) for m, n in networks.items()}
    factor = {m: np.ones(len(n.seg_u)) for m, n in networks.items()}
    details = []
    for a in actions:
        chosen = {m: selected_segments(n, a) for m, n in networks.items()}
        if not any(c.any() for c in chosen.values()):
            raise ScenarioError(f"{a['action']} {road_change_label(a)} touches no road of the "
                                "network: check the polygon's corners (lon, lat) and crs")
        mode = "drive" if "drive" in chosen and chosen["drive"].any() else \
            next(m for m, c in chosen.items() if c.any())
        net, seg = networks[mode], chosen[mode]
        km = float(net.seg_length_m[seg].sum() / 1000.0)
        for m, c in chosen.items():
            if a["action"] == "close_road":
                closed[m] |= c
            else:
                factor[m][c] *= float(a["factor"])
        verb = "closed" if a["action"] == "close_road" else f"speed x {float(a['factor']):g}"
        details.append(f"{verb}: {road_label(net, seg)}, {km:,.1f} km ({mode})")
    out = {m: changed_network(n, closed[m], factor[m]) for m, n in networks.items()}
    return ChangedRoads(out, closed, details)


def cut_off_nodes(net: Network) -> BoolArray:
    """Find the nodes outside the largest strongly connected part of ``net``.

    E.g. a valley that closures separate from the rest: places joined there reach only each
    other.
    """
    _, label = connected_components(net.csr(), directed=True, connection="strong")
    used = np.bincount(label[net.seg_u[np.isfinite(net.seg_fw_s) | np.isfinite(net.seg_bw_s)]],
                       minlength=int(label.max()) + 1)
    return label != int(np.argmax(used))


def resnap_notes(net_after: Network, closed: BoolArray, what: str,
                 before: Snap, after: Snap, names: Sequence[str],
                 people: Sequence[float] | None = None) -> list[str]:
    """Lines for the outputs.

    The places (``what``: facilities or demand points, with their ``names``; ``people`` per demand
    point) that stood on closed segments and now join another road, and those joined to a part of
    the network the closures cut off.
    """
    out = []
    moved = closed[before.seg]
    if moved.any():
        far = after.access_m[moved] - before.access_m[moved]
        head = f"{int(moved.sum())} {what}"
        if people is not None:
            head += f" ({float(np.asarray(people)[moved].sum()):,.0f} people)"
        listed = ""
        if people is None:
            listed = ": " + ", ".join(str(names[i]) for i in np.flatnonzero(moved)[:8])
        out.append(f"{head} stood on a closed road and join the nearest open road instead "
                   f"(access leg longer by {float(np.median(far)):,.0f} m at the median){listed}")
    cut = cut_off_nodes(net_after)
    on_cut = cut[net_after.seg_u[after.seg]] & cut[net_after.seg_v[after.seg]]
    if on_cut.any() and people is None:
        out.append(f"{int(on_cut.sum())} {what} are cut off from most of the road network by "
                   "the closures and serve only the places on their side: " +
                   ", ".join(str(names[i]) for i in np.flatnonzero(on_cut)[:8]))
    elif on_cut.any():
        out.append(f"{int(on_cut.sum())} {what} "
                   f"({float(np.asarray(people)[on_cut].sum()):,.0f} people) are on roads the "
                   "closures cut off from most of the network")
    return out
