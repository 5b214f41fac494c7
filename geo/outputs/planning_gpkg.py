"""The GeoPackages of planning answers: ``siting.gpkg``, ``designation.gpkg``, ``comparison.gpkg``.

What the planning maps draw, as GIS layers that open styled in QGIS
(:mod:`geo.outputs.gpkg`, styles of :mod:`geo.outputs.gis_styles`, titles in the study's
language):

- siting and designation: ``chosen_sites`` (ranked, with the people each newly covers),
  ``townships`` (population and people within the threshold before and after the chosen
  sites, shares, the standard's target and the status after; drawn as outlines, red where
  still below target, so the areas under them show; filled by share as a second style),
  ``within_today`` and
  ``newly_within`` (the areas within the threshold of the existing facilities, and those
  the chosen sites add, with their people), ``facilities`` (the existing facilities the
  standard counts), ``candidates`` and the study ``area``;
- comparison: per standard whose minutes change, ``townships_<standard>`` (the before,
  after and change of every township, styled by the change, and by the status after as a
  second style), ``gained_<standard>`` and ``lost_<standard>`` (areas newly within and no
  longer within its threshold); ``facilities_after``, ``changes`` (each change of the
  scenario where it is after it), ``new_roads``, ``closed_roads`` (the segments its
  ``close_road``/``slow_road`` actions close or slow), ``hazard_extent`` (a hazard run's
  flood or landslide extents, with the rule that made each and its own note), ``area``.

The notes and assumptions of the answer are stored once, in the GeoPackage's metadata.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.outputs import gis_styles as styles
from geo.outputs import i18n, qml
from geo.outputs.gpkg import About, GisLayer, write_gpkg
from geo.outputs.map.planning import hazard_rules
from geo.outputs.planning_tables import (
    comparison_rows,
    drawn_area,
    named_roads,
    shown_changes,
    siting_by_township,
)

if TYPE_CHECKING:
    from pathlib import Path

    from geo.coverage.standards import Standard
    from geo.planning.compare import Comparison
    from geo.planning.sites import SitingRun
    from geo.study.run import ComputedStudy

__all__ = ["write_comparison_gpkg", "write_siting_gpkg"]


def _label(std: Standard, lang: str) -> str:
    label = i18n.standard_label(std.label, std.label_zh, lang)
    return i18n.text("gis_style", lang, label=label, code=std.name)


def _cols(frame: pd.DataFrame) -> list[str]:
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    return [str(c) for c in frame.columns if c != geom]


def _about(study: ComputedStudy, notes: list[str]) -> About:
    s = study.study
    return About(s.name, s.title, s.language, list(dict.fromkeys(notes)),
                 created=dt.date.today().isoformat())


def _described(text: str, lang: str) -> str:
    sep = "。" if lang == "zh" else ". "
    return f"{text}{sep}{i18n.text('gis_assumptions', lang)}"


def _towns(study: ComputedStudy, rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Join ``rows`` to the township polygons, with the status after as text.

    Rows join by township name, the whole-area row left out; the text is in the study's language.
    """
    lang = study.study.language
    table = rows[~rows["is_total"]].drop(columns="is_total")
    table = table.assign(status_after=[styles.status_text(m, lang)
                                       for m in table["meets_target"]]).drop(
        columns=["meets_target", "meets_target_after"], errors="ignore")
    polys = study.townships[["township", "geometry"]].to_crs(4326)
    out = polys.merge(table, on="township", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=4326)


def _area_layer(study: ComputedStudy, mask: np.ndarray, name: str, title: str,
                colour: str, minutes: float) -> GisLayer | None:
    lang = study.study.language
    area = drawn_area(study, mask)
    if area.empty:
        return None
    pop = float(study.demand["population"].to_numpy(dtype=float)[mask].sum())
    frame = gpd.GeoDataFrame({"minutes": [minutes], "population": [pop]},
                             geometry=area.geometry.to_numpy(), crs=4326)
    return GisLayer(name, frame, title, _described(title, lang),
                    [("", styles.area_fill_style(colour, title, _cols(frame), lang))])


def _boundary(study: ComputedStudy) -> GisLayer:
    lang = study.study.language
    area = study.area.to_crs(4326)
    return GisLayer("area", area, i18n.text("boundary_layer", lang),
                    _described(i18n.text("gis_area_about", lang), lang),
                    [("", styles.area_style(_cols(area), lang))])


def _facilities(fac: gpd.GeoDataFrame, name: str, title: str, lang: str) -> GisLayer:
    fac = fac.to_crs(4326)
    return GisLayer(name, fac, title, _described(i18n.text("gis_facilities_about", lang), lang),
                    [("", styles.facilities_style([str(t) for t in fac["type"]], _cols(fac),
                                                  lang))])


