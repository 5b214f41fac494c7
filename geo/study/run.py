"""A computed study: read, route and measure coverage once; write nothing.

:func:`run_study` returns a :class:`ComputedStudy` holding everything later steps start
from: the networks per mode, the demand points with population and township, the minutes
to the nearest eligible facility and which facility that is per standard, the coverage
tables, bands and gaps. Writing outputs is a separate step
(:func:`geo.outputs.write.write_outputs`); siting, designation, comparison and the
capacity measures take the computed study instead of recomputing it, and
:func:`geo.outputs.reload.load_computed` rebuilds one from a run's ``results.gpkg``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import readers, settings
from geo._types import FloatArray, IntArray
from geo.coverage import kinds, surfaces, townships
from geo.coverage.bands import coverage_gaps, travel_time_bands
from geo.coverage.groups import GroupTables, group_people
from geo.coverage.kinds import Scope
from geo.coverage.population import group_column
from geo.coverage.standards import DEFAULT_FILE, Standard, StandardSet, is_shipped
from geo.coverage.tables import COLUMNS, county_summary, coverage_table, covered_areas
from geo.coverage.tiers import nearest_peer
from geo.errors import Arg, Key, Part, StudyError, given_as
from geo.network.graph import Network
from geo.options import closest
from geo.routing.travel import Snap, nearest_facility
from geo.study import checks, inputs, resources
from geo.study.checks import Check
from geo.study.prepare import Preparation, is_grid, snap_with
from geo.study.resources import Resources
from geo.study.schema import Study, load_study

__all__ = ["ComputedStudy", "Minutes", "input_fingerprint", "run_study", "snap_with"]


@dataclass
class Minutes:
    """Travel minutes to the nearest eligible facility, per standard and demand point.

    ``nearest[std]`` holds the index label (in the facility frame) of that facility, -1
    where none is reachable; ``notes[std]`` says why a standard is not applicable.
    """

    minutes: dict[str, FloatArray] = field(default_factory=dict)
    nearest: dict[str, IntArray] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class ComputedStudy:
    """Everything one run of a study computed (see module docs).

    Examples
    --------
    >>> import geo
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> computed.standard("primary_care_30min").minutes
    30.0
    >>> minutes = computed.travel.minutes["primary_care_30min"]  # per demand point
    >>> len(minutes) == len(computed.demand)
    True
    """

    study: Study
    standard_set: StandardSet
    standards: list[Standard]
    area: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    networks: dict[str, Network]
    travel: Minutes
    coverage: pd.DataFrame
    summary: pd.DataFrame
    isochrones: gpd.GeoDataFrame
    bands: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    assumptions: list[str]
    facts: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    #: the input checks of the run (:mod:`geo.study.checks`), accepted stops marked
    checks: list[Check] = field(default_factory=list)
    #: resource ratios, access measures and emergency response (``[measures] use``,
    #: ``[response] use``): tables, facility workload, drawn areas, notes
    resources: Resources = field(default_factory=Resources)
    #: coverage and equity per population group (``[population] groups``); empty without
    groups: GroupTables = field(default_factory=GroupTables)
    #: the townships each standard limited to township kinds applies to
    #: (:mod:`geo.coverage.kinds`); a standard not named here applies to every township
    scopes: dict[str, Scope] = field(default_factory=dict)
    _demand_snaps: dict[str, Snap] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- lookups
    @property
    def area_name(self) -> str:
        """The study area's name."""
        return str(self.area["name"].iloc[0])

    @property
    def population(self) -> FloatArray:
        """People per demand point."""
        return self.demand["population"].to_numpy(dtype=float)

    @property
    def served(self) -> dict[str, FloatArray]:
        """People per demand point of the groups its standards serve (``population_group``).

        Group name -> people (with the whole population under
        :data:`geo.coverage.groups.ALL`): the ``groups`` of
        :func:`geo.coverage.tables.coverage_table`.
        """
        return group_people(self.demand, sorted({s.population_group for s in self.standards
                                                 if s.population_group}))

    @property
    def township_order(self) -> list[str]:
        """Townships in the order every table lists them."""
        return [str(t) for t in self.townships["township"]]

    def standard(self, name: str, asked_by: str | None = None) -> Standard:
        """Return a standard of this study by name; :class:`StudyError` names the ones it has.

        ``asked_by``: the public function whose ``standard`` parameter gave ``name``, named
        in the error (:class:`~geo.errors.Arg`).
        """
        for s in self.standards:
            if s.name == name:
                return s
        names = [s.name for s in self.standards]
        what: Part = (Arg(asked_by, "standard", name) if asked_by
                      else f"standard {name!r}")
        raise StudyError(what, f" is not a standard of this study{closest(name, names)}: it "
                         f"uses {', '.join(names)} (", Key("standards", "use"),
                         " in the study file)")

    # ---------------------------------------------------------------- routing
    def snap(self, places: gpd.GeoDataFrame, mode: str,
             networks: dict[str, Network] | None = None) -> Snap:
        """Return points joined to the ``mode`` network with the study's ``snap_exclude`` rule."""
        return snap_with(self.study, (networks or self.networks)[mode], places)

    def demand_snap(self, mode: str) -> Snap:
        """Return the demand points joined to the ``mode`` network (computed once)."""
        if mode not in self._demand_snaps:
            self._demand_snaps[mode] = self.snap(self.demand, mode)
        return self._demand_snaps[mode]

    def travel_to(self, facilities: gpd.GeoDataFrame,
                  networks: dict[str, Network] | None = None) -> Minutes:
        """Measure minutes from the demand points to ``facilities`` per standard, as the run does.

        The search runs on ``networks`` (default the study's).
        """
        travel = _travel(self.study, self.standards, facilities, networks or self.networks,
                         self.demand, None if networks else self._demand_snaps)
        return _scoped(travel, self.scopes, self.demand["township"].to_numpy(dtype=object))

    def travel_from(self, places: gpd.GeoDataFrame) -> Minutes:
        """Measure minutes from any ``places`` to the study's facilities per standard.

        Places are e.g. the demand grid's points, where the demand is not the grid; minutes are
        measured as the run measures them.
        """
        travel = _travel(self.study, self.standards, self.facilities, self.networks, places)
        if not self.scopes:
            return travel
        labels, _ = townships.assign_to_polygons(places, self.townships,
                                                 self.networks["drive"].crs)
        return _scoped(travel, self.scopes, labels)

    def networks_with(self, extra_roads: gpd.GeoDataFrame) -> dict[str, Network]:
        """Return the study's networks rebuilt with ``extra_roads`` added (a scenario's roads)."""
        return inputs.networks(self.study, set(self.networks), extra_roads)


