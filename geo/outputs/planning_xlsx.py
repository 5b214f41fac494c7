"""Workbooks of planning answers: ``siting.xlsx``, ``designation.xlsx``, ``comparison.xlsx``.

Built like ``coverage.xlsx`` (:func:`geo.outputs.report.write_xlsx`): headers in the study
language with their units, shares as percentages, the whole study area as a bold last row,
and a sheet of notes, assumptions and data sources. Marked rows:

- siting and designation, ``townships`` sheet: townships still below the standard's target
  after the chosen sites in red;
- comparison, one sheet per standard: townships that lose covered population in red, those
  that gain in green; "below target" after the scenario in a red status cell.

Every cell goes through :mod:`geo.outputs.tables` (no formula from a name ever runs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geo.numbers import target_text
from geo.outputs import cells, i18n, tables
from geo.outputs.map.layers import missing
from geo.outputs.planning_tables import (
    COMPARISON_COLUMNS,
    SITING_COLUMNS,
    area_name,
    comparison_rows,
    named_roads,
    shown_changes,
    siting_by_township,
)
from geo.outputs.report import sources_sheet
from geo.outputs.results import data_sources

if TYPE_CHECKING:
    from geo.coverage.standards import Standard
    from geo.planning.compare import Comparison
    from geo.planning.resilience import Criticality
    from geo.planning.sites import DesignationRun, SitingRun

__all__ = ["CRITICALITY_COLUMNS", "FIX_COLUMNS", "write_comparison_xlsx", "write_criticality_xlsx",
           "write_designation_xlsx", "write_siting_xlsx"]

log = logging.getLogger(__name__)

Columns = Sequence[tuple[str, str, str]]
_SITES: Columns = (
    ("rank", "rank", "text"), ("id", "id", "text"), ("name", "name", "text"),
    ("township", "township", "text"), ("lon", "lon", "lonlat"), ("lat", "lat", "lonlat"),
    ("newly_covered_population", "newly_covered", "int"),
    ("cumulative_covered_share", "cumulative_share", "share"),
)
_SUMMARY: Columns = (
    ("minutes", "threshold_min", "min"), ("population", "population", "int"),
    ("covered_before", "covered_before", "int"), ("covered_after", "covered_after", "int"),
    ("newly_covered", "newly_covered", "int"), ("share_before", "share_before", "share"),
    ("share_after", "share_after", "share"),
)
_CHANGES: Columns = (
    ("project", "project", "text"), ("action", "action", "text"), ("id", "id", "text"),
    ("detail", "detail", "text"), ("lon_before", "lon", "lonlat"),
    ("lat_before", "lat", "lonlat"), ("lon_after", "lon", "lonlat"),
    ("lat_after", "lat", "lonlat"), ("note", "note", "text"),
)
#: the ranking's columns: (column, i18n key of its header, cells kind); also the report's
CRITICALITY_COLUMNS: Columns = (
    ("rank", "rank", "text"), ("road", "road", "text"), ("highway", "road_class", "text"),
    ("km", "length_km", "min"), ("people_lost", "people_lost", "int"),
    ("person_minutes_added", "person_minutes", "int"),
    ("people_cut_off", "people_cut_off", "int"), ("townships_losing", "townships_losing", "text"),
    ("worst_minutes_after", "worst_after", "min"), ("detour_minutes", "detour", "min"),
    ("piece_minutes", "piece_minutes", "min"), ("points_slower", "points_slower", "int"),
    ("lon_a", "lon", "lonlat"), ("lat_a", "lat", "lonlat"), ("lon_b", "lon", "lonlat"),
    ("lat_b", "lat", "lonlat"),
)

#: the suggested fixes' columns (geo.planning.fixes); also the report's
FIX_COLUMNS: Columns = (
    ("rank", "rank", "text"), ("road", "road", "text"), ("people_lost", "people_lost", "int"),
    ("people_restored", "people_restored", "int"),
    ("people_still_lost", "people_still_lost", "int"), ("link_km", "link_km", "min"),
    ("link_class", "road_class", "text"), ("link_kmh", "link_kmh", "min"),
    ("link_minutes", "link_minutes", "min"), ("candidates", "link_candidates", "int"),
    ("scenario", "scenario_file", "text"), ("lon_from", "lon", "lonlat"),
    ("lat_from", "lat", "lonlat"), ("lon_to", "lon", "lonlat"), ("lat_to", "lat", "lonlat"),
    ("site_people_restored", "site_people_restored", "int"), ("site_type", "site_type", "text"),
    ("site_lon", "lon", "lonlat"), ("site_lat", "lat", "lonlat"),
    ("site_candidates", "site_candidates", "int"), ("site_scenario", "scenario_file", "text"),
)


def _label(std: Standard, lang: str) -> str:
    return i18n.standard_label(std.label, std.label_zh, lang)


def _kind(col: str, kind: str) -> str:
    """Return the number format key; changes get a sign."""
    return f"d{kind}" if col.endswith("_change") and kind in ("int", "share", "min") else kind


def _column_label(col: str, key: str, kind: str, lang: str) -> str:
    if kind != "lonlat":
        return cells.header(key, kind, lang)
    when = col.rsplit("_", 1)[-1]
    if when in ("from", "to"):  # a suggested link's ends
        when = f"link_{when}"
    if col.startswith("site_"):  # a suggested facility
        when = "site_at"
    if when in ("before", "after", "link_from", "link_to", "site_at"):
        return f"{i18n.text(key, lang)}（{i18n.text(when, lang)}）" if lang == "zh" else \
            f"{i18n.text(key, lang)} ({i18n.text(when, lang)})"
    return i18n.text(key, lang)


def _table_sheet(
    book: tables.Book, name: str, heading: Sequence[str], columns: Columns,
    frame: pd.DataFrame, *, mark: Callable[[Mapping[Any, Any]], Any] | None = None,
    at: int | None = None,
) -> None:
    """Add a sheet of heading lines, headers with units, one row per record.

    ``is_total`` rows bold; ``mark(row)`` gives a fill for a row (or None); "below target" in red.
    """
    lang = book.lang
    ws = book.sheet(name, heading[0] if heading else name, at)
    for i, line in enumerate(heading):
        if i == 0:
            ws.title_row(line)
        else:
            ws.row([line])
    head = ws.header_row([_column_label(c, key, kind, lang) for c, key, kind in columns])
    for r in frame.to_dict("records"):
        target = r.get("target_share")
        values = [cells.value(r.get(c), _kind(c, k), lang, target) for c, _, k in columns]
        formats = [cells.number_format(_kind(c, k), r.get(c), target) for c, _, k in columns]
        if r.get("is_total") and columns[0][0] == "township":
            values[0] = f"{values[0]}{i18n.text('whole_area', lang)}"
        row = ws.row(values, formats, bold=bool(r.get("is_total")),
                     fill=mark(r) if mark is not None else None)
        for i, (c, _, k) in enumerate(columns, start=1):
            if k == "bool" and r.get(c) is False:
                ws.mark_cell(row, i, font_color=tables.RED_TEXT, bold=True)
    ws.freeze_at(head + 1, 2)
    ws.set_widths([16 if k == "text" else 12 for _, _, k in columns])


def _fails_after(row: Mapping[Any, Any]) -> Any:
    return tables.FAIL_FILL if row.get("meets_target") is False else None


def _sites_frame(run: SitingRun, lang: str) -> pd.DataFrame:
    sites = run.table.copy()
    sites["rank"] = sites["rank"].astype(int)
    total = {"rank": i18n.text("summary_sheet", lang), "is_total": True,
             "name": area_name(run.study.area) + i18n.text("whole_area", lang),
             "newly_covered_population": float(sites["newly_covered_population"].sum()),
             "cumulative_covered_share": (float(sites["cumulative_covered_share"].iloc[-1])
                                          if len(sites) else None)}
    out = pd.concat([sites, pd.DataFrame([total])], ignore_index=True)
    out["is_total"] = out["is_total"].eq(True)  # the sites' rows: False, not NaN
    return out


def _siting_book(run: SitingRun, head: str, lang: str) -> tables.Book:
    book = tables.Book(lang)
    res = run.result
    solved = i18n.text("solution", lang, status=res.status, gap=f"{res.gap:.3%}",
                       method=res.method)
    cols = _SITES if "type" not in run.table else (*_SITES[:3], ("type", "type", "text"),
                                                   *_SITES[3:])
    frame = _sites_frame(run, lang)
    if "type" in frame:
        frame["type"] = [None if missing(x) else f"{i18n.type_label(str(x), lang)} ({x})"
                         for x in frame["type"]]
    _table_sheet(book, i18n.text("sites_sheet", lang), [head, solved], cols, frame)
    towns = siting_by_township(run)
    cols = SITING_COLUMNS if has_target(run) else SITING_COLUMNS[:-2]
    _table_sheet(book, i18n.text("townships_sheet", lang), [threshold_line(run, lang)], cols,
                 towns, mark=_fails_after)
    return book


def has_target(run: SitingRun) -> bool:
    """Tell whether the plan sets a target for the minutes asked (its standard's minutes)."""
    return abs(float(run.minutes) - float(run.standard.minutes)) < 1e-9


def threshold_line(run: SitingRun, lang: str) -> str:
    """Return "1小时应急反应圈 (emergency_1h) ≤ 30 分钟（规划目标100%适用于60分钟，此处不评达标）".

    It gives the minutes asked, and the target only where the plan sets one for them.
    """
    std = run.standard
    head = f"{_label(std, lang)} ({std.name}) ≤ {run.minutes:g} {i18n.text('minutes', lang)}"
    if has_target(run):
        return f"{head}, {i18n.text('target', lang)} {target_text(std.target_share)}"
    return head + i18n.text("no_target_here", lang, target=target_text(std.target_share),
                            minutes=f"{std.minutes:g}")


def _notes_sheet(book: tables.Book, title: str, run_notes: Sequence[str], study: Any) -> None:
    sources_sheet(book, title, date.today().isoformat(), data_sources(study),
                  [*run_notes, *study.assumptions])


def _heading(run: SitingRun, key: str, lang: str) -> str:
    std = run.standard
    return i18n.text(key, lang, model=run.result.model.upper(), label=_label(std, lang),
                     code=std.name, minutes=f"{run.minutes:g}")


def write_siting_xlsx(run: SitingRun, path: Path) -> Path:
    """Return ``siting.xlsx``: ranked sites (+ total), townships before/after, notes and sources."""
    lang = run.study.study.language
    book = _siting_book(run, _heading(run, "siting_line", lang), lang)
    _notes_sheet(book, run.study.study.title, run.notes, run.study)
    book.save(path)
    log.info("workbook written to %s", path)
    return path


def write_designation_xlsx(run: DesignationRun, path: Path) -> Path:
    """Write ``designation.xlsx``: chosen facilities (+ total), townships.

    Sheets hold the population within each threshold before/after, notes and sources.
    """
    lang = run.study.study.language
    book = _siting_book(run, _heading(run, "designation_line", lang), lang)
    _table_sheet(book, i18n.text("summary_sheet", lang),
                 [area_name(run.study.area) + i18n.text("whole_area", lang)], _SUMMARY,
                 run.summary, at=2)
    _notes_sheet(book, run.study.study.title, run.notes, run.study)
    book.save(path)
    log.info("workbook written to %s", path)
    return path


def _changes_frame(comp: Comparison, lang: str) -> pd.DataFrame:
    ch = shown_changes(comp.applied.changes, lang)
    ch["action"] = [f"{i18n.action_label(str(a), lang)} ({a})" for a in ch["action"]]
    left = pd.DataFrame([{"project": r.get("project", ""), "action": i18n.text("left_out", lang),
                          "detail": r.get("reason", "")} for r in comp.scenario.left_out])
    return pd.concat([ch, left], ignore_index=True) if len(left) else ch


def _gain_or_loss(row: Mapping[Any, Any]) -> Any:
    change = row.get("covered_population_change")
    if change is None or missing(change) or float(change) == 0:
        return None
    return tables.GAIN_FILL if float(change) > 0 else tables.FAIL_FILL


def write_comparison_xlsx(comp: Comparison, path: Path) -> Path:
    """Write ``comparison.xlsx``: a sheet per standard (townships + area, before/after/change).

    Then come the changes applied and left out, notes and sources.
    """
    lang = comp.study.study.language
    book = tables.Book(lang)
    for std in comp.study.standards:
        rows = comparison_rows(comp, std.name)
        if rows.empty or (rows["covered_share_before"].isna().all()
                          and rows["covered_share_after"].isna().all()):
            continue  # not applicable before and after: the notes sheet says why
        target = f"{i18n.text('target', lang)} {target_text(std.target_share)}"
        _table_sheet(book, _label(std, lang),
                     [f"{_label(std, lang)} ({std.name}) ≤ {std.minutes:g} "
                      f"{i18n.text('minutes', lang)}, {target}",
                      i18n.text("scenario_line", lang, name=comp.scenario.title)],
                     COMPARISON_COLUMNS, rows, mark=_gain_or_loss)
    _table_sheet(book, i18n.text("changes_sheet", lang),
                 [i18n.text("scenario_line", lang, name=comp.scenario.title)], _CHANGES,
                 _changes_frame(comp, lang))
    own = [n for n in comp.notes if n not in set(comp.study.assumptions)]  # added once below
    _notes_sheet(book, comp.study.study.title, own, comp.study)
    book.save(path)
    log.info("workbook written to %s", path)
    return path


def _loses_people(row: Mapping[Any, Any]) -> Any:
    lost = row.get("people_lost")
    return tables.FAIL_FILL if lost is not None and not missing(lost) and lost > 0 else None


def write_criticality_xlsx(run: Criticality, path: Path) -> Path:
    """Write ``criticality.xlsx``.

    Road pieces ranked by the people who lose the standard when each is cut alone (those
    that lose anyone marked), notes and sources.
    """
    lang = run.study.study.language
    std = run.standard
    book = tables.Book(lang)
    frame = named_roads(run.table.replace([float("inf")], float("nan")), lang)
    _table_sheet(book, i18n.text("criticality_sheet", lang),
                 [i18n.text("criticality_line", lang, label=_label(std, lang), code=std.name,
                            minutes=f"{run.minutes:g}")],
                 CRITICALITY_COLUMNS, frame, mark=_loses_people)
    if run.fixes is not None:
        _table_sheet(book, i18n.text("fixes_sheet", lang),
                     [i18n.text("fixes_line", lang), run.fixes.notes[0]], FIX_COLUMNS,
                     named_roads(run.fixes.table, lang))
    notes = run.notes if run.fixes is None else [*run.fixes.notes, *run.notes]
    _notes_sheet(book, run.study.study.title, notes, run.study)
    book.save(path)
    log.info("workbook written to %s", path)
    return path
