"""Maps of siting answers and scenario changes, on the same page as ``map.html``.

They are ``siting_map.html``, ``designation_map.html`` and ``comparison_map.html``, built on
:mod:`geo.outputs.map.page`.

Each has the study language's labels (:mod:`geo.outputs.i18n`), a legend, the township
outlines with their names and, in a tooltip, their numbers before and after, the study area,
facilities drawn as on ``map.html`` (:func:`geo.outputs.map.layers.facility_layer`), a
metric scale, the assumptions (folded) and an offline base. What the answer changes is on
when the page opens: the areas within reach today and newly within reach of the chosen sites;
on the comparison map the areas gained and lost and the township change of the first
standard that changes, with a radio list to show another standard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.numbers import round_half_up
from geo.outputs import i18n
from geo.outputs.map import page as map_page
from geo.outputs.map.layers import esc, facility_layer, facility_styles, fmt, simplified
from geo.outputs.planning_tables import (
    comparison_rows,
    drawn_area,
    named_roads,
    shown_changes,
    siting_by_township,
)

if TYPE_CHECKING:
    from geo.coverage.standards import Standard
    from geo.planning.compare import Comparison
    from geo.planning.resilience import Criticality
    from geo.planning.sites import SitingRun
    from geo.study.run import ComputedStudy

__all__ = ["change_map", "criticality_map", "siting_map"]

TODAY_COLOUR = "#6baed6"
GAINED_COLOUR = "#238b45"
LOST_COLOUR = "#cb181d"
RISE_FILL = "#c7e9c0"  # a township whose covered share rises (pale: the areas stay visible)
FALL_FILL = "#fcbba1"
RANK_COLOUR = "#d7301f"
CANDIDATE_COLOUR = "#9e9e9e"
ACTION_COLOURS = {"add": "#31a354", "move": "#3182bd", "close": "#de2d26",
                   "retype": "#fd8d3c", "designate": "#9e9ac8", "add_road": "#000000"}


def _label(std: Standard, lang: str) -> str:
    return i18n.standard_label(std.label, std.label_zh, lang)


def _page(study: ComputedStudy, title: str, lines: Sequence[str], notes: Sequence[str],
          legend: str) -> folium.Map:
    lang = study.study.language
    m = map_page.base_map(study.area.to_crs(4326), lang)
    day = date.today().isoformat()
    map_page.add_boxes(m, map_page.title_box(title, lines, notes, lang, day), legend, lang)
    return m


def _legend(rows: Sequence[tuple[str, str, str]], types: Mapping[str, tuple[str, str]],
            lang: str) -> str:
    marks = [(f"background:{c}", g, i18n.type_label(k, lang)) for k, (c, g) in types.items()]
    return (f'<div class="geo-box geo-legend"><b>{i18n.text("legend", lang)}</b>'
            f"{map_page.swatches(rows)}{map_page.swatches(marks, 2)}</div>")


def _town_layer(study: ComputedStudy, tips: Mapping[str, str], name: str,
                fills: Mapping[str, str] | None = None, show: bool = True) -> folium.GeoJson:
    """Return township outlines (filled where ``fills`` names a colour) with tooltips."""
    towns = study.townships.to_crs(4326)
    names = [str(t) for t in towns["township"]]
    data = towns[[towns.geometry.name]].assign(
        tooltip=[tips.get(n, f"<b>{esc(n)}</b>") for n in names])
    data.index = pd.Index(names)
    styles = {n: {"color": "#444", "weight": 1.2, "fillColor": (fills or {}).get(n, "#fff"),
                  "fillOpacity": 0.45 if (fills or {}).get(n) else 0.05} for n in names}
    return folium.GeoJson(
        simplified(data), name=name, show=show,
        style_function=lambda f: {**styles[f["id"]], "className": "geo-town"},
        highlight_function=lambda f: {**styles[f["id"]], "weight": 3},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    )


def _area(result: ComputedStudy, mask: npt.NDArray[np.bool_], name: str, colour: str,
          show: bool = True, kind: str = "area") -> folium.GeoJson | None:
    """Return dissolved demand cells of ``mask``; not clickable (the township tooltips stay)."""
    gdf = drawn_area(result, mask)
    if not len(gdf):
        return None
    style = {"color": colour, "weight": 0.5, "fillColor": colour, "fillOpacity": 0.5,
             "className": f"geo-{kind}"}
    return folium.GeoJson(gdf, name=name, show=show, interactive=False,
                          style_function=lambda _: dict(style))


def _table_tip(name: str, cells: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in cells)
    return f'<div class="geo-tip"><b>{esc(name)}</b><table>{body}</table></div>'


def _arrow(before: Any, after: Any, kind: str, lang: str) -> str:
    return f"{fmt(before, kind, lang)} → {fmt(after, kind, lang)}"


def _status(value: Any, lang: str) -> str:
    return "–" if value is None or pd.isna(value) else i18n.text(
        "meets" if bool(value) else "fails", lang)


def _siting_tips(run: SitingRun, lang: str) -> dict[str, str]:
    t = i18n.text
    tips = {}
    for r in siting_by_township(run).to_dict("records"):
        cells = [(t("population", lang), fmt(r["population"], "int")),
                 (t("covered", lang), _arrow(r["covered_before"], r["covered_after"], "int",
                                             lang)),
                 (t("covered_share", lang), _arrow(r["share_before"], r["share_after"],
                                                   "share", lang)),
                 (t("status_after", lang), _status(r["meets_target"], lang))]
        tips[str(r["township"])] = _table_tip(str(r["township"]), cells)
    return tips


def _chosen_layer(table: pd.DataFrame, name: str, minutes: float, lang: str
                  ) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name)
    for r in table.to_dict("records"):
        tip = _table_tip(f"#{r['rank']} {r['name']} ({r['id']})", [
            (i18n.text("township", lang), str(r["township"])),
            (i18n.text("newly_covered", lang), fmt(r["newly_covered_population"], "int")),
            (i18n.text("cumulative_share", lang), fmt(r["cumulative_covered_share"], "share")),
            (i18n.text("threshold_min", lang), fmt(minutes, "min", lang)),
        ])
        icon = folium.DivIcon(html=f'<div class="geo-rank">{int(r["rank"])}</div>',
                              icon_size=(22, 22), icon_anchor=(11, 11), class_name="geo-chosen")
        folium.Marker([r["lat"], r["lon"]], icon=icon, tooltip=folium.Tooltip(tip),
                      z_index_offset=1000).add_to(group)
    return group


def _candidate_layer(cands: gpd.GeoDataFrame, name: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=False)
    for geom, cid in zip(cands.geometry.to_crs(4326), cands["id"].astype(str), strict=True):
        folium.CircleMarker([geom.y, geom.x], radius=2, color=CANDIDATE_COLOUR, weight=1,
                            fill=True, fill_opacity=0.9, tooltip=esc(cid)).add_to(group)
    return group


def siting_map(run: SitingRun, title: str) -> folium.Map:
    """Draw the townships (before → after in a tooltip) and the areas within reach.

    The layers are the areas within reach today and newly within reach, the existing facilities of
    the standard, candidates (off) and the ranked choice.
    """
    study, std, res = run.study, run.standard, run.result
    lang = study.study.language
    t = i18n.text
    mins = f"{run.minutes:g}"
    designation = hasattr(run, "summary")
    head = t("designation_line" if designation else "siting_line", lang,
             model=res.model.upper(), label=_label(std, lang), code=std.name, minutes=mins)
    solved = t("solution", lang, status=res.status, gap=f"{res.gap:.3%}", method=res.method)
    total = siting_by_township(run).iloc[-1]
    lines = [f"<div><b>{esc(head)}</b></div>", f"<div>{esc(solved)}</div>",
             f"<div>{esc(_covered_line(total, mins, lang))}</div>"]
    fac = study.facilities
    eligible = fac[fac["type"].isin(std.facility_types)]
    types = facility_styles([str(x) for x in eligible["type"]])
    rows = [(f"height:10px;background:{TODAY_COLOUR};opacity:.6", "",
             t("within_today", lang, minutes=mins)),
            (f"height:10px;background:{GAINED_COLOUR};opacity:.6", "",
             t("newly_within", lang, minutes=mins)),
            ("border-top:1.5px solid #444", "", t("townships_outline", lang)),
            (f"background:{RANK_COLOUR}", "1", t("chosen_sites", lang)),
            (f"height:5px;width:5px;border-radius:50%;background:{CANDIDATE_COLOUR}", "",
             t("candidates", lang, n=len(run.candidates)))]
    m = _page(study, title, lines, [*run.notes, *study.assumptions], _legend(rows, types, lang))
    _town_layer(study, _siting_tips(run, lang), t("townships_outline", lang)).add_to(m)
    before, after = run.covered(chosen=False), run.covered()
    for mask, key, colour in ((before, "within_today", TODAY_COLOUR),
                              (after & ~before, "newly_within", GAINED_COLOUR)):
        layer = _area(study, mask, t(key, lang, minutes=mins), colour, kind=key.split("_")[0])
        if layer is not None:
            layer.add_to(m)
    map_page.boundary_layer(study.area.to_crs(4326), lang).add_to(m)
    chosen = gpd.GeoDataFrame(geometry=gpd.points_from_xy(run.table["lon"], run.table["lat"]),
                              crs=4326)
    marks = pd.concat([eligible[["geometry"]].to_crs(4326), chosen], ignore_index=True)
    map_page.township_names(study.townships, lang, gpd.GeoDataFrame(marks, crs=4326)).add_to(m)
    facility_layer(eligible, types, t("existing_facilities", lang, label=_label(std, lang)),
                   lang).add_to(m)
    _candidate_layer(run.candidates, t("candidates", lang, n=len(run.candidates))).add_to(m)
    _chosen_layer(run.table, t("chosen_sites", lang), run.minutes, lang).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _covered_line(row: Mapping[str, Any] | pd.Series, minutes: str, lang: str) -> str:
    before, after = float(row["covered_before"]), float(row["covered_after"])
    return i18n.text("covered_line", lang, minutes=minutes, before=fmt(before, "int"),
                     after=fmt(after, "int"),
                     change=f"{round_half_up(after) - round_half_up(before):+,.0f}")


# --------------------------------------------------------------------------- comparison


def _change_tips(rows: pd.DataFrame, std: Standard, lang: str) -> dict[str, str]:
    t = i18n.text
    out = {}
    for r in rows.to_dict("records"):
        cells = [(t("standard", lang), f"{_label(std, lang)} ({std.name})"),
                 (t("covered", lang), _arrow(r["covered_population_before"],
                                             r["covered_population_after"], "int", lang)),
                 (t("covered_share", lang), _arrow(r["covered_share_before"],
                                                   r["covered_share_after"], "share", lang)),
                 (t("median", lang), _arrow(r["median_minutes_before"],
                                            r["median_minutes_after"], "min", lang)),
                 (t("status_after", lang), _status(r["meets_target"], lang))]
        out[str(r["township"])] = _table_tip(str(r["township"]), cells)
    return out


def _change_fill(rows: pd.DataFrame) -> dict[str, str]:
    change = rows.set_index(rows["township"].astype(str))["covered_share_change"]
    return {str(k): RISE_FILL if v > 0 else FALL_FILL
            for k, v in change.items() if pd.notna(v) and v != 0}


def _standard_members(comp: Comparison, lang: str) -> tuple[dict[str, dict[str, Any]], str]:
    """Draw per standard the township change layer and the areas gained and lost.

    Also return the standard to show first (the first whose coverage changes).
    """
    t = i18n.text
    res = comp.study
    members: dict[str, dict[str, Any]] = {}
    first = ""
    for std in res.standards:
        b, a = comp.minutes_before.get(std.name), comp.minutes_after.get(std.name)
        if b is None or a is None:
            continue
        rows = comparison_rows(comp, std.name)
        towns = rows[~rows["is_total"]]
        layers: dict[str, Any] = {"townships": _town_layer(
            res, _change_tips(towns, std, lang), t("change_layer", lang),
            _change_fill(towns), show=False)}
        gained, lost = (a <= std.minutes) & (b > std.minutes), (b <= std.minutes) & (
            a > std.minutes)
        for slot, mask, colour in (("gained", gained, GAINED_COLOUR),
                                   ("lost", lost, LOST_COLOUR)):
            if (layer := _area(res, mask, f"{t(slot + '_layer', lang)} ({std.name})", colour,
                               show=False, kind=slot)) is not None:
                layers[slot] = layer
        if not first and (gained.any() or lost.any()):
            first = std.name
        members[std.name] = layers
    return members, first or next(iter(members), "")


def _std_lines(comp: Comparison, keys: Sequence[str], shown: str, lang: str) -> list[str]:
    t = i18n.text
    out = []
    for std in (s for s in comp.study.standards if s.name in keys):
        total = comparison_rows(comp, std.name).iloc[-1]
        row = {"covered_before": total["covered_population_before"],
               "covered_after": total["covered_population_after"]}
        text = (f"{t('standard_shown', lang)}: <b>{esc(_label(std, lang))}</b> ({esc(std.name)})"
                f"<br>{esc(_covered_line(row, f'{std.minutes:g}', lang))}")
        out.append(map_page.std_block(std.name, shown, text))
    return out


def _cut_rows(comp: Comparison, lang: str) -> list[tuple[str, str, str]]:
    """Return the legend rows of the closed roads, the hazard extent and the failing townships."""
    t = i18n.text
    rows = []
    if comp.hazard is not None and len(comp.hazard):
        rows.append((f"height:10px;background:{HAZARD_COLOUR};opacity:.6", "",
                     t("hazard_layer", lang)))
    if comp.closed_roads is not None and len(comp.closed_roads):
        rows.append((f"height:5px;background:{CLOSED_ROAD_COLOUR}", "", t("closed_roads", lang)))
    if failing_towns(comp, lang):
        rows.append((f"height:10px;border:2px dashed {CLOSED_ROAD_COLOUR}", "",
                     t("failing_towns", lang)))
    return rows


def change_map(comp: Comparison, title: str) -> folium.Map:
    """Draw the facilities a scenario changes, and its effect per standard.

    Per standard (one at a time) the townships' change and the areas gained and lost.
    """
    res = comp.study
    lang = res.study.language
    t = i18n.text
    members, shown = _standard_members(comp, lang)
    after = comp.applied.facilities
    types = facility_styles([str(x) for x in after["type"]])
    rows = [(f"height:10px;background:{GAINED_COLOUR};opacity:.6", "", t("gained_layer", lang)),
            (f"height:10px;background:{LOST_COLOUR};opacity:.6", "", t("lost_layer", lang)),
            (f"height:10px;background:{RISE_FILL};border:1px solid #444", "", t("gain", lang)),
            (f"height:10px;background:{FALL_FILL};border:1px solid #444", "", t("loss", lang)),
            ("height:10px;background:#fff;border:1px solid #444", "", t("no_change", lang)),
            *((f"height:10px;border-radius:50%;border:3px solid {c};box-sizing:border-box", "",
               i18n.action_label(a, lang)) for a, c in ACTION_COLOURS.items()
              if a in set(comp.applied.changes["action"].astype(str))),
            *_cut_rows(comp, lang)]
    lines = [f"<div><b>{esc(t('scenario_line', lang, name=comp.scenario.title))}</b></div>",
             *_std_lines(comp, list(members), shown, lang)]
    m = _page(res, title, lines, comp.notes, _legend(rows, types, lang))
    slots = {"townships": folium.FeatureGroup(name=t("change_layer", lang)),
             "gained": folium.FeatureGroup(name=t("gained_layer", lang)),
             "lost": folium.FeatureGroup(name=t("lost_layer", lang))}
    for layers in members.values():
        for slot, layer in layers.items():
            layer.control = False
            layer.add_to(slots[slot])
    for group in slots.values():
        group.add_to(m)
    map_page.boundary_layer(res.area.to_crs(4326), lang).add_to(m)
    map_page.township_names(res.townships, lang, after).add_to(m)
    facility_layer(after, types, t("facilities_after", lang), lang).add_to(m)
    _change_layer(comp.applied.changes, t("changes_layer", lang), lang).add_to(m)
    if comp.applied.roads is not None:
        folium.GeoJson(comp.applied.roads[["name", "highway", "geometry"]],
                       name=t("new_roads", lang),
                       style_function=lambda _: {"color": "#000", "weight": 4},
                       tooltip=folium.GeoJsonTooltip(["name", "highway"])).add_to(m)
    _road_cuts(comp, lang).add_to(m)
    choices = {s.name: _label(s, lang) for s in res.standards if s.name in members}
    map_page.StandardSwitch(choices, shown, slots, members, t("standard", lang)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


HAZARD_COLOUR = "#2171b5"  # gis_styles.HAZARD_COLOUR
CLOSED_ROAD_COLOUR = "#e31a1c"  # gis_styles.CLOSED_ROAD_COLOUR


def hazard_rules(hazard: gpd.GeoDataFrame, lang: str) -> list[str]:
    """Return the rule of each hazard layer (a row of ``Comparison.hazard``) in ``lang``."""
    t = i18n.text
    out = []
    for r in hazard.to_dict("records"):
        if r["kind"] == "raster":
            out.append(t("hazard_rule_raster", lang, threshold=f"{float(r['threshold']):g}",
                         cells=f"{float(r['cells']):,.0f}"))
        elif r["kind"] == "points":
            radius = (t("hazard_radius_column", lang) if pd.isna(r["radius_m"]) else
                      t("hazard_radius", lang, m=f"{float(r['radius_m']):g}"))
            out.append(t("hazard_rule_points", lang, n=f"{float(r['points']):,.0f}",
                         radius=radius))
        else:
            out.append(t("hazard_rule_polygons", lang))
    return out


def failing_towns(comp: Comparison, lang: str) -> dict[str, list[str]]:
    """Return the townships that meet a standard's target before the scenario and not after.

    Each with the labels of those standards (the whole area's rows left out).
    """
    whole = str(comp.study.area["name"].iloc[0])
    t = comp.table
    fell = t[(t["meets_target_before"] == True) & (t["meets_target_after"] == False)  # noqa: E712
             & (t["township"].astype(str) != whole)]
    labels = {s.name: i18n.standard_label(s.label, s.label_zh, lang)
              for s in comp.study.standards}
    out: dict[str, list[str]] = {}
    for town, std in zip(fell["township"].astype(str), fell["standard"].astype(str),
                         strict=True):
        out.setdefault(town, []).append(labels.get(std, std))
    return out


def _road_cuts(comp: Comparison, lang: str) -> folium.FeatureGroup:
    """Draw a scenario's closed and slowed roads, a hazard's extent, and the townships that fail."""
    t = i18n.text
    group = folium.FeatureGroup(name=t("closed_roads", lang) if comp.hazard is None else
                                f"{t('hazard_layer', lang)} / {t('closed_roads', lang)}")
    if comp.hazard is not None and len(comp.hazard):
        shown = comp.hazard[["layer", "note", "geometry"]].assign(
            rule=hazard_rules(comp.hazard, lang))
        folium.GeoJson(
            shown[["layer", "rule", "note", "geometry"]], name=t("hazard_layer", lang),
            style_function=lambda _: {"color": HAZARD_COLOUR, "fillColor": HAZARD_COLOUR,
                                      "weight": 2, "fillOpacity": 0.45},
            tooltip=folium.GeoJsonTooltip(["layer", "rule", "note"], aliases=[
                t("hazard_layer", lang), t("hazard_rule", lang), t("hazard_said", lang)]),
        ).add_to(group)
    fails = failing_towns(comp, lang)
    if fails:
        towns = comp.study.townships[["township", "geometry"]].to_crs(4326)
        towns = towns[towns["township"].astype(str).isin(fails)].assign(
            standards=lambda f: ["、".join(fails[str(x)]) for x in f["township"]])
        folium.GeoJson(
            simplified(towns, 30.0), name=t("failing_towns", lang),
            style_function=lambda _: {"color": CLOSED_ROAD_COLOUR, "weight": 3,
                                      "dashArray": "8 5", "fill": False},
            tooltip=folium.GeoJsonTooltip(["township", "standards"], aliases=[
                t("failing_towns", lang), t("standard", lang)]),
        ).add_to(group)
    if comp.closed_roads is not None and len(comp.closed_roads):
        fields = ["change", "road", "highway", "length_m"]
        roads = named_roads(comp.closed_roads[[*fields, "geometry"]], lang)
        closed = t("road_closed", lang)
        titles = i18n.column_titles(fields, lang)  # as the GeoPackage titles them
        folium.GeoJson(
            roads, name=t("closed_roads", lang),
            style_function=lambda f: {"color": CLOSED_ROAD_COLOUR, "weight": 6,
                                      "dashArray": None if f["properties"]["change"] ==
                                      closed else "6 4"},
            tooltip=folium.GeoJsonTooltip(fields, aliases=[titles[c] for c in fields]),
        ).add_to(group)
    return group


def _change_layer(changes: pd.DataFrame, name: str, lang: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name)
    for r in shown_changes(changes, lang).to_dict("records"):
        color = ACTION_COLOURS.get(str(r["action"]), "#000")
        label = esc(f"{r['project']} {i18n.action_label(str(r['action']), lang)} {r['id']}: "
                    f"{r['detail']}. {r['note']}")
        b = [float(r["lat_before"]), float(r["lon_before"])]
        a = [float(r["lat_after"]), float(r["lon_after"])]
        has_b, has_a = bool(np.isfinite(b[1])), bool(np.isfinite(a[1]))
        if has_b and has_a and b != a:
            folium.PolyLine([b, a], color=color, weight=3, tooltip=label).add_to(group)
        if has_b:
            folium.CircleMarker(b, radius=13, color=color, fill=not has_a, weight=3,
                                tooltip=label).add_to(group)
        if has_a:
            folium.CircleMarker(a, radius=13, color=color, fill=False, weight=3,
                                tooltip=label).add_to(group)
    return group


#: road pieces by the people who lose the standard when each is cut: (from, colour, width
#: in px), for the map and the GeoPackage's style
CRITICALITY_CLASSES = ((0.0, "#bdbdbd", 1.5), (1.0, "#fdae61", 3.0), (1000.0, "#f46d43", 4.5),
                       (10000.0, "#a50026", 6.0))
_CRIT_CLASSES = CRITICALITY_CLASSES


def _crit_style(lost: float) -> tuple[str, float]:
    colour, weight = _CRIT_CLASSES[0][1], _CRIT_CLASSES[0][2]
    for lo, c, w in _CRIT_CLASSES:
        if lost >= lo:
            colour, weight = c, w
    return colour, weight


def criticality_map(run: Criticality, title: str) -> folium.Map:
    """Map road pieces coloured by the people who lose the standard when each is cut.

    Each piece is cut alone and has a tooltip with its row; townships and the standard's
    facilities are shown too.
    """
    study, std = run.study, run.standard
    lang = study.study.language
    t = i18n.text
    head = t("criticality_line", lang, label=_label(std, lang), code=std.name,
             minutes=f"{run.minutes:g}")
    fac = study.facilities
    eligible = fac[fac["type"].isin(std.facility_types)]
    types = facility_styles([str(x) for x in eligible["type"]])
    rows = [(f"height:{w:g}px;background:{c}", "",
             f"{t('people_lost', lang)} ≥ {lo:,.0f}" if lo else f"{t('people_lost', lang)}: 0")
            for lo, c, w in _CRIT_CLASSES]
    rows.append(("border-top:1.5px solid #444", "", t("townships_outline", lang)))
    m = _page(study, title, [f"<div><b>{esc(head)}</b></div>"], [*run.notes],
              _legend(rows, types, lang))
    _town_layer(study, {}, t("townships_outline", lang)).add_to(m)
    map_page.boundary_layer(study.area.to_crs(4326), lang).add_to(m)
    lines = named_roads(run.lines.sort_values("people_lost", kind="stable"), lang)
    tips = []
    for r in lines.to_dict("records"):
        cells = [(t("rank", lang), str(r["rank"])),
                 (t("people_lost", lang), fmt(r["people_lost"], "int", lang)),
                 (t("person_minutes", lang), fmt(r["person_minutes_added"], "int", lang)),
                 (t("people_cut_off", lang), fmt(r["people_cut_off"], "int", lang)),
                 (t("townships_losing", lang), str(r["townships_losing"]) or "–"),
                 (t("worst_after", lang), fmt(r["worst_minutes_after"], "min", lang)),
                 (t("detour", lang), fmt(r["detour_minutes"], "min", lang)),
                 (t("length_km", lang), f"{r['km']:.1f}")]
        tips.append(_table_tip(str(r["road"]), cells))
    data = gpd.GeoDataFrame({"tooltip": tips, "lost": lines["people_lost"].to_numpy()},
                            geometry=lines.geometry.to_numpy(), crs=4326)
    folium.GeoJson(
        data, name=t("criticality_sheet", lang),
        style_function=lambda f: dict(zip(("color", "weight"),
                                          _crit_style(float(f["properties"]["lost"])),
                                          strict=True)) | {"opacity": 0.9},
        highlight_function=lambda f: {"weight": 8},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(m)
    map_page.township_names(study.townships, lang,
                            gpd.GeoDataFrame(eligible[["geometry"]].to_crs(4326))).add_to(m)
    facility_layer(eligible, types, t("existing_facilities", lang, label=_label(std, lang)),
                   lang).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m