class _Clock:
    """Times named stages and reports each to ``progress`` as it starts."""

    def __init__(self, progress: Callable[[str], None] | None,
                 times: dict[str, float] | None = None) -> None:
        self.times: dict[str, float] = dict(times or {})
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = time.perf_counter() - t0


def _not_applicable(std: Standard) -> str:
    return (f"not applicable: no facility of type {', '.join(std.facility_types)} "
            "in this study")


def _travel(
    cfg: Study, stds: Sequence[Standard], fac: gpd.GeoDataFrame, nets: dict[str, Network],
    places: gpd.GeoDataFrame, cache: dict[str, Snap] | None = None,
) -> Minutes:
    """Return minutes to the nearest eligible facility per standard, and not-applicable notes."""
    out = Minutes()
    snaps: dict[str, Snap] = cache if cache is not None else {}
    for std in stds:
        eligible = fac[fac["type"].isin(std.facility_types)]
        if eligible.empty and std.name in cfg.standards.always_applicable:
            out.minutes[std.name] = np.full(len(places), np.inf)  # nothing within reach
            out.nearest[std.name] = np.full(len(places), -1, dtype=np.int64)
            continue
        if eligible.empty:
            out.notes[std.name] = _not_applicable(std)
            continue
        net = nets[std.mode]
        if std.mode not in snaps:
            snaps[std.mode] = snap_with(cfg, net, places)
        secs, idx = nearest_facility(
            net, snap_with(cfg, net, eligible), snaps[std.mode],
            access_speed_kmh=cfg.access_kmh(std.mode), direction=std.direction,
        )
        out.minutes[std.name] = secs / 60.0
        out.nearest[std.name] = np.where(idx >= 0, eligible.index.to_numpy()[idx], -1)
    return out


