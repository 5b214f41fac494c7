"""Road closures and slowdowns on a network.

Which segments a road, a way id or an area names, and the network with them closed or slowed.

A closed segment keeps its place in the network's arrays (node and segment numbers do not
change) but may be travelled in neither direction (``inf`` seconds both ways), so the
searches never use it and no place joins it: :func:`geo.routing.travel.snap_points` joins
places only to segments passable in some direction, so a facility or demand point that
stood on a closed road joins the nearest open one again (re-snapping). A slowed segment
takes ``1 / factor`` times as long.

Roads are named through :attr:`Network.roads` (the source's lines or ways): by OSM way
id (``road_id``), by name or by ref (national and provincial road numbers such as G323
or S306; an OSM ``ref`` of several numbers, ``G323;S306``, carries each). Matching
ignores case and spaces. A name or ref that matches no road stops with the closest
names; one that matches several separate roads (groups of segments that do not touch,
e.g. two streets of the same name in two towns) stops and asks for way ids, an area or
``all``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components

from geo._types import FloatArray, IntArray
from geo.errors import ScenarioError
from geo.network.graph import Network
from geo.options import closest

__all__ = [
    "changed_network",
    "road_groups",
    "road_label",
    "segments_named",
    "segments_of_ways",
    "segments_touching",
]

BoolArray = npt.NDArray[np.bool_]


def _key(text: object) -> str:
    return "".join(str(text).split()).casefold()


def _roads(net: Network, how: str) -> tuple[pd.DataFrame, IntArray]:
    if net.roads is None or net.seg_road is None:
        raise ScenarioError(
            f"closing roads by {how} needs the road source's names and ids, which a network "
            "cache (.npz) or a graph read back does not hold: point [roads] path at the road "
            "line layer or OSM extract, or close roads by polygon")
    return net.roads, net.seg_road


def _on_roads(seg_road: IntArray, rows: BoolArray) -> BoolArray:
    return (seg_road >= 0) & rows[np.maximum(seg_road, 0)]


def segments_of_ways(net: Network, ids: list[int]) -> BoolArray:
    """Segments of the roads whose ``road_id`` (OSM way id) is one of ``ids``.

    An id that no road of the network carries stops with :class:`ScenarioError`.
    """
    roads, seg_road = _roads(net, "way id")
    have = roads["road_id"].to_numpy(np.int64)
    on_net = have[np.unique(seg_road[seg_road >= 0])]
    wanted = np.asarray(ids, dtype=np.int64)
    missing = [int(i) for i in wanted if i not in set(on_net.tolist())]
    if missing:
        raise ScenarioError(f"way_ids {missing} name no road of the network (ids of its "
                            f"{len(on_net)} roads include {on_net[:5].tolist()}): check the "
                            "ids against the road source (an OSM way id, or a line layer's "
                            "osm_id column)")
    return _on_roads(seg_road, np.isin(have, wanted))


def segments_named(net: Network, road: str) -> BoolArray:
    """Segments of the roads whose name, or one of whose refs (``G323;S306``).

    Is ``road`` (case and spaces ignored); no match stops with the closest names and refs.
    """
    roads, seg_road = _roads(net, "name or ref")
    want = _key(road)
    names = [_key(n) for n in roads["name"]]
    refs = [{_key(r) for r in str(x).split(";") if r.strip()} for x in roads["ref"]]
    hit = np.array([n == want or want in r for n, r in zip(names, refs, strict=True)],
                   dtype=bool)
    seg = _on_roads(seg_road, hit)
    if not seg.any():
        used = np.unique(seg_road[seg_road >= 0])
        words = sorted({str(x) for x in roads["name"].iloc[used] if str(x)} |
                       {r.strip() for x in roads["ref"].iloc[used] for r in str(x).split(";")
                        if r.strip()})
        raise ScenarioError(
            f"road = {road!r} matches no road of the network{closest(road, words)}"
            + (f": its names and refs include {', '.join(words[:12])}" if words else
               ": its road source has no name or ref columns; close roads by way_ids or "
               "polygon instead"))
    return seg


def road_groups(net: Network, seg: BoolArray) -> IntArray:
    """Per selected segment (``seg``), the number of its group.

    Segments that touch (share a node, through selected segments) are one group, one road on the
    map.
    """
    idx = np.flatnonzero(seg)
    if len(idx) == 0:
        return np.zeros(0, dtype=np.int64)
    u, v = net.seg_u[idx], net.seg_v[idx]
    m = sp.coo_matrix((np.ones(len(idx)), (u, v)), shape=(net.n_nodes, net.n_nodes))
    _, label = connected_components(m, directed=False)
    return np.unique(label[u], return_inverse=True)[1].astype(np.int64)


def road_label(net: Network, seg: BoolArray) -> str:
    """Return the names and refs of the roads of the segments ``seg``, most road first.

    ``"unnamed <class>"`` where they have none.
    """
    if net.roads is None or net.seg_road is None or not seg.any():
        classes = pd.Series(net.seg_class[seg]).value_counts()
        return "unnamed " + "/".join(map(str, classes.index[:2])) if len(classes) else ""
    rows = net.seg_road[seg]
    length = net.seg_length_m[seg]
    keep = rows >= 0
    frame = net.roads.iloc[rows[keep]].assign(_m=length[keep])
    label = [" ".join(x for x in (str(r), str(n)) if x) for r, n in
             zip(frame["ref"], frame["name"], strict=True)]
    frame = frame.assign(_label=label)
    named = frame[frame["_label"] != ""]
    if len(named) == 0:
        top = frame.groupby("highway")["_m"].sum().sort_values(ascending=False)
        return "unnamed " + "/".join(map(str, top.index[:2])) if len(top) else "connector"
    top = named.groupby("_label")["_m"].sum().sort_values(ascending=False)
    return " / ".join(map(str, top.index[:3]))


def segments_touching(net: Network, geom: Any) -> BoolArray:
    """Find the segments that a shape touches or crosses.

    The shape is shapely, in WGS84 lon/lat: a polygon, a line, a point's buffer.
    """
    tr = Transformer.from_crs(4326, net.crs, always_xy=True)
    shape = shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    lines = np.asarray(shapely.linestrings(np.stack([net.node_xy[net.seg_u],
                                                     net.node_xy[net.seg_v]], axis=1)),
                       dtype=object)
    tree = shapely.STRtree(lines)
    hit = tree.query(shape, predicate="intersects")
    out = np.zeros(len(net.seg_u), dtype=bool)
    out[np.asarray(hit, dtype=np.int64).ravel()] = True
    return out


def changed_network(net: Network, closed: BoolArray, factor: FloatArray | None = None
                    ) -> Network:
    """Return a copy of ``net`` with segments closed and slowed.

    The segments ``closed`` are passable in neither direction and every segment's seconds
    are divided by its speed ``factor`` (1 unchanged, 0.5 half speed); node and segment
    numbers are the same.
    """
    fw, bw = net.seg_fw_s.copy(), net.seg_bw_s.copy()
    if factor is not None:
        fw, bw = fw / factor, bw / factor
    fw[closed], bw[closed] = np.inf, np.inf
    return replace(net, seg_fw_s=fw, seg_bw_s=bw, _graphs={}, _kernels={})
