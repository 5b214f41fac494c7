"""Road classes of a line layer: which column holds them, and Chinese names as OSM classes.

The speed table (:data:`geo.settings.DRIVE_SPEEDS_KMH`) is keyed by OSM ``highway``
classes. Road layers come with their class in other columns and words:

- OSM exports: ``highway``; Geofabrik's shapefiles (``gis_osm_roads_free_1.shp``):
  ``fclass``, holding the same OSM classes;
- layers of a transport or natural-resources bureau: a Chinese column (道路等级, 行政等级,
  技术等级, ...) with administrative classes (国道, 省道, 县道, 乡道, 村道, 高速公路), urban
  classes of CJJ 37-2012 《城市道路工程设计规范》 (快速路, 主干路, 次干路, 支路) or technical
  grades of JTG B01-2014 《公路工程技术标准》 (一级公路 … 四级公路).

:func:`with_highway` finds the column (``[roads] class_col`` names it) and writes a
``highway`` column: OSM classes as they are, Chinese names as the OSM class China's OSM
mapping gives them (module :mod:`geo.settings` explains the correspondence), others as
written, so a class without a speed stops the build naming it (``[roads] speeds_kmh``
may give a speed to any local name). What was translated is returned as a note for the
outputs.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import geopandas as gpd
import pandas as pd

from geo.errors import Arg, ColumnError
from geo.options import closest

__all__ = ["CHINESE_CLASSES", "CLASS_COLUMNS", "class_column", "with_highway"]

#: columns looked for, in order, when ``[roads] class_col`` is not given
CLASS_COLUMNS = ("highway", "fclass", "道路等级", "行政等级", "公路等级", "技术等级", "等级",
                 "道路类型", "道路类别", "类型")

#: Chinese road classes -> the OSM class with the speed that fits them (settings docs):
#: administrative classes as China's OSM mapping tags them; urban classes by their design
#: speeds (CJJ 37-2012 §3.1: 快速路 60-100, 主干路 40-60, 次干路 30-50, 支路 20-40 km/h);
#: technical grades by theirs (JTG B01-2014 §3.5: 一级 60-100, 二级 60-80, 三级 30-40,
#: 四级 20-30 km/h)
CHINESE_CLASSES = {
    "高速公路": "motorway", "高速": "motorway",
    "国道": "trunk", "省道": "primary", "县道": "secondary", "乡道": "tertiary",
    "村道": "unclassified", "专用公路": "service",
    "城市快速路": "trunk", "快速路": "trunk", "主干路": "primary", "主干道": "primary",
    "次干路": "secondary", "次干道": "secondary", "支路": "residential",
    "一级公路": "trunk", "二级公路": "primary", "三级公路": "tertiary", "四级公路": "unclassified",
    "等外公路": "track",
}
_KEYS = {unicodedata.normalize("NFKC", k).replace(" ", ""): v for k, v in CHINESE_CLASSES.items()}


def class_column(roads: gpd.GeoDataFrame, class_col: str | None) -> str:
    """The column holding road classes: ``class_col`` if given, else the first of
    :data:`CLASS_COLUMNS` the layer has."""
    cols = [str(c) for c in roads.columns if c != roads.geometry.name]
    if class_col is not None:
        if class_col not in roads.columns:
            raise ColumnError(Arg("RoadOptions", "class_col", class_col), ": not a column of "
                              f"the road layer{closest(class_col, cols)}; its columns are {cols}")
        return class_col
    for name in CLASS_COLUMNS:
        if name in roads.columns:
            return name
    raise ColumnError(
        f"the road layer has no column of road classes ({', '.join(CLASS_COLUMNS)}); its "
        f"columns are {cols}: name the one that holds them with ",
        Arg("RoadOptions", "class_col"), " (OSM classes such as primary, or 高速公路, 国道, "
        "省道, 县道, 乡道, 村道, 快速路, 主干路, 次干路, 支路, 一级公路 … 四级公路)")


def _osm(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return _KEYS.get(text.replace(" ", ""), text)


def with_highway(roads: gpd.GeoDataFrame,
                 class_col: str | None = None) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``roads`` with a ``highway`` column of OSM classes read from its class column, and
    the notes the outputs carry (which column, which Chinese names became which class)."""
    col = class_column(roads, class_col)
    translated = roads[col].map(_osm)
    if col == "highway" and (translated.astype(str) == roads[col].astype(str)).all():
        return roads, []  # OSM classes already: the layer as it is
    out = roads.copy()
    out["highway"] = translated
    pairs = Counter(
        (str(a), str(b)) for a, b in zip(roads[col], translated, strict=True)
        if pd.notna(a) and str(a).strip() != str(b))
    notes = []
    if col != "highway":
        notes.append(f"road classes read from column {col!r}")
    if pairs:
        notes.append("road classes read as OSM classes: " + "; ".join(
            f"{a} → {b} ({n})" for (a, b), n in sorted(pairs.items(), key=lambda kv: -kv[1])))
    return out, ["; ".join(notes)] if notes else []
