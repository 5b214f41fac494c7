"""Map layers of the resource measures and the emergency response (:mod:`geo.study.resources`).

Each measure and response spec is one more choice of the map's switch
(:class:`geo.outputs.map.page.StandardSwitch`), one on screen at a time:

- a **measure** fills the townships by its ratio and the grid cells by the index at each
  place, both in the same classes (0: no facility within reach, then multiples of the
  target, or population-weighted quartiles without one), townships below the target
  outlined thick red; the catchments (each place's nearest facility of the measure's
  types) are outlined; each facility's workload is a circle whose area is the people it
  serves, with its supply, catchment and ratios in a tooltip;
- a **response spec** fills the townships by the share of people within its target (the
  coverage colours) with the median, 90th percentile and worst minutes in the tooltip,
  and the response minutes in the travel-time bands.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.coverage.bands import band_labels
from geo.coverage.surfaces import class_position
from geo.numbers import minutes_text, number_text, people_text, share_text, target_text
from geo.outputs import i18n
from geo.outputs.map import page as map_page
from geo.outputs.map.layers import (
    FAIL_OUTLINE_COLOUR,
    PASS_OUTLINE_COLOUR,
    band_layer,
    band_scale,
    constant,
    esc,
    missing,
    ramp_css,
    simplified,
    township_style,
)
from geo.study.resources import Resources

__all__ = ["CLASS_COLOURS", "MeasureLayers", "class_colour", "measure_layers"]

#: fill of the classes of an index, from 0 (no facility within reach) to the highest:
#: ColorBrewer YlGnBu, 6 classes (pale is little, dark blue is much)
CLASS_COLOURS = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
NO_VALUE_FILL = "#bdbdbd"
WORKLOAD_COLOUR = "#6a3d9a"
MAX_RADIUS_PX = 22.0


@dataclass
class MeasureLayers:
    """Switch choices, their layers by slot, and their title lines and legend blocks."""

    choices: dict[str, str] = field(default_factory=dict)
    layers: dict[str, dict[str, folium.map.Layer]] = field(default_factory=dict)
    slots: dict[str, tuple[str, bool]] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)
    legends: dict[str, str] = field(default_factory=dict)


def _label(rows: pd.DataFrame, lang: str) -> str:
    first = rows.iloc[0]
    return i18n.standard_label(str(first["label"]), str(first.get("label_zh") or ""), lang)


def _num(value: Any) -> str:
    return number_text(value)


def class_colour(position: int | None, n: int) -> str:
    """Fill of class ``position`` of ``n`` (grey for none): the first ``n`` colours of
    :data:`CLASS_COLOURS`, spread when there are fewer classes."""
    if position is None:
        return NO_VALUE_FILL
    if n <= 1:
        return CLASS_COLOURS[0]
    step = (len(CLASS_COLOURS) - 1) / (n - 1)
    return CLASS_COLOURS[round(position * step)]


def _bounds(classes: pd.DataFrame) -> list[tuple[float, float]]:
    return [(float(lo), float(hi)) for lo, hi in zip(classes["lo"], classes["hi"], strict=True)]


def _town_layer(towns: gpd.GeoDataFrame, names: list[str], styles: dict[str, Any],
                tips: list[str]) -> folium.GeoJson:
    """The township polygons with a style and a tooltip each (feature ids: the names)."""
    data = towns[[towns.geometry.name]].assign(township=names, tooltip=tips)
    data.index = pd.Index(names)
    return folium.GeoJson(
        simplified(data), show=False, control=False,
        style_function=lambda f: {**styles[f["id"]], "className": "geo-town"},
        highlight_function=lambda f: {**styles[f["id"]], "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True))


def _measure_towns(towns: gpd.GeoDataFrame, rows: pd.DataFrame, classes: pd.DataFrame,
                   lang: str) -> folium.GeoJson:
    by_name = {str(r["township"]): r for r in rows.to_dict("records")}
    bounds = _bounds(classes)
    t = i18n.text
    styles, tips = {}, []
    names = [str(n) for n in towns["township"]]
    for name in names:
        r = by_name.get(name, {})
        value = r.get("ratio")
        pos = None if value is None or missing(value) else class_position(float(value), bounds)
        fails = not missing(r.get("meets_target")) and not bool(r.get("meets_target"))
        styles[name] = {"fillColor": class_colour(pos, len(bounds)), "fillOpacity": 0.7,
                        "color": FAIL_OUTLINE_COLOUR if fails else PASS_OUTLINE_COLOUR,
                        "weight": 4 if fails else 1}
        status = "–" if missing(r.get("meets_target")) else t(
            "meets" if bool(r["meets_target"]) else "fails", lang)
        per = i18n.per_label(r.get("per") or 1.0, r.get("method"), lang)
        cells = [(t("population", lang), people_text(r.get("population"))),
                 (t("ratio", lang) + f" ({per})", _num(value)),
                 (t("target", lang), _num(r.get("target"))), (t("status", lang), status)]
        body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in cells)
        tips.append(f'<div class="geo-tip"><b>{esc(name)}</b><table>{body}</table></div>')
    return _town_layer(towns, names, styles, tips)


def _cells(classes: pd.DataFrame) -> folium.FeatureGroup:
    group = folium.FeatureGroup(show=False, control=False)
    n = len(classes)
    for k, (cls, geom) in enumerate(zip(classes["cls"], classes.geometry, strict=True)):
        if geom is None or geom.is_empty:
            continue
        colour = class_colour(k, n)
        data = gpd.GeoDataFrame({"cls": [cls]}, geometry=[geom], crs=classes.crs)
        folium.GeoJson(simplified(data, 25.0), style_function=constant(
            {"color": colour, "weight": 0, "fillColor": colour, "fillOpacity": 0.8,
             "className": "geo-cell"}), control=False, interactive=False).add_to(group)
    return group


def _basins(basins: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """The catchments as dashed outlines, not clickable (the township tooltips underneath
    stay reachable; each facility's people served are in its workload circle)."""
    group = folium.FeatureGroup(show=False, control=False)
    if basins.empty:
        return group
    data = gpd.GeoDataFrame({"facility": basins["facility"].astype(str).to_numpy()},
                            geometry=basins.geometry.values, crs=basins.crs)
    folium.GeoJson(simplified(data, 25.0), style_function=constant(
        {"color": "#333333", "weight": 2, "fill": False, "dashArray": "5 3",
         "className": "geo-basin"}), control=False, interactive=False).add_to(group)
    return group


def _workload(fac: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """A circle per facility, its area proportional to the people it serves."""
    group = folium.FeatureGroup(show=False, control=False)
    served = fac["served_population"].fillna(0.0)
    top = float(served.max()) if len(served) else 0.0
    t = i18n.text
    for r in fac.to_dict("records"):
        share = float(r["served_population"] or 0) / top if top > 0 else 0.0
        radius = max(3.0, MAX_RADIUS_PX * math.sqrt(max(share, 0.0)))
        per = i18n.per_label(r["per"], "", lang)
        cells = [(t("supply", lang), _num(r["supply"])),
                 (t("served_population", lang), people_text(r["served_population"])),
                 (t("served_ratio", lang) + f" ({per})",
                  _num(r["served_ratio"])),
                 (t("catchment_population", lang), people_text(r["catchment_population"])),
                 (t("catchment_ratio", lang) + f" ({per})",
                  _num(r["catchment_ratio"])),
                 (t("idle", lang), t("fails", lang) if r["idle"] else "–")]
        body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in cells)
        tip = (f'<div class="geo-tip"><b>{esc(r["name"])}</b> ({esc(r["id"])})'
               f"<table>{body}</table></div>")
        folium.CircleMarker([r["geometry"].y, r["geometry"].x], radius=radius,
                            color=WORKLOAD_COLOUR, weight=2, fill=True, fill_opacity=0.35,
                            class_name="geo-workload", tooltip=tip).add_to(group)
    return group


def _response_towns(towns: gpd.GeoDataFrame, rows: pd.DataFrame, lang: str) -> folium.GeoJson:
    by_name = {str(r["township"]): r for r in rows.to_dict("records")}
    t = i18n.text
    styles, tips = {}, []
    names = [str(n) for n in towns["township"]]
    for name in names:
        r = by_name.get(name)
        row: dict[Hashable, Any] | None = None if r is None else {
                                      "covered_share": r["share_within"],
                                      "target_share": r["target_share"],
                                      "meets_target": r["meets_target"]}
        styles[name] = township_style(row)
        if r is None:
            tips.append(f"<b>{esc(name)}</b>")
            continue
        cells = [(t("population", lang), people_text(r["population"])),
                 (t("median", lang), minutes_text(r["median_minutes"])),
                 (t("p90", lang), minutes_text(r["p90_minutes"])),
                 (t("worst", lang), minutes_text(r["max_minutes"])),
                 (t("share_within", lang) + f" ≤ {float(r['target_minutes']):g}",
                  share_text(r["share_within"], r["target_share"]))]
        body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in cells)
        tips.append(f'<div class="geo-tip"><b>{esc(name)}</b><table>{body}</table></div>')
    return _town_layer(towns, names, styles, tips)


