"""The population groups' outputs: the report's 健康公平 section and the workbook's sheets.

A study with ``[population] groups`` (:mod:`geo.coverage.groups`) gets, per standard that
applies, each group's covered share by township (the whole area as a bold last row, shares
below the target in red) and the equity measures per group (Gini and Theil of travel
minutes, Theil between and within townships, the best- and worst-served townships and their
gap, the group's share among the uncovered against its share of the population), with the
measures' definitions and sources. Numbers are written by :mod:`geo.outputs.cells`, as every
table writes them. A study without groups gets one line saying what is not computed and
which census columns would compute it.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from geo.coverage.groups import ALL, GroupTables
from geo.outputs import cells, i18n, tables
from geo.outputs.document import Section
from geo.outputs.map.layers import missing

__all__ = ["EQUITY_REPORT", "EQUITY_SHEET", "group_label", "report_appendix", "report_sections",
           "with_group_shares", "write_sheets"]

#: (column, label key, kind) of the report's equity table (one row per group)
EQUITY_REPORT: tuple[tuple[str, str, str], ...] = (
    ("population", "population", "int"),
    ("gini", "gini", "num"),
    ("theil", "theil", "num"),
    ("between_share", "between_share", "share"),
    ("worst_township", "worst_township", "text"),
    ("worst_share", "worst_share", "share"),
    ("share_gap", "share_gap", "share"),
    ("share_of_uncovered", "share_of_uncovered", "share"),
    ("share_of_population", "share_of_population", "share"),
    ("representation", "representation", "num"),
)
#: (column, label key, kind) of the workbook's equity sheet
EQUITY_SHEET: tuple[tuple[str, str, str], ...] = (
    ("population", "population", "int"),
    ("unreached_population", "unreached_population", "int"),
    ("gini", "gini", "num"),
    ("theil", "theil", "num"),
    ("theil_between", "theil_between", "num"),
    ("theil_within", "theil_within", "num"),
    ("between_share", "between_share", "share"),
    ("best_township", "best_township", "text"),
    ("best_share", "best_share", "share"),
    ("worst_township", "worst_township", "text"),
    ("worst_share", "worst_share", "share"),
    ("share_gap", "share_gap", "share"),
    ("uncovered_population", "uncovered_population", "int"),
    ("share_of_uncovered", "share_of_uncovered", "share"),
    ("share_of_population", "share_of_population", "share"),
    ("representation", "representation", "num"),
)


def group_label(name: str, label: object, lang: str) -> str:
    """Return a group as shown.

    Its census column and name ('65岁及以上 (elderly_65)'), or the whole population.
    """
    if name == ALL:
        return i18n.text("group_all", lang)
    return f"{label} ({name})" if not missing(label) and str(label) else name


def _applicable(groups: GroupTables) -> list[str]:
    cov = groups.coverage
    return [str(s) for s in dict.fromkeys(cov["standard"])
            if cov.loc[cov["standard"] == s, "covered_share"].notna().any()]


def _std_title(titles: Mapping[str, str], std: str) -> str:
    return titles.get(std, std)


def _by_township(groups: GroupTables, std: str) -> tuple[list[str], list[dict[str, object]]]:
    """Group names, and one record per township (then the whole area) of their shares.

    ``below`` of a record: the groups whose covered share there misses the target
    (the rows' ``meets_target``: :func:`geo.measures.aggregate.meets`, the one tolerance).
    """
    cov = groups.coverage[groups.coverage["standard"].astype(str) == std]
    names = [str(g) for g in dict.fromkeys(cov["group"])]
    places = [str(t) for t in dict.fromkeys(cov["township"])]
    area = places[-1]  # the area row comes last in every group's block
    records = []
    for place in places:
        below: set[str] = set()
        rec: dict[str, object] = {"township": place, "is_total": place == area,
                                  "below": below}
        for name in names:
            row = cov[(cov["group"] == name) & (cov["township"] == place)].iloc[0]
            rec[name] = row["covered_share"]
            rec["target_share"] = row["target_share"]
            if not missing(row["meets_target"]) and not bool(row["meets_target"]):
                below.add(name)
        records.append(rec)
    return names, records


def _below(record: Mapping[str, object]) -> set[str]:
    """Return the groups of a :func:`_by_township` record below the target."""
    below = record.get("below")
    return below if isinstance(below, set) else set()


def _labels(groups: GroupTables, lang: str) -> dict[str, str]:
    cov = groups.coverage
    return {str(g): group_label(str(g), lab, lang)
            for g, lab in zip(cov["group"], cov["group_label"], strict=True)}


def _share_table(groups: GroupTables, std: str, lang: str) -> str:
    names, records = _by_township(groups, std)
    shown = _labels(groups, lang)
    head = f'<th class="t">{html.escape(i18n.text("township", lang))}</th>' + "".join(
        f"<th>{html.escape(shown[n])}</th>" for n in names)
    body = []
    for r in records:
        place = str(r["township"])
        if r["is_total"]:
            place = i18n.text("total_row", lang, name=place)
        tds = f'<td class="t">{html.escape(place)}</td>'
        for n in names:
            cls = "n fail" if n in _below(r) else "n"
            tds += (f'<td class="{cls}">'
                    f"{html.escape(cells.text(r[n], 'share', lang, r['target_share']))}</td>")
        cls = ' class="total"' if r["is_total"] else ""
        body.append(f"<tr{cls}>{tds}</tr>")
    return (f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def _equity_rows(groups: GroupTables, std: str, cols: Sequence[tuple[str, str, str]],
                 lang: str) -> tuple[list[str], list[list[str]]]:
    eq = groups.equity[groups.equity["standard"].astype(str) == std]
    head = [i18n.text("group", lang), *(cells.header(k, kind, lang) for _, k, kind in cols)]
    rows = [[group_label(str(r["group"]), r["group_label"], lang),
             *(cells.text(r.get(c), kind, lang) for c, _, kind in cols)]
            for r in eq.to_dict("records")]
    return head, rows


def _equity_table(groups: GroupTables, std: str, lang: str) -> str:
    head, rows = _equity_rows(groups, std, EQUITY_REPORT, lang)
    th = "".join(f'<th class="{"t" if i == 0 else ""}">{html.escape(h)}</th>'
                 for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(
        f'<td class="{"t" if i in (0, 5) else "n"}">{html.escape(v)}</td>'
        for i, v in enumerate(row)) + "</tr>" for row in rows)
    return (f'<table class="data"><thead><tr>{th}</tr></thead><tbody>{body}'
            "</tbody></table>")


#: the measures defined at the end of the section and the sheet (``def_`` labels of i18n)
DEFINED = ("gini", "theil", "theil_between", "theil_within", "between_share", "share_gap",
           "share_of_uncovered", "representation", "unreached_population")


def _definitions_of(lang: str) -> list[tuple[str, str]]:
    return [(k, i18n.text(f"def_{k}", lang)) for k in DEFINED]


def _definitions(lang: str) -> str:
    items = "".join(f"<li><b>{html.escape(i18n.text(k, lang))}</b>: "
                    f"{html.escape(v)}</li>" for k, v in _definitions_of(lang))
    return (f'<h3>{html.escape(i18n.text("definitions", lang))}</h3>'
            f'<ul class="src">{items}</ul>')


def with_group_shares(coverage: pd.DataFrame, groups: GroupTables, lang: str) -> pd.DataFrame:
    """Return the coverage rows with ``group_shares``.

    Each group's covered share of the township and standard as the map's township tooltips list them
    ([(label, share text), ...]); ``coverage`` as it is without groups.
    """
    if groups.coverage.empty:
        return coverage
    cov = groups.coverage[groups.coverage["group"] != ALL]
    shares: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in cov.to_dict("records"):
        shares.setdefault((str(r["township"]), str(r["standard"])), []).append(
            (group_label(str(r["group"]), r["group_label"], lang),
             cells.text(r["covered_share"], "share", lang, r["target_share"])))
    out = coverage.copy()
    out["group_shares"] = pd.Series([shares.get((str(t), str(s)), []) for t, s in
                                     zip(out["township"], out["standard"], strict=True)],
                                    index=out.index, dtype=object)
    return out


def report_appendix(groups: GroupTables, lang: str) -> list[Section]:
    """Return, without groups, the appendix saying coverage by group is not computed.

    It says that coverage by group and equity are not computed and which census columns
    would compute them (advice, out of the body).
    """
    if not groups.coverage.empty:
        return []
    t = i18n.text
    return [Section("equity-missing", t("equity", lang),
                    f'<p class="note">{html.escape(t("groups_none", lang))}</p>')]


def report_sections(groups: GroupTables, lang: str, titles: Mapping[str, str],
                    lorenz: Mapping[str, str] | None = None) -> list[Section]:
    """Return the report's 健康公平 section.

    Per standard that applies, each group's covered share by township and the equity measures per
    group, then the definitions (none without groups: :func:`report_appendix` says so); ``titles``:
    each standard as headings name it; ``lorenz``: the ``<img>`` of each standard's Lorenz figure,
    under its table.
    """
    t = i18n.text
    if groups.coverage.empty:
        return []
    parts = [f'<p class="note">{html.escape(t("equity_lead", lang))}</p>']
    for std in _applicable(groups):
        label = _std_title(titles, std)
        parts.append(f'<h3>{html.escape(t("group_coverage", lang, label=label))}</h3>')
        parts.append(_share_table(groups, std, lang))
        parts.append(f'<h3>{html.escape(t("equity_table", lang, label=label))}</h3>')
        parts.append(_equity_table(groups, std, lang))
        if lorenz and std in lorenz:
            parts.append(f'<div class="figs">{lorenz[std]}</div><p class="cap">'
                         f'{html.escape(t("figure_lorenz", lang, label=label))}</p>')
    parts.append(_definitions(lang))
    return [Section("equity", t("equity", lang), "\n".join(parts))]


def write_sheets(book: tables.Book, groups: GroupTables, titles: Mapping[str, str]) -> None:
    """Write the workbook's group sheets.

    The workbook's 人群覆盖 (each group's covered share by township, per standard) and
    健康公平 (the equity measures per standard and group, then their definitions) sheets;
    nothing without groups. ``titles``: each standard as headings name it.
    """
    if groups.coverage.empty:
        return
    lang = book.lang
    t = i18n.text
    shown = _labels(groups, lang)
    ws = book.sheet(t("group_sheet", lang), t("group_sheet", lang))
    ws.title_row(t("group_sheet", lang))
    for std in _applicable(groups):
        ws.blank()
        ws.row([t("group_coverage", lang, label=_std_title(titles, std))], bold=True)
        names, records = _by_township(groups, std)
        ws.header_row([t("township", lang), *(shown[n] for n in names)])
        for r in records:
            place = str(r["township"])
            if r["is_total"]:
                place = t("total_row", lang, name=place)
            at = ws.row([place, *(cells.value(r[n], "share", lang, r["target_share"])
                                  for n in names)],
                        [None, *(cells.number_format("share", r[n], r["target_share"])
                                 for n in names)], bold=bool(r["is_total"]))
            for col, n in enumerate(names, start=2):  # below target: the sheets' red
                if n in _below(r):
                    ws.mark_cell(at, col, fill=tables.FAIL_FILL)
    ws.set_widths([18, *([16] * (len(shown)))])
    ws = book.sheet(t("equity_sheet", lang), t("equity", lang))
    ws.title_row(t("equity", lang))
    for std in _applicable(groups):
        ws.blank()
        ws.row([t("equity_table", lang, label=_std_title(titles, std))], bold=True)
        eq = groups.equity[groups.equity["standard"].astype(str) == std]
        ws.header_row([t("group", lang), *(cells.header(k, kind, lang)
                                           for _, k, kind in EQUITY_SHEET)])
        for rec in eq.to_dict("records"):
            ws.row([group_label(str(rec["group"]), rec["group_label"], lang),
                    *(cells.value(rec.get(c), kind, lang) for c, _, kind in EQUITY_SHEET)],
                   [None, *(cells.number_format(kind, rec.get(c))
                            for c, _, kind in EQUITY_SHEET)])
    ws.blank()
    ws.row([t("definitions", lang)], bold=True)
    for k, v in _definitions_of(lang):
        ws.row([t(k, lang), v])
    ws.set_widths([24, *([12] * len(EQUITY_SHEET))])
