"""Road line layers to a :class:`~geo.network.graph.Network`: noding, speeds, one-way.

Noding rules (:func:`build_network`), chosen for simplified backbone layers where
endpoints miss each other by tens of metres:

1. Every vertex of every line is a node. Vertices with identical coordinates are one
   node, except interior vertices of bridges and tunnels (``brunnel``), which never
   join another line: a bridge crosses the road below it, it does not meet it.
2. A *dangling* endpoint (one neighbouring node only) is joined by a connector edge to
   every other dangling endpoint within ``snap_tolerance_m``, and to the nearest point of
   another line within the tolerance (that line is split there), never to the interior
   of a bridge or tunnel.
3. Lines that cross at grade are joined at the crossing (``node_crossings``), unless
   either is a bridge or tunnel.
4. Lines under construction are left out unless asked for; one-way lines are honoured
   for driving; the strongly connected component with the most road length is kept and
   the rest is reported in :attr:`Network.report`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from geo import settings
from geo._types import FloatArray, IntArray
from geo.crs import utm_crs_for
from geo.errors import Arg, NetworkError
from geo.network.graph import Network, NetworkReport, keep_largest_component
from geo.network.rules import is_other_oneway, maxspeeds, oneway_value

__all__ = ["build_network"]


_TRUE = {"true", "yes", "1", "t", "y"}


# --------------------------------------------------------------------------- speeds


def _truthy(series: pd.Series) -> npt.NDArray[np.bool_]:
    return series.astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()


def _line_speeds(
    roads: gpd.GeoDataFrame, mode: str, speeds: dict[str, float], report: NetworkReport
) -> FloatArray:
    """Speed (km/h) per line; NaN for lines this mode cannot use."""
    hw = roads["highway"].astype(str).str.strip().to_numpy()
    kmh = np.array([speeds.get(h, np.nan) for h in hw], dtype=float)
    if mode == "drive" and "maxspeed" in roads.columns:
        # unused values counted over the lines of classes this mode drives on (the others
        # are left out)
        ms, report.maxspeed_ignored = maxspeeds(list(roads["maxspeed"]),
                                                counted=np.isfinite(kmh))
        use = np.isfinite(ms) & np.isfinite(kmh)
        kmh[use] = ms[use]
        report.maxspeed_used = int(use.sum())
    return kmh


# --------------------------------------------------------------------------- noding


def _vertex_keys(
    coords: list[FloatArray], brunnel: npt.NDArray[np.bool_]
) -> tuple[IntArray, FloatArray, IntArray, npt.NDArray[np.bool_]]:
    """Node id of every vertex; identical coordinates share one unless inside a brunnel."""
    n_per = np.array([len(c) for c in coords])
    line_of = np.repeat(np.arange(len(coords)), n_per)
    pos = np.concatenate([np.arange(k) for k in n_per])
    is_end = (pos == 0) | (pos == np.repeat(n_per, n_per) - 1)
    xy = np.concatenate(coords)
    rounded = np.round(xy, 2)
    private = brunnel[line_of] & ~is_end
    keys = pd.DataFrame({"x": rounded[:, 0], "y": rounded[:, 1]})
    keys.loc[private, "x"] = np.nan  # made unique below
    codes = keys.groupby(["x", "y"], sort=False, dropna=False).ngroup().to_numpy()
    codes = codes.astype(np.int64)
    if private.any():
        codes[private] = codes.max() + 1 + np.arange(int(private.sum()))
    _, node = np.unique(codes, return_inverse=True)
    node_xy = np.zeros((int(node.max()) + 1, 2))
    node_xy[node] = xy
    return node.astype(np.int64), node_xy, line_of.astype(np.int64), is_end


def _connectors(
    node_xy: FloatArray,
    seg_u: IntArray,
    seg_v: IntArray,
    seg_line: IntArray,
    seg_brunnel: npt.NDArray[np.bool_],
    end_nodes: IntArray,
    end_line: IntArray,
    tol: float,
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, float, int]]]:
    """Find gap-closing connectors for dangling endpoints.

    Every dangling end is joined to each other dangling end within ``tol`` and to the
    nearest point of another line within ``tol`` (unless that is one of the ends it is
    already joined to). Returns ``(endpoint_links, line_links)``: ``(a, b, line)`` joins
    two dangling nodes; ``(a, seg, t, line)`` joins node ``a`` to the point at fraction
    ``t`` of segment ``seg``.
    """
    # degree = distinct neighbours: overlapping duplicate lines (tile overlaps) count once
    pairs = np.unique(np.stack([np.concatenate([seg_u, seg_v]),
                                np.concatenate([seg_v, seg_u])], axis=1), axis=0)
    degree = np.bincount(pairs[:, 0], minlength=len(node_xy))
    dangling_mask = degree[end_nodes] == 1
    d_nodes, d_lines = end_nodes[dangling_mask], end_line[dangling_mask]
    links: list[tuple[int, int, int]] = []
    linked_to: dict[int, set[int]] = {int(n): set() for n in d_nodes}
    if len(d_nodes) > 1:
        tree = cKDTree(node_xy[d_nodes])
        for i, j in sorted(tree.query_pairs(tol)):
            if d_lines[i] != d_lines[j]:
                a, b = int(d_nodes[i]), int(d_nodes[j])
                links.append((a, b, int(d_lines[i])))
                linked_to[a].add(b)
                linked_to[b].add(a)
    line_links: list[tuple[int, int, float, int]] = []
    segs = np.asarray(
        shapely.linestrings(np.stack([node_xy[seg_u], node_xy[seg_v]], axis=1)), dtype=object
    )
    ok = ~seg_brunnel
    seg_idx = np.flatnonzero(ok)
    tree_s = shapely.STRtree(segs[seg_idx])
    pts = shapely.points(node_xy[d_nodes])
    pi, si = tree_s.query(pts, predicate="dwithin", distance=tol)
    si = seg_idx[si]
    other = seg_line[si] != d_lines[pi]
    pi, si = pi[other], si[other]
    dist = shapely.distance(pts[pi], segs[si])
    order = np.lexsort((dist, pi))
    first = np.ones(len(order), dtype=bool)
    first[1:] = pi[order][1:] != pi[order][:-1]
    for p, seg, d in zip(pi[order][first], si[order][first], dist[order][first], strict=True):
        k = int(p)
        a = int(d_nodes[k])
        if d <= 0.0 or int(seg_u[seg]) in linked_to[a] or int(seg_v[seg]) in linked_to[a]:
            continue  # touching already, or joined to that line's end by an endpoint link
        t = _frac(node_xy, int(seg_u[seg]), int(seg_v[seg]), node_xy[a])
        line_links.append((a, int(seg), t, int(d_lines[k])))
    return links, line_links


def _frac(node_xy: FloatArray, u: int, v: int, p: FloatArray) -> float:
    a, b = node_xy[u], node_xy[v]
    ab = b - a
    return float(np.clip(np.dot(p - a, ab) / max(float(np.dot(ab, ab)), 1e-12), 0.0, 1.0))


def _crossings(
    node_xy: FloatArray, seg: dict[str, np.ndarray], no_junction: npt.NDArray[np.bool_]
) -> list[tuple[int, int, FloatArray]]:
    """Pairs of segments of different lines that cross at grade: ``(i, j, point)``.

    Segments of bridges, tunnels and classes in ``no_junction`` never form a crossing
    junction.
    """
    ok = np.flatnonzero(~seg["brunnel"] & ~no_junction)
    if len(ok) < 2:
        return []
    lines = np.asarray(
        shapely.linestrings(np.stack([node_xy[seg["u"][ok]], node_xy[seg["v"][ok]]], axis=1)),
        dtype=object,
    )
    a, b = shapely.STRtree(lines).query(lines, predicate="crosses")
    keep = a < b
    a, b = ok[a[keep]], ok[b[keep]]
    out: list[tuple[int, int, FloatArray]] = []
    for i, j in zip(a, b, strict=True):
        if seg["line"][i] == seg["line"][j]:
            continue
        ends = {seg["u"][i], seg["v"][i]} & {seg["u"][j], seg["v"][j]}
        if ends:
            continue
        li = shapely.linestrings(node_xy[[seg["u"][i], seg["v"][i]]])
        lj = shapely.linestrings(node_xy[[seg["u"][j], seg["v"][j]]])
        pt = shapely.intersection(li, lj)
        if int(shapely.get_type_id(pt)) == 0:  # a single Point
            out.append((int(i), int(j), np.asarray(shapely.get_coordinates(pt))[0]))
    return out


def _split_segments(
    node_xy: FloatArray,
    seg: dict[str, np.ndarray],
    line_links: list[tuple[int, int, float, int]],
    crossings: list[tuple[int, int, FloatArray]],
) -> tuple[FloatArray, dict[str, np.ndarray], list[tuple[int, int, int]]]:
    """Insert nodes at line-link points and crossings, splitting their segments.

    Returns the new node coordinates, the new segments, and the connector links
    ``(dangling node, new node, line)`` for the line links.
    """
    new_xy: list[FloatArray] = []
    splits: dict[int, list[tuple[float, int]]] = {}
    links: list[tuple[int, int, int]] = []
    nxt = len(node_xy)
    for a, s, t, line in line_links:
        p = node_xy[seg["u"][s]] + t * (node_xy[seg["v"][s]] - node_xy[seg["u"][s]])
        new_xy.append(p)
        splits.setdefault(s, []).append((t, nxt))
        links.append((a, nxt, line))
        nxt += 1
    for i, j, p in crossings:
        new_xy.append(p)
        for s in (i, j):
            splits.setdefault(s, []).append((_frac(node_xy, seg["u"][s], seg["v"][s], p), nxt))
        nxt += 1
    if not splits:
        return node_xy, seg, links
    rows: dict[str, list[Any]] = {k: [] for k in seg}
    drop = np.zeros(len(seg["u"]), dtype=bool)
    for s, items in splits.items():
        drop[s] = True
        items.sort()
        chain = [int(seg["u"][s])] + [n for _, n in items] + [int(seg["v"][s])]
        fracs = [0.0] + [t for t, _ in items] + [1.0]
        for k in range(len(chain) - 1):
            share = fracs[k + 1] - fracs[k]
            for key in seg:
                val = seg[key][s]
                rows[key].append(val * share if key in ("fw_s", "bw_s") else val)
            rows["u"][-1], rows["v"][-1] = chain[k], chain[k + 1]
    out = {k: np.concatenate([seg[k][~drop], np.asarray(rows[k], dtype=seg[k].dtype)])
           for k in seg}
    keep = out["u"] != out["v"]
    out = {k: v[keep] for k, v in out.items()}
    return np.vstack([node_xy, np.asarray(new_xy)]), out, links


# --------------------------------------------------------------------------- building


def _check_roads(roads: gpd.GeoDataFrame) -> None:
    if roads is None or len(roads) == 0:
        raise NetworkError("the road layer is empty: give a road file with line features")
    if "highway" not in roads.columns:
        raise NetworkError(
            "the road layer has no 'highway' column (road class): name the column of road "
            "classes with ", Arg("RoadOptions", "class_col"), " (OSM classes, or 高速公路, 国道, "
            f"省道, 县道, 乡道, 村道, ...: geo.network.road_classes); columns are "
            f"{list(roads.columns)}")
    if roads.crs is None:
        raise NetworkError("the road layer has no coordinate system: say what it is with ",
                           Arg("RoadOptions", "crs"), " (e.g. 'wgs84' or 'EPSG:4525')")
    bad = ~roads.geometry.geom_type.isin(["LineString"])
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} road features are not LineStrings "
            f"({sorted(set(roads.geometry.geom_type[bad]))}): explode MultiLineStrings "
            "(geo.readers.read_roads does) and drop non-line features"
        )


def _usable_lines(
    roads: gpd.GeoDataFrame,
    mode: str,
    speeds: dict[str, float],
    include_construction: bool,
    unknown_classes: str,
    report: NetworkReport,
) -> tuple[gpd.GeoDataFrame, FloatArray]:
    """Lines this mode can use, with their speeds (km/h)."""
    if "construction" in roads.columns and not include_construction:
        cons = _truthy(roads["construction"])
        report.lines_construction_skipped = int(cons.sum())
        roads = roads[~cons]
    kmh = _line_speeds(roads, mode, speeds, report)
    missing = ~np.isfinite(kmh)
    if missing.any():
        classes = roads["highway"].astype(str)[missing].value_counts().to_dict()
        known = set(settings.default_speeds("drive"))
        unknown = {k: v for k, v in classes.items() if k not in known}
        if unknown and unknown_classes == "error" and mode == "drive":
            raise NetworkError(
                f"no speed for road classes {unknown}: give their speeds (km/h) with ",
                Arg("RoadOptions", "speeds_kmh"), ", or leave them out with ",
                Arg("RoadOptions", "unknown_classes", "skip"))
        report.lines_class_skipped = int(missing.sum())
        report.classes_skipped = {str(k): int(v) for k, v in classes.items()}
    roads, kmh = roads[~missing], kmh[~missing]
    if len(roads) == 0:
        raise NetworkError(
            f"no road line is usable for {mode!r} travel (all under construction or of "
            "classes without a speed): check the road file and ",
            Arg("RoadOptions", "speeds_kmh")
        )
    return roads, kmh


def _oneway_column(values: pd.Series, report: NetworkReport) -> IntArray:
    """Direction per line from a ``oneway`` column, spelled as OSM's tag
    (:func:`geo.network.rules.oneway_value`; empty means two-way). A value the rules do
    not know stops the build: a guess would silently change travel times."""
    values = values.astype(object).where(values.notna(), None)
    direction = np.array([oneway_value(v) for v in values], dtype=object)
    other = np.array([is_other_oneway(v) for v in values], dtype=bool)
    unknown = other & np.array([d is None for d in direction], dtype=bool)
    if unknown.any():
        counts = values[unknown].astype(str).value_counts().to_dict()
        raise NetworkError(
            f"the road layer's oneway column holds values that are no one-way direction: "
            f"{counts}. Recode them as yes (one-way along the line), -1 (against it) or no "
            "(two-way), e.g. T -> yes and F -> no for a true/false column"
        )
    report.oneway_other = {str(k): int(n) for k, n in
                           values[other].astype(str).value_counts().items()}
    return np.array([d or 0 for d in direction], dtype=np.int64)


def _raw_segments(
    roads: gpd.GeoDataFrame, kmh: FloatArray, mode: str, metric: CRS, report: NetworkReport
) -> tuple[FloatArray, dict[str, np.ndarray], IntArray, IntArray]:
    """Nodes and segments before gap closing; also the endpoint nodes and their lines."""
    geoms = roads.geometry.to_crs(metric).to_numpy()
    coords = [np.asarray(shapely.get_coordinates(g), dtype=float) for g in geoms]
    brunnel = (
        roads["brunnel"].fillna("").astype(str).str.strip().isin(["bridge", "tunnel"]).to_numpy()
        if "brunnel" in roads.columns
        else np.zeros(len(roads), dtype=bool)
    )
    node, node_xy, line_of, is_end = _vertex_keys(coords, brunnel)
    same_line = line_of[1:] == line_of[:-1]
    u, v, line = node[:-1][same_line], node[1:][same_line], line_of[:-1][same_line]
    length = np.hypot(*(node_xy[v] - node_xy[u]).T)
    secs = length / (kmh[line] / 3.6)
    fw, bw = secs.copy(), secs.copy()
    if mode == "drive" and "oneway" in roads.columns:
        direction = _oneway_column(roads["oneway"], report)
        report.oneway_lines = int((direction != 0).sum())
        bw[direction[line] == 1] = np.inf
        fw[direction[line] == -1] = np.inf
    keep = u != v
    seg = {
        "u": u[keep], "v": v[keep], "fw_s": fw[keep], "bw_s": bw[keep],
        "line": line[keep], "brunnel": brunnel[line[keep]],
    }
    return node_xy, seg, node[is_end], line_of[is_end]


def build_network(
    roads: gpd.GeoDataFrame,
    *,
    mode: str = "drive",
    speeds_kmh: dict[str, float] | None = None,
    snap_tolerance_m: float = settings.SNAP_TOLERANCE_M,
    include_construction: bool = False,
    unknown_classes: str = "error",
    node_crossings: bool = True,
    no_junction_classes: tuple[str, ...] = (),
    min_component_share: float = 0.5,
    crs: CRS | None = None,
) -> Network:
    """Build a routable network from road lines.

    Parameters
    ----------
    roads : GeoDataFrame
        LineStrings with a ``highway`` column; optional ``construction`` (true = under
        construction), ``brunnel`` (``bridge``/``tunnel``), ``oneway`` (spelled as OSM's
        tag, :mod:`geo.network.rules`: ``yes``/``true``/``1``, ``-1``/``reverse``,
        ``no``/``false``/``0``, empty; nothing implied) and ``maxspeed`` (km/h, wins
        over the class speed when driving).
    mode : {"drive", "walk"}
    speeds_kmh : dict, optional
        Overrides of the default speed table (:func:`geo.settings.default_speeds`).
    snap_tolerance_m : float
        Gap closing distance for dangling line ends (see module docs).
    include_construction : bool
        Keep lines under construction (for "after the new road opens" studies).
    unknown_classes : {"error", "skip"}
        What to do with road classes that have no speed.
    node_crossings : bool
        Join lines that cross at grade (road layers without shared junction vertices,
        such as simplified backbones). Off for OSM ways, whose junctions share nodes.
    no_junction_classes : tuple of str
        Classes that never form a crossing junction. Empty by default: a backbone
        without ramps has no other way onto a motorway, so an at-grade crossing of a
        motorway with another road, neither on a bridge or tunnel, stands for an
        interchange (an approximation the run summary states).
    min_component_share : float
        The largest connected part must hold at least this share of the usable road
        length, else :class:`NetworkError` (a badly noded layer would otherwise give
        silently wrong times). 0 turns the check off.
    crs : pyproj.CRS, optional
        Metric CRS; by default the UTM zone of the layer's centre.

    Returns
    -------
    Network
        The largest strongly connected component; :attr:`Network.report` says what
        was dropped.
    """
    _check_roads(roads)
    report = NetworkReport(lines_read=len(roads))
    speeds = settings.default_speeds(mode)
    speeds.update({str(k): float(v) for k, v in (speeds_kmh or {}).items()})
    bad = {k: v for k, v in speeds.items() if not v > 0}
    if bad:
        raise NetworkError(f"road speeds must be positive km/h, got {bad}")
    lines, kmh = _usable_lines(roads, mode, speeds, include_construction, unknown_classes, report)
    if crs is None:
        b = lines.to_crs(4326).total_bounds
        crs = utm_crs_for((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
    node_xy, seg, end_nodes, end_line = _raw_segments(lines, kmh, mode, crs, report)
    links, line_links = _connectors(
        node_xy, seg["u"], seg["v"], seg["line"], seg["brunnel"], end_nodes, end_line,
        snap_tolerance_m,
    )
    classes = lines["highway"].astype(str).to_numpy()
    crossings = (
        _crossings(node_xy, seg, np.isin(classes[seg["line"]], list(no_junction_classes)))
        if node_crossings
        else []
    )
    node_xy, seg, split_links = _split_segments(node_xy, seg, line_links, crossings)
    report.connectors_endpoint, report.connectors_line = len(links), len(split_links)
    report.crossings = len(crossings)
    classes = classes[seg["line"]]
    seg_class = np.asarray(classes, dtype=object)
    all_links = links + split_links
    if all_links:
        a = np.array([x[0] for x in all_links], dtype=np.int64)
        b = np.array([x[1] for x in all_links], dtype=np.int64)
        ln = np.array([x[2] for x in all_links], dtype=np.int64)
        secs = np.hypot(*(node_xy[b] - node_xy[a]).T) / (kmh[ln] / 3.6)
        seg_u = np.concatenate([seg["u"], a])
        seg_v = np.concatenate([seg["v"], b])
        fw = np.concatenate([seg["fw_s"], secs])
        bw = np.concatenate([seg["bw_s"], secs])
        seg_class = np.concatenate([seg_class, np.full(len(a), "connector", dtype=object)])
    else:
        seg_u, seg_v, fw, bw = seg["u"], seg["v"], seg["fw_s"], seg["bw_s"]
    net = Network(crs, node_xy, seg_u, seg_v, fw, bw, seg_class, mode, report)
    return keep_largest_component(
        net, min_component_share,
        ("Check that lines meet at shared vertices, raise ",
         Arg("RoadOptions", "snap_tolerance_m"), ", keep ",
         Arg("RoadOptions", "node_crossings", True), ", or lower ",
         Arg("RoadOptions", "min_component_share"), " to accept it"),
    )


