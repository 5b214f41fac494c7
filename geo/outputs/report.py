"""The planner's report: ``report.html`` (self-contained, printable) and ``coverage.xlsx``.

``report.html`` (:mod:`geo.outputs.document`: A4 pages numbered by the page itself, a
contents list) holds the study summary, one section per standard that applies (its table by
township with the whole area as a last row, its map and chart, PNG embedded as ``data:``
URIs so the file stands alone), the measures and the response model, the assumptions as a
numbered list, the data sources and, as an appendix, how to compute the measures not shown.
A standard that does not apply is left out of the body with one line saying why.
``coverage.xlsx`` has a ``汇总`` summary sheet (a row per standard), one sheet per standard
(headers with units, shares as percentages, townships below target in red, the whole area
as a bold last row), the measures' sheets and a sheet of notes and sources, every sheet
print-ready (:class:`geo.outputs.tables.Book`: A4 page setup on every sheet). Numbers are written by
:mod:`geo.outputs.cells`, so they read as in the map and the CSVs.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geo.coverage.tables import NONE_BELOW, worst_served
from geo.numbers import SHARE_NOTE
from geo.outputs import cells, groups, i18n, measure_tables, tables
from geo.outputs.document import ASSUMPTIONS_REF, Section, document
from geo.outputs.map.layers import missing
from geo.outputs.results import Results

__all__ = ["SUMMARY_COLUMNS", "TABLE_COLUMNS", "header", "report_html",
           "sources_sheet", "write_xlsx"]

log = logging.getLogger(__name__)

#: (column, label key, kind) of the per-township tables: kind is int, share, min, bool, text
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("township", "township", "text"),
    ("population", "population", "int"),
    ("covered_population", "covered_population", "int"),
    ("covered_share", "covered_share", "share"),
    ("target_share", "target", "target"),
    ("meets_target", "status", "bool"),
    ("median_minutes", "median", "min"),
    ("p90_minutes", "p90", "min"),
    ("max_minutes", "worst", "min"),
)
#: (column, label key, kind) of the summary: the whole area per standard
SUMMARY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("minutes", "threshold", "text"),
    ("population", "population", "int"),
    ("covered_population", "covered_population", "int"),
    ("covered_share", "covered_share", "share"),
    ("target_share", "target", "target"),
    ("meets_target", "status", "bool"),
    ("median_minutes", "median", "min"),
    ("max_minutes", "worst", "min"),
    ("worst", "worst_township", "text"),
    ("townships_failing", "failing", "text"),
)
header = cells.header


def _std_label(row: Mapping[Any, object], lang: str) -> str:
    zh = row.get("label_zh", "")
    return i18n.standard_label(str(row["label"]), "" if missing(zh) else str(zh), lang)


def _fails(value: object) -> bool:
    return not missing(value) and not isinstance(value, str) and not bool(value)


def _td(value: object, kind: str, lang: str, target: object) -> str:
    cls = "t" if kind == "text" else "n"
    return f'<td class="{cls}">{html.escape(cells.text(value, kind, lang, target))}</td>'


def _html_table(records: Sequence[Mapping[Any, Any]], cols: Sequence[tuple[str, str, str]],
                lang: str, first: str = "") -> str:
    """Return rows of ``records`` (``is_total`` rows bold, rows below target red)."""
    head = "".join(f'<th class="{"t" if kind == "text" else ""}">'
                   f"{html.escape(header(k, kind, lang))}</th>" for _, k, kind in cols)
    if first:
        head = f'<th class="t">{html.escape(first)}</th>' + head
    body = []
    for r in records:
        classes = [c for c, on in (("fail", _fails(r.get("meets_target"))),
                                   ("total", bool(r.get("is_total")))) if on]
        tds = "".join(_td(r.get(c), kind, lang, r.get("target_share")) for c, _, kind in cols)
        if first:
            tds = f'<td class="t">{r["_first"]}</td>' + tds
        cls = f' class="{" ".join(classes)}"' if classes else ""
        body.append(f"<tr{cls}>{tds}</tr>")
    return (f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def _applicable(res: Results) -> list[str]:
    return [s for s in res.standards
            if res.coverage.loc[res.coverage["standard"].astype(str) == s,
                                "covered_share"].notna().any()]


def scope_line(res: Results, std: str) -> str:
    """Say which townships ``std`` was applied to and why, in the study's language.

    It is the run's own line (:meth:`geo.coverage.kinds.Scope.statement`, one of the
    assumptions); '' for a standard that applies to every township.
    """
    head = f"{std}: applied to "
    return next((i18n.note(a, res.language) for a in res.assumptions if a.startswith(head)),
                "")


def scoped_rows(records: Sequence[Mapping[Any, Any]], lang: str) -> list[Mapping[Any, Any]]:
    """Return the rows with "不适用" as the status of townships outside the standard's kinds.

    Those rows have no pass/fail (:mod:`geo.coverage.kinds`): the status says why, never
    a failure.
    """
    na = i18n.text("not_applicable", lang).split(" / ")[0]
    return [{**r, "meets_target": na} if i18n.scope_applies(str(r.get("note") or ""), lang)
            else r for r in records]


def _summary_row(r: Mapping[Any, Any], lang: str) -> dict[Any, Any]:
    worst = worst_served(r)
    return {**r, "minutes": f"{float(r['minutes']):g}", "is_total": False,
           "worst": i18n.text("none_below", lang) if worst == NONE_BELOW else worst,
           "townships_failing": str(int(float(str(r["townships_failing"])))),
           "meets_target": int(float(str(r["townships_failing"]))) == 0
           if missing(r.get("meets_target")) else r["meets_target"]}


def _whole_area(res: Results, std: str) -> dict[Any, Any]:
    """Return the whole area's row of ``std`` (the summary's), for the last row of its table."""
    r = res.summary[res.summary["standard"].astype(str) == std].iloc[0].to_dict()
    name = str(r.get("area") or "")
    return {**r, "township": i18n.text("total_row", res.language, name=name), "is_total": True}


def _summary_section(res: Results, lang: str) -> Section:
    t = i18n.text
    records = []
    for r in res.summary.to_dict("records"):
        if str(r["standard"]) not in _applicable(res):
            continue
        row = _summary_row(r, lang)
        row["_first"] = (f"{html.escape(_std_label(r, lang))}<br><small>"
                         f"{html.escape(str(r['standard']))}</small>")
        records.append(row)
    parts = [_html_table(records, SUMMARY_COLUMNS, lang, first=t("standard", lang))]
    for r in res.summary.to_dict("records"):
        if str(r["standard"]) in _applicable(res):
            continue
        reason = i18n.note(str(r.get("note") or "not applicable"), lang)
        line = t("left_out_std", lang, label=_std_label(r, lang), code=str(r["standard"]),
                 reason=reason)
        parts.append(f'<p class="note">{html.escape(line)}</p>')
    parts.append(f'<p class="note">{ASSUMPTIONS_REF}</p>')
    return Section("summary", t("summary", lang), "\n".join(parts), new_page=False)


def _img(data: bytes, kind: str, alt: str) -> str:
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img class="{kind}" src="data:image/png;base64,{b64}" alt="{html.escape(alt)}">'


def _standard_section(res: Results, std: str, images: Sequence[tuple[str, bytes]],
                      first_figure: int, new_page: bool) -> Section:
    lang = res.language
    t = i18n.text
    rows = res.coverage[res.coverage["standard"].astype(str) == std]
    first = rows.iloc[0].to_dict()
    label = _std_label(first, lang)
    title = f"{label}（{std}，≤ {float(first['minutes']):g} {t('minutes', lang)}）" \
        if lang == "zh" else f"{label} ({std}, ≤ {float(first['minutes']):g} min)"
    records = scoped_rows([*rows.to_dict("records"), _whole_area(res, std)], lang)
    parts = [_html_table(records, TABLE_COLUMNS, lang)]
    if scope := scope_line(res, std):
        parts.insert(0, f'<p class="note">{html.escape(scope)}</p>')
    imgs = "".join(_img(data, kind, kind) for kind, data in images)
    caps = "；".join if lang == "zh" else "; ".join
    numbered = [t("figure", lang, n=first_figure + i) + " " +
                t("figure_map" if kind == "map" else "figure_chart", lang, label=label)
                for i, (kind, _) in enumerate(images)]
    parts.append(f'<div class="figs">{imgs}</div>')
    parts.append(f'<p class="cap">{html.escape(caps(numbered))}。{ASSUMPTIONS_REF}</p>'
                 if lang == "zh" else
                 f'<p class="cap">{html.escape(caps(numbered))}. {ASSUMPTIONS_REF}</p>')
    # whole on one page; a short one (a small county's) shares its page with the next
    return Section(f"std-{std}", title, "\n".join(parts), new_page=new_page, keep=True)


def _titles(res: Results) -> dict[str, str]:
    """Return each standard as the group tables' headings name it.

    For example '急救 1 小时（emergency_1h，≤ 60 分钟）'.
    """
    lang = res.language
    out = {}
    for r in res.summary.to_dict("records"):
        std, minutes = str(r["standard"]), float(r["minutes"])
        label = _std_label(r, lang)
        out[std] = (f"{label}（{std}，≤ {minutes:g} {i18n.text('minutes', lang)}）"
                    if lang == "zh" else f"{label} ({std}, ≤ {minutes:g} min)")
    return out


def report_html(res: Results, figures: Mapping[str, Sequence[tuple[str, bytes]]],
                lorenz: Mapping[str, bytes] | None = None) -> str:
    """Return the report page.

    ``figures[standard]`` are the (kind, PNG) to embed under its table (kind ``map`` or ``chart``),
    ``lorenz[standard]`` the Lorenz curve of its travel minutes for the 健康公平 section.
    """
    lang = res.language
    sections = [_summary_section(res, lang)]
    n = 1
    for std in _applicable(res):
        images = list(figures.get(std, []))
        sections.append(_standard_section(res, std, images, n, new_page=n == 1))
        n += len(images)
    sections += measure_tables.report_sections(res.resources, lang)
    sections += groups.report_sections(res.groups, lang, _titles(res),
                                       {k: _img(v, "chart", k) for k, v in (lorenz or {}).items()})
    return document(title=res.title, created=res.created, lang=lang, intro="",
                    sections=sections, assumptions=res.assumptions, sources=res.sources,
                    appendices=[*measure_tables.report_appendix(res.resources, lang),
                                *groups.report_appendix(res.groups, lang)])


def _standard_sheet(book: tables.Book, res: Results, std: str) -> None:
    lang = res.language
    rows = res.coverage[res.coverage["standard"].astype(str) == std]
    first = rows.iloc[0].to_dict()
    label = _std_label(first, lang)
    title = f"{label} ({std}) ≤ {float(first['minutes']):g} {i18n.text('minutes', lang)}"
    ws = book.sheet(measure_tables.sheet_label(label), title)
    ws.title_row(title)
    note = scope_line(res, std) or (
        "" if missing(first.get("note")) else i18n.note(str(first["note"]), lang))
    ws.row([note])
    records = scoped_rows([*rows.to_dict("records"), _whole_area(res, std)], lang)
    head = cells.data_rows(ws, records, TABLE_COLUMNS)
    ws.freeze_at(head + 1, 2)
    ws.set_widths([16, 12, 12, 12, 9, 9, 12, 12, 12])


def _summary_sheet(book: tables.Book, res: Results) -> None:
    """Add ``汇总``: the whole area per standard, as the report's summary."""
    lang = res.language
    title = f"{res.title} · {i18n.text('summary', lang)}"
    ws = book.sheet(i18n.text("summary_sheet", lang), title)
    ws.title_row(title)
    ws.row([f"{i18n.text('date', lang)}: {res.created}"])
    records = []
    for r in res.summary.to_dict("records"):
        row = _summary_row(r, lang)
        row["_label"] = f"{_std_label(r, lang)} ({r['standard']})"
        if str(r["standard"]) not in _applicable(res):
            row |= dict.fromkeys(("covered_population", "covered_share", "meets_target",
                                  "median_minutes", "max_minutes", "townships_failing"))
            row["worst"] = i18n.note(str(r.get("note") or ""), lang)
        records.append(row)
    cols = (("_label", "standard", "text"), *SUMMARY_COLUMNS)
    head = cells.data_rows(ws, records, cols)
    ws.freeze_at(head + 1, 2)
    ws.set_widths([36, 9, 11, 11, 11, 8, 8, 11, 11, 24, 9])
    ws.wrap(range(head + 1, ws.max_row + 1), column=1)
    ws.wrap(range(head + 1, ws.max_row + 1), column=10)


