"""Township tables of siting, designation and comparison answers, for their maps and workbooks.

:func:`siting_by_township` sums the demand points' population within the threshold of the
existing facilities (before) and of those plus the chosen sites (after) by township, with
the whole study area as a last row. :func:`comparison_rows` gives one standard's rows of a
comparison table with the target and the pass/fail after the scenario. Column names are
English codes; :data:`SITING_COLUMNS` and :data:`COMPARISON_COLUMNS` give each its label key
(:mod:`geo.outputs.i18n`) and kind (``int``, ``share``, ``min``, ``bool``, ``text``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.measures.aggregate import meets
from geo.outputs import i18n

if TYPE_CHECKING:
    from geo.coverage.kinds import Scope
    from geo.planning.compare import Comparison
    from geo.planning.sites import SitingRun
    from geo.study.run import ComputedStudy

__all__ = [
    "COMPARISON_COLUMNS", "SITING_COLUMNS", "area_name", "comparison_rows", "drawn_area",
    "named_roads", "shown_changes", "siting_by_township",
]

#: (column, label key, kind) of :func:`siting_by_township`
SITING_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("township", "township", "text"),
    ("population", "population", "int"),
    ("covered_before", "covered_before", "int"),
    ("covered_after", "covered_after", "int"),
    ("newly_covered", "newly_covered", "int"),
    ("share_before", "share_before", "share"),
    ("share_after", "share_after", "share"),
    ("target_share", "target", "share"),
    ("meets_target", "status_after", "bool"),
)
#: (column, label key, kind) of :func:`comparison_rows`
COMPARISON_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("township", "township", "text"),
    ("population", "population", "int"),
    ("covered_population_before", "covered_before", "int"),
    ("covered_population_after", "covered_after", "int"),
    ("covered_population_change", "covered_change", "int"),
    ("covered_share_before", "share_before", "share"),
    ("covered_share_after", "share_after", "share"),
    ("covered_share_change", "share_change", "share"),
    ("median_minutes_before", "median_before", "min"),
    ("median_minutes_after", "median_after", "min"),
    ("median_minutes_change", "median_change", "min"),
    ("target_share", "target", "share"),
    ("meets_target", "status_after", "bool"),
)


def named_roads(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return ``frame`` with its ``road`` (and ``change``) column as ``lang`` says them.

    A piece without name or ref ("unnamed trunk", as :func:`geo.network.closures.road_label`
    writes it) reads "未命名道路（OSM 等级 trunk）" in Chinese
    (:func:`geo.outputs.i18n.road_label`): every people-facing output of road pieces
    (report, workbook, GeoPackage, map) goes through here; the CSVs keep the English
    codes, as their columns do. A scenario's closed roads are "封闭" or "减速" ("closed",
    "slowed").
    """
    out = frame.copy()
    if "road" in out.columns:
        out["road"] = [i18n.road_label(x, lang) for x in out["road"]]
    if "change" in out.columns:  # a scenario's closed roads: closed or slowed
        words = {c: i18n.text(f"road_{c}", lang) for c in ("closed", "slowed")}
        out["change"] = [words.get(str(c), c) for c in out["change"]]
    return out


