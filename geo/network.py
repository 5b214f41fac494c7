"""Road networks as compact arrays: noding, speeds per road class, one-way, components.

A :class:`Network` is a directed graph held as segment arrays (``seg_u``, ``seg_v``,
travel seconds each way) in a local metric CRS, with a CSR matrix for the compiled
shortest-path routines of :mod:`scipy.sparse.csgraph`.

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

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo import settings
from geo.crs import utm_crs_for
from geo.errors import NetworkError

__all__ = [
    "CSRGraph",
    "Network",
    "NetworkReport",
    "build_network",
    "csr_from_edges",
    "keep_largest_component",
    "z_order",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_TRUE = {"true", "yes", "1", "t", "y"}


@dataclass
class NetworkReport:
    """What building the network did: counts the run summary prints."""

    lines_read: int = 0
    lines_construction_skipped: int = 0
    lines_class_skipped: int = 0
    classes_skipped: dict[str, int] = field(default_factory=dict)
    connectors_endpoint: int = 0
    connectors_line: int = 0
    crossings: int = 0
    oneway_lines: int = 0
    maxspeed_used: int = 0
    components: int = 0
    nodes_dropped: int = 0
    km_dropped: float = 0.0
    nodes: int = 0
    segments: int = 0
    km: float = 0.0
    source: str = "lines"  # "lines" (noded road layer) | "osm" (junctions are shared nodes)

    def lines(self) -> list[str]:
        """Plain-language lines for the run summary."""
        what = "OSM ways" if self.source == "osm" else "road lines"
        out = [
            f"{self.lines_read} {what} read; network of {self.nodes} nodes, "
            f"{self.segments} segments, {self.km:,.0f} km",
        ]
        if self.source == "osm":
            out.append("junctions are the nodes OSM ways share (no gap closing or crossings)")
        else:
            out += [
                f"{self.connectors_endpoint} gaps between line ends and "
                f"{self.connectors_line} line ends touching another line closed by connectors",
                f"{self.crossings} crossings joined as junctions (not where either road is a "
                "bridge or tunnel; motorway crossings stand for interchanges)",
            ]
        if self.oneway_lines:
            out.append(f"{self.oneway_lines} one-way {what} honoured")
        if self.maxspeed_used:
            out.append(f"maxspeed used on {self.maxspeed_used} {what}")
        if self.lines_construction_skipped:
            out.append(f"{self.lines_construction_skipped} lines under construction left out")
        if self.lines_class_skipped:
            out.append(f"lines of classes without a speed for this mode left out: "
                       f"{self.classes_skipped}")
        if self.components > 1:
            out.append(
                f"{self.components - 1} smaller disconnected pieces dropped "
                f"({self.nodes_dropped} nodes, {self.km_dropped:,.1f} km); largest kept"
            )
        return out


@dataclass
class Network:
    """A directed road network on compact arrays in a metric CRS.

    Attributes
    ----------
    crs : pyproj.CRS
        The metric CRS of ``node_xy`` (a UTM zone).
    node_xy : (N, 2) float array
        Node coordinates in metres.
    seg_u, seg_v : (S,) int arrays
        Segment end nodes; segments are straight between them.
    seg_fw_s, seg_bw_s : (S,) float arrays
        Travel seconds u→v and v→u; ``inf`` where travel that way is not allowed.
    seg_class : (S,) object array
        Road class (OSM ``highway``) of each segment; ``connector`` for gap closers.
    mode : str
        ``drive`` or ``walk``.
    node_ids : (N,) int array, optional
        Source ids of the nodes (OSM node ids for networks read from OSM).
    """

    crs: CRS
    node_xy: FloatArray
    seg_u: IntArray
    seg_v: IntArray
    seg_fw_s: FloatArray
    seg_bw_s: FloatArray
    seg_class: npt.NDArray[Any]
    mode: str
    report: NetworkReport = field(default_factory=NetworkReport)
    node_ids: IntArray | None = None
    _graphs: dict[str, CSRGraph] = field(default_factory=dict, repr=False, compare=False)
    # compiled nearest searches built from the graphs, by direction (geo.travel), kept like them
    _kernels: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_xy.shape[0])

    @property
    def seg_length_m(self) -> FloatArray:
        d = self.node_xy[self.seg_v] - self.node_xy[self.seg_u]
        return np.hypot(d[:, 0], d[:, 1])

    def csr(self, extra_nodes: int = 0) -> sp.csr_matrix:
        """Directed adjacency (seconds) as CSR; parallel edges keep the fastest."""
        u = np.concatenate([self.seg_u, self.seg_v])
        v = np.concatenate([self.seg_v, self.seg_u])
        w = np.concatenate([self.seg_fw_s, self.seg_bw_s])
        return csr_from_edges(u, v, w, self.n_nodes + extra_nodes)

    def graph(self, direction: str = "forward") -> CSRGraph:
        """Compact CSR arrays for the compiled searches, built once and kept.

        ``forward`` follows the roads as driven; ``reverse`` has every edge turned round
        (a search on it gives times *to* its sources).
        """
        if direction not in ("forward", "reverse"):
            raise ValueError(f"direction must be 'forward' or 'reverse', got {direction!r}")
        if direction not in self._graphs:
            u = np.concatenate([self.seg_u, self.seg_v])
            v = np.concatenate([self.seg_v, self.seg_u])
            w = np.concatenate([self.seg_fw_s, self.seg_bw_s])
            if direction == "reverse":
                u, v = v, u
            self._graphs[direction] = CSRGraph.from_matrix(csr_from_edges(u, v, w, self.n_nodes))
        return self._graphs[direction]

    def segments_gdf(self) -> gpd.GeoDataFrame:
        """Segments as a GeoDataFrame in WGS84 (for maps and checks)."""
        lines = shapely.linestrings(
            np.stack([self.node_xy[self.seg_u], self.node_xy[self.seg_v]], axis=1)
        )
        gdf = gpd.GeoDataFrame(
            {
                "u": self.seg_u,
                "v": self.seg_v,
                "highway": self.seg_class,
                "fw_s": self.seg_fw_s,
                "bw_s": self.seg_bw_s,
            },
            geometry=lines,
            crs=self.crs,
        )
        return gdf.to_crs(4326)

    def nearest_node(self, lon: float, lat: float) -> int:
        """Index of the node nearest to a WGS84 point."""
        xy = gpd.GeoSeries(shapely.points([lon], [lat]), crs=4326).to_crs(self.crs)
        _, i = cKDTree(self.node_xy).query([xy.x.iloc[0], xy.y.iloc[0]])
        return int(i)


MAX_CSR_ID = int(np.iinfo(np.int32).max)


@dataclass(frozen=True)
class CSRGraph:
    """A directed graph as the arrays the compiled kernels take: 32-bit node and edge ids
    (half the memory traffic of 64-bit ones on large networks), float64 seconds."""

    indptr: npt.NDArray[np.int32]
    indices: npt.NDArray[np.int32]
    weights: FloatArray

    @classmethod
    def from_matrix(cls, m: sp.csr_matrix) -> CSRGraph:
        if m.shape[0] > MAX_CSR_ID or m.nnz > MAX_CSR_ID:
            raise NetworkError(
                f"the network has {m.shape[0]:,} nodes and {m.nnz:,} directed edges; the "
                f"routing engine numbers both with 32-bit integers (at most {MAX_CSR_ID:,}): "
                "split the study area into smaller networks"
            )
        return cls(
            np.ascontiguousarray(m.indptr, dtype=np.int32),
            np.ascontiguousarray(m.indices, dtype=np.int32),
            np.ascontiguousarray(m.data, dtype=np.float64),
        )

    @property
    def n_nodes(self) -> int:
        return int(self.indptr.shape[0] - 1)


def csr_from_edges(u: IntArray, v: IntArray, w: FloatArray, n: int) -> sp.csr_matrix:
    """CSR matrix of finite-weight edges, the minimum kept where edges repeat."""
    keep = np.isfinite(w) & (u != v)
    u, v, w = u[keep], v[keep], w[keep]
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return sp.csr_matrix((w[first], (u[first], v[first])), shape=(n, n))


# --------------------------------------------------------------------------- speeds


def _parse_maxspeed(value: object) -> float:
    """OSM ``maxspeed`` in km/h, NaN where absent or unparseable (``60``, ``60 mph``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", str(value).split(";")[0])
    if not m:
        return float("nan")
    kmh = float(m.group(1))
    return kmh * 1.609344 if m.group(2) == "mph" else kmh


def _truthy(series: pd.Series) -> npt.NDArray[np.bool_]:
    return series.astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()


def _line_speeds(
    roads: gpd.GeoDataFrame, mode: str, speeds: dict[str, float], report: NetworkReport
) -> FloatArray:
    """Speed (km/h) per line; NaN for lines this mode cannot use."""
    hw = roads["highway"].astype(str).str.strip().to_numpy()
    kmh = np.array([speeds.get(h, np.nan) for h in hw], dtype=float)
    if mode == "drive" and "maxspeed" in roads.columns:
        ms = np.array([_parse_maxspeed(v) for v in roads["maxspeed"]])
        use = np.isfinite(ms) & (ms > 0) & np.isfinite(kmh)
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
            "the road layer has no 'highway' column (road class): rename the class column to "
            f"'highway' or map it in the study file; columns are {list(roads.columns)}"
        )
    if roads.crs is None:
        raise NetworkError("the road layer has no coordinate system: set it (EPSG:4326?)")
    bad = ~roads.geometry.geom_type.isin(["LineString"])
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} road features are not LineStrings "
            f"({sorted(set(roads.geometry.geom_type[bad]))}): explode MultiLineStrings "
            "(geo.io.read_roads does) and drop non-line features"
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
                f"no speed for road classes {unknown}: add them under [roads.speeds_kmh] in "
                "the study file (km/h), or set unknown_classes = 'skip' to leave them out"
            )
        report.lines_class_skipped = int(missing.sum())
        report.classes_skipped = {str(k): int(v) for k, v in classes.items()}
    roads, kmh = roads[~missing], kmh[~missing]
    if len(roads) == 0:
        raise NetworkError(
            f"no road line is usable for {mode!r} travel (all under construction or of "
            "classes without a speed): check the road file and [roads.speeds_kmh]"
        )
    return roads, kmh


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
        ow = roads["oneway"].astype(str).str.strip().str.lower().to_numpy()
        fwd, rev = np.isin(ow, list(_TRUE)), ow == "-1"
        report.oneway_lines = int(fwd.sum() + rev.sum())
        bw[fwd[line]] = np.inf
        fw[rev[line]] = np.inf
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
        construction), ``brunnel`` (``bridge``/``tunnel``), ``oneway`` (``yes``/``-1``)
        and ``maxspeed`` (km/h, wins over the class speed when driving).
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
        "Check that lines meet at shared vertices, raise snap_tolerance_m, keep "
        "node_crossings = true, or lower min_component_share to accept it",
    )


