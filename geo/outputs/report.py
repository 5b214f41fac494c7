"""The planner's report: ``report.html`` (self-contained, printable) and ``coverage.xlsx``.

``report.html`` holds the study summary, one table per standard by township, the figures
(PNG embedded as ``data:`` URIs, so the file stands alone), the assumptions and the data
sources; its print stylesheet puts each standard on its own A4 page. ``coverage.xlsx`` has
one sheet per standard (headers with units, shares as percentages, townships below target
in red) and a ``sources`` sheet with the standards' documents, the data and the assumptions.
Labels follow the study language; standard and facility names are shown in both languages.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from geo.coverage.tables import NONE_BELOW, worst_served
from geo.outputs import i18n, measure_tables, tables
from geo.outputs.map.layers import missing
from geo.outputs.results import Results

__all__ = ["TABLE_COLUMNS", "header", "report_html", "sources_sheet", "write_xlsx"]

log = logging.getLogger(__name__)

#: (column, label key, kind) of the per-township tables: kind is int, share, min, bool, text
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("township", "township", "text"),
    ("population", "population", "int"),
    ("covered_population", "covered_population", "int"),
    ("covered_share", "covered_share", "share"),
    ("target_share", "target", "share"),
    ("meets_target", "status", "bool"),
    ("median_minutes", "median", "min"),
    ("p90_minutes", "p90", "min"),
    ("max_minutes", "worst", "min"),
)
_UNITS = {"int": ("人", "people"), "share": ("%", "%"), "min": ("分钟", "min")}
_FORMATS = {"int": "#,##0", "share": "0.0%", "min": "0.0"}
# Print: A4, the summary and assumptions on page 1, each applicable standard on one page of
# its own (heading, table, map and chart side by side), a standard that does not apply and
# the sources after it without a break; table rows never split, headers repeat.
_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;
 color:#222;max-width:60em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}
h2,h3{break-after:avoid}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
thead{display:table-header-group}tr{break-inside:avoid}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:right}
th{background:#dde6f0}td.t,th.t{text-align:left}tr.fail td{background:#f4cccc}
td:first-child,td.s{white-space:nowrap}
.figs{display:flex;gap:3mm;align-items:flex-start;break-inside:avoid}
.figs img{display:block;min-width:0;margin:.5em 0}.figs img.map{width:56%}
.figs img.chart{width:44%}section.na .figs img{width:40%}
.src{font-size:.85em;color:#444}
section.std{break-before:page}section.na{break-before:auto}
@page{size:A4;margin:12mm 12mm 14mm}
@media print{body{margin:0;max-width:none;font-size:10pt}a{color:inherit;text-decoration:none}
 h2{margin-top:.6em}table{font-size:8.5pt}}
"""


def header(key: str, kind: str, lang: str) -> str:
    """Column header with its unit, e.g. ``人口（人）`` / ``Population (people)``."""
    label = i18n.text(key, lang)
    if kind not in _UNITS or "（" in label or "(" in label:
        return label
    unit = _UNITS[kind][0 if lang == "zh" else 1]
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _cell(value: object, kind: str, lang: str) -> str:
    if missing(value):
        return "–"
    if kind == "int":
        return f"{float(value):,.0f}"  # type: ignore[arg-type]
    if kind == "share":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "min":
        return f"{float(value):.1f}"  # type: ignore[arg-type]
    if kind == "bool":
        return i18n.text("meets" if bool(value) else "fails", lang)
    return html.escape(str(value))


def _std_label(row: Mapping[Any, object], lang: str) -> str:
    zh = row.get("label_zh", "")
    return i18n.standard_label(str(row["label"]), "" if missing(zh) else str(zh), lang)


def _fails(value: object) -> bool:
    return not missing(value) and not bool(value)


