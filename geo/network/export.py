"""A network as a road line layer: one line per segment, which studies and scenarios read.

A network cache (``.npz``) cannot take a scenario's new roads (``add_road`` nodes new
lines into a line layer). :func:`network_lines` turns a :class:`~geo.network.graph.Network`
back into lines a line layer is made of (from the per-direction edges of
:meth:`~geo.network.graph.Network.to_gdf`): ``highway`` (the segment's class; gap-closing
connectors, which have no OSM class, as ``unclassified`` with ``geo_class`` =
``connector``), ``oneway`` (``yes`` for a one-way segment, drawn in its direction; a
segment with different speeds each way as two one-way lines) and ``maxspeed`` where the
segment's speed is not its class's default (an OSM maxspeed, or a speed table the cache
was built with), so that a network rebuilt from the layer with the default table drives
every segment at the cache's speed, and a study's ``[roads] speeds_kmh`` still changes the
lines at their class's speed. The lines meet only at their shared ends: a study routes on
them as on the cache with ``[roads] node_crossings = false`` and ``snap_tolerance_m = 0``
(:data:`SAME_JUNCTIONS`). Nodes that share a position without being a junction (a road
over another) are drawn :data:`APART_M` apart, so that reading the layer does not join
them (``attrs["moved_nodes"]`` counts them).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import cKDTree

from geo import settings
from geo._types import FloatArray
from geo.network.graph import Network

__all__ = ["APART_M", "SAME_JUNCTIONS", "network_lines"]

#: the [roads] options under which a network rebuilt from :func:`network_lines` has the
#: cache's junctions (no new ones where lines cross or nearly meet)
SAME_JUNCTIONS = {"node_crossings": False, "snap_tolerance_m": 0.0}


def network_lines(net: Network) -> gpd.GeoDataFrame:
    """Write the segments of ``net`` as WGS84 lines a line layer is made of.

    Parameters
    ----------
    net : Network
        A network, as a cache holds it.

    Returns
    -------
    geopandas.GeoDataFrame
        One line per segment (see module docs), from the per-direction edges of
        :meth:`~geo.network.graph.Network.to_gdf`, with ``length_m`` and ``minutes`` (the
        time the searches use) for reading in a GIS; ``attrs["moved_nodes"]`` counts the
        nodes drawn apart.
    """
    edges = net.to_gdf(crs=None)[1].reset_index()
    edges = edges[edges["u"] != edges["v"]]  # a connector from a node to itself: no route
    fw, bw = net.seg_fw_s, net.seg_bw_s
    two_way = np.isfinite(fw) & np.isfinite(bw) & (fw == bw)  # at one speed: one line
    same = two_way[edges["segment"].to_numpy()]
    keep = edges["forward"].to_numpy() | ~same
    edges, same = edges[keep], same[keep]
    a, b = edges["u"].to_numpy(), edges["v"].to_numpy()
    secs = edges["travel_time"].to_numpy()
    length = edges["length"].to_numpy()
    kmh = length / np.maximum(secs, 1e-12) * 3.6
    classes = edges["highway"].to_numpy(dtype=object)
    connector = classes == "connector"
    highway = np.where(connector, "unclassified", classes).astype(object)
    default = settings.default_speeds(net.mode)
    class_kmh = np.array([default.get(str(c), np.nan) for c in highway])
    own = ~np.isclose(kmh, class_kmh, rtol=1e-9, atol=0.0) | connector
    xy = _apart(net.node_xy)
    lines = shapely.linestrings(np.stack([xy[a], xy[b]], axis=1))
    out = gpd.GeoDataFrame({
        "highway": highway,
        "oneway": np.where(same, "no", "yes"),
        "maxspeed": np.where(own & (net.mode == "drive"), np.round(kmh, 9), np.nan),
        "geo_class": np.where(connector, "connector", ""),
        "length_m": np.round(length, 3),
        "minutes": secs / 60.0,
    }, geometry=gpd.GeoSeries(lines, crs=net.crs), crs=net.crs)
    out = out.to_crs(4326)
    out.attrs["moved_nodes"] = int((xy != net.node_xy).any(axis=1).sum())
    return out


#: how far apart nodes that share a position are drawn (a line layer joins line ends
#: that round to one centimetre: :func:`geo.network.lines.build_network`)
APART_M = 0.05


_NEAR_M = 0.02  # closer than this, two line ends may read as one node (1 cm rounding)


def _apart(node_xy: FloatArray) -> FloatArray:
    """Move nodes closer than 2 cm to another apart.

    Nodes closer than 2 cm to another (a road passing over another, each with a vertex there
    but no junction) are moved :data:`APART_M` (or a multiple) to a
    place at least 2 cm from every other node, so that lines ending at them do not become
    one junction when the layer is read. The first node of each such cluster stays.
    """
    tree = cKDTree(node_xy)
    pairs = tree.query_pairs(_NEAR_M, output_type="ndarray")
    out = node_xy.copy()
    if len(pairs) == 0:
        return out
    moved: list[FloatArray] = []
    angles = np.radians(np.arange(0, 360, 45))
    for i in np.unique(pairs.max(axis=1)):  # every node after the first of its pair
        for step in range(1, 11):
            spots = node_xy[i] + step * APART_M * np.column_stack([np.cos(angles),
                                                                   np.sin(angles)])
            free = tree.query(spots)[0] >= _NEAR_M
            if moved:
                free &= cKDTree(np.array(moved)).query(spots)[0] >= _NEAR_M
            if free.any():
                out[i] = spots[np.flatnonzero(free)[0]]
                moved.append(out[i])
                break
        else:
            raise ValueError(f"no free place within {10 * APART_M:g} m of node {i}")
    return out
