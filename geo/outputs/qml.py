"""QGIS layer styles (QML documents), as QGIS itself writes them into a GeoPackage.

A style is a renderer (one symbol, categories of a field's values, or rules of QGIS
expressions), optional labels, field aliases (the column titles QGIS shows) and value maps
(codes shown as words in the attribute table and the identify panel). :func:`document`
gives the QML text that :mod:`geo.outputs.gpkg` stores in the ``layer_styles`` table, where
QGIS finds it and applies it when the layer is opened.

The XML follows what QGIS 3.22 writes (its ``<Option>`` maps and the older ``<prop>``
pairs both, so that QGIS 3.16 to 3.40 read it); what a style leaves out QGIS fills with its
own defaults. ``tests/outputs/test_gis_outputs.py`` loads every style with QGIS's own
parser where QGIS is installed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["LABEL_FONT", "QGIS_VERSION", "Category", "Labels", "Rule", "Style", "Symbol",
           "document", "quote_field", "quote_text", "raster_document"]

#: the QGIS release whose QML layout this module writes
QGIS_VERSION = "3.22.16-Białowieża"
#: the labels' font: Microsoft YaHei (微软雅黑) is on every Chinese Windows since Vista; where
#: it is missing, QGIS takes the closest font that has the characters (Noto Sans CJK on Linux)
LABEL_FONT = "Microsoft YaHei"
_GEOMETRY = {"point": 0, "line": 1, "polygon": 2, "none": 4}
Kind = Literal["fill", "line", "marker"]


@dataclass(frozen=True)
class Symbol:
    """One QGIS symbol: a fill, a line or a circle marker (sizes and widths in mm)."""

    kind: Kind
    colour: str
    opacity: float = 1.0
    outline: str = "#4d4d4d"
    outline_width: float = 0.26
    outline_style: Literal["solid", "dash", "dot", "no"] = "solid"
    filled: bool = True
    size: float = 2.6


@dataclass(frozen=True)
class Category:
    """A value of the renderer's field, its legend text and its symbol."""

    value: str
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class Rule:
    """A QGIS expression (``None``: every feature no earlier rule took), legend text, symbol."""

    expression: str | None
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class Labels:
    """Map labels: a QGIS expression, placed over the feature with a white halo."""

    expression: str
    size_pt: float = 9.0
    colour: str = "#222222"
    bold: bool = False
    #: drawn only at scales larger than 1:``min_scale`` (0: at every scale)
    min_scale: float = 0.0


@dataclass(frozen=True)
class Style:
    """What one ``layer_styles`` row holds for a layer (see module docs).

    Exactly one of ``symbol``, ``categories`` (values of ``column``) and ``rules`` is given.
    """

    geometry: Literal["point", "line", "polygon", "none"]
    symbol: Symbol | None = None
    column: str = ""
    categories: Sequence[Category] = ()
    rules: Sequence[Rule] = ()
    labels: Labels | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    value_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    opacity: float = 1.0


def quote_field(name: str) -> str:
    """A field name in a QGIS expression (``"name"``)."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """A text literal in a QGIS expression (``'text'``)."""
    return "'" + text.replace("'", "''") + "'"


def _rgba(colour: str, opacity: float = 1.0) -> str:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    if len(c) != 6:
        raise ValueError(f"colour must be #rrggbb, got {colour!r}")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(max(0.0, min(1.0, opacity)) * 255)}"


def _props(parent: ET.Element, props: Mapping[str, str]) -> None:
    """The symbol layer's properties, as ``<Option>`` map (QGIS >= 3.20) and ``<prop>``."""
    opts = ET.SubElement(parent, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opts, "Option", name=k, value=v, type="QString")
    for k, v in props.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def _layer_props(s: Symbol) -> tuple[str, dict[str, str]]:
    outline = "no" if s.outline_style == "no" else s.outline_style
    if s.kind == "fill":
        return "SimpleFill", {
            "color": _rgba(s.colour, s.opacity if s.filled else 0.0),
            "style": "solid" if s.filled else "no",
            "outline_color": _rgba(s.outline), "outline_style": outline,
            "outline_width": f"{s.outline_width:g}", "outline_width_unit": "MM",
            "joinstyle": "bevel", "offset": "0,0", "offset_unit": "MM",
        }
    if s.kind == "line":
        return "SimpleLine", {
            "line_color": _rgba(s.colour, s.opacity), "line_style": outline,
            "line_width": f"{s.outline_width:g}", "line_width_unit": "MM",
            "capstyle": "round", "joinstyle": "round", "offset": "0", "offset_unit": "MM",
        }
    return "SimpleMarker", {
        "name": "circle", "color": _rgba(s.colour, s.opacity),
        "outline_color": _rgba(s.outline), "outline_style": outline,
        "outline_width": f"{s.outline_width:g}", "outline_width_unit": "MM",
        "size": f"{s.size:g}", "size_unit": "MM", "angle": "0", "offset": "0,0",
        "offset_unit": "MM", "scale_method": "diameter", "joinstyle": "bevel",
        "horizontal_anchor_point": "1", "vertical_anchor_point": "1",
    }