def _township_table(rows: pd.DataFrame, lang: str) -> str:
    head = "".join(
        f'<th class="{"t" if kind == "text" else ""}">{html.escape(header(k, kind, lang))}</th>'
        for _, k, kind in TABLE_COLUMNS
    )
    body = []
    for r in rows.to_dict("records"):
        cls = ' class="fail"' if _fails(r["meets_target"]) else ""
        cells = "".join(
            f'<td class="{"t" if kind == "text" else "s" if kind == "bool" else ""}">'
            f"{_cell(r[c], kind, lang)}</td>"
            for c, _, kind in TABLE_COLUMNS
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _summary_table(res: Results, lang: str) -> str:
    t = i18n.text
    cols = [t("standard", lang), t("threshold", lang), header("target", "share", lang),
            header("covered_share", "share", lang), header("median", "min", lang),
            header("worst", "min", lang), t("worst_township", lang), t("failing", lang)]
    rows = []
    for r in res.summary.to_dict("records"):
        key = html.escape(str(r["standard"]))
        name = f"{html.escape(_std_label(r, lang))}<br><small>{key}</small>"
        if not missing(r.get("note")):
            rows.append(f'<tr><td class="t">{name}</td><td>{float(r["minutes"]):g}</td>'
                        f'<td colspan="6" class="t">{html.escape(i18n.note(str(r["note"]), lang))}'
                        "</td></tr>")
            continue
        worst = worst_served(r)
        worst = t("none_below", lang) if worst == NONE_BELOW else worst
        vals = [f"{float(r['minutes']):g}", _cell(r["target_share"], "share", lang),
                _cell(r["covered_share"], "share", lang), _cell(r["median_minutes"], "min", lang),
                _cell(r["max_minutes"], "min", lang), html.escape(worst),
                str(int(r["townships_failing"]))]
        rows.append(f'<tr><td class="t">{name}</td>' + "".join(f"<td>{v}</td>" for v in vals)
                    + "</tr>")
    head = "".join(f'<th class="{"t" if i == 0 else ""}">{html.escape(c)}</th>'
                   for i, c in enumerate(cols))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    kind = "chart" if path.stem.startswith("share_") else "map"
    return f'<img class="{kind}" src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def report_html(res: Results, figures: Mapping[str, Sequence[Path]]) -> str:
    """The report page; ``figures[standard]`` are the PNGs to embed under its table."""
    lang = res.language
    t = i18n.text
    parts = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{html.escape(res.title)}</title>'
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(res.title)}</h1>",
        f"<p>{t('date', lang)}: {html.escape(res.created)}</p>",
        f"<h2>{t('summary', lang)}</h2>", _summary_table(res, lang),
        f"<h2>{t('assumptions', lang)}</h2><ul>",
        *(f"<li>{html.escape(i18n.note(a, lang))}</li>" for a in res.assumptions), "</ul>",
    ]
    for std in res.standards:
        rows = res.coverage[res.coverage["standard"].astype(str) == std]
        first = rows.iloc[0].to_dict()
        na = rows["covered_share"].isna().all()
        parts.append(f'<section class="std{" na" if na else ""}"><h2>'
                     f"{html.escape(_std_label(first, lang))} "
                     f"({html.escape(std)}, ≤ {float(first['minutes']):g} "
                     f"{t('minutes', lang)})</h2>")
        if not missing(first.get("note")):
            parts.append(f"<p>{html.escape(i18n.note(str(first['note']), lang))}</p>")
        parts.append(_township_table(rows, lang))
        imgs = "".join(_img(p, p.stem) for p in figures.get(std, []))
        parts.append(f'<div class="figs">{imgs}</div></section>')
    parts.append(measure_tables.report_sections(res.resources, lang))
    parts.append(f'<h2>{t("sources", lang)}</h2><table class="src">')
    parts += [f'<tr><td class="t">{html.escape(i18n.source_label(k, lang))}</td>'
              f'<td class="t">{html.escape(v)}</td></tr>' for k, v in res.sources]
    parts.append("</table><p class=\"src\">© OpenStreetMap contributors</p></body></html>")
    return "\n".join(parts)


def _standard_sheet(wb: Workbook, res: Results, std: str, used: set[str]) -> None:
    lang = res.language
    rows = res.coverage[res.coverage["standard"].astype(str) == std]
    ws = wb.create_sheet(tables.sheet_name(std, used))
    first = rows.iloc[0].to_dict()
    tables.append_row(ws, [f"{_std_label(first, lang)} ({std}) ≤ {float(first['minutes']):g} "
                           f"{i18n.text('minutes', lang)}"])
    ws["A1"].font = Font(bold=True, size=12)
    tables.append_row(ws, [i18n.note(str(first["note"]), lang)
                           if not missing(first.get("note")) else ""])
    tables.header_row(ws, [header(k, kind, lang) for _, k, kind in TABLE_COLUMNS])
    formats = [_FORMATS.get(kind) for _, _, kind in TABLE_COLUMNS]
    for r in rows.to_dict("records"):
        values: list[object] = []
        for c, _, kind in TABLE_COLUMNS:
            v = r[c]
            if kind == "bool":
                status = "" if missing(v) else i18n.text("meets" if bool(v) else "fails", lang)
                values.append(status)
            else:
                values.append(None if missing(v) else (str(v) if kind == "text" else float(v)))
        row = tables.append_row(ws, values, formats)
        if _fails(r["meets_target"]):
            tables.fill_row(ws, row, tables.FAIL_FILL)
    ws.freeze_panes = "B4"
    tables.fit_columns(ws, [14, 14, 14, 14, 10, 10, 14, 14, 14])


def sources_sheet(wb: Workbook, title: str, created: str, sources: Sequence[tuple[str, str]],
                  notes: Sequence[str], lang: str, name: str = "sources") -> None:
    """A sheet with the title, date, data sources, assumptions and the OSM attribution."""
    ws = wb.create_sheet(name)
    tables.append_row(ws, [title])
    ws["A1"].font = Font(bold=True, size=12)
    tables.append_row(ws, [i18n.text("date", lang), created])
    ws.append([])
    tables.append_row(ws, [i18n.text("sources", lang)])
    ws[ws.max_row][0].font = Font(bold=True)
    for k, v in sources:
        tables.append_row(ws, [i18n.source_label(k, lang), v])
    ws.append([])
    tables.append_row(ws, [i18n.text("assumptions", lang)])
    ws[ws.max_row][0].font = Font(bold=True)
    for a in notes:
        tables.append_row(ws, ["", i18n.note(a, lang)])
    ws.append([])
    tables.append_row(ws, ["", "© OpenStreetMap contributors (ODbL 1.0)"])
    tables.fit_columns(ws, [26, 120])


def write_xlsx(res: Results, path: Path) -> Path:
    """``coverage.xlsx``: a sheet per standard and a ``sources`` sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = {"sources"}
    for std in res.standards:
        _standard_sheet(wb, res, std, used)
    measure_tables.write_sheets(wb, res.resources, res.language, used)
    sources_sheet(wb, res.title, res.created, res.sources, res.assumptions, res.language)
    wb.save(path)
    log.info("workbook written to %s", path)
    return path
