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
from geo.errors import Arg, NetworkError, Part

__all__ = [
    "GRAPH_MAKER",
    "MAX_CSR_ID",
    "TIME_QUANTUM_S",
    "CSRGraph",
    "Network",
    "NetworkReport",
    "csr_from_edges",
    "from_exported_graph",
    "is_exported_graph",
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
    #: "lines" (noded road layer) | "osm" (junctions are shared nodes) | "graph" (read back
    #: from Network.to_networkx)
    source: str = "lines"
    #: how the network was built and its file read (unknown tags, conversions, encodings)
    notes: list[str] = field(default_factory=list)
    #: what every output of a study on this network must say about it (e.g. that it was cut
    #: to an area and a buffer by ``geo batch``); kept in the cache
    assumptions: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Plain-language lines for the run summary."""
        what = {"osm": "OSM ways", "graph": "graph edges"}.get(self.source, "road lines")
        out = [
            f"{self.lines_read} {what} read; network of {self.nodes} nodes, "
            f"{self.segments} segments, {self.km:,.0f} km",
        ]
        if self.source == "graph":
            pass  # the graph's own nodes and segments: nothing was noded
        elif self.source == "osm":
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

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> from geo.routing import as_network
    >>> roads = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326,
    ...                          geometry=[LineString([(109.70, 24.50), (109.80, 24.50)])])
    >>> net = as_network(roads)
    >>> net.n_nodes, len(net.seg_u), net.crs.to_epsg()  # UTM zone 49N
    (2, 1, 32649)
    >>> net.seg_fw_s.round(1).tolist()  # 10,133 m at 60 km/h
    [608.0]
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

    def to_gdf(self, crs: Any = 4326) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """The network as node and edge GeoDataFrames, as ``osmnx.graph_to_gdfs`` gives them.

        Parameters
        ----------
        crs : optional
            Coordinate system of the frames (default WGS84 longitude/latitude; ``None``:
            the network's own metric CRS).

        Returns
        -------
        nodes : geopandas.GeoDataFrame
            Indexed by node (``0 .. n_nodes - 1``, the ids the routing functions use):
            ``x``, ``y``, ``osmid`` (the source's node id, for networks read from OSM) and
            the point.
        edges : geopandas.GeoDataFrame
            One row per direction a segment may be travelled, indexed by ``(u, v, key)``
            as osmnx's edges: ``segment`` (its index in the network's arrays), ``forward``
            (whether it runs as the segment is stored, ``seg_u`` to ``seg_v``),
            ``highway`` (road class; ``connector`` for gap closers), ``oneway``,
            ``length`` (metres), ``speed_kph`` and ``travel_time`` (seconds, the time the
            searches use), and the straight line.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely import LineString
        >>> from geo.routing import as_network
        >>> roads = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326,
        ...                          geometry=[LineString([(109.70, 24.50), (109.80, 24.50)])])
        >>> nodes, edges = as_network(roads, "drive").to_gdf()
        >>> len(nodes), len(edges)  # one two-way segment: an edge each way
        (2, 2)
        >>> edges[["highway", "oneway", "speed_kph"]].round(1).values.tolist()
        [['primary', False, 60.0], ['primary', False, 60.0]]
        >>> edges["travel_time"].round(1).tolist()  # 10,133 m at 60 km/h, in seconds
        [608.0, 608.0]
        """
        out_crs = self.crs if crs is None else _crs(crs, "Network.to_gdf")
        xy = gpd.GeoSeries(shapely.points(self.node_xy), crs=self.crs).to_crs(out_crs)
        nodes = gpd.GeoDataFrame({"x": xy.x.to_numpy(), "y": xy.y.to_numpy()}, geometry=xy,
                                 crs=out_crs)
        if self.node_ids is not None:
            nodes.insert(2, "osmid", self.node_ids)
        nodes.index.name = "node"
        s = np.arange(len(self.seg_u))
        fw_ok, bw_ok = np.isfinite(self.seg_fw_s), np.isfinite(self.seg_bw_s)
        seg = np.concatenate([s[fw_ok], s[bw_ok]])
        forward = np.concatenate([np.ones(fw_ok.sum(), bool), np.zeros(bw_ok.sum(), bool)])
        order = np.lexsort((~forward, seg))  # segment after segment, forward first
        seg, forward = seg[order], forward[order]
        u = np.where(forward, self.seg_u[seg], self.seg_v[seg])
        v = np.where(forward, self.seg_v[seg], self.seg_u[seg])
        secs = np.where(forward, self.seg_fw_s[seg], self.seg_bw_s[seg])
        length = self.seg_length_m[seg]
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(secs > 0, length / secs * 3.6, np.nan)
        key = _keys(u, v)
        geom = gpd.GeoSeries(shapely.linestrings(
            np.stack([self.node_xy[u], self.node_xy[v]], axis=1)), crs=self.crs).to_crs(out_crs)
        edges = gpd.GeoDataFrame({
            "u": u, "v": v, "key": key, "segment": seg, "forward": forward,
            "highway": self.seg_class[seg], "oneway": ~(fw_ok[seg] & bw_ok[seg]),
            "length": length, "speed_kph": speed, "travel_time": secs,
        }, geometry=geom.to_numpy(), crs=out_crs).set_index(["u", "v", "key"])
        return nodes, edges

    def to_networkx(self, crs: Any = 4326) -> Any:
        """The network as a ``networkx.MultiDiGraph`` shaped as osmnx's graphs.

        Nodes are ``0 .. n_nodes - 1`` with ``x``, ``y`` (in ``crs``, default WGS84
        longitude/latitude; ``None``: the network's metric CRS) and ``osmid`` where known;
        one edge per direction a segment may be travelled, with the attributes of
        :meth:`to_gdf`'s edges (``travel_time`` in seconds is the searches' weight). The
        graph's ``crs`` is set, so osmnx's functions (``graph_to_gdfs``,
        ``save_graphml``, ``plot_graph``) take it, and
        :func:`geo.network.osm.network_from_graph` reads it (or its GraphML) back into
        the same network.

        Examples
        --------
        >>> import networkx as nx, geopandas as gpd
        >>> from shapely import LineString
        >>> from geo.routing import as_network
        >>> roads = gpd.GeoDataFrame({"highway": ["primary", "tertiary"]}, crs=4326, geometry=[
        ...     LineString([(109.70, 24.50), (109.80, 24.50)]),
        ...     LineString([(109.80, 24.50), (109.80, 24.55)])])
        >>> g = as_network(roads, "drive").to_networkx()
        >>> g.number_of_nodes(), g.number_of_edges()
        (3, 4)
        >>> ends = [n for n, d in g.degree() if d == 2]
        >>> minutes = nx.shortest_path_length(g, *ends, weight="travel_time") / 60
        >>> round(minutes, 1)  # 10.13 km at 60 km/h, then 5.54 km at 35 km/h
        19.6
        """
        import networkx as nx

        from geo import __version__

        nodes, edges = self.to_gdf(self.crs if crs is None else _crs(crs, "Network.to_networkx"))
        g = nx.MultiDiGraph(crs=nodes.crs, created_with=f"{GRAPH_MAKER} {__version__}",
                            mode=self.mode, metric_crs=self.crs.to_wkt())
        cols = [c for c in nodes.columns if c != "geometry"]
        g.add_nodes_from((int(n), {c: r[c] for c in cols})
                         for n, r in zip(nodes.index, nodes[cols].to_dict("records"),
                                         strict=True))
        attrs = [c for c in edges.columns if c != "geometry"]
        g.add_edges_from((int(u), int(v), int(k), _py(r)) for (u, v, k), r in
                         zip(edges.index, edges[attrs].to_dict("records"), strict=True))
        return g

    def nearest_node(self, lon: float, lat: float) -> int:
        """Index of the node nearest to a WGS84 point."""
        xy = gpd.GeoSeries(shapely.points([lon], [lat]), crs=4326).to_crs(self.crs)
        _, i = cKDTree(self.node_xy).query([xy.x.iloc[0], xy.y.iloc[0]])
        return int(i)


#: the ``created_with`` of graphs :meth:`Network.to_networkx` makes (read back exactly)
GRAPH_MAKER = "geo-access"


def _crs(crs: Any, func: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except Exception:  # pyproj's CRSError, TypeError for other objects
        raise NetworkError(Arg(func, "crs", crs), ": not a coordinate system: give an EPSG "
                           "code (4326 for longitude/latitude) or None for the network's "
                           "own") from None


def _keys(u: IntArray, v: IntArray) -> IntArray:
    """osmnx's edge keys: 0 for the first edge between two nodes, 1 for the second, ..."""
    if len(u) == 0:
        return np.zeros(0, dtype=np.int64)
    pair = np.asarray(u, np.int64) * (int(max(u.max(), v.max())) + 1) + v
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    start = np.r_[0, np.flatnonzero(sorted_pair[1:] != sorted_pair[:-1]) + 1]
    run = np.arange(len(pair)) - np.repeat(start, np.diff(np.r_[start, len(pair)]))
    key = np.empty(len(pair), dtype=np.int64)
    key[order] = run
    return key


def _py(record: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars as Python values (networkx's GraphML writer takes only those)."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in record.items()}


#: the edge attributes that make a graph one of :meth:`Network.to_networkx`'s
EXPORT_EDGE_ATTRS = ("segment", "forward", "travel_time", "highway")


def is_exported_graph(graph: Any) -> bool:
    """Whether ``graph`` came from :meth:`Network.to_networkx`: its ``created_with``, or
    edges that all carry the segment attributes (``osmnx.graph_from_gdfs`` of
    :meth:`Network.to_gdf`'s frames keeps those, not the graph's attributes)."""
    if str(graph.graph.get("created_with", "")).startswith(GRAPH_MAKER):
        return True
    return graph.number_of_edges() > 0 and all(
        all(a in d for a in EXPORT_EDGE_ATTRS) for _, _, d in graph.edges(data=True))


def from_exported_graph(graph: Any, mode: str) -> Network:
    """The network a graph of :meth:`Network.to_networkx` holds, read back exactly.

    Also its GraphML, as ``osmnx.load_graphml`` or ``networkx.read_graphml`` read it
    (attribute values as text are converted). Nodes, segments, classes and travel times
    are taken as the graph has them, so edits made to it (an edge's ``travel_time``, an
    edge removed) are what the routing sees.
    """
    made_as = str(graph.graph.get("mode", mode))
    if made_as != mode:
        raise NetworkError(Arg("network_from_graph", "mode", mode), f": the graph holds a "
                           f"{made_as!r} network (exported by geo): read it with "
                           f"mode={made_as!r}")
    try:
        order = sorted(graph.nodes, key=int)
    except (TypeError, ValueError):
        order = list(graph.nodes)
    index = {n: i for i, n in enumerate(order)}
    data = [graph.nodes[n] for n in order]
    try:
        x = np.array([float(d["x"]) for d in data])
        y = np.array([float(d["y"]) for d in data])
        edges = [(index[u], index[v], int(d["segment"]), str(d["forward"]) in ("True", "true", "1"),
                  float(d["travel_time"]), str(d["highway"]))
                 for u, v, d in graph.edges(data=True)]
    except (KeyError, TypeError, ValueError) as e:
        raise NetworkError(Arg("network_from_graph", "graph"), f": a graph exported by geo "
                           f"lost an attribute its nodes and edges need ({e}); export it again "
                           "with Network.to_networkx") from None
    metric = CRS.from_user_input(graph.graph["metric_crs"]) if "metric_crs" in graph.graph \
        else None
    src = CRS.from_user_input(graph.graph.get("crs", 4326))
    if metric is None:
        from geo.crs import utm_crs_for

        lonlat = gpd.GeoSeries(shapely.points(x, y), crs=src).to_crs(4326)
        metric = utm_crs_for(float(lonlat.x.mean()), float(lonlat.y.mean()))
    xy = gpd.GeoSeries(shapely.points(x, y), crs=src).to_crs(metric)
    node_xy = np.column_stack([xy.x.to_numpy(), xy.y.to_numpy()])
    n_seg = max((e[2] for e in edges), default=-1) + 1
    seg_u = np.full(n_seg, -1, dtype=np.int64)
    seg_v = np.full(n_seg, -1, dtype=np.int64)
    fw, bw = np.full(n_seg, np.inf), np.full(n_seg, np.inf)
    seg_class = np.empty(n_seg, dtype=object)
    for u, v, seg, forward, secs, highway in edges:
        seg_u[seg], seg_v[seg] = (u, v) if forward else (v, u)
        (fw if forward else bw)[seg] = secs
        seg_class[seg] = highway
    keep = seg_u >= 0  # segments whose edges were removed from the graph
    osmid = [d.get("osmid") for d in data]
    ids = (np.array([int(i) for i in osmid], dtype=np.int64)
           if all(i is not None for i in osmid) else None)
    report = NetworkReport(lines_read=len(edges), source="graph", notes=[
        "network read from a graph exported by geo (Network.to_networkx): nodes, road "
        "classes and travel times as the graph holds them"])
    net = Network(metric, node_xy, seg_u[keep], seg_v[keep], fw[keep], bw[keep],
                  seg_class[keep], mode, report, ids)
    report.nodes, report.segments = net.n_nodes, len(net.seg_u)
    report.km = float(net.seg_length_m.sum() / 1000.0)
    return net


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


def keep_largest_component(net: Network, min_share: float,
                           fix: str | tuple[Part, ...]) -> Network:
    """The largest strongly connected part, checked to hold ``min_share`` of the road.

    ``fix`` is the advice the error gives when it does not (text, or the parts of a
    message naming parameters: :class:`geo.errors.GeoError`).
    """
    out = _largest_component(net)
    report = out.report
    share = report.km / (report.km + report.km_dropped)
    if share < min_share:
        raise NetworkError(
            f"the road network is disconnected: its largest connected part holds only "
            f"{share:.0%} of {report.km + report.km_dropped:,.0f} km of road "
            f"({report.components} parts). ", *((fix,) if isinstance(fix, str) else fix))
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
