"""Layers of the coverage map: townships, travel-time bands, gaps and facilities.

Private helpers of :mod:`geo.outputs.map.coverage`; every label goes through
:mod:`geo.outputs.i18n`.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage.bands import band_labels
from geo.crs import utm_crs_for
from geo.measures.aggregate import meets
from geo.numbers import minutes_text, people_text, share_text, target_text
from geo.outputs import i18n

logger = logging.getLogger(__name__)

Row = Mapping[Hashable, Any]
Style = dict[str, Any]

FAIL_OUTLINE_COLOUR = "#d7191c"
PASS_OUTLINE_COLOUR = "#4d4d4d"
NOT_APPLICABLE_FILL = "#bdbdbd"
GAP_COLOUR = "#b2182b"
SIMPLIFY_TOLERANCE_M = 50.0
ICON_PX = 18

#: facility type -> (marker colour, one-letter glyph)
FACILITY_STYLES: dict[str, tuple[str, str]] = {
    "county_general_hospital": ("#b2182b", "H"),
    "county_tcm_hospital": ("#762a83", "T"),
    "county_mch_hospital": ("#c51b7d", "M"),
    "county_cdc": ("#8c510a", "C"),
    "private_hospital": ("#525252", "P"),
    "central_township_health_center": ("#1b7837", "Z"),
    "township_health_center": ("#4d9221", "W"),
    "community_health_service_center": ("#2166ac", "S"),
    "emergency_rescue_center": ("#e08214", "R"),
    "ems_station": ("#d6604d", "E"),
    "village_clinic": ("#35978f", "V"),
}
_EXTRA_COLOURS = ("#542788", "#01665e", "#7f3b08", "#40004b", "#053061")
# Townships below target: ColorBrewer YlOrRd, 7 classes, from 0 % (dark red) up to the target
# (pale); at or above target one distinct blue (ColorBrewer RdYlBu's blue end): a township
# at 77 % and one at 100 % can no longer look alike.
FAIL_RAMP = ("#b10026", "#e31a1c", "#fc4e2a", "#fd8d3c", "#feb24c", "#fed976", "#ffffb2")
PASS_FILL = "#2c7bb6"
# ColorBrewer BuPu, one per band 0–15 … >120: short (pale) to long (dark purple). Not the
# warm below-target ramp nor the pass blue: a band can never read as a pass or a fail
# (and the township fill is turned off while the bands are on, see StandardSwitch).
BAND_COLOURS = ("#edf8fb", "#bfd3e6", "#9ebcda", "#8c96c6", "#8856a7", "#810f7c")


def esc(value: object) -> str:
    r"""HTML-escape text, and ``\``, backtick, ``$``: folium puts it in JS template literals."""
    text = html.escape(str(value), quote=False)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def missing(value: Any) -> bool:
    """Tell whether ``value`` is missing: None, NaN or empty text."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value))) or value == ""


def fmt(value: Any, kind: str, language: str = "en", target: Any = None) -> str:
    """Format a number as every output does (:mod:`geo.numbers`).

    ``share`` (kept below ``target`` when it has not reached it), ``int`` or ``min``; missing gives
    a dash.
    """
    if missing(value):
        return "–"
    if kind == "share":
        return share_text(value, target)
    if kind == "int":
        return people_text(value)
    return f"{minutes_text(value)} {i18n.text('minutes', language)}"


