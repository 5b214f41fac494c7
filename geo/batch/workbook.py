"""``batch.xlsx``: every township of every area, a sheet per standard, and the areas.

Sheets: ``areas`` (status of every area, failed ones in red with their error), one per
standard (area, township, population, covered population and share, target, status,
median, 90th percentile and worst minutes; townships below target in red), and
``sources`` (the batch's notes). Cells go through :mod:`geo.outputs.tables`
(formula-injection safe); labels follow the template's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from geo.outputs import i18n, tables
from geo.outputs.map.layers import missing
from geo.outputs.report import TABLE_COLUMNS, header, sources_sheet

if TYPE_CHECKING:
    from geo.batch.outcome import BatchRun

__all__ = ["write_workbook"]

_FORMATS = {"int": "#,##0", "share": "0.0%", "min": "0.0"}
_AREA = {"zh": ("区县代码", "区县"), "en": ("Area id", "Area")}


def _areas_sheet(wb: Workbook, areas: pd.DataFrame) -> None:
    ws = wb.create_sheet("areas")
    cols = [c for c in areas.columns if c != "geometry"]
    tables.header_row(ws, cols)
    for r in areas[cols].to_dict("records"):
        row = tables.append_row(ws, [r[c] for c in cols])
        if r["status"] == "failed":
            tables.fill_row(ws, row, tables.FAIL_FILL)
    ws.freeze_panes = "C2"
    tables.fit_columns(ws, [12, 16, 14, 60])


def _standard_sheet(wb: Workbook, rows: pd.DataFrame, std: str, lang: str,
                    used: set[str]) -> None:
    ws = wb.create_sheet(tables.sheet_name(std, used))
    first = rows.iloc[0].to_dict()
    tables.append_row(ws, [f"{first['label']} ({std}) ≤ {float(first['minutes']):g} "
                           f"{i18n.text('minutes', lang)}"])
    ws["A1"].font = Font(bold=True, size=12)
    tables.header_row(ws, [*_AREA[lang], *(header(key, kind, lang)
                                           for _, key, kind in TABLE_COLUMNS)])
    formats: list[str | None] = [None, None, *(_FORMATS.get(kind) for _, _, kind in TABLE_COLUMNS)]
    for r in rows.to_dict("records"):
        values: list[Any] = [r["area_id"], r["area_name"]]
        for c, _, kind in TABLE_COLUMNS:
            v = r.get(c)
            if kind == "bool":
                values.append("" if missing(v) else i18n.text(
                    "meets" if _true(v) else "fails", lang))
            else:
                values.append(None if v is None or missing(v) else
                              (str(v) if kind == "text" else float(v)))
        row = tables.append_row(ws, values, formats)
        if not missing(r.get("meets_target")) and not _true(r["meets_target"]):
            tables.fill_row(ws, row, tables.FAIL_FILL)
    ws.freeze_panes = "D3"
    tables.fit_columns(ws, [10, 14, 14, 12, 14, 12, 10, 10, 12, 12, 12])


def _true(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "1.0")


def write_workbook(run: BatchRun, coverage: pd.DataFrame, areas: pd.DataFrame,
                   notes: Sequence[str], path: Path) -> Path:
    """Write ``batch.xlsx`` (see module docs) to ``path``."""
    lang = run.batch.template.language
    wb = Workbook()
    wb.remove(wb.active)
    used = {"areas", "sources"}
    _areas_sheet(wb, areas)
    if not coverage.empty:
        for std, rows in coverage.groupby("standard", sort=False):
            _standard_sheet(wb, rows, str(std), lang, used)
    b = run.batch
    sources = [("study area", f"{b.areas_path.name} ({len(run.areas)} areas)"),
               ("batch", f"{b.path.name}; template {b.template.path.name}")]
    sources_sheet(wb, b.title, dt.date.today().isoformat(), sources, notes, lang)
    wb.save(path)
    return path