def _scoped(travel: Minutes, scopes: dict[str, Scope], labels: npt.ArrayLike) -> Minutes:
    """Return ``travel`` with NaN minutes where a standard does not apply (its township kinds).

    A standard that applies to no township of the study is not applicable (its note says
    which kinds the study has).
    """
    out = Minutes(dict(travel.minutes), dict(travel.nearest), dict(travel.notes))
    for name, scope in scopes.items():
        if name in out.notes:
            continue
        if not scope.townships:
            out.minutes.pop(name, None)
            out.nearest.pop(name, None)
            out.notes[name] = scope.none_note
    out.minutes = kinds.scoped(out.minutes, labels, scopes)
    return out


def _assumptions(study: Study, stds: Sequence[Standard], fac: gpd.GeoDataFrame,
                 demand: gpd.GeoDataFrame,
                 nets: dict[str, Network], town_note: str, read_notes: list[str],
                 found: list[Check], scopes: dict[str, Scope]) -> list[str]:
    out = []
    if town_note:
        out.append(town_note)
    out += [scopes[s.name].statement() for s in stds if s.name in scopes]
    out += read_notes  # conversions and choices made while reading the inputs
    out += checks.stated(found)  # warnings, and the stops the study accepts
    out.append(str(demand.attrs.get("population_method", "population as given")))
    columns = {n: c for c, n in study.population.groups.items()}
    for std in stds:
        if std.population_group:
            people = demand[group_column(std.population_group)].sum()
            out.append(f"{std.name}: its coverage and its target count the population group "
                       f"{std.population_group} ({columns.get(std.population_group, '')}, "
                       f"{people:,.0f} people), not the whole population (the standard's "
                       "population_group)")
    types = set(fac["type"])
    for std in stds:
        if std.name in study.standards.always_applicable and not types & set(
                std.facility_types):
            out.append(f"{std.name}: no facility of type {', '.join(std.facility_types)} in "
                       "this study: every place counted beyond reach (0 % covered), not 'not "
                       "applicable' ([standards] always_applicable)")
    quality = (fac["location_quality"].astype(str) if "location_quality" in fac.columns
               else pd.Series([], dtype=str))
    if quality.str.contains("approx", case=False).any():
        out.append("approximate facility positions (see location_quality)")
    if (assumed := int(quality.str.contains("assumed", case=False).sum())):
        out.append(f"{assumed} of {len(fac)} facilities are assumed where no facility list "
                   "exists (see location_quality)")
    for net in nets.values():
        out += [a for a in net.report.assumptions if a not in out]
    out.append(
        f"off-network access legs in straight line at {study.access_kmh('drive'):g} km/h "
        f"(drive) and {study.access_kmh('walk'):g} km/h (walk) join places to the road layer"
    )
    out.append(f"covered areas and travel-time bands drawn at the "
               f"{study.population.grid_spacing_m:g} m demand-grid resolution")
    if is_shipped(study.standards_file) and study.path.resolve().parent != DEFAULT_FILE.parent:
        out.append(
            f"standards and targets from the standards file geo ships ({DEFAULT_FILE.name}: "
            "the Luzhai County and Liuzhou City plans), not from this area's own plan: set "
            f"source and section in {study.standards_file.name} beside the study file to "
            "your plan (geo init writes that copy)")
    return out


def _facts(study: Study, fac: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
           nets: dict[str, Network], notes: dict[str, str]) -> list[str]:
    out = [
        f"study {study.name}: {study.path}",
        f"{len(fac)} facilities from {study.facilities.path.name} "
        f"({', '.join(f'{k} {v}' for k, v in fac['type'].value_counts().items())})",
        f"{len(demand):,} demand points, population {demand['population'].sum():,.0f}",
    ]
    for mode, net in nets.items():
        out += [f"{mode} network: {line}" for line in net.report.lines()]
    out += [f"{k}: {v}" for k, v in notes.items()]
    return out


