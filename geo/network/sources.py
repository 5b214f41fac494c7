"""A road source to one network per travel mode: the one place every caller goes through.

A source is a network cache (``.npz`` from ``geo network build``), an OpenStreetMap
extract (``.osm.pbf``, ``.osm``), a road line layer (GeoJSON, GeoPackage, Shapefile with
a ``highway`` column) or an online download for an area (osmnx; needs internet). Studies,
``geo network build`` and scenarios that add roads all build their networks here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo import readers, settings
from geo._files import input_file, lexists
from geo.errors import (
    Arg,
    CoordinateError,
    Hint,
    InputFileError,
    NetworkError,
    QueryError,
    StudyError,
)
from geo.network.cache import load_networks, recorded_source
from geo.network.graph import Network
from geo.network.lines import build_network
from geo.network.osm import download_network, is_osm_file, network_from_file
from geo.network.road_classes import with_highway
from geo.readers.files import VECTOR_FOLDERS

__all__ = ["MODES", "SOURCE_KINDS", "UNKNOWN_CLASSES", "RoadOptions", "download_networks",
           "networks_from_lines", "networks_from_source"]

MODES = ("drive", "walk")
#: what a road source may be, as messages say it
SOURCE_KINDS = ("an OSM extract (.osm.pbf, .osm), a network cache (.npz, from geo network "
                "build) or a road line layer (.geojson, .gpkg, .shp)")

#: what a line layer's road classes without a speed do: stop the build, or are left out
UNKNOWN_CLASSES = ("error", "skip")


@dataclass(frozen=True)
class RoadOptions:
    """How a line layer is read and noded (OSM extracts and caches use what applies)."""

    layer: str | None = None
    crs: str | None = None
    encoding: str | None = None
    class_col: str | None = None
    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    snap_tolerance_m: float = settings.SNAP_TOLERANCE_M
    include_construction: bool = False
    unknown_classes: str = "error"
    node_crossings: bool = True
    min_component_share: float = settings.MIN_COMPONENT_SHARE

    def __post_init__(self) -> None:
        if not 0 <= self.min_component_share <= 1:
            raise NetworkError(Arg("RoadOptions", "min_component_share",
                                   self.min_component_share), ": give a share from 0 to 1")
        if not self.snap_tolerance_m >= 0:
            raise NetworkError(Arg("RoadOptions", "snap_tolerance_m", self.snap_tolerance_m),
                               ": give metres, 0 or more")
        if self.unknown_classes not in UNKNOWN_CLASSES:
            raise NetworkError(Arg("RoadOptions", "unknown_classes", self.unknown_classes),
                               f": use {' or '.join(map(repr, UNKNOWN_CLASSES))}")


def _modes(modes: Iterable[str], func: str = "networks_from_source") -> list[str]:
    if isinstance(modes, str):
        modes = [modes]
    out = sorted(set(modes))
    bad = [m for m in out if m not in MODES]
    if bad or not out:
        raise QueryError(Arg(func, "modes", out), f": {bad or 'no mode'} "
                         f"{'is' if len(bad) <= 1 else 'are'} not a travel mode: use "
                         f"{' and/or '.join(MODES)}")
    return out


def networks_from_source(
    path: str | os.PathLike[str], modes: Iterable[str], options: RoadOptions | None = None,
    extra_roads: gpd.GeoDataFrame | None = None,
) -> dict[str, Network]:
    """One :class:`Network` per mode from the road source at ``path``.

    ``extra_roads`` (WGS84 lines with ``highway`` and optional ``oneway``/``maxspeed``:
    a scenario's new roads) are noded into a line layer before the build; a cache or an
    OSM extract cannot take them (:class:`StudyError` says what to do).

    Examples
    --------
    The embedded Luzhai backbone, a road line layer (path relative to the project's folder):

    >>> import geo
    >>> nets = geo.networks_from_source("data/roads/luzhai_backbone.geojson", ["drive", "walk"])
    >>> sorted(nets)
    ['drive', 'walk']
    >>> nets["drive"].report.lines()[0]
    '1370 road lines read; network of 1497 nodes, 2463 segments, 2,573 km'
    """
    o = options or RoadOptions()
    if not isinstance(o, RoadOptions):
        raise QueryError(Arg("networks_from_source", "options", Hint(type(o).__name__)),
                         ": give a geo.network.sources.RoadOptions")
    p = Path(path)
    wanted = _modes(modes)
    if not lexists(p):
        raise InputFileError(Arg("networks_from_source", "path", str(path)),
                             f": no such file: give a road source, {SOURCE_KINDS}")
    p = input_file(p, "road source", f"give a road source, {SOURCE_KINDS}",
                   folders=VECTOR_FOLDERS)
    adding = extra_roads is not None and len(extra_roads) > 0
    if adding and (p.suffix == ".npz" or is_osm_file(p)):
        raise StudyError(
            "the scenario adds roads, but the roads come from ",
            Arg("networks_from_source", "path", p.name), ", a network cache or OSM extract "
            "that new lines cannot be noded into: give a road line layer (a cache, or a cache "
            "built from the extract, becomes one with `geo network export CACHE --out "
            "roads.gpkg`) to add roads")
    _check_applies(p, o)
    if p.suffix == ".npz":
        return load_networks(p, wanted)
    if is_osm_file(p):
        return {m: network_from_file(p, mode=m, speeds_kmh=_speeds(o, m),
                                     min_component_share=o.min_component_share)
                for m in wanted}
    roads = readers.read_roads(p, layer=o.layer, crs=o.crs, encoding=o.encoding)
    read_notes = readers.input_notes(roads)  # before new roads join (attrs go)
    roads, class_notes = with_highway(roads, o.class_col)
    if adding:
        assert extra_roads is not None
        extra, _ = with_highway(extra_roads, None)  # a scenario's 乡道 as the layer's
        roads = pd.concat([roads, extra.to_crs(roads.crs)], ignore_index=True)
    return _build(roads, wanted, o, [*read_notes, *class_notes])


def networks_from_lines(roads: gpd.GeoDataFrame, modes: Iterable[str],
                        options: RoadOptions | None = None) -> dict[str, Network]:
    """One :class:`Network` per mode from road lines in memory, as a line layer's.

    ``roads``: a GeoDataFrame of (Multi)LineStrings with a coordinate system and a column
    of road classes (``highway``, or a Chinese one: :mod:`geo.network.road_classes`);
    ``options`` as for :func:`networks_from_source` (its file options aside).
    """
    o = options or RoadOptions()
    wanted = _modes(modes, "networks_from_lines")
    if roads.crs is None:
        raise CoordinateError(Arg("networks_from_lines", "roads"), ": the road lines have no "
                              "coordinate system: set it, e.g. roads.set_crs(4326)")
    lines = roads.explode(index_parts=False, ignore_index=True)  # parts of MultiLineStrings
    lines, class_notes = with_highway(lines, o.class_col)
    return _build(lines, wanted, o, class_notes)


def _build(roads: gpd.GeoDataFrame, modes: list[str], o: RoadOptions,
           notes: list[str]) -> dict[str, Network]:
    nets = {
        m: build_network(
            roads, mode=m, speeds_kmh=_speeds(o, m), snap_tolerance_m=o.snap_tolerance_m,
            include_construction=o.include_construction, unknown_classes=o.unknown_classes,
            node_crossings=o.node_crossings, min_component_share=o.min_component_share)
        for m in modes
    }
    for net in nets.values():
        net.report.notes = list(notes)
    return nets


#: the options each kind of source reads (a line layer reads them all)
_APPLIES = {"cache": (), "osm": ("speeds_kmh", "min_component_share")}


def _check_applies(p: Path, o: RoadOptions) -> None:
    """Options a network cache or an OSM extract does not read stop the run: given, they
    would change nothing, and the outputs would rest on what the user did not ask for."""
    kind = "cache" if p.suffix == ".npz" else "osm" if is_osm_file(p) else None
    if kind is None:
        return
    default = RoadOptions()
    given = [f.name for f in fields(RoadOptions) if f.name not in _APPLIES[kind]
             and getattr(o, f.name) != getattr(default, f.name)]
    if not given:
        return
    names = ", ".join(f"[roads] {g}" for g in given)
    if kind == "cache":
        raise StudyError(
            f"{names} {'has' if len(given) == 1 else 'have'} no effect on {p.name}, a network "
            "cache: its roads, speeds and junctions were fixed when it was built. Set [roads] "
            "path to the road layer or OSM extract it was built from, so that they apply "
            f"({_recorded(p)}), or remove them")
    raise StudyError(
        f"{names} {'does' if len(given) == 1 else 'do'} not apply to {p.name}, an OSM extract "
        "(its ways are joined where they share nodes, roads under construction are left "
        "out, and its classes are OSM's): remove them, or export the roads as a line layer "
        "and set [roads] path to it")


def _recorded(p: Path) -> str:
    src = recorded_source(p)
    return f"this one was built from {src}" if src else "this one does not record it"


def _speeds(o: RoadOptions, mode: str) -> dict[str, float] | None:
    """The study's speed table changes driving speeds only (walking is one speed)."""
    return dict(o.speeds_kmh) if mode == "drive" and o.speeds_kmh else None


def download_networks(polygon: Any, modes: Iterable[str], **kw: Any) -> dict[str, Network]:
    """One network per mode downloaded through osmnx for a WGS84 polygon (needs internet)."""
    return {m: download_network(polygon, mode=m, **kw) for m in _modes(modes)}
