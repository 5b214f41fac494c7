"""Interactive coverage maps (folium): one self-contained, offline HTML page per study run.

One standard is on screen at a time: a radio list (:class:`geo.outputs.map.page.StandardSwitch`)
switches the township colouring, the travel-time bands and the coverage gaps together, with
the title line and the colour bar naming the standard shown. Townships are filled by the
share of their population within the standard's travel time: below target on a warm scale
(darker is worse) and outlined thick red, at or above target one blue (the colour bar marks
the target). The travel-time bands (0–15, 15–30, 30–60, 60–120, >120 min: unions of
demand-grid cells by their computed minutes) are off at first, the gaps (where the people
beyond reach are) on. Township names are labelled; facilities are markers with popups. A
title block gives the study, the standard, the date, every assumption in force (folded) and
"© OpenStreetMap contributors". Metric scale bar, full-screen and measure controls; labels
in Chinese or English (``language``).

Offline: Leaflet and the plugins are inlined from ``geo/outputs/map/_vendor``
(:mod:`geo.outputs.map.offline`), so
the page draws with no network; the OpenStreetMap tiles are a base layer that needs one, and
"no basemap" is the other.

Facilities at exactly one position (in Luzhai six of them at the county seat) each get their
own marker, moved a fixed number of *pixels* onto a ring around the true position (marked by a
black dot): every one stays clickable at every zoom, and none is drawn at a false place. The
popup says the marker was moved and names the others. Maps with
:data:`geo.settings.MAP_CLUSTER_MIN_FACILITIES` facilities or more cluster them instead
(:mod:`geo.outputs.map.cluster`): one compact row per facility, markers made in the browser.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import branca.element as branca_element
import folium
import geopandas as gpd
import pandas as pd

from geo import settings
from geo._atomic import atomic_path
from geo.coverage.bands import band_labels
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, StandardError
from geo.numbers import target_text
from geo.outputs import i18n
from geo.outputs.map import measures as map_measures
from geo.outputs.map import offline as _offline
from geo.outputs.map import page as map_page
from geo.outputs.map.cluster import clustered_facility_layer
from geo.outputs.map.layers import (
    FACILITY_STYLES,
    FAIL_OUTLINE_COLOUR,
    GAP_COLOUR,
    NOT_APPLICABLE_FILL,
    PASS_FILL,
    band_layer,
    band_scale,
    constant,
    esc,
    facility_layer,
    facility_styles,
    gap_layer,
    ramp_css,
    simplified,
    township_layer,
)
from geo.outputs.map.measures import MeasureLayers
from geo.study.resources import Resources

__all__ = ["FACILITY_STYLES", "FAIL_OUTLINE_COLOUR", "coverage_map", "layer_names", "save_map"]

logger = logging.getLogger(__name__)

#: fill of a batch area without results (failed or not run), hatched
NO_RESULT_FILL = "#9e9e9e"

_REQUIRED = {  # required columns, space-separated
    "facilities": "id name type",
    "townships": "township",
    "coverage": "township standard label minutes population covered_share target_share "
    "meets_target median_minutes max_minutes",
    "bands": "standard band",
    "gaps": "standard township minutes population",
}
class _Standard(NamedTuple):
    """A standard's key, label (in the map's language), threshold, target, applicability."""

    key: str
    label: str
    minutes: float
    target: float
    applicable: bool
    #: which townships it applies to ('' for all: geo.coverage.kinds), in the map's language
    scope: str = ""


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
    """Return every standard of the coverage table, in order, with its label in ``lang``."""
    out = []
    for key, rows in coverage.groupby(coverage["standard"].astype(str), sort=False):
        first = rows.iloc[0]
        zh = first.get("label_zh", "")
        label = i18n.standard_label(str(first["label"]), "" if pd.isna(zh) else str(zh), lang)
        applicable = bool(rows["covered_share"].notna().any())
        minutes, target = float(first["minutes"]), float(first["target_share"])
        scope = next((i18n.scope_applies(str(n), lang) for n in rows["note"].dropna()
                      if i18n.scope_applies(str(n), lang)), "") if "note" in rows else ""
        out.append(_Standard(str(key), label, minutes, target, applicable, scope))
    return out


def layer_names(std_key: str, label: str, language: str, applicable: bool = True) -> dict[str, str]:
    """Return names of one standard's layers: ``bands``, ``gaps``, ``townships``."""
    suffix = "" if applicable else f" – {i18n.text('not_applicable', language).split(' / ')[0]}"
    return {
        "bands": f"{i18n.text('bands_layer', language)}: {label} ({std_key}){suffix}",
        "gaps": f"{i18n.text('gaps_layer', language)}: {label} ({std_key})",
        "townships": f"{i18n.text('townships_layer', language)}: {label} ({std_key})",
    }


