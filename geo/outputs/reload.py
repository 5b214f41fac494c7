"""A computed study rebuilt from a run's ``results.gpkg``, without recomputing it.

:func:`load_computed` reads the layers a run wrote (facilities, townships, area, demand
with its per-standard minutes and nearest facility, coverage, summary, bands, gaps,
isochrones) and the study file the run names, checks that no input changed since
(SHA-256 of each file), and rebuilds only the road networks from the study's road
source (instant from a ``.npz`` network cache). Siting, designation and comparison then
start from it as from a fresh run.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.coverage import kinds, population
from geo.coverage.groups import GroupTables
from geo.coverage.kinds import Scope
from geo.coverage.population import group_column
from geo.coverage.standards import Standard
from geo.errors import Arg, StudyError, given_as
from geo.outputs.results import Results, read_gpkg, read_layer
from geo.study import inputs
from geo.study.resources import Resources
from geo.study.run import ComputedStudy, Minutes, input_fingerprint
from geo.study.schema import Study, load_study

__all__ = ["load_computed", "results_file"]

log = logging.getLogger(__name__)


def results_file(path: str | Path) -> Path:
    """Return ``results.gpkg`` of a run: the file itself, or inside a run's output folder."""
    p = Path(path)
    return p / "results.gpkg" if p.is_dir() else p


def _check_inputs(stored: dict[str, str], now: dict[str, str], gpkg: Path, study: Path) -> None:
    changed = sorted(role for role in set(stored) | set(now) if stored.get(role) != now.get(role))
    if changed:
        raise StudyError(
            f"{gpkg} was computed from other inputs than the study {study} names now "
            f"(changed: {', '.join(changed)}): re-run the study (geo run {study} --out DIR) "
            "or pass the study file instead of the results")


def _travel(demand: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, summary: pd.DataFrame,
            names: list[str]) -> Minutes:
    out = Minutes()
    index_of = pd.Series(fac.index.to_numpy(), index=fac["id"].astype(str).to_numpy())
    notes = dict(zip(summary["standard"].astype(str), summary["note"].astype(str), strict=True))
    for name in names:
        if notes.get(name):
            out.notes[name] = notes[name]
            continue
        out.minutes[name] = demand[f"minutes_{name}"].to_numpy(dtype=float)
        ids = demand[f"nearest_{name}"].astype(str)
        out.nearest[name] = np.where(ids.isin(index_of.index),
                                     index_of.reindex(ids).fillna(-1).to_numpy(), -1
                                     ).astype(np.int64)
    return out


def load_computed(path: str | Path) -> ComputedStudy:
    """Return the :class:`~geo.study.run.ComputedStudy` of an earlier run (see module docs).

    ``path`` is a ``results.gpkg`` or the output folder holding it.

    Raises
    ------
    geo.errors.InputFileError
        The file is missing or not a GeoPackage.
    geo.errors.StudyError
        It lacks what a reload needs (written by an older geo), names no study file, or
        an input changed since the run (the message says which and how to re-run).

    Examples
    --------
    >>> import geo, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "luzhai"
    >>> _ = geo.write_outputs(geo.run_study("analysis/luzhai.toml"), out, parts=["results.gpkg"])
    >>> again = geo.load_computed(out)
    >>> again.study.path == geo.load_study("analysis/luzhai.toml").path
    True
    """
    gpkg = results_file(path)
    with given_as({("read_gpkg", "path"): Arg("load_computed", "path")}):
        res = read_gpkg(gpkg)
    if not res.study_file or not res.inputs:
        raise StudyError(f"{gpkg} does not name its study file and inputs (written by an "
                         "older geo): re-run the study (geo run STUDY.toml --out DIR)")
    study = load_study(res.study_file)
    _check_inputs(res.inputs, input_fingerprint(study), gpkg, study.path)
    sset = inputs.standards(study)
    stds = sset.select(study.standards.use)
    fac = read_layer(gpkg, "facilities")
    demand = read_layer(gpkg, "demand")
    cells, _ = population.grid_cells(res.area, study.population.grid_spacing_m)
    nets = inputs.networks(study, {s.mode for s in stds} | {"drive"})
    coverage = res.coverage.drop(columns="label_zh", errors="ignore")
    summary = res.summary.drop(columns="label_zh", errors="ignore")
    log.info("reloaded %s (%d demand points) without recomputing", gpkg, len(demand))
    travel = _travel(demand, fac, summary, [s.name for s in stds])
    keep = [c for c in ("township", "code") if c in res.townships.columns]
    towns = res.townships[[*keep, "geometry"]]
    scopes = kinds.scopes(stds, towns)  # minutes outside them were stored empty (NaN)
    return ComputedStudy(
        study=study, standard_set=sset, standards=stds, area=res.area, facilities=fac,
        townships=towns, demand=demand, cells=cells, scopes=scopes,
        networks=nets, travel=travel,
        coverage=coverage, summary=summary, isochrones=res.extra["isochrones"],
        bands=res.bands, gaps=res.gaps, assumptions=res.assumptions, facts=res.facts,
        checks=res.checks, resources=_resources(res.resources, study, gpkg),
        groups=_groups(study, demand, stds, travel, res, pd.concat(
            [coverage, summary.rename(columns={"area": "township"})[list(coverage.columns)]],
            ignore_index=True), scopes),
    )


def _groups(study: Study, demand: gpd.GeoDataFrame, stds: list[Standard], travel: Minutes,
            res: Results, whole: pd.DataFrame, scopes: dict[str, Scope]) -> GroupTables:
    """Return the coverage and equity per group.

    From the demand layer's group columns (the same arithmetic as the run: nothing is routed).
    """
    names = list(study.population.groups.values())
    whole = whole.copy()
    whole["meets_target"] = pd.array([pd.NA if pd.isna(v) else bool(v)  # 1/0/NaN stored
                                      for v in whole["meets_target"]], dtype=object)
    missing = [n for n in names if group_column(n) not in demand.columns]
    if missing:
        raise StudyError(f"the demand layer holds no people of the groups {missing}, which "
                         f"the study {study.path} names: re-run the study "
                         f"(geo run {study.path} --out DIR)")
    return GroupTables.of(demand, {n: c for c, n in study.population.groups.items()},
                          travel.minutes, stds, travel.notes,
                          list(res.townships["township"]), str(res.area["name"].iloc[0]),
                          whole, scopes)


def _resources(found: Resources, study: Study, gpkg: Path) -> Resources:
    """Return the run's measures and response tables.

    A study that uses some the file lacks was written by an older geo (or the layers were removed):
    re-run it.
    """
    lacking = [n for n in study.measures.use if n not in found.measure_names]
    lacking += [n for n in study.response.use if n not in found.response_names]
    if lacking:
        raise StudyError(f"{gpkg} holds no results for {lacking}, which the study "
                         f"{study.path} uses: re-run the study (geo run {study.path} --out DIR)")
    return found
