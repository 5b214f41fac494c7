"""The page around every ``geo`` map: base map, title block, township names, standard switch.

Shared by the coverage map (:mod:`geo.outputs.map.coverage`) and the planning maps
(:mod:`geo.outputs.map.planning`), so the siting, designation and comparison maps read like
``map.html``:

- :func:`base_map`: OpenStreetMap tiles or a blank base (works offline), a metric-only scale
  bar, full screen and a measure tool, fitted to the study area;
- :func:`title_box`: title, the standard shown, date, the assumptions in a *closed*
  ``<details>`` (one click opens them; open, they covered the west of the county on a
  1366×768 screen) and the OpenStreetMap attribution;
- :func:`township_names`: each township's name at its pole of inaccessibility (the inside
  point farthest from the edge, :func:`shapely.ops.polylabel`), a non-interactive label;
- :class:`StandardSwitch`: a radio list that shows one standard at a time. Each *slot* (the
  township colouring, the bands, the gaps, …) is one layer-control entry whose content is
  swapped for the chosen standard's; page elements with ``data-geo-std="KEY"`` (title line,
  colour bar) are shown only for the chosen standard.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import geopandas as gpd
from branca.element import Element, Figure, MacroElement
from folium.plugins import Fullscreen, MeasureControl
from jinja2 import Template
from shapely.ops import polylabel

from geo.crs import utm_crs_for
from geo.outputs import i18n
from geo.outputs.map import offline as _offline
from geo.outputs.map.layers import constant, esc, simplified

__all__ = [
    "CSS", "OSM_ATTRIBUTION", "StandardSwitch", "add_boxes", "base_map", "boundary_layer",
    "std_block", "swatches", "title_box", "township_names",
]

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
# A 1x1 white GIF as the tile of the "No basemap" layer: draws with no network at all.
_BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
#: how far a township name is kept from a facility marker (about 25 px at county zoom)
LABEL_CLEAR_M = 3000.0
_OSM_LINK = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
CSS = """<style>
.geo-box{position:fixed;z-index:1000;background:rgba(255,255,255,.93);padding:6px 10px;
 border-radius:4px;box-shadow:0 0 4px #888;font:12px/1.45 "Noto Sans CJK SC","Microsoft YaHei",
 "PingFang SC",sans-serif;word-break:normal;overflow-wrap:normal;hyphens:none}
