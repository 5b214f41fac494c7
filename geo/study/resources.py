"""Resource ratios, access measures and emergency response on a study.

:mod:`geo.measures` runs on the study's frames for ``[measures] use`` and ``[response] use``.

Per measure (a ``[measures.NAME]`` spec of the standards file): the facilities of its
types, their supply (a facility column, checked, or the stated fallback of 1 per
facility), the reach matrix or nearest facility the routing engine measures on the
study's networks (the same snaps and access legs as coverage), the township table against
the plan's ratio (:func:`geo.measures.evaluate`), each facility's catchment and workload
(the people whose nearest facility of those types it is, and its supply per ``per``
served), and the drawn surfaces: the index by grid cell in classes, and the catchments.

Per response spec: the emergency network (:func:`geo.routing.emergency.emergency_network`,
speed factors by road class), each base's dispatch delay, response and definitive-care
times per place, and their distribution by township (median, 90th percentile, share
within the target).

Every number carries its notes (method, weights, cutoff, the supply fallback, the
dispatch delay and its citation, minutes on scene, speed factors). Measures of the
standards file the study does not compute are listed with what data would enable them,
and ``[measures] stated_totals`` (a document's whole-area total where no per-facility
numbers exist) are compared with the targets as stated figures, never as computed ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely

from geo import settings
from geo._types import BoolArray, FloatArray, IntArray
from geo.coverage.bands import BREAKS, band_labels
from geo.coverage.population import group_column
from geo.coverage.surfaces import (
    CellUnions,
    PendingUnion,
    access_bounds,
    basin_areas_of,
    cell_facility,
    cell_numbers,
    cell_values,
    class_edges,
    classes,
)
from geo.coverage.townships import assign_to_polygons
from geo.errors import MeasureError
from geo.measures import (
    MeasureResult,
    MeasureSet,
    MeasureSpec,
    ResponseSpec,
    dispatch_seconds,
    evaluate,
    response_table,
    supply_for,
)
from geo.measures.aggregate import LabelIndex, RatioTable, meets
from geo.measures.basins import Basins, basins
from geo.measures.response import ResponseTable
from geo.measures.specs import REACH_METHODS
from geo.network.graph import Network
from geo.routing.emergency import emergency_network, response_times
from geo.routing.travel import SharedReach, Snap, nearest_facility, shared_reach
from geo.study.schema import Study

__all__ = [
    "AREA_COLUMNS", "FACILITY_COLUMNS", "MEASURE_COLUMNS", "RESPONSE_COLUMNS", "Inputs",
    "Resources", "StudyReach", "compute_resources", "enabling_data", "stated_lines",
    "study_nearest_limits", "study_reaches", "supply_check",
]


#: the township table of the measures (one row per measure and township, then the area)
MEASURE_COLUMNS = ("measure", "label", "label_zh", "method", "level", "township",
                   "population", "unreached", "supply_reached", "ratio", "per", "target",
                   "comparison", "meets_target", "minutes", "mode", "supply_column", "notes",
                   "citation")
#: per measure and eligible facility: supply, catchment, workload
FACILITY_COLUMNS = ("measure", "id", "name", "type", "township", "supply",
                    "catchment_population", "catchment_ratio", "served_population",
                    "served_points", "served_ratio", "per", "idle")
#: the response distribution (one row per spec, kind and township, then the area)
RESPONSE_COLUMNS = ("response", "label", "label_zh", "kind", "level", "township",
                    "population", "median_minutes", "p90_minutes", "max_minutes",
                    "share_within", "target_minutes", "target_share", "meets_target",
                    "unreached", "notes", "citation")
#: the drawn surfaces: classes of an index or of minutes, and catchments, per grid cell
AREA_COLUMNS = ("name", "kind", "cls", "lo", "hi", "facility", "population", "cells")
#: where per-facility supply comes from in a Chinese county (named when it is missing)
SUPPLY_SOURCE = ("per-institution numbers, e.g. from the county's annual health statistics "
                 "report (卫生健康统计年报) or the institutions' licences")


#: the facility table's CRS (its points are the study's facilities, in WGS 84), parsed once
_WGS84 = pyproj.CRS.from_epsg(4326)


def _frame(columns: Sequence[str]) -> pd.DataFrame:
    """Return an empty table of ``columns`` (text), a copy of one made once."""
    key = tuple(columns)
    if key not in _EMPTY:
        _EMPTY[key] = pd.DataFrame(columns=list(columns), dtype=object)
    return _EMPTY[key].copy(deep=True)


def _geo_frame(columns: Sequence[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(_frame(columns), geometry=gpd.GeoSeries([], crs=_WGS84),
                            crs=_WGS84)


#: the empty tables :func:`_frame` copies, one per set of columns
_EMPTY: dict[tuple[str, ...], pd.DataFrame] = {}


@dataclass
class Resources:
    """What the measures and the response model computed on a study (see module docs).

    ``measures``, ``response``: tables (:data:`MEASURE_COLUMNS`, :data:`RESPONSE_COLUMNS`);
    ``facilities``: points (:data:`FACILITY_COLUMNS`); ``areas``: polygons
    (:data:`AREA_COLUMNS`); ``notes``: measures not computed and what would enable them,
    and stated whole-area figures.
    """

    measures: pd.DataFrame = field(default_factory=lambda: _frame(MEASURE_COLUMNS))
    facilities: gpd.GeoDataFrame = field(default_factory=lambda: _geo_frame(FACILITY_COLUMNS))
    response: pd.DataFrame = field(default_factory=lambda: _frame(RESPONSE_COLUMNS))
    notes: list[str] = field(default_factory=list)
    #: the drawn areas once made (:attr:`areas`)
    _areas: gpd.GeoDataFrame | None = field(default=None, repr=False)
    #: the areas' rows whose polygons are not drawn yet, and the CRS of the cells
    _pending: tuple[list[dict[str, Any]], Any] | None = field(default=None, repr=False)

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The drawn surfaces (:data:`AREA_COLUMNS`), their polygons drawn when first read.

        The measures keep each class's and basin's cells; an output reading the areas (the
        map, ``results.gpkg``) has them dissolved then, each set of cells once.
        """
        if self._areas is None:
            self._areas = (_geo_frame(AREA_COLUMNS) if self._pending is None
                           else _draw_areas(*self._pending))
            self._pending = None
        return self._areas

    @areas.setter
    def areas(self, value: gpd.GeoDataFrame) -> None:
        self._areas, self._pending = value, None

    def __getstate__(self) -> dict[str, Any]:
        """Draw the areas before the object is pickled (a Dask worker sends it back)."""
        _ = self.areas
        return dict(self.__dict__)

    @property
    def measure_names(self) -> list[str]:
        """The names of the measures computed, in order."""
        return list(dict.fromkeys(self.measures["measure"].astype(str)))

    @property
    def response_names(self) -> list[str]:
        """The names of the response specs computed, in order."""
        return list(dict.fromkeys(self.response["response"].astype(str)))


