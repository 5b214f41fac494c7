"""``geo check`` and ``geo init``: a study's inputs checked before any routing, and a study
file written from a folder of files."""

from __future__ import annotations

import argparse
from typing import Any

from geo.cli.args import output_path, path
from geo.cli.text import out, progress

__all__ = ["add_parsers", "run_check", "run_init"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], fmt: Any) -> None:
    """Add ``geo check`` and ``geo init`` to the ``geo`` parser."""
    c = sub.add_parser(
        "check", help="check a study's inputs in seconds, before any routing",
        formatter_class=fmt,
        description="Read STUDY's inputs, build its road network and run every input check "
        "that `geo run` makes (coordinate systems and encodings as read, counts, facilities "
        "by type and outside the area, township names across the files, population totals, "
        "township gaps and overlaps, road coverage of the area), without the travel-time "
        "searches. Prints a checklist (✓ ok, i note, ! warning or accepted stop, ✗ stop); "
        "exit code 2 when a check stops the run.",
    )
    c.add_argument("study", type=path, help="study file (TOML)")
    i = sub.add_parser(
        "init", help="write a study file for a folder of input files",
        formatter_class=fmt,
        description="Look through FOLDER (and its subfolders, 3 levels deep) for the "
        "facility table, township boundaries or seats, the population table, the road source "
        "and an area boundary; detect coordinate systems and text encodings; write an "
        "annotated study file (comments in Chinese and English) for `geo check`.",
    )
    i.add_argument("folder", type=path, help="folder holding the input files")
    i.add_argument("--out", type=output_path(".toml"), default=None, metavar="FILE",
                   help="study file to write (default: FOLDER/study.toml)")
    i.add_argument("--force", action="store_true",
                   help="overwrite the study file if it exists")


def run_check(args: argparse.Namespace) -> int:
    """``geo check``: the checklist; 0 without stops, 2 with."""
    from geo.study.prepare import check_study

    report = check_study(args.study, progress=progress)
    out(f"Input checks of {args.study}")
    for c in report.checks:
        out(c.line)
    if report.notes:
        out("How the inputs were read")
        for n in report.notes:
            out(f"  - {n}")
    stops = report.stops
    warns = sum(c.status == "warn" or c.accepted for c in report.checks)
    if stops:
        out(f"{len(stops)} check(s) stop the run, {warns} warning(s): fix them (each line says "
            "how) before `geo run`")
        return 2
    out(f"no check stops the run ({warns} warning(s), stated in the outputs): "
        f"geo run {args.study} --out DIR")
    return 0


def run_init(args: argparse.Namespace) -> int:
    """``geo init``: scan the folder, write the study file, say what was found."""
    from geo.study.scan import init_study

    path, scan = init_study(args.folder, args.out, force=args.force)
    for role in ("facilities", "townships", "seats", "area", "population", "roads"):
        best = scan.best(role)
        others = len(scan.found.get(role, [])) - 1
        if best is not None:
            more = f" (and {others} other candidate(s))" if others > 0 else ""
            out(f"{role}: {best.path}{more}")
            for _, en in best.notes:
                out(f"  - {en}")
    for p, why in scan.skipped:
        out(f"skipped {p}: {why}")
    out(f"Wrote {path}: check its comments, then run: geo check {path}")
    return 0
