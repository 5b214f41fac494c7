"""A study up to its travel-time searches: read, build, assign, check.

:class:`Preparation` does every stage of a run before the searches, each once and on
demand: the standards, the study area, the facilities, the road networks, the demand
grid, the township areas (official polygons, or derived from the seats), the population,
and the input checks of :mod:`geo.study.checks` at the point where their data is ready.
:func:`geo.study.run.run_study` takes every stage (errors propagate as raised) and stops on
the checks that stop; :func:`check_study` (``geo check``) runs the stages one by one,
turns an error into a failed line of the checklist and skips the stages that need it,
so one call reports every independent problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import readers
from geo._types import FloatArray
from geo.coverage import kinds, townships
from geo.coverage.kinds import Scope
from geo.coverage.standards import Standard, StandardSet, check_groups
from geo.errors import CheckError, CoordinateError, GeoError, StandardError, StudyError
from geo.measures import MeasureSet, MeasureSpec, ResponseSpec
from geo.network.graph import Network
from geo.readers import census
from geo.readers.names import match_names
from geo.routing.travel import Snap, nearest_facility, snap_points
from geo.study import checks, inputs, resources
from geo.study.checks import Check
from geo.study.schema import Study, load_study

__all__ = ["CheckReport", "Preparation", "TownshipAreas", "check_study", "is_grid", "snap_with"]


Progress = Callable[[str], None]


def snap_with(study: Study, net: Network, gdf: gpd.GeoDataFrame) -> Snap:
    """Return points joined to ``net`` with the study's ``snap_exclude`` rule."""
    g = gdf.geometry.to_crs(net.crs)
    with inputs.from_study_file():
        return snap_points(net, np.column_stack([g.x.to_numpy(), g.y.to_numpy()]),
                           exclude_classes=study.access.snap_exclude)


def is_grid(demand: gpd.GeoDataFrame, grid: gpd.GeoDataFrame) -> bool:
    """Tell whether the demand points are the grid's own points, in the same order."""
    return len(demand) == len(grid) and bool(
        (demand["demand_id"].to_numpy() == grid["demand_id"].to_numpy()).all()
    )


@dataclass
class TownshipAreas:
    """Township polygons in table order, the township of each demand point.

    It also holds the note saying how the areas were made ('' for official polygons).
    """

    polygons: gpd.GeoDataFrame
    names: npt.NDArray[np.object_]
    note: str
    seats: gpd.GeoDataFrame | None = None


