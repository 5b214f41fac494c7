"""``geo network build|download`` and ``geo isochrones``: the routing engine from the CLI."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from geo import settings
from geo.cli.args import non_negative, output_path, path, positive
from geo.cli.text import out, output_file
from geo.errors import StudyError

__all__ = ["add_parsers", "run_isochrones", "run_network"]

_MODES = ("drive", "walk")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], fmt: Any) -> None:
    """``geo network build``, ``geo network download`` and ``geo isochrones``."""
    net = sub.add_parser("network", help="build road network caches", formatter_class=fmt,
                         description="Build a road network cache (.npz) that study files "
                         "name as their [roads] path, from a local road source or an online "
                         "download.")
    nsub = net.add_subparsers(dest="network_command", required=True, metavar="ACTION")
    build = nsub.add_parser(
        "build", help="build a network cache from a road source", formatter_class=fmt,
        description="Read SOURCE (an OSM extract .osm.pbf/.osm, or a road line layer "
        ".geojson/.gpkg/.shp with a column of road classes), build the routable network for "
        "each mode and save it as one .npz cache that studies name as their [roads] path.",
    )
    build.add_argument("source", type=path, help="OSM extract or road line layer")
    build.add_argument("--class-col", default=None, metavar="COLUMN",
                       help="line layer: the column of road classes (default: highway, else "
                       "fclass, else a Chinese column such as 道路等级; 国道, 省道, 县道, ... "
                       "are read as OSM classes)")
    _common(build)
    export = nsub.add_parser(
        "export", help="write a network cache's roads as a line layer", formatter_class=fmt,
        description="Write the roads of CACHE (a .npz from `geo network build` or `geo "
        "network download`) as a line layer (GeoPackage, GeoJSON or Shapefile by the "
        "extension of --out) with highway, oneway and maxspeed, one line per segment: a "
        "study whose [roads] path names it can take a scenario's add_road, which a cache "
        "cannot.",
    )
    export.add_argument("cache", type=Path, help="network cache (.npz)")
    export.add_argument("--out", type=Path, required=True,
                        help="line layer to write (.gpkg, .geojson or .shp)")
    export.add_argument("--mode", default="drive", choices=_MODES,
                        help="which of the cache's networks to write")
    down = nsub.add_parser(
        "download", help="download OSM roads for a study area with osmnx (needs internet)",
        formatter_class=fmt,
        description="Download the roads inside BOUNDARY (any vector file; buffered by "
        "--buffer-km so that trips may leave the area and come back) from OpenStreetMap "
        "through osmnx.graph_from_polygon, and save them as a network cache (.npz).",
    )
    down.add_argument("boundary", type=path, help="study-area boundary (GeoJSON, GPKG, ...)")
    down.add_argument("--buffer-km", type=non_negative("km"), default=10.0, metavar="KM",
                      help="margin around the area (km)")
    _common(down)
    iso = sub.add_parser(
        "isochrones", help="isochrone polygons per facility", formatter_class=fmt,
        description="For every facility of the study (or of --type), the area within each "
        "threshold by road plus access legs, written as a GeoPackage layer 'isochrones'.",
    )
    iso.add_argument("study", type=path, help="study file (TOML)")
    iso.add_argument("--minutes", type=positive("minutes"), nargs="+", default=[15.0, 30.0, 60.0],
                     help="thresholds in minutes")
    iso.add_argument("--type", dest="ftype", metavar="TYPE",
                     help="only facilities of this type (default: all)")
    iso.add_argument("--mode", default="drive", choices=_MODES, help="travel mode")
    iso.add_argument("--direction", default="from_facility",
                     choices=["from_facility", "to_facility"], help="direction of travel")
    iso.add_argument("--max-leg-m", type=positive("metres"), default=None, metavar="METRES",
                     help="longest straight access leg drawn, metres (default: no cap)")
    iso.add_argument("--out", type=output_path(".gpkg"), required=True, metavar="FILE",
                     help="GeoPackage to write")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=output_path(".npz"), required=True, metavar="FILE",
                   help="cache file to write (.npz)")
    p.add_argument("--modes", default="drive,walk", metavar="MODES",
                   help="comma-separated travel modes")
    p.add_argument("--min-component-share", type=float, default=settings.MIN_COMPONENT_SHARE,
                   metavar="SHARE",
                   help="stop when the largest connected part of a network holds less than "
                   "this share of the road length")


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = sorted(set(modes) - set(_MODES))
    if bad or not modes:
        raise StudyError(f"--modes {text!r}: use a comma-separated list of "
                         f"{' and '.join(_MODES)}, e.g. --modes drive,walk")
    return modes


_LAYER_SUFFIXES = (".gpkg", ".geojson", ".shp")


def _export(args: argparse.Namespace) -> int:
    """``geo network export``: the cache's roads as a line layer."""
    from geo._atomic import atomic_path
    from geo.network.cache import load_networks
    from geo.network.export import APART_M, SAME_JUNCTIONS, network_lines

    if args.cache.suffix.lower() != ".npz":
        raise StudyError(f"{args.cache} is not a network cache (.npz): export writes a cache "
                         "as lines; a road layer or OSM extract is one already (to make a "
                         f"cache of it: geo network build {args.cache} --out "
                         f"{args.cache.with_suffix('.npz').name})")
    suffix = args.out.suffix.lower()
    if suffix not in _LAYER_SUFFIXES:
        raise StudyError(f"--out {args.out}: give a line layer ending in "
                         f"{', '.join(_LAYER_SUFFIXES)}")
    if args.out.resolve() == args.cache.resolve():
        raise StudyError(f"--out {args.out} is the cache itself: name another file")
    net = load_networks(args.cache, [args.mode])[args.mode]
    lines = network_lines(net)
    with atomic_path(args.out, suffix) as tmp:
        lines.to_file(tmp, layer="roads" if suffix == ".gpkg" else None, engine="pyogrio")
        if suffix == ".shp":  # the sidecar files move with the .shp
            for part in tmp.parent.glob(f"{tmp.stem}.*"):
                if part != tmp:
                    part.replace(args.out.with_suffix(part.suffix))
    fast = int((lines["maxspeed"] > settings.MAX_MAXSPEED_KMH).sum())
    out(f"wrote {args.out}: {len(lines):,} lines ({args.mode} network of {args.cache.name}: "
        f"{net.n_nodes:,} nodes, {len(net.seg_u):,} segments); maxspeed on "
        f"{int(lines['maxspeed'].notna().sum()):,} lines whose speed is not their class's")
    if lines.attrs.get("moved_nodes"):
        out(f"{lines.attrs['moved_nodes']} nodes that share a position with another without "
            f"a junction (a road over another) are drawn {APART_M * 100:g} cm apart, so that "
            "they stay apart when the layer is read")
    options = ", ".join(f"{k} = {str(v).lower()}" for k, v in SAME_JUNCTIONS.items())
    out(f"its lines meet only at their ends: to route on it as on the cache, set [roads] "
        f"path = \"{args.out.name}\" with {options} in the study file")
    if fast:
        out(f"note: {fast} lines are faster than {settings.MAX_MAXSPEED_KMH:g} km/h, a "
            "maxspeed a rebuilt network does not use (it takes their class's speed)")
    return 0


