"""Interactive coverage maps (folium): one self-contained, offline HTML page per study run.

A map shows one *selected* standard: townships filled by the share of their population within
its travel time, outlined thick red below target (the legend's colour bar marks the target).
For every standard, its travel-time bands (0–15, 15–30, 30–60, 60–120, >120 min: unions of
demand-grid cells by their computed minutes; all off at first) and its coverage gap (where
the people beyond reach are; the selected standard's on at first) are toggleable layers.
Facilities are markers with popups. A title block gives the study, the standard, the date,
every assumption in force and "© OpenStreetMap contributors". Scale bar, full-screen and
measure controls; labels in Chinese or English (``language``).

Offline: Leaflet and the plugins are inlined from ``geo/_vendor`` (:mod:`geo._offline`), so
the page draws with no network; the OpenStreetMap tiles are a base layer that needs one, and
"no basemap" is the other.

Facilities at exactly one position (in Luzhai six of them at the county seat) each get their
own marker, moved a fixed number of *pixels* onto a ring around the true position (marked by a
black dot): every one stays clickable at every zoom, and none is drawn at a false place. The
popup says the marker was moved and names the others. Maps with
:data:`geo.settings.MAP_CLUSTER_MIN_FACILITIES` facilities or more cluster them instead
(:mod:`geo.outputs.map_cluster`): one compact row per facility, markers made in the browser.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Element, Figure
from folium.plugins import Fullscreen, MeasureControl

from geo import settings
from geo._atomic import atomic_path
from geo.bands import band_labels
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, StandardError
from geo.outputs import i18n
from geo.outputs import offline as _offline
from geo.outputs.map_cluster import clustered_facility_layer
from geo.outputs.map_layers import (
    BAND_COLOURS,
    FACILITY_STYLES,
    FAIL_OUTLINE_COLOUR,
    GAP_COLOUR,
    NOT_APPLICABLE_FILL,
    PASS_OUTLINE_COLOUR,
    YLGNBU,
    band_layer,
    constant,
    esc,
    facility_layer,
    facility_styles,
    gap_layer,
    simplified,
    township_layer,
)

__all__ = ["FACILITY_STYLES", "FAIL_OUTLINE_COLOUR", "coverage_map", "layer_names", "save_map"]

logger = logging.getLogger(__name__)

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
# A 1x1 white GIF as the tile of the "No basemap" layer: draws with no network at all.
_BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
_OSM_LINK = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_REQUIRED = {  # required columns, space-separated
    "facilities": "id name type",
    "townships": "township",
    "coverage": "township standard label minutes population covered_share target_share "
    "meets_target median_minutes max_minutes",
    "bands": "standard band",
    "gaps": "standard township minutes population",
}
_CSS = """<style>
.geo-box{position:fixed;z-index:1000;background:rgba(255,255,255,.93);padding:6px 10px;
 border-radius:4px;box-shadow:0 0 4px #888;font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC",sans-serif;word-break:normal;overflow-wrap:normal;hyphens:none}
.geo-title{top:10px;left:55px;max-width:400px}
.leaflet-control-layers{font-size:11px;line-height:1.3}
.geo-title .t{font-size:15px;font-weight:bold}
.geo-title ul{margin:2px 0;padding-left:18px}.geo-title summary{cursor:pointer}
.geo-legend{bottom:30px;right:10px;max-height:70vh;overflow-y:auto;max-width:300px}
.geo-sw{display:inline-block;width:16px;vertical-align:middle;margin-right:5px}
.geo-icon{width:18px;height:18px;border-radius:50%;box-sizing:border-box;border:2px solid #fff;
 box-shadow:0 0 3px #000;color:#fff;text-align:center;font:bold 10px/14px sans-serif}
.geo-bar{position:relative;height:12px;margin:3px 0 14px;border:1px solid #999}
.geo-bar .tg{position:absolute;top:-4px;bottom:-4px;border-left:3px solid #d7191c}
.geo-bar .tl{position:absolute;top:13px;font-size:10px;white-space:nowrap}
.geo-popup th,.geo-tip th{text-align:left;padding-right:8px;font-weight:normal;color:#555}
.geo-popup{font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif}
</style>"""


class _Standard(NamedTuple):
    """A standard's key, label (in the map's language), threshold, target, applicability."""

    key: str
    label: str
    minutes: float
    target: float
    applicable: bool


def _wgs84(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """Check ``gdf`` has a CRS and return it in EPSG:4326."""
    if gdf.crs is None:
        raise CoordinateError(f"{what} has no CRS: set it, e.g. gdf.set_crs(4326)")
    if gdf.crs.to_epsg() != 4326:
        logger.info("%s reprojected from %s to EPSG:4326", what, gdf.crs.to_string())
        return gdf.to_crs(4326)
    return gdf


def _check_inputs(frames: Mapping[str, pd.DataFrame], standard: str) -> None:
    """Raise the matching :mod:`geo.errors` error for missing columns, ids or standard."""
    for what, cols in _REQUIRED.items():
        if missing := [c for c in cols.split() if c not in frames[what].columns]:
            raise ColumnError(f"{what} lacks column(s) {missing}; it has {list(frames[what])}")
    for what, col in (("facilities", "id"), ("townships", "township")):
        if dup := frames[what][col][frames[what][col].duplicated()].unique().tolist():
            raise DuplicateIdError(f"{what} repeat {col} value(s) {dup}: make them unique")
    cov = frames["coverage"]
    available = sorted(map(str, cov["standard"].dropna().unique()))
    if standard not in available:
        raise StandardError(
            f"standard {standard!r} is not in the coverage table; "
            f"available standards: {', '.join(available) or '(none)'}"
        )
    for col in ("covered_share", "target_share"):
        if not (bad := cov.loc[~cov[col].isna() & ~cov[col].between(0, 1), "township"]).empty:
            raise ColumnError(f"coverage {col} outside 0..1 for {bad.tolist()}: give shares, not %")
    towns = cov.loc[cov["standard"] == standard, "township"]
    if towns.duplicated().any():
        raise DuplicateIdError(
            f"coverage repeats township(s) {towns[towns.duplicated()].tolist()} under "
            f"{standard!r}: keep one row per (township, standard)"
        )
    fac = frames["facilities"]
    bad = fac.geometry.isna() | fac.geometry.is_empty | (fac.geometry.geom_type != "Point")
    if bad.any():
        ids = fac.loc[bad, "id"].tolist()
        raise CoordinateError(f"facilities {ids} have no point geometry: give each lon/lat")


def _standards(coverage: pd.DataFrame, lang: str) -> list[_Standard]:
    """Every standard of the coverage table, in order, with its label in ``lang``."""
    out = []
    for key, rows in coverage.groupby(coverage["standard"].astype(str), sort=False):
        first = rows.iloc[0]
        zh = first.get("label_zh", "")
        label = i18n.standard_label(str(first["label"]), "" if pd.isna(zh) else str(zh), lang)
        applicable = bool(rows["covered_share"].notna().any())
        minutes, target = float(first["minutes"]), float(first["target_share"])
        out.append(_Standard(str(key), label, minutes, target, applicable))
    return out


def layer_names(std_key: str, label: str, language: str, applicable: bool = True) -> dict[str, str]:
    """Names of one standard's layers in the layer control: ``bands``, ``gaps``, ``townships``."""
    suffix = "" if applicable else f" – {i18n.text('not_applicable', language).split(' / ')[0]}"
    return {
        "bands": f"{i18n.text('bands_layer', language)}: {label} ({std_key}){suffix}",
        "gaps": f"{i18n.text('gaps_layer', language)}: {label} ({std_key})",
        "townships": f"{i18n.text('townships_layer', language)}: {label} ({std_key})",
    }


def _title_html(title: str, std: _Standard, notes: Sequence[str], lang: str, day: str) -> str:
    """Title block: title, standard shown, date, each note on its own line, attribution."""
    notes_html = "".join(f"<li>{esc(i18n.note(n, lang))}</li>" for n in notes)
    t = i18n.text
    return (
        f'<div class="geo-box geo-title"><div class="t">{esc(title)}</div>'
        f"<div>{t('standard_shown', lang)}: <b>{esc(std.label)}</b> ({esc(std.key)}, "
        f"≤ {std.minutes:g} {t('minutes', lang)}, {t('target', lang)} {std.target:.0%})</div>"
        f"<div>{t('date', lang)}: {esc(day)}</div>"
        + (f"<details open><summary>{t('assumptions', lang)}</summary><ul>{notes_html}</ul>"
           "</details>" if notes else "")
        + f'<div style="color:#555">{t("road_data", lang)} {OSM_ATTRIBUTION}</div></div>'
    )


def _colour_bar(std: _Standard, lang: str) -> str:
    """Township fill ramp 0–100 % with the target marked by a red line."""
    ramp = ",".join(YLGNBU)
    pos = f"{min(max(std.target, 0.0), 1.0) * 100:.0f}%"
    anchor = "right:0" if std.target > 0.8 else f"left:{pos}"
    return (
        f"<div>{esc(i18n.text('covered_share', lang))} (0–100%)</div>"
        f'<div class="geo-bar" style="background:linear-gradient(to right,{ramp})">'
        f'<span class="tg" style="left:{pos}"></span>'
        f'<span class="tl" style="{anchor}">{esc(i18n.text("target", lang))} {std.target:.0%}'
        f"</span></div>"
    )


def _legend_html(std: _Standard, types: Mapping[str, tuple[str, str]], lang: str) -> str:
    """Legend: share ramp + target, outlines, bands, gap, facility types, shared position."""
    t = i18n.text
    minutes = t("minutes", lang)
    rows = [
        (f"height:10px;background:{NOT_APPLICABLE_FILL}", "", t("not_applicable", lang)),
        (f"border-top:1px solid {PASS_OUTLINE_COLOUR}", "", t("township_meets", lang)),
        (f"border-top:4px solid {FAIL_OUTLINE_COLOUR}", "", t("township_fails", lang)),
        *((f"height:10px;background:{c}", "", f"{t('bands_layer', lang)} {b} {minutes}")
          for b, c in zip(band_labels(), BAND_COLOURS, strict=False)),
        (f"height:10px;background:{GAP_COLOUR};opacity:.6", "", t("gaps_layer", lang)),
        *((f"background:{c}", g, i18n.type_label(k, lang)) for k, (c, g) in types.items()),
        ("height:6px;width:6px;border-radius:50%;background:#000", "", t("shared_position", lang)),
    ]
    body = "".join(
        f'<div><span class="geo-sw{" geo-icon" if g else ""}" style="{css}">{esc(g)}</span>'
        f"{esc(text)}</div>"
        for css, g, text in rows
    )
    return (f'<div class="geo-box geo-legend"><b>{t("legend", lang)}</b>{_colour_bar(std, lang)}'
            f'{body}<div style="color:#555">{esc(t("bands_note", lang))}</div></div>')


def _base_map(boundary: gpd.GeoDataFrame, lang: str) -> folium.Map:
    """Map fitted to ``boundary``: OSM tiles or a blank base, scale, full screen, measure."""
    minx, miny, maxx, maxy = boundary.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True)
    _offline.trim_defaults(m)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=_OSM_LINK).add_to(m)
    folium.TileLayer(
        _BLANK_TILE, name=i18n.text("no_basemap", lang),
        attr=f"{i18n.text('road_data', lang)} {_OSM_LINK}", show=False,
    ).add_to(m)
    Fullscreen(position="topleft").add_to(m)
    MeasureControl(position="topleft", primary_length_unit="kilometers",
                   secondary_length_unit="meters", primary_area_unit="sqkilometers",
                   secondary_area_unit="hectares").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def coverage_map(
    *,
    facilities: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    bands: gpd.GeoDataFrame,
    gaps: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    standard: str,
    title: str,
    notes: Sequence[str],
    language: str = "zh",
    created: str | None = None,
) -> folium.Map:
    """Build the interactive coverage map of one standard.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points with ``id``, ``name``, ``type`` and optional ``name_en``, ``grade``,
        ``location_quality``, ``tier``, ``peer_minutes``, ``peer_id`` (see
        :func:`geo.tiers.nearest_peer`). Co-located facilities are spread on a pixel ring.
    townships : geopandas.GeoDataFrame
        Township polygons with a unique ``township`` column.
    coverage : pandas.DataFrame
        One row per (township, standard): ``label`` (and optional ``label_zh``),
        ``minutes``, ``population``, ``covered_population``, ``covered_share`` (0..1, NaN
        when not applicable), ``target_share``, ``meets_target``, ``median_minutes``,
        ``max_minutes``, ``note``.
    bands : geopandas.GeoDataFrame
        Travel-time bands (:func:`geo.bands.travel_time_bands`): ``standard``, ``band``.
    gaps : geopandas.GeoDataFrame
        Coverage gaps (:func:`geo.bands.coverage_gaps`).
    boundary : geopandas.GeoDataFrame
        Study-area outline; the map opens fitted to it.
    standard : str
        The standard whose covered share colours the townships.
    title : str
        Map title (the study's).
    notes : Sequence[str]
        Assumptions in force, each shown on its own line in the title block.
    language : {"zh", "en"}
        Language of the labels; names the data has in both languages are shown in both.
    created : str, optional
        Date shown in the title block (the run's date); today when not given.

    Returns
    -------
    folium.Map
        Write it with :func:`save_map` (which inlines the scripts: offline page).

    Raises
    ------
    geo.errors.StandardError
        ``standard`` is not in ``coverage`` (a ``ValueError``; the message lists the
        available standards). Other :mod:`geo.errors` for missing columns, duplicate ids,
        facilities without a point or an input without a CRS.
    """
    facilities, townships = _wgs84(facilities, "facilities"), _wgs84(townships, "townships")
    bands, gaps = _wgs84(bands, "bands"), _wgs84(gaps, "gaps")
    boundary = _wgs84(boundary, "boundary")
    frames = {"facilities": facilities, "townships": townships, "coverage": coverage,
              "bands": bands, "gaps": gaps}
    _check_inputs(frames, standard)
    i18n.text("legend", language)  # refuses an unknown language early
    stds = _standards(coverage, language)
    shown = next(s for s in stds if s.key == standard)
    m = _base_map(boundary, language)
    names = layer_names(shown.key, shown.label, language)
    township_layer(townships, coverage, standard, names["townships"], language).add_to(m)
    labels = band_labels()
    for std in stds:
        names = layer_names(std.key, std.label, language, std.applicable)
        sel = bands[bands["standard"].astype(str) == std.key]
        band_layer(sel, names["bands"], False, labels).add_to(m)  # off at first: one click
    for std in (s for s in stds if s.applicable):
        sel = gaps[gaps["standard"].astype(str) == std.key]
        gap_layer(sel, layer_names(std.key, std.label, language)["gaps"], std.key == standard,
                  language).add_to(m)
    line = {"color": "#222222", "weight": 2.5, "fill": False, "dashArray": "6 4"}
    folium.GeoJson(
        simplified(boundary[[boundary.geometry.name]]),
        name=i18n.text("boundary_layer", language),
        style_function=constant(line),
        interactive=False,
    ).add_to(m)
    types = facility_styles([str(t) for t in facilities["type"]])
    many = len(facilities) >= settings.MAP_CLUSTER_MIN_FACILITIES  # clustered, see settings
    (clustered_facility_layer if many else facility_layer)(
        facilities, types, i18n.text("facilities_layer", language), language).add_to(m)
    root = cast(Figure, m.get_root())
    root.header.add_child(Element(_CSS), name="geo_css")
    day = created or date.today().isoformat()
    root.html.add_child(Element(_title_html(title, shown, notes, language, day)), name="geo_title")
    root.html.add_child(Element(_legend_html(shown, types, language)), name="geo_legend")
    folium.LayerControl(collapsed=False).add_to(m)
    logger.debug("coverage map of %s: %d facilities", standard, len(facilities))
    return m


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as UTF-8 HTML atomically and return the path.

    The map is rendered first, with every script and stylesheet inlined from
    ``geo/_vendor`` (the page needs no network but for base-map tiles), then written to
    a temporary file in the target folder and moved over ``path`` with :func:`os.replace`:
    a failure at any step leaves an existing file at ``path`` untouched and no temporary
    file behind.

    Parameters
    ----------
    m : folium.Map
        The map, e.g. from :func:`coverage_map`.
    path : str or pathlib.Path
        Output ``.html`` file; its folder is created if needed.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    target = Path(path)
    page = _offline.inline_assets(m.get_root().render())
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    with atomic_path(target, ".tmp") as tmp:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
    logger.info("map written to %s (%.0f kB)", target, len(page.encode("utf-8")) / 1024)
    return target
