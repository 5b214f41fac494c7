"""Write siting, designation and comparison outputs.

They are written all or nothing (:func:`geo.outputs.folder.write_atomically`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.errors import Arg, given_as
from geo.numbers import people_text, share_text
from geo.outputs.folder import OUT_DIR, write_atomically
from geo.outputs.map.coverage import save_map
from geo.outputs.map.planning import change_map, criticality_map, siting_map
from geo.outputs.pdf import print_pdf
from geo.outputs.planning_gpkg import write_comparison_gpkg, write_siting_gpkg
from geo.outputs.planning_report import comparison_report, criticality_report, siting_report
from geo.outputs.planning_xlsx import (
    write_comparison_xlsx,
    write_criticality_xlsx,
    write_designation_xlsx,
    write_siting_xlsx,
)
from geo.outputs.tables import write_csv

if TYPE_CHECKING:
    from geo.planning.compare import Comparison
    from geo.planning.resilience import Criticality
    from geo.planning.sites import DesignationRun, SitingRun

__all__ = ["COMPARISON_FILES", "CRITICALITY_FILES", "DESIGNATION_FILES", "SITING_FILES",
           "criticality_lines", "write_comparison", "write_criticality", "write_designation",
           "write_siting"]


#: what each planning command writes (the CLI checks the folder for these before computing)
SITING_FILES = ("siting.csv", "siting.xlsx", "siting.gpkg", "siting_map.html", "report.html",
                "siting_summary.txt")
DESIGNATION_FILES = ("designation.csv", "designation_summary.csv", "designation.xlsx",
                     "designation.gpkg", "designation_map.html", "report.html",
                     "designation_summary.txt")
CRITICALITY_FILES = ("criticality.csv", "criticality.xlsx", "criticality.gpkg",
                     "criticality_map.html", "report.html", "criticality_summary.txt",
                     "criticality_fixes.csv")
COMPARISON_FILES = ("comparison_by_township.csv", "comparison_changes.csv", "comparison.xlsx",
                    "comparison.gpkg", "comparison_map.html", "report.html",
                    "comparison_summary.txt")


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(frame, path)


def _text(lines: list[str], path: Path) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def siting_lines(run: SitingRun) -> list[str]:
    """Return plain-text account of a siting or designation answer."""
    r = run.result
    obj = {"mclp": "newly covered population", "lscp": "new sites",
           "pmedian": "population-weighted seconds"}[r.model]
    lines = [
        f"# {r.model.upper()}: {run.standard.name} ({run.standard.label}), within "
        f"{run.minutes:g} min, {run.standard.mode}, {run.standard.direction}",
        "",
        f"- objective ({obj}): {r.objective:,.1f}; best bound {r.bound:,.1f}; gap {r.gap:.4%}",
        f"- status: {r.status}; method: {r.method}; {r.seconds:.2f} s to solve",
        f"- covered by existing facilities: {people_text(r.base_covered)} of "
        f"{people_text(r.total)} people",
    ]
    if len(r.chosen):
        after = r.base_covered + r.newly_covered.sum()
        lines.append(f"- after the {len(r.chosen)} new sites: {people_text(after)} people "
                     f"({share_text(after / r.total if r.total else float('nan'), None, 2)}); "
                     f"{people_text(r.total - after)} people still beyond {run.minutes:g} min")
    lines += ["", "## Sites", run.table.to_string(index=False), "", "## Notes"]
    lines += [f"- {n}" for n in run.notes]
    lines += ["", "## Assumptions"] + [f"- {a}" for a in run.study.assumptions]
    return lines


def _with_pdf(files: dict[str, Callable[[Path], object]], pdf: bool
              ) -> dict[str, Callable[[Path], object]]:
    if pdf:
        files["report.pdf"] = lambda p: print_pdf(p.parent / "report.html", p)
    return files


def write_siting(run: SitingRun, out_dir: Path, pdf: bool = False) -> list[Path]:
    """Write a siting's outputs: ``siting.csv``, ``siting.xlsx``, ``siting.gpkg``, the map.

    The map is ``siting_map.html``; then come ``report.html`` and ``siting_summary.txt`` (``pdf``:
    also ``report.pdf``).
    """
    title = run.study.study.title
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_siting", "out_dir")}):
        return write_atomically(out_dir, _with_pdf({
            "siting.csv": lambda p: _csv(run.table, p),
            "siting.xlsx": lambda p: write_siting_xlsx(run, p),
            "siting.gpkg": lambda p: write_siting_gpkg(run, p),
            "siting_map.html": lambda p: _save(siting_map(run, title), p),
            "report.html": lambda p: _page(siting_report(run, designation=False), p),
            "siting_summary.txt": lambda p: _text(siting_lines(run), p),
        }, pdf), inputs=run.study.study.input_files())


def write_designation(run: DesignationRun, out_dir: Path, pdf: bool = False) -> list[Path]:
    """Write a designation's outputs.

    They are ``designation.csv``, ``designation_summary.csv``, ``designation.xlsx``,
    ``designation.gpkg``, map, report and text summary (``pdf``: also ``report.pdf``).
    """
    title = run.study.study.title
    lines = [*siting_lines(run), "", "## Population within reach of a base (before -> after)",
             run.summary.to_string(index=False)]
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_designation", "out_dir")}):
        return write_atomically(out_dir, _with_pdf({
            "designation.csv": lambda p: _csv(run.table, p),
            "designation_summary.csv": lambda p: _csv(run.summary, p),
            "designation.xlsx": lambda p: write_designation_xlsx(run, p),
            "designation.gpkg": lambda p: write_siting_gpkg(run, p),
            "designation_map.html": lambda p: _save(siting_map(run, title), p),
            "report.html": lambda p: _page(siting_report(run, designation=True), p),
            "designation_summary.txt": lambda p: _text(lines, p),
        }, pdf), inputs=run.study.study.input_files())


def write_comparison(comp: Comparison, out_dir: Path, pdf: bool = False) -> list[Path]:
    """Write a comparison's outputs.

    They are ``comparison_by_township.csv``, ``comparison_changes.csv``, ``comparison.xlsx``,
    ``comparison.gpkg``, map, report and summary (``pdf``: also ``report.pdf``).
    """
    title = comp.study.study.title
    table = comp.table.copy()
    table["basis"] = "; ".join(comp.notes)
    lines = [f"# Scenario {comp.scenario.name}: {comp.scenario.title}", "",
             comp.scenario.description, "", "## Changes applied",
             comp.applied.changes.to_string(index=False), "", "## Notes"]
    lines += [f"- {n}" for n in comp.notes]
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_comparison", "out_dir")}):
        return write_atomically(out_dir, _with_pdf({
            "comparison_by_township.csv": lambda p: _csv(table, p),
            "comparison_changes.csv": lambda p: _csv(comp.applied.changes, p),
            "comparison.xlsx": lambda p: write_comparison_xlsx(comp, p),
            "comparison.gpkg": lambda p: write_comparison_gpkg(comp, p),
            "comparison_map.html": lambda p: _save(change_map(comp, title), p),
            "report.html": lambda p: _page(comparison_report(comp), p),
            "comparison_summary.txt": lambda p: _text(lines, p),
        }, pdf), inputs={**comp.study.study.input_files(), "scenario": comp.scenario.path})


def _page(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


def criticality_lines(run: Criticality, top: int = 15) -> list[str]:
    """Plain-text account of a road criticality ranking."""
    std, t = run.standard, run.table
    lost = t[t["people_lost"] > 0]
    lines = [f"# Road criticality: {std.name} ({std.label}), within {run.minutes:g} min, "
             f"{std.mode}, {std.direction}", "",
             f"- {len(t)} road pieces, each cut alone in {run.seconds:.2f} s; {len(lost)} "
             "would leave someone outside the standard",
             f"- pieces that cut people off from every facility by road: "
             f"{int((t['people_cut_off'] > 0).sum())}", "", f"## The {top} most critical",
             t.head(top)[["rank", "road", "highway", "km", "people_lost",
                          "person_minutes_added", "people_cut_off", "townships_losing",
                          "worst_minutes_after", "detour_minutes"]].to_string(index=False),
             "", "## Notes"]
    if run.fixes is not None:
        fx = run.fixes.table
        lines[-1:-1] = [f"## Suggested links ({run.fixes.seconds:.1f} s)",
                        fx[["rank", "road", "people_lost", "people_restored", "link_km",
                            "link_minutes", "scenario"]].to_string(index=False), "",
                        "## Suggested facilities",
                        fx[["rank", "road", "people_lost", "site_people_restored",
                            "site_type", "site_lon", "site_lat", "site_scenario"]].to_string(
                                index=False), ""]
        lines += [f"- {n}" for n in run.fixes.notes]
    return lines + [f"- {n}" for n in run.notes]


def _gpkg(run: Criticality, path: Path) -> None:
    """``criticality.gpkg``: the pieces as lines with their row.

    Styled by the people lost (:mod:`geo.outputs.gpkg`); the notes and assumptions once, in its
    metadata.
    """
    import datetime as dt

    from geo.outputs import gis_styles, i18n
    from geo.outputs.gpkg import About, GisLayer, write_gpkg
    from geo.outputs.planning_tables import named_roads

    layer = named_roads(run.lines, run.study.study.language)
    layer["detour_minutes"] = layer["detour_minutes"].replace(float("inf"), float("nan"))
    s, lang = run.study.study, run.study.study.language
    cols = [c for c in layer.columns if c != layer.geometry.name]
    title = i18n.text("criticality_line", lang, label=i18n.standard_label(
        run.standard.label, run.standard.label_zh, lang), code=run.standard.name,
        minutes=f"{run.minutes:g}")
    write_gpkg(path, [GisLayer("criticality", layer, title, "; ".join(run.notes[:5]),
                               [("people_lost", gis_styles.criticality_style(cols, lang))])],
               About(s.name, s.title, lang, list(dict.fromkeys(run.notes)),
                     created=dt.date.today().isoformat()))


def write_criticality(run: Criticality, out_dir: Path) -> list[Path]:
    """Write the resilience ranking's files into ``out_dir``.

    ``criticality.csv``, ``criticality.xlsx``, ``criticality.gpkg`` (layer ``criticality``:
    the pieces as lines with their row), ``criticality_map.html``, ``report.html`` (the
    pieces that carry the standard, in the study's language) and ``criticality_summary.txt``.
    """
    title = run.study.study.title
    table = run.table.copy()
    table["basis"] = "; ".join(run.notes[:5])
    extra: dict[str, Any] = {}
    if run.fixes is not None:  # suggested links (geo.planning.fixes) and their scenarios
        fixes = run.fixes.table.copy()
        fixes["basis"] = run.fixes.notes[0]
        extra["criticality_fixes.csv"] = lambda p: _csv(fixes, p)
        for name, text in run.fixes.scenarios.items():
            extra[name] = lambda p, text=text: _page(text, p)
    with given_as({(OUT_DIR.func, OUT_DIR.name): Arg("write_criticality", "out_dir")}):
        return write_atomically(out_dir, {
            **extra,
            "criticality.csv": lambda p: _csv(table, p),
            "criticality.xlsx": lambda p: write_criticality_xlsx(run, p),
            "criticality.gpkg": lambda p: _gpkg(run, p),
            "criticality_map.html": lambda p: _save(criticality_map(run, title), p),
            "report.html": lambda p: _page(criticality_report(run), p),
            "criticality_summary.txt": lambda p: _text(criticality_lines(run), p),
        })


def _save(m: object, path: Path) -> None:
    save_map(m, path)  # type: ignore[arg-type]