.geo-title{top:10px;left:55px;max-width:400px}
.leaflet-control-layers{font-size:11px;line-height:1.3}
.geo-title .t{font-size:15px;font-weight:bold}
.geo-title ul{margin:2px 0;padding-left:18px;max-height:45vh;overflow-y:auto}
.geo-title summary{cursor:pointer}
.geo-legend{bottom:30px;right:10px;max-height:55vh;overflow-y:auto;max-width:300px}
.geo-sw{display:inline-block;width:16px;vertical-align:middle;margin-right:5px}
.geo-icon{width:18px;height:18px;border-radius:50%;box-sizing:border-box;border:2px solid #fff;
 box-shadow:0 0 3px #000;color:#fff;text-align:center;font:bold 10px/14px sans-serif}
.geo-rank{width:22px;height:22px;border-radius:50%;background:#d7301f;color:#fff;
 border:2px solid #fff;box-shadow:0 0 3px #000;box-sizing:border-box;text-align:center;
 font:bold 12px/18px sans-serif}
.geo-bar{position:relative;height:12px;margin:3px 0 14px;border:1px solid #999}
.geo-bar .tg{position:absolute;top:-4px;bottom:-4px;border-left:3px solid #222}
.geo-bar .tl{position:absolute;top:13px;font-size:10px;white-space:nowrap}
.geo-popup th,.geo-tip th{text-align:left;padding-right:8px;font-weight:normal;color:#555}
.geo-popup{font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif}
.geo-town-label div{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;
 font:bold 13px/1.2 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;color:#222;
 text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff,0 0 1px #fff;pointer-events:none}
.geo-standards{padding:6px 8px}.geo-standards b{display:block;margin-bottom:2px}
.geo-standards label{display:block;cursor:pointer;white-space:nowrap}
.geo-bands-on path.geo-town{fill-opacity:0!important}
.geo-north{bottom:60px;left:10px;padding:2px 6px;text-align:center;font-weight:bold}
.geo-north span{display:block;font-size:18px;line-height:16px}
@media print{
 @page{size:A4 landscape;margin:8mm}
 html,body{width:100%;height:100%}
 .folium-map{position:absolute!important;left:0;top:0;width:71%!important;
  height:100%!important}
 .leaflet-control-zoom,.leaflet-control-layers,.leaflet-control-fullscreen,
 .leaflet-control-measure,.geo-standards{display:none!important}
 .geo-box{box-shadow:none;border:1px solid #999}
 .geo-title{position:absolute;left:auto;right:0;top:0;width:27%;max-width:none}
 .geo-title details{display:none}
 .geo-legend{position:absolute;right:0;bottom:0;top:auto;width:27%;max-width:none;
  max-height:none;overflow:visible}
}
</style>"""

_SCALE = Template("""{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false, maxWidth: 160})
 .addTo({{ this._parent.get_name() }});
(function () {  // printing: the map takes the page's left part; fit the area again
  var map = {{ this._parent.get_name() }}, bounds = {{ this.bounds|tojson }};
  var refit = function () { map.invalidateSize(false); map.fitBounds(bounds); };
  window.addEventListener("beforeprint", refit);
  window.addEventListener("afterprint", refit);
  if (window.matchMedia) { window.matchMedia("print").addListener(refit); }
})();
{% endmacro %}""")


class _MetricScale(MacroElement):
    """Leaflet's scale bar in kilometres/metres only (folium's ``control_scale`` adds miles),
    and the map fitted to ``bounds`` again when printed (the print view is narrower)."""

    _template = _SCALE

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self.bounds = bounds


def base_map(boundary: gpd.GeoDataFrame, lang: str) -> folium.Map:
    """Map fitted to ``boundary`` (EPSG:4326): OSM or blank base, metric scale, full screen,
    measure tool."""
    minx, miny, maxx, maxy = boundary.total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None)
    _offline.trim_defaults(m)  # Leaflet and jQuery only: save_map inlines them (offline page)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=_OSM_LINK).add_to(m)
    folium.TileLayer(
        _BLANK_TILE, name=i18n.text("no_basemap", lang),
        attr=f"{i18n.text('road_data', lang)} {_OSM_LINK}", show=False,
    ).add_to(m)
    _MetricScale([[float(miny), float(minx)], [float(maxy), float(maxx)]]).add_to(m)
    Fullscreen(position="topleft").add_to(m)
    MeasureControl(position="topleft", primary_length_unit="kilometers",
                   secondary_length_unit="meters", primary_area_unit="sqkilometers",
                   secondary_area_unit="hectares").add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def boundary_layer(boundary: gpd.GeoDataFrame, lang: str) -> folium.GeoJson:
    """The study-area outline, dashed, not clickable (hover reaches the townships)."""
    line = {"color": "#222222", "weight": 2.5, "fill": False, "dashArray": "6 4",
            "className": "geo-boundary"}
    return folium.GeoJson(simplified(boundary[[boundary.geometry.name]]),
                          name=i18n.text("boundary_layer", lang), style_function=constant(line),
                          interactive=False)


def std_block(key: str, shown: str, html: str, tag: str = "div") -> str:
    """``html`` in an element shown only while standard ``key`` is the one on screen
    (``key`` may list several, space-separated: shown while any of them is)."""
    hide = "" if shown in key.split(" ") else ' style="display:none"'
    return f'<{tag} data-geo-std="{esc(key)}"{hide}>{html}</{tag}>'


def title_box(title: str, lines: Sequence[str], notes: Sequence[str], lang: str,
              day: str) -> str:
    """Title block: title, ``lines`` (HTML), date, assumptions (closed), attribution."""
    notes_html = "".join(f"<li>{esc(i18n.note(n, lang))}</li>" for n in notes)
    t = i18n.text
    return (
        f'<div class="geo-box geo-title"><div class="t">{esc(title)}</div>{"".join(lines)}'
        f"<div>{t('date', lang)}: {esc(day)}</div>"
        + (f"<details><summary>{t('assumptions', lang)} ({len(notes)})</summary>"
           f"<ul>{notes_html}</ul></details>" if notes else "")
        + f'<div style="color:#555">{t("road_data", lang)} {OSM_ATTRIBUTION}</div></div>'
    )


def swatches(rows: Sequence[tuple[str, str, str]], columns: int = 1) -> str:
    """Legend rows (css, glyph, text) in ``columns`` columns."""
    body = "".join(
        f'<div><span class="geo-sw{" geo-icon" if g else ""}" style="{css}">{esc(g)}</span>'
        f"{esc(text)}</div>"
        for css, g, text in rows
    )
    return f'<div style="display:grid;grid-template-columns:repeat({columns},auto);' \
           f'column-gap:8px">{body}</div>'


# The legend (bottom right) never reaches up under the controls of the top-right corner
# (the standard switch and the layer list, taller with measures): its height is what the
# window leaves below them, scrolled beyond that; kept so on resizing.
_FIT_LEGEND = """<script>
(function () {
  function fit() {
    var corner = document.querySelector(".leaflet-top.leaflet-right");
    var legend = document.querySelector(".geo-legend");
    if (!corner || !legend) { return; }
    var room = window.innerHeight - corner.getBoundingClientRect().bottom - 30 - 12;
    legend.style.maxHeight = Math.max(room, 80) + "px";
  }
  window.addEventListener("load", function () { fit(); setTimeout(fit, 200); });
  window.addEventListener("resize", fit);
})();
</script>"""


def add_boxes(m: folium.Map, title_html: str, legend_html: str, lang: str) -> None:
    """Put the stylesheet, the title block, the legend and a north arrow on the page."""
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(CSS), name="geo_css")
    root.html.add_child(Element(title_html), name="geo_title")
    root.html.add_child(Element(legend_html), name="geo_legend")
    north = "北" if lang == "zh" else "N"
    root.html.add_child(Element(f'<div class="geo-box geo-north" title="north">'
                                f"<span>↑</span>{north}</div>"), name="geo_north")
    root.html.add_child(Element(_FIT_LEGEND), name="geo_fit_legend")


_LABELS = Template("""{% macro script(this, kwargs) %}
{{ this.points|tojson }}.forEach(function (p) {
  L.marker([p[0], p[1]], {interactive: false, keyboard: false, icon: L.divIcon({
    className: "geo-town-label", iconSize: [0, 0], html: "<div>" + p[2] + "</div>"})})
   .addTo({{ this._parent.get_name() }});
});
{% endmacro %}""")


class _Labels(MacroElement):
    _template = _LABELS

    def __init__(self, points: list[tuple[float, float, str]]) -> None:
        super().__init__()
        self.points = points


def label_points(townships: gpd.GeoDataFrame, avoid: gpd.GeoDataFrame | None = None,
                 clear_m: float = LABEL_CLEAR_M) -> list[tuple[float, float, str]]:
    """(lat, lon, name) of each township's label: the pole of inaccessibility of its
    largest part (in metres, UTM, to within 100 m), kept ``clear_m`` from the points of
    ``avoid`` (facility markers) where the township leaves room for it."""
    gdf = townships[~(townships.geometry.isna() | townships.geometry.is_empty)].to_crs(4326)
    if gdf.empty:
        return []
    minx, miny, maxx, maxy = gdf.total_bounds
    utm = utm_crs_for((minx + maxx) / 2, (miny + maxy) / 2)
    metric = gdf.geometry.to_crs(utm)
    keep_off = None
    if avoid is not None and len(avoid):
        keep_off = avoid.geometry.to_crs(utm).buffer(clear_m).union_all()
    out = []
    for name, geom in zip(gdf["township"].astype(str), metric, strict=True):
        free = geom.difference(keep_off) if keep_off is not None else geom
        parts = list(getattr(free, "geoms", [free])) if not free.is_empty else []
        if not parts or max(p.area for p in parts) < 0.1 * geom.area:
            parts = list(getattr(geom, "geoms", [geom]))  # no room: the whole township
        part = max(parts, key=lambda g: g.area)
        point = polylabel(part, tolerance=100.0)
        lonlat = gpd.GeoSeries([point], crs=utm).to_crs(4326).iloc[0]
        out.append((round(float(lonlat.y), 6), round(float(lonlat.x), 6), name))
    return out


def township_names(townships: gpd.GeoDataFrame, lang: str,
                   avoid: gpd.GeoDataFrame | None = None) -> folium.FeatureGroup:
    """A layer of township names (``township`` column), readable at county zoom, placed
    clear of the points of ``avoid`` (facilities) where there is room."""
    group = folium.FeatureGroup(name=i18n.text("names_layer", lang))
    points = [(lat, lon, esc(name)) for lat, lon, name in label_points(townships, avoid)]
    _Labels(points).add_to(group)
    return group


_SWITCH = Template("""{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var slots = { {%- for slot, group in this.slots.items() %}
    {{ slot|tojson }}: {{ group.get_name() }}{{ "," if not loop.last }}{% endfor %} };
  var members = { {%- for key, layers in this.members.items() %}
    {{ key|tojson }}: { {%- for slot, layer in layers.items() %}
      {{ slot|tojson }}: {{ layer.get_name() }}{{ "," if not loop.last }}{% endfor %} }
    {{- "," if not loop.last }}{% endfor %} };
  var box;
  // while the travel-time bands are on, townships are outlines above them (no fill), so
  // no band colour mixes with a pass or fail fill and no red outline is hidden
  function bandsOn() { return !!slots.bands && map.hasLayer(slots.bands); }
  function townsOnTop() {
    map.getContainer().classList.toggle("geo-bands-on", bandsOn());
    if (bandsOn() && slots.townships && map.hasLayer(slots.townships)) {
      slots.townships.bringToFront();
    }
  }
  map.on("overlayadd overlayremove", townsOnTop);
  var auto = {{ this.auto|tojson }};
  function show(key) {
    Object.keys(slots).forEach(function (slot) {
      slots[slot].clearLayers();
      var layer = (members[key] || {})[slot];
      if (layer) { slots[slot].addLayer(layer); }
      // an overlay only some choices have (a measure's catchments): on with them, off
      // with the others, where it would draw nothing
      if (auto.indexOf(slot) >= 0) {
        if (layer) { map.addLayer(slots[slot]); } else { map.removeLayer(slots[slot]); }
      }
    });
    townsOnTop();
    document.querySelectorAll("[data-geo-std]").forEach(function (el) {
      var keys = (el.getAttribute("data-geo-std") || "").split(" ");
      el.style.display = keys.indexOf(key) >= 0 ? "" : "none";
    });
    box.querySelectorAll("input").forEach(function (i) { i.checked = i.value === key; });
  }
  var Switch = L.Control.extend({
    options: {position: "topright"},
    onAdd: function () {
      box = L.DomUtil.create("div", "leaflet-control-layers leaflet-control geo-standards");
      box.innerHTML = {{ this.html|tojson }};
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      box.querySelectorAll("input").forEach(function (i) {
        i.addEventListener("change", function () { show(i.value); });
      });
      return box;
    }
  });
  new Switch().addTo(map);
  show({{ this.shown|tojson }});
})();
{% endmacro %}""")


class StandardSwitch(MacroElement):
    """Radio list of standards; shows one standard's layers and page elements at a time.

    Parameters
    ----------
    choices : Mapping[str, str]
        Standard key -> label shown next to its radio button, in order.
    shown : str
        The standard on screen when the page opens.
    slots : Mapping[str, folium.FeatureGroup]
        Slot name -> the (empty) group that holds the chosen standard's layer of that slot;
        each group is one entry of the layer control.
    members : Mapping[str, Mapping[str, folium.map.Layer]]
        Standard key -> slot name -> that standard's layer (created with ``show=False``,
        as a child of the slot's group). A standard without a layer in a slot shows it empty.
    heading : str
        Heading of the list (e.g. "标准").
    auto : Sequence[str]
        Slots shown exactly while the chosen standard has a layer in them (ticked with a
        measure, unticked with a coverage standard, for which they draw nothing).

    Add it to the map after every layer it names and before the layer control, so it sits
    above the layer control in the top-right corner.
    """

    _template = _SWITCH

    def __init__(self, choices: Mapping[str, str], shown: str,
                 slots: Mapping[str, folium.FeatureGroup],
                 members: Mapping[str, Mapping[str, folium.map.Layer]], heading: str,
                 auto: Sequence[str] = ()) -> None:
        super().__init__()
        self._name = "StandardSwitch"
        self.shown = shown
        self.auto = list(auto)
        self.slots = dict(slots)
        self.members = {k: dict(v) for k, v in members.items()}
        rows = "".join(
            f'<label><input type="radio" name="geo-std" value="{esc(k)}"'
            f'{" checked" if k == shown else ""}> {esc(label)}</label>'
            for k, label in choices.items()
        )
        self.html = f"<b>{esc(heading)}</b>{rows}"