class Preparation:
    """The stages of a study before routing, each computed once (see module docs).

    ``checks`` collects the :class:`~geo.study.checks.Check` lines of the stages computed so far.
    """

    def __init__(self, study: Study, progress: Progress | None = None) -> None:
        self.study = study
        self.progress = progress
        self.times: dict[str, float] = {}
        self.checks: list[Check] = []
        self.snaps: dict[str, Snap] = {}

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        if self.progress and name not in self.times:
            self.progress(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t0

    # ---------------------------------------------------------------- inputs
    @cached_property
    def standard_set(self) -> StandardSet:
        """The standards file the study reads (its standards, measures and response specs)."""
        with self._stage("read inputs"):
            return inputs.standards(self.study)

    @cached_property
    def standards(self) -> list[Standard]:
        """The standards the study uses (``[standards] use``), in order; adds the check line."""
        stds = self.standard_set.select(self.study.standards.use)
        try:  # a standard serving a group the study lacks (population_group)
            check_groups(stds, self.study.population.groups.values())
        except StandardError as e:
            raise StandardError(f"standards file {self.study.standards_file}: {e}") from None
        self.checks.append(Check("standards", "standards", "ok", f"{len(stds)} standards from "
                                 f"{self.study.standards_file.name}: "
                                 + ", ".join(f"{s.name} ({s.minutes:g} min, {s.mode})"
                                             for s in stds)))
        return stds

    @cached_property
    def measure_specs(self) -> tuple[MeasureSet, list[MeasureSpec], list[ResponseSpec]]:
        """The standards file's measure and response specs, and those the study uses."""
        with self._stage("read inputs"):
            mset, used, responses = inputs.measures(self.study)
        groups = self.study.population.groups.values()
        try:  # a measure or response spec whose demand is a group the study lacks
            check_groups(used, groups, "measures.")
            check_groups(responses, groups, "response.")
        except StandardError as e:
            raise StandardError(f"standards file {self.study.standards_file}: {e}") from None
        return mset, used, responses

    def measure_checks(self) -> None:
        """Check the supply and dispatch columns the study's measures read.

        They are checked on the facilities each counts (a bad value stops, naming the facilities and
        the column).
        """
        _, used, responses = self.measure_specs
        if not used and not responses:
            return
        what = resources.supply_check(self.facilities, used, responses)
        self.checks.append(Check("measures", "resource measures", "ok", what))

    @cached_property
    def area(self) -> gpd.GeoDataFrame:
        """The study area, read and checked."""
        with self._stage("read inputs"):
            area = inputs.area(self.study)
        self.checks.append(Check("area", "study area", "ok", _read_line(area, "polygon(s)")))
        return area

    @cached_property
    def facilities(self) -> gpd.GeoDataFrame:
        """The facilities, read and checked against the standards' facility types."""
        with self._stage("read inputs"):
            fac = inputs.facilities(self.study, self.area, self.standard_set)
        self.checks += _facility_checks(fac, self.standards,
                                        self.study.standards.always_applicable)
        return fac

    @cached_property
    def networks(self) -> dict[str, Network]:
        """The road network of every mode the standards use (and drive), with the check line."""
        cfg = self.study
        with self._stage("build road networks"):
            nets = inputs.networks(cfg, {s.mode for s in self.standards} | {"drive"})
        rep = nets["drive"].report
        self.checks.append(Check("roads", "road network", "ok",
                                 f"{cfg.roads.path.name}: drive network of {rep.nodes:,} nodes, "
                                 f"{rep.km:,.0f} km ({', '.join(sorted(nets))})"))
        return nets

    @cached_property
    def grid(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """Grid cells, their points, and the demand points.

        For a population table the population is not yet joined.
        """
        with self._stage("demand grid"):
            return inputs.demand(self.study, self.area)

    @cached_property
    def township_areas(self) -> TownshipAreas:
        """The township polygons and each demand point's township."""
        with self._stage("township areas"):
            towns = _townships(self.study, *self.grid, self.networks)
        polys = towns.polygons
        how = (towns.note.split(":")[0] if towns.note
               else _read_line(polys, "official polygons"))
        self.checks.append(Check("townships", "townships", "ok",
                                 f"{len(polys)} townships: {', '.join(polys['township'])} "
                                 f"({how})"))
        if towns.seats is not None and self.study.townships.boundaries is not None:
            seats = match_names(list(polys["township"]), list(towns.seats["township"]),
                                what="the seats file", name_map=self.study.townships.name_map)
            self.checks.append(checks.township_names(
                ("the township polygons", list(polys["township"])),
                {"the seats file": (seats.names, "warn")}))
        return towns

    @cached_property
    def scopes(self) -> dict[str, Scope]:
        """The townships each standard limited to township kinds applies to; adds the check line.

        A township whose kind cannot be read by the standard's rule stops the run
        (:func:`geo.coverage.kinds.scopes`).
        """
        found = kinds.scopes(self.standards, self.township_areas.polygons)
        for scope in found.values():
            self.checks.append(Check("township_kinds", f"standard {scope.standard}",
                                     "ok" if scope.townships else "note",
                                     scope.statement().removeprefix(f"{scope.standard}: ")))
        return found

    @cached_property
    def demand(self) -> gpd.GeoDataFrame:
        """Demand points with ``population`` and ``township``."""
        demand = self.grid[2].copy()
        towns = self.township_areas
        demand["township"] = towns.names
        p = self.study.population
        if p.method == "table":
            with self._stage("township areas"):
                demand = _join_table(self.study, demand, towns.polygons, self.checks)
        total = float(demand["population"].sum())
        self.checks.append(Check("population", "population", "ok",
                                 f"{total:,.0f} people at {len(demand):,} demand points: "
                                 f"{demand.attrs.get('population_method', p.method)}",
                                 {"people": total}))
        return demand

    # ---------------------------------------------------------------- checks
    def township_checks(self) -> None:
        """Check the gaps and overlaps of official township polygons.

        People are unknown when the population could not be joined: ``geo check`` still measures
        the areas.
        """
        if self.study.townships.boundaries is None:
            return
        points = self.__dict__.get("demand")  # computed: geo check runs it first
        if points is None:
            points = self.grid[2]
            people = np.full(len(points), np.nan)
        else:
            people = points["population"].to_numpy(dtype=float)
        self.checks += checks.township_layer(self.area, self.township_areas.polygons, points,
                                             people, self.networks["drive"].crs)

    def road_checks(self) -> None:
        """Tell how far people live from a usable road (the drive network's access legs)."""
        if "drive" not in self.snaps:
            self.snaps["drive"] = snap_with(self.study, self.networks["drive"], self.demand)
        self.checks += checks.road_coverage(self.snaps["drive"].access_m,
                                            self.demand["population"].to_numpy(dtype=float))

    def crs_checks(self) -> None:
        """Check whether facilities and seats fit the roads better in another of the three systems.

        The systems are WGS84, GCJ-02 and BD-09.
        """
        net = self.networks["drive"]

        def metres(lon: FloatArray, lat: FloatArray) -> FloatArray:
            g = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(net.crs)
            xy = np.column_stack([g.x.to_numpy(), g.y.to_numpy()])
            return snap_points(net, xy, exclude_classes=()).access_m

        found = [checks.crs_plausibility("crs_facilities", "facilities", self.facilities,
                                         metres, "[facilities] crs")]
        seats = self.township_areas.seats
        if seats is not None:
            found.append(checks.crs_plausibility("crs_seats", "township seats", seats, metres,
                                                 "[townships] seat_crs"))
        self.checks += [c for c in found if c is not None]

    def run_checks(self) -> list[Check]:
        """Return every input check, with the study's accepted stops marked (run mode)."""
        self.township_checks()
        self.road_checks()
        self.crs_checks()
        self.checks = checks.accept(self.checks, self.study.checks.accept)
        return self.checks


# --------------------------------------------------------------------------- stages


def _read_line(frame: pd.DataFrame, noun: str) -> str:
    """Return 'file.shp: 9 polygons, coordinates EPSG:4525, text gb18030' from a reader's attrs."""
    a = frame.attrs
    src = Path(str(a.get("source", "?"))).name
    enc = a.get("encoding")
    return (f"{src}: {a.get('features', len(frame))} {noun}, coordinates "
            f"{a.get('input_crs', 'wgs84')}" + (f", text {enc}" if enc else ""))


def _facility_checks(fac: gpd.GeoDataFrame, stds: list[Standard],
                     always: tuple[str, ...] = ()) -> list[Check]:
    by_type = ", ".join(f"{k} {v}" for k, v in fac["type"].value_counts().items())
    out = [Check("facilities", "facilities", "ok", f"{_read_line(fac, 'facilities')}; "
                 f"by type: {by_type}", {"facilities": float(len(fac))})]
    for key, how, option in (("dropped_outside", "left out", "drop"),
                             ("kept_outside", "kept", "keep")):
        ids = list(fac.attrs.get(key, []))
        if ids:
            out.append(Check("facilities_outside", "facilities outside the area", "warn",
                             f"{len(ids)} facilities more than 1 km outside the study area "
                             f"{how} ([facilities] outside = \"{option}\"): {', '.join(ids)}",
                             {"facilities": float(len(ids))}))
    types = set(fac["type"])
    for s in stds:
        if not types & set(s.facility_types):
            what = ("counted as 0 % covered ([standards] always_applicable)" if s.name in always
                    else "not applicable")
            out.append(Check("standard_applicable", f"standard {s.name}", "note",
                             f"{what}: no facility of type {', '.join(s.facility_types)} in "
                             "this study"))
    return out


def _codes(frame: pd.DataFrame, code_col: str | None) -> dict[str, str] | None:
    """Map township names to 12-digit codes from ``code_col``, or None when the file has none.

    Without ``code_col``, a column of codes is found by its values. None comes when the file has no
    codes.
    """
    col = code_col or census.find_code_column(frame, exclude=["township"])
    if col is None:
        return None
    if col not in frame.columns:
        raise StudyError(f"the township file has no column {col!r} of 12-digit codes: fix "
                         "[townships] code_col / seat_code_col, or remove it")
    return {str(n): census.township_code(c, f" of township {n!r}") or ""
            for n, c in zip(frame["township"], frame[col], strict=True)}


def _ordered(polys: gpd.GeoDataFrame, codes: dict[str, str] | None) -> gpd.GeoDataFrame:
    """Put the townships in the order every table lists them.

    That is by 12-digit code when the township file has codes (统计用区划代码), else the file's
    order; ``code`` column kept.
    """
    names = [str(n) for n in polys["township"]]
    order = census.township_order(names, None if codes is None else [codes.get(n) for n in names])
    out = polys.set_index("township").loc[order].reset_index()
    if codes is not None:
        out["code"] = [codes[n] for n in out["township"]]
    return out


def _townships(
    study: Study, cells: gpd.GeoDataFrame, grid: gpd.GeoDataFrame, points: gpd.GeoDataFrame,
    nets: dict[str, Network],
) -> TownshipAreas:
    """Make the township polygons (in table order) and the township of each demand point.

    All come from the one point-in-polygon rule (:func:`geo.coverage.townships.polygon_of_points`).
    """
    t = study.townships
    metric = nets["drive"].crs
    seats = inputs.seats(study) if t.seats is not None else None
    if t.boundaries is not None:
        read = inputs.township_polygons(study)
        townships.check_unique_names(read["township"], f"township file {t.boundaries}")
        polys = _ordered(read[["township", "geometry"]], _codes(read, t.code_col))
        polys.attrs = dict(read.attrs)
        names, _ = townships.assign_to_polygons(points, polys, metric)
        return TownshipAreas(polys, names, "", seats)
    assert seats is not None
    codes = _codes(seats, t.seat_code_col)
    if t.method == "voronoi":
        polys = _ordered(townships.voronoi_areas(seats, cells, metric), codes)
        _seats_without_area(seats, polys, cells, metric)
        names, _ = townships.assign_to_polygons(points, polys, metric)
        return TownshipAreas(polys, names, townships.APPROX_NOTE[t.method], seats)
    net = nets["drive"]
    _, idx = nearest_facility(net, snap_with(study, net, seats), snap_with(study, net, grid),
                              access_speed_kmh=study.access_kmh("drive"),
                              direction="to_facility")
    cell_names = seats["township"].to_numpy(dtype=object)[idx]
    polys = townships.dissolve_cells(cells, cell_names)
    _seats_without_area(seats, polys, cells, metric)
    polys = _ordered(polys, codes)
    if is_grid(points, grid):
        return TownshipAreas(polys, cell_names, townships.APPROX_NOTE[t.method], seats)
    names, _ = townships.assign_to_polygons(points, polys, metric)
    return TownshipAreas(polys, names, townships.APPROX_NOTE[t.method], seats)


def _seats_without_area(seats: gpd.GeoDataFrame, polys: gpd.GeoDataFrame,
                        cells: gpd.GeoDataFrame, metric: object) -> None:
    """Check that every seat gets part of the area.

    One that gets none is outside it or at the wrong place, and its township would vanish from every
    table.
    """
    got = {str(n) for n in polys["township"]}
    lost = seats[[str(n) not in got for n in seats["township"]]]
    if lost.empty:
        return
    area = cells.to_crs(metric).union_all()
    km = lost.geometry.to_crs(metric).distance(area) / 1000.0
    listed = ", ".join(f"{n!r} ({d:,.1f} km outside the study area)" if d > 0.001 else
                       f"{n!r} (inside, but every place reaches another seat first)"
                       for n, d in zip(lost["township"], km, strict=True))
    raise CoordinateError(
        f"township seats that get no part of the study area: {listed}; check their "
        "coordinates in the seats file, the columns read ([townships] seat_lon_col / "
        "seat_lat_col) and their system ([townships] seat_crs: gcj02 or bd09 for positions "
        "from AMap or Baidu)")


def _join_table(study: Study, demand: gpd.GeoDataFrame, polys: gpd.GeoDataFrame,
                found: list[Check]) -> gpd.GeoDataFrame:
    """Return the population table joined to the townships, after its names are checked."""
    p = study.population
    assert p.path is not None
    table = inputs.population_table(study)  # rows and total rows checked first
    if p.code_col is not None:
        return inputs.join_population_table(study, demand, polys)
    what = f"the population table {p.path.name}"
    given = table[p.table_key].tolist()
    match = match_names(list(polys["township"]), given, what=what,
                        name_map=study.townships.name_map)
    check = checks.township_names(
        ("the township polygons" if study.townships.boundaries is not None
         else "the township seats", list(polys["township"])), {what: (match.names, "stop")})
    found.append(check)
    if check.status == "stop":
        raise CheckError(f"{check.title}: {check.text}")
    # the table's names as the townships write them; how, stated in the outputs
    return inputs.join_population_table(study, demand, polys,
                                        dict(zip(given, match.names, strict=True)),
                                        match.notes)


# --------------------------------------------------------------------------- geo check


#: (stage, title, what it needs): the order ``geo check`` runs them in; a stage is the
#: :class:`Preparation` attribute of its name (but for :data:`_ATTRIBUTES`)
_STAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("standards", "standards", ()),
    ("area", "study area", ()),
    ("facilities", "facilities", ("standards", "area")),
    ("networks", "road network", ("standards",)),
    ("grid", "demand grid", ("area",)),
    ("townships", "townships", ("grid", "networks")),
    ("scopes", "township kinds", ("standards", "townships")),
    ("demand", "population", ("townships",)),
    ("township_checks", "township polygons", ("townships",)),
    ("road_checks", "road coverage", ("demand", "networks")),
    ("crs_checks", "coordinate systems", ("facilities", "townships")),
    ("measure_checks", "resource measures", ("facilities",)),
)

#: stages whose Preparation attribute has another name
_ATTRIBUTES = {"townships": "township_areas"}


@dataclass
class CheckReport:
    """What ``geo check`` found: the checklist, and the notes of reading the inputs."""

    study: Study
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def stops(self) -> list[Check]:
        """The checks that stop the run."""
        return [c for c in self.checks if c.stops]


def check_study(study: str | Path | Study, progress: Progress | None = None) -> CheckReport:
    """Return every input check of a study without the travel-time searches (``geo check``).

    A stage that raises a :class:`~geo.errors.GeoError` becomes a failed line; the stages
    that need it are listed as not checked.
    """
    cfg = study if isinstance(study, Study) else load_study(study)
    prep = Preparation(cfg, progress)
    failed: dict[str, str] = {}
    skipped: list[Check] = []
    for stage, title, needs in _STAGES:
        missing = [n for n in needs if n in failed]
        if missing:
            failed[stage] = f"needs {', '.join(missing)}"
            skipped.append(Check(stage, title, "note", f"not checked: it needs the "
                                 f"{', '.join(missing)} stage, which failed"))
            continue
        try:
            value = getattr(prep, _ATTRIBUTES.get(stage, stage))
            if callable(value):
                value()
        except CheckError as e:  # its check is on the list already
            failed[stage] = str(e)
        except GeoError as e:
            failed[stage] = str(e)
            prep.checks.append(Check(stage, title, "stop", str(e)))
    found = checks.accept(prep.checks + skipped, cfg.checks.accept)
    frames = [f for f in (prep.__dict__.get("area"), prep.__dict__.get("facilities"),
                          prep.__dict__.get("demand")) if f is not None]
    towns = prep.__dict__.get("township_areas")
    if towns is not None:
        frames.append(towns.polygons)
        if towns.seats is not None:
            frames.append(towns.seats)
    nets = prep.__dict__.get("networks") or {}
    notes = readers.input_notes(*frames) + [n for net in nets.values() for n in net.report.notes]
    return CheckReport(cfg, found, list(dict.fromkeys(notes)))
