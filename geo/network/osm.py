"""OpenStreetMap road sources: PBF and XML extracts, online downloads, networkx graphs.

Every source ends in the same :class:`~geo.network.graph.Network` as a road line layer, with
the same speed table (:func:`geo.settings.default_speeds`, OSM ``maxspeed`` wins when
driving) and the same component rule (largest strongly connected part kept, the rest
reported). Unlike a simplified line layer, OSM ways meet at shared nodes, so no gap
closing or crossing detection is done: a junction is a node two ways share, and a bridge
that crosses a road without a shared node does not meet it.

Profiles (which ways a mode may use), following the OSM wiki and osmnx's filters:

* ``drive``: ``highway`` classes with a drive speed; not ``area=yes``; not
  ``access``/``motor_vehicle``/``motorcar`` = ``no``/``private``; not
  ``service`` = parking, parking_aisle, driveway, private or emergency_access. One-way:
  ``oneway`` = yes/true/1 (forward) or -1/reverse, ``junction`` = roundabout/circular
  and ``highway`` = motorway imply forward unless ``oneway=no``.
* ``walk``: classes with a walk speed (footways, paths, steps and pedestrian streets
  included, motorways excluded); not ``foot``/``access`` = no/private; one-way ignored.

PBF files are read with pyosmium (libosmium: streaming, C++ tag filter, a node-location
index), so a province extract is read without loading it whole into pandas. Ways cut at
the edge of an extract keep their parts whose nodes have locations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj

from geo import settings
from geo.crs import utm_crs_for
from geo.errors import InputFileError, NetworkError
from geo.network.graph import Network, NetworkReport, keep_largest_component
from geo.network.rules import parse_maxspeed

__all__ = [
    "OsmWays",
    "download_network",
    "is_osm_file",
    "network_from_file",
    "network_from_graph",
    "network_from_osm",
    "network_from_ways",
    "network_from_xml",
    "read_osm_ways",
]

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_YES = {"yes", "true", "1"}
_REVERSE = {"-1", "reverse"}
_NO_ACCESS = {"no", "private"}
_NO_DRIVE_SERVICE = {"parking", "parking_aisle", "driveway", "private", "emergency_access"}
_TAGS = ("highway", "oneway", "junction", "maxspeed", "access", "motor_vehicle", "motorcar",
         "foot", "service", "area")


@dataclass
class OsmWays:
    """Highway ways of an extract: tags per way, node ids and lon/lat per way node."""

    tags: list[dict[str, str]] = field(default_factory=list)
    way_ptr: list[int] = field(default_factory=lambda: [0])
    node_ref: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.tags)

    def add(self, tags: dict[str, str], refs: Iterable[tuple[int, float, float]]) -> None:
        n = 0
        for ref, x, y in refs:
            self.node_ref.append(ref)
            self.lon.append(x)
            self.lat.append(y)
            n += 1
        if n >= 2:
            self.tags.append(tags)
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

    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"OSM file {p} not found: give the path to an .osm.pbf or .osm file")
    ways = OsmWays()
    try:
        fp = (osmium.FileProcessor(str(p), osmium.osm.NODE | osmium.osm.WAY)
              .with_locations()  # runs before the filters: every node's location is kept
              .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
              .with_filter(osmium.filter.KeyFilter("highway")))
        for w in fp:
            assert isinstance(w, osmium.osm.Way)  # the entity filter passes ways only
            tags = {k: w.tags[k] for k in _TAGS if k in w.tags}
            piece: list[tuple[int, float, float]] = []
            for nd in w.nodes:
                loc = nd.location
                if loc.valid():
                    piece.append((nd.ref, loc.lon, loc.lat))
                else:  # outside the extract: end this piece
                    ways.add(tags, piece)
                    piece = []
            ways.add(tags, piece)
    except RuntimeError as e:
        raise InputFileError(f"{p} could not be read as OSM data: {e}") from e
    if len(ways) == 0:
        raise InputFileError(f"{p} holds no highway ways: is it an OSM extract with roads?")
    log.info("%s: %d highway ways, %d way nodes", p.name, len(ways), len(ways.node_ref))
    return ways


def _usable(tags: Mapping[str, str], mode: str, speeds: Mapping[str, float]) -> bool:
    hw = tags.get("highway", "")
    if hw not in speeds or tags.get("area") == "yes":
        return False
    if tags.get("access") in _NO_ACCESS:
        return False
    if mode == "drive":
        if tags.get("motor_vehicle") in _NO_ACCESS or tags.get("motorcar") in _NO_ACCESS:
            return False
        return tags.get("service") not in _NO_DRIVE_SERVICE
    return tags.get("foot") not in _NO_ACCESS


def _oneway(tags: Mapping[str, str]) -> int:
    """+1 forward only, -1 backward only, 0 both ways (driving)."""
    ow = tags.get("oneway", "").strip().lower()
    if ow in _YES:
        return 1
    if ow in _REVERSE:
        return -1
    if ow == "no":
        return 0
    roundabout = tags.get("junction") in ("roundabout", "circular")
    return 1 if roundabout or tags.get("highway") == "motorway" else 0


def network_from_ways(
    ways: OsmWays,
    *,
    mode: str = "drive",
    speeds_kmh: Mapping[str, float] | None = None,
    crs: pyproj.CRS | None = None,
    min_component_share: float = 0.5,
) -> Network:
    """Build a :class:`Network` from OSM ways: every way node a node, junctions shared."""
    speeds = settings.default_speeds(mode)
    speeds.update({str(k): float(v) for k, v in (speeds_kmh or {}).items()})
    report = NetworkReport(lines_read=len(ways), source="osm")
    use = np.array([_usable(t, mode, speeds) for t in ways.tags], dtype=bool)
    skipped: dict[str, int] = {}
    for t, ok in zip(ways.tags, use, strict=True):
        if not ok:
            skipped[t.get("highway", "")] = skipped.get(t.get("highway", ""), 0) + 1
    report.lines_class_skipped, report.classes_skipped = int((~use).sum()), skipped
    if not use.any():
        raise NetworkError(f"no OSM way is usable for {mode!r} travel: check the extract "
                           "covers roads and the speed table has their highway classes")
    kmh = np.array([speeds.get(t.get("highway", ""), np.nan) for t in ways.tags])
    if mode == "drive":
        ms = np.array([parse_maxspeed(t.get("maxspeed")) for t in ways.tags])
        has = np.isfinite(ms) & (ms > 0) & use
        kmh[has] = ms[has]
        report.maxspeed_used = int(has.sum())
        direction = np.array([_oneway(t) for t in ways.tags], dtype=np.int64)
    else:
        direction = np.zeros(len(ways), dtype=np.int64)
    report.oneway_lines = int(((direction != 0) & use).sum())
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
        "The extract may be cut badly or hold islands; lower [roads] min_component_share "
        "(geo network build: --min-component-share) to accept it",
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

    Edges without ``highway`` are left out (and reported); ``oneway`` and ``maxspeed`` are
    honoured as for OSM files and a ``geometry`` LineString (simplified osmnx graphs)
    becomes a chain of segments. Where simplification merged roads of different tags into
    one edge (osmnx then keeps lists), the first value is used: simplify with
    ``edge_attrs_differ`` set to the profile's tags to avoid that. An osmnx graph holds
    each two-way street twice, once per direction: both become one two-way segment.
    """
    ways = OsmWays()
    xs = {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    seen: set[tuple[Any, Any, Any]] = set()
    for u, v, k, d in _edges(graph):
        if (v, u, k) in seen and not _is_oneway_edge(d):
            continue  # the other direction of a two-way street already added
        seen.add((u, v, k))
        # edges without a highway class (railways in osmnx's XML graphs) are no roads:
        # they pass through as unusable and are counted in the report
        tags = {t: str(_first(d[t])) for t in _TAGS if d.get(t) is not None}
        # the graph's edges already say which ways can be driven: one edge, one way
        tags["oneway"] = "yes" if _is_oneway_edge(d) else "no"
        geom = d.get("geometry")
        coords = list(geom.coords) if geom is not None else [xs[u], xs[v]]
        ids = [_node_id(u)] + [-(len(ways.node_ref) + i + 1) for i in range(len(coords) - 2)]
        ids.append(_node_id(v))
        ways.add(tags, [(i, c[0], c[1]) for i, c in zip(ids, coords, strict=True)])
    if len(ways) == 0:
        raise NetworkError("the graph has no edges")
    return network_from_ways(ways, mode=mode, speeds_kmh=speeds_kmh,
                             min_component_share=min_component_share)


def _edges(graph: Any) -> list[tuple[Any, Any, Any, dict[str, Any]]]:
    if not graph.is_directed():
        raise NetworkError("the graph is undirected: give a directed (osmnx) graph")
    if graph.is_multigraph():
        return list(graph.edges(keys=True, data=True))
    return [(u, v, 0, d) for u, v, d in graph.edges(data=True)]


def _is_oneway_edge(d: Mapping[str, Any]) -> bool:
    """osmnx marks edges of one-way streets ``oneway=True``."""
    ow = _first(d.get("oneway"))
    return ow is True or str(ow).lower() in _YES


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
    """An OSM extract as a Network: PBF/o5m through pyosmium, XML through osmnx."""
    name = Path(path).name.lower()
    if name.endswith((".pbf", ".o5m")):
        return network_from_osm(path, mode=mode, **kw)
    return network_from_xml(path, mode=mode, **kw)


def download_network(polygon: Any, *, mode: str = "drive", **kw: Any) -> Network:
    """Download the roads inside a WGS84 polygon with osmnx (needs internet).

    Uses ``osmnx.graph_from_polygon`` with its ``drive``/``walk`` filter, unsimplified, then
    the same profile and speeds as OSM files.
    """
    import osmnx as ox

    g = ox.graph_from_polygon(polygon, network_type=mode, simplify=False, retain_all=True)
    return network_from_graph(g, mode=mode, **kw)


def network_from_xml(path: str | Path, *, mode: str = "drive", **kw: Any) -> Network:
    """Read an OSM XML file through ``osmnx.graph_from_xml`` (unsimplified)."""
    import osmnx as ox

    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"OSM XML file {p} not found")
    kept = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(kept) | set(_TAGS))  # the profile's tags too
    try:
        g = ox.graph_from_xml(p, simplify=False, retain_all=True)
    except ValueError as e:
        raise InputFileError(f"osmnx could not read {p}: {e}. Ways that reference nodes "
                             "missing from the file (a badly cut extract) stop osmnx; "
                             "read the file with network_from_osm (pyosmium) instead") from e
    finally:
        ox.settings.useful_tags_way = kept
    return network_from_graph(g, mode=mode, **kw)