def _std_line(std: _Standard, lang: str) -> str:
    t = i18n.text
    na = "" if std.applicable else f" – {t('not_applicable', lang).split(' / ')[0]}"
    return (f"{t('standard_shown', lang)}: <b>{esc(std.label)}</b> ({esc(std.key)}, "
            f"≤ {std.minutes:g} {t('minutes', lang)}, {t('target', lang)} "
            f"{target_text(std.target)}){na}" + (f" · {esc(std.scope)}" if std.scope else ""))


def _colour_bar(std: _Standard, lang: str) -> str:
    """Ramp the township fill from 0 to 100 %: warm below the target, blue at or above.

    Target marked.
    """
    pos = f"{min(max(std.target, 0.0), 1.0) * 100:.0f}%"
    anchor = "right:0" if std.target > 0.8 else f"left:{pos}"
    return (
        f"<div>{esc(i18n.text('covered_share', lang))} (0–100%)</div>"
        f'<div class="geo-bar" style="background:{ramp_css(std.target)}">'
        f'<span class="tg" style="left:{pos}"></span>'
        f'<span class="tl" style="{anchor}">{esc(i18n.text("target", lang))} '
        f"{target_text(std.target)}"
        f"</span></div>"
    )


def _legend_html(stds: Sequence[_Standard], shown: str, types: Mapping[str, tuple[str, str]],
                 lang: str, measures: str = "", drawn: frozenset[str] = frozenset(
                     {"bands", "gaps"}), counties: bool = False, failed: bool = False) -> str:
    """Build the legend: share ramp + target (per standard), fills, outlines.

    It also shows bands and gaps (those ``drawn``, while a standard is shown), county outlines and
    areas without results (batch maps), the blocks of the measures (``measures``), facilities.
    """
    t = i18n.text
    areas = [
        (f"height:10px;background:{PASS_FILL};opacity:.7", "", t("township_pass_fill", lang)),
        (f"border-top:4px solid {FAIL_OUTLINE_COLOUR}", "", t("township_fails", lang)),
        (f"height:10px;background:{NOT_APPLICABLE_FILL}", "", t("not_applicable", lang)),
    ]
    if "gaps" in drawn:
        areas.append((f"height:10px;background:{GAP_COLOUR};opacity:.6", "",
                      t("gaps_layer", lang)))
    if counties:
        areas.append(("border-top:3px solid #222", "", t("county_layer", lang)))
    if failed:
        areas.append((f"height:10px;background:repeating-linear-gradient(45deg,{NO_RESULT_FILL},"
                      f"{NO_RESULT_FILL} 3px,#fff 3px,#fff 6px);border:1px dashed #333", "",
                      t("failed_areas", lang)))
    marks = [(f"background:{c}", g, i18n.type_label(k, lang)) for k, (c, g) in types.items()]
    marks.append(("height:6px;width:6px;border-radius:50%;background:#000", "",
                  t("shared_position", lang)))
    bars = "".join(map_page.std_block(s.key, shown, _colour_bar(s, lang)) for s in stds)
    coverage = map_page.swatches(areas) + (band_scale(lang) if "bands" in drawn else "")
    if measures:  # the coverage keys only while a standard is on screen
        coverage = map_page.std_block(" ".join(s.key for s in stds), shown, coverage)
    return (f'<div class="geo-box geo-legend"><b>{t("legend", lang)}</b>{bars}{measures}'
            f"{coverage}{map_page.swatches(marks, 2)}"
            + (f'<div style="color:#555">{esc(t("bands_note", lang))}</div>'
               if "bands" in drawn else "") + "</div>")


