"""The resource measures and the emergency response in words and tables: the run
summary's sections, the lines ``geo run`` prints, the report's sections and the
workbook's sheets (:mod:`geo.study.resources` computes them).

Every table carries the notes of its numbers (method, weights, the supply fallback, the
dispatch delay and its source, minutes on scene, speed factors); the measures the study
does not compute are listed with the data that would enable them, and stated figures
from a document are kept apart from the computed ones.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from geo.numbers import minutes_text, number_text, people_text, share_text, target_text
from geo.outputs import cells, i18n, tables
from geo.outputs.document import Section
from geo.outputs.map.layers import missing
from geo.study.resources import Resources

__all__ = ["cli_measure_rows", "cli_response_rows", "report_appendix", "report_sections",
           "summary_lines", "write_sheets"]


def _r(value: Any) -> str:
    """A ratio for reading: four significant digits, as the report and the map show it."""
    return number_text(value)


def _m(value: Any) -> str:
    return minutes_text(value)


def _target(row: pd.Series | dict[str, Any]) -> str:
    if missing(row["target"]):
        return "no target"
    return f"{'≥' if row['comparison'] == 'at_least' else '≤'} {float(row['target']):g}"


def _failing(rows: pd.DataFrame) -> int:
    return int(sum(1 for v in rows["meets_target"] if not missing(v) and not bool(v)))


def _at(rows: pd.DataFrame, col: str, largest: bool = True) -> pd.Series:
    """The row with the largest (or smallest) ``col`` (the first of equals)."""
    values = rows[col].to_numpy(dtype=float)
    return rows.iloc[int(values.argmax() if largest else values.argmin())]


def _spread(towns: pd.DataFrame, col: str) -> str:
    ok = towns[towns[col].notna()]
    if ok.empty:
        return "–"
    lo, hi = _at(ok, col, largest=False), _at(ok, col)
    return f"{_r(lo[col])} ({lo['township']}) to {_r(hi[col])} ({hi['township']})"


def _by_measure(res: Resources) -> list[tuple[str, pd.DataFrame]]:
    return [(k, res.measures[res.measures["measure"].astype(str) == k])
            for k in res.measure_names]


def _by_response(res: Resources, kind: str = "response") -> list[tuple[str, pd.DataFrame]]:
    r = res.response
    return [(k, r[(r["response"].astype(str) == k) & (r["kind"] == kind)])
            for k in res.response_names]


def _measure_line(key: str, rows: pd.DataFrame, fac: pd.DataFrame) -> list[str]:
    area = rows[rows["level"] == "area"].iloc[0]
    towns = rows[rows["level"] == "township"]
    per = people_text(area["per"])
    reach = "" if missing(area["minutes"]) else f", ≤ {float(area['minutes']):g} min {area['mode']}"
    if missing(area["ratio"]):
        return [f"- {key} ({area['label']}): {area['notes']}"]
    col = str(area["supply_column"] or "")
    supply = (f"{number_text(area['supply_reached'])} {col}" if col else
              f"{number_text(area['supply_reached'])} facilities, 1 each")
    target = ("no target" if missing(area["target"]) else
              f"target {_target(area)}: {_failing(towns)} townships below it")
    out = [f"- {key} ({area['label']}; {area['method']}{reach}): whole area {_r(area['ratio'])} "
           f"per {per} ({supply}, over {people_text(area['population'])} people); townships "
           f"{_spread(towns, 'ratio')}; {target}"]
    out.append("  by township: " + ", ".join(f"{t} {_r(v)}" for t, v in
                                             zip(towns["township"], towns["ratio"], strict=True)))
    mine = fac[fac["measure"].astype(str) == key] if len(fac) else fac
    if len(mine) and mine["served_population"].notna().any():
        top = _at(mine[mine["served_population"].notna()], "served_population")
        idle = [str(i) for i, b in zip(mine["id"], mine["idle"], strict=True) if bool(b)]
        out.append(f"  workload: {top['name']} ({top['id']}) serves the most, "
                   f"{people_text(top['served_population'])} people ({_r(top['served_ratio'])} "
                   f"per {per} served); supply reaching nobody: {', '.join(idle) or 'none'}")
    out.append(f"  notes: {area['notes']}")
    out.append(f"  source: {area['citation']}")
    return out


def _response_line(key: str, rows: pd.DataFrame, care: pd.DataFrame) -> list[str]:
    area = rows[rows["level"] == "area"].iloc[0]
    towns = rows[rows["level"] == "township"]
    if missing(area["median_minutes"]):
        return [f"- {key} ({area['label']}): {area['notes']}"]
    worst = _at(towns, "median_minutes") if len(towns) else None
    out = [f"- {key} ({area['label']}): response median {_m(area['median_minutes'])} min, 90th "
           f"percentile {_m(area['p90_minutes'])}, worst {_m(area['max_minutes'])}; "
           f"{share_text(area['share_within'], area['target_share'])} within "
           f"{float(area['target_minutes']):g} min (target {target_text(area['target_share'])}): "
           f"{_failing(towns)} townships below "
           "target" + ("" if worst is None else
                       f"; longest median {worst['township']} ({_m(worst['median_minutes'])} "
                       f"min, {share_text(worst['share_within'], worst['target_share'])} "
                       "within)")]
    out += [f"  {r['township']}: median {_m(r['median_minutes'])}, p90 "
            f"{_m(r['p90_minutes'])}, worst {_m(r['max_minutes'])} min, "
            f"{share_text(r['share_within'], r['target_share'])} within"
            for _, r in towns.iterrows()]
    if len(care):
        c = care[care["level"] == "area"].iloc[0]
        out.append(f"  time to definitive care: median {_m(c['median_minutes'])}, 90th "
                   f"percentile {_m(c['p90_minutes'])}, worst {_m(c['max_minutes'])} min")
    if float(area["unreached"]) > 0:
        out.append(f"  {people_text(area['unreached'])} people unreached within the search "
                   "limit")
    out.append(f"  notes: {area['notes']}")
    out.append(f"  source: {area['citation']}")
    return out


def summary_lines(res: Resources) -> list[str]:
    """The run summary's sections on the measures and the response model."""
    lines = ["", "## Resource ratios and access measures"]
    for key, rows in _by_measure(res):
        lines += _measure_line(key, rows, res.facilities)
    lines += [f"- {n}" for n in res.notes]
    if res.response_names:
        lines += ["", "## Emergency response"]
        cares = dict(_by_response(res, "care"))
        for key, rows in _by_response(res):
            lines += _response_line(key, rows, cares.get(key, rows.iloc[0:0]))
    return lines


