"""The ``geo`` command: run studies and the embedded Luzhai demo.

Library code logs; this module prints (rich).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from geo import __version__, _cli_planning
from geo.errors import GeoError

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
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
        "results.gpkg, map.html and run_summary.txt to --out (all or nothing).",
    )
    run.add_argument("study", type=Path, help="study file (TOML), e.g. analysis/luzhai.toml")
    run.add_argument("--out", type=Path, required=True, help="output folder")
    demo = sub.add_parser(
        "demo", help="run the embedded Luzhai County study",
        description=f"Run {DEMO_STUDY.relative_to(ROOT)} (embedded data, offline).",
    )
    demo.add_argument("--out", type=Path, default=DEMO_OUT,
                      help=f"output folder (default {DEMO_OUT.relative_to(ROOT)})")
    _cli_planning.add_parsers(sub)
    return p


def _print_result(console: Console, result: object, out: Path) -> None:
    from geo.outputs import OUTPUT_FILES
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