#: facility columns read as text (:meth:`Inputs.columns`)
_TEXT = ("id", "name", "type")


@dataclass
class Inputs:
    """A study's frames and networks as the measures read them.

    ``cell_of`` is the grid cell of each demand point (-1: none;
    :func:`geo.coverage.surfaces.cell_index`);
    ``snap`` joins places to a network as the study does (``snap_exclude``);
    ``demand_snaps`` caches the demand points' snaps per mode.
    """

    study: Study
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    polygons: gpd.GeoDataFrame
    area_name: str
    networks: dict[str, Network]
    cells: gpd.GeoDataFrame
    cell_of: IntArray
    snap: Callable[[gpd.GeoDataFrame, str], Snap]
    demand_snaps: dict[str, Snap]
    #: every facility joined to the network of each mode (snapped once, sliced per measure)
    facility_snaps: dict[str, Snap] = field(default_factory=dict)
    #: the study's one reach structure of each mode and direction (:class:`StudyReach`)
    reaches: dict[tuple[str, str], StudyReach] = field(default_factory=dict)
    #: per mode, direction and set of facilities: the largest minutes (seconds) a measure
    #: asks of their nearest facility (:func:`study_nearest_limits`)
    nearest_limits: dict[tuple[str, str, bytes], float] = field(default_factory=dict)
    #: their nearest facility searched once at that limit: (limit, seconds, facility)
    nearests: dict[tuple[str, str, bytes], tuple[float, FloatArray, IntArray]] = field(
        default_factory=dict)
    #: the township of every facility (assigned once, sliced per measure)
    facility_townships: npt.NDArray[np.object_] | None = None
    #: the unions of grid cells the measures draw (each set of cells dissolved once)
    unions: CellUnions | None = None
    #: facility columns as arrays (:meth:`columns`)
    _columns: dict[str, npt.NDArray[Any]] = field(default_factory=dict, repr=False)
    #: the demand points of each township (:meth:`township_rows`)
    _town_rows: list[IntArray] | None = field(default=None, repr=False)
    #: demand columns as arrays, with the frame they were read from (:meth:`_demand_column`)
    _demand_columns: dict[str, tuple[gpd.GeoDataFrame, npt.NDArray[Any]]] = field(
        default_factory=dict, repr=False)
    #: which facilities are of each set of types (:meth:`of_types`)
    _of_types: dict[frozenset[str], BoolArray] = field(default_factory=dict, repr=False)
    #: the facilities' points in each CRS they were joined in (:meth:`_facilities_in`)
    _projected: list[gpd.GeoSeries] = field(default_factory=list, repr=False)
    #: the demand's townships in table order, with the frame they were read from
    _label_index: tuple[gpd.GeoDataFrame, LabelIndex] | None = field(default=None, repr=False)
    #: the townships in table order, with the frame they were read from (:attr:`order`)
    _order: tuple[gpd.GeoDataFrame, tuple[str, ...]] | None = field(default=None, repr=False)
    #: the facilities' points (:meth:`facility_points`)
    _points: npt.NDArray[np.object_] | None = field(default=None, repr=False)

    def columns(self, name: str) -> npt.NDArray[Any]:
        """Return a column of the study's facilities as an array, read once and kept.

        The text columns (``_TEXT``) are read as text, as the tables show them.
        """
        if name not in self._columns:
            col = self.facilities[name]
            values = (col.astype(str) if name in _TEXT else col).to_numpy(copy=True)
            values.flags.writeable = False  # shared by every measure: none may change it
            self._columns[name] = values
        return self._columns[name]

    def of_types(self, types: Sequence[str]) -> BoolArray:
        """Tell which facilities are of ``types`` (as ``isin`` on the type column).

        Found once per set of types and kept (read-only: shared by every measure).
        """
        key = frozenset(types)
        got = self._of_types.get(key)
        if got is None:
            col = self.columns("type")
            got = np.fromiter((t in key for t in col), dtype=bool, count=len(col))
            got.flags.writeable = False
            self._of_types[key] = got
        return got

    def township_rows(self) -> list[IntArray]:
        """Return the demand points of each township (table order), found once and kept.

        Each array keeps the points in their order, so a sum over it adds the same numbers
        in the same order as a sum over a mask of the township.
        """
        if self._town_rows is None:
            labels = self.labels
            self._town_rows = [np.flatnonzero(labels == t) for t in self.order]
        return self._town_rows

    def cell_unions(self) -> CellUnions:
        """Return the unions of this study's grid cells, made once and shared."""
        if self.unions is None:  # drawn when the areas are first read (Resources.areas)
            self.unions = CellUnions(self.cells, later=True)
        return self.unions

    def _demand_column(self, name: str, dtype: type) -> npt.NDArray[Any]:
        """Return a demand column as an array, read once per demand frame and kept."""
        got = self._demand_columns.get(name)
        if got is None or got[0] is not self.demand:  # a group's inputs have their own demand
            values = self.demand[name].to_numpy(dtype=dtype, copy=True)
            values.flags.writeable = False  # shared by every measure: none may change it
            got = self._demand_columns[name] = (self.demand, values)
        return got[1]

    @property
    def population(self) -> FloatArray:
        """People per demand point."""
        return self._demand_column("population", float)

    @property
    def labels(self) -> npt.NDArray[np.object_]:
        """Township of each demand point."""
        return self._demand_column("township", object)

    @property
    def label_index(self) -> LabelIndex:
        """The demand points' townships placed in table order, once per demand frame."""
        got = self._label_index
        if got is None or got[0] is not self.demand:
            got = self._label_index = (self.demand, LabelIndex.of(self.labels, self.order))
        return got[1]

    @property
    def order(self) -> list[str]:
        """The townships in table order (read once per polygon frame; a new list each time)."""
        got = self._order
        if got is None or got[0] is not self.polygons:
            got = self._order = (self.polygons,
                                 tuple(str(t) for t in self.polygons["township"]))
        return list(got[1])

    def facility_points(self) -> npt.NDArray[np.object_]:
        """Return the facilities' points (their frame's geometry), read once and kept."""
        if self._points is None:
            points = self.facilities.geometry.to_numpy().copy()
            points.flags.writeable = False  # shared by every measure: none may change it
            self._points = points
        return self._points

    def demand_snap(self, mode: str) -> Snap:
        """Return the demand points joined to the network of ``mode``, snapped once and kept."""
        if mode not in self.demand_snaps:
            self.demand_snaps[mode] = self.snap(self.demand, mode)
        return self.demand_snaps[mode]

    def of_group(self, group: str) -> tuple[Inputs, str]:
        """Return these inputs with a group's people as the demand, and the line saying so.

        ``group`` is a name of ``[population] groups`` (a spec's ``population_group``); "":
        these inputs, unchanged, and no line. The snaps are shared (the same points).
        """
        if not group:
            return self, ""
        people = self.demand[group_column(group)]
        line = (f"demand: the population group {group} ({float(people.sum()):,.0f} people; "
                "population_group), not the whole population: its people are the population "
                "of every row")
        return replace(self, demand=self.demand.assign(population=people),
                       _demand_columns={}), line
    def townships_of(self, rows: IntArray) -> npt.NDArray[np.object_]:
        """Return the township of the facilities at positions ``rows``.

        Every facility is assigned once (:func:`assign_to_polygons`, one point at a time).
        """
        if self.facility_townships is None:
            crs = self.networks["drive"].crs
            self.facility_townships, _ = assign_to_polygons(
                self._facilities_in(crs), self.polygons, crs)
        return self.facility_townships[rows]

    def _facilities_in(self, crs: Any) -> gpd.GeoSeries:
        """Return the facilities' points in ``crs``, transformed once per CRS and kept.

        Joining them to a network of that CRS or placing them in townships there
        transforms them to it again, which gives the same coordinates back (geopandas
        hands an array already in the CRS back as it is): the same snaps and townships as
        from the facility frame itself. A series, not a frame: the townships read only
        its points, and a GeoDataFrame around them cost ~1 ms a study (geopandas' checks).
        """
        for done in self._projected:
            if done.crs is not None and done.crs.is_exact_same(crs):
                return done
        done = self.facilities.geometry.to_crs(crs)
        self._projected.append(done)
        return done

    def facility_snap(self, mode: str, rows: IntArray) -> Snap:
        """Return the facilities at positions ``rows`` joined to the network of ``mode``.

        Every facility is snapped once per mode; a place's join does not depend on the
        others joined with it.
        """
        if mode not in self.facility_snaps:
            self.facility_snaps[mode] = self.snap(
                gpd.GeoDataFrame(geometry=self._facilities_in(self.networks[mode].crs)), mode)
        s = self.facility_snaps[mode]
        return Snap(s.xy[rows], s.seg[rows], s.t[rows], s.access_m[rows])


