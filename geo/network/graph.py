"""The road network type: a directed graph on compact arrays, its CSR view and components.

A :class:`Network` is a directed graph held as segment arrays (``seg_u``, ``seg_v``,
travel seconds each way) in a local metric CRS. :meth:`Network.graph` gives the CSR
arrays the compiled kernels of :mod:`geo.routing` search; :func:`keep_largest_component`
keeps the strongly connected part with the most road and reports the rest. Networks are
built from road line layers (:mod:`geo.network.lines`) and OpenStreetMap
(:mod:`geo.network.osm`), and saved and loaded by :mod:`geo.network.cache`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo import settings
from geo._types import FloatArray, IntArray
from geo.errors import NetworkError

__all__ = [
    "MAX_CSR_ID",
    "TIME_QUANTUM_S",
    "CSRGraph",
    "Network",
    "NetworkReport",
    "csr_from_edges",
    "keep_largest_component",
    "on_time_grid",
    "z_order",
]

log = logging.getLogger(__name__)



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
    #: ``oneway`` values that set no fixed direction (time-dependent or unrecognised) and
    #: how many ways carry each (:mod:`geo.network.rules`)
    oneway_other: dict[str, int] = field(default_factory=dict)
    maxspeed_used: int = 0
    #: ``maxspeed`` values given but not used (not a speed, or above
    #: settings.MAX_MAXSPEED_KMH) and how many ways/lines carry each
    maxspeed_ignored: dict[str, int] = field(default_factory=dict)
    components: int = 0
    nodes_dropped: int = 0
    km_dropped: float = 0.0
    nodes: int = 0
    segments: int = 0
    km: float = 0.0
    source: str = "lines"  # "lines" (noded road layer) | "osm" (junctions are shared nodes)
    #: how the network was built and its file read (unknown tags, conversions, encodings)
    notes: list[str] = field(default_factory=list)
    #: what every output of a study on this network must say about it (e.g. that it was cut
    #: to an area and a buffer by ``geo batch``); kept in the cache
    assumptions: list[str] = field(default_factory=list)

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
        if self.oneway_other:
            out.append(
                f"{sum(self.oneway_other.values())} {what} with oneway values that set no "
                f"fixed direction {self.oneway_other}: reversible/alternating read as two-way, "
                "others as if untagged (roundabouts and motorways one-way, the rest two-way)"
            )
        if self.maxspeed_used:
            out.append(f"maxspeed used on {self.maxspeed_used} {what}")
        if self.maxspeed_ignored:
            shown = dict(sorted(self.maxspeed_ignored.items(), key=lambda kv: -kv[1])[:10])
            out.append(
                f"maxspeed not used on {sum(self.maxspeed_ignored.values())} {what} (not a "
                f"speed, or above {settings.MAX_MAXSPEED_KMH:g} km/h: {shown}"
                f"{' ...' if len(self.maxspeed_ignored) > 10 else ''}): their class speed "
                "is used")
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
        return out + list(self.notes)


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
        Travel seconds u→v and v→u; ``inf`` where travel that way is not allowed. Rounded
        on construction to the time grid (:func:`on_time_grid`, 2^-24 s), so that the
        searches add times exactly.
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
    # compiled nearest searches built from the graphs, by direction, and the segment search
    # trees places are snapped with (geo.routing.travel), kept like them
    _kernels: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.seg_fw_s = on_time_grid(self.seg_fw_s)
        self.seg_bw_s = on_time_grid(self.seg_bw_s)

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

#: The time grid, in seconds: every segment time, and every time the searches start from, is
#: a multiple of this (2^-24 s, 60 ns), so sums of up to 2^29 s are exact in float64. A
#: path's time then does not depend on the order its parts are added, and two routes that
#: tie really tie: the nearest searches' tie rule (equal times go to the facility listed
#: first) gives one answer however a labelling was reached, a fresh search or an incremental
#: update (geo.whatif). The same rounding as the kernels' ``on_grid``.
TIME_QUANTUM_S = 2.0**-24


def on_time_grid(seconds: npt.ArrayLike) -> FloatArray:
    """Seconds rounded to the nearest multiple of :data:`TIME_QUANTUM_S` (``inf`` kept)."""
    a = np.asarray(seconds, dtype=np.float64)
    return np.rint(a * 2.0**24) * TIME_QUANTUM_S


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
    """CSR matrix of finite-weight edges, the minimum kept where edges repeat.

    One sort on the combined key ``u * n + v`` and a grouped minimum, the CSR arrays
    built directly from the sorted pairs (a three-key lexsort and scipy's COO conversion
    took 3 s for the 4M edges of a 1M-node grid).
    """
    keep = np.isfinite(w) & (u != v)
    key = np.asarray(u, dtype=np.int64)[keep] * np.int64(n) + np.asarray(v, np.int64)[keep]
    order = np.argsort(key)
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    weights = (np.minimum.reduceat(np.asarray(w, dtype=np.float64)[keep][order], starts)
               if len(starts) else np.zeros(0))
    rows, cols = np.divmod(key[starts], np.int64(n))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((weights, cols, indptr), shape=(n, n))


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