def _symbol(parent: ET.Element, name: str, s: Symbol) -> None:
    sym = ET.SubElement(parent, "symbol", type=s.kind, name=name, alpha="1",
                        clip_to_extent="1", force_rhr="0")
    cls, props = _layer_props(s)
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0",
                                         "pass": "0"})
    _props(layer, props)


def _renderer(root: ET.Element, style: Style) -> None:
    given = [style.symbol is not None, bool(style.categories), bool(style.rules)]
    if sum(given) != 1:
        raise ValueError("a style has exactly one of symbol, categories and rules")
    common = {"symbollevels": "0", "enableorderby": "0", "forceraster": "0",
              "referencescale": "-1"}
    symbols: list[Symbol]
    if style.symbol is not None:
        rend = ET.SubElement(root, "renderer-v2", {"type": "singleSymbol", **common})
        symbols = [style.symbol]
    elif style.categories:
        if not style.column:
            raise ValueError("categories need the column they are values of")
        rend = ET.SubElement(root, "renderer-v2", {"type": "categorizedSymbol",
                                                   "attr": style.column, **common})
        cats = ET.SubElement(rend, "categories")
        for i, c in enumerate(style.categories):
            ET.SubElement(cats, "category", render="true", symbol=str(i), value=c.value,
                          label=c.label, type="string")
        symbols = [c.symbol for c in style.categories]
    else:
        rend = ET.SubElement(root, "renderer-v2", {"type": "RuleRenderer", **common})
        rules = ET.SubElement(rend, "rules", key="{00000000-0000-4000-8000-000000000000}")
        for i, r in enumerate(style.rules):
            ET.SubElement(rules, "rule", key=f"{{00000000-0000-4000-8000-{i + 1:012d}}}",
                          symbol=str(i), label=r.label,
                          filter="ELSE" if r.expression is None else r.expression)
        symbols = [r.symbol for r in style.rules]
    syms = ET.SubElement(rend, "symbols")
    for i, s in enumerate(symbols):
        _symbol(syms, str(i), s)


def _labels(root: ET.Element, lab: Labels, geometry: str) -> None:
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", {
        "fieldName": lab.expression, "isExpression": "1", "fontFamily": LABEL_FONT,
        "fontSize": f"{lab.size_pt:g}", "fontSizeUnit": "Point",
        "fontWeight": "75" if lab.bold else "50", "textColor": _rgba(lab.colour),
        "textOpacity": "1", "multilineHeight": "1", "allowHtml": "0",
        "namedStyle": "Bold" if lab.bold else "Regular"})
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255", bufferOpacity="0.85",
                  bufferJoinStyle="128", bufferNoFill="1")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1",
                  autoWrapLength="0", formatNumbers="0", plussign="0", decimals="3")
    # polygons: a label over the polygon's inside point; points: around the symbol. QGIS
    # names the scale limits as it did in 2.x: scaleMax is the smallest scale (1:250,000)
    ET.SubElement(settings, "placement", placement="1" if geometry == "polygon" else "6",
                  dist="1", distUnits="MM", fitInPolygonOnly="0", centroidInside="1",
                  overrunDistance="0", priority="5")
    ET.SubElement(settings, "rendering", obstacle="1", obstacleType="1",
                  displayAll="0", labelPerPart="0", mergeLines="0", limitNumLabels="0",
                  scaleVisibility="1" if lab.min_scale else "0",
                  scaleMax=f"{lab.min_scale:g}", scaleMin="0", drawLabels="1",
                  upsidedownLabels="0", fontMinPixelSize="3", fontLimitPixelSize="0",
                  zIndex="0")