@dataclass(frozen=True)
class StudyReach:
    """The reach structure one mode and direction of a study's measures share.

    ``rows``: positions (in the study's facility frame) of the facilities of every
    floating-catchment, gravity or Hansen measure in that mode and direction; ``reach``:
    their searches, each facility's to the largest catchment of the measures that count it,
    sliced per measure (:class:`~geo.routing.travel.SharedReach`).
    """

    rows: IntArray
    reach: SharedReach

    def covers(self, rows: IntArray, max_seconds: float) -> bool:
        """Tell whether the facilities at positions ``rows`` were searched to ``max_seconds``."""
        at = np.searchsorted(self.rows, rows)
        ok = (at < len(self.rows)) & (self.rows[np.minimum(at, len(self.rows) - 1)] == rows)
        return bool(ok.all() and (self.reach.max_seconds[at] >= max_seconds).all())

    def matrix(self, rows: IntArray, max_seconds: float) -> sp.csr_matrix:
        """Return the reach matrix of facilities ``rows`` (positions) within ``max_seconds``."""
        return self.reach.matrix(np.searchsorted(self.rows, rows), max_seconds)


def study_reaches(inp: Inputs, measures: Sequence[MeasureSpec]
                  ) -> dict[tuple[str, str], StudyReach]:
    """Build one reach structure per mode and direction of the measures that read one.

    Each covers the facilities of all those measures' types, each facility searched to the
    largest catchment of the measures that count it (never further: a facility only a
    15-minute measure counts is not searched to another's 60 minutes); searched once per
    study, whatever the number of measures.
    """
    n = len(inp.facilities)
    wanted: dict[tuple[str, str], FloatArray] = {}  # per facility: its bound, -1 if none
    for spec in measures:
        if spec.method not in REACH_METHODS:
            continue
        assert spec.mode is not None and spec.direction is not None
        assert spec.max_seconds is not None
        mask = inp.of_types(spec.facility_types)
        if not mask.any():
            continue
        bound = wanted.setdefault((spec.mode, spec.direction), np.full(n, -1.0))
        bound[mask] = np.maximum(bound[mask], float(spec.max_seconds))
    out = {}
    for (mode, direction), bound in wanted.items():
        rows = np.flatnonzero(bound >= 0)
        out[mode, direction] = StudyReach(rows, shared_reach(
            inp.networks[mode], inp.facility_snap(mode, rows), inp.demand_snap(mode),
            access_speed_kmh=inp.study.access_kmh(mode), max_seconds=bound[rows],
            direction=direction))
    return out


