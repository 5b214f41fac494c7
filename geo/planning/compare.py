"""Before/after comparison of a scenario, township by township and standard by standard.

The computed study is the "before"; the scenario is applied to copies of its facilities
(and roads: the network is rebuilt when it adds any); travel times are measured again
on the same demand points and the same township areas (after). Township areas derived
from seats are kept from the "before" network, so the two columns compare like with like.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo._types import FloatArray
from geo.coverage.tables import DECIMALS, area_rows, coverage_table
from geo.errors import Arg, Hint, ScenarioError, given_as
from geo.network.graph import Network
from geo.numbers import round_half_up
from geo.planning.road_changes import change_roads, resnap_notes
from geo.planning.scenario import (
    Applied,
    Scenario,
    apply_scenario,
    find_scenario,
    load_scenario,
    with_type_codes,
)
from geo.study.run import ComputedStudy

__all__ = ["CHANGE_COLUMNS", "Comparison", "compare", "compare_scenario"]


_KEYS = ["township", "standard", "minutes", "population"]
_MEASURES = ["covered_population", "covered_share", "median_minutes"]
#: the comparison table: per township (then the whole area) and standard, each measure
#: before, after and the change, and whether the share met the target before and after
CHANGE_COLUMNS = (_KEYS + [f"{m}_{w}" for m in _MEASURES for w in ("before", "after", "change")]
                  + ["target_share", "meets_target_before", "meets_target_after"])


@dataclass
class Comparison:
    """A scenario compared with the study as it is."""

    study: ComputedStudy
    scenario: Scenario
    applied: Applied
    minutes_before: dict[str, FloatArray]
    minutes_after: dict[str, FloatArray]
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: the segments the scenario closes or slows (WGS84 lines: ``change``, ``road``,
    #: ``highway``, ``length_m``, ``mode``); None without road actions
    closed_roads: gpd.GeoDataFrame | None = None
    #: the hazard extents a :mod:`geo.planning.hazard` comparison closes the roads of (WGS84
    #: polygons: ``layer``, ``kind``, ``rule``, ``note``); None for other scenarios
    hazard: gpd.GeoDataFrame | None = None


def _merge(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Before and after side by side.

    Every row of either kept (an outer join, in the order of ``before``, then any row only ``after``
    has).
    """
    b = before[[*_KEYS, "target_share", *_MEASURES, "meets_target"]].assign(_order=range(
        len(before)))
    a = after[[*_KEYS, "target_share", *_MEASURES, "meets_target"]].assign(_later=range(
        len(after)))
    out = b.merge(a, on=_KEYS[:2], how="outer", suffixes=("_before", "_after"))
    for key in (*_KEYS[2:], "target_share"):  # the same on both sides where both have it
        out[key] = out[f"{key}_before"].fillna(out[f"{key}_after"])
    out = out.sort_values(["_order", "_later"], na_position="last", kind="stable")
    return _changes(out.reset_index(drop=True))


def _changes(table: pd.DataFrame) -> pd.DataFrame:
    out = table.copy()
    for m in _MEASURES:
        out[f"{m}_change"] = [round_half_up(v, DECIMALS[m])
                              for v in out[f"{m}_after"] - out[f"{m}_before"]]
    return out[CHANGE_COLUMNS]


def _applicability(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One note per standard that is not applicable before, after or both.

    Its rows stay in the table, empty on the side without an eligible facility (not applicable is
    not 0 %: the workbench shows the same).
    """
    notes = []
    for std in dict.fromkeys([*before, *after]):
        if std in before and std in after and before[std] == after[std]:
            notes.append(f"{std}: {before[std]} (before and after the scenario)")
        elif std in before and std in after:  # e.g. a facility added where no township applies
            notes.append(f"{std}: before the scenario {before[std]}; after it "
                         f"{after[std]}")
        elif std in before:
            notes.append(f"{std}: {before[std].replace('in this study', 'before the scenario')}"
                         ": the scenario makes it applicable (its 'before' columns are empty, "
                         "its 'after' columns count the people the new facilities cover)")
        else:
            notes.append(f"{std}: {after[std].replace('in this study', 'after the scenario')}"
                         ": not applicable after it (its 'after' columns are empty)")
    return notes


def _rows(res: ComputedStudy, minutes: dict[str, FloatArray], notes: dict[str, str],
          area: str) -> pd.DataFrame:
    """Return the coverage table of ``minutes`` with the whole area's row per standard last."""
    names = res.demand["township"].to_numpy(dtype=object)
    pop = res.demand["population"].to_numpy(dtype=float)
    order = list(res.townships["township"])
    served = res.served  # a standard's population_group counts that group
    return pd.concat([coverage_table(names, pop, minutes, res.standards, notes, order,
                                     res.scopes, groups=served),
                      area_rows(pop, minutes, res.standards, notes, area, groups=served)],
                     ignore_index=True)


def _segment_lines(net: Network, closed: npt.NDArray[np.bool_], slowed: npt.NDArray[np.bool_],
                   mode: str) -> gpd.GeoDataFrame:
    """Return the closed and slowed segments of ``net`` as WGS84 lines with their roads."""
    idx = np.flatnonzero(closed | slowed)
    nodes = net.to_gdf()[0]
    x, y = nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float)
    u, v = net.seg_u[idx], net.seg_v[idx]
    lines = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]),
                                          np.column_stack([x[v], y[v]])], axis=1))
    road = [""] * len(idx)
    if net.roads is not None and net.seg_road is not None:
        rows = net.seg_road[idx]
        frame = net.roads
        road = [" ".join(t for t in (str(frame["ref"].iloc[r]), str(frame["name"].iloc[r]))
                         if t and t != "nan") if r >= 0 else "" for r in rows]
    return gpd.GeoDataFrame(
        {"change": np.where(closed[idx], "closed", "slowed"), "road": road,
         "highway": net.seg_class[idx].astype(str),
         "length_m": np.round(net.seg_length_m[idx].astype(float), 1), "mode": mode},
        geometry=lines, crs=4326)


