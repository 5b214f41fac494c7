"""Folium maps of siting answers and scenario changes (``siting_map.html``,
``designation_map.html``, ``comparison_map.html``).

Kept apart from :mod:`geo.outputs.maps` (the study's coverage map): these draw proposals and
changes, and reuse only its public :func:`geo.outputs.maps.save_map`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.outputs import offline as _offline

if TYPE_CHECKING:
    from geo.planning.compare import Comparison
    from geo.planning.sites import SitingRun
    from geo.study import ComputedStudy

__all__ = ["change_map", "siting_map"]

_OSM = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


def _base(result: ComputedStudy, title: str, notes: Sequence[str]) -> folium.Map:
    minx, miny, maxx, maxy = result.area.to_crs(4326).total_bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                   control_scale=True)
    _offline.trim_defaults(m)  # Leaflet and jQuery only: save_map inlines them (offline page)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", attr=_OSM).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(result.area.to_crs(4326)[["geometry"]], name="Study area",
                   style_function=lambda _: {"color": "#222", "weight": 2, "fill": False,
                                             "dashArray": "6 4"},
                   interactive=False).add_to(m)
    body = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    box = (f'<div style="position:fixed;top:10px;left:50px;z-index:9999;background:white;'
           f'padding:6px 10px;max-width:460px;font:12px sans-serif;border:1px solid #999">'
           f"<b>{html.escape(title)}</b><ul style='margin:4px 0 0 14px;padding:0'>{body}</ul>"
           "</div>")
    m.get_root().html.add_child(folium.Element(box))  # type: ignore[attr-defined]
    return m


def _cells(result: ComputedStudy, mask: npt.NDArray[np.bool_]) -> gpd.GeoDataFrame:
    """Demand cells (grid demand) or small squares round demand points, dissolved."""
    dem = result.demand
    cells = result.cells
    if len(cells) == len(dem) and (cells["cell_id"].to_numpy() == dem["demand_id"].to_numpy()
                                   ).all():
        geoms = cells.geometry[mask]
    else:
        crs = result.networks["drive"].crs
        geoms = dem.geometry[mask].to_crs(crs).buffer(150, cap_style="square").to_crs(4326)
    if not len(geoms):
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    merged = gpd.GeoSeries(geoms.to_numpy(), crs=4326).union_all().simplify(0.0003)
    return gpd.GeoDataFrame(geometry=[merged], crs=4326)


def _area_layer(m: folium.Map, result: ComputedStudy, mask: npt.NDArray[np.bool_], name: str,
                color: str, show: bool = True) -> None:
    gdf = _cells(result, mask)
    if len(gdf):
        folium.GeoJson(gdf, name=name, show=show,
                       style_function=lambda _: {"color": color, "weight": 0.5,
                                                 "fillColor": color, "fillOpacity": 0.35},
                       tooltip=name).add_to(m)


def _points(m: folium.Map, gdf: gpd.GeoDataFrame, name: str, color: str,
            labels: Sequence[str], radius: int = 6, show: bool = True) -> None:
    group = folium.FeatureGroup(name=name, show=show)
    for geom, text in zip(gdf.geometry.to_crs(4326), labels, strict=True):
        folium.CircleMarker([geom.y, geom.x], radius=radius, color="#222", weight=1,
                            fill=True, fill_color=color, fill_opacity=0.9,
                            tooltip=html.escape(text)).add_to(group)
    group.add_to(m)


def siting_map(run: SitingRun, title: str) -> folium.Map:
    """Existing facilities, candidates, chosen sites (ranked) and what they newly cover."""
    res = run.result
    notes = [f"{res.model.upper()} for {run.standard.name} within {run.minutes:g} min: "
             f"{res.status}, gap {res.gap:.3%} ({res.method})", *run.notes,
             *run.study.assumptions]
    m = _base(run.study, title, notes)
    before, after = run.covered(chosen=False), run.covered()
    _area_layer(m, run.study, before, f"within {run.minutes:g} min today", "#6baed6")
    _area_layer(m, run.study, after & ~before, "newly within reach of the chosen sites",
                "#31a354")
    fac = run.study.facilities
    eligible = fac[fac["type"].isin(run.standard.facility_types)]
    _points(m, eligible, f"existing {run.standard.name} facilities", "#555555",
            [f"{r.id} {r.name} ({r.type})" for r in eligible.itertuples()])
    _points(m, run.candidates, f"candidates ({len(run.candidates)})", "#bbbbbb",
            list(run.candidates["id"].astype(str)), radius=2, show=False)
    group = folium.FeatureGroup(name="chosen sites")
    for r in run.table.to_dict("records"):
        label = (f"#{r['rank']} {r['id']} ({r['township']}): +{r['newly_covered_population']:,.0f}"
                 f" people within {run.minutes:g} min; cumulative share "
                 f"{r['cumulative_covered_share']:.1%}")
        folium.Marker([r["lat"], r["lon"]], tooltip=html.escape(label),
                      icon=folium.DivIcon(html=f'<div style="background:#d7301f;color:white;'
                                          f'border-radius:50%;width:22px;height:22px;'
                                          f'text-align:center;font:bold 13px/22px sans-serif">'
                                          f"{r['rank']}</div>")).add_to(group)
    group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def change_map(comp: Comparison, title: str) -> folium.Map:
    """Facilities changed by a scenario, and per standard the areas gained and lost."""
    res = comp.study
    m = _base(res, title, comp.notes[:8])
    for std in res.standards:
        b, a = comp.minutes_before.get(std.name), comp.minutes_after.get(std.name)
        if b is None or a is None:
            continue
        gained, lost = (a <= std.minutes) & (b > std.minutes), (b <= std.minutes) & (
            a > std.minutes)
        _area_layer(m, res, gained, f"{std.name}: newly within {std.minutes:g} min",
                    "#31a354", show=std.name == res.standards[0].name)
        _area_layer(m, res, lost, f"{std.name}: no longer within {std.minutes:g} min",
                    "#de2d26", show=std.name == res.standards[0].name)
    after = comp.applied.facilities
    _points(m, after, "facilities (after)", "#555555",
            [f"{r.id} {r.name} ({r.type})" for r in after.itertuples()], radius=4)
    _change_layer(m, comp.applied.changes)
    if comp.applied.roads is not None:
        folium.GeoJson(comp.applied.roads[["name", "highway", "geometry"]], name="new roads",
                       style_function=lambda _: {"color": "#000", "weight": 4},
                       tooltip=folium.GeoJsonTooltip(["name", "highway"])).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


_COLORS = {"add": "#31a354", "move": "#3182bd", "close": "#de2d26", "retype": "#fd8d3c",
           "designate": "#9e9ac8", "add_road": "#000000"}


def _change_layer(m: folium.Map, changes: pd.DataFrame) -> None:
    group = folium.FeatureGroup(name="changes")
    for r in changes.to_dict("records"):
        color = _COLORS.get(str(r["action"]), "#000")
        label = html.escape(f"{r['project']} {r['action']} {r['id']}: {r['detail']}. {r['note']}")
        b = [float(r["lat_before"]), float(r["lon_before"])]
        a = [float(r["lat_after"]), float(r["lon_after"])]
        has_b, has_a = bool(np.isfinite(b[1])), bool(np.isfinite(a[1]))
        if has_b and has_a and b != a:
            folium.PolyLine([b, a], color=color, weight=3, tooltip=label).add_to(group)
        if has_b:
            folium.CircleMarker(b, radius=9, color=color, fill=not has_a, weight=3,
                                tooltip=label).add_to(group)
        if has_a:
            folium.CircleMarker(a, radius=9, color=color, fill=True, fill_opacity=0.8,
                                tooltip=label).add_to(group)
    group.add_to(m)
