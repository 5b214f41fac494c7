"""``report.html`` of a planning answer (``geo site``, ``geo designate``, ``geo compare``).

The same printable page as a run's report (:mod:`geo.outputs.document`), in the study's
language: the question and the answer (the chosen sites or the changes, and the people
within reach before and after), the table by township before and after (the whole area
as a last row), a map figure (PNG, embedded), the assumptions and the data sources.
Numbers are written by :mod:`geo.outputs.cells`, as in the workbook and the CSVs.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.crs import utm_crs_for
from geo.numbers import people_text, round_half_up, share_text, target_text
from geo.outputs import cells, i18n
from geo.outputs.document import ASSUMPTIONS_REF, Section, document
from geo.outputs.figures import REPORT_DPI, Canvas, cjk_context, north_arrow, scale_bar
from geo.outputs.map.layers import FAIL_OUTLINE_COLOUR, missing
from geo.outputs.map.planning import (
    CLOSED_ROAD_COLOUR,
    FALL_FILL,
    GAINED_COLOUR,
    HAZARD_COLOUR,
    LOST_COLOUR,
    RANK_COLOUR,
    RISE_FILL,
    TODAY_COLOUR,
    failing_towns,
    hazard_rules,
)
from geo.outputs.planning_tables import (
    COMPARISON_COLUMNS,
    SITING_COLUMNS,
    comparison_rows,
    drawn_area,
    named_roads,
    shown_changes,
    siting_by_township,
)
from geo.outputs.results import data_sources

if TYPE_CHECKING:
    import numpy.typing as npt

    from geo.planning.compare import Comparison
    from geo.planning.resilience import Criticality
    from geo.planning.sites import SitingRun
    from geo.study.run import ComputedStudy

__all__ = ["comparison_report", "criticality_report", "siting_report"]

_SITE_COLS = (("rank", "rank", "text"), ("name", "name", "text"),
              ("township", "township", "text"),
              ("newly_covered_population", "newly_covered", "int"),
              ("cumulative_covered_share", "cumulative_share", "share"))
#: the comparison's columns in the report (the workbook and CSV also give the change of
#: the share and of the median): eleven fit across a portrait A4 page
_REPORT_COMPARISON = tuple(c for c in COMPARISON_COLUMNS
                           if c[0] not in ("covered_share_change", "median_minutes_change"))
_CHANGE_COLS = (("project", "project", "text"), ("action", "action", "text"),
                ("id", "id", "text"), ("detail", "detail", "text"))


def _table(records: Sequence[Mapping[Any, Any]], cols: Sequence[tuple[str, str, str]],
           lang: str) -> str:
    head = "".join(f'<th class="{"t" if kind == "text" else ""}">'
                   f"{html.escape(cells.header(k, kind, lang))}</th>" for _, k, kind in cols)
    body = []
    for r in records:
        classes = [c for c, on in (("fail", r.get("meets_target") is False),
                                   ("total", bool(r.get("is_total")))) if on]
        tds = "".join(
            f'<td class="{"t" if kind == "text" else "n"}">'
            f"{html.escape(cells.text(r.get(c), kind, lang, r.get('target_share')))}</td>"
            for c, _, kind in cols)
        cls = f' class="{" ".join(classes)}"' if classes else ""
        body.append(f"<tr{cls}>{tds}</tr>")
    return (f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            "</tbody></table>")


def _total_label(records: list[dict[Any, Any]], lang: str) -> list[dict[Any, Any]]:
    for r in records:
        if r.get("is_total"):
            r["township"] = i18n.text("total_row", lang, name=str(r["township"]))
    return records


def _figure(study: ComputedStudy, fills: dict[str, str], areas: Sequence[tuple[Any, str, str]],
            points: gpd.GeoDataFrame | None, handles: list[Any], title: str,
            failing: Sequence[str] = (),
            overlays: Sequence[tuple[gpd.GeoDataFrame, str]] = ()) -> bytes:
    """Return a map figure: townships (filled per ``fills``; those ``failing`` outlined thick red).

    It adds ``areas`` (mask, colour, label), ``overlays`` (WGS84 polygons half opaque or lines
    drawn thick, in a colour: a hazard's extent, the roads it closes), numbered ``points``
    (``label`` column), scale bar and north arrow; PNG bytes.
    """
    with cjk_context():  # every text drawn in the CJK font
        lang = study.study.language
        towns = study.townships
        utm = utm_crs_for(*study.area.to_crs(4326).union_all().centroid.coords[0])
        fig = Figure(figsize=(8.27, 7.4), dpi=REPORT_DPI)
        Canvas(fig)
        ax = fig.add_axes((0.02, 0.06, 0.96, 0.86))
        t = towns.to_crs(utm)
        t.plot(ax=ax, color=[fills.get(str(n), "#ffffff") for n in t["township"]],
               edgecolor="#444", linewidth=0.8)
        for mask, colour, _ in areas:
            cellz = drawn_area(study, mask)
            if len(cellz):
                cellz.to_crs(utm).plot(ax=ax, color=colour, alpha=0.55, linewidth=0)
        t.boundary.plot(ax=ax, color="#444", linewidth=0.8)
        for frame, colour in overlays:
            shown = frame.to_crs(utm)
            if shown.geom_type.str.contains("Polygon").all():
                shown.plot(ax=ax, color=colour, alpha=0.5, edgecolor=colour, linewidth=0.6,
                           zorder=4)
            else:
                shown.plot(ax=ax, color=colour, linewidth=2.4, zorder=5)
        bad = t[t["township"].astype(str).isin(list(failing))]
        if len(bad):
            bad.boundary.plot(ax=ax, color=FAIL_OUTLINE_COLOUR, linewidth=2.2)
        for r in t.itertuples():
            p = r.geometry.representative_point()
            ax.annotate(str(r.township), (p.x, p.y), ha="center", va="center", fontsize=8,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                              "alpha": 0.7})
        if points is not None and len(points):
            pts = points.to_crs(utm)
            ax.scatter(pts.geometry.x, pts.geometry.y, s=170, c=RANK_COLOUR, edgecolors="white",
                       linewidths=1.2, zorder=6)
            for x, y, label in zip(pts.geometry.x, pts.geometry.y, pts["label"], strict=True):
                ax.text(x, y, str(label), ha="center", va="center", color="white", fontsize=8,
                        fontweight="bold", zorder=7)
        study.area.to_crs(utm).boundary.plot(ax=ax, color="#222", linewidth=1.2, linestyle="--")
        scale_bar(ax, t.total_bounds)
        north_arrow(ax, utm, t.total_bounds, lang)
        ax.set_axis_off()
        ax.set_aspect("equal")
        ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
        fig.suptitle(title, fontsize=10, y=0.985)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=REPORT_DPI, format="png")
        return buf.getvalue()


def _img(png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<div class="figs"><img class="wide" src="data:image/png;base64,{data}" '
            f'alt="{html.escape(caption)}"></div><p class="cap">{html.escape(caption)}'
            f"{'。' if caption and not caption.endswith('。') else ''}{ASSUMPTIONS_REF}</p>")


def siting_report(run: SitingRun, designation: bool) -> str:
    """Return ``report.html`` of a siting (``designation``: of a designation) answer."""
    from geo.outputs.planning_xlsx import has_target, threshold_line

    study, std, res = run.study, run.standard, run.result
    lang = study.study.language
    t = i18n.text
    key = "designation_line" if designation else "siting_line"
    question = t(key, lang, model=res.model.upper(),
                 label=i18n.standard_label(std.label, std.label_zh, lang), code=std.name,
                 minutes=f"{run.minutes:g}")
    towns = siting_by_township(run)
    total = towns.iloc[-1]
    after = float(total["covered_after"])
    gain = round_half_up(after) - round_half_up(float(total["covered_before"]))
    answer = t("covered_line", lang, minutes=f"{run.minutes:g}",
               before=people_text(total["covered_before"]), after=people_text(after),
               change=f"{gain:+,.0f}")
    share = share_text(total["share_after"], total["target_share"])
    sites = run.table.assign(rank=run.table["rank"].astype(int).astype(str))
    solved = t("solution", lang, status=res.status, gap=f"{res.gap:.3%}", method=res.method)
    body = [f"<p><b>{t('report_question', lang)}：</b>{html.escape(question)}</p>"
            if lang == "zh" else
            f"<p><b>{t('report_question', lang)}:</b> {html.escape(question)}</p>",
            f"<p><b>{t('report_answer', lang)}{'：' if lang == 'zh' else ': '}</b>"
            f"{html.escape(answer)} ({html.escape(t('share_after', lang))} {share})</p>",
            f'<p class="note">{html.escape(solved)}</p>',
            _table(sites.to_dict("records"), _SITE_COLS, lang)]
    cols = SITING_COLUMNS if has_target(run) else SITING_COLUMNS[:-2]
    records = _total_label([{**r, "meets_target": r["meets_target"]}
                            for r in towns.to_dict("records")], lang)
    before, now = run.covered(chosen=False), run.covered()
    handles = [Patch(color=TODAY_COLOUR, alpha=0.55,
                     label=t("within_today", lang, minutes=f"{run.minutes:g}")),
               Patch(color=GAINED_COLOUR, alpha=0.55,
                     label=t("newly_within", lang, minutes=f"{run.minutes:g}")),
               Line2D([], [], marker="o", ls="", color=RANK_COLOUR, markersize=9,
                      label=t("chosen_sites", lang))]
    if has_target(run):
        handles.append(Line2D([], [], color=FAIL_OUTLINE_COLOUR, lw=2.2,
                              label=f"{t('status_after', lang)}: {t('fails', lang)} "
                                    f"({t('target', lang)} {target_text(std.target_share)})"))
    points = gpd.GeoDataFrame({"label": sites["rank"]},
                              geometry=gpd.points_from_xy(run.table["lon"], run.table["lat"]),
                              crs=4326)
    failing = [str(r["township"]) for r in records
               if r.get("meets_target") is False and not r.get("is_total")]
    png = _figure(study, {}, [(before, TODAY_COLOUR, ""), (now & ~before, GAINED_COLOUR, "")],
                  points, handles, question, failing)
    sections = [
        Section("answer", f"{t('report_question', lang)} · {t('report_answer', lang)}",
                "\n".join(body), new_page=False),
        Section("townships", t("by_township", lang),
                f"<p>{html.escape(threshold_line(run, lang))}</p>"
                + _table(records, cols, lang), new_page=False),
        Section("map", t("map_figure", lang),
                _img(png, t("figure", lang, n=1) + " " + question)),
    ]
    return document(title=study.study.title, created=date.today().isoformat(), lang=lang,
                    intro="", sections=sections, assumptions=[*run.notes, *study.assumptions],
                    sources=data_sources(study))


def _changed(comp: Comparison) -> list[str]:
    out = []
    for std in comp.study.standards:
        b, a = comp.minutes_before.get(std.name), comp.minutes_after.get(std.name)
        if b is not None and a is not None and bool(((a <= std.minutes) !=
                                                     (b <= std.minutes)).any()):
            out.append(std.name)
    return out


def comparison_report(comp: Comparison) -> str:
    """Return ``report.html`` of a scenario compared with the study as it is."""
    study = comp.study
    lang = study.study.language
    t = i18n.text
    question = t("scenario_line", lang, name=comp.scenario.title)
    changes = shown_changes(comp.applied.changes, lang)
    changes = changes.assign(action=[i18n.action_label(str(a), lang) for a in changes["action"]])
    lines = []
    for std in study.standards:
        rows = comparison_rows(comp, std.name)
        if rows.empty:
            continue
        total = rows.iloc[-1]
        before, after = total["covered_population_before"], total["covered_population_after"]
        if missing(before) or missing(after):
            continue
        label = i18n.standard_label(std.label, std.label_zh, lang)
        lines.append(f"<li>{html.escape(label)}: " + html.escape(t(
            "covered_line", lang, minutes=f"{std.minutes:g}", before=people_text(before),
            after=people_text(after),
            change=f"{round_half_up(float(after)) - round_half_up(float(before)):+,.0f}"))
            + "</li>")
    desc = html.escape(comp.scenario.description or "")
    sections = [Section(
        "answer", f"{t('report_question', lang)} · {t('report_answer', lang)}",
        f"<p><b>{html.escape(question)}</b></p><p>{desc}</p><ul>{''.join(lines)}</ul>"
        + _table(changes.to_dict("records"), _CHANGE_COLS, lang), new_page=False)]
    if comp.hazard is not None and len(comp.hazard):
        sections.append(Section("hazard", t("hazard_section", lang), _hazard_body(comp),
                                new_page=False))
    figures = 0
    changed = _changed(comp)
    for std in study.standards:
        rows = comparison_rows(comp, std.name)
        if rows.empty or (rows["covered_share_before"].isna().all()
                          and rows["covered_share_after"].isna().all()):
            continue  # not applicable before and after: the assumptions say why
        label = i18n.standard_label(std.label, std.label_zh, lang)
        head = (f"{label} ({std.name}) ≤ {std.minutes:g} {t('minutes', lang)}, "
                f"{t('target', lang)} {target_text(std.target_share)}")
        body = f"<p>{html.escape(head)}</p>" + _table(
            _total_label(rows.to_dict("records"), lang), _REPORT_COMPARISON, lang)
        if std.name in changed:
            figures += 1
            body += _img(_change_figure(comp, std.name, rows, label), t(
                "figure", lang, n=figures) + " " + label)
        # a standard the scenario changes starts a page (its table and map); one it does
        # not change is a table that follows on
        sections.append(Section(f"std-{std.name}", f"{t('by_township', lang)}: {label}",
                                body, new_page=std.name in changed,
                                keep=std.name not in changed))
    return document(title=study.study.title, created=date.today().isoformat(), lang=lang,
                    intro="", sections=sections, assumptions=comp.notes,
                    sources=data_sources(study))


def criticality_report(run: Criticality, top: int = 5, rows: int = 15) -> str:
    """Return ``report.html`` of a road criticality ranking, in the study's language.

    The ``top`` pieces that take anyone out of the standard, the townships they carry ("these
    five roads carry the 1-hour circle of 拉沟乡 and 四排镇"), then the first ``rows`` of the
    ranking and its notes.
    """
    from geo.outputs.planning_xlsx import CRITICALITY_COLUMNS

    study, std = run.study, run.standard
    lang, t = study.study.language, i18n.text
    label = i18n.standard_label(std.label, std.label_zh, lang)
    mins = f"{run.minutes:g}"
    table = run.table
    lost = table[table["people_lost"] > 0].head(top)
    sep = "、" if lang == "zh" else ", "
    if lost.empty:
        head = t("crit_none", lang, label=label, minutes=mins)
    else:
        towns = dict.fromkeys(x for v in lost["townships_losing"] for x in str(v).split("、")
                              if x and x != "nan")
        head = t("crit_headline", lang, k=len(lost), towns=sep.join(towns), label=label,
                 minutes=mins)
    items = []
    for r in lost.to_dict("records"):
        near = ""  # a road without name or ref: where it is (the middle of its ends)
        if str(r["road"]).startswith("unnamed") and {"lon_a", "lon_b"} <= set(r):
            near = t("crit_near", lang, lon=f"{(r['lon_a'] + r['lon_b']) / 2:.4f}",
                     lat=f"{(r['lat_a'] + r['lat_b']) / 2:.4f}")
        line = t("crit_piece", lang, road=i18n.road_label(r["road"], lang),
                 km=cells.text(r["km"], "min", lang), near=near,
                 towns=str(r["townships_losing"]), people=people_text(r["people_lost"]),
                 worst=cells.text(r["worst_minutes_after"], "min", lang))
        detour = float(r["detour_minutes"])
        line += (t("crit_no_detour", lang) if not np.isfinite(detour) else
                 t("crit_faster", lang, faster=cells.text(-detour, "min", lang)) if detour < 0
                 else t("crit_detour", lang, detour=cells.text(detour, "min", lang)))
        if float(r["people_cut_off"]) > 0:
            line += t("crit_cut_off", lang, people=people_text(r["people_cut_off"]))
        line += _fix_text(run, int(r["rank"]), lang)
        items.append(f"<li>{html.escape(line)}</li>")
    question = t("criticality_line", lang, label=label, code=std.name, minutes=mins)
    frame = named_roads(table.head(rows).replace([float("inf")], float("nan")), lang)
    sections = [
        Section("answer", f"{t('report_question', lang)} · {t('report_answer', lang)}",
                f"<p><b>{html.escape(question)}</b></p><p><b>{html.escape(head)}</b></p>"
                f"<ol>{''.join(items)}</ol>", new_page=False),
        Section("ranking", t("crit_table", lang, n=len(frame)),
                _table(frame.to_dict("records"), CRITICALITY_COLUMNS[:10], lang),
                new_page=False)]
    fix_notes = [] if run.fixes is None else list(run.fixes.notes)
    return document(title=study.study.title, created=date.today().isoformat(), lang=lang,
                    intro="", sections=sections, assumptions=fix_notes + run.notes,
                    sources=data_sources(study))


def _fix_text(run: Criticality, rank: int, lang: str) -> str:
    """Say the suggested link of the piece ranked ``rank`` (:mod:`geo.planning.fixes`), if any."""
    if run.fixes is None:
        return ""
    rows = run.fixes.table[run.fixes.table["rank"] == rank].to_dict("records")
    if not rows:
        return ""
    f = rows[0]
    site = ""
    if not pd.isna(f.get("site_people_restored")) and f["site_people_restored"] > 0:
        site = i18n.text("crit_site", lang, lon=f"{f['site_lon']:.4f}",
                         lat=f"{f['site_lat']:.4f}",
                         kind=i18n.type_label(str(f["site_type"]), lang),
                         people=people_text(f["site_people_restored"]),
                         scenario=f["site_scenario"])
    if pd.isna(f["people_restored"]) or not f["people_restored"] > 0:
        return i18n.text("crit_fix_none", lang, reach=f"{run.fixes.reach_km:g}") + site
    cls = {"tertiary": "乡道"}.get(str(f["link_class"]), str(f["link_class"])) \
        if lang == "zh" else str(f["link_class"])
    return i18n.text("crit_fix", lang, lon_a=f"{f['lon_from']:.4f}",
                     lat_a=f"{f['lat_from']:.4f}",
                     lon_b=f"{f['lon_to']:.4f}", lat_b=f"{f['lat_to']:.4f}",
                     km=cells.text(f["link_km"], "min", lang), cls=cls,
                     kmh=f"{f['link_kmh']:g}", people=people_text(f["people_restored"]),
                     scenario=f["scenario"]) + site


def _hazard_body(comp: Comparison) -> str:
    """Say in the study's language what a hazard closes and which townships lose coverage.

    E.g. "洪水范围关闭了 N 段道路；X 乡镇 1 小时应急圈覆盖率从 a% 降到 b%", then each layer's rule
    and its own note (that an extent is illustrative).
    """
    study, lang, t = comp.study, comp.study.study.language, i18n.text
    hz = comp.hazard
    assert hz is not None
    roads = comp.closed_roads
    n = 0 if roads is None else int((roads["change"] == "closed").sum())
    km = 0.0 if roads is None else float(roads.loc[roads["change"] == "closed",
                                                   "length_m"].sum()) / 1000.0
    sep = "、" if lang == "zh" else ", "
    head = t("hazard_closed", lang, layers=sep.join(hz["layer"].astype(str)), n=f"{n:,}",
             km=f"{round_half_up(km, 1):,.1f}")
    drops = []
    for std in study.standards:
        rows = comparison_rows(comp, std.name)
        label = i18n.standard_label(std.label, std.label_zh, lang)
        for r in rows.to_dict("records"):
            a, b = r["covered_share_before"], r["covered_share_after"]
            if missing(a) or missing(b) or not float(b) < float(a):
                continue
            town = str(r["township"]) + (t("whole_area", lang) if r["is_total"] else "")
            # whole persons before less whole persons after, as the answer's lines write it
            lost = (round_half_up(float(r["covered_population_before"]))
                    - round_half_up(float(r["covered_population_after"])))
            drops.append((r["is_total"], -lost, t(
                "hazard_drop", lang, town=town, label=label, minutes=f"{std.minutes:g}",
                a=share_text(a), b=share_text(b), people=f"{lost:,.0f}")))
    drops.sort(key=lambda d: (not d[0], d[1]))
    items = "".join(f"<li>{html.escape(d[2])}</li>" for d in drops) or \
        f"<li>{html.escape(t('hazard_no_drop', lang))}</li>"
    fails = failing_towns(comp, lang)
    fail_line = "" if not fails else "<p><b>" + html.escape(t(
        "hazard_fails", lang, towns=sep.join(f"{k}（{'、'.join(v)}）" if lang == "zh" else
                                             f"{k} ({', '.join(v)})"
                                             for k, v in fails.items()))) + "</b></p>"
    layers = "".join(
        f"<li><b>{html.escape(str(r['layer']))}</b>: {html.escape(t('hazard_rule', lang))}: "
        f"{html.escape(rule)}"
        + (f"; {html.escape(t('hazard_said', lang))}: <b>{html.escape(str(r['note']))}</b>"
           if str(r["note"]) else "") + "</li>"
        for r, rule in zip(hz.to_dict("records"), hazard_rules(hz, lang), strict=True))
    return (f"<p><b>{html.escape(head)}</b></p>{fail_line}<ul>{items}</ul>"
            f"<ul>{layers}</ul>")


def _change_figure(comp: Comparison, key: str, rows: pd.DataFrame, label: str) -> bytes:
    study = comp.study
    lang = study.study.language
    t = i18n.text
    std = next(s for s in study.standards if s.name == key)
    b, a = comp.minutes_before[key], comp.minutes_after[key]
    gained: npt.NDArray[np.bool_] = (a <= std.minutes) & (b > std.minutes)
    lost: npt.NDArray[np.bool_] = (b <= std.minutes) & (a > std.minutes)
    change = rows.set_index(rows["township"].astype(str))["covered_share_change"]
    fills = {str(k): RISE_FILL if v > 0 else FALL_FILL for k, v in change.items()
             if not missing(v) and v != 0}
    handles: list[Any] = [
        Patch(color=GAINED_COLOUR, alpha=0.55, label=t("gained_layer", lang)),
        Patch(color=LOST_COLOUR, alpha=0.55, label=t("lost_layer", lang)),
        Patch(facecolor=RISE_FILL, edgecolor="#444", label=t("gain", lang)),
        Patch(facecolor=FALL_FILL, edgecolor="#444", label=t("loss", lang))]
    moved = comp.applied.changes
    points = None
    if {"lon_after", "lat_after"} <= set(moved.columns):
        ok = moved["lon_after"].notna() & moved["lat_after"].notna()
        if ok.any():
            points = gpd.GeoDataFrame(
                {"label": [str(i + 1) for i in range(int(ok.sum()))]},
                geometry=gpd.points_from_xy(moved.loc[ok, "lon_after"],
                                            moved.loc[ok, "lat_after"]), crs=4326)
            handles.append(Line2D([], [], marker="o", ls="", color=RANK_COLOUR, markersize=9,
                                  label=t("changes_layer", lang)))
    overlays: list[tuple[gpd.GeoDataFrame, str]] = []
    if comp.hazard is not None and len(comp.hazard):
        overlays.append((comp.hazard, HAZARD_COLOUR))
        handles.append(Patch(color=HAZARD_COLOUR, alpha=0.5, label=t("hazard_layer", lang)))
    if comp.closed_roads is not None and len(comp.closed_roads):
        overlays.append((comp.closed_roads, CLOSED_ROAD_COLOUR))
        handles.append(Line2D([], [], color=CLOSED_ROAD_COLOUR, linewidth=2.4,
                              label=t("closed_roads", lang)))
    fails = [town for town, stds in failing_towns(comp, lang).items() if label in stds]
    if fails:
        handles.append(Patch(facecolor="none", edgecolor=FAIL_OUTLINE_COLOUR, linewidth=2,
                             label=t("failing_towns", lang)))
    return _figure(study, fills, [(gained, GAINED_COLOUR, ""), (lost, LOST_COLOUR, "")],
                   points, handles, f"{comp.scenario.title} · {label}", failing=fails,
                   overlays=overlays)