# --------------------------------------------------------------------------- measures


def _not_applicable(types: Sequence[str]) -> str:
    return f"not applicable: no facility of type {', '.join(types)} in this study"


def _ratio_rows(spec: MeasureSpec, t: RatioTable, area: str, notes: str,
                supply_column: str, unreached: FloatArray | None = None
                ) -> list[dict[str, Any]]:
    """One row per township and the area's.

    ``unreached``: people per township (then the area) with no facility of the measure's types
    within its minutes (NaN: not measured, as for ``located``).
    """
    meets = [*t.meets, t.total_meets]
    names = [*t.labels, area]
    pops = [*t.population, t.total_population]
    sups = [*t.supply, t.total_supply]
    ratios = [*t.ratio, t.total_ratio]
    lost = np.full(len(names), np.nan) if unreached is None else unreached
    return [{
        "measure": spec.name, "label": spec.label, "label_zh": spec.label_zh,
        "method": spec.method, "level": "area" if k == len(names) - 1 else "township",
        "township": str(n), "population": round(float(p), 1),
        "unreached": round(float(lost[k]), 1), "supply_reached": float(s),
        "ratio": float(r), "per": t.per, "target": t.target,
        "comparison": "at_least" if t.at_least else "at_most",
        "meets_target": pd.NA if m is None else m, "minutes": spec.minutes,
        "mode": spec.mode or "", "supply_column": supply_column, "notes": notes,
        "citation": spec.citation,
    } for k, (n, p, s, r, m) in enumerate(zip(names, pops, sups, ratios, meets, strict=True))]


def _empty_rows(spec: MeasureSpec, inp: Inputs, note: str) -> list[dict[str, Any]]:
    pop = inp.population
    table = RatioTable(inp.order, np.array([pop[at].sum() for at in inp.township_rows()]),
                       np.full(len(inp.order), np.nan), np.full(len(inp.order), np.nan),
                       spec.per, spec.target, spec.at_least, float(pop.sum()), np.nan, np.nan)
    # nobody has a facility of these types within reach: everyone is unreached
    everyone = None if spec.method == "located" else np.array([*table.population,
                                                                table.total_population])
    rows = _ratio_rows(spec, table, inp.area_name, note, spec.supply or "", everyone)
    for r in rows:
        r["meets_target"] = pd.NA
    return rows


#: how each method counts a place with no facility of its types within its minutes
_UNREACHED_COUNTED = {
    "hansen": "its potential is 0, and it is in every township mean",
    "nearest": "it is in no facility's basin, with 0 supply per person in the township "
               "and area ratios",
}


def _unreached(spec: MeasureSpec, inp: Inputs, nearest: IntArray | None
               ) -> tuple[FloatArray | None, str]:
    """Count the people with no facility of the measure's types within its minutes.

    Per township, then the whole area, and the line saying how many and how the ratios
    count them.
    """
    if nearest is None:  # located: every facility counts where it lies, none 'reaches'
        return None, ""
    pop = inp.population
    lost = np.asarray(nearest) < 0
    per_town = np.array([pop[at[lost[at]]].sum() for at in inp.township_rows()])
    total = float(pop[lost].sum())
    counted = _UNREACHED_COUNTED.get(
        spec.method, "it counts with 0 supply per person, so the township and area ratios "
        "are over all residents, these people included")
    share = total / float(pop.sum()) if pop.sum() > 0 else 0.0
    within = (f"within {spec.minutes:g} min" if spec.minutes is not None
              else "reachable by road")
    line = (f"{total:,.0f} people ({share:.1%}) have no facility of type "
            f"{', '.join(spec.facility_types)} {within}: {counted} (column unreached, by "
            "township)")
    return np.array([*per_town, total]), line


def _outside_facilities(spec: MeasureSpec, sel: gpd.GeoDataFrame, inp: Inputs,
                        supply: FloatArray) -> tuple[FloatArray, list[str]]:
    """Locate the facilities outside the townships for ``located``.

    Facilities beyond :data:`settings.OUTSIDE_TOLERANCE_M` of the townships
    (kept with ``[facilities] outside = "keep"``) are located in none (their supply left
    out), those just outside count in the nearest township; both said.
    """
    crs = inp.networks["drive"].crs
    shape = gpd.GeoSeries([inp.polygons.union_all()], crs=inp.polygons.crs).to_crs(crs).iloc[0]
    metres = sel.geometry.to_crs(crs).distance(shape).to_numpy(dtype=float)
    ids = sel["id"].astype(str).to_numpy()
    far = metres > settings.OUTSIDE_TOLERANCE_M
    near = (metres > 0) & ~far
    notes = []
    if far.any():
        notes.append(f"{int(far.sum())} facilities outside the study area are located in no "
                     "township, their supply left out of these ratios: "
                     + ", ".join(f"{i} ({m / 1000:,.1f} km outside)"
                                 for i, m in zip(ids[far], metres[far], strict=True)))
    if near.any():
        notes.append(f"{int(near.sum())} facilities just outside the township boundaries "
                     f"(within {settings.OUTSIDE_TOLERANCE_M:g} m) count in the nearest "
                     "township: " + ", ".join(f"{i} ({m:,.0f} m outside)" for i, m in
                                              zip(ids[near], metres[near], strict=True)))
    return np.where(far, 0.0, supply), notes


