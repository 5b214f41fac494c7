"""The what-if engine: edit the facilities, see every standard change.

A :class:`WhatIf` holds a study's facilities and, per standard, a
:class:`~geo.whatif.nearest.NearestState` (minutes and nearest facility of every demand
point, kept exact) and a :class:`~geo.whatif.tally.CoverageTally` (covered people by
township and the change from the baseline). Edits, as a scenario file names them:

* :meth:`WhatIf.add` a facility (id, type from the facility-type table, lon/lat);
* :meth:`WhatIf.move` one, :meth:`WhatIf.close` one, :meth:`WhatIf.retype` one (an
  upgrade: it then counts for the standards that list its new type);
* :meth:`WhatIf.designate` one for a role (e.g. ``ems_station``): as in scenario files,
  a second facility ``<id>#<role>`` of type ``role`` at its place, so it counts for both.
  A twin that was closed (or whose designation was undone) is opened again, at its
  base's present place: the id is the facility's, reused.

Roads: :meth:`WhatIf.set_roads` puts the networks with roads closed or slowed in place
(:class:`Roads`: the scenario's ``close_road``/``slow_road`` actions and the networks they
make, which :mod:`geo.planning.road_changes` works out). Demand points and facilities join
the changed networks again (a place that stood on a closed road joins the nearest open
one) and every standard on a changed network is searched afresh, so the state equals
``geo compare`` of the same actions by construction; undo puts the earlier networks back.

Each edit is made of invertible steps (open, shut, move, retype a slot, set the roads), applied to
every standard whose eligible types the facility's old or new type is in; it returns an
:class:`Edit` naming, per standard, the demand points whose minutes or nearest facility
changed. :meth:`WhatIf.undo` applies the inverse steps, :meth:`WhatIf.redo` the steps
again: the state after an undo equals the state before the edit (tests).

Facilities are kept in *slots*, numbered in the order they first appear (the study's
facilities, then each new one): a tie in minutes goes to the smaller slot, so the state
always equals :func:`geo.routing.travel.nearest_facility` on the open facilities in slot
order, which is the order a scenario file's rows end in (additions at the end). A
closed facility keeps its slot (undo reopens it) and its id.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

from geo._types import FloatArray, IntArray
from geo.coverage.standards import Standard
from geo.coverage.tables import people_of
from geo.errors import WhatIfError
from geo.network.graph import Network
from geo.routing.travel import Snap, nearest_facility, snap_points
from geo.whatif.nearest import NearestState, concat_snaps
from geo.whatif.tally import CoverageTally, township_codes

__all__ = ["Edit", "Facility", "Roads", "Step", "WhatIf"]

log = logging.getLogger(__name__)

LonLat = tuple[float, float]


@dataclass(frozen=True)
class Roads:
    """The road closures and slowdowns in force, and the networks they make.

    ``actions``: the ``close_road``/``slow_road`` scenario actions, in order; ``networks``: the
    study's networks per mode with them applied (node and segment numbers unchanged);
    ``closed``: per mode, the segments closed.
    """

    actions: tuple[Mapping[str, object], ...]
    networks: Mapping[str, Network]
    closed: Mapping[str, npt.NDArray[np.bool_]]


@dataclass(frozen=True)
class Step:
    """One invertible change of one slot, or of the roads.

    Its kind is ``open``, ``shut``, ``move`` (``before`` and ``after``: lon/lat), ``retype``
    (``before`` and ``after``: types) or ``roads`` (``before`` and ``after``: :class:`Roads`;
    no slot, -1).
    """

    kind: str
    slot: int
    before: LonLat | str | Roads | None = None
    after: LonLat | str | Roads | None = None

    def inverse(self) -> Step:
        """Return the step that undoes this one."""
        if self.kind in ("open", "shut"):
            return Step("shut" if self.kind == "open" else "open", self.slot)
        return Step(self.kind, self.slot, self.after, self.before)


@dataclass(frozen=True)
class Facility:
    """One facility as the engine holds it (WGS84 position)."""

    id: str
    type: str
    lon: float
    lat: float
    open: bool = True


@dataclass(frozen=True)
class Edit:
    """What an edit (or an undo or redo) did.

    Attributes
    ----------
    action : str
        ``add``, ``move``, ``close``, ``retype``, ``designate``, or ``undo <action>`` /
        ``redo <action>``.
    ids : tuple of str
        The facilities it touched.
    changed : dict of str to int array
        Per standard, the demand points whose minutes or nearest facility changed.
    seconds : float
        Time the update took.
    """

    action: str
    ids: tuple[str, ...]
    changed: dict[str, IntArray]
    seconds: float


@dataclass
class _Logged:
    action: str
    ids: tuple[str, ...]
    steps: list[Step]


class WhatIf:
    """Incremental what-if state of a study (see the module docs).

    Parameters
    ----------
    networks : mapping of str to Network
        The study's network per mode (``drive``, ``walk``) its standards use.
    standards : sequence of Standard
        The standards to keep up to date (name, mode, direction, facility types, minutes).
    demand_lonlat : (n, 2) float array
        Demand points (WGS84).
    population : (n,) float array
    township : (n,) array of str
        Each point's township.
    facilities : sequence of Facility
        The study's facilities, in the study's order (their slots).
    access_kmh : mapping of str to float
        Access speed per mode (the study's ``[access]``).
    snap_exclude : tuple of str
        Road classes places never join (the study's ``access.snap_exclude``).
    known_types : collection of str, optional
        The facility-type table: types an edit may use (any, when not given).
    township_order : sequence of str, optional
        Townships in display order (the labels sorted, when not given).
    threads : int, optional
        Threads of the first, full searches.
    groups : mapping of str to (n,) float array, optional
        People per demand point of the study's population groups (group name -> people): a
        standard with a ``population_group`` counts that group's people instead of
        ``population`` (:func:`geo.coverage.tables.people_of`); the workbench's table
        tabulates each group (:class:`geo.serve.table.CoverageTable`).
    scopes : mapping of str to (n,) bool array, optional
        Per standard limited to township kinds, the points it applies to
        (:mod:`geo.coverage.kinds`): elsewhere its minutes are NaN and nobody is counted.
    """

    def __init__(self, networks: Mapping[str, Network], standards: Sequence[Standard],
                 demand_lonlat: FloatArray, population: FloatArray, township: npt.ArrayLike,
                 facilities: Sequence[Facility], *, access_kmh: Mapping[str, float],
                 snap_exclude: tuple[str, ...] = ("motorway",),
                 known_types: Collection[str] | None = None,
                 township_order: Sequence[str] | None = None,
                 threads: int | None = None,
                 groups: Mapping[str, FloatArray] | None = None,
                 scopes: Mapping[str, npt.NDArray[np.bool_]] | None = None) -> None:
        missing = sorted({s.mode for s in standards} - set(networks))
        if missing:
            raise WhatIfError(f"no network for modes {missing}: build the study's networks "
                              "for every mode its standards use")
        self.networks, self.exclude = dict(networks), tuple(snap_exclude)
        self.base_networks = dict(networks)
        self.access_kmh = {m: float(access_kmh[m]) for m in {s.mode for s in standards}}
        self.known_types = None if known_types is None else frozenset(known_types)
        self.standards = {s.name: s for s in standards}
        self._to_metric = {m: Transformer.from_crs("EPSG:4326", n.crs, always_xy=True)
                           for m, n in self.networks.items()}
        self.facilities: list[Facility] = []
        self._slot: dict[str, int] = {}
        self._places: dict[tuple[int, str], Snap] = {}
        for f in facilities:
            self._new_slot(f)
        lonlat = np.asarray(demand_lonlat, dtype=float).reshape(-1, 2)
        self._demand_xy = {m: self._metric(m, lonlat) for m in self.access_kmh}
        self.demand = {m: snap_points(self.networks[m], self._demand_xy[m],
                                      exclude_classes=self.exclude)
                       for m in self.access_kmh}
        self.base_demand = dict(self.demand)
        self.roads = Roads((), self.base_networks,
                           {m: np.zeros(len(n.seg_u), dtype=bool)
                            for m, n in self.base_networks.items()})
        self.states = {s.name: self._state(s, threads) for s in standards}
        self.code, self.townships = township_codes(township, township_order)
        self.groups = dict(groups or {})
        self.scopes = {n: np.asarray(m, dtype=bool) for n, m in (scopes or {}).items()}
        pop = np.asarray(population, dtype=float)
        self.tallies = {name: CoverageTally(self.code, len(self.townships),
                                            people_of(s, pop, self.groups),
                                            s.minutes, self.states[name].seconds,
                                            self.scopes.get(name))
                        for name, s in self.standards.items()}
        self._done: list[_Logged] = []
        self._undone: list[_Logged] = []

    def fork(self) -> WhatIf:
        """Return an independent engine in the present state with no undo history.

        Networks, demand points and standards shared (never changed), the state copied. Much faster
        than building one (no full search); a scenario load starts from a fork of the baseline.
        """
        new = copy.copy(self)
        new.networks, new.demand = dict(self.networks), dict(self.demand)
        new.facilities = list(self.facilities)
        new._slot, new._places = dict(self._slot), dict(self._places)
        new.states = {n: s.fork() for n, s in self.states.items()}
        new.tallies = {n: t.fork() for n, t in self.tallies.items()}
        new._done, new._undone = [], []
        return new

    # ------------------------------------------------------------------ places

    def _metric(self, mode: str, lonlat: FloatArray) -> FloatArray:
        x, y = self._to_metric[mode].transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])

    def facility_snaps(self, mode: str, base: bool = False) -> tuple[list[str], Snap]:
        """Return the open facilities' ids and where they join the network of ``mode``.

        On the network as it is now, or as the study built it (``base``: no road changed).
        """
        slots = [k for k, f in enumerate(self.facilities) if f.open]
        if not base:
            return ([self.facilities[k].id for k in slots],
                    concat_snaps([self._place(k, mode) for k in slots]))
        xy = self._metric(mode, np.array([[self.facilities[k].lon, self.facilities[k].lat]
                                          for k in slots], dtype=float).reshape(-1, 2))
        return ([self.facilities[k].id for k in slots],
                snap_points(self.base_networks[mode], xy, exclude_classes=self.exclude))

    def _place(self, slot: int, mode: str) -> Snap:
        """Find where facility ``slot`` joins the network of ``mode`` (kept until it moves)."""
        key = (slot, mode)
        if key not in self._places:
            f = self.facilities[slot]
            xy = self._metric(mode, np.array([[f.lon, f.lat]]))
            self._places[key] = snap_points(self.networks[mode], xy,
                                            exclude_classes=self.exclude)
        return self._places[key]

    def _new_slot(self, f: Facility) -> int:
        if f.id in self._slot:
            raise WhatIfError(f"facility id {f.id!r} is already used (open or closed): "
                              "pick a new id")
        self._check_type(f.type)
        if not (np.isfinite(f.lon) and np.isfinite(f.lat)):
            raise WhatIfError(f"facility {f.id!r} has no valid position ({f.lon}, {f.lat}): "
                              "give WGS84 longitude and latitude")
        self._slot[f.id] = len(self.facilities)
        self.facilities.append(f)
        return self._slot[f.id]

    def _check_type(self, ftype: str) -> None:
        if self.known_types is not None and ftype not in self.known_types:
            raise WhatIfError(f"facility type {ftype!r} is not in the facility-type table: "
                              f"use one of {sorted(self.known_types)}")

    def _eligible(self, std: Standard, slot: int) -> bool:
        f = self.facilities[slot]
        return f.open and f.type in std.facility_types

    def _state(self, std: Standard, threads: int | None) -> NearestState:
        places = {k: self._place(k, std.mode) for k in range(len(self.facilities))
                  if self._eligible(std, k)}
        return NearestState(self.networks[std.mode], self.demand[std.mode], places,
                            access_speed_kmh=self.access_kmh[std.mode],
                            direction=std.direction, threads=threads)

    # ------------------------------------------------------------------ steps

    def _apply(self, step: Step) -> None:
        """Apply one step to the facility table and to every standard it concerns."""
        kind, slot = step.kind, step.slot
        if kind == "roads" and isinstance(step.after, Roads):
            self._set_roads(step.after)
            return
        old = self.facilities[slot]
        if kind in ("open", "shut"):
            new = replace(old, open=kind == "open")
        elif kind == "move" and isinstance(step.after, tuple):
            new = replace(old, lon=step.after[0], lat=step.after[1])
            for mode in self.networks:
                self._places.pop((slot, mode), None)
        else:
            new = replace(old, type=str(step.after))
        self.facilities[slot] = new
        for name, std in self.standards.items():
            was, now = self._was_now(std, old, new)
            state = self.states[name]
            if was and (not now or kind == "move"):
                state.remove(slot)
            if now and (not was or kind == "move"):
                state.add(slot, self._place(slot, std.mode))

    def _set_roads(self, roads: Roads) -> None:
        """Put ``roads``' networks in place: places join them again, their standards searched."""
        modes = [m for m in self.networks if roads.networks[m] is not self.networks[m]]
        self.roads = roads
        for m in modes:
            self.networks[m] = roads.networks[m]
            self.demand[m] = self._demand_on(m, roads.closed[m])
            for key in [k for k in self._places if k[1] == m]:
                del self._places[key]
        for name, std in self.standards.items():
            if std.mode in modes:
                self.states[name] = self._state(std, None).succeed(self.states[name])

    def _demand_on(self, mode: str, closed: npt.NDArray[np.bool_]) -> Snap:
        """Return where the demand points join the network of ``mode`` with ``closed`` closed.

        Those on an open segment keep their join (only segments went away, so it stays the
        first nearest); those on a closed one join again, from the study network's search tree
        (:func:`snap_points` with ``closed``: as afresh on the network with them closed).
        """
        base = self.base_demand[mode]
        moved = np.flatnonzero(closed[base.seg])
        if len(moved) == 0:
            return base
        again = snap_points(self.base_networks[mode], self._demand_xy[mode][moved],
                            exclude_classes=self.exclude, closed=closed)
        out = Snap(base.xy.copy(), base.seg.copy(), base.t.copy(), base.access_m.copy())
        out.seg[moved], out.t[moved], out.access_m[moved] = again.seg, again.t, again.access_m
        return out

    @staticmethod
    def _was_now(std: Standard, old: Facility, new: Facility) -> tuple[bool, bool]:
        types = std.facility_types
        return old.open and old.type in types, new.open and new.type in types

    def _run(self, action: str, ids: tuple[str, ...], steps: list[Step]) -> Edit:
        t0 = time.perf_counter()
        for state in self.states.values():
            state.mark()
        for step in steps:
            self._apply(step)
        changed = {}
        for name, state in self.states.items():
            pts = state.changed_since_mark()
            self.tallies[name].update(pts, state.seconds[pts])
            changed[name] = pts
        dt = time.perf_counter() - t0
        log.debug("%s %s: %.1f ms", action, ids, dt * 1e3)
        return Edit(action, ids, changed, dt)

    def _edit(self, action: str, ids: tuple[str, ...], steps: list[Step]) -> Edit:
        edit = self._run(action, ids, steps)
        if steps:  # an edit that changes nothing (retype to the same type) is not logged
            self._done.append(_Logged(action, ids, steps))
            self._undone.clear()
        return edit

    def _open_slot(self, fid: str, what: str) -> int:
        slot = self._slot.get(fid)
        if slot is None:
            raise WhatIfError(f"{what}: no facility with id {fid!r}; open facilities: "
                              f"{[f.id for f in self.facilities if f.open][:20]}")
        if not self.facilities[slot].open:
            raise WhatIfError(f"{what}: facility {fid!r} is closed; undo the close first")
        return slot

    # ------------------------------------------------------------------ edits

    def add(self, fid: str, ftype: str, lon: float, lat: float) -> Edit:
        """Open a new facility of type ``ftype`` at WGS84 ``lon``, ``lat``."""
        slot = self._new_slot(Facility(str(fid), str(ftype), float(lon), float(lat), False))
        return self._edit("add", (str(fid),), [Step("open", slot)])

    def move(self, fid: str, lon: float, lat: float) -> Edit:
        """Move facility ``fid`` to WGS84 ``lon``, ``lat``."""
        slot = self._open_slot(fid, "move")
        f = self.facilities[slot]
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise WhatIfError(f"move {fid!r}: give a valid WGS84 position, got ({lon}, {lat})")
        return self._edit("move", (fid,), [Step("move", slot, (f.lon, f.lat),
                                                (float(lon), float(lat)))])

    def close(self, fid: str) -> Edit:
        """Close facility ``fid`` (undo reopens it)."""
        return self._edit("close", (fid,), [Step("shut", self._open_slot(fid, "close"))])

    def retype(self, fid: str, ftype: str) -> Edit:
        """Change facility ``fid``'s type (an upgrade).

        It leaves the standards that do not list the new type and joins those that do.
        """
        slot = self._open_slot(fid, "retype")
        self._check_type(ftype)
        old = self.facilities[slot].type
        return self._edit("retype", (fid,), [Step("retype", slot, old, str(ftype))]
                          if old != ftype else [])

    def designate(self, fid: str, role: str) -> Edit:
        """Give facility ``fid`` a role too (e.g. ``ems_station``).

        The role is a facility ``<fid>#<role>`` of type ``role`` at its place, as scenario files do.
        It is a facility of its own: moving or closing ``fid`` leaves it where it is.
        """
        base = self.facilities[self._open_slot(fid, "designate")]
        twin = f"{fid}#{role}"
        slot = self._slot.get(twin)
        if slot is None:
            slot = self._new_slot(Facility(twin, str(role), base.lon, base.lat, False))
            return self._edit("designate", (fid, twin), [Step("open", slot)])
        old = self.facilities[slot]
        if old.open:
            raise WhatIfError(f"designate: {fid!r} already has the role {role!r} (facility "
                              f"{twin!r} is open); close {twin!r} first to designate it anew")
        self._check_type(role)
        steps = []  # the closed twin comes back at its base's place, as a role
        if (old.lon, old.lat) != (base.lon, base.lat):
            steps.append(Step("move", slot, (old.lon, old.lat), (base.lon, base.lat)))
        if old.type != role:
            steps.append(Step("retype", slot, old.type, str(role)))
        steps.append(Step("open", slot))
        return self._edit("designate", (fid, twin), steps)

    def set_roads(self, roads: Roads, action: str = "close_road") -> Edit:
        """Close or slow roads: put ``roads`` (the actions in force and their networks) in place.

        ``roads.networks`` must have every mode of the engine, with the same nodes and segments
        (:func:`geo.planning.road_changes.change_roads` of the study's networks, which
        ``base_networks`` holds). Undo puts the present roads back.
        """
        missing = sorted(set(self.networks) - set(roads.networks))
        if missing:
            raise WhatIfError(f"{action}: no network for modes {missing}: change the roads of "
                              "every network of the engine")
        for m, net in roads.networks.items():
            if m in self.networks and len(net.seg_u) != len(self.base_networks[m].seg_u):
                raise WhatIfError(f"{action}: the {m} network has other segments than the "
                                  "study's: close or slow roads on the study's networks")
        return self._edit(action, (), [Step("roads", -1, self.roads, roads)])

    # ------------------------------------------------------------------ undo, redo

    def forget_oldest(self, n: int) -> None:
        """Drop the ``n`` oldest edits from the undo history (a bounded history)."""
        del self._done[:max(0, int(n))]

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._undone)

    def undo(self) -> Edit:
        """Take back the last edit: the state becomes what it was before it."""
        if not self._done:
            raise WhatIfError("nothing to undo")
        e = self._done.pop()
        out = self._run(f"undo {e.action}", e.ids, [s.inverse() for s in reversed(e.steps)])
        self._undone.append(e)
        return out

    def redo(self) -> Edit:
        """Make the last undone edit again."""
        if not self._undone:
            raise WhatIfError("nothing to redo")
        e = self._undone.pop()
        out = self._run(f"redo {e.action}", e.ids, e.steps)
        self._done.append(e)
        return out

    # ------------------------------------------------------------------ reading

    def minutes(self, standard: str) -> FloatArray:
        """Return minutes to (or from) the nearest eligible facility per demand point.

        NaN at points the standard does not apply to (outside its township kinds), as the
        study's own minutes (:mod:`geo.coverage.kinds`).
        """
        minutes = self.states[standard].seconds / 60.0
        if standard in self.scopes:
            return np.where(self.scopes[standard], minutes, np.nan)
        return minutes

    def nearest_ids(self, standard: str) -> npt.NDArray[np.object_]:
        """Return id of the nearest eligible facility per demand point (``None`` where none)."""
        ids = np.array([f.id for f in self.facilities] + [None], dtype=object)
        return ids[self.states[standard].nearest]  # -1 picks the trailing None

    def spot(self, standard: str, lon: float, lat: float) -> tuple[float, str | None]:
        """Return the minutes to (or from) the nearest eligible facility, and its id.

        From WGS84 ``lon``, ``lat``, as a demand point there would have; ``None`` where none
        reaches.
        """
        std = self.standards[standard]
        place = snap_points(self.networks[std.mode],
                            self._metric(std.mode, np.array([[lon, lat]], dtype=float)),
                            exclude_classes=self.exclude)
        secs, slot = self.states[standard].query(place)
        sid = int(slot[0])
        return float(secs[0]) / 60.0, (self.facilities[sid].id if sid >= 0 else None)

    def applicable(self, standard: str) -> bool:
        """Tell whether any open facility counts for the standard (else "not applicable").

        A standard whose township kinds no township of the study has is never applicable.
        """
        scope = self.scopes.get(standard)
        return bool(self.states[standard].places) and (scope is None or bool(scope.any()))

    def township_table(self, standard: str) -> dict[str, object]:
        """Tabulate the standard per township (``townships``, in order).

        The table holds the people, covered now and at the baseline, newly covered and lost (floats,
        people), and ``applicable``.
        """
        return {"townships": list(self.townships), "applicable": self.applicable(standard),
                **self.tallies[standard].people()}

    def rebase(self) -> None:
        """Make the present state the baseline of "newly covered" and "lost"."""
        for tally in self.tallies.values():
            tally.rebase()

    def full_rerun(self, standard: str) -> tuple[FloatArray, IntArray]:
        """Recompute seconds and nearest slot with a fresh :func:`nearest_facility`.

        It searches from the open eligible facilities in slot order: the state must equal its
        answer (tests, checks).
        """
        std = self.standards[standard]
        slots = np.array([k for k in range(len(self.facilities)) if self._eligible(std, k)],
                         dtype=np.int64)
        dem = self.demand[std.mode]
        if len(slots) == 0:
            return np.full(len(dem), np.inf), np.full(len(dem), -1, dtype=np.int64)
        fac = concat_snaps([self._place(int(k), std.mode) for k in slots])
        secs, idx = nearest_facility(self.networks[std.mode], fac, dem,
                                     access_speed_kmh=self.access_kmh[std.mode],
                                     direction=std.direction)
        return secs, np.where(idx >= 0, slots[np.maximum(idx, 0)], -1)
