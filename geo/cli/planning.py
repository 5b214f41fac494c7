"""``geo site``, ``geo designate`` and ``geo compare``.

Parsers, the computed study they start from, and printing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo import settings
from geo.cli.args import add_pdf, at_least_one, non_negative, path, positive, share
from geo.cli.text import frame_table, out, output_folder, progress
from geo.errors import InputFileError, StudyError

if TYPE_CHECKING:
    from geo.study.run import ComputedStudy

__all__ = ["add_parsers", "computed_study", "run_compare", "run_designate", "run_resilience",
           "run_site", "study_inputs"]

_STUDY_HELP = ("study file (TOML), computed afresh; or the output folder (or results.gpkg) "
               "of an earlier `geo run` of it, reused without recomputing")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], fmt: Any) -> None:
    """Add the three planning subcommands to the ``geo`` parser."""
    s = sub.add_parser(
        "site", help="where should new facilities go? (MCLP, LSCP, p-median)",
        formatter_class=fmt,
        description="Choose new sites for one standard, existing facilities kept fixed. "
        "Writes siting.csv, siting.xlsx, siting_map.html, report.html and siting_summary.txt "
        "to --out.",
    )
    s.add_argument("study", type=path, help=_STUDY_HELP)
    s.add_argument("--standard", required=True, metavar="NAME",
                   help="standard name, e.g. primary_care_30min")
    s.add_argument("--add", type=at_least_one, default=None, metavar="P",
                   help="number of new sites (mclp, pmedian; default 3; lscp finds its own "
                   "number)")
    s.add_argument("--model", choices=("mclp", "lscp", "pmedian"), default="mclp",
                   help="mclp: most people newly covered; lscp: fewest sites reaching the "
                   "target; pmedian: least population-weighted minutes")
    s.add_argument("--candidates", default="grid", metavar="SOURCE",
                   help="grid | nodes | seats | facilities | PATH of a point file")
    s.add_argument("--spacing", type=positive("metres"), default=settings.CANDIDATE_SPACING_M,
                   metavar="METRES",
                   help="grid spacing / node thinning of candidates, metres")
    s.add_argument("--max-road-m", type=non_negative("metres"), default=None, metavar="METRES",
                   help="keep candidates within this distance of a road, metres "
                   "(default: no limit)")
    s.add_argument("--minutes", type=positive("minutes"), default=None, metavar="T",
                   help="threshold in minutes (default: the standard's)")
    s.add_argument("--target", type=share, default=None, metavar="SHARE",
                   help="lscp target share 0-1 (default: the standard's target_share)")
    s.add_argument("--method", choices=("exact", "heuristic"), default="exact",
                   help="exact (HiGHS) or heuristic (greedy + swap with a bound; mclp and "
                   "pmedian, for big instances)")
    s.add_argument("--time-limit", type=positive("seconds"), default=settings.SOLVER_TIME_LIMIT_S,
                   metavar="S",
                   help="seconds for the exact solver, or for the heuristic's swaps; on the "
                   "limit the best solution, bound and gap are reported")
    s.add_argument("--capacity-col", default=None, metavar="COLUMN",
                   help="mclp with a candidate file: column of capacity units, e.g. beds "
                   "(default: no capacity)")
    s.add_argument("--people-per-unit", type=positive("people"), default=None, metavar="PEOPLE",
                   help="people one capacity unit serves (e.g. 157 per bed = 6.35 beds per "
                   "1,000 residents)")
    s.add_argument("--group", default=None, metavar="NAME",
                   help="weigh demand by a population group of the study ([population] "
                        "groups, e.g. elderly_65): reach the most people of that group")
    s.add_argument("--out", type=path, required=True, metavar="DIR", help="output folder")
    add_pdf(s)
    d = sub.add_parser(
        "designate", help="which existing facilities should take on a role?",
        formatter_class=fmt,
        description="Choose K facilities of --from-type to take on --role (e.g. ambulance "
        "base), maximising the population within --minutes of a base. Writes "
        "designation.csv, designation.xlsx, designation_summary.csv/.txt, "
        "designation_map.html and report.html.",
    )
    d.add_argument("study", type=path, help=_STUDY_HELP)
    d.add_argument("--from-type", action="append", required=True, dest="from_types",
                   metavar="TYPE", help="facility type to choose from (repeatable)")
    d.add_argument("--role", required=True, metavar="TYPE",
                   help="facility type of the role, e.g. ems_station")
    d.add_argument("--k", type=at_least_one, default=3,
                   help="number of facilities to designate")
    d.add_argument("--minutes", type=positive("minutes"), default=None, metavar="T",
                   help="threshold in minutes (default: the role's standard's)")
    d.add_argument("--standard", default=None, metavar="NAME",
                   help="standard of the role (default: the first standard counting --role)")
    d.add_argument("--time-limit", type=positive("seconds"), default=settings.SOLVER_TIME_LIMIT_S,
                   metavar="S",
                   help="seconds for the exact solver")
    d.add_argument("--out", type=path, required=True, metavar="DIR", help="output folder")
    add_pdf(d)
    c = sub.add_parser(
        "compare", help="before/after a scenario, per township and standard",
        formatter_class=fmt,
        description="Apply a scenario (analysis/scenarios/NAME.toml beside the study, or a "
        "path) and write comparison_by_township.csv, comparison_changes.csv, "
        "comparison.xlsx, comparison_map.html, report.html and comparison_summary.txt.",
    )
    c.add_argument("study", type=path, help=_STUDY_HELP)
    c.add_argument("--scenario", required=True, metavar="NAME|FILE",
                   help="scenario NAME (in scenarios/ beside the study file) or a .toml PATH")
    c.add_argument("--out", type=path, required=True, metavar="DIR", help="output folder")
    add_pdf(c)
    r = sub.add_parser(
        "resilience", help="which roads does a standard depend on? (each road piece cut alone)",
        formatter_class=fmt,
        description="Cut every road piece (a stretch between junctions) alone and rank the "
        "pieces by the people who lose --standard, with the added person-minutes, people "
        "cut off by road, townships, worst new time and detour between the piece's ends. "
        "Writes criticality.csv, criticality.xlsx, criticality.gpkg, criticality_map.html, "
        "report.html and criticality_summary.txt. With --hazard, closes the roads the "
        "hazard layers touch and writes the comparison files of geo compare instead (its "
        "map, GeoPackage and report also draw the hazard and the closed roads).",
    )
    r.add_argument("study", type=Path, help=_STUDY_HELP)
    r.add_argument("--standard", default=None,
                   help="rank the road pieces of this standard, e.g. emergency_1h")
    r.add_argument("--minutes", type=positive("minutes"), default=None,
                   help="threshold in minutes (default: the standard's)")
    r.add_argument("--hazard", type=Path, action="append", default=None, metavar="FILE",
                   help="instead of a ranking: close every road a hazard touches and compare "
                   "before and after, as geo compare writes it; a polygon layer (a flood "
                   "extent, landslide zones), a GeoTIFF with --threshold (a depth or "
                   "susceptibility raster) or a point layer or table with --hazard-buffer "
                   "(landslides); repeatable: the layers combine in one scenario")
    r.add_argument("--threshold", type=float, action="append", default=None, metavar="VALUE",
                   help="cells of a --hazard raster at or above VALUE are hazardous (e.g. "
                   "0.3 for a depth in metres); one value for every raster, or repeated: one "
                   "per raster in the order of the --hazard files")
    r.add_argument("--hazard-buffer", type=positive("metres"), default=None,
                   metavar="METRES", help="radius of the zone around each point of a --hazard "
                   "point layer (landslides); or a buffer_m column in the layer")
    r.add_argument("--hazard-crs", default=None,
                   help="coordinate system of hazard files that name none (wgs84, gcj02, "
                   "bd09, cgcs2000 or EPSG:NNNN)")
    r.add_argument("--fixes", type=int, default=5, metavar="N",
                   help="suggest a new road link and a new facility for each of the first N "
                   "pieces that cost people (0 to 20; 0: none): criticality_fixes.csv and "
                   "the scenarios fix_RANK.toml (link) and site_RANK.toml (facility) per "
                   "piece for geo compare")
    r.add_argument("--fix-km", type=positive("km"), default=5.0, metavar="KM",
                   help="the longest new link (straight line) a suggestion considers, and "
                   "how far from the people lost a new facility may stand")
    r.add_argument("--out", type=Path, required=True, help="output folder")


def _files(names: tuple[str, ...], args: argparse.Namespace) -> tuple[str, ...]:
    """Return the files a planning command writes; with --pdf, the printer checked first."""
    if not args.pdf:
        return names
    from geo.outputs.pdf import check_printer

    check_printer()  # before any computing
    return (*names, "report.pdf")


#: how a printed planning table writes its columns (geo.outputs.cells kinds)
_KINDS = {"newly_covered_population": "int", "cumulative_covered_share": "share",
          "population": "int", "covered_before": "int", "covered_after": "int",
          "newly_covered": "int", "share_before": "share", "share_after": "share",
          "pop_before": "int", "pop_after": "int", "pop_change": "dint",
          "covered_share_after": "share", "median_min_change": "dmin"}


def shown(frame: Any) -> Any:
    """Return ``frame`` with its numbers as the report and the workbook write them."""
    from geo.outputs import cells

    out = frame.copy()
    for col, kind in _KINDS.items():
        if col in out.columns:
            out[col] = [cells.text(v, kind, "en") for v in out[col]]
    return out


def computed_study(path: Path) -> ComputedStudy:
    """Return a study file computed afresh, or an earlier run's results reloaded."""
    from geo.outputs.reload import load_computed, results_file
    from geo.study.run import run_study

    if path.suffix.lower() == ".toml":
        return run_study(path, progress=progress)
    if path.is_dir() or path.suffix.lower() == ".gpkg":
        progress(f"reload {results_file(path)}")
        return load_computed(path)
    raise InputFileError(f"{path}: give a study file (.toml) or the output folder or "
                         "results.gpkg of an earlier `geo run`")


