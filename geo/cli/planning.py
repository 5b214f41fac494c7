"""``geo site``, ``geo designate`` and ``geo compare``: parsers and printing."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

__all__ = ["add_parsers", "run_command"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the three planning subcommands to the ``geo`` parser."""
    s = sub.add_parser(
        "site", help="where should new facilities go? (MCLP, LSCP, p-median)",
        description="Choose new sites for one standard, existing facilities kept fixed. "
        "Writes siting.csv, siting_map.html and siting_summary.txt to --out.",
    )
    s.add_argument("study", type=Path)
    s.add_argument("--standard", required=True, help="standard name, e.g. primary_care_30min")
    s.add_argument("--add", type=int, default=3, metavar="P", help="new sites (mclp, pmedian)")
    s.add_argument("--model", choices=("mclp", "lscp", "pmedian"), default="mclp")
    s.add_argument("--candidates", default="grid",
                   help="grid | nodes | seats | facilities | PATH of a point file (default grid)")
    s.add_argument("--spacing", type=float, default=2000.0,
                   help="grid spacing / node thinning in metres (default 2000)")
    s.add_argument("--max-road-m", type=float, default=None,
                   help="keep candidates within this distance of a road")
    s.add_argument("--minutes", type=float, default=None, help="threshold (default: standard's)")
    s.add_argument("--target", type=float, default=None, help="lscp target share (0-1)")
    s.add_argument("--method", choices=("exact", "heuristic"), default="exact",
                   help="exact (HiGHS, default) or heuristic (greedy + swap with a bound; "
                   "mclp and pmedian, for big instances)")
    s.add_argument("--time-limit", type=float, default=300.0, help="seconds (default 300)")
    s.add_argument("--capacity-col", default=None,
                   help="mclp with a candidate file: column of capacity units (e.g. beds)")
    s.add_argument("--people-per-unit", type=float, default=1.0,
                   help="people one capacity unit serves (e.g. 157 per bed = 6.35 beds per "
                   "1,000 residents)")
    s.add_argument("--out", type=Path, required=True)
    d = sub.add_parser(
        "designate", help="which existing facilities should take on a role?",
        description="Choose K facilities of --from-type to take on --role (e.g. ambulance "
        "base), maximising the population within --minutes of a base. Writes "
        "designation.csv, designation_summary.csv/.txt and designation_map.html.",
    )
    d.add_argument("study", type=Path)
    d.add_argument("--from-type", action="append", required=True, dest="from_types",
                   help="facility type to choose from (repeatable)")
    d.add_argument("--role", required=True, help="facility type of the role, e.g. ems_station")
    d.add_argument("--k", type=int, default=3)
    d.add_argument("--minutes", type=float, default=None)
    d.add_argument("--standard", default=None, help="default: first standard counting --role")
    d.add_argument("--out", type=Path, required=True)
    c = sub.add_parser(
        "compare", help="before/after a scenario, per township and standard",
        description="Apply a scenario (analysis/scenarios/NAME.toml beside the study, or a "
        "path) and write comparison_by_township.csv, comparison_changes.csv, "
        "comparison_map.html and comparison_summary.txt.",
    )
    c.add_argument("study", type=Path)
    c.add_argument("--scenario", required=True)
    c.add_argument("--out", type=Path, required=True)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) >= 1000 else f"{round(v, 6):g}"
    return str(v)


def _table(console: Console, frame: pd.DataFrame, title: str) -> None:
    t = Table(title=title)
    for col in frame.columns:
        t.add_column(str(col))
    for row in frame.itertuples(index=False):
        t.add_row(*[_fmt(v) for v in row])
    console.print(t)


def run_command(args: argparse.Namespace, console: Console) -> None:
    """Run one planning subcommand and print its answer."""
    from geo.outputs import planning as planning_outputs
    from geo.planning import sites as planning

    if args.command == "site":
        with console.status("siting"):
            run = planning.site(
                args.study, standard=args.standard, p=args.add, model=args.model,
                candidates=args.candidates, spacing_m=args.spacing, max_road_m=args.max_road_m,
                minutes=args.minutes, target_share=args.target, method=args.method,
                time_limit_s=args.time_limit, capacity_col=args.capacity_col,
                people_per_unit=args.people_per_unit,
            )
            planning_outputs.write_siting(run, args.out)
        for line in planning_outputs.siting_lines(run)[:6]:
            console.print(line)
        _table(console, run.table, "Chosen sites")
    elif args.command == "designate":
        with console.status("designating"):
            drun = planning.designate(args.study, from_types=args.from_types, role=args.role,
                                      k=args.k, minutes=args.minutes, standard=args.standard)
            planning_outputs.write_designation(drun, args.out)
        _table(console, drun.table, f"{args.role}: chosen facilities")
        _table(console, drun.summary, "Population within reach of a base")
    else:
        from geo.planning.compare import compare

        with console.status("comparing"):
            comp = compare(args.study, args.scenario)
            planning_outputs.write_comparison(comp, args.out)
        for n in comp.applied.notes:
            console.print(f"• {n}")
        _table(console, comp.applied.changes[["project", "action", "id", "detail"]],
               "Changes applied")
        t = comp.table
        cols = ["township", "standard", "covered_population_before", "covered_population_after",
                "covered_population_change", "covered_share_after", "median_minutes_change"]
        _table(console, t.loc[t["covered_population_change"].fillna(0) != 0, cols].rename(
            columns=lambda c: c.replace("covered_population", "pop").replace(
                "median_minutes", "median_min")), "Townships and standards that change")
    console.print(f"Wrote to {args.out}")