def shown_changes(changes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return a scenario's change table with each ``detail`` said in ``lang``.

    The people-facing outputs of a comparison (report, workbook, GeoPackage, map) read
    "迁移 1,200 米", "封闭：未命名道路（OSM 等级 trunk），17.8 公里（机动车）" in a Chinese study
    (:func:`geo.outputs.i18n.change_detail`), and what a road action names (its ``id``)
    "luzhai_flood.geojson 范围内的道路" (:func:`geo.outputs.i18n.road_change_id`); the CSV
    keeps the English words.
    """
    roads = changes["action"].isin(["close_road", "slow_road"])
    return changes.assign(
        detail=[i18n.change_detail(str(a), str(d), lang) for a, d in
                zip(changes["action"], changes["detail"], strict=True)],
        id=[i18n.road_change_id(str(x), lang) if r else x for x, r in
            zip(changes["id"], roads, strict=True)])


def area_name(area: pd.DataFrame) -> str:
    """Return the study area's name (its ``name`` column), "study area" without one."""
    if "name" in area.columns and len(area) and isinstance(area["name"].iloc[0], str):
        return str(area["name"].iloc[0])
    return "study area"


def siting_by_township(run: SitingRun) -> pd.DataFrame:
    """Tabulate the population within the run's threshold before and after the chosen sites.

    The last row (``township`` = the study area's name, ``is_total`` True) is the whole
    area. ``meets_target`` compares the share after with the standard's target, where the
    plan sets one for the minutes asked (the standard's own minutes); else it and
    ``target_share`` are empty.
    """
    dem = run.study.demand
    pop = dem["population"].to_numpy(dtype=float)
    before, after = run.covered(chosen=False), run.covered()
    frame = pd.DataFrame({
        "township": dem["township"].astype(str).to_numpy(),
        "population": pop,
        "covered_before": np.where(before, pop, 0.0),
        "covered_after": np.where(after, pop, 0.0),
    })
    order = [str(t) for t in run.study.townships["township"]]
    by = frame.groupby("township", sort=False)[["population", "covered_before",
                                                "covered_after"]].sum()
    extra = [t for t in by.index if t not in order]  # demand outside every polygon: kept
    by = by.reindex(order + extra).fillna(0.0)
    scope = run.study.scopes.get(run.standard.name)
    off = [scope is not None and not scope.applies(t) for t in by.index]
    # townships outside the standard's kinds: their people shown, nothing counted (not
    # applicable, never 0 %); the whole area counts only the others (geo.coverage.kinds)
    total = by[~np.array(off, dtype=bool)].sum().rename(area_name(run.study.area))
    by.loc[np.array(off, dtype=bool), ["covered_before", "covered_after"]] = np.nan
    out = pd.concat([by, total.to_frame().T]).rename_axis("township").reset_index()
    out["newly_covered"] = out["covered_after"] - out["covered_before"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_before"] = out["covered_before"] / out["population"]
        out["share_after"] = out["covered_after"] / out["population"]
    target = float(run.standard.target_share)
    if abs(float(run.minutes) - float(run.standard.minutes)) > 1e-9:
        target = float("nan")  # the plan sets no target for the minutes asked
    out["target_share"] = target
    out["meets_target"] = [None if np.isnan(target) else meets(float(s), target)
                           for s in out["share_after"]]
    out["is_total"] = [False] * (len(out) - 1) + [True]
    out["meets_target"] = _scoped(out, scope, run.study.study.language)
    return out[[c for c, _, _ in SITING_COLUMNS] + ["is_total"]]


def _scoped(rows: pd.DataFrame, scope: Scope | None, lang: str) -> list[bool | str | None]:
    """Return ``meets_target`` with "不适用" for townships outside the standard's kinds.

    Those rows have no pass/fail (:mod:`geo.coverage.kinds`): the status says so, as the
    study's own tables do (:func:`geo.outputs.report.scoped_rows`), never "–" or a failure.
    """
    na = i18n.text("not_applicable", lang).split(" / ")[0]
    return [na if scope is not None and not total and not scope.applies(str(town)) else m
            for town, total, m in zip(rows["township"], rows["is_total"], rows["meets_target"],
                                      strict=True)]


def comparison_rows(comp: Comparison, key: str) -> pd.DataFrame:
    """Return one standard's rows of ``comp.table``.

    They are the townships, then the whole area (``is_total``), with the standard's target and
    whether the share *after* meets it (the table's ``meets_target_after``, from the unrounded
    share).
    """
    rows = comp.table[comp.table["standard"].astype(str) == key].copy()
    whole = area_name(comp.study.area)
    rows["is_total"] = rows["township"].astype(str) == whole
    rows = pd.concat([rows[~rows["is_total"]], rows[rows["is_total"]]])
    rows["meets_target"] = [None if pd.isna(v) else bool(v) for v in rows["meets_target_after"]]
    rows["meets_target"] = _scoped(rows, comp.study.scopes.get(key), comp.study.study.language)
    return rows.reset_index(drop=True)


def drawn_area(result: ComputedStudy, mask: npt.NDArray[np.bool_]) -> gpd.GeoDataFrame:
    """Return the demand points of ``mask`` as one drawn area.

    Such areas are the maps' and GeoPackages' newly covered and lost areas: their grid cells (grid
    demand) or 300 m squares round them, dissolved and simplified by about 30 m; no row when
    ``mask`` is empty.
    """
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