def sources_sheet(book: tables.Book, title: str, created: str,
                  sources: Sequence[tuple[str, str]], notes: Sequence[str]) -> None:
    """Add a sheet with the title, date, data sources, assumptions and OSM attribution.

    Assumptions are numbered and the OSM attribution.
    """
    lang = book.lang
    ws = book.sheet(i18n.text("sources_sheet", lang), title)
    ws.title_row(title)
    ws.row([i18n.text("date", lang), created])
    ws.blank()
    ws.row([i18n.text("sources", lang)], bold=True)
    start = ws.max_row + 1
    for k, v in sources:
        ws.row([i18n.source_label(k, lang), v])
    ws.blank()
    ws.row([i18n.text("assumptions", lang)], bold=True)
    for i, a in enumerate([*notes, SHARE_NOTE], start=1):
        ws.row([f"{i}.", i18n.note(a, lang)])
    ws.blank()
    ws.row(["", "© OpenStreetMap contributors (ODbL 1.0)"])
    ws.set_widths([16, 66])
    ws.wrap(range(start, ws.max_row + 1), column=2)


def write_xlsx(res: Results, path: Path) -> Path:
    """Write ``coverage.xlsx``: ``汇总``, a sheet per standard.

    Then come the measures' sheets and the notes and sources (see module docs).
    """
    book = tables.Book(res.language)
    _summary_sheet(book, res)
    for std in res.standards:
        _standard_sheet(book, res, std)
    measure_tables.write_sheets(book, res.resources)
    groups.write_sheets(book, res.groups, _titles(res))
    sources_sheet(book, res.title, res.created, res.sources, res.assumptions)
    book.save(path)
    log.info("workbook written to %s", path)
    return path
