"""One planner's workbench session: the what-if engine, its coverage table, undo and redo.

A :class:`Session` wraps a :class:`geo.whatif.WhatIf` (not thread-safe) behind one lock:
every public method takes it, so requests served on several threads change the state one
at a time. Each edit either happens whole or not at all: the engine checks an edit (ids,
types, positions) before it changes anything, and the session records names and the undo
entry only after the engine succeeded, so a refused request leaves the state as it was
(tests). Loading a scenario builds a new engine from the study and replaces the present
one only when every action applied; undoing the load brings the earlier one back.

Every edit answers with what changed (:meth:`Session.update`): per standard the demand
points whose minutes changed and their travel-time band, the coverage tables, the
facilities touched and the undo/redo state, never the whole grid.

State that cannot be wrong:

* **a version number**: every change of the state (an edit, undo, redo, a load, new
  proposals) counts ``version`` up, and every answer carries it; an edit
  that names the version it was made on is refused when that is not the present one
  (:class:`~geo.errors.StaleError`: another tab changed the session; the page reloads);
* **the study area**: a facility added or moved more than
  :data:`geo.settings.OUTSIDE_TOLERANCE_M` outside the study area is refused with the
  words ``geo compare`` uses, unless the edit says ``outside`` (kept, and written
  ``outside = true`` in the saved scenario, which ``geo compare`` accepts) or the study
  keeps such facilities (``[facilities] outside = "keep"``);
* **a bounded undo history**: at most :data:`UNDO_STEPS` steps, of which at most
  :data:`UNDO_LOADS` scenario loads (each keeps a whole state); older ones are
  forgotten, and :meth:`Session.history` says how many.

A scenario load starts from a fork of the baseline engine (:meth:`WhatIf.fork`, no full
search) and applies the scenario's actions as edits.

Roads: :meth:`Session.close_road` closes the stretch of road nearest a clicked place (a
``close_road`` action with its ``lon``/``lat``, which the saved scenario holds and ``geo
compare`` reads to the same segments); a loaded scenario's ``close_road``/``slow_road``
actions apply too. Every answer carries ``roads``: the closed and slowed roads (lines to
draw, what each did) and which facilities and demand points joined another road
(:func:`geo.planning.road_changes.resnap_notes`, the notes ``geo compare`` writes).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._types import FloatArray, IntArray
from geo.errors import ServeError, SitingError, StaleError, WhatIfError
from geo.outputs import i18n
from geo.planning.scenario import AreaDistance, outside_what, scenario_toml
from geo.serve.changes import (
    apply_actions,
    net_actions,
    road_lines,
    road_notes,
    set_roads,
    twin_name,
)
from geo.serve.jobs import Jobs, Progress
from geo.serve.layers import band_codes
from geo.serve.table import CoverageTable
from geo.whatif import Edit, Facility, Roads, WhatIf, from_study

if TYPE_CHECKING:
    from geo.serve.suggest import Suggester
    from geo.study.run import ComputedStudy

__all__ = ["UNDO_LOADS", "UNDO_STEPS", "Session"]

#: the undo history keeps at most this many steps ...
UNDO_STEPS = 200
#: ... of which at most this many scenario loads (each keeps a whole engine state)
UNDO_LOADS = 5


@dataclass
class _State:
    """What a scenario load replaces: the engine, its table, names, the scenario's head."""

    engine: WhatIf
    table: CoverageTable
    names: dict[str, str]
    scenario: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Entry:
    """One step of the undo log.

    ``edits`` engine edits of ``engine``, or a swap of the whole state; ``change``: what the page
    lists (kind, facilities, where).
    """

    label: str
    edits: int = 0
    swap: _State | None = None
    engine: WhatIf | None = None
    change: dict[str, Any] = field(default_factory=dict)