def cli_measure_rows(res: Resources) -> list[list[object]]:
    """measure, per, whole area, lowest and highest township, target, townships below."""
    out: list[list[object]] = []
    for key, rows in _by_measure(res):
        area = rows[rows["level"] == "area"].iloc[0]
        towns = rows[rows["level"] == "township"]
        ok = towns[towns["ratio"].notna()]
        if missing(area["ratio"]) or ok.empty:
            out.append([key, "", "n/a", "", "", "", ""])
            continue
        lo, hi = _at(ok, "ratio", largest=False), _at(ok, "ratio")
        out.append([key, people_text(area["per"]), _r(area["ratio"]),
                    f"{lo['township']} {_r(lo['ratio'])}", f"{hi['township']} {_r(hi['ratio'])}",
                    _target(area), "" if missing(area["target"]) else str(_failing(towns))])
    return out


def cli_response_rows(res: Resources) -> list[list[object]]:
    """spec, median, p90, worst, share within the target, target, below, longest median."""
    out: list[list[object]] = []
    for key, rows in _by_response(res):
        area = rows[rows["level"] == "area"].iloc[0]
        towns = rows[rows["level"] == "township"]
        if missing(area["median_minutes"]):
            out.append([key, "n/a", "", "", "", "", "", ""])
            continue
        worst = _at(towns, "median_minutes")
        out.append([key, _m(area["median_minutes"]), _m(area["p90_minutes"]),
                    _m(area["max_minutes"]), share_text(area["share_within"], area["target_share"]),
                    f"{target_text(area['target_share'])} ≤ {float(area['target_minutes']):g} min",
                    str(_failing(towns)),
                    f"{worst['township']} {_m(worst['median_minutes'])}"])
    return out


# --------------------------------------------------------------------------- report

_MEASURE_COLS = (("township", "township", "text"), ("population", "population", "int"),
                 ("supply_reached", "supply_reached", "num"), ("ratio", "ratio", "num"),
                 ("target", "target", "num"), ("meets_target", "status", "bool"))