def _change_roads(result: ComputedStudy, applied: Applied,
                  nets: dict[str, Network] | None) -> tuple[dict[str, Network],
                                                             gpd.GeoDataFrame]:
    """Return the networks with the scenario's closures and slowdowns.

    The change table says what each did, the notes which places join another road and what the
    closures cut off; also the changed segments of the main mode (drive where the study has
    it) as lines.
    """
    changed = change_roads(applied.road_changes, nets or result.networks)
    rows = np.flatnonzero(applied.changes["action"].isin(["close_road", "slow_road"]))
    applied.changes.loc[applied.changes.index[rows], "detail"] = changed.details
    fac = applied.facilities
    names = [f"{n} ({i})" for n, i in zip(fac["name"], fac["id"], strict=True)]
    pop = result.demand["population"].to_numpy(dtype=float)
    for mode in sorted({s.mode for s in result.standards}):
        base, after = (nets or result.networks)[mode], changed.networks[mode]
        closed = changed.closed[mode]
        if not closed.any():
            continue
        applied.notes += [f"{mode}: {line}" for line in resnap_notes(
            after, closed, "facilities", result.snap(applied.facilities, mode, {mode: base}),
            result.snap(applied.facilities, mode, {mode: after}), names)]
        applied.notes += [f"{mode}: {line}" for line in resnap_notes(
            after, closed, "demand points", result.snap(result.demand, mode, {mode: base}),
            result.snap(result.demand, mode, {mode: after}),
            result.demand["demand_id"].astype(str).tolist(), pop)]
    mode = "drive" if "drive" in changed.networks else sorted(changed.networks)[0]
    base = (nets or result.networks)[mode]
    after = changed.networks[mode]
    slowed = ~changed.closed[mode] & ((after.seg_fw_s != base.seg_fw_s)
                                      | (after.seg_bw_s != base.seg_bw_s))
    lines = _segment_lines(base, changed.closed[mode], slowed, mode)
    return changed.networks, lines


def compare(result: ComputedStudy, scenario: str | os.PathLike[str]) -> Comparison:
    """Compare the computed study before and after ``scenario``, per township and standard.

    ``scenario`` is a name under ``scenarios/`` beside the study file, or a path.

    Examples
    --------
    The health commission's 2025 projects (``analysis/scenarios/planned_2025.toml``):

    >>> import geo
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> comparison = geo.compare(computed, "planned_2025")
    >>> comparison.scenario.name
    'planned_2025'
    >>> list(comparison.table.columns[:2])
    ['township', 'standard']
    """
    if not isinstance(result, ComputedStudy):
        raise ScenarioError(Arg("compare", "result", Hint(type(result).__name__)), ": give the "
                            "computed study of geo.run_study or geo.load_computed")
    if not isinstance(scenario, str | os.PathLike):
        raise ScenarioError(Arg("compare", "scenario", Hint(type(scenario).__name__)),
                            ": give a scenario name or the path of a scenario file")
    with given_as({("load_scenario", "path"): Arg("compare", "scenario")}):
        scen = load_scenario(find_scenario(os.fspath(scenario), result.study.path))
    return compare_scenario(result, scen)


def compare_scenario(result: ComputedStudy, scen: Scenario) -> Comparison:
    """Compare like :func:`compare` for a scenario already read.

    Or made in code: a hazard's closures, :mod:`geo.planning.hazard`.
    """
    scen = with_type_codes(scen, result.study.facilities.type_map)
    applied = apply_scenario(scen, result.facilities, result.standard_set, result.area,
                             result.study.facilities.outside)
    nets = None
    if applied.roads is not None:
        nets = result.networks_with(applied.roads)
        applied.notes.append(f"network rebuilt with {len(applied.roads)} new road line(s)")
    lines = None
    if applied.road_changes:
        nets, lines = _change_roads(result, applied, nets)
    before, notes_b = result.travel.minutes, result.travel.notes
    after_t = result.travel_to(applied.facilities, nets)
    after, notes_a = after_t.minutes, after_t.notes
    county = str(result.area["name"].iloc[0])
    table = _merge(_rows(result, before, notes_b, county), _rows(result, after, notes_a, county))
    notes = applied.notes + _applicability(notes_b, notes_a)
    notes.append(f"township areas, demand points and population are the same before and "
                 f"after; the rows named {county} are the whole study area")
    return Comparison(result, scen, applied, before, after, table, notes + result.assumptions,
                      closed_roads=lines)