def _search(spec: MeasureSpec, inp: Inputs, rows: IntArray
            ) -> tuple[object | None, IntArray | None]:
    """Return the reach matrix and each place's nearest facility of the measure's types.

    ``rows``: the positions of those facilities in the study's frame. The reach matrix
    serves the floating-catchment methods, sliced from the study's structure of the
    measure's mode and direction (:func:`study_reaches`, built here when the measure is
    computed alone); the nearest facility within the measure's minutes makes its catchment
    or workload basin.
    """
    if spec.method == "located":
        return None, None
    assert spec.mode is not None and spec.direction is not None
    limit = spec.max_seconds if spec.max_seconds is not None else np.inf
    nearest = _nearest(inp, spec.mode, spec.direction, rows, limit)
    reach = None
    if spec.method in REACH_METHODS:
        assert spec.max_seconds is not None
        key = (spec.mode, spec.direction)
        shared = inp.reaches.get(key)
        if shared is None or not shared.covers(rows, spec.max_seconds):
            shared = inp.reaches[key] = study_reaches(inp, [spec])[key]
        reach = shared.matrix(rows, spec.max_seconds)
    return reach, nearest


def study_nearest_limits(inp: Inputs, measures: Sequence[MeasureSpec]
                         ) -> dict[tuple[str, str, bytes], float]:
    """Return the largest limit each mode, direction and set of facilities is searched to.

    Measures counting the same facilities (e.g. doctors within 30 minutes, and doctors at
    the nearest facility at any distance) then share one nearest search (``_nearest``).
    """
    out: dict[tuple[str, str, bytes], float] = {}
    for spec in measures:
        if spec.method == "located":
            continue
        assert spec.mode is not None and spec.direction is not None
        rows = np.flatnonzero(inp.of_types(spec.facility_types))
        limit = spec.max_seconds if spec.max_seconds is not None else np.inf
        key = (spec.mode, spec.direction, rows.tobytes())
        out[key] = max(out.get(key, limit), limit)
    return out


def _nearest(inp: Inputs, mode: str, direction: str, rows: IntArray, limit: float
             ) -> IntArray:
    """Return each place's nearest facility among positions ``rows`` within ``limit`` (-1: none).

    One search per mode, direction and set of facilities, at the largest limit a measure
    of the study asks of them (:func:`study_nearest_limits`), cut at ``limit``: the same
    answer as a search bounded at ``limit``, to the last bit and tie. A place's best time
    within ``limit`` comes from nodes reached within ``limit`` (every part of a trip adds
    seconds >= 0), whose times and labels a search bounded higher gives the same (equal
    times go to the facility listed first, whatever the bound), and from trips off the
    network that no bound changes; a best time beyond ``limit`` is unreached in both.
    """
    key = (mode, direction, rows.tobytes())
    got = inp.nearests.get(key)
    if got is None or got[0] < limit:
        top = max(inp.nearest_limits.get(key, limit), limit)
        secs, near = nearest_facility(
            inp.networks[mode], inp.facility_snap(mode, rows), inp.demand_snap(mode),
            access_speed_kmh=inp.study.access_kmh(mode), direction=direction, max_seconds=top)
        got = inp.nearests[key] = (top, secs, near)
    top, secs, near = got
    if limit >= top:
        return near
    return np.where(secs <= limit, near, -1).astype(np.int64)


def _idle(spec: MeasureSpec, res: MeasureResult, basin: Basins | None, reach: object,
          pop: FloatArray, supply: FloatArray) -> BoolArray:
    """Facilities with supply that reaches nobody in this measure.

    An empty catchment (the floating-catchment methods and gravity), nobody within the minutes
    (Hansen: being nobody's nearest does not stop a facility adding to the potential of the people
    within reach), nobody's nearest (``nearest``); none for ``located``.
    """
    s = np.asarray(supply, dtype=float)
    if res.access is not None:
        return np.asarray((res.access.catchment <= 0) & (res.access.supply > 0), dtype=bool)
    if spec.method == "hansen" and isinstance(reach, sp.csr_matrix):
        pattern = sp.csr_matrix((np.ones(len(reach.data)), reach.indices, reach.indptr),
                                shape=reach.shape)  # a pair within the minutes, 0 s too
        return np.asarray((pattern @ pop <= 0) & (s > 0), dtype=bool)
    if basin is not None and spec.method == "nearest":
        return np.asarray((basin.served <= 0) & (basin.supply > 0), dtype=bool)
    return np.zeros(len(s), dtype=bool)


class _Selected:
    """The facility columns of the facilities at positions ``rows``, as supply reads them."""

    def __init__(self, inp: Inputs, rows: IntArray) -> None:
        self.inp, self.rows = inp, rows

    def __contains__(self, key: object, /) -> bool:
        return key in self.inp.facilities.columns

    def __getitem__(self, key: str, /) -> Any:
        return self.inp.columns(key)[self.rows]

    def keys(self) -> list[str]:
        """Return the names of the facility columns."""
        return list(self.inp.facilities.columns)


def _facility_rows(spec: MeasureSpec, inp: Inputs, rows: IntArray, towns: npt.ArrayLike,
                   res: MeasureResult, basin: Basins | None, idle: BoolArray
                   ) -> dict[str, npt.NDArray[Any]]:
    """Return the facility table's columns of one measure (``geometry``: their points)."""
    n = len(rows)
    nan = np.full(n, np.nan)
    acc = res.access
    per = spec.per if spec.method != "hansen" else 1.0
    cols: dict[str, Any] = {
        "measure": np.full(n, spec.name, dtype=object), "id": inp.columns("id")[rows],
        "name": inp.columns("name")[rows], "type": inp.columns("type")[rows],
        "township": np.asarray(towns, dtype=object).astype(str),
        "supply": _supply(res, basin, n),
        "catchment_population": acc.catchment if acc is not None else nan,
        "catchment_ratio": acc.ratio * per if acc is not None else nan,
        "served_population": basin.served if basin is not None else nan,
        "served_points": basin.points.astype(float) if basin is not None else nan,
        "served_ratio": basin.per(per) if basin is not None else nan,
        "per": np.full(n, per), "idle": idle.astype(bool),
    }
    cols["geometry"] = inp.facility_points()[rows]
    return cols


def _supply(res: MeasureResult, basin: Basins | None, n: int) -> FloatArray:
    if res.access is not None:
        return res.access.supply
    if basin is not None:
        return basin.supply
    return np.full(n, np.nan)


