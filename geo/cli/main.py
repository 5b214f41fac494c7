"""The ``geo`` command: run studies and the embedded Luzhai demo.

Library code logs; this module prints (rich).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from geo import __version__
from geo.cli import planning as _cli_planning
from geo.errors import GeoError

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
DEMO_STUDY = ROOT / "analysis" / "luzhai.toml"
DEMO_OUT = ROOT / "maps" / "luzhai"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="geo",
        description="Travel-time coverage of health facilities against planning standards.",
    )
    p.add_argument("--version", action="version", version=f"geo {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run a study file",
        description="Run STUDY.toml and write coverage_by_township.csv, coverage_summary.csv, "
        "results.gpkg, map.html, report.html, coverage.xlsx, figures/ (PNG) and run_summary.txt "
        "to --out (all or nothing).",
    )
    run.add_argument("study", type=Path, help="study file (TOML), e.g. analysis/luzhai.toml")
    run.add_argument("--out", type=Path, required=True, help="output folder")
    demo = sub.add_parser(
        "demo", help="run the embedded Luzhai County study",
        description=f"Run {DEMO_STUDY.relative_to(ROOT)} (embedded data, offline).",
    )
    demo.add_argument("--out", type=Path, default=DEMO_OUT,
                      help=f"output folder (default {DEMO_OUT.relative_to(ROOT)})")
    redraw = sub.add_parser(
        "map", help="redraw the map from a saved results.gpkg (no recomputing)",
        description="Draw the interactive map of one standard from the results.gpkg of an "
        "earlier run, without recomputing anything. The file is written atomically: on error "
        "an existing map stays as it was.",
    )
    redraw.add_argument("results", type=Path, help="results.gpkg written by `geo run`")
    redraw.add_argument("--standard", help="standard whose coverage colours the townships "
                        "(default: the study's map_standard)")
    redraw.add_argument("--out", type=Path, required=True, help="map file to write (.html)")
    redraw.add_argument("--language", choices=("zh", "en"),
                        help="label language (default: the study's)")
    _network_parsers(sub)
    _cli_planning.add_parsers(sub)
    return p


def _network_parsers(sub: Any) -> None:
    net = sub.add_parser("network", help="build and inspect road network caches")
    nsub = net.add_subparsers(dest="network_command", required=True)
    build = nsub.add_parser(
        "build", help="build a network cache from a road source",
        description="Read SOURCE (an OSM extract .osm.pbf/.osm, or a road line layer "
        ".geojson/.gpkg/.shp with a 'highway' column), build the routable network for each "
        "mode and save it as one .npz cache that studies name as their [roads] path.",
    )
    build.add_argument("source", type=Path, help="OSM extract or road line layer")
    build.add_argument("--out", type=Path, required=True, help="cache file to write (.npz)")
    build.add_argument("--modes", default="drive,walk",
                       help="comma-separated travel modes (default drive,walk)")
    down = nsub.add_parser(
        "download", help="download OSM roads for a study area with osmnx (needs internet)",
        description="Download the roads inside BOUNDARY (any vector file; buffered by "
        "--buffer-km so that trips may leave the area and come back) from OpenStreetMap "
        "through osmnx.graph_from_polygon, and save them as a network cache (.npz).",
    )
    down.add_argument("boundary", type=Path, help="study-area boundary (GeoJSON, GPKG, ...)")
    down.add_argument("--buffer-km", type=float, default=10.0,
                      help="margin around the area (default 10 km)")
    down.add_argument("--out", type=Path, required=True, help="cache file to write (.npz)")
    down.add_argument("--modes", default="drive,walk",
                      help="comma-separated travel modes (default drive,walk)")
    iso = sub.add_parser(
        "isochrones", help="isochrone polygons per facility",
        description="For every facility of the study (or of --type), the area within each "
        "threshold by road plus access legs, written as a GeoPackage layer 'isochrones'.",
    )
    iso.add_argument("study", type=Path, help="study file (TOML)")
    iso.add_argument("--minutes", type=float, nargs="+", default=[15.0, 30.0, 60.0],
                     help="thresholds (default 15 30 60)")
    iso.add_argument("--type", dest="ftype", help="only facilities of this type")
    iso.add_argument("--mode", default="drive", choices=["drive", "walk"])
    iso.add_argument("--direction", default="from_facility",
                     choices=["from_facility", "to_facility"])
    iso.add_argument("--max-leg-m", type=float, default=None,
                     help="longest straight access leg drawn (default: no cap)")
    iso.add_argument("--out", type=Path, required=True, help="GeoPackage to write")


def _redraw(console: Console, args: argparse.Namespace) -> int:
    from geo.outputs.study import redraw_map

    try:
        path = redraw_map(args.results, args.out, args.standard, args.language)
    except GeoError as e:
        console.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
        return 2
    console.print(f"Wrote {path}")
    return 0


def _print_result(console: Console, result: object, out: Path) -> None:
    from geo.outputs.study import OUTPUT_FILES
    from geo.study import StudyResult

    assert isinstance(result, StudyResult)
    console.print(f"[bold]{result.study.title}[/bold]")
    for fact in result.facts:
        console.print(f"  {fact}")
    console.print("[bold]Assumptions[/bold]")
    for a in result.assumptions:
        console.print(f"  • {a}")
    table = Table(title="Coverage by standard (study area)")
    for col in ("standard", "minutes", "covered", "target", "median min", "max min",
                "worst township", "failing"):
        table.add_column(col)
    for _, r in result.summary.iterrows():
        if r["note"]:
            table.add_row(str(r["standard"]), f"{r['minutes']:g}", "n/a", "", "", "",
                          "not applicable", "")
            continue
        table.add_row(
            str(r["standard"]), f"{r['minutes']:g}", f"{r['covered_share']:.1%}",
            f"{r['target_share']:.0%}", f"{r['median_minutes']:.1f}", f"{r['max_minutes']:.1f}",
            f"{r['worst_township']} ({r['worst_township_share']:.1%})",
            str(r["townships_failing"]),
        )
    console.print(table)
    console.print("Timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
    console.print(f"Wrote {', '.join(OUTPUT_FILES)} to {out}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``geo`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 120)
    if args.command == "map":
        return _redraw(console, args)
    if args.command in ("network", "isochrones"):
        from geo.cli.network import run_isochrones, run_network_build

        handler = run_network_build if args.command == "network" else run_isochrones
        try:
            return handler(args, console)
        except GeoError as e:
            console.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
            return 2
    if args.command in ("site", "designate", "compare"):
        try:
            _cli_planning.run_command(args, console)
        except GeoError as e:
            console.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
            return 2
        return 0
    study = DEMO_STUDY if args.command == "demo" else args.study
    from geo.study import run_study

    try:
        with console.status("running study") as status:
            result = run_study(study, args.out, progress=lambda s: status.update(s))
    except GeoError as e:
        console.print(f"[bold red]error:[/bold red] {e}", soft_wrap=True)
        return 2
    _print_result(console, result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
