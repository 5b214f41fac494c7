"""Facility markers for maps with thousands of facilities: clustered, built in the browser.

Above :data:`geo.settings.MAP_CLUSTER_MIN_FACILITIES` facilities, :func:`clustered_facility_layer`
replaces the one-marker-per-facility layer of :mod:`geo.outputs.map.layers` (a script block
and a pre-rendered popup per facility: about 2 kB each, 100 MB of page for 50,000). Here
the page holds one compact JSON row per facility (position, type, names, grade, location
quality, tier, peer minutes, peer row) and a small script makes the markers, their
tooltips and, when a marker is clicked, its popup, with the same fields and labels as the
small maps'. Markers are grouped by Leaflet.markercluster (folium's ``MarkerCluster``
plugin, vendored in ``geo/outputs/map/_vendor/leaflet.markercluster``), added in chunks so
the page stays responsive while it loads; facilities at one position are spread out
("spiderfied") when their cluster is clicked at the last zoom level.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
from folium.plugins import MarkerCluster
from folium.template import Template

from geo.outputs import i18n
from geo.outputs.map.layers import ICON_PX, missing, peer_text

__all__ = ["FacilityCluster", "clustered_facility_layer"]

_POPUP_KEYS = ("name_en", "type", "grade", "location_quality", "tier", "nearest_peer")


def _js_literal(value: Any) -> str:
    r"""Write JSON for inside a ``<script>``: UTF-8 text kept (not \u-escaped), ``</`` broken."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class FacilityCluster(MarkerCluster):
    """A ``MarkerCluster`` whose markers are made in the browser from compact rows."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = (function () {
  var meta = {{ this.meta }}, rows = {{ this.rows }};
  var esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };
  var icons = meta.types.map(function (t) {
    return L.divIcon({className: "geo-facility", iconSize: [meta.px, meta.px],
      html: '<div class="geo-icon" style="background:' + t[1] + '">' + esc(t[2]) + "</div>"});
  });
  // r: lat, lon, type, name, name_en, grade, location quality, id, tier, peer text
  var popup = function (r) {
    var t = meta.labels, f = [[t.name_en, r[4]], [t.type, meta.types[r[2]][0]],
      [t.grade, r[5]], [t.location_quality, r[6]]];
    if (r[9] !== null) f.push([t.tier, meta.tiers[r[8]]], [t.nearest_peer, r[9]]);
    f.push(["ID", r[7]]);
    return '<div class="geo-popup"><b>' + esc(r[3]) + "</b><table>" + f.map(function (x) {
      return "<tr><th>" + esc(x[0]) + "</th><td>" +
        (x[1] === "" || x[1] === null ? "–" : esc(x[1])) + "</td></tr>";
    }).join("") + "</table></div>";
  };
  var cluster = L.markerClusterGroup({{ this.options|tojavascript }});
  var markers = rows.map(function (r) {
    var m = L.marker([r[0], r[1]], {icon: icons[r[2]], geoId: r[7]});
    m.bindTooltip(esc(r[3]));
    m.bindPopup(function () { return popup(r); }, {maxWidth: 360,
      autoPanPaddingTopLeft: [470, 10], autoPanPaddingBottomRight: [10, 10]});
    return m;
  });
  cluster.addLayers(markers);
  cluster.addTo({{ this._parent.get_name() }});
  return cluster;
})();
{% endmacro %}""")

    def __init__(self, rows: list[list[Any]], meta: dict[str, Any], name: str) -> None:
        super().__init__(name=name, options={"chunkedLoading": True,
                                             "showCoverageOnHover": False,
                                             "spiderfyOnMaxZoom": True})
        self.rows, self.meta = _js_literal(rows), _js_literal(meta)


def _text(value: Any) -> str:
    return "" if missing(value) else str(value)


def _rows(fac: gpd.GeoDataFrame, type_ix: dict[str, int], tier_ix: dict[str, int],
          lang: str) -> list[list[Any]]:
    """Return one row per facility (see the template's comment for the fields).

    The peer text is the small maps' own (:func:`geo.outputs.map.layers.peer_text`).
    """
    names = dict(zip(fac["id"].astype(str), fac["name"].astype(str), strict=True))
    out = []
    for rec, x, y in zip(fac.to_dict("records"), fac.geometry.x, fac.geometry.y, strict=True):
        out.append([
            round(float(y), 6), round(float(x), 6), type_ix[str(rec["type"])], str(rec["name"]),
            _text(rec.get("name_en")), _text(rec.get("grade")),
            _text(rec.get("location_quality")), str(rec["id"]),
            tier_ix.get(str(rec.get("tier")), -1), peer_text(rec, names, lang),
        ])
    return out


def clustered_facility_layer(facilities: gpd.GeoDataFrame, styles: dict[str, tuple[str, str]],
                             name: str, lang: str) -> FacilityCluster:
    """Return the facility layer as clustered markers (same colours, glyphs, popup fields)."""
    fac = facilities.sort_values("id").reset_index(drop=True)
    types = sorted(styles)
    tiers = sorted({str(t) for t in fac["tier"]}) if "tier" in fac.columns else []
    meta = {
        "px": ICON_PX,
        "types": [[f"{i18n.type_label(t, lang)} ({t})", styles[t][0], styles[t][1]]
                  for t in types],
        "tiers": [i18n.tier_label(t, lang) for t in tiers],
        "labels": {k: i18n.text(k, lang) for k in _POPUP_KEYS},
    }
    rows = _rows(fac, {t: i for i, t in enumerate(types)}, {t: i for i, t in enumerate(tiers)},
                 lang)
    return FacilityCluster(rows, meta, name)