def study_inputs(path: Path) -> dict[str, Path]:
    """Return the files a study argument names before it is read.

    A study file's inputs, or an earlier run's results.gpkg (the writers check its study's inputs
    once reloaded).
    """
    from geo.outputs.reload import results_file
    from geo.study.schema import load_study

    if path.suffix.lower() == ".toml":
        return load_study(path).input_files()
    return {"results": results_file(path)}
def _unused_site_flags(args: argparse.Namespace) -> None:
    """Return a flag the chosen model does not read stops: given, it would change nothing."""
    from geo.errors import SitingError

    lscp = args.model == "lscp"
    unused = [
        (lscp and args.add is not None, "--add", "lscp finds the fewest sites reaching "
         "--target itself: remove --add, or use --model mclp for a given number of sites"),
        (not lscp and args.target is not None, "--target", "it is the share --model lscp "
         "must reach: remove --target, or use --model lscp"),
        (lscp and args.method == "heuristic", "--method heuristic", "lscp is solved exactly "
         "(HiGHS): remove --method, or use --model mclp or pmedian"),
        (args.capacity_col is None and args.people_per_unit is not None, "--people-per-unit",
         "it scales the capacities of --capacity-col: give --capacity-col too, or remove it"),
    ]
    for given, flag, why in unused:
        if given:
            raise SitingError(f"{flag} does not apply to geo site --model {args.model}"
                              f"{' without --capacity-col' if flag == '--people-per-unit' else ''}"
                              f": {why}")