def run_network(args: argparse.Namespace) -> int:
    """``geo network build|download|export``."""
    if args.network_command == "export":
        return _export(args)
    import geopandas as gpd

    from geo import readers
    from geo.crs import utm_crs_for
    from geo.network.cache import cache_source, save_networks
    from geo.network.sources import RoadOptions, download_networks, networks_from_source
    from geo.routing import hierarchy

    modes = _modes(args.modes)
    if not 0 <= args.min_component_share <= 1:
        raise StudyError(f"--min-component-share {args.min_component_share:g}: give a share "
                         "between 0 and 1")
    source = args.boundary if args.network_command == "download" else args.source
    output_file(args.out, {"boundary" if args.network_command == "download" else "road source":
                           source})
    t0 = time.perf_counter()
    if args.network_command == "download":
        area = readers.read_boundaries(args.boundary)
        c = area.union_all().centroid
        metric = utm_crs_for(c.x, c.y)
        poly = area.to_crs(metric).union_all().buffer(args.buffer_km * 1000.0)
        wgs = gpd.GeoSeries([poly], crs=metric).to_crs(4326).iloc[0]
        nets = download_networks(wgs, modes, min_component_share=args.min_component_share)
        made: dict[str, object] = {"osmnx_download": str(args.boundary.resolve()),
                                   "buffer_km": args.buffer_km}
    else:
        nets = networks_from_source(
            args.source, modes, RoadOptions(min_component_share=args.min_component_share,
                                            class_col=args.class_col))
        made = dict(cache_source(args.source))
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    for net in nets.values():  # saved with the network: OD queries on it need no contraction
        hierarchy.build(net)  # on every core
    contracted = time.perf_counter() - t0
    save_networks(args.out, nets, {**made, "modes": modes})
    for mode, net in nets.items():
        out(f"{mode}: " + "; ".join(net.report.lines()))
    size = args.out.stat().st_size / 1e6
    out(f"built in {built:.2f} s, contraction hierarchies in {contracted:.2f} s; wrote "
        f"{args.out} ({size:.1f} MB)")
    return 0


def run_isochrones(args: argparse.Namespace) -> int:
    """``geo isochrones``: the study's facilities, their isochrones (:func:`geo.isochrones`)
    into a GeoPackage."""
    from geo._atomic import atomic_path
    from geo.routing.frames import isochrones
    from geo.study import inputs
    from geo.study.schema import load_study

    study = load_study(args.study)
    output_file(args.out, study.input_files())
    fac = inputs.facilities(study, inputs.area(study), inputs.standards(study))
    if args.ftype:
        types = sorted(set(fac["type"]))
        fac = fac[fac["type"] == args.ftype]
        if fac.empty:
            raise StudyError(f"--type {args.ftype!r}: no facility of that type in the study; "
                             f"its types are {', '.join(types)}")
    iso = isochrones(inputs.networks(study, {args.mode}), fac[["id", "name", "type", "geometry"]],
                     args.minutes, mode=args.mode, direction=args.direction,
                     max_leg_m=args.max_leg_m, access_speed_kmh=study.access_kmh(args.mode),
                     snap_exclude=study.access.snap_exclude)
    with atomic_path(Path(args.out), ".gpkg") as tmp:
        iso.to_file(tmp, layer="isochrones", driver="GPKG")
    out(f"{len(iso)} isochrones ({len(fac)} facilities x {len(args.minutes)} thresholds, "
        f"{args.mode}, {args.direction}) written to {args.out}")
    return 0
