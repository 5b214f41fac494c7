"""Interactive coverage maps (folium): townships coloured by population covered, per standard.

A map shows one standard: townships filled by the share of their population within its
travel time, outlined thick red below target; each standard's covered area is a toggleable
layer; facilities are markers with popups; a title block gives the standard, the date, every
assumption in force and "© OpenStreetMap contributors" (the travel times use OSM roads).

Facilities at exactly one position (in Luzhai six of them at the county seat) each get their
own marker, moved a fixed number of *pixels* onto a ring around the true position (marked by a
black dot): every one stays clickable at every zoom, and none is drawn at a false place, as a
metric offset would do at high zoom. The popup says the marker was moved and names the others.

Popups, tooltips and the title block hold Chinese text literally; folium embeds the township
GeoJSON as JSON with ``\\uXXXX`` escapes, which the browser decodes. Pages are UTF-8.
"""

from __future__ import annotations

import html
import itertools
import logging
import math
import os
import tempfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, cast

import branca.colormap as cm
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure

from geo.crs import utm_crs_for
from geo.errors import ColumnError, CoordinateError, DuplicateIdError, StandardError

__all__ = ["FACILITY_STYLES", "FAIL_OUTLINE_COLOUR", "coverage_map", "save_map"]

logger = logging.getLogger(__name__)

Row = Mapping[Hashable, Any]
Style = dict[str, Any]

FAIL_OUTLINE_COLOUR = "#d7191c"
PASS_OUTLINE_COLOUR = "#4d4d4d"
NOT_APPLICABLE_FILL = "#bdbdbd"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
SIMPLIFY_TOLERANCE_M = 50.0

#: facility type -> (marker colour, one-letter glyph, legend label)
FACILITY_STYLES: dict[str, tuple[str, str, str]] = {
    "county_general_hospital": ("#b2182b", "H", "County general hospital"),
    "county_tcm_hospital": ("#762a83", "T", "County TCM hospital"),
    "county_mch_hospital": ("#c51b7d", "M", "County maternal and child health hospital"),
    "county_cdc": ("#8c510a", "C", "County CDC"),
    "private_hospital": ("#525252", "P", "Private hospital"),
    "central_township_health_center": ("#1b7837", "Z", "Central township health centre"),
    "township_health_center": ("#4d9221", "W", "Township health centre"),
    "community_health_service_center": ("#2166ac", "S", "Community health service centre"),
    "village_clinic": ("#35978f", "V", "Village clinic"),
}
_EXTRA_COLOURS = ("#e08214", "#542788", "#01665e", "#7f3b08", "#40004b", "#053061")
_ISO_COLOURS = ("#e66101", "#5e3c99", "#018571", "#a6611a", "#0571b0", "#ca0020")
# ColorBrewer YlGnBu, 7 classes: sequential and colour-blind safe.
_YLGNBU = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84")
# A 1x1 white GIF as the tile of the "No basemap" layer: draws with no network at all.
_BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
_OSM_LINK = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_ICON_PX = 18
_REQUIRED = {  # required columns, space-separated
    "facilities": "id name type",
    "townships": "township",
    "coverage": "township standard label minutes population covered_share target_share "
    "meets_target median_minutes max_minutes",
    "isochrones": "standard label minutes",
}
_CSS = """<style>
.geo-box{position:fixed;z-index:1000;background:rgba(255,255,255,.92);padding:6px 10px;
 border-radius:4px;box-shadow:0 0 4px #888;font:12px/1.45 sans-serif;word-break:normal;
 overflow-wrap:normal;hyphens:none}
.geo-title{top:10px;left:55px;max-width:460px}.geo-title .t{font-size:16px;font-weight:bold}
.geo-title ul{margin:2px 0;padding-left:18px}.geo-legend{bottom:30px;right:10px}
.geo-sw{display:inline-block;width:16px;vertical-align:middle;margin-right:5px}
.geo-icon{width:18px;height:18px;border-radius:50%;box-sizing:border-box;border:2px solid #fff;
 box-shadow:0 0 3px #000;color:#fff;text-align:center;font:bold 10px/14px sans-serif}
.geo-popup th,.geo-tip th{text-align:left;padding-right:8px;font-weight:normal;color:#555}
</style>"""