def _long_legs(snaps: dict[str, Snap], pop: FloatArray) -> list[str]:
    """Return facts on demand points whose access leg exceeds :data:`settings.MAX_ACCESS_M`."""
    out = []
    for mode, snap in sorted(snaps.items()):
        far = snap.access_m > settings.MAX_ACCESS_M
        if far.any():
            out.append(f"{mode}: {int(far.sum()):,} demand points ({pop[far].sum():,.0f} "
                       f"people) are more than {settings.MAX_ACCESS_M / 1000:g} km in straight "
                       "line from the nearest usable road")
    return out


def run_study(study: str | Path | Study,
              progress: Callable[[str], None] | None = None) -> ComputedStudy:
    """Compute a study (a file path or a loaded :class:`~geo.study.schema.Study`); write nothing.

    ``progress`` is called with the name of each stage as it starts. The input checks of
    :mod:`geo.study.checks` run before the travel-time searches: any stop the study does not
    accept (``[checks] accept``) raises :class:`~geo.errors.CheckError` listing them all.

    Examples
    --------
    The embedded Luzhai County study (paths relative to the project's folder):

    >>> import geo
    >>> computed = geo.run_study("analysis/luzhai.toml")
    >>> sorted(computed.networks), len(computed.townships)
    (['drive', 'walk'], 9)
    >>> computed.summary[["standard", "minutes"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['emergency_1h', 60.0], ['primary_care_30min', 30.0],
     ['rescue_2h', 120.0], ['community_15min', 15.0]]
    """
    with given_as({("load_study", "path"): Arg("run_study", "study")}):
        cfg = study if isinstance(study, Study) else load_study(study)
    prep = Preparation(cfg, progress)
    stds, area, fac, nets = prep.standards, prep.area, prep.facilities, prep.networks
    cells, grid, _ = prep.grid
    towns = prep.township_areas
    polys, names, demand = towns.polygons, towns.names, prep.demand
    found = prep.run_checks()
    checks.raise_stops(found)
    prep.measure_checks()  # supply columns: a bad value stops before the searches
    found = prep.checks
    clock = _Clock(progress, prep.times)
    snaps = prep.snaps
    scopes = prep.scopes
    with clock.stage("travel times"):
        travel = _scoped(_travel(cfg, stds, fac, nets, demand, snaps), scopes, names)
        grid_minutes = (travel.minutes if is_grid(demand, grid) else _scoped(
            _travel(cfg, stds, fac, nets, grid), scopes,
            townships.assign_to_polygons(grid, polys, nets["drive"].crs)[0]).minutes)
    with clock.stage("coverage"):
        pop = demand["population"]
        served = group_people(demand, sorted({s.population_group for s in stds
                                              if s.population_group}))
        table = coverage_table(names, pop, travel.minutes, stds, travel.notes,
                               list(polys["township"]), scopes, groups=served)
        summary = county_summary(pop, travel.minutes, stds, travel.notes, table,
                                 str(area["name"].iloc[0]), groups=served)
        iso = covered_areas(cells, grid_minutes, stds, travel.notes)
    with clock.stage("population groups"):
        whole = pd.concat([table, summary.rename(columns={"area": "township"})[COLUMNS]],
                          ignore_index=True)  # the whole population's rows, as computed
        groups = GroupTables.of(demand, {n: c for c, n in cfg.population.groups.items()},
                                travel.minutes, stds, travel.notes, list(polys["township"]),
                                str(area["name"].iloc[0]), whole, scopes)
    for std in stds:
        if std.name in travel.minutes:
            demand[f"minutes_{std.name}"] = travel.minutes[std.name]
            demand[f"nearest_{std.name}"] = fac["id"].to_numpy()[travel.nearest[std.name]]
    with clock.stage("bands and gaps"):
        bands = travel_time_bands(cells, grid_minutes, stds)
        gaps = coverage_gaps(cells, grid_minutes, polys, demand, stds)
        read_attrs = dict(fac.attrs)  # what reading it did: a join drops attrs
        joined = snap_with(cfg, nets["drive"], fac)  # every facility: the measures' too
        fac = fac.join(nearest_peer(nets["drive"], fac, access_speed_kmh=cfg.access_kmh("drive"),
                                    exclude_classes=cfg.access.snap_exclude, snap=joined))
        fac.attrs.update(read_attrs)
    res = _resources(prep, cfg, fac, demand, grid, clock, {"drive": joined})
    facts = _facts(cfg, fac, demand, nets, travel.notes)
    facts += _long_legs(snaps, demand["population"].to_numpy(dtype=float))
    read_notes = readers.input_notes(area, prep.facilities, demand, polys, *(
        [towns.seats] if towns.seats is not None else []))
    read_notes += [n for n in nets["drive"].report.notes if n not in read_notes]
    return ComputedStudy(
        study=cfg, standard_set=prep.standard_set, standards=stds, area=area, facilities=fac,
        townships=polys, demand=demand, cells=cells, networks=nets, travel=travel,
        coverage=table, summary=summary, isochrones=iso, bands=bands, gaps=gaps,
        assumptions=_assumptions(cfg, stds, fac, demand, nets, towns.note, read_notes, found,
                                 scopes),
        facts=facts, timings=clock.times, checks=found, resources=res, groups=groups,
        scopes=scopes, _demand_snaps=snaps,
    )


