"""``geo network build|download`` and ``geo isochrones``: the routing engine from the CLI."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
from rich.console import Console

from geo._atomic import atomic_path
from geo.errors import InputFileError, StudyError
from geo.network.cache import cache_source, save_networks
from geo.network.graph import Network
from geo.network.lines import build_network
from geo.network.osm import is_osm_file, network_from_file

__all__ = ["run_isochrones", "run_network_build"]

_MODES = ("drive", "walk")


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    bad = sorted(set(modes) - set(_MODES))
    if bad or not modes:
        raise StudyError(f"--modes {text!r}: use a comma-separated list of {list(_MODES)}")
    return modes


def build_from_source(source: Path, modes: list[str]) -> dict[str, Network]:
    """Networks for ``modes`` from an OSM extract or a road line layer."""
    if not source.is_file():
        raise InputFileError(f"road source {source} not found")
    if is_osm_file(source):
        return {m: network_from_file(source, mode=m) for m in modes}
    from geo import io

    roads = io.read_roads(source)
    return {m: build_network(roads, mode=m) for m in modes}


def download_area(boundary: Path, buffer_km: float, modes: list[str]) -> dict[str, Network]:
    """Networks for ``modes`` downloaded through osmnx for a buffered study area."""
    from geo import io
    from geo.crs import utm_crs_for
    from geo.network.osm import download_network

    area = io.read_boundaries(boundary)
    c = area.union_all().centroid
    metric = utm_crs_for(c.x, c.y)
    poly = area.to_crs(metric).union_all().buffer(buffer_km * 1000.0)
    wgs = gpd.GeoSeries([poly], crs=metric).to_crs(4326).iloc[0]
    return {m: download_network(wgs, mode=m) for m in modes}


def run_network_build(args: argparse.Namespace, console: Console) -> int:
    modes = _modes(args.modes)
    t0 = time.perf_counter()
    if args.network_command == "download":
        nets = download_area(args.boundary, args.buffer_km, modes)
        source: dict[str, object] = {"osmnx_download": str(args.boundary.resolve()),
                                     "buffer_km": args.buffer_km}
    else:
        nets = build_from_source(args.source, modes)
        source = dict(cache_source(args.source))
    built = time.perf_counter() - t0
    save_networks(args.out, nets, {**source, "modes": modes})
    for mode, net in nets.items():
        console.print(f"[bold]{mode}[/bold]: " + "; ".join(net.report.lines()))
    size = args.out.stat().st_size / 1e6
    console.print(f"built in {built:.2f} s; wrote {args.out} ({size:.1f} MB)")
    return 0


def run_isochrones(args: argparse.Namespace, console: Console) -> int:
    from geo.routing.isochrones import isochrones
    from geo.study import load_facilities_and_networks, snap_facilities

    study, fac, nets = load_facilities_and_networks(args.study, {args.mode})
    if args.ftype:
        fac = fac[fac["type"] == args.ftype]
        if fac.empty:
            raise StudyError(f"no facility of type {args.ftype!r} in the study: types are "
                             f"{sorted(set(fac['type']))}")
    net = nets[args.mode]
    iso = isochrones(
        net, snap_facilities(study, net, fac), args.minutes,
        access_speed_kmh=study.access_kmh(args.mode), direction=args.direction,
        max_leg_m=args.max_leg_m, ids=list(fac["id"]),
    )
    iso = iso.merge(fac[["id", "name", "type"]], left_on="facility", right_on="id").drop(
        columns="id")
    out = Path(args.out)
    with atomic_path(out, ".gpkg") as tmp:
        iso.to_file(tmp, layer="isochrones", driver="GPKG")
    console.print(f"{len(iso)} isochrones ({len(fac)} facilities x {len(args.minutes)} "
                  f"thresholds, {args.mode}, {args.direction}) written to {out}")
    return 0