@dataclass
class _Part:
    """One measure's or response spec's rows, demand columns and drawn areas."""

    rows: list[dict[str, Any]]
    columns: dict[str, npt.NDArray[np.generic]] = field(default_factory=dict)
    areas: list[dict[str, object]] = field(default_factory=list)
    facilities: dict[str, npt.NDArray[Any]] | None = None


def _measure(spec: MeasureSpec, inp: Inputs) -> _Part:
    """Return one measure on the study (see module docs)."""
    fac = inp.facilities
    mask = inp.of_types(spec.facility_types)
    if not mask.any():
        return _Part(_empty_rows(spec, inp, _not_applicable(spec.facility_types)))
    rows = np.flatnonzero(mask)
    fid = inp.columns("id")[rows]
    supply, note = supply_for(spec.supply, _Selected(inp, rows), fid.tolist(),
                              measure=spec.name)
    towns = inp.townships_of(rows)
    reach, nearest = _search(spec, inp, rows)
    pop = inp.population
    placed: list[str] = []
    counted = supply
    if spec.method == "located":
        counted, placed = _outside_facilities(spec, fac[mask].reset_index(drop=True), inp,
                                              supply)
    res = evaluate(spec, supply=counted, population=pop, labels=inp.label_index, order=inp.order,
                   reach=reach, nearest=nearest, facility_labels=towns, supply_note=note)
    basin = res.basins or (basins(nearest, pop, supply) if nearest is not None else None)
    unreached, unreached_line = _unreached(spec, inp, nearest)
    notes = [*res.notes, *placed] + ([unreached_line] if unreached_line else [])
    if basin is not None and spec.method != "nearest":
        notes.append(f"catchments (basins): each place counted at its nearest facility of "
                     f"these types within {spec.minutes:g} min")
    if basin is not None and len(basin.idle):
        ids = ", ".join(fid[basin.idle])
        notes.append(f"{len(basin.idle)} facilities with supply are nobody's nearest ({ids}: "
                     "e.g. at the position of one listed before them, which wins the tie)"
                     + (": their supply counts nowhere in this measure"
                        if spec.method == "nearest" else
                        ": they still count in this measure, for the people within reach"))
    idle = _idle(spec, res, basin, reach, pop, supply)
    if spec.method == "hansen" and idle.any():
        notes.append(f"{int(idle.sum())} facilities with supply have nobody within "
                     f"{spec.minutes or 0:g} min ({', '.join(fid[idle])}): "
                     "their supply adds to no potential")
    part = _Part(_ratio_rows(spec, res.table, inp.area_name, "; ".join(notes),
                             spec.supply or "", unreached),
                 facilities=_facility_rows(spec, inp, rows, towns, res, basin, idle))
    target = spec.target if spec.method != "hansen" else None
    if res.per_person is None or nearest is None:  # located: township figures only
        t = res.table
        edges = class_edges(t.ratio[t.population > 0], t.population[t.population > 0], target)
        part.areas = classes(spec.name, "access", inp.cells, np.full(len(inp.cells), None),
                             np.zeros(len(inp.cells)), access_bounds(edges), False,
                             keep_empty=True,  # the townships' classes, no cells
                             unions=inp.cell_unions())
        return part
    per = spec.per if spec.method != "hansen" else 1.0
    value = res.per_person * per
    served_by = np.where(nearest >= 0, fid[np.maximum(nearest, 0)], "")
    part.columns = {f"access_{spec.name}": value, f"basin_{spec.name}": served_by.astype(object)}
    n_cells = len(inp.cells)
    cell_vals, people = cell_numbers(value, pop, inp.cell_of, n_cells)  # NaN: no point
    known = ~np.isnan(cell_vals)  # the values are finite (ratio_table checked them)
    edges = class_edges(cell_vals[known], people[known], target)
    part.areas = classes(spec.name, "access", inp.cells, cell_vals, people,
                         access_bounds(edges), False, keep_empty=True,
                         unions=inp.cell_unions())
    part.areas += basin_areas_of(spec.name, inp.cells,
                                 cell_facility(nearest, pop, inp.cell_of, n_cells), fid,
                                 people, inp.cell_unions())
    return part


# --------------------------------------------------------------------------- response


def _response_notes(rs: ResponseSpec, inp: Inputs, bases: gpd.GeoDataFrame,
                    hospitals: gpd.GeoDataFrame, delay_note: str) -> str:
    cite = ", ".join(x for x in (rs.dispatch_source, rs.dispatch_section) if x)
    quote = f": “{rs.dispatch_quote}”" if rs.dispatch_quote else ""
    speeds = (", ".join(f"{k} x{v:g}" for k, v in rs.speed_factor.items())
              if rs.speed_factor else "none: emergency vehicles at the default road speeds")
    notes = [
        f"response = dispatch delay + drive from the nearest base ({len(bases)} bases of type "
        f"{', '.join(rs.bases)}: {', '.join(bases['id'].astype(str))})",
        f"dispatch delay {rs.dispatch_minutes:g} min ({delay_note})"
        + (f"; source: {cite}{quote}" if cite else "; no source given for it"),
        f"{rs.scene_minutes:g} min on scene (scene_minutes)",
        f"speed factors by road class: {speeds}; access legs at "
        f"{inp.study.access_kmh(rs.mode):g} km/h unchanged",
    ]
    if hospitals.empty:
        notes.append(f"time to definitive care not computed: no hospital of type "
                     f"{', '.join(rs.hospitals)}")
    else:
        notes.append("time to definitive care = response + minutes on scene + drive to the "
                     f"nearest hospital of type {', '.join(rs.hospitals)}")
    return "; ".join(notes)