def run_site(args: argparse.Namespace) -> int:
    """Run ``geo site``."""
    from geo.outputs.planning import SITING_FILES, siting_lines, write_siting
    from geo.planning.sites import site

    _unused_site_flags(args)
    inputs = study_inputs(args.study)
    if Path(args.candidates).suffix:
        inputs["candidates"] = Path(args.candidates)
    with output_folder(args.out, _files(SITING_FILES, args), inputs):
        run = site(
            computed_study(args.study), standard=args.standard,
            p=3 if args.add is None else args.add, model=args.model,
            candidates=args.candidates, spacing_m=args.spacing, max_road_m=args.max_road_m,
            minutes=args.minutes, target_share=args.target, method=args.method,
            time_limit_s=args.time_limit, capacity_col=args.capacity_col,
            people_per_unit=1.0 if args.people_per_unit is None else args.people_per_unit,
            group=args.group,
        )
        write_siting(run, args.out, pdf=args.pdf)
    for line in siting_lines(run)[:6]:
        out(line)
    out(frame_table(shown(run.table), "Chosen sites"))
    out(f"Wrote to {args.out}")
    return 0


def run_designate(args: argparse.Namespace) -> int:
    """Run ``geo designate``."""
    from geo.outputs.planning import DESIGNATION_FILES, write_designation
    from geo.planning.sites import designate

    with output_folder(args.out, _files(DESIGNATION_FILES, args),
                       study_inputs(args.study)):
        run = designate(computed_study(args.study), from_types=args.from_types, role=args.role,
                        k=args.k, minutes=args.minutes, standard=args.standard,
                        time_limit_s=args.time_limit)
        write_designation(run, args.out, pdf=args.pdf)
    out(frame_table(shown(run.table), f"{args.role}: chosen facilities"))
    out(frame_table(shown(run.summary), "Population within reach of a base"))
    out(f"Wrote to {args.out}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    """Run ``geo compare``."""
    from geo.outputs.planning import COMPARISON_FILES, write_comparison
    from geo.planning.compare import compare
    from geo.planning.scenario import find_scenario

    inputs = study_inputs(args.study)
    if "study" in inputs:
        inputs["scenario"] = find_scenario(args.scenario, inputs["study"])
    with output_folder(args.out, _files(COMPARISON_FILES, args), inputs):
        comp = compare(computed_study(args.study), args.scenario)
        write_comparison(comp, args.out, pdf=args.pdf)
    for n in comp.applied.notes:
        out(f"- {n}")
    out(frame_table(comp.applied.changes[["project", "action", "id", "detail"]],
                    "Changes applied"))
    t = comp.table
    cols = ["township", "standard", "covered_population_before", "covered_population_after",
            "covered_population_change", "covered_share_after", "median_minutes_change"]
    flips = t["covered_population_before"].isna() != t["covered_population_after"].isna()
    changed = t.loc[(t["covered_population_change"].fillna(0) != 0) | flips, cols].rename(
        columns=lambda c: c.replace("covered_population", "pop").replace(
            "median_minutes", "median_min"))
    out(frame_table(shown(changed), "Townships and standards that change"))
    out(f"Wrote to {args.out}")
    return 0


def run_resilience(args: argparse.Namespace) -> int:
    """``geo resilience``."""
    from geo.outputs.planning import (
        COMPARISON_FILES,
        CRITICALITY_FILES,
        criticality_lines,
        write_comparison,
        write_criticality,
    )

    if (args.standard is None) == (args.hazard is None):
        raise StudyError("geo resilience: give --standard NAME (rank the roads a standard "
                         "depends on) or --hazard FILE (close the roads a hazard touches), "
                         "not both")
    if args.hazard is None and (args.threshold is not None or args.hazard_buffer is not None):
        flag = "--threshold" if args.threshold is not None else "--hazard-buffer"
        raise StudyError(f"geo resilience: {flag} applies to --hazard layers only: give "
                         "--hazard FILE, or remove it")
    if args.hazard is not None:
        from geo.planning.hazard import hazard_comparison

        with output_folder(args.out, COMPARISON_FILES):
            comp = hazard_comparison(computed_study(args.study), args.hazard, args.hazard_crs,
                                     args.threshold, args.hazard_buffer)
            write_comparison(comp, args.out)
        for n in comp.applied.notes:
            out(f"- {n}")
        out(frame_table(comp.applied.changes[["project", "action", "id", "detail"]],
                        "Roads closed"))
        out(f"Wrote to {args.out}")
        return 0
    from geo.planning.fixes import check_fix_options, suggest_links
    from geo.planning.resilience import criticality

    check_fix_options(args.fixes, args.fix_km)  # before any computing
    fix_files = tuple(f"{w}_{k}.toml" for k in range(1, args.fixes + 1) for w in ("fix", "site"))
    with output_folder(args.out, (*CRITICALITY_FILES, *fix_files)):
        run = criticality(computed_study(args.study), args.standard, minutes=args.minutes)
        if args.fixes:
            run.fixes = suggest_links(run, args.fixes, args.fix_km)
        write_criticality(run, args.out)
    for line in criticality_lines(run, top=10):
        out(line)
    out(f"Wrote to {args.out}")
    return 0
