"""Write siting, designation and comparison outputs, all or nothing
(:func:`geo.outputs.folder.write_atomically`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo.errors import Arg, given_as
from geo.outputs.folder import OUT_DIR, write_atomically
from geo.outputs.map.coverage import save_map
from geo.outputs.map.planning import change_map, siting_map
from geo.outputs.planning_xlsx import (
    write_comparison_xlsx,
    write_designation_xlsx,
    write_siting_xlsx,
)
from geo.outputs.tables import write_csv

if TYPE_CHECKING:
    from geo.planning.compare import Comparison
    from geo.planning.sites import DesignationRun, SitingRun

__all__ = ["COMPARISON_FILES", "DESIGNATION_FILES", "SITING_FILES", "write_comparison",
           "write_designation", "write_siting"]


#: what each planning command writes (the CLI checks the folder for these before computing)
SITING_FILES = ("siting.csv", "siting.xlsx", "siting_map.html", "siting_summary.txt")
DESIGNATION_FILES = ("designation.csv", "designation_summary.csv", "designation.xlsx",
                     "designation_map.html", "designation_summary.txt")
COMPARISON_FILES = ("comparison_by_township.csv", "comparison_changes.csv", "comparison.xlsx",
                    "comparison_map.html", "comparison_summary.txt")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(frame, path)


def _text(lines: list[str], path: Path) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def siting_lines(run: SitingRun) -> list[str]:
    """Plain-text account of a siting or designation answer."""
    r = run.result
    obj = {"mclp": "newly covered population", "lscp": "new sites",
           "pmedian": "population-weighted seconds"}[r.model]
    lines = [
        f"# {r.model.upper()}: {run.standard.name} ({run.standard.label}), within "
        f"{run.minutes:g} min, {run.standard.mode}, {run.standard.direction}",
        "",
        f"- objective ({obj}): {r.objective:,.1f}; best bound {r.bound:,.1f}; gap {r.gap:.4%}",
        f"- status: {r.status}; method: {r.method}; {r.seconds:.2f} s to solve",
        f"- covered by existing facilities: {r.base_covered:,.0f} of {r.total:,.0f} people",
    ]
    if len(r.chosen):
        lines.append(f"- after the {len(r.chosen)} new sites: "
                     f"{r.base_covered + r.newly_covered.sum():,.0f} people "
                     f"({r.covered_share[-1]:.2%})")
    lines += ["", "## Sites", run.table.to_string(index=False), "", "## Notes"]
    lines += [f"- {n}" for n in run.notes]
    lines += ["", "## Assumptions"] + [f"- {a}" for a in run.study.assumptions]
    return lines


def write_siting(run: SitingRun, out_dir: Path) -> list[Path]:
    """``siting.csv``, ``siting.xlsx``, ``siting_map.html`` and ``siting_summary.txt``."""
    title = run.study.study.title
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_siting", "out_dir")}):
        return write_atomically(out_dir, {
            "siting.csv": lambda p: _csv(run.table, p),
            "siting.xlsx": lambda p: write_siting_xlsx(run, p),
            "siting_map.html": lambda p: _save(siting_map(run, title), p),
            "siting_summary.txt": lambda p: _text(siting_lines(run), p),
        })


def write_designation(run: DesignationRun, out_dir: Path) -> list[Path]:
    """``designation.csv``, ``designation_summary.csv``, ``designation.xlsx``, map and text
    summary."""
    title = run.study.study.title
    lines = [*siting_lines(run), "", "## Population within reach of a base (before -> after)",
             run.summary.to_string(index=False)]
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_designation", "out_dir")}):
        return write_atomically(out_dir, {
            "designation.csv": lambda p: _csv(run.table, p),
            "designation_summary.csv": lambda p: _csv(run.summary, p),
            "designation.xlsx": lambda p: write_designation_xlsx(run, p),
            "designation_map.html": lambda p: _save(siting_map(run, title), p),
            "designation_summary.txt": lambda p: _text(lines, p),
        })


def write_comparison(comp: Comparison, out_dir: Path) -> list[Path]:
    """``comparison_by_township.csv``, ``comparison_changes.csv``, ``comparison.xlsx``, map
    and summary."""
    title = comp.study.study.title
    table = comp.table.copy()
    table["basis"] = "; ".join(comp.notes)
    lines = [f"# Scenario {comp.scenario.name}: {comp.scenario.title}", "",
             comp.scenario.description, "", "## Changes applied",
             comp.applied.changes.to_string(index=False), "", "## Notes"]
    lines += [f"- {n}" for n in comp.notes]
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_comparison", "out_dir")}):
        return write_atomically(out_dir, {
            "comparison_by_township.csv": lambda p: _csv(table, p),
            "comparison_changes.csv": lambda p: _csv(comp.applied.changes, p),
            "comparison.xlsx": lambda p: write_comparison_xlsx(comp, p),
            "comparison_map.html": lambda p: _save(change_map(comp, title), p),
            "comparison_summary.txt": lambda p: _text(lines, p),
        })


def _save(m: object, path: Path) -> None:
    save_map(m, path)  # type: ignore[arg-type]