def share_colour(share: float, target: float) -> str:
    """Return the fill of a covered share: :data:`PASS_FILL` at or above ``target``.

    Below it the fill is a position on :data:`FAIL_RAMP` (0 dark red, just under the target pale).
    """
    if meets(float(share), float(target)):
        return PASS_FILL
    x = min(max(float(share) / float(target), 0.0), 1.0) * (len(FAIL_RAMP) - 1)
    i = min(int(x), len(FAIL_RAMP) - 2)
    a, b = FAIL_RAMP[i], FAIL_RAMP[i + 1]
    mix = [round(int(a[k : k + 2], 16) * (i + 1 - x) + int(b[k : k + 2], 16) * (x - i))
           for k in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def ramp_css(target: float) -> str:
    """Return CSS gradient of the township fill from 0 to 100 % with the target at its place."""
    pos = min(max(float(target), 0.0), 1.0) * 100
    stops = [f"{c} {pos * i / (len(FAIL_RAMP) - 1):.1f}%" for i, c in enumerate(FAIL_RAMP)]
    return f"linear-gradient(to right,{','.join(stops)},{PASS_FILL} {pos:.1f}%)"


def constant(style: Style) -> Callable[[dict[str, Any]], Style]:
    """Return a style function that gives every feature ``style``."""
    return lambda _feature: dict(style)


def simplified(
    gdf: gpd.GeoDataFrame, tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> gpd.GeoDataFrame:
    """Copy of ``gdf`` without empty rows, simplified by ``tolerance_m`` metres (in UTM)."""
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if gdf.empty:
        return gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    utm = utm_crs_for((minx + maxx) / 2.0, (miny + maxy) / 2.0)
    simple = gdf.geometry.to_crs(utm).simplify(tolerance_m, preserve_topology=True).to_crs(4326)
    # 1e-5 degrees is about 1 m: far below the tolerance, and it halves the HTML size.
    return gdf.set_geometry(shapely.transform(simple.values, lambda xy: np.round(xy, 5)))


# --------------------------------------------------------------------------- townships


def township_style(row: Row | None) -> Style:
    """Style a township by covered share against the target (grey when NaN).

    It gets a thick red outline when the target is missed.
    """
    if row is None or missing(row["covered_share"]):
        return {"fillColor": NOT_APPLICABLE_FILL, "fillOpacity": 0.55, "color": "#777", "weight": 1}
    share, target = float(row["covered_share"]), float(row["target_share"])
    fails = not missing(row["meets_target"]) and not bool(row["meets_target"])
    colour = share_colour(min(share, target - 1e-6) if fails else max(share, target), target)
    style = {"fillColor": colour, "fillOpacity": 0.55}
    if fails:
        return {**style, "color": FAIL_OUTLINE_COLOUR, "weight": 4}
    return {**style, "color": PASS_OUTLINE_COLOUR, "weight": 1}


def township_tooltip(name: str, row: Row | None, lang: str) -> str:
    """Return HTML table: population, covered share, target, pass/fail, median / worst minutes."""
    if row is None:
        return f"<b>{esc(name)}</b><br>{esc(i18n.text('no_row', lang))}"
    meets = row["meets_target"]
    status = "–" if missing(meets) else i18n.text("meets" if bool(meets) else "fails", lang)
    minutes = [fmt(row.get(c), "min", lang) for c in ("median_minutes", "max_minutes")]
    people = fmt(row.get("covered_population"), "int")
    cells = [
        *([(i18n.text("area", lang), str(row["area_name"]))]
          if not missing(row.get("area_name")) else []),
        (i18n.text("population", lang), fmt(row["population"], "int")),
        (i18n.text("covered", lang),
         f"{fmt(row['covered_share'], 'share', target=row['target_share'])} "
         f"({people} {i18n.text('people', lang)})"),
        (i18n.text("target", lang), target_text(row["target_share"])),
        (i18n.text("status", lang), status),
        (i18n.text("median_worst", lang), " / ".join(minutes)),
    ]
    if not missing(row.get("note")) and str(row.get("note")).strip():
        cells.append((i18n.text("note", lang), i18n.note(str(row["note"]), lang)))
    # population groups (geo.outputs.groups.with_group_shares): each group's covered share
    cells += [(label, share) for label, share in (row.get("group_shares") or [])]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in cells)
    return f'<div class="geo-tip"><b>{esc(name)}</b><table>{body}</table></div>'


def township_layer(
    townships: gpd.GeoDataFrame, coverage: pd.DataFrame, standard: str, name: str, lang: str,
    show: bool = True,
) -> folium.GeoJson:
    """Return GeoJson of the township areas; feature ids are the township names."""
    sel = coverage[coverage["standard"] == standard]
    rows: dict[str, Row] = {str(r["township"]): r for r in sel.to_dict("records")}
    names = [str(t) for t in townships["township"]]
    if absent := sorted(set(names) - set(rows)):
        logger.warning("no %s coverage row for township(s) %s: drawn grey", standard, absent)
    if extra := sorted(set(rows) - set(names)):
        logger.warning("coverage rows for %s have no township polygon: not drawn", extra)
    styles = {n: township_style(rows.get(n)) for n in names}
    tips = [township_tooltip(n, rows.get(n), lang) for n in names]
    data = townships[[townships.geometry.name]].assign(township=names, tooltip=tips)
    data.index = pd.Index(names)  # GeoJSON feature ids: the styles are looked up by them
    return folium.GeoJson(
        simplified(data),
        name=name,
        show=show,
        style_function=lambda f: {**styles[f["id"]], "className": "geo-town"},
        highlight_function=lambda f: {**styles[f["id"]], "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    )


# --------------------------------------------------------------------------- bands, gaps


def band_scale(lang: str) -> str:
    """Return the travel-time bands as one row of colour cells with their minutes under them."""
    cells = "".join(
        f'<span style="flex:1;text-align:center"><span style="display:block;height:10px;'
        f'background:{c}"></span>{esc(b)}</span>'
        for b, c in zip(band_labels(), BAND_COLOURS, strict=False)
    )
    return (f"<div>{esc(i18n.text('bands_layer', lang))} ({esc(i18n.text('minutes', lang))})"
            f'</div><div style="display:flex;gap:1px;font-size:10px">{cells}</div>')



def band_layer(
    bands: gpd.GeoDataFrame, name: str, show: bool, labels: list[str]
) -> folium.FeatureGroup:
    """Return one standard's travel-time bands, coloured by band (see :data:`BAND_COLOURS`)."""
    group = folium.FeatureGroup(name=name, show=show)
    for row in bands.itertuples():
        colour = BAND_COLOURS[min(labels.index(str(row.band)), len(BAND_COLOURS) - 1)]
        style = {"color": colour, "weight": 0, "fillColor": colour, "fillOpacity": 0.75,
                 "className": "geo-band"}
        data = gpd.GeoDataFrame({"band": [row.band]}, geometry=[row.geometry], crs=bands.crs)
        folium.GeoJson(
            simplified(data, SIMPLIFY_TOLERANCE_M / 2),
            style_function=constant(style),
            control=False,
            interactive=False,  # township tooltips underneath stay reachable
        ).add_to(group)
    return group


def gap_layer(gaps: gpd.GeoDataFrame, name: str, show: bool, lang: str) -> folium.FeatureGroup:
    """Return areas beyond the standard's reach, hatched red, with the people there in a tooltip."""
    group = folium.FeatureGroup(name=name, show=show)
    rows = gaps[~(gaps.geometry.isna() | gaps.geometry.is_empty)]
    if rows.empty:
        return group
    tips = [
        f"<b>{esc(r.township)}</b><br>{fmt(r.population, 'int')} "
        f"{esc(i18n.text('gap_tip', lang, minutes=f'{float(r.minutes):g}'))}"
        for r in rows.itertuples()
    ]
    data = gpd.GeoDataFrame({"tooltip": tips}, geometry=rows.geometry.values, crs=gaps.crs)
    style = {"color": GAP_COLOUR, "weight": 1.5, "fillColor": GAP_COLOUR, "fillOpacity": 0.45,
             "dashArray": "3 3", "className": "geo-gap"}
    folium.GeoJson(
        simplified(data, SIMPLIFY_TOLERANCE_M / 2),
        style_function=constant(style),
        control=False,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(group)
    return group


# --------------------------------------------------------------------------- facilities


def facility_styles(types: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Return known types from :data:`FACILITY_STYLES`; others get a colour in sorted order."""
    styles = {t: FACILITY_STYLES[t] for t in types if t in FACILITY_STYLES}
    for i, t in enumerate(sorted({t for t in types if t not in FACILITY_STYLES})):
        styles[t] = (_EXTRA_COLOURS[i % len(_EXTRA_COLOURS)], (t[:1] or "?").upper())
    return styles


def ring_offsets(n: int) -> list[tuple[int, int]]:
    """Return pixel offsets (dx, dy; y down) putting ``n`` markers on a ring, the first on top."""
    if n == 1:
        return [(0, 0)]
    radius = max(14, math.ceil(n * (ICON_PX + 2) / (2 * math.pi)))
    angles = [2 * math.pi * i / n - math.pi / 2 for i in range(n)]
    return [(round(radius * math.cos(a)), round(radius * math.sin(a))) for a in angles]


def peer_text(fac: Row, names: Mapping[str, str], lang: str) -> str | None:
    """Return the popup's line on the nearest facility of the same tier; None without tiers."""
    if "tier" not in fac:
        return None
    minutes, peer = fac.get("peer_minutes"), fac.get("peer_id")
    if minutes is None or missing(minutes):
        return i18n.text("peer_none", lang)
    where = f" ({i18n.text('same_position', lang)})" if float(minutes) == 0 else ""
    return (f"{minutes_text(minutes, 0)} {i18n.text('minutes', lang)} {i18n.text('by_road', lang)}"
            f"{where} → {names.get(str(peer), str(peer))}")


def facility_popup(fac: Row, others: list[str], names: Mapping[str, str], lang: str) -> str:
    """Write a facility's popup: both names, type, grade, location quality.

    Then come the tier and the minutes to its nearest peer.
    """
    t = str(fac["type"])
    fields: list[tuple[str, Any]] = [
        (i18n.text("name_en", lang), fac.get("name_en")),
        (i18n.text("type", lang), f"{i18n.type_label(t, lang)} ({t})"),
        (i18n.text("grade", lang), fac.get("grade")),
        (i18n.text("location_quality", lang), fac.get("location_quality")),
        ("ID", fac["id"]),
    ]
    if (peer := peer_text(fac, names, lang)) is not None:
        fields.insert(4, (i18n.text("tier", lang), i18n.tier_label(str(fac["tier"]), lang)))
        fields.insert(5, (i18n.text("nearest_peer", lang), peer))
    body = "".join(
        f"<tr><th>{esc(k)}</th><td>{'–' if missing(v) else esc(v)}</td></tr>" for k, v in fields
    )
    shared = ""
    if others:
        shared = f"<p><i>{esc(i18n.text('shared', lang, names=', '.join(others)))}</i></p>"
    return f'<div class="geo-popup"><b>{esc(fac["name"])}</b><table>{body}</table>{shared}</div>'


def facility_layer(
    facilities: gpd.GeoDataFrame, styles: dict[str, tuple[str, str]], name: str, lang: str
) -> folium.FeatureGroup:
    """Return one DivIcon marker per facility; co-located ones spread on a pixel ring."""
    layer = folium.FeatureGroup(name=name)
    fac = facilities.assign(_x=facilities.geometry.x.round(7), _y=facilities.geometry.y.round(7))
    names = dict(zip(fac["id"].astype(str), fac["name"].astype(str), strict=True))
    half = ICON_PX // 2
    # the rows as dicts at once (one to_dict per position took most of the map's time), grouped
    # by position as groupby(["_x", "_y"], sort=True) groups them: positions in order, rows by id
    at: dict[tuple[float, float], list[dict[Hashable, Any]]] = {}
    for row in fac.sort_values("id").to_dict("records"):
        if not (pd.isna(row["_x"]) or pd.isna(row["_y"])):
            at.setdefault((row["_x"], row["_y"]), []).append(row)
    for (x, y), records in sorted(at.items(), key=lambda kv: kv[0]):
        if len(records) > 1:
            folium.CircleMarker(
                [y, x], radius=3, color="#000", weight=1, fill=True, fill_opacity=1,
                tooltip=i18n.text("shared_position", lang),
            ).add_to(layer)
        for rec, (dx, dy) in zip(records, ring_offsets(len(records)), strict=True):
            colour, glyph = styles[str(rec["type"])]
            icon = folium.DivIcon(
                html=f'<div class="geo-icon" style="background:{colour}">{esc(glyph)}</div>',
                icon_size=(ICON_PX, ICON_PX),
                icon_anchor=(half - dx, half - dy),
                popup_anchor=(dx, dy - half),
                class_name="geo-facility",
            )
            others = [str(r["name"]) for r in records if r is not rec]
            popup = folium.Popup(  # pans the map so the popup clears the title and legend
                facility_popup(rec, others, names, lang), max_width=360,
                auto_pan_padding_top_left=(470, 10), auto_pan_padding_bottom_right=(10, 10),
            )
            folium.Marker(
                [y, x], icon=icon, popup=popup, tooltip=folium.Tooltip(esc(rec["name"]))
            ).add_to(layer)
    return layer
