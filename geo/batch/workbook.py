"""``batch.xlsx``: the coverage of every area (county), every township, and how each area ran.

Sheets, labelled in the template's language: ``汇总`` (one row per area and standard: the
area's population, covered people and share, target, pass/fail, the townships below target
and the worst-served one; failed and not-run areas listed with why), one sheet per standard
(area, township, population, covered population and share, target, status, median, 90th
percentile and worst minutes; townships below target in red, each area's whole-area row
bold), ``运行情况`` (status of every area, failed ones in red with their error) and the notes
and sources. Cells go through :mod:`geo.outputs.tables` (formula-injection safe) and
numbers through :mod:`geo.outputs.cells` (as the CSVs and the map show them); every sheet
is print-ready.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.coverage.tables import NONE_BELOW, worst_served
from geo.outputs import cells, i18n, tables
from geo.outputs.map.layers import missing
from geo.outputs.report import TABLE_COLUMNS, sources_sheet

if TYPE_CHECKING:
    from geo.batch.outcome import BatchRun

__all__ = ["AREA_COLUMNS", "county_rows", "write_workbook"]

#: (column, label key, kind) of the per-area summary (:func:`county_rows`)
AREA_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("area_name", "area", "text"),
    ("standard_label", "standard", "text"),
    ("population", "population", "int"),
    ("covered_population", "covered_population", "int"),
    ("covered_share", "covered_share", "share"),
    ("target_share", "target", "target"),
    ("meets_target", "status", "bool"),
    ("townships_failing", "failing", "text"),
    ("worst", "worst_township", "text"),
)
_RUN_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("area_id", "area_id", "text"), ("area_name", "area", "text"),
    ("status", "run_status", "text"), ("population", "population", "int"),
    ("townships", "townships_n", "text"), ("facilities_inside", "facilities_inside", "text"),
    ("seconds", "seconds", "min"), ("error", "error", "text"),
)


def _true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def county_rows(summary: pd.DataFrame, areas: pd.DataFrame, labels: Mapping[str, str],
                lang: str) -> list[dict[Any, Any]]:
    """One row per area and standard from the areas' ``coverage_summary.csv`` (share,
    townships below target, worst township), then one per area without results (its
    status and error)."""
    out: list[dict[Any, Any]] = []
    for r in summary.to_dict("records"):
        worst = worst_served({**r, "note": "" if missing(r.get("note")) else r["note"]})
        note = "" if missing(r.get("note")) else i18n.note(str(r["note"]), lang)
        out.append({
            **r, "standard_label": f"{labels.get(str(r['standard']), r['standard'])} "
                                   f"({r['standard']})",
            "meets_target": None if missing(r.get("covered_share")) else
            _true(r.get("meets_target")),
            "townships_failing": "" if note else str(int(float(r["townships_failing"]))),
            "worst": note or (i18n.text("none_below", lang) if worst == NONE_BELOW else worst),
        })
    for a in areas.to_dict("records"):
        if not str(a["status"]).startswith("done"):
            out.append({"area_name": a["area_name"], "standard_label": "",
                        "worst": f"{i18n.text('no_results', lang)}: {a['status']}"
                                 + (f" ({a['error']})" if a.get("error") else "")})
    return out


def _sheet(book: tables.Book, name: str, title: str, records: Sequence[Mapping[Any, Any]],
           cols: Sequence[tuple[str, str, str]], widths: Sequence[int]) -> None:
    lang = book.lang
    ws = book.sheet(name, title)
    ws.title_row(title)
    head = cells.data_rows(ws, records, cols, fill=lambda r: tables.FAIL_FILL if (
        r.get("meets_target") is False or r.get("status") == "failed"
        or str(r.get("worst", "")).startswith(i18n.text("no_results", lang))) else None)
    ws.freeze_at(head + 1, 3)
    ws.set_widths(widths)
    ws.wrap(range(head + 1, ws.max_row + 1), column=len(cols))


def write_workbook(run: BatchRun, coverage: pd.DataFrame, summary: pd.DataFrame,
                   areas: pd.DataFrame, notes: Sequence[str], labels: Mapping[str, str],
                   path: Path) -> Path:
    """Write ``batch.xlsx`` (see module docs) to ``path``; ``labels`` names each standard
    in the template's language."""
    lang = run.batch.template.language
    b = run.batch
    book = tables.Book(lang)
    _sheet(book, i18n.text("summary_sheet", lang), f"{b.title} · {i18n.text('by_area', lang)}",
           county_rows(summary, areas, labels, lang), AREA_COLUMNS,
           [14, 28, 12, 12, 10, 8, 9, 9, 30])
    cols = (("area_name", "area", "text"), *TABLE_COLUMNS)
    for std, rows in (coverage.groupby("standard", sort=False) if not coverage.empty else ()):
        first = rows.iloc[0]
        label = labels.get(str(std), str(first["label"]))
        records = []
        for area, part in rows.groupby("area_id", sort=False):
            records += [{**r, "meets_target": None if missing(r.get("meets_target"))
                         else _true(r["meets_target"])} for r in part.to_dict("records")]
            whole = summary[(summary["area_id"] == area) &
                            (summary["standard"].astype(str) == str(std))]
            if len(whole):
                w = whole.iloc[0].to_dict()
                records.append({**w, "township": i18n.text("total_row", lang,
                                                           name=w["area_name"]),
                                "meets_target": None if missing(w.get("covered_share"))
                                else _true(w.get("meets_target")), "is_total": True})
        title = f"{label} ({std}) ≤ {float(first['minutes']):g} {i18n.text('minutes', lang)}"
        _sheet(book, label.split("（")[0], title, records, cols,
               [12, 16, 11, 11, 10, 8, 8, 10, 10, 10])
    _sheet(book, i18n.text("run_sheet", lang), f"{b.title} · {i18n.text('run_sheet', lang)}",
           areas.to_dict("records"), _RUN_COLUMNS, [12, 14, 12, 11, 8, 8, 8, 40])
    sources = [("study area", f"{b.areas_path.name} ({len(run.areas)} areas)"),
               ("batch", f"{b.path.name}; template {b.template.path.name}")]
    sources_sheet(book, b.title, dt.date.today().isoformat(), sources, notes)
    book.save(path)
    return path