def keep_largest_component(net: Network, min_share: float, fix: str) -> Network:
    """The largest strongly connected part, checked to hold ``min_share`` of the road.

    ``fix`` is the advice the error gives when it does not.
    """
    out = _largest_component(net)
    report = out.report
    share = report.km / (report.km + report.km_dropped)
    if share < min_share:
        raise NetworkError(
            f"the road network is disconnected: its largest connected part holds only "
            f"{share:.0%} of {report.km + report.km_dropped:,.0f} km of road "
            f"({report.components} parts). {fix}"
        )
    return out


def z_order(xy: FloatArray) -> IntArray:
    """Order of points along a Z-order (Morton) curve, at 2^20 steps per axis.

    Numbering nodes this way puts neighbours in the map near each other in memory, so a
    search touches few cache lines (OSM node ids follow editing history, not space) and
    runs of node ids are compact areas (the threaded nearest search splits on them).
    """
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = xy.min(axis=0)
    span = max(float((xy.max(axis=0) - lo).max()), 1e-9)
    q = np.clip((xy - lo) / span * (2**20 - 1), 0, 2**20 - 1).astype(np.uint64)

    def spread(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF),
                            (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
                            (1, 0x5555555555555555)):
            v = (v | (v << np.uint64(shift))) & np.uint64(mask)
        return v

    key = spread(q[:, 0]) | (spread(q[:, 1]) << np.uint64(1))
    return np.argsort(key, kind="stable").astype(np.int64)