def siting_layers(run: SitingRun) -> list[GisLayer]:
    """Return the layers of a siting or designation answer (see module docs)."""
    study, std = run.study, run.standard
    lang = study.study.language
    t = i18n.text
    mins = f"{run.minutes:g}"
    label = _label(std, lang)
    table = run.table
    chosen = gpd.GeoDataFrame(table.copy(), geometry=gpd.points_from_xy(table["lon"],
                                                                         table["lat"]),
                              crs=4326)
    towns = _towns(study, siting_by_township(run))

    def share_style(filled: bool) -> qml.Style:
        return styles.townships_style("share_after", "status_after", float(std.target_share),
                                      _cols(towns), lang, filled=filled)

    fac = study.facilities
    layers = [
        GisLayer("chosen_sites", chosen, t("gis_chosen", lang),
                 _described(f"{t('gis_chosen', lang)}：{label}", lang),
                 [("", styles.points_style(styles.RANK_COLOUR, _cols(chosen), lang,
                                           "'#' || \"rank\" || ' ' || \"name\"", 4.2))]),
        GisLayer("townships", towns, t("gis_before_after", lang),
                 _described(f"{t('gis_before_after', lang)}：{label}", lang),
                 [(t("gis_outline_style", lang, label=label), share_style(False)),
                  (label, share_style(True))]),
    ]
    before, after = run.covered(chosen=False), run.covered()
    for mask, name, key, colour in (
            (before, "within_today", "gis_within_today", styles.AREA_COLOURS["today"]),
            (after & ~before, "newly_within", "gis_newly_within",
             styles.AREA_COLOURS["gained"])):
        layer = _area_layer(study, mask, name, t(key, lang, minutes=mins), colour, run.minutes)
        if layer is not None:
            layers.append(layer)
    layers.append(_facilities(fac[fac["type"].isin(std.facility_types)], "facilities",
                              t("existing_facilities", lang, label=label), lang))
    cands = run.candidates.to_crs(4326)
    layers += [GisLayer("candidates", cands, t("gis_candidates", lang),
                        _described(t("candidates", lang, n=len(cands)), lang),
                        [("", styles.points_style(styles.CANDIDATE_COLOUR, _cols(cands), lang,
                                                  size=1.2))]),
               _boundary(study)]
    return layers


def _drawn(layers: list[GisLayer]) -> list[GisLayer]:
    """Return the layers with rows.

    A standard without existing facilities (siting where it is not applicable), or a model that
    chose no site, leaves no empty layer behind.
    """
    return [la for la in layers if len(la.frame)]


def write_siting_gpkg(run: SitingRun, path: Path) -> None:
    """Write ``siting.gpkg`` or ``designation.gpkg`` of a siting or designation answer."""
    write_gpkg(path, _drawn(siting_layers(run)),
               _about(run.study, [*run.notes, *run.study.assumptions]))


def _changes(comp: Comparison, lang: str) -> GisLayer | None:
    ch = comp.applied.changes
    if ch.empty:
        return None
    lon = ch["lon_after"].where(np.isfinite(ch["lon_after"].astype(float)), ch["lon_before"])
    lat = ch["lat_after"].where(np.isfinite(ch["lat_after"].astype(float)), ch["lat_before"])
    frame = gpd.GeoDataFrame(shown_changes(ch, lang), geometry=gpd.points_from_xy(lon, lat),
                             crs=4326)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    title = i18n.text("gis_changes", lang)
    return GisLayer("changes", frame, title, _described(title, lang),
                    [("", styles.changes_style(list(dict.fromkeys(frame["action"].astype(str))),
                                               _cols(frame), lang))])


def comparison_layers(comp: Comparison) -> list[GisLayer]:
    """Return the layers of a comparison (see module docs)."""
    study = comp.study
    lang = study.study.language
    t = i18n.text
    layers: list[GisLayer] = []
    for std in study.standards:
        b, a = comp.minutes_before.get(std.name), comp.minutes_after.get(std.name)
        if b is None or a is None:
            continue
        label = _label(std, lang)
        towns = _towns(study, comparison_rows(comp, std.name))
        cols = _cols(towns)
        title = t("gis_change", lang, label=label)
        layers.append(GisLayer(
            f"townships_{std.name}", towns, title, _described(title, lang),
            [(t("share_change", lang), styles.change_style("covered_share_change", cols, lang)),
             (t("status_after", lang), styles.townships_style(
                 "covered_share_after", "status_after", float(std.target_share), cols,
                 lang))]))
        mins = float(std.minutes)
        for mask, key, colour in (((a <= mins) & (b > mins), "gained",
                                   styles.AREA_COLOURS["gained"]),
                                  ((b <= mins) & (a > mins), "lost",
                                   styles.AREA_COLOURS["lost"])):
            layer = _area_layer(study, mask, f"{key}_{std.name}",
                                t(f"gis_{key}", lang, label=label), colour, mins)
            if layer is not None:
                layers.append(layer)
    layers.append(_facilities(comp.applied.facilities, "facilities_after",
                              t("gis_facilities_after", lang), lang))
    if (changes := _changes(comp, lang)) is not None:
        layers.append(changes)
    if comp.applied.roads is not None and len(comp.applied.roads):
        roads = comp.applied.roads.to_crs(4326)
        title = t("new_roads", lang)
        layers.append(GisLayer("new_roads", roads, title, _described(title, lang),
                               [("", styles.roads_style(_cols(roads), lang))]))
    if comp.closed_roads is not None and len(comp.closed_roads):
        title = t("closed_roads", lang)
        layers.append(GisLayer("closed_roads", named_roads(comp.closed_roads, lang), title,
                               _described(title, lang),
                               [("", styles.closed_roads_style(_cols(comp.closed_roads),
                                                               lang))]))
    if comp.hazard is not None and len(comp.hazard):
        title = t("hazard_layer", lang)
        said = "; ".join(str(n) for n in comp.hazard["note"] if str(n))
        extent = comp.hazard.assign(rule=hazard_rules(comp.hazard, lang))  # study's language
        layers.append(GisLayer("hazard_extent", extent, title,
                               _described(f"{title}: {said}" if said else title, lang),
                               [("", styles.hazard_style(_cols(extent), lang))]))
    layers.append(_boundary(study))
    return layers


def write_comparison_gpkg(comp: Comparison, path: Path) -> None:
    """Write ``comparison.gpkg`` of a scenario comparison."""
    write_gpkg(path, _drawn(comparison_layers(comp)), _about(comp.study, comp.notes))