def _response_rows(rs: ResponseSpec, kind: str, t: ResponseTable, notes: str
                   ) -> list[dict[str, Any]]:
    rows = []
    for k, name in enumerate(t.labels):
        meets = t.meets[k]
        rows.append({
            "response": rs.name, "label": rs.label, "label_zh": rs.label_zh, "kind": kind,
            "level": "area" if k == len(t.labels) - 1 else "township", "township": str(name),
            "population": round(float(t.population[k]), 1),
            "median_minutes": float(t.median_min[k]), "p90_minutes": float(t.p90_min[k]),
            "max_minutes": float(t.max_min[k]), "share_within": float(t.share_within[k]),
            "target_minutes": t.target_min, "target_share": t.target_share,
            "meets_target": pd.NA if meets is None else meets,
            "unreached": float(t.unreached[k]), "notes": notes, "citation": rs.citation,
        })
    return rows


def _dispatch(rs: ResponseSpec, fac: gpd.GeoDataFrame, bases: gpd.GeoDataFrame
              ) -> tuple[FloatArray, str]:
    col = rs.dispatch_column
    if col is not None and col not in fac.columns:
        raise MeasureError(
            f"response {rs.name!r} takes dispatch minutes from column {col!r}, which the "
            f"facility file lacks: add the column (minutes per base, blank for the default "
            f"{rs.dispatch_minutes:g}), or remove dispatch_column from the spec")
    values = None if col is None else bases[col].tolist()
    return dispatch_seconds(rs.dispatch_minutes, len(bases), values=values, column=col or "",
                            ids=bases["id"].astype(str).tolist())


def _response(rs: ResponseSpec, inp: Inputs) -> _Part:
    """Return the response model of one spec on the study (see module docs)."""
    fac = inp.facilities
    bases = fac[fac["type"].isin(rs.bases)].reset_index(drop=True)
    hospitals = fac[fac["type"].isin(rs.hospitals)].reset_index(drop=True)
    pop, labels, order = inp.population, inp.labels, inp.order
    if bases.empty:
        note = _not_applicable(rs.bases)
        nan = np.full(len(pop), np.inf)
        table = response_table(labels, pop, nan, target_minutes=rs.target_minutes,
                               target_share=rs.target_share, order=order,
                               total_label=inp.area_name)
        return _Part(_response_rows(rs, "response", table, note))
    delay, delay_note = _dispatch(rs, fac, bases)
    net = emergency_network(inp.networks[rs.mode], rs.speed_factor)  # same segments: snaps hold
    dsnap = inp.demand_snap(rs.mode)
    speed = inp.study.access_kmh(rs.mode)
    limit = (rs.max_minutes or np.inf) * 60.0
    ids = bases["id"].astype(str).to_numpy()
    if hospitals.empty:
        resp, base = nearest_facility(net, inp.snap(bases, rs.mode), dsnap,
                                      access_speed_kmh=speed, direction="from_facility",
                                      max_seconds=limit, offset_s=delay)
        care, hosp = None, None
    else:
        t = response_times(net, inp.snap(bases, rs.mode), dsnap, inp.snap(hospitals, rs.mode),
                           access_speed_kmh=speed, dispatch_s=delay,
                           scene_s=rs.scene_minutes * 60.0, max_seconds=limit)
        resp, base, care, hosp = t.response_s, t.base, t.care_s, t.hospital
    notes = _response_notes(rs, inp, bases, hospitals, delay_note)
    rows = _response_rows(rs, "response", response_table(
        labels, pop, resp, target_minutes=rs.target_minutes, target_share=rs.target_share,
        order=order, total_label=inp.area_name), notes)
    part = _Part(rows)
    part.columns[f"response_min_{rs.name}"] = resp / 60.0
    part.columns[f"base_{rs.name}"] = np.where(base >= 0, ids[np.maximum(base, 0)], "")
    if care is not None and hosp is not None:
        part.rows += _response_rows(rs, "care", response_table(
            labels, pop, care, target_minutes=rs.care_target_minutes,
            target_share=rs.target_share, order=order, total_label=inp.area_name), notes)
        hid = hospitals["id"].astype(str).to_numpy()
        part.columns[f"care_min_{rs.name}"] = care / 60.0
        part.columns[f"hospital_{rs.name}"] = np.where(hosp >= 0, hid[np.maximum(hosp, 0)], "")
    cell_vals, people = cell_values(resp / 60.0, pop, inp.cell_of, len(inp.cells))
    edges = [0.0, *BREAKS, np.inf]
    bands = list(zip(edges[:-1], edges[1:], band_labels(), strict=True))
    part.areas = classes(rs.name, "response", inp.cells, cell_vals, people, bands, True,
                         unions=inp.cell_unions())
    return part


# --------------------------------------------------------------------------- the study


def supply_check(fac: gpd.GeoDataFrame, measures: Sequence[MeasureSpec],
                 responses: Sequence[ResponseSpec]) -> str:
    """Check every supply and dispatch column the study's specs read and say what was checked.

    The check is on the facilities each counts (:class:`~geo.errors.SupplyError` or
    :class:`~geo.errors.MeasureError` naming the facilities, the column and the fix); what was
    checked, in words.
    """
    parts = []
    for spec in measures:
        sel = fac[fac["type"].isin(spec.facility_types)]
        supply, note = supply_for(spec.supply, sel, sel["id"].astype(str).tolist(),
                                  measure=spec.name)
        what = (f"{spec.supply} of {len(sel)} facilities, total {supply.sum():,.6g}"
                if spec.supply else f"{len(sel)} facilities counted 1 each")
        parts.append(f"{spec.name} ({what})")
    for rs in responses:
        bases = fac[fac["type"].isin(rs.bases)]
        _, note = _dispatch(rs, fac, bases) if len(bases) else (None, "no base")
        parts.append(f"{rs.name} ({len(bases)} bases; {note})")
    return "; ".join(parts)