def _measure_legend(rows: pd.DataFrame, classes: pd.DataFrame, lang: str) -> str:
    t = i18n.text
    per = i18n.per_label(rows["per"].iloc[0], rows["method"].iloc[0], lang)
    n = len(classes)
    marks = [(f"height:10px;background:{class_colour(k, n)}", "",
              t("no_reach", lang) if str(c) == "0" else str(c))
             for k, c in enumerate(classes["cls"])]
    if rows["target"].notna().any():
        marks.append((f"border-top:4px solid {FAIL_OUTLINE_COLOUR}", "",
                      t("below_target_outline", lang)))
    marks.append(("height:10px;border:2px dashed #333", "", t("catchments_layer", lang)))
    marks.append((f"height:10px;width:10px;border-radius:50%;border:2px solid {WORKLOAD_COLOUR}",
                  "", t("workload_layer", lang)))
    head = f"<div>{esc(t('access_index', lang))} ({esc(per)})</div>"
    return head + map_page.swatches(marks)


def _measure_line(key: str, rows: pd.DataFrame, lang: str) -> str:
    t = i18n.text
    first = rows.iloc[0]
    per = i18n.per_label(first["per"], first["method"], lang)
    target = (t("no_target", lang) if missing(first["target"])
              else f"{t('target', lang)} {float(first['target']):g}")
    mins = ("" if missing(first["minutes"])
            else f", ≤ {float(first['minutes']):g} {t('minutes', lang)}")
    notes = esc(i18n.note(str(first["notes"]), lang))
    return (f"{t('measure_shown', lang)}: <b>{esc(_label(rows, lang))}</b> ({esc(key)}, "
            f"{esc(first['method'])}{mins}, {esc(per)}, "
            f"{esc(target)})<details><summary>{t('note', lang)}</summary>{notes}</details>")