def _standard_layers(
    m: folium.Map, frames: Mapping[str, pd.DataFrame], stds: Sequence[_Standard], shown: str,
    lang: str, extra: MeasureLayers | None = None,
) -> map_page.StandardSwitch:
    """Return one slot per layer kind (townships, bands, gaps; and those of the measures).

    A slot has one member per standard (and per measure and response spec of ``extra``).
    """
    t = i18n.text
    slots = {
        "townships": folium.FeatureGroup(
            name=t("townships_slot" if extra and extra.choices else "townships_layer", lang)),
        "bands": folium.FeatureGroup(name=t("bands_layer", lang), show=False),
        "gaps": folium.FeatureGroup(name=t("gaps_layer", lang)),
    }
    for slot in ("bands", "gaps"):  # no layer that is empty for every standard
        if frames[slot].empty and not (extra and extra.choices and slot in
                                       {s for v in extra.layers.values() for s in v}):
            del slots[slot]
    for slot, (name, show) in (extra.slots.items() if extra and extra.choices else ()):
        slots[slot] = folium.FeatureGroup(name=name, show=show)
    members: dict[str, dict[str, folium.map.Layer]] = {}
    labels = band_labels()
    for std in stds:
        names = layer_names(std.key, std.label, lang, std.applicable)
        layers: dict[str, folium.map.Layer] = {"townships": township_layer(
            frames["townships"], frames["coverage"], std.key, names["townships"], lang,
            show=False)}
        bands = frames["bands"]
        layers["bands"] = band_layer(bands[bands["standard"].astype(str) == std.key],
                                     names["bands"], False, labels)
        if std.applicable:
            gaps = frames["gaps"]
            layers["gaps"] = gap_layer(gaps[gaps["standard"].astype(str) == std.key],
                                       names["gaps"], False, lang)
        layers = {k: v for k, v in layers.items() if k in slots}
        for slot, layer in layers.items():
            layer.control = False
            layer.add_to(slots[slot])
        members[std.key] = layers
    choices = {s.key: s.label + ("" if s.applicable else
                                 f" – {t('not_applicable', lang).split(' / ')[0]}")
               for s in stds}
    if extra is not None:
        for key, layers in extra.layers.items():
            for slot, layer in layers.items():
                layer.control = False
                layer.add_to(slots[slot])
            members[key] = layers
        choices |= extra.choices
    for group in slots.values():
        group.add_to(m)
    auto = ("catchments", "workload") if extra is not None and extra.choices else ()
    return map_page.StandardSwitch(choices, shown, slots, members, t("standard", lang), auto)


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
    resources: Resources | None = None,
    areas: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Build the interactive coverage map of one standard.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points with ``id``, ``name``, ``type`` and optional ``name_en``, ``grade``,
        ``location_quality``, ``tier``, ``peer_minutes``, ``peer_id`` (see
        :func:`geo.coverage.tiers.nearest_peer`). Co-located facilities are spread on a pixel ring.
    townships : geopandas.GeoDataFrame
        Township polygons with a unique ``township`` column.
    coverage : pandas.DataFrame
        One row per (township, standard): ``label`` (and optional ``label_zh``),
        ``minutes``, ``population``, ``covered_population``, ``covered_share`` (0..1, NaN
        when not applicable), ``target_share``, ``meets_target``, ``median_minutes``,
        ``max_minutes``, ``note``.
    bands : geopandas.GeoDataFrame
        Travel-time bands (:func:`geo.coverage.bands.travel_time_bands`): ``standard``, ``band``.
    gaps : geopandas.GeoDataFrame
        Coverage gaps (:func:`geo.coverage.bands.coverage_gaps`).
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
    resources : Resources, optional
        Resource measures and response specs of the run (:mod:`geo.study.resources`): each one
        more choice of the switch (:mod:`geo.outputs.map.measures`).
    areas : geopandas.GeoDataFrame, optional
        The areas (counties) of a batch: ``area_name``, ``status`` (``done``, ``failed``,
        ``not run``, ...): outlined and named; those without results hatched grey, with a
        legend entry.

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
    frames: dict[str, pd.DataFrame] = {"facilities": facilities, "townships": townships,
                                       "coverage": coverage, "bands": bands, "gaps": gaps}
    _check_inputs(frames, standard)
    i18n.text("legend", language)  # refuses an unknown language early
    stds = _standards(coverage, language)
    m = map_page.base_map(boundary, language)
    frames["boundary"] = boundary
    extra = (map_measures.measure_layers(resources, townships, language, standard)
             if resources is not None else None)
    switch = _standard_layers(m, frames, stds, standard, language, extra)
    map_page.township_names(townships, language, facilities).add_to(m)
    failed = False
    if areas is not None:
        areas = _wgs84(areas, "areas")
        _county_layer(areas, language).add_to(m)
        failed = bool((~areas["status"].astype(str).str.startswith("done")).any())
    else:
        map_page.boundary_layer(boundary, language).add_to(m)
    types = facility_styles([str(t) for t in facilities["type"]])
    many = len(facilities) >= settings.MAP_CLUSTER_MIN_FACILITIES  # clustered, see settings
    (clustered_facility_layer if many else facility_layer)(
        facilities, types, i18n.text("facilities_layer", language), language).add_to(m)
    day = created or date.today().isoformat()
    lines = [map_page.std_block(s.key, standard, _std_line(s, language)) for s in stds]
    drawn = frozenset(k for k in ("bands", "gaps") if not frames[k].empty)
    measures = ""
    if extra is not None and extra.choices:
        lines += [map_page.std_block(k, standard, html) for k, html in extra.lines.items()]
        measures = map_measures.legend_blocks(extra, standard)
        drawn = frozenset({"bands", "gaps"})
    legend = _legend_html(stds, standard, types, language, measures, drawn,
                          counties=areas is not None, failed=failed)
    map_page.add_boxes(m, map_page.title_box(title, lines, notes, language, day), legend,
                       language)
    switch.add_to(m)  # after every layer it swaps, before the layer control (sits above it)
    folium.LayerControl(collapsed=False).add_to(m)
    logger.debug("coverage map of %s: %d facilities", standard, len(facilities))
    return m