_FACILITY_COLS = (("id", "id", "text"), ("name", "name", "text"), ("township", "township", "text"),
                  ("supply", "supply", "num"), ("served_population", "served_population", "int"),
                  ("served_ratio", "served_ratio", "num"),
                  ("catchment_population", "catchment_population", "int"),
                  ("catchment_ratio", "catchment_ratio", "num"), ("idle", "idle", "bool"))
_RESPONSE_COLS = (("township", "township", "text"), ("population", "population", "int"),
                  ("median_minutes", "median", "min"), ("p90_minutes", "p90", "min"),
                  ("max_minutes", "worst", "min"), ("share_within", "share_within", "share"),
                  ("meets_target", "status", "bool"))


def _cell(value: Any, kind: str, lang: str, col: str = "", target: Any = None) -> str:
    if kind == "bool" and col == "idle" and not missing(value):
        return i18n.text("idle", lang) if bool(value) else "–"
    return html.escape(cells.text(value, kind, lang, target))


def _html_table(rows: pd.DataFrame, cols: Sequence[tuple[str, str, str]], lang: str) -> str:
    head = "".join(f'<th class="{"t" if k == "text" else ""}">'
                   f"{html.escape(i18n.text(key, lang))}</th>" for _, key, k in cols)
    body = []
    for r in rows.to_dict("records"):
        if r.get("level") == "area" and "township" in r:
            r = {**r, "township": i18n.text("total_row", lang, name=str(r["township"]))}
        fails = not missing(r.get("meets_target")) and not bool(r.get("meets_target"))
        classes = " ".join(c for c, on in (("fail", fails), ("total", r.get("level") == "area"))
                           if on)
        target = r.get("target_share")
        tds = "".join(f'<td class="{"t" if k == "text" else "n"}">'
                      f"{_cell(r[c], k, lang, c, target)}</td>" for c, _, k in cols)
        cls = f' class="{classes}"' if classes else ""
        body.append(f"<tr{cls}>{tds}</tr>")
    return (f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def _label(row: pd.Series | dict[str, Any], lang: str) -> str:
    return i18n.standard_label(str(row["label"]), str(row.get("label_zh") or ""), lang)


def _notes(text: str, lang: str) -> str:
    items = [t.strip() for t in str(text).split("; ") if t.strip()]
    return "<ul class=\"src\">" + "".join(f"<li>{html.escape(i18n.note(t, lang))}</li>"
                                           for t in items) + "</ul>"


def _measure_section(res: Resources, lang: str) -> Section:
    t = i18n.text
    parts = []
    for key, rows in _by_measure(res):
        first = rows.iloc[0]
        per = i18n.per_label(first["per"], first["method"], lang)
        parts.append(f"<h3>{html.escape(_label(first, lang))} ({html.escape(key)}; "
                     f"{html.escape(str(first['method']))}, {html.escape(per)})</h3>")
        parts.append(_html_table(rows, _MEASURE_COLS, lang))
        fac = res.facilities[res.facilities["measure"].astype(str) == key]
        if len(fac):
            parts.append(_html_table(pd.DataFrame(fac.drop(columns="geometry")),
                                     _FACILITY_COLS, lang))
        parts.append(_notes(str(first["notes"]), lang))
        parts.append(f'<p class="src">{html.escape(str(first["citation"]))}</p>')
    lines = [n for n in res.notes if n.startswith(_STATED)]
    if lines:
        parts.append(f'<h3>{t("stated", lang)}</h3><ul class="src">' + "".join(
            f"<li>{html.escape(i18n.note(n, lang))}</li>" for n in lines) + "</ul>")
    return Section("measures", t("measures_section", lang), "\n".join(parts))


def _response_section(res: Resources, lang: str) -> Section:
    t = i18n.text
    parts = []
    for key in res.response_names:
        rows = res.response[res.response["response"].astype(str) == key]
        first = rows.iloc[0]
        parts.append(f"<h3>{html.escape(_label(first, lang))} ({html.escape(key)})</h3>")
        resp = rows[rows["kind"] == "response"].reset_index(drop=True)
        care = rows[rows["kind"] == "care"].reset_index(drop=True)
        cols = list(_RESPONSE_COLS)
        if len(care) == len(resp):  # time to definitive care beside the response
            resp = resp.assign(care_median=care["median_minutes"], care_p90=care["p90_minutes"])
            cols += [("care_median", "care_median", "min"), ("care_p90", "care_p90", "min")]
        parts.append(f'<p class="src">{t("kind_response", lang)}; '
                     f'{t("kind_care", lang)}</p>')
        parts.append(_html_table(resp, cols, lang))
        parts.append(_notes(str(first["notes"]), lang))
        parts.append(f'<p class="src">{html.escape(str(first["citation"]))}</p>')
    return Section("response", t("response_section", lang), "\n".join(parts))


_NOT_COMPUTED = "not computed:"
_STATED = "stated figure, not computed here:"


def report_sections(res: Resources, lang: str) -> list[Section]:
    """The report's sections on the measures and the response model (none without any)."""
    out = []
    if res.measure_names or any(n.startswith(_STATED) for n in res.notes):
        out.append(_measure_section(res, lang))
    if res.response_names:
        out.append(_response_section(res, lang))
    return out


def report_appendix(res: Resources, lang: str) -> list[Section]:
    """The appendix on the measures not computed: the data and the study-file setting that
    would compute each (advice, kept out of the report's body)."""
    lines = [n for n in res.notes if n.startswith(_NOT_COMPUTED)]
    if not lines:
        return []
    t = i18n.text
    body = (f'<p class="note">{html.escape(t("missing_lead", lang))}</p><ol class="src">'
            + "".join(f"<li>{html.escape(i18n.note(n, lang))}</li>" for n in lines) + "</ol>")
    return [Section("missing-measures", t("missing_measures", lang), body)]


# --------------------------------------------------------------------------- workbook

def _sheet(book: tables.Book, name: str, title: str, note: str, rows: pd.DataFrame,
           cols: Sequence[tuple[str, str, str]]) -> None:
    lang = book.lang
    ws = book.sheet(name, title)
    ws.title_row(title)
    ws.row([i18n.note(note, lang)] if note else [])
    records = []
    for r in rows.to_dict("records"):
        rec = {**r, "is_total": r.get("level") == "area"}
        if rec["is_total"] and "township" in rec:
            rec["township"] = i18n.text("total_row", lang, name=str(rec["township"]))
        if "idle" in rec:  # a facility reaching nobody: said in words
            rec["idle"] = i18n.text("idle", lang) if rec["idle"] is True else ""
        records.append(rec)
    kinds = [(c, key, "text" if c == "idle" else k) for c, key, k in cols]
    head = cells.data_rows(ws, records, kinds)
    ws.freeze_at(head + 1, 2)
    ws.set_widths([16 if k == "text" else 12 for _, _, k in cols])
    if note:
        ws.wrap([2])
        ws.merge(2, 1, len(cols))


def sheet_label(label: str) -> str:
    """A sheet name from a label: up to its first parenthesis (``（`` or ``(``)."""
    for mark in ("（", " ("):
        label = label.split(mark)[0]
    return label.strip()


def write_sheets(book: tables.Book, res: Resources) -> None:
    """A sheet per measure, the workload of every facility, the response distribution and
    the notes on what was not computed (nothing when the run has none of them)."""
    t = i18n.text
    lang = book.lang
    for key, rows in _by_measure(res):
        first = rows.iloc[0]
        per = i18n.per_label(first["per"], first["method"], lang)
        _sheet(book, sheet_label(_label(first, lang)),
               f"{_label(first, lang)} ({key}; {first['method']}, {per})",
               f"{first['notes']}. {first['citation']}", rows, _MEASURE_COLS)
    if len(res.facilities):
        fac = pd.DataFrame(res.facilities.drop(columns="geometry"))
        _sheet(book, t("workload_sheet", lang), t("workload_layer", lang), "", fac,
               (("measure", "measure", "text"), *_FACILITY_COLS))
    if res.response_names:
        cols = (("response", "measure", "text"), ("kind", "method", "text"), *_RESPONSE_COLS)
        first = res.response.iloc[0]
        _sheet(book, t("response_sheet", lang), t("response_section", lang),
               f"{first['notes']}. {first['citation']}", res.response, cols)
    if res.notes:
        title = t("not_computed", lang) + " · " + t("stated", lang)
        ws = book.sheet(t("notes_sheet", lang), title)
        ws.title_row(title)
        for n in res.notes:
            ws.row([i18n.note(n, lang)])
        ws.set_widths([80])
        ws.wrap(range(2, ws.max_row + 1))
        ws.header = 1