def _fields(root: ET.Element, style: Style, columns: Sequence[str]) -> None:
    names = ["fid", *columns]
    conf = ET.SubElement(root, "fieldConfiguration")
    for name in names:
        f = ET.SubElement(conf, "field", name=name, configurationFlags="None")
        words = style.value_maps.get(name)
        widget = ET.SubElement(f, "editWidget", type="ValueMap" if words else "")
        config = ET.SubElement(widget, "config")
        opts = ET.SubElement(config, "Option", type="Map") if words else ET.SubElement(
            config, "Option")
        if words:
            listing = ET.SubElement(opts, "Option", type="List", name="map")
            for value, word in words.items():
                pair = ET.SubElement(listing, "Option", type="Map")
                ET.SubElement(pair, "Option", name=word, value=value, type="QString")
    aliases = ET.SubElement(root, "aliases")
    for i, name in enumerate(names):
        ET.SubElement(aliases, "alias", field=name, index=str(i),
                      name=style.aliases.get(name, ""))


def document(style: Style, columns: Sequence[str]) -> str:
    """The QML text of ``style`` for a layer with ``columns`` (its fields, in order, without
    the geometry and the ``fid`` that the GeoPackage adds first)."""
    unknown = sorted((set(style.aliases) | set(style.value_maps)) - {"fid", *columns})
    if unknown:
        raise ValueError(f"aliases or value maps name fields the layer lacks: {unknown}")
    if style.column and style.column not in columns:
        raise ValueError(f"the renderer's column {style.column!r} is not a column")
    root = ET.Element("qgis", {
        "version": QGIS_VERSION, "styleCategories": "Symbology|Labeling|Fields|Rendering",
        "labelsEnabled": "1" if style.labels else "0", "hasScaleBasedVisibilityFlag": "0",
        "minScale": "100000000", "maxScale": "0", "readOnly": "0"})
    if style.geometry != "none":
        _renderer(root, style)
        if style.labels is not None:
            _labels(root, style.labels, style.geometry)
        ET.SubElement(root, "blendMode").text = "0"
        ET.SubElement(root, "featureBlendMode").text = "0"
        ET.SubElement(root, "layerOpacity").text = f"{style.opacity:g}"
    _fields(root, style, columns)
    ET.SubElement(root, "layerGeometryType").text = str(_GEOMETRY[style.geometry])
    ET.indent(root, " ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def raster_document(classes: Sequence[tuple[float, str, str]], opacity: float = 0.8) -> str:
    """The QML of a one-band raster in discrete classes: (upper value, colour, legend text)
    each, a pixel taking the first class whose upper value it does not exceed."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Rendering",
                               "hasScaleBasedVisibilityFlag": "0", "minScale": "100000000",
                               "maxScale": "0"})
    pipe = ET.SubElement(root, "pipe")
    top = f"{classes[-1][0]:g}" if classes else "0"
    rend = ET.SubElement(pipe, "rasterrenderer", type="singlebandpseudocolor", band="1",
                         opacity=f"{opacity:g}", alphaBand="-1", classificationMin="0",
                         classificationMax=top, nodataColor="")
    ET.SubElement(rend, "rasterTransparency")
    origin = ET.SubElement(rend, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"),
                      ("statAccuracy", "Estimated")):
        ET.SubElement(origin, tag).text = text
    shader = ET.SubElement(ET.SubElement(rend, "rastershader"), "colorrampshader",
                           colorRampType="DISCRETE", classificationMode="1", clip="0",
                           minimumValue="0", maximumValue=top, labelPrecision="0")
    for upper, colour, label in classes:
        ET.SubElement(shader, "item", alpha="255", value=f"{upper:g}", label=label,
                      color=colour)
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root, " ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")