def enabling_data(study: Study, mset: MeasureSet, fac: gpd.GeoDataFrame) -> list[str]:
    """Return the standards file's measures and response specs the study does not compute.

    Each comes with why and the data or option that would compute it.
    """
    out = []
    for name, spec in mset.measures.items():
        if name in study.measures.use:
            continue
        n = int(fac["type"].isin(spec.facility_types).sum())
        if spec.supply and spec.supply not in fac.columns:
            why = (f"the facility file {study.facilities.path.name} has no column "
                   f"{spec.supply!r}: {SUPPLY_SOURCE}, as a column {spec.supply!r} for its "
                   f"{n} facilities of the measure's types, then [measures] use = "
                   f"[\"{name}\"] would compute it")
        else:
            why = f"not in [measures] use (its data is there: add {name!r} to compute it)"
        target = ("" if spec.target is None else
                  f"; target {'≥' if spec.at_least else '≤'} {spec.target:g} per "
                  f"{spec.per:,.0f} residents ({spec.citation})")
        note = f"; {spec.note}" if spec.note else ""
        out.append(f"not computed: {name} ({spec.label}): {why}{target}{note}")
    for name in mset.responses:
        if name not in study.response.use:
            out.append(f"not computed: {name} ({mset.responses[name].label}): not in "
                       f"[response] use (add {name!r} to compute it)")
    return out


def stated_lines(study: Study, mset: MeasureSet, population: float) -> list[str]:
    """Check ``[measures] stated_totals`` against the target of every measure of their column.

    These are whole-area figures from a document, never computed from the facility file.
    """
    out = []
    src = study.measures.stated_source or ""
    for col, total in study.measures.stated_totals.items():
        for spec in mset.measures.values():
            if spec.supply != col or spec.target is None or spec.method == "hansen":
                continue
            ratio = total / population * spec.per if population > 0 else float("nan")
            ok = meets(ratio, spec.target, at_most=not spec.at_least)
            verdict = ("no people to compare" if ok is None else "meets" if ok else
                       "below" if spec.at_least else "above")
            out.append(
                f"stated figure, not computed here: {spec.name}: {total:,.6g} {col} for the "
                f"whole area ({src}) over the study's {population:,.0f} people = {ratio:.2f} per "
                f"{spec.per:,.0f}, {verdict} the target "
                f"{'≥' if spec.at_least else '≤'} {spec.target:g} ({spec.citation}); a "
                "document's total, not per-facility data: no township figures")
    return out


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Store ``meets_target`` as Python booleans and ``pd.NA`` (no target, nobody there).

    That is as the coverage table holds it, whatever pandas inferred.
    """
    df["meets_target"] = pd.array([pd.NA if v is None or v is pd.NA else bool(v)
                                   for v in df["meets_target"]], dtype=object)
    return df


def _for_group(compute: Callable[[Any, Inputs], _Part], spec: MeasureSpec | ResponseSpec,
               inp: Inputs) -> _Part:
    """Compute one spec on its demand (a ``population_group``'s people), its rows saying so."""
    mine, line = inp.of_group(spec.population_group)
    part = compute(spec, mine)
    if line:
        for row in part.rows:
            row["notes"] = f"{line}; {row['notes']}" if row.get("notes") else line
    return part


def _draw_areas(areas: list[dict[str, Any]], crs: Any) -> gpd.GeoDataFrame:
    """Return the drawn surfaces' frame, each pending union of cells drawn now."""
    for a in areas:
        if isinstance(a["geometry"], PendingUnion):
            a["geometry"] = a["geometry"].draw()
    single = [a for a in areas if isinstance(a["geometry"], shapely.Polygon)]
    if single:  # one geometry type, as a GeoPackage layer stores them
        multi = shapely.multipolygons([a["geometry"] for a in single],
                                      indices=np.arange(len(single)))
        for a, g in zip(single, multi, strict=True):
            a["geometry"] = g
    return gpd.GeoDataFrame(areas, columns=[*AREA_COLUMNS, "geometry"], geometry="geometry",
                            crs=crs)


def compute_resources(
    inp: Inputs, measures: Sequence[MeasureSpec], responses: Sequence[ResponseSpec],
    stage: Callable[[str], AbstractContextManager[None]] | None = None,
) -> tuple[Resources, dict[str, npt.NDArray[np.generic]]]:
    """Compute every measure and response spec of the study, and the demand columns they add.

    The columns are (``access_``, ``basin_`` per measure; ``response_min_``,
    ``base_``, ``care_min_``, ``hospital_`` per response spec). ``stage`` times each kind (``access
    measures``, ``emergency response``).
    """
    timed = stage or (lambda _name: nullcontext())
    parts: list[_Part] = []
    rparts: list[_Part] = []
    if measures:
        with timed("access measures"):
            inp.reaches.update(study_reaches(inp, measures))
            inp.nearest_limits.update(study_nearest_limits(inp, measures))
            parts = [_for_group(_measure, spec, inp) for spec in measures]
    if responses:
        with timed("emergency response"):
            rparts = [_for_group(_response, rs, inp) for rs in responses]
    made: dict[str, Any] = {}  # the tables computed; the others are Resources' empty ones
    rows = [r for p in parts for r in p.rows]
    if rows:
        table = pd.DataFrame(rows, columns=list(MEASURE_COLUMNS))
        for col in ("target", "minutes"):  # in place: astype of the frame copies every column
            table[col] = table[col].astype(float)
        made["measures"] = _typed(table)
    fac = [p.facilities for p in parts if p.facilities is not None]
    if fac:  # one frame of every measure's columns
        cols = {k: np.concatenate([f[k] for f in fac]) for k in fac[0]}
        cols["geometry"] = gpd.array.from_shapely(cols.pop("geometry"), crs=_WGS84)
        # the same frame as GeoDataFrame(cols, geometry=...), half the time (0.84 ->
        # 0.44 ms): the columns in a plain frame first, then the geometry column named
        made["facilities"] = gpd.GeoDataFrame(pd.DataFrame(cols), geometry="geometry",
                                              copy=False)
    rrows = [r for p in rparts for r in p.rows]
    if rrows:
        made["response"] = _typed(pd.DataFrame(rrows, columns=list(RESPONSE_COLUMNS)).astype(
            {"target_minutes": float}))
    areas = [a for p in (*parts, *rparts) for a in p.areas]
    if areas:  # drawn when first read (Resources.areas)
        made["_pending"] = (areas, inp.cells.crs)
    out = Resources(**made)
    columns = {k: v for p in (*parts, *rparts) for k, v in p.columns.items()}
    return out, columns