def _county_layer(areas: gpd.GeoDataFrame, lang: str) -> folium.FeatureGroup:
    """Draw the batch areas: outlines with their names.

    Those without results are hatched grey, with a tooltip saying why.
    """
    group = folium.FeatureGroup(name=i18n.text("county_layer", lang))
    done = areas["status"].astype(str).str.startswith("done")
    outline = {"color": "#222222", "weight": 3, "fill": False, "className": "geo-county"}
    folium.GeoJson(simplified(areas[[areas.geometry.name]]), style_function=constant(outline),
                   interactive=False).add_to(group)
    bad = areas[~done]
    if len(bad):
        tips = [f"<b>{esc(n)}</b><br>{esc(i18n.text('no_results', lang))}: {esc(s)}"
                for n, s in zip(bad["area_name"], bad["status"], strict=True)]
        data = gpd.GeoDataFrame({"tooltip": tips}, geometry=bad.geometry.values, crs=4326)
        hatch = {"color": "#333333", "weight": 1.5, "dashArray": "4 3",
                 "fillColor": NO_RESULT_FILL, "fillOpacity": 0.6, "className": "geo-no-result"}
        folium.GeoJson(simplified(data), style_function=constant(hatch),
                       tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False)
                       ).add_to(group)
    names = areas.rename(columns={"area_name": "township"})[["township", areas.geometry.name]]
    map_page.township_names(names, lang).add_to(group)
    return group


_NEWLINE = re.compile(r"\r\n|\r|\n")  # jinja2's newline_re


class _Text:
    """A jinja2 template without a tag, variable or comment: its text, rendered as jinja2 does.

    branca's ``MacroElement.render`` puts each element's rendered script, header and HTML in a
    new ``Element``, whose ``__init__`` compiles that text as a jinja2 template, rendered once
    when the page is: about 660 compilations of text with nothing to fill in (0.35 s of the
    area's 0.84 s ``save_map``). Rendering such text in jinja2 (default settings) gives the
    text back with every line end made a line feed and one final line end dropped; this does that
    without compiling. Anything else a caller asks of it (``module``...) is the compiled
    template's.
    """

    def __init__(self, source: str) -> None:
        self._source = source
        self._compiled: Any = None

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Return the text as jinja2 renders it (it fills in nothing)."""
        lines = _NEWLINE.split(self._source)
        if lines[-1] == "":  # keep_trailing_newline=False
            del lines[-1]
        return "\n".join(lines)

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = _JINJA(self._source)
        return getattr(self._compiled, name)


def _template(source: str, *args: Any, **kwargs: Any) -> Any:
    """Make branca's templates: :class:`_Text` for a text without a jinja2 delimiter."""
    if args or kwargs or not isinstance(source, str) or any(
            d in source for d in ("{{", "{%", "{#")):
        return _JINJA(source, *args, **kwargs)
    return _Text(source)


_JINJA = branca_element.Template
_rendering = 0  # how many threads render a page now (with :func:`_template` in branca)
_rendering_lock = threading.Lock()


def _render(m: folium.Map) -> str:
    """Return the page of ``m`` as ``m.get_root().render()`` does, without compiling plain text.

    While pages are rendered (by any thread) branca makes its templates with :func:`_template`;
    it is given jinja2's ``Template`` back once none is. Either way a page is the same.
    """
    global _rendering
    with _rendering_lock:
        _rendering += 1
        branca_element.Template = _template  # type: ignore[assignment,misc]
    try:
        return str(m.get_root().render())
    finally:
        with _rendering_lock:
            _rendering -= 1
            if not _rendering:
                branca_element.Template = _JINJA  # type: ignore[misc]


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as UTF-8 HTML atomically and return the path.

    The map is rendered first, with every script and stylesheet inlined from
    ``geo/outputs/map/_vendor`` (the page needs no network but for base-map tiles), then written to
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
    page = _offline.inline_assets(_render(m))
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    with atomic_path(target, ".tmp") as tmp:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
    logger.info("map written to %s (%.0f kB)", target, len(page.encode("utf-8")) / 1024)
    return target