class _Standard(NamedTuple):
    """A standard's key and label, its name in the layer control, and its covered area."""

    key: str
    label: str
    name: str  # "emergency_1h: within 60 min", "+ (not applicable)" or "(nothing covered)"
    geometry: Any  # shapely geometry, possibly empty


def _esc(value: object) -> str:
    """HTML-escape text, and ``\\``, backtick, ``$``: folium puts it in JS template literals."""
    text = html.escape(str(value), quote=False)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _fmt(value: Any, kind: str) -> str:
    """Format a number for a tooltip: ``share``, ``int`` or ``min``; missing gives a dash."""
    if _missing(value) or value == "":
        return "–"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"
    return f"{float(value):,.0f}" if kind == "int" else f"{float(value):.0f} min"


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


def _simplified(
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


def _standards(coverage: pd.DataFrame, isochrones: gpd.GeoDataFrame) -> list[_Standard]:
    """Every standard of the coverage table and the isochrones, with its covered area."""
    iso = isochrones.assign(standard=isochrones["standard"].astype(str))
    cov = coverage.assign(standard=coverage["standard"].astype(str))
    out = []
    for key in dict.fromkeys([*cov["standard"], *iso["standard"]]):
        rows, cov_rows = iso[iso["standard"] == key], cov[cov["standard"] == key]
        meta = cov_rows if len(cov_rows) else rows  # coverage has the human-readable label
        union = gpd.GeoDataFrame(geometry=[shapely.union_all(rows.geometry.values)], crs=4326)
        drawn = _simplified(union).geometry  # union first: rounding may break validity
        geom = drawn.iloc[0] if len(drawn) else shapely.Polygon()
        label, minutes = str(meta["label"].iloc[0]), float(meta["minutes"].iloc[0])
        name = f"{key}: {label}" if math.isnan(minutes) else f"{key}: within {minutes:g} min"
        if len(cov_rows) and cov_rows["covered_share"].isna().all():
            name += " (not applicable)"
        elif geom.is_empty:
            name += " (nothing covered)"
        out.append(_Standard(key, label, name, geom))
    return out


def _township_style(row: Row | None, colormap: cm.LinearColormap) -> Style:
    """Fill by covered share (grey when NaN); thick red outline when the target is missed."""
    if row is None or _missing(row["covered_share"]):
        return {"fillColor": NOT_APPLICABLE_FILL, "fillOpacity": 0.55, "color": "#777", "weight": 1}
    style = {"fillColor": colormap.rgb_hex_str(float(row["covered_share"])), "fillOpacity": 0.7}
    if not _missing(row["meets_target"]) and not bool(row["meets_target"]):
        return {**style, "color": FAIL_OUTLINE_COLOUR, "weight": 4}
    return {**style, "color": PASS_OUTLINE_COLOUR, "weight": 1}


def _township_tooltip(name: str, row: Row | None) -> str:
    """HTML table: population, covered share, target, pass/fail, minutes and the note."""
    if row is None:
        return f"<b>{_esc(name)}</b><br>no coverage row for this standard"
    meets = row["meets_target"]
    status = "–" if _missing(meets) else ("meets target" if bool(meets) else "below target")
    minutes = [_fmt(row.get(c), "min") for c in ("median_minutes", "p90_minutes", "max_minutes")]
    people = _fmt(row.get("covered_population"), "int")
    cells = [
        ("Population", _fmt(row["population"], "int")),
        ("Covered", f"{_fmt(row['covered_share'], 'share')} ({people} people)"),
        ("Target", _fmt(row["target_share"], "share")),
        ("Status", status),
        ("Median / p90 / max", " / ".join(minutes)),
    ]
    note = row.get("note")
    if not _missing(note) and str(note).strip():
        cells.append(("Note", str(note)))
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in cells)
    head = f"<b>{_esc(name)}</b> · {_esc(row['label'])}"
    return f'<div class="geo-tip">{head}<table>{body}</table></div>'