def _response_line(key: str, rows: pd.DataFrame, lang: str) -> str:
    first = rows.iloc[0]
    notes = esc(i18n.note(str(first["notes"]), lang))
    return (f"{i18n.text('measure_shown', lang)}: <b>{esc(_label(rows, lang))}</b> ({esc(key)}, "
            f"≤ {float(first['target_minutes']):g} {i18n.text('minutes', lang)}, "
            f"{i18n.text('target', lang)} {target_text(first['target_share'])})"
            f"<details><summary>{i18n.text('note', lang)}</summary>{notes}</details>")


def _response_legend(rows: pd.DataFrame, lang: str) -> str:
    target = float(rows["target_share"].iloc[0])
    pos = f"{min(max(target, 0.0), 1.0) * 100:.0f}%"
    anchor = "right:0" if target > 0.8 else f"left:{pos}"
    bar = (f"<div>{esc(i18n.text('share_within', lang))} (0–100%)</div>"
           f'<div class="geo-bar" style="background:{ramp_css(target)}">'
           f'<span class="tg" style="left:{pos}"></span><span class="tl" style="{anchor}">'
           f"{esc(i18n.text('target', lang))} {target_text(target)}</span></div>")
    return bar + band_scale(lang)


def measure_layers(res: Resources, towns: gpd.GeoDataFrame, lang: str,
                   shown: str = "") -> MeasureLayers:
    """The switch choices and layers of every measure and response spec in ``res``; the
    catchments and workload overlays are ticked only while a measure is shown (``shown``
    at first; the switch keeps them so): for a coverage standard they draw nothing."""
    out = MeasureLayers()
    t = i18n.text
    on = shown in res.measure_names
    out.slots = {"cells": (t("cells_layer", lang), False),
                 "catchments": (t("catchments_layer", lang), on),
                 "workload": (t("workload_layer", lang), on)}
    areas = res.areas
    for key in res.measure_names:
        rows = res.measures[res.measures["measure"].astype(str) == key]
        towns_rows = rows[rows["level"] == "township"]
        mine = areas[areas["name"].astype(str) == key] if len(areas) else areas
        classes = mine[mine["kind"] == "access"] if len(mine) else mine
        out.choices[key] = _label(rows, lang)
        out.lines[key] = _measure_line(key, rows, lang)
        if classes.empty:  # not applicable or located: the township table only
            out.layers[key] = {}
            continue
        fac = res.facilities[res.facilities["measure"].astype(str) == key]
        out.layers[key] = {"townships": _measure_towns(towns, towns_rows, classes, lang),
                           "cells": _cells(classes),
                           "catchments": _basins(mine[mine["kind"] == "basin"]),
                           "workload": _workload(fac, lang)}
        out.legends[key] = _measure_legend(rows, classes, lang)
    for key in res.response_names:
        rows = res.response[(res.response["response"].astype(str) == key)
                            & (res.response["kind"] == "response")]
        out.choices[key] = _label(rows, lang)
        out.lines[key] = _response_line(key, rows, lang)
        out.legends[key] = _response_legend(rows, lang)
        bands = areas[(areas["name"].astype(str) == key) & (areas["kind"] == "response")] \
            if len(areas) else areas
        out.layers[key] = {
            "townships": _response_towns(towns, rows[rows["level"] == "township"], lang),
            "bands": band_layer(bands.rename(columns={"cls": "band"}), "", False,
                                band_labels())}
    return out


def legend_blocks(layers: MeasureLayers, shown: str) -> str:
    """The legend blocks of the measures, each shown only while its choice is."""
    return "".join(map_page.std_block(k, shown, html) for k, html in layers.legends.items())