def _resources(prep: Preparation, cfg: Study, fac: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
               grid: gpd.GeoDataFrame, clock: _Clock,
               facility_snaps: dict[str, Snap] | None = None) -> Resources:
    """Compute the study's measures and response specs (their own timed stages, after coverage).

    Their demand columns are added to ``demand``, with the notes on what was not computed.
    ``facility_snaps``: every facility already joined to the network of a mode, as
    :func:`snap_with` joins them (the peers of the facility table need the drive joins).
    """
    mset, used, responses = prep.measure_specs
    nets = prep.networks
    cells = prep.grid[0]
    inp = resources.Inputs(
        study=cfg, facilities=fac, demand=demand, polygons=prep.township_areas.polygons,
        area_name=str(prep.area["name"].iloc[0]), networks=nets, cells=cells,
        cell_of=surfaces.cell_index(demand, cells, is_grid(demand, grid)),
        snap=lambda places, mode: snap_with(cfg, nets[mode], places), demand_snaps=prep.snaps,
        facility_snaps=dict(facility_snaps or {}))
    res, columns = resources.compute_resources(inp, used, responses, clock.stage)
    for name, values in columns.items():
        demand[name] = values
    if used or responses or cfg.measures.stated_totals:
        res.notes = resources.enabling_data(cfg, mset, fac)
        res.notes += resources.stated_lines(cfg, mset, float(demand["population"].sum()))
    else:
        res.notes = [f"no [measures] use or [response] use in the study: resource ratios and "
                     f"emergency response not computed ({len(mset.measures)} measures and "
                     f"{len(mset.responses)} response specs in "
                     f"{cfg.standards_file.name})"]
    return res


def input_fingerprint(study: Study) -> dict[str, str]:
    """Return SHA-256 of the study file and of every input file it names, by role.

    Stored with a run's results; :func:`geo.outputs.reload.load_computed` refuses
    results whose inputs have changed since.
    """
    out = {}
    for role, path in study.input_files().items():
        h = hashlib.sha256()
        for part in _with_sidecars(Path(path)):
            with part.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        out[role] = h.hexdigest()
    return out


def _with_sidecars(path: Path) -> list[Path]:
    """Return a file and, for a Shapefile, the sidecars that hold its attributes and CRS."""
    if path.suffix.lower() != ".shp":
        return [path]
    return [path, *(q for ext in (".dbf", ".shx", ".prj", ".cpg")
                    if (q := path.with_suffix(ext)).is_file())]