class Session:
    """The state of one workbench (see module docs).

    Parameters
    ----------
    engine : WhatIf
        The engine, at the baseline (no edit made yet).
    population : (n,) float array
        People per demand point, as the study has them.
    area_name : str
        Name of the whole-area row of the tables.
    names : mapping of str to str, optional
        Facility names by id (the id where missing).
    study : ComputedStudy, optional
        The computed study: needed to suggest sites, load and export scenarios.
    language : str
        ``zh`` or ``en``: names of new facilities.
    """

    def __init__(self, engine: WhatIf, population: FloatArray, *, area_name: str,
                 names: dict[str, str] | None = None, study: ComputedStudy | None = None,
                 language: str = "zh") -> None:
        self.lock = threading.Lock()
        self.population = np.asarray(population, dtype=float)
        self.area_name, self.study, self.language = area_name, study, language
        self.start: list[Facility] = list(engine.facilities)
        self.study_names = dict(names or {})
        self._pristine = engine.fork()  # the baseline, never edited: loads start from it
        self._s = _State(engine, CoverageTable(engine, self.population, area_name),
                         dict(self.study_names))
        self._undo: list[_Entry] = []
        self._redo: list[_Entry] = []
        self._counter = 0  # new facility ids, never reused
        self._asked = 0  # suggestion rounds
        self.proposals: list[dict[str, Any]] = []
        self.suggest_notes: dict[str, Any] = {}
        self.version = 0
        self.forgotten = 0  # undo steps dropped by the bound
        self.jobs = Jobs()
        self.area = AreaDistance(study.area) if study is not None else None
        self.keep_outside = study is not None and study.study.facilities.outside == "keep"
        self._suggester: Suggester | None = None
        self._towns: tuple[Any, list[str]] | None = None
        self._road_lines: tuple[Roads, list[dict[str, Any]]] | None = None

    @classmethod
    def from_study(cls, result: ComputedStudy) -> Session:
        """Open a session on a computed study.

        The study is one :func:`geo.study.run.run_study` computed, or a reloaded run.
        """
        fac = result.facilities
        names = dict(zip(fac["id"].astype(str), fac["name"].astype(str), strict=True))
        return cls(from_study(result), result.population, area_name=result.area_name,
                   names=names, study=result, language=result.study.language)

    @property
    def engine(self) -> WhatIf:
        """The what-if engine of the present state."""
        return self._s.engine

    @property
    def names(self) -> dict[str, str]:
        """Facility names by id, placed facilities included."""
        return self._s.names

    @property
    def scenario(self) -> dict[str, Any]:
        """Name, title, description and left-out projects of the loaded scenario."""
        return self._s.scenario

    # ------------------------------------------------------------------ reading

    def facility(self, f: Facility) -> dict[str, Any]:
        """One facility for the page (``outside``: kept outside the study area)."""
        return {"id": f.id, "name": self.names.get(f.id, f.id), "type": f.type,
                "lon": f.lon, "lat": f.lat, "open": f.open,
                "new": f.id not in self.study_names,
                "outside": self.area is not None and self.area.outside(f.lon, f.lat)}

    def history(self) -> dict[str, Any]:
        """Undo and redo: the last of each.

        And every step (oldest first; ``done``: in the undo list, else undone and in the redo list)
        with what it changed.
        """
        steps = [{"n": k + 1, "label": e.label, **e.change, "done": True}
                 for k, e in enumerate(self._undo)]
        n = len(self._undo)
        steps += [{"n": n + k + 1, "label": e.label, **e.change, "done": False}
                  for k, e in enumerate(reversed(self._redo))]
        return {"can_undo": bool(self._undo), "can_redo": bool(self._redo),
                "undo": self._undo[-1].label if self._undo else None,
                "redo": self._redo[-1].label if self._redo else None,
                "steps": n, "list": steps, "forgotten": self.forgotten,
                "limit": {"steps": UNDO_STEPS, "loads": UNDO_LOADS}}

    def tables(self) -> dict[str, Any]:
        """Return the coverage table's rows per standard."""
        return {name: self._s.table.rows(name) for name in self.engine.standards}

    def group_tables(self) -> dict[str, Any]:
        """Return each population group's rows per standard (empty without groups)."""
        table = self._s.table
        return {g: {name: table.rows(name, g) for name in self.engine.standards}
                for g in table.groups}

    def state(self) -> dict[str, Any]:
        """Return the whole present state (what the page loads; after a scenario load)."""
        with self.lock:
            return self._state_unlocked()

    def _state_unlocked(self) -> dict[str, Any]:
        return {"kind": "state", "facilities": [self.facility(f) for f in self.engine.facilities],
                "bands": {n: band_codes(self.engine.minutes(n)) for n in self.engine.standards},
                "tables": self.tables(), "group_tables": self.group_tables(),
                "history": self.history(), "roads": self.roads(),
                "proposals": self.proposals, "suggest_notes": self.suggest_notes,
                "scenario": self.scenario, "version": self.version}

    def roads(self) -> dict[str, Any]:
        """Return the roads closed or slowed (lines to draw) and the places that joined others."""
        roads = self.engine.roads
        if self._road_lines is None or self._road_lines[0] is not roads:
            self._road_lines = (roads, road_lines(self.engine))
        notes = road_notes(self.engine, self.names, self.population)
        # the notes geo compare writes, and as the page shows them (glossed in Chinese)
        changes = [{**c, "shown": i18n.change_detail(c["action"], c["detail"], self.language)}
                   for c in self._road_lines[1]]  # as geo compare writes them, and as shown
        return {"changes": changes, "notes": notes,
                "shown": [i18n.note(n, self.language) for n in notes]}

    def present(self) -> dict[str, Any]:
        """Return the present state's tables and open facilities (one side of a side-by-side).

        With each population group's tables too (:meth:`group_tables`).
        """
        with self.lock:
            return {"tables": self.tables(), "group_tables": self.group_tables(),
                    "facilities": [self.facility(f) for f in self.engine.facilities if f.open],
                    "scenario": self.scenario}

    def tables_of(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        """Return the tables (whole population, each group) and open facilities with ``actions``.

        ``actions``: a scenario already checked against the study. Worked on a fork of the
        baseline: the session's state is not touched.
        """
        with self.lock:
            self.need_study("comparing scenarios")
            engine = self._pristine.fork()
        names = dict(self.study_names)
        table = CoverageTable(engine, self.population, self.area_name)
        edits = apply_actions(engine, actions, names)
        changed: dict[str, IntArray] = {}
        for name in engine.standards:
            parts = [e.changed[name] for e in edits if name in e.changed]
            changed[name] = (np.unique(np.concatenate(parts)) if parts
                             else np.zeros(0, dtype=np.int64))
        table.update(changed)
        return {"tables": {n: table.rows(n) for n in engine.standards},
                "group_tables": {g: {n: table.rows(n, g) for n in engine.standards}
                                 for g in table.groups},
                "facilities": [{"id": f.id, "name": names.get(f.id, f.id), "type": f.type,
                                "lon": f.lon, "lat": f.lat, "open": True}
                               for f in engine.facilities if f.open]}

    def check_version(self, version: int | None) -> None:
        """Refuse an edit made on another version than the present (see module docs)."""
        if version is not None and version != self.version:
            raise StaleError(f"the workbench changed since this page last saw it (version "
                             f"{version}, now {self.version}): another tab or colleague "
                             "edited it; reload the page to see the present state")

    def _bump(self) -> None:
        self.version += 1

    def update(self, label: str, edits: list[Edit]) -> dict[str, Any]:
        """Report what ``edits`` changed, for the page (and bring the table up to date)."""
        changed: dict[str, IntArray] = {}
        for name in self.engine.standards:
            parts = [e.changed[name] for e in edits if name in e.changed]
            changed[name] = (np.unique(np.concatenate(parts)) if parts
                             else np.zeros(0, dtype=np.int64))
        self._s.table.update(changed)
        ids = list(dict.fromkeys(i for e in edits for i in e.ids))
        touched = set(ids)
        facs = [self.facility(f) for f in self.engine.facilities if f.id in touched]
        cells = {}
        for name, idx in changed.items():
            minutes = self.engine.states[name].seconds[idx] / 60.0
            cells[name] = {"idx": idx.tolist(), "band": band_codes(minutes)}
        self._bump()
        return {"kind": "update", "action": label, "ids": ids, "facilities": facs,
                "engine_ms": 1e3 * sum(e.seconds for e in edits), "cells": cells,
                "tables": self.tables(), "group_tables": self.group_tables(),
                "history": self.history(), "roads": self.roads(), "version": self.version}

    # ------------------------------------------------------------------ edits

    def _change(self, label: str, ids: list[str]) -> dict[str, Any]:
        """Describe what a step did, for the page's list: its facilities and their places."""
        facs = {f.id: f for f in self.engine.facilities}
        out = [{"id": i, "name": self.names.get(i, i), "type": facs[i].type,
                "lon": facs[i].lon, "lat": facs[i].lat} for i in ids if i in facs]
        return {"kind": label, "facilities": out}

    def _done(self, label: str, edits: list[Edit], road: str | None = None) -> dict[str, Any]:
        """Log ``edits`` (each one the engine logged) as one undoable step.

        ``road``: what a road closure did, for the page's list.
        """
        ids = list(dict.fromkeys(i for e in edits for i in e.ids))
        change = self._change(label, ids)
        if road is not None:
            change["road"] = road
        self._push(_Entry(label, len(edits), engine=self.engine, change=change))
        return self.update(label, edits)

    def _push(self, entry: _Entry) -> None:
        """Add a step to the undo list, the redo list cleared, the history bounded."""
        self._undo.append(entry)
        self._redo.clear()
        loads = sum(e.swap is not None for e in self._undo)
        drop = max(0, len(self._undo) - UNDO_STEPS)
        while loads > UNDO_LOADS:  # forget up to the oldest load (its whole state)
            k = next(i for i, e in enumerate(self._undo) if e.swap is not None)
            drop = max(drop, k + 1)
            loads -= 1
        for e in self._undo[:drop]:
            if e.engine is not None:  # its engine forgets the edits as well
                e.engine.forget_oldest(e.edits)
        del self._undo[:drop]
        self.forgotten += drop

    def _check_place(self, what: str, fid: str, lon: float, lat: float,
                     outside: bool) -> None:
        """Refuse a place outside the study area unless the edit keeps it there."""
        if self.area is None or outside or self.keep_outside:
            return
        if self.area.outside(lon, lat):
            words = outside_what(what, fid, lon, lat, self.area.km(lon, lat))
            raise WhatIfError(f"{words}: check where you placed it, or keep it outside the "
                              "county on purpose (the page's \"outside the county\" choice; "
                              "outside = true on the action in the saved scenario, which geo "
                              "compare accepts)")

    def _check_type(self, ftype: str) -> None:
        if self.study is not None:  # the CLI's check and message
            self.study.standard_set.check_facility_types([ftype])

    def _new_id(self) -> tuple[str, int]:
        """Return the next new facility id and its number.

        Taken only once the add succeeded, so a refused add leaves the numbering as it was.
        """
        used = {f.id for f in self.engine.facilities}
        n = self._counter
        while True:
            n += 1
            fid = f"NEW-{n:03d}"
            if fid not in used:
                return fid, n

    def add(self, ftype: str, lon: float, lat: float, name: str | None = None, *,
            outside: bool = False, version: int | None = None) -> dict[str, Any]:
        """Open a new facility of ``ftype`` at WGS84 ``lon``, ``lat`` (a fresh id).

        ``outside``: keep it even outside the study area.
        """
        with self.lock:
            self.check_version(version)
            return self._add(ftype, lon, lat, name, outside)

    def _add(self, ftype: str, lon: float, lat: float, name: str | None,
             outside: bool = False) -> dict[str, Any]:
        self._check_type(ftype)
        fid, n = self._new_id()
        self._check_place("add", fid, lon, lat, outside)
        edit = self.engine.add(fid, ftype, lon, lat)
        self._counter = n
        self.names[fid] = name or i18n.text("wb_new_name", self.language, n=n,
                                            type=i18n.type_label(ftype, self.language))
        return self._done("add", [edit])

    def move(self, fid: str, lon: float, lat: float, *, outside: bool = False,
             version: int | None = None) -> dict[str, Any]:
        """Move facility ``fid`` to WGS84 ``lon``, ``lat`` (``outside``: as for add)."""
        with self.lock:
            self.check_version(version)
            self._check_place("move", fid, lon, lat, outside)
            return self._done("move", [self.engine.move(fid, lon, lat)])

    def close(self, fid: str, *, version: int | None = None) -> dict[str, Any]:
        """Close facility ``fid``."""
        with self.lock:
            self.check_version(version)
            return self._done("close", [self.engine.close(fid)])

    def close_road(self, lon: float, lat: float, *,
                   version: int | None = None) -> dict[str, Any]:
        """Close the stretch of road nearest WGS84 ``lon``, ``lat``, between its junctions.

        A ``close_road`` action with ``lon``/``lat``, as the saved scenario writes it; undo opens it
        again. A road already closed there is refused (undo its closure instead).
        """
        with self.lock:
            self.check_version(version)
            action = {"action": "close_road", "lon": float(lon), "lat": float(lat)}
            edit, detail = set_roads(self.engine, action, refuse_closed=True)
            return self._done("close_road", [edit],
                              road=i18n.change_detail("close_road", detail, self.language))

    def retype(self, fid: str, ftype: str, *, version: int | None = None) -> dict[str, Any]:
        """Change facility ``fid``'s type (an upgrade)."""
        with self.lock:
            self.check_version(version)
            self._check_type(ftype)
            same = any(f.id == fid and f.open and f.type == ftype for f in self.engine.facilities)
            edit = self.engine.retype(fid, ftype)
            if same:  # no change: the engine logs nothing, so neither does the session
                return self.update("retype", [edit])
            return self._done("retype", [edit])

    def designate(self, fid: str, role: str, *, version: int | None = None) -> dict[str, Any]:
        """Give facility ``fid`` a role too.

        A twin ``<fid>#<role>`` of type ``role``; a closed or undone twin is opened again at
        ``fid``'s place.
        """
        with self.lock:
            self.check_version(version)
            self._check_type(role)
            edit = self.engine.designate(fid, role)
            self.names[f"{fid}#{role}"] = twin_name(self.names.get(fid, fid), role)
            return self._done("designate", [edit])

    def undo(self, *, version: int | None = None) -> dict[str, Any]:
        """Take back the last step (an edit, an accepted site or a scenario load)."""
        with self.lock:
            self.check_version(version)
            return self._undo_one()

    def _undo_one(self) -> dict[str, Any]:
        if not self._undo:
            raise WhatIfError("nothing to undo" + (
                f" (the history keeps the last {UNDO_STEPS} steps and {UNDO_LOADS} loaded "
                f"scenarios; {self.forgotten} older steps were forgotten)"
                if self.forgotten else ""))
        e = self._undo.pop()
        self._redo.append(e)
        return self._replay(e, self.engine.undo, "undo")

    def redo(self, *, version: int | None = None) -> dict[str, Any]:
        """Make the last undone step again."""
        with self.lock:
            self.check_version(version)
            if not self._redo:
                raise WhatIfError("nothing to redo")
            e = self._redo.pop()
            self._undo.append(e)
            return self._replay(e, self.engine.redo, "redo")

    def undo_to(self, steps: int, *, version: int | None = None) -> dict[str, Any]:
        """Undo (or redo) until ``steps`` steps are done.

        Back to that point of the history list (:meth:`history`); one answer, the whole state.
        """
        with self.lock:
            self.check_version(version)
            total = len(self._undo) + len(self._redo)
            if not 0 <= steps <= total:
                raise WhatIfError(f"the history has {total} steps: give a point from 0 (the "
                                  f"study as it is) to {total}")
            while len(self._undo) > steps:
                self._undo_one()
            while len(self._undo) < steps:
                e = self._redo.pop()
                self._undo.append(e)
                self._replay(e, self.engine.redo, "redo")
            return self._state_unlocked()

    def _replay(self, e: _Entry, step: Any, word: str) -> dict[str, Any]:
        if e.swap is not None:
            e.swap, self._s = self._s, e.swap
            self._bump()
            return self._state_unlocked()
        return self.update(f"{word} {e.label}", [step() for _ in range(e.edits)])

    # ------------------------------------------------------------------ reading a spot

    def spot(self, lon: float, lat: float) -> dict[str, Any]:
        """Tell what the page shows of a clicked place.

        Its township (people, and per standard the covered share) and per standard the minutes to
        the nearest facility from there and which facility, as a demand point there would have.
        """
        with self.lock:
            town = self._township_at(lon, lat)
            out: dict[str, Any] = {"kind": "spot", "lon": lon, "lat": lat, "township": town,
                                   "standards": {}}
            for name in self.engine.standards:
                minutes, fid = self.engine.spot(name, lon, lat)
                row = next((r for r in self._s.table.rows(name)["rows"]
                            if r["township"] == town), None)
                out["standards"][name] = {
                    "minutes": round(minutes, 1) if np.isfinite(minutes) else None,
                    "facility": fid, "facility_name": self.names.get(fid, fid) if fid else None,
                    "population": row["population"] if row else None,
                    "covered": row["covered"] if row else None,
                    "share": row["share"] if row else None,
                    "meets": row["meets"] if row else None}
            if self.area is not None:
                out["outside_km"] = round(self.area.km(lon, lat), 2)
            return out

    def _township_at(self, lon: float, lat: float) -> str | None:
        if self.study is None:
            return None
        if self._towns is None:
            import shapely

            towns = self.study.townships.to_crs(4326)
            geoms = towns.geometry.to_numpy()
            shapely.prepare(geoms)
            self._towns = (geoms, towns["township"].astype(str).tolist())
        geoms, names = self._towns
        import shapely

        hit = np.flatnonzero(shapely.contains_xy(geoms, lon, lat))
        return names[int(hit[0])] if len(hit) else None

    # ------------------------------------------------------------------ suggestions

    def need_study(self, what: str) -> ComputedStudy:
        """Return the computed study, or stop: ``what`` needs it and the server has none."""
        if self.study is None:
            raise ServeError(f"{what} needs the computed study: start the workbench with "
                             "`geo serve STUDY`")
        return self.study

    @property
    def suggester(self) -> Suggester:
        """Candidates and reach matrices made once (:mod:`geo.serve.suggest`)."""
        from geo.serve.suggest import Suggester

        study = self.need_study("suggesting sites")
        if self._suggester is None:
            self._suggester = Suggester(study)
        return self._suggester

    def suggest(self, standard: str, k: int, model: str,
                ftype: str | None = None) -> dict[str, Any]:
        """Propose ``k`` new sites for ``standard`` (``mclp``, ``lscp``, ``pmedian``).

        The open facilities (existing and placed) kept fixed; each may be accepted (:meth:`accept`,
        a plain add) or rejected. Waits for the answer (scripts); the page runs it as a background
        job (:meth:`start_suggest`).
        """
        job = self.start_suggest(standard, k, model, ftype)
        st = self.jobs.wait(job["id"])
        if st["state"] == "failed":
            raise self.jobs.current.error if self.jobs.current and \
                self.jobs.current.error else ServeError("the suggestion failed")
        if st["state"] != "done":
            raise ServeError(f"the suggestion was {st['state']}: ask again")
        return dict(st["result"])

    def start_suggest(self, standard: str, k: int, model: str,
                      ftype: str | None = None) -> dict[str, Any]:
        """Start a suggestion as a background job (see :meth:`suggest`); its status."""
        with self.lock:
            study = self.need_study("suggesting sites")
            std = study.standard(standard)
            ftype = ftype or std.facility_types[0]
            self._check_type(ftype)
            if ftype not in std.facility_types:
                raise SitingError(f"a new {ftype} would not count for {standard}: choose "
                                  f"one of its types {list(std.facility_types)}")
            if self.engine.roads.actions:  # a close_road or slow_road in force
                # the candidate sites' reach is the study's intact roads': with a road closed
                # or slowed their numbers would be wrong
                raise SitingError("suggestions are worked out on the study's roads as built, "
                                  "and a road is closed or slowed now: undo the road changes "
                                  "to ask for sites (geo compare of the exported scenario "
                                  "gives the coverage with the roads closed)")
            existing = self.engine.states[standard].seconds.copy()
            version, asked = self.version, self._asked
            self._asked += 1
        suggester = self.suggester

        def work(progress: Progress) -> dict[str, Any]:
            t0 = time.perf_counter()
            run = suggester.solve(standard, k, model, existing, progress)
            progress.stage("alternatives", 0.95)
            where = run.candidates.geometry.iloc[run.result.chosen]  # exact, not rounded
            res = run.result
            props = [
                {"key": f"{model}-{asked}-{r['rank']}", "rank": int(r["rank"]),
                 "standard": standard, "type": ftype, "model": model,
                 "lon": float(g.x), "lat": float(g.y), "township": str(r["township"]),
                 "newly_covered": float(r["newly_covered_population"]),
                 "cumulative_share": float(r["cumulative_covered_share"])}
                for r, g in zip(run.table.to_dict("records"), where, strict=True)]
            notes = {"model": model, "standard": standard, "asked": k,
                     "sites": len(props), "status": res.status, "gap": float(res.gap),
                     "target": float(std.target_share), "method": res.method,
                     "share": float(res.covered_share[-1]) if len(props) else
                     (res.base_covered / res.total if res.total > 0 else None),
                     "notes": list(run.notes), "seconds": time.perf_counter() - t0}
            with self.lock:
                progress.check()
                if self.version != version:
                    raise ServeError("the workbench changed while the sites were being "
                                     "worked out (an edit, undo or load): ask again for "
                                     "sites that fit the present state")
                self.proposals, self.suggest_notes = props, notes
                self._bump()
                return {"kind": "proposals", "proposals": props, "notes": run.notes,
                        "suggest_notes": notes, "version": self.version,
                        "seconds": notes["seconds"]}

        return self.jobs.start("suggest", work)

    def _proposal(self, key: str) -> dict[str, Any]:
        for p in self.proposals:
            if p["key"] == key:
                return p
        raise ServeError(f"no proposed site {key!r}: ask for new suggestions "
                         f"(open proposals: {[p['key'] for p in self.proposals]})")

    def accept(self, key: str, *, version: int | None = None) -> dict[str, Any]:
        """Add proposed site ``key`` as a new facility (undo takes it back)."""
        with self.lock:
            self.check_version(version)
            p = self._proposal(key)
            name = i18n.text("wb_proposal", self.language, rank=p["rank"])
            out = self._add(p["type"], p["lon"], p["lat"], name)
            self.proposals = [q for q in self.proposals if q["key"] != key]
            out["proposals"] = self.proposals
            return out

    def reject(self, key: str, *, version: int | None = None) -> dict[str, Any]:
        """Drop proposed site ``key``."""
        with self.lock:
            self.check_version(version)
            self._proposal(key)
            self.proposals = [q for q in self.proposals if q["key"] != key]
            self._bump()
            return {"kind": "proposals", "proposals": self.proposals, "version": self.version}

    # ------------------------------------------------------------------ scenarios

    def load(self, actions: list[dict[str, Any]], head: dict[str, Any], *,
             version: int | None = None) -> dict[str, Any]:
        """Replace the state by the study with ``actions`` applied.

        The actions are a scenario's, already checked against the study; undo brings the
        present state back.
        """
        with self.lock:
            self.check_version(version)
            self.need_study("loading a scenario")
            engine = self._pristine.fork()
            new = _State(engine, CoverageTable(engine, self.population, self.area_name),
                         dict(self.study_names), dict(head))
            edits = apply_actions(engine, actions, new.names)  # on error: new is dropped
            engine.forget_oldest(len(edits))  # the load is one step: the swap below
            old, self._s = self._s, new
            self.update("load", edits)
            self._push(_Entry(f"load {head.get('name', '')}".strip(), swap=old,
                              change={"kind": "load", "facilities": [],
                                      "scenario": str(head.get("name", ""))}))
            self.proposals = []
            return self._state_unlocked()

    def scenario_text(self, name: str, title: str, source: str) -> str:
        """Write the net change from the study as a scenario file; ``source`` names the study.

        See :func:`geo.serve.changes.net_actions`.
        """
        with self.lock:
            return self._scenario_text(name, title, source)

    def _scenario_text(self, name: str, title: str, source: str) -> str:
        outside = self.area.outside if self.area is not None else None
        actions = net_actions(self.start, self.engine.facilities, self.names, outside,
                              roads=self.engine.roads.actions)
        head = self.scenario
        note = (f"Written by geo serve on {time.strftime('%Y-%m-%d %H:%M')}: the net change "
                f"from the study {source}, in the order that reproduces the workbench's state "
                "(ties go to the facility listed first). Compare it with the study: geo "
                f"compare {source} --scenario THIS_FILE --out DIR")
        return scenario_toml(name, title or name, actions,
                             description=str(head.get("description", "")),
                             source=f"geo serve {source}",
                             left_out=list(head.get("left_out", [])), comment=[note])

    def export(self, out_dir: Path, name: str, title: str, source: str) -> dict[str, Any]:
        """Write the present state as a scenario file and its ``geo compare`` folder.

        Written in ``out_dir`` (see :func:`geo.serve.export.write_export`); waits for it.
        """
        job = self.start_export(out_dir, name, title, source)
        st = self.jobs.wait(job["id"])
        if st["state"] == "failed" and self.jobs.current and self.jobs.current.error:
            raise self.jobs.current.error
        if st["state"] != "done":
            raise ServeError(f"the export was {st['state']}: export again")
        return dict(st["result"])

    def start_export(self, out_dir: Path, name: str, title: str,
                     source: str) -> dict[str, Any]:
        """Start an export as a background job (the state as it is now); its status."""
        from geo.serve.export import write_export

        with self.lock:
            study = self.need_study("exporting")
            text = self._scenario_text(name, title, source)
            tables = self.tables()
            version = self.version

        def work(progress: Progress) -> dict[str, Any]:
            out = write_export(study, out_dir, text, tables, source, progress)
            out["version"] = version
            return out

        return self.jobs.start("export", work)
