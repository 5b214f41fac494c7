"""OpenStreetMap road sources: PBF and XML extracts, online downloads, networkx graphs.

Every source ends in the same :class:`~geo.network.graph.Network` as a road line layer, with
the same speed table (:func:`geo.settings.default_speeds`, OSM ``maxspeed`` wins when
driving) and the same component rule (largest strongly connected part kept, the rest
reported). Unlike a simplified line layer, OSM ways meet at shared nodes, so no gap
closing or crossing detection is done: a junction is a node two ways share, and a bridge
that crosses a road without a shared node does not meet it.

Which ways a mode may use, one-way and ``maxspeed`` follow :mod:`geo.network.rules`
for every source alike: the same ways give the same directed graph from a PBF, an XML
file, an online download or an osmnx graph built with raw tags.

Files (PBF, o5m, XML, compressed XML) are read with pyosmium (libosmium: streaming, C++
tag filter, a node-location index), so a province extract is read without loading it
whole into pandas. osmnx serves the online download and graphs; it is given raw tags
(:func:`network_from_graph`), never left to decide one-way itself. Ways cut at
the edge of an extract keep their parts whose nodes have locations.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

from geo import settings
from geo._files import input_file
from geo._types import FloatArray, IntArray
from geo.crs import utm_crs_for
from geo.errors import Arg, InputFileError, NetworkError
from geo.network.graph import (
    Network,
    NetworkReport,
    from_exported_graph,
    is_exported_graph,
    keep_largest_component,
)
from geo.network.rules import (
    OSM_TAGS,
    is_other_oneway,
    maxspeeds,
    oneway_direction,
    usable,
)

__all__ = [
    "OsmWays",
    "download_network",
    "is_osm_file",
    "network_from_file",
    "network_from_graph",
    "network_from_osm",
    "network_from_ways",
    "network_from_xml",
    "overpass_filter",
    "read_osm_ways",
]

log = logging.getLogger(__name__)


@dataclass
class OsmWays:
    """Highway ways of an extract: tags per way, node ids and lon/lat per way node.

    A way cut by the edge of an extract is held as several pieces with the same ``ids``.
    """

    tags: list[dict[str, str]] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    way_ptr: list[int] = field(default_factory=lambda: [0])
    node_ref: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tags)

    def add(self, tags: dict[str, str], refs: Iterable[tuple[int, float, float]],
            way_id: int = -1) -> None:
        """Add a way (or a piece of one) from its tags and (node id, lon, lat) triples."""
        n = 0
        for ref, x, y in refs:
            self.node_ref.append(ref)
            self.lon.append(x)
            self.lat.append(y)
            n += 1
        if n >= 2:
            self.tags.append(tags)
            self.ids.append(way_id if way_id >= 0 else -len(self.tags))
            self.way_ptr.append(len(self.node_ref))
        else:  # a piece with fewer than two located nodes is no road
            del self.node_ref[len(self.node_ref) - n:]
            del self.lon[len(self.lon) - n:]
            del self.lat[len(self.lat) - n:]


def read_osm_ways(path: str | Path) -> OsmWays:
    """All ``highway`` ways of an OSM file (PBF, XML, o5m; compressed XML too).

    A way whose nodes partly lie outside the extract is split into its located pieces.
    """
    import osmium

    p = input_file(path, "OSM file", "give the path to an .osm.pbf or .osm file")
    ways = OsmWays()
    try:
        fp = (osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
              .with_locations()  # runs before the filters: every node's location is kept
              .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
              .with_filter(osmium.filter.KeyFilter("highway")))
        for w in fp:
            assert isinstance(w, osmium.osm.Way)  # the entity filter passes ways only
            tags = {k: w.tags[k] for k in OSM_TAGS if k in w.tags}
            piece: list[tuple[int, float, float]] = []
            for nd in w.nodes:
                loc = nd.location
                if loc.valid():
                    piece.append((nd.ref, loc.lon, loc.lat))
                else:  # outside the extract: end this piece
                    ways.add(tags, piece, w.id)
                    piece = []
            ways.add(tags, piece, w.id)
    except RuntimeError as e:
        raise InputFileError(f"{p} could not be read as OSM data ({e}): it may be truncated "
                             "(an interrupted download) or not an OSM extract; download it "
                             "again, e.g. from https://download.geofabrik.de") from e
    if len(ways) == 0:
        raise InputFileError(f"{p} holds no highway ways: is it an OSM extract with roads?")
    log.info("%s: %d highway ways, %d way nodes", p.name, len(ways), len(ways.node_ref))
    return ways


def _ways(ways: OsmWays, mask: npt.NDArray[np.bool_]) -> int:
    """How many ways (not pieces of ways) ``mask`` selects."""
    return int(np.unique(np.asarray(ways.ids, dtype=np.int64)[mask]).size)


def _read_tags(ways: OsmWays, mode: str, speeds: Mapping[str, float],
               report: NetworkReport) -> tuple[npt.NDArray[np.bool_], FloatArray, IntArray]:
    """Per way: usable by ``mode``, km/h and one-way direction (+1, -1, 0); counts go to
    ``report``."""
    report.lines_read = _ways(ways, np.ones(len(ways), dtype=bool))
    use = np.array([usable(t, mode, speeds) for t in ways.tags], dtype=bool)
    classes = np.array([t.get("highway", "") for t in ways.tags], dtype=object)
    report.lines_class_skipped = _ways(ways, ~use)
    report.classes_skipped = {str(c): _ways(ways, ~use & (classes == c))
                              for c in sorted(set(classes[~use].tolist()))}
    if not use.any():
        raise NetworkError(f"no OSM way is usable for {mode!r} travel: check the extract "
                           "covers roads and the speed table has their highway classes")
    kmh = np.array([speeds.get(t.get("highway", ""), np.nan) for t in ways.tags])
    direction = np.zeros(len(ways), dtype=np.int64)
    if mode == "drive":
        # unused values counted per way (a way may come in several pieces) kept for this mode
        first = np.zeros(len(ways), dtype=bool)
        first[np.unique(np.asarray(ways.ids, dtype=np.int64), return_index=True)[1]] = True
        ms, report.maxspeed_ignored = maxspeeds([t.get("maxspeed") for t in ways.tags],
                                                counted=first & use)
        has = np.isfinite(ms) & use
        kmh[has] = ms[has]
        report.maxspeed_used = _ways(ways, has)
        direction = np.array([oneway_direction(t) for t in ways.tags], dtype=np.int64)
        values = np.array([t.get("oneway", "") for t in ways.tags], dtype=object)
        other = np.array([is_other_oneway(v) for v in values], dtype=bool) & use
        report.oneway_other = {str(v): _ways(ways, other & (values == v))
                               for v in sorted(set(values[other].tolist()))}
    report.oneway_lines = _ways(ways, (direction != 0) & use)
    return use, kmh, direction


def network_from_ways(
    ways: OsmWays,
    *,
    mode: str = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    crs: pyproj.CRS | None = None,
    min_component_share: float = 0.5,
) -> Network:
    """Build a :class:`Network` from OSM ways: every way node a node, junctions shared.

    Which ways ``mode`` may use, their one-way direction and ``maxspeed`` follow
    :mod:`geo.network.rules`, whatever source the ways came from.
    """
    speeds = settings.default_speeds(mode)
    speeds.update({str(k): float(v) for k, v in (speeds_kmh or {}).items()})
    report = NetworkReport(source="osm")
    use, kmh, direction = _read_tags(ways, mode, speeds, report)
    ptr = np.asarray(ways.way_ptr, dtype=np.int64)
    refs = np.asarray(ways.node_ref, dtype=np.int64)
    lon, lat = np.asarray(ways.lon), np.asarray(ways.lat)
    way_of = np.repeat(np.arange(len(ways)), np.diff(ptr))
    pair = (way_of[1:] == way_of[:-1]) & use[way_of[:-1]]
    a, b, w = np.flatnonzero(pair), np.flatnonzero(pair) + 1, way_of[:-1][pair]
    used = np.unique(np.concatenate([a, b]))
    node_ids, inv = np.unique(refs[used], return_inverse=True)
    first = np.zeros(len(node_ids), dtype=np.int64)
    first[inv[::-1]] = used[::-1]
    if crs is None:
        crs = utm_crs_for(float(np.median(lon[used])), float(np.median(lat[used])))
    tr = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = tr.transform(lon[first], lat[first])
    node_xy = np.column_stack([x, y]).astype(np.float64)
    index = np.full(len(refs), -1, dtype=np.int64)
    index[used] = inv
    seg_u, seg_v = index[a], index[b]
    length = np.hypot(*(node_xy[seg_v] - node_xy[seg_u]).T)
    secs = length / (kmh[w] / 3.6)
    fw, bw = secs.copy(), secs.copy()
    bw[direction[w] == 1] = np.inf
    fw[direction[w] == -1] = np.inf
    keep = seg_u != seg_v
    classes = np.array([t.get("highway", "") for t in ways.tags], dtype=object)
    net = Network(crs, node_xy, seg_u[keep], seg_v[keep], fw[keep], bw[keep], classes[w][keep],
                  mode, report, node_ids)
    return keep_largest_component(
        net, min_component_share,
        ("The extract may be cut badly or hold islands; lower ",
         Arg("RoadOptions", "min_component_share"), " to accept it"),
    )


def network_from_osm(
    path: str | Path,
    *,
    mode: str = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    crs: pyproj.CRS | None = None,
    min_component_share: float = 0.5,
) -> Network:
    """Read an OSM extract (``.osm.pbf``, ``.osm``) straight into a :class:`Network`."""
    return network_from_ways(read_osm_ways(path), mode=mode, speeds_kmh=speeds_kmh, crs=crs,
                             min_component_share=min_component_share)


#: ``oneway`` values whose ways osmnx (2.x) adds in reversed node order under
#: ``settings.all_oneway`` (``osmnx.graph._add_paths``: exact, case-sensitive match)
_OSMNX_TURNED = frozenset({"-1", "reverse", "T"})


def _first(value: Any) -> Any:
    """osmnx keeps a list where simplification merged ways with different tags."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def network_from_graph(
    graph: Any,
    *,
    mode: str = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    min_component_share: float = 0.5,
) -> Network:
    """Convert a networkx/osmnx graph (nodes with ``x``/``y`` lon/lat) into a Network.

    A graph :meth:`Network.to_networkx <geo.network.graph.Network.to_networkx>` made (or
    its GraphML) is read back exactly as it was exported
    (:func:`geo.network.graph.from_exported_graph`); the rest of this applies to graphs
    of OSM ways, such as osmnx builds.

    Edges carrying *raw* OSM tags (``oneway`` a tag value or absent) get the rules of
    :mod:`geo.network.rules`, as OSM files do: each edge is read as a piece of its way in
    the way's node order. osmnx graphs built with ``osmnx.settings.all_oneway = True``
    are such graphs (:func:`download_network` and :func:`network_from_xml` build them so);
    the node order osmnx turns round under that setting (``oneway`` = ``-1``,
    ``reverse``, ``T``) is turned back. Edges whose ``oneway`` is a bool carry osmnx's own
    decision (its default): they are taken as the graph has them, each two-way street's
    second direction folded into one two-way segment, and the report says so.

    Edges without ``highway`` are left out (and reported); ``maxspeed`` is honoured and a
    ``geometry`` LineString (simplified osmnx graphs) becomes a chain of segments. Where
    simplification merged roads of different tags into one edge (osmnx then keeps
    lists), the first value is used: simplify with ``edge_attrs_differ`` set to the
    profile's tags to avoid that.
    """
    if is_exported_graph(graph):
        return from_exported_graph(graph, mode)
    osmnx_made = str(graph.graph.get("created_with", "")).startswith("OSMnx")
    ways = OsmWays()
    xs = {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    seen: set[tuple[Any, Any, Any]] = set()
    decided = 0
    for u, v, k, d in _edges(graph):
        # edges without a highway class (railways in osmnx's XML graphs) are no roads:
        # they pass through as unusable and are counted in the report
        tags = {t: str(_first(d[t])) for t in OSM_TAGS if d.get(t) is not None}
        geom = d.get("geometry")
        coords = list(geom.coords) if geom is not None else [xs[u], xs[v]]
        ow = _first(d.get("oneway"))
        if isinstance(ow, bool | np.bool_):  # osmnx's decision: one edge, one direction
            decided += 1
            if (v, u, k) in seen and not ow:
                continue  # the other direction of a two-way street already added
            seen.add((u, v, k))
            tags["oneway"] = "yes" if ow else "no"
        elif osmnx_made and ow in _OSMNX_TURNED:  # back to the way's own node order
            u, v, coords = v, u, coords[::-1]
        ids = [_node_id(u)] + [-(len(ways.node_ref) + i + 1) for i in range(len(coords) - 2)]
        ids.append(_node_id(v))
        osmid = _first(d.get("osmid"))
        ways.add(tags, [(i, c[0], c[1]) for i, c in zip(ids, coords, strict=True)],
                 int(osmid) if isinstance(osmid, int | np.integer) else -1)
    if len(ways) == 0:
        raise NetworkError("the graph has no edges")
    net = network_from_ways(ways, mode=mode, speeds_kmh=speeds_kmh,
                            min_component_share=min_component_share)
    if decided and mode == "drive":
        net.report.notes.append(
            f"{decided} graph edges carry osmnx's one-way decision, kept as the graph has "
            "it (osmnx reads oneway=T as reversed and implies one-way on roundabouts only); "
            "build the graph with osmnx.settings.all_oneway = True for geo's rules"
        )
    return net


def _edges(graph: Any) -> list[tuple[Any, Any, Any, dict[str, Any]]]:
    if not graph.is_directed():
        raise NetworkError("the graph is undirected: give a directed (osmnx) graph")
    if graph.is_multigraph():
        return list(graph.edges(keys=True, data=True))
    return [(u, v, 0, d) for u, v, d in graph.edges(data=True)]


def _node_id(n: Any) -> int:
    try:
        return int(n)
    except (TypeError, ValueError) as e:
        raise NetworkError(f"node {n!r} is not an integer id: relabel the graph's nodes "
                           "with integers (networkx.convert_node_labels_to_integers)") from e


def is_osm_file(path: str | Path) -> bool:
    """Whether ``path`` names an OSM extract (by its suffixes: .osm.pbf, .pbf, .osm, ...)."""
    name = Path(path).name.lower()
    return name.endswith((".pbf", ".osm", ".osm.xml", ".osm.bz2", ".osm.gz", ".o5m"))


def network_from_file(path: str | Path, *, mode: str = "drive", **kw: Any) -> Network:
    """An OSM extract as a Network: PBF, o5m and XML (plain or compressed) all through
    pyosmium, so one reader and one set of rules serve every format."""
    return network_from_osm(path, mode=mode, **kw)


@contextmanager
def _osmnx_raw_tags() -> Iterator[Any]:
    """osmnx settings under which its graphs keep raw way tags: every way added once in
    its node order (``all_oneway``; ``oneway`` keeps its tag value) and the tags the rules
    read kept (``useful_tags_way``). Restored afterwards."""
    import osmnx as ox

    kept = ox.settings.useful_tags_way, ox.settings.all_oneway
    ox.settings.useful_tags_way = sorted(set(kept[0]) | set(OSM_TAGS))
    ox.settings.all_oneway = True
    try:
        yield ox
    finally:
        ox.settings.useful_tags_way, ox.settings.all_oneway = kept


def overpass_filter(mode: str, speeds_kmh: Mapping[str, float] | None = None) -> str:
    """The Overpass way filter of a download: every ``highway`` class with a speed for
    ``mode`` (service roads and tracks included, as a PBF of the area has them); access
    tags are left to :func:`geo.network.rules.usable`, as for files."""
    speeds = settings.default_speeds(mode)
    speeds.update({str(k): float(v) for k, v in (speeds_kmh or {}).items()})
    return f'["highway"~"^({"|".join(sorted(map(re.escape, speeds)))})$"]'


def _check_reachable(url: str) -> None:
    """Fail fast, with the fix, when the Overpass server cannot be reached (osmnx would
    wait a minute before its first try)."""
    import requests

    from geo.errors import DownloadError

    probe = url.rstrip("/") + "/status"
    try:
        requests.get(probe, timeout=settings.DOWNLOAD_CONNECT_TIMEOUT_S)
    except requests.RequestException as e:
        raise DownloadError(
            f"cannot reach the OSM download server {url} ({type(e).__name__}): "
            f"`geo network download` needs internet. {_OFFLINE_FIX}"
        ) from e


_OFFLINE_FIX = ("Without internet, build the network from an OSM extract instead: get "
                "guangxi-latest.osm.pbf from https://download.geofabrik.de/asia/china.html "
                "on a connected machine, then run `geo network build guangxi-latest.osm.pbf "
                "--out guangxi.npz` and name guangxi.npz as the study's [roads] path")


def download_network(polygon: Any, *, mode: str = "drive",
                     speeds_kmh: Mapping[str, float] | None = None, **kw: Any) -> Network:
    """Download the roads inside a WGS84 polygon with osmnx (needs internet).

    ``osmnx.graph_from_polygon``, unsimplified, with the ways of :func:`overpass_filter`
    and raw tags (:func:`network_from_graph`), so the download gives the network a PBF of
    the same ways gives. Without a connection it stops at once with
    :class:`~geo.errors.DownloadError`, which says how to build from an extract instead.
    """
    import requests

    from geo.errors import DownloadError

    with _osmnx_raw_tags() as ox:
        _check_reachable(ox.settings.overpass_url)
        try:
            g = ox.graph_from_polygon(polygon, custom_filter=overpass_filter(mode, speeds_kmh),
                                      simplify=False, retain_all=True)
        except requests.RequestException as e:
            raise DownloadError(f"the OSM download failed ({e}). Try again later, or: "
                                f"{_OFFLINE_FIX}") from e
        except ValueError as e:  # osmnx: no data in the polygon, or a bad response
            raise DownloadError(f"the OSM download gave no usable roads ({e}): check the "
                                "boundary covers roads (--buffer-km widens it)") from e
    return network_from_graph(g, mode=mode, speeds_kmh=speeds_kmh, **kw)


def network_from_xml(path: str | Path, *, mode: str = "drive", **kw: Any) -> Network:
    """Read an OSM XML file through ``osmnx.graph_from_xml`` (unsimplified, raw tags).

    An independent second reader of XML: :func:`network_from_file` reads XML with
    pyosmium; both apply :mod:`geo.network.rules` and give the same network.
    """
    p = input_file(path, "OSM XML file", "give the path to an .osm file")
    with _osmnx_raw_tags() as ox:
        try:
            g = ox.graph_from_xml(p, simplify=False, retain_all=True)
        except ValueError as e:
            raise InputFileError(f"osmnx could not read {p}: {e}. Ways that reference nodes "
                                 "missing from the file (a badly cut extract) stop osmnx; "
                                 "read the file with network_from_osm (pyosmium) instead") from e
    return network_from_graph(g, mode=mode, **kw)