def _constant(style: Style) -> Callable[[dict[str, Any]], Style]:
    return lambda _feature: dict(style)


def _township_layer(
    townships: gpd.GeoDataFrame, coverage: pd.DataFrame, standard: str, colormap: Any
) -> folium.GeoJson:
    """GeoJson of the township areas; feature ids are the township names."""
    sel = coverage[coverage["standard"] == standard]
    rows: dict[str, Row] = {str(r["township"]): r for r in sel.to_dict("records")}
    names = [str(t) for t in townships["township"]]
    if missing := sorted(set(names) - set(rows)):
        logger.warning("no %s coverage row for township(s) %s: drawn grey", standard, missing)
    if extra := sorted(set(rows) - set(names)):
        logger.warning("coverage rows for %s have no township polygon: not drawn", extra)
    styles = {n: _township_style(rows.get(n), colormap) for n in names}
    tips = [_township_tooltip(n, rows.get(n)) for n in names]
    data = townships[[townships.geometry.name]].assign(township=names, tooltip=tips)
    data.index = pd.Index(names)  # GeoJSON feature ids: the styles are looked up by them
    return folium.GeoJson(
        _simplified(data),
        name=f"Townships: share covered ({standard})",
        style_function=lambda f: dict(styles[f["id"]]),
        highlight_function=lambda f: {**styles[f["id"]], "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    )


def _facility_styles(types: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """Known types from :data:`FACILITY_STYLES`; others get a colour in sorted order."""
    styles = {t: FACILITY_STYLES[t] for t in types if t in FACILITY_STYLES}
    for i, t in enumerate(sorted({t for t in types if t not in FACILITY_STYLES})):
        colour = _EXTRA_COLOURS[i % len(_EXTRA_COLOURS)]
        styles[t] = (colour, (t[:1] or "?").upper(), t.replace("_", " "))
    return styles


def _ring_offsets(n: int) -> list[tuple[int, int]]:
    """Pixel offsets (dx, dy; y down) putting ``n`` markers on a ring, the first on top."""
    if n == 1:
        return [(0, 0)]
    radius = max(14, math.ceil(n * (_ICON_PX + 2) / (2 * math.pi)))
    angles = [2 * math.pi * i / n - math.pi / 2 for i in range(n)]
    return [(round(radius * math.cos(a)), round(radius * math.sin(a))) for a in angles]


def _facility_popup(fac: Row, label: str, others: list[str]) -> str:
    fields = [
        ("English name", fac.get("name_en")),
        ("Type", f"{label} ({fac['type']})"),
        ("Grade", fac.get("grade")),
        ("Location quality", fac.get("location_quality")),
        ("ID", fac["id"]),
    ]
    body = "".join(
        f"<tr><th>{k}</th><td>{'–' if _missing(v) or v == '' else _esc(v)}</td></tr>"
        for k, v in fields
    )
    shared = ""
    if others:
        names = _esc(", ".join(others))
        shared = f"<p><i>Marker moved a few pixels: this position is shared with {names}.</i></p>"
    return f'<div class="geo-popup"><b>{_esc(fac["name"])}</b><table>{body}</table>{shared}</div>'


def _facility_layer(facilities: gpd.GeoDataFrame, styles: dict[str, Any]) -> folium.FeatureGroup:
    """One DivIcon marker per facility; co-located ones spread on a pixel ring."""
    layer = folium.FeatureGroup(name="Health facilities")
    fac = facilities.assign(_x=facilities.geometry.x.round(7), _y=facilities.geometry.y.round(7))
    half = _ICON_PX // 2
    for (x, y), group in fac.sort_values("id").groupby(["_x", "_y"], sort=True):
        records = group.to_dict("records")
        if len(records) > 1:
            tip = f"true position of {len(records)} facilities"
            folium.CircleMarker(
                [y, x], radius=3, color="#000", weight=1, fill=True, fill_opacity=1, tooltip=tip
            ).add_to(layer)
        for rec, (dx, dy) in zip(records, _ring_offsets(len(records)), strict=True):
            colour, glyph, label = styles[str(rec["type"])]
            icon = folium.DivIcon(
                html=f'<div class="geo-icon" style="background:{colour}">{_esc(glyph)}</div>',
                icon_size=(_ICON_PX, _ICON_PX),
                icon_anchor=(half - dx, half - dy),
                popup_anchor=(dx, dy - half),
                class_name="geo-facility",
            )
            others = [str(r["name"]) for r in records if r is not rec]
            popup = folium.Popup(_facility_popup(rec, label, others), max_width=340)
            folium.Marker(
                [y, x], icon=icon, popup=popup, tooltip=folium.Tooltip(_esc(rec["name"]))
            ).add_to(layer)
    return layer


def _isochrone_layers(m: folium.Map, standards: list[_Standard], shown: str) -> None:
    """One FeatureGroup per standard; only ``shown`` (in the legend's orange) is on at first."""
    others = itertools.cycle(_ISO_COLOURS[1:])
    for std in standards:
        group = folium.FeatureGroup(name=std.name, show=std.key == shown)
        colour = _ISO_COLOURS[0] if std.key == shown else next(others)
        if not std.geometry.is_empty:
            style = {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.15}
            folium.GeoJson(
                shapely.geometry.mapping(std.geometry),
                style_function=_constant(style),
                control=False,
                interactive=False,  # township tooltips underneath stay reachable
            ).add_to(group)
        group.add_to(m)


def _title_html(title: str, std: _Standard, notes: Sequence[str]) -> str:
    """Title block: title, standard shown, date, each note on its own line, attribution."""
    notes_html = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return (
        f'<div class="geo-box geo-title"><div class="t">{_esc(title)}</div>'
        f"<div>Standard shown: <b>{_esc(std.key)}</b> – {_esc(std.label)}</div>"
        f"<div>Date: {date.today().isoformat()}</div>"
        + (f"<div>Assumptions:</div><ul>{notes_html}</ul>" if notes else "")
        + f'<div style="color:#555">Road data {OSM_ATTRIBUTION}</div></div>'
    )


def _legend_html(types: dict[str, tuple[str, str, str]]) -> str:
    """Legend: grey fill, pass/fail outlines, covered area, facility types, shared position."""
    rows = [
        (f"height:10px;background:{NOT_APPLICABLE_FILL}", "", "standard not applicable / no data"),
        (f"border-top:1px solid {PASS_OUTLINE_COLOUR}", "", "township meets target"),
        (f"border-top:4px solid {FAIL_OUTLINE_COLOUR}", "", "township below target"),
        (
            "height:10px;background:#fbe0cc;border:1px solid #e66101",
            "",
            "covered area, standard shown",
        ),
        *((f"background:{c}", g, label) for c, g, label in types.values()),
        ("height:6px;width:6px;border-radius:50%;background:#000", "", "shared true position"),
    ]
    body = "".join(
        f'<div><span class="geo-sw{" geo-icon" if g else ""}" style="{css}">{_esc(g)}</span>'
        f"{_esc(text)}</div>"
        for css, g, text in rows
    )
    return f'<div class="geo-box geo-legend"><b>Legend</b>{body}</div>'


def _base_map(boundary: gpd.GeoDataFrame) -> folium.Map:
    """Map fitted to ``boundary`` with OpenStreetMap and a blank (offline) base layer."""
    minx, miny, maxx, maxy = boundary.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=_OSM_LINK).add_to(m)
    folium.TileLayer(
        _BLANK_TILE, name="No basemap (works offline)", attr=f"Road data {_OSM_LINK}"
    ).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def coverage_map(
    *,
    facilities: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    isochrones: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    standard: str,
    title: str,
    notes: Sequence[str],
) -> folium.Map:
    """Build the interactive coverage map of one standard.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points with ``id``, ``name``, ``type`` and optional ``name_en``, ``grade``,
        ``location_quality``. Co-located facilities are spread on a ring of pixels.
    townships : geopandas.GeoDataFrame
        Township polygons with a unique ``township`` column.
    coverage : pandas.DataFrame
        One row per (township, standard): ``label``, ``minutes``, ``population``,
        ``covered_population``, ``covered_share`` (0..1, NaN when not applicable),
        ``target_share``, ``meets_target``, ``median_minutes``, ``p90_minutes``,
        ``max_minutes``, ``note``.
    isochrones : geopandas.GeoDataFrame
        Covered area per ``standard`` (``label``, ``minutes``); geometries may be empty.
    boundary : geopandas.GeoDataFrame
        Study-area outline; the map opens fitted to it.
    standard : str
        The standard whose covered share colours the townships.
    title : str
        Map title.
    notes : Sequence[str]
        Assumptions in force, each shown on its own line in the title block.

    Returns
    -------
    folium.Map
        Write it with :func:`save_map`. Inputs in another CRS are reprojected to EPSG:4326;
        polygons are simplified by 50 m before drawing.

    Raises
    ------
    geo.errors.StandardError
        ``standard`` is not in ``coverage`` (a ``ValueError``; the message lists the
        available standards). Other :mod:`geo.errors` for missing columns, duplicate ids,
        facilities without a point or an input without a CRS.
    """
    facilities, townships = _wgs84(facilities, "facilities"), _wgs84(townships, "townships")
    isochrones, boundary = _wgs84(isochrones, "isochrones"), _wgs84(boundary, "boundary")
    frames = {"facilities": facilities, "townships": townships, "coverage": coverage}
    _check_inputs({**frames, "isochrones": isochrones}, standard)
    standards = _standards(coverage, isochrones)
    shown = next(s for s in standards if s.key == standard)
    caption = f"Share of population covered: {standard} ({shown.label})"
    colormap = cm.LinearColormap(
        _YLGNBU, vmin=0.0, vmax=1.0, caption=caption, tick_labels=[0, 0.2, 0.4, 0.6, 0.8, 1]
    )
    m = _base_map(boundary)
    _township_layer(townships, coverage, standard, colormap).add_to(m)
    _isochrone_layers(m, standards, standard)
    line: Style = {"color": "#222222", "weight": 2.5, "fill": False, "dashArray": "6 4"}
    folium.GeoJson(
        _simplified(boundary[[boundary.geometry.name]]),
        name="Study area boundary",
        style_function=_constant(line),
        interactive=False,
    ).add_to(m)
    types = _facility_styles([str(t) for t in facilities["type"]])
    _facility_layer(facilities, types).add_to(m)
    colormap.add_to(m)
    root = cast(Figure, m.get_root())
    root.header.add_child(Element(_CSS), name="geo_css")
    root.html.add_child(Element(_title_html(title, shown, notes)), name="geo_title")
    root.html.add_child(Element(_legend_html(types)), name="geo_legend")
    folium.LayerControl(collapsed=False).add_to(m)
    logger.debug("coverage map of %s: %d facilities", standard, len(facilities))
    return m


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as UTF-8 HTML atomically and return the path.

    The map is rendered first, then written to a temporary file in the target folder
    and moved over ``path`` with :func:`os.replace`: a failure at any step leaves an
    existing file at ``path`` untouched and no temporary file behind.

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
    page = m.get_root().render()
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(target)  # os.replace: atomic within one file system
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("map written to %s (%.0f kB)", target, len(page.encode("utf-8")) / 1024)
    return target
