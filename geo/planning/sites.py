"""Siting and designation on a computed study: candidates, coverage structure, model, tables.

:func:`site` answers "where should the next P facilities go?" for one standard;
:func:`designate` answers "which k existing facilities should take on a role?" (e.g.
which township health centres become ambulance bases). Both start from a
:class:`~geo.study.run.ComputedStudy` (its networks, demand and minutes), build the sparse
coverage structure with :func:`geo.routing.travel.reach_matrix`, keep the existing
eligible facilities fixed, and solve with :mod:`geo.siting`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from geo import settings
from geo._files import lexists
from geo._types import FloatArray
from geo.coverage.population import group_column
from geo.coverage.standards import Standard
from geo.coverage.townships import assign_to_polygons
from geo.errors import Arg, Hint, Key, SitingError
from geo.options import closest
from geo.planning import candidates as cands
from geo.readers.facility_types import load_types
from geo.routing.travel import reach_matrix
from geo.siting.alternatives import equal_swaps
from geo.siting.models import (
    METHODS,
    Coverage,
    SitingProblem,
    SitingResult,
    lscp,
    mclp,
    pmedian,
)
from geo.study import inputs
from geo.study.run import ComputedStudy

__all__ = ["MODELS", "DesignationRun", "SitingRun", "designate", "group_weights", "site",
           "site_cutoff", "site_reach"]


MODELS = ("mclp", "lscp", "pmedian")


@dataclass
class SitingRun:
    """A solved siting or designation question and what it was asked on."""

    study: ComputedStudy
    standard: Standard
    minutes: float
    candidates: gpd.GeoDataFrame
    problem: SitingProblem
    result: SitingResult
    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def covered(self, chosen: bool = True) -> npt.NDArray[np.bool_]:
        """Return demand points within the threshold: of existing facilities (+ chosen sites).

        Only points the standard applies to (its township kinds, :mod:`geo.coverage.kinds`).
        """
        out = self.problem.base_covered.copy()
        if chosen and len(self.result.chosen):
            hit = self.problem.cover[self.result.chosen].indices
            out[hit] = True
        scope = self.study.scopes.get(self.standard.name)
        if scope is not None:
            out &= scope.mask(self.study.demand["township"].to_numpy(dtype=object))
        return out


@dataclass
class DesignationRun(SitingRun):
    """A designation, with population within each reported threshold before and after."""

    summary: pd.DataFrame = field(default_factory=pd.DataFrame)


def _metric(gdf: gpd.GeoDataFrame, crs: object) -> FloatArray:
    g = gdf.geometry.to_crs(crs)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()])


def build_problem(
    result: ComputedStudy, std: Standard, sites: gpd.GeoDataFrame, *, minutes: float,
    cutoff_minutes: float | None = None, existing: bool = True,
    existing_s: FloatArray | None = None, weights: FloatArray | None = None,
    reach: sp.csr_matrix | None = None, shared: Coverage | None = None,
) -> SitingProblem:
    """Return the coverage structure of ``sites`` over the study's demand for one standard.

    The reach matrix is built by the routing engine, in the standard's mode and
    direction, to ``cutoff_minutes`` (default ``minutes``); existing eligible
    facilities give ``existing_s`` (their times as the study measured them), unless
    ``existing_s`` is given: seconds per demand point to the facilities kept fixed (the
    workbench's present state: existing and already placed sites). ``weights``: people per
    demand point to count (default the whole population; a population group's people,
    :func:`group_weights`). ``reach``: the matrix of :func:`site_reach` for these sites and
    cutoff, made earlier (the workbench keeps one per standard); ``shared``: its
    :func:`geo.siting.models.coverage` at the standard's threshold, made earlier too.
    """
    if reach is None:
        reach = site_reach(result, std, sites, float(cutoff_minutes or minutes))
    col = f"minutes_{std.name}"
    if existing_s is not None:
        existing_s = np.asarray(existing_s, dtype=float)
    elif existing and col in result.demand.columns:
        existing_s = result.demand[col].to_numpy(dtype=float) * 60.0
    people = (result.demand["population"].to_numpy(dtype=float) if weights is None
              else np.asarray(weights, dtype=float))
    if std.name in result.scopes:  # only the townships of its kinds count (geo.coverage.kinds)
        inside = result.scopes[std.name].mask(result.demand["township"].to_numpy(dtype=object))
        people = np.where(inside, people, 0.0)
        if existing_s is not None:
            existing_s = np.where(inside, existing_s, np.inf)
    return SitingProblem(reach, people, threshold_s=60.0 * minutes, existing_s=existing_s,
                         shared=shared)


def group_weights(result: ComputedStudy, group: str, asked_by: str) -> FloatArray:
    """People per demand point of a population group (``[population] groups``)."""
    names = list(result.study.population.groups.values())
    if group not in names:
        have = (f"its groups are {', '.join(names)}" if names else "it has none: name the "
                "census's age columns in ")
        raise SitingError(Arg(asked_by, "group", group), f": not a population group of this "
                          f"study{closest(group, names)}; {have}",
                          *([] if names else [Key("population", "groups")]))
    return result.demand[group_column(group)].to_numpy(dtype=float)


def site_reach(result: ComputedStudy, std: Standard, sites: gpd.GeoDataFrame,
               cutoff_minutes: float) -> sp.csr_matrix:
    """Seconds from ``sites`` to the study's demand points within ``cutoff_minutes``.

    In the standard's mode and direction (a sparse candidate x demand matrix).
    """
    return reach_matrix(
        result.networks[std.mode], result.snap(sites, std.mode), result.demand_snap(std.mode),
        access_speed_kmh=result.study.access_kmh(std.mode),
        max_seconds=60.0 * float(cutoff_minutes), direction=std.direction,
    )


def _township_of(result: ComputedStudy, sites: gpd.GeoDataFrame) -> list[str]:
    """Return the township of each site, by the rule that puts every place in a township."""
    names, _ = assign_to_polygons(sites, result.townships, result.networks["drive"].crs)
    return [str(n) for n in names]


def _table(run_like: tuple[ComputedStudy, gpd.GeoDataFrame, SitingResult]) -> pd.DataFrame:
    result, sites, res = run_like
    chosen = sites.iloc[res.chosen]
    return pd.DataFrame({
        "rank": np.arange(1, len(chosen) + 1),
        "id": chosen["id"].to_numpy(),
        "name": chosen["name"].to_numpy(),
        "lon": np.round(chosen.geometry.x.to_numpy(), 6),
        "lat": np.round(chosen.geometry.y.to_numpy(), 6),
        "township": _township_of(result, chosen) if len(chosen) else [],
        "newly_covered_population": np.round(res.newly_covered, 1),
        "cumulative_covered_share": np.round(res.covered_share, 4),
    })


def make_candidates(
    result: ComputedStudy, source: str, *, spacing_m: float = settings.CANDIDATE_SPACING_M,
    max_road_m: float | None = None, types: Sequence[str] | None = None,
    keep: Sequence[str] = (), asked_by: str = "site",
) -> gpd.GeoDataFrame:
    """Return candidates for a study: ``grid``, ``nodes``, ``seats``, ``facilities`` or a file path.

    ``asked_by``: the public function whose ``candidates`` parameter gave ``source``
    (named in errors).
    """
    net = result.networks["drive"]
    if source == "grid":
        c = cands.grid_candidates(result.area, spacing_m, result.demand)
    elif source == "nodes":
        c = cands.node_candidates(net, spacing_m)
    elif source == "seats":
        if result.study.townships.seats is None:
            raise SitingError(Arg(asked_by, "candidates", source), ": needs ",
                              Key("townships", "seats"), " in the study file")
        c = cands.seat_candidates(inputs.seats(result.study), name_col="township")
    elif source == "facilities":
        c = cands.facility_candidates(result.facilities, types)
    elif Path(source).suffix:
        if not lexists(source):  # a folder, a pipe: the reader's input_file says what
            raise SitingError(Arg(asked_by, "candidates", source), ": no such file: give one "
                              f"of {', '.join(cands.SOURCES)} or the path of a point file")
        c = cands.file_candidates(source, keep=keep)
    else:
        raise SitingError(Arg(asked_by, "candidates", source), ": not a source of candidates"
                          f"{closest(source, cands.SOURCES)}: give one of "
                          f"{', '.join(cands.SOURCES)} or the path of a point file")
    return cands.filter_candidates(c, area=result.area, net=net, max_road_m=max_road_m)


def site(
    result: ComputedStudy, *, standard: str, p: int = 3, model: str = "mclp",
    candidates: str = "grid", spacing_m: float = settings.CANDIDATE_SPACING_M,
    max_road_m: float | None = None, minutes: float | None = None,
    target_share: float | None = None, method: str = "exact",
    time_limit_s: float = settings.SOLVER_TIME_LIMIT_S, capacity_col: str | None = None,
    people_per_unit: float = 1.0, existing_s: FloatArray | None = None,
    group: str | None = None,
    sites: gpd.GeoDataFrame | None = None, reach: sp.csr_matrix | None = None,
    shared: Coverage | None = None,
) -> SitingRun:
    """Find where ``p`` new facilities for ``standard`` should go (see module docs).

    ``model``: ``mclp`` (p sites, most population newly within the threshold),
    ``lscp`` (fewest sites reaching ``target_share``, default the standard's target;
    ``p`` is ignored) or ``pmedian`` (p sites, least population-weighted time; pairs
    beyond twice the threshold count as twice the threshold). ``capacity_col``: a column
    of a candidate file (e.g. beds) times ``people_per_unit`` caps the population each
    new site serves (MCLP only). ``existing_s``: seconds per demand point to the
    facilities kept fixed, instead of the study's (see :func:`build_problem`). ``group``:
    weigh demand by a population group's people (``[population] groups``, e.g.
    ``elderly_65``: where should 2 clinics go to reach the most elderly), every count of
    people in the answer then being the group's; a standard serving one group
    (``population_group``) weighs by that group unless ``group`` is given. ``sites`` and
    ``reach``: candidates (of
    ``candidates``) and their reach matrix (:func:`site_reach` to the model's cutoff) made
    earlier, reused as they are; ``shared``: that matrix's cover at the standard's
    threshold (:func:`geo.siting.models.coverage`), made earlier too.

    Examples
    --------
    Two new primary-care sites for the embedded Luzhai study, from a grid of candidates:

    >>> import geo
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> run = geo.site(computed, standard="primary_care_30min", p=2)
    >>> len(run.table), list(run.table.columns[:3])
    (2, ['rank', 'id', 'name'])
    >>> bool(run.table["newly_covered_population"].is_monotonic_decreasing)
    True
    """
    _check_result(result, "site")
    _check_site(model=model, p=p, target_share=target_share, method=method,
                time_limit_s=time_limit_s, spacing_m=spacing_m, max_road_m=max_road_m,
                people_per_unit=people_per_unit)
    if capacity_col and model != "mclp":
        raise SitingError(Arg("site", "capacity_col", capacity_col), ": capacities apply to "
                          "the mclp model only, not ", Arg("site", "model", model))
    std = result.standard(standard, "site")
    _check_scope(result, std, "site")
    mins = _minutes(minutes, std, "site")
    target = std.target_share if target_share is None else target_share
    if sites is None:
        sites = make_candidates(result, candidates, spacing_m=spacing_m,
                                max_road_m=max_road_m,
                                keep=[capacity_col] if capacity_col else [])
    cutoff = site_cutoff(model, mins)
    if group is None and std.population_group:  # a standard serving one group counts it
        group = std.population_group
    weights = None if group is None else group_weights(result, group, "site")
    problem = build_problem(result, std, sites, minutes=mins, cutoff_minutes=cutoff,
                            existing_s=existing_s, weights=weights, reach=reach,
                            shared=shared)
    notes = [f"{len(sites)} candidate sites from '{candidates}'"]
    if group is not None:
        column = {n: c for c, n in result.study.population.groups.items()}[group]
        notes.append(f"demand weighted by the population group {group} (column {column!r}): "
                     "every count of people here is that group's people")
    if capacity_col:
        if capacity_col not in sites.columns:
            raise SitingError(Arg("site", "capacity_col", capacity_col), ": capacities come "
                              "from a column of a candidate file (", Arg("site", "candidates",
                                                                         Hint("PATH")),
                              f"), not from {candidates!r} candidates")
        cap = pd.to_numeric(sites[capacity_col], errors="coerce").to_numpy(float)
        if not np.isfinite(cap).all() or (cap < 0).any():
            raise SitingError(Arg("site", "capacity_col", capacity_col), ": the column must "
                              "hold a non-negative number for every candidate")
        problem = SitingProblem(problem.reach, problem.weights, problem.threshold_s,
                                problem.existing_s, cap * people_per_unit)
        notes.append(f"capacity: {capacity_col} x {people_per_unit:g} people per site")
    if model == "mclp":
        res = mclp(problem, p, method=method, time_limit_s=time_limit_s)
    elif model == "lscp":
        res = lscp(problem, target, time_limit_s=time_limit_s)
    else:
        res = pmedian(problem, p, penalty_s=60.0 * cutoff, method=method,
                      time_limit_s=time_limit_s)
    notes += res.notes
    notes += _applicable_note(result, std)
    if model in ("mclp", "lscp") and not capacity_col:
        floor = target * problem.total if model == "lscp" else None
        notes += _tie_note(result, problem, res, floor)
    return SitingRun(result, std, mins, sites, problem, res, _table((result, sites, res)),
                     notes)


def site_cutoff(model: str, minutes: float) -> float:
    """Minutes the reach matrix of ``model`` spans.

    The threshold, twice it for p-median (pairs beyond count as twice the threshold).
    """
    return 2 * minutes if model == "pmedian" else minutes


def _applicable_note(result: ComputedStudy, std: Standard) -> list[str]:
    """Say what siting means on a standard the run calls not applicable (none exists yet).

    For a standard limited to township kinds: which townships count (the others' people
    are left out of every count).
    """
    scope = ([f"{result.scopes[std.name].statement()}: siting counts the people of those "
              "townships only"] if std.name in result.scopes else [])
    if std.name not in result.travel.notes:
        return scope
    return [*scope, f"{std.name} is not applicable in this study (no facility of type "
            f"{', '.join(std.facility_types)}): no existing facility is kept, so these are the "
            "first such sites and every covered person is newly covered"]


def _check_scope(result: ComputedStudy, std: Standard, func: str) -> None:
    """Stop siting for a standard that applies to no township of the study (nobody to count)."""
    scope = result.scopes.get(std.name)
    if scope is not None and not scope.townships:
        raise SitingError(Arg(func, "standard", std.name), f": {scope.none_note}: nobody "
                          "counts for it here; choose another standard, or set its "
                          "township_kinds to kinds the study has (", Key("standards",
                                                                       "overrides"), ")")


def _tie_note(result: ComputedStudy, problem: SitingProblem, res: SitingResult,
              floor: float | None) -> list[str]:
    """Tell whether the chosen set is one of several equal answers (one-swap measure)."""
    if len(res.chosen) == 0:
        return []
    covered = res.base_covered + float(res.newly_covered.sum())
    tol = settings.SITING_TIE_PEOPLE
    swaps = equal_swaps(problem, res.chosen, covered - tol if floor is None else floor)
    how = (f"cover as many people (within {tol:g})" if floor is None
           else "still reach the target")
    if swaps.sum() == 0:
        return [f"no single swap of a chosen site for another candidate would {how}: the "
                "answer is unique up to one-site changes"]
    even = (" (population spread evenly: candidates covering equal areas tie)"
            if result.study.population.method == "even" else "")
    return [f"the chosen set is one of several equal answers{even}: "
            f"{int(swaps.sum())} swaps of one chosen site for another candidate would {how} "
            f"({int((swaps > 0).sum())} of the {len(res.chosen)} sites have such alternatives; "
            "per site: " + ", ".join(str(int(n)) for n in swaps) + ")"]


def _check_site(*, model: str, p: int, target_share: float | None, method: str,
                time_limit_s: float, spacing_m: float, max_road_m: float | None,
                people_per_unit: float) -> None:
    """Check the arguments of :func:`site` that need no study, before any work."""
    if model not in MODELS:
        raise SitingError(Arg("site", "model", model), f": not a model{closest(model, MODELS)}: "
                          f"use one of {', '.join(MODELS)}")
    if method not in METHODS:
        raise SitingError(Arg("site", "method", method), f": use one of {', '.join(METHODS)}")
    _whole(p, "site", "p")
    if target_share is not None and not 0 < target_share <= 1:
        raise SitingError(Arg("site", "target_share", target_share), ": give a share above 0 "
                          "and at most 1 (0.95 for 95 %)")
    for name, value in (("time_limit_s", time_limit_s), ("spacing_m", spacing_m),
                        ("people_per_unit", people_per_unit)):
        _above_zero(value, "site", name)
    if max_road_m is not None and not (np.isfinite(max_road_m) and max_road_m >= 0):
        raise SitingError(Arg("site", "max_road_m", max_road_m), ": give metres, 0 or more "
                          "(None: no limit)")


def _check_result(result: object, func: str) -> None:
    if not isinstance(result, ComputedStudy):
        raise SitingError(Arg(func, "result", Hint(type(result).__name__)), ": give the "
                          "computed study of geo.run_study or geo.load_computed")


def _above_zero(value: float, func: str, name: str) -> None:
    if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
        raise SitingError(Arg(func, name, value), ": give a number above 0")


def _whole(value: int, func: str, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SitingError(Arg(func, name, value), ": give a whole number of 1 or more")


def _minutes(minutes: float | None, std: Standard, func: str) -> float:
    """Return the threshold: ``minutes`` (above 0), else the standard's."""
    if minutes is None:
        return float(std.minutes)
    _above_zero(minutes, func, "minutes")  # 0 must not fall back to the standard's threshold
    return float(minutes)


def _types(result: ComputedStudy, from_types: Sequence[str]) -> None:
    """Check that the study's facilities have every type of :func:`designate`'s ``from_types``."""
    have = sorted(set(result.facilities["type"]))
    for t in from_types:
        if t in have:
            continue
        code = load_types().lookup(str(t))
        if code is None:
            what = f"{t!r} is not a facility type{closest(str(t), load_types().codes())}"
        elif code != t:
            what = f"{t!r} is a name of the type {code!r}: give the code"
        else:
            what = f"no facility of the study is of type {t!r}"
        raise SitingError(Arg("designate", "from_types", list(from_types)),
                          f": {what}; the study's types are {', '.join(have)}")


def _role_standard(result: ComputedStudy, role: str, standard: str | None) -> Standard:
    if standard:
        return result.standard(standard, "designate")
    for s in result.standards:
        if role in s.facility_types:
            return s
    if load_types().lookup(str(role)) is None:
        raise SitingError(Arg("designate", "role", role), ": not a facility type"
                          f"{closest(str(role), load_types().codes())}")
    raise SitingError(Arg("designate", "role", role), ": no standard of this study counts "
                      "facilities of this type: name one with ", Arg("designate", "standard"),
                      ", or add the type to a standard's facility_types")


def designate(
    result: ComputedStudy, *, from_types: Sequence[str], role: str, k: int = 3,
    minutes: float | None = None, standard: str | None = None,
    time_limit_s: float = settings.SOLVER_TIME_LIMIT_S,
) -> DesignationRun:
    """Choose the ``k`` facilities of ``from_types`` that should take on ``role``.

    The role's standard (the first that counts ``role`` facilities, or ``standard``)
    gives the mode, direction and the facilities already serving (kept fixed). The
    choice maximises the population newly within ``minutes`` (default the standard's)
    of a role facility; the summary reports both that threshold and the standard's.

    Examples
    --------
    Which three township health centres of Luzhai should become ambulance bases?

    >>> import geo
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> run = geo.designate(computed, from_types=["township_health_center"],
    ...                     role="ems_station", k=3)
    >>> run.standard.name, len(run.table), set(run.table["type"])
    ('emergency_1h', 3, {'township_health_center'})
    """
    _check_result(result, "designate")
    if isinstance(from_types, str):
        raise SitingError(Arg("designate", "from_types", from_types), ": give a list of "
                          f"facility types, e.g. from_types=[{from_types!r}]")
    if not from_types:
        raise SitingError(Arg("designate", "from_types", list(from_types)), ": give at least "
                          "one facility type to choose from")
    _whole(k, "designate", "k")
    _above_zero(time_limit_s, "designate", "time_limit_s")
    _types(result, from_types)
    std = _role_standard(result, role, standard)
    _check_scope(result, std, "designate")
    mins = _minutes(minutes, std, "designate")
    fac = result.facilities
    pool = fac[fac["type"].isin(list(from_types)) & ~fac["type"].isin(std.facility_types)]
    if pool.empty:
        raise SitingError(Arg("designate", "from_types", list(from_types)), ": every "
                          f"facility of these types already counts for the standard {std.name} "
                          f"({', '.join(std.facility_types)}): choose from other types; the "
                          f"study's types are {', '.join(sorted(set(fac['type'])))}")
    sites = cands.facility_candidates(pool)
    cutoff = max(mins, std.minutes)
    problem = build_problem(result, std, sites, minutes=mins, cutoff_minutes=cutoff)
    res = mclp(problem, k, time_limit_s=time_limit_s)
    table = _table((result, sites, res))
    table.insert(3, "type", sites["type"].to_numpy()[res.chosen])
    rows = []
    for m in sorted({mins, std.minutes}):
        sub = SitingProblem(problem.reach, problem.weights, 60.0 * m,
                            result.demand[f"minutes_{std.name}"].to_numpy(float) * 60.0
                            if f"minutes_{std.name}" in result.demand else None)
        rows.append(_summary_row(sub, res.chosen, m))
    notes = [f"candidates: {len(sites)} facilities of types {list(from_types)}; existing "
             f"{std.name} facilities ({', '.join(std.facility_types)}) kept as bases"]
    notes += res.notes + _applicable_note(result, std) + _tie_note(result, problem, res, None)
    return DesignationRun(result, std, mins, sites, problem, res, table, notes,
                         pd.DataFrame(rows))


def _summary_row(problem: SitingProblem, chosen: npt.NDArray[np.int64],
                 minutes: float) -> dict[str, float]:
    w = problem.weights
    before = problem.base_covered
    after = before.copy()
    if len(chosen):
        after[problem.cover[chosen].indices] = True
    total = float(w.sum())
    return {
        "minutes": minutes, "population": round(total, 1),
        "covered_before": round(float(w[before].sum()), 1),
        "covered_after": round(float(w[after].sum()), 1),
        "newly_covered": round(float(w[after & ~before].sum()), 1),
        "share_before": round(float(w[before].sum()) / total, 4),
        "share_after": round(float(w[after].sum()) / total, 4),
    }