def _largest_component(net: Network) -> Network:
    """Keep the strongly connected component with the most road; record what was dropped."""
    rep = net.report
    n_comp, labels = connected_components(net.csr(), directed=True, connection="strong")
    length = net.seg_length_m
    inside = labels[net.seg_u] == labels[net.seg_v]
    km_per = np.bincount(labels[net.seg_u][inside], weights=length[inside], minlength=n_comp)
    big = int(np.argmax(km_per))  # the component with the most road length
    keep_node = labels == big
    keep_seg = keep_node[net.seg_u] & keep_node[net.seg_v]
    rep.components = int(n_comp)
    used = np.zeros(net.n_nodes, dtype=bool)
    used[net.seg_u] = used[net.seg_v] = True
    rep.nodes_dropped = int((used & ~keep_node).sum())
    rep.km_dropped = float(length[~keep_seg].sum() / 1000.0)
    kept = np.flatnonzero(keep_node)
    kept = kept[z_order(net.node_xy[kept])]  # numbered along a space-filling curve
    new_id = np.full(net.n_nodes, -1, dtype=np.int64)
    new_id[kept] = np.arange(len(kept))
    out = Network(
        net.crs,
        net.node_xy[kept],
        new_id[net.seg_u[keep_seg]],
        new_id[net.seg_v[keep_seg]],
        net.seg_fw_s[keep_seg],
        net.seg_bw_s[keep_seg],
        net.seg_class[keep_seg],
        net.mode,
        rep,
        None if net.node_ids is None else net.node_ids[kept],
    )
    rep.nodes, rep.segments = out.n_nodes, len(out.seg_u)
    rep.km = float(out.seg_length_m.sum() / 1000.0)
    if out.n_nodes < 2 or rep.segments == 0:
        raise NetworkError("the road network has no connected part with two or more nodes")
    if rep.components > 1:
        log.info("kept the largest of %d components; dropped %d nodes, %.1f km",
                 rep.components, rep.nodes_dropped, rep.km_dropped)
    return out
