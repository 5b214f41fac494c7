"""Before/after comparison of a scenario, township by township and standard by standard.

The computed study is the "before"; the scenario is applied to copies of its facilities
(and roads: the network is rebuilt when it adds any); travel times are measured again
on the same demand points and the same township areas (after). Township areas derived
from seats are kept from the "before" network, so the two columns compare like with like.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo._types import FloatArray
from geo.coverage.tables import coverage_table, weighted_quantile
from geo.numbers import round_half_up, shown_share
from geo.planning.scenario import Applied, Scenario, apply_scenario, find_scenario, load_scenario
from geo.study.run import ComputedStudy

__all__ = ["CHANGE_COLUMNS", "Comparison", "compare"]

log = logging.getLogger(__name__)

_KEYS = ["township", "standard", "minutes", "population"]
_MEASURES = ["covered_population", "covered_share", "median_minutes"]
CHANGE_COLUMNS = _KEYS + [f"{m}_{w}" for m in _MEASURES for w in ("before", "after", "change")]


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


def _merge(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before[_KEYS + _MEASURES]
    a = after[_KEYS[:2] + _MEASURES]
    out = b.merge(a, on=_KEYS[:2], suffixes=("_before", "_after"))
    for m in _MEASURES:
        nd = 4 if m == "covered_share" else 1
        out[f"{m}_change"] = [round_half_up(v, nd) for v in
                              out[f"{m}_after"] - out[f"{m}_before"]]
    return out[CHANGE_COLUMNS]


def _county_rows(res: ComputedStudy, minutes: dict[str, FloatArray], name: str) -> pd.DataFrame:
    pop = res.demand["population"].to_numpy(dtype=float)
    rows = []
    for std in res.standards:
        m = minutes.get(std.name)
        if m is None:
            continue
        cov = float(pop[m <= std.minutes].sum())
        share = cov / pop.sum() if pop.sum() > 0 else np.nan
        rows.append({"township": name, "standard": std.name, "minutes": std.minutes,
                     "population": round_half_up(float(pop.sum()), 1),
                     "covered_population": round_half_up(cov, 1),
                     "covered_share": shown_share(share, std.target_share, 2),
                     "median_minutes": round_half_up(weighted_quantile(m, pop, 0.5), 1)})
    return pd.DataFrame(rows)


def compare(result: ComputedStudy, scenario: str) -> Comparison:
    """The computed study before and after ``scenario`` (a name under ``scenarios/``
    beside the study file, or a path), tabulated per township and standard."""
    scen = load_scenario(find_scenario(scenario, result.study.path))
    applied = apply_scenario(scen, result.facilities, result.standard_set, result.area,
                             result.study.facilities.outside)
    stds = result.standards
    nets = None
    if applied.roads is not None:
        nets = result.networks_with(applied.roads)
        applied.notes.append(f"network rebuilt with {len(applied.roads)} new road line(s)")
    before, notes_b = result.travel.minutes, result.travel.notes
    after_t = result.travel_to(applied.facilities, nets)
    after, notes_a = after_t.minutes, after_t.notes
    names = result.demand["township"].to_numpy(dtype=object)
    pop = result.demand["population"]
    order = list(result.townships["township"])
    t_b = coverage_table(names, pop, before, stds, notes_b, order)
    t_a = coverage_table(names, pop, after, stds, notes_a, order)
    county = str(result.area["name"].iloc[0])
    t_b = pd.concat([t_b, _county_rows(result, before, county)], ignore_index=True)
    t_a = pd.concat([t_a, _county_rows(result, after, county)], ignore_index=True)
    table = _merge(t_b, t_a)
    notes = applied.notes + [f"{k}: {v}" for k, v in {**notes_b, **notes_a}.items()]
    notes.append(f"township areas, demand points and population are the same before and "
                 f"after; the rows named {county} are the whole study area")
    return Comparison(result, scen, applied, before, after, table, notes + result.assumptions)
