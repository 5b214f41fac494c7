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
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from geo._types import FloatArray, IntArray
from geo.errors import ServeError, SitingError, WhatIfError
from geo.outputs import i18n
from geo.planning.scenario import scenario_toml
from geo.serve.changes import apply_actions, net_actions, twin_name
from geo.serve.layers import band_codes
from geo.serve.table import CoverageTable
from geo.whatif import Edit, Facility, WhatIf, from_study

if TYPE_CHECKING:
    from geo.study.run import ComputedStudy

__all__ = ["Session"]


@dataclass
class _State:
    """What a scenario load replaces: the engine, its table, names, the scenario's head."""

    engine: WhatIf
    table: CoverageTable
    names: dict[str, str]
    scenario: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Entry:
    """One step of the undo log: ``edits`` engine edits, or a swap of the whole state."""

    label: str
    edits: int = 0
    swap: _State | None = None


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
        self._s = _State(engine, CoverageTable(engine, self.population, area_name),
                         dict(self.study_names))
        self._undo: list[_Entry] = []
        self._redo: list[_Entry] = []
        self._counter = 0  # new facility ids, never reused
        self._asked = 0  # suggestion rounds
        self.proposals: list[dict[str, Any]] = []

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
        """Return one facility for the page."""
        return {"id": f.id, "name": self.names.get(f.id, f.id), "type": f.type,
                "lon": f.lon, "lat": f.lat, "open": f.open,
                "new": f.id not in self.study_names}

    def history(self) -> dict[str, Any]:
        """Return what undo and redo would do, and the number of steps done."""
        return {"can_undo": bool(self._undo), "can_redo": bool(self._redo),
                "undo": self._undo[-1].label if self._undo else None,
                "redo": self._redo[-1].label if self._redo else None,
                "steps": len(self._undo)}

    def tables(self) -> dict[str, Any]:
        """Return the coverage table's rows per standard."""
        return {name: self._s.table.rows(name) for name in self.engine.standards}

    def state(self) -> dict[str, Any]:
        """Return the whole present state (what the page loads; after a scenario load)."""
        with self.lock:
            return self._state_unlocked()

    def _state_unlocked(self) -> dict[str, Any]:
        return {"kind": "state", "facilities": [self.facility(f) for f in self.engine.facilities
                                                if f.open],
                "bands": {n: band_codes(self.engine.minutes(n)) for n in self.engine.standards},
                "tables": self.tables(), "history": self.history(),
                "proposals": self.proposals, "scenario": self.scenario}

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
        return {"kind": "update", "action": label, "ids": ids, "facilities": facs,
                "engine_ms": 1e3 * sum(e.seconds for e in edits), "cells": cells,
                "tables": self.tables(), "history": self.history()}

    # ------------------------------------------------------------------ edits

    def _done(self, label: str, edits: list[Edit]) -> dict[str, Any]:
        """Log ``edits`` (each one the engine logged) as one undoable step."""
        self._undo.append(_Entry(label, len(edits)))
        self._redo.clear()
        return self.update(label, edits)

    def _check_type(self, ftype: str) -> None:
        if self.study is not None:  # the CLI's check and message
            self.study.standard_set.check_facility_types([ftype])

    def _new_id(self) -> str:
        used = {f.id for f in self.engine.facilities}
        while True:
            self._counter += 1
            fid = f"NEW-{self._counter:03d}"
            if fid not in used:
                return fid

    def add(self, ftype: str, lon: float, lat: float, name: str | None = None) -> dict[str, Any]:
        """Open a new facility of ``ftype`` at WGS84 ``lon``, ``lat`` (a fresh id)."""
        with self.lock:
            return self._add(ftype, lon, lat, name)

    def _add(self, ftype: str, lon: float, lat: float, name: str | None) -> dict[str, Any]:
        self._check_type(ftype)
        fid = self._new_id()
        edit = self.engine.add(fid, ftype, lon, lat)
        self.names[fid] = name or i18n.text("wb_new_name", self.language, n=self._counter,
                                            type=i18n.type_label(ftype, self.language))
        return self._done("add", [edit])

    def move(self, fid: str, lon: float, lat: float) -> dict[str, Any]:
        """Move facility ``fid`` to WGS84 ``lon``, ``lat``."""
        with self.lock:
            return self._done("move", [self.engine.move(fid, lon, lat)])

    def close(self, fid: str) -> dict[str, Any]:
        """Close facility ``fid``."""
        with self.lock:
            return self._done("close", [self.engine.close(fid)])

    def retype(self, fid: str, ftype: str) -> dict[str, Any]:
        """Change facility ``fid``'s type (an upgrade)."""
        with self.lock:
            self._check_type(ftype)
            same = any(f.id == fid and f.open and f.type == ftype for f in self.engine.facilities)
            edit = self.engine.retype(fid, ftype)
            if same:  # no change: the engine logs nothing, so neither does the session
                return self.update("retype", [edit])
            return self._done("retype", [edit])

    def designate(self, fid: str, role: str) -> dict[str, Any]:
        """Give facility ``fid`` a role too (a twin ``<fid>#<role>`` of type ``role``)."""
        with self.lock:
            self._check_type(role)
            edit = self.engine.designate(fid, role)
            self.names[f"{fid}#{role}"] = twin_name(self.names.get(fid, fid), role)
            return self._done("designate", [edit])

    def undo(self) -> dict[str, Any]:
        """Take back the last step (an edit, an accepted site or a scenario load)."""
        with self.lock:
            if not self._undo:
                raise WhatIfError("nothing to undo")
            e = self._undo.pop()
            self._redo.append(e)
            return self._replay(e, self.engine.undo, "undo")

    def redo(self) -> dict[str, Any]:
        """Make the last undone step again."""
        with self.lock:
            if not self._redo:
                raise WhatIfError("nothing to redo")
            e = self._redo.pop()
            self._undo.append(e)
            return self._replay(e, self.engine.redo, "redo")

    def _replay(self, e: _Entry, step: Any, word: str) -> dict[str, Any]:
        if e.swap is not None:
            e.swap, self._s = self._s, e.swap
            return self._state_unlocked()
        return self.update(f"{word} {e.label}", [step() for _ in range(e.edits)])

    # ------------------------------------------------------------------ suggestions

    def need_study(self, what: str) -> ComputedStudy:
        """Return the computed study, or stop: ``what`` needs it and the server has none."""
        if self.study is None:
            raise ServeError(f"{what} needs the computed study: start the workbench with "
                             "`geo serve STUDY`")
        return self.study

    def suggest(self, standard: str, k: int, model: str,
                ftype: str | None = None) -> dict[str, Any]:
        """Propose ``k`` new sites for ``standard`` (``mclp``, ``lscp``, ``pmedian``).

        The open facilities (existing and placed) are kept fixed; each may be accepted
        (:meth:`accept`, a plain add) or rejected.
        """
        from geo.planning.sites import site

        with self.lock:
            study = self.need_study("suggesting sites")
            std = study.standard(standard)
            ftype = ftype or std.facility_types[0]
            self._check_type(ftype)
            if ftype not in std.facility_types:
                raise SitingError(f"a new {ftype} would not count for {standard}: choose "
                                  f"one of its types {list(std.facility_types)}")
            t0 = time.perf_counter()
            run = site(study, standard=standard, p=k, model=model,
                       existing_s=self.engine.states[standard].seconds)
            where = run.candidates.geometry.iloc[run.result.chosen]  # exact, not rounded
            self.proposals = [
                {"key": f"{model}-{self._asked}-{r['rank']}", "rank": int(r["rank"]),
                 "standard": standard, "type": ftype, "model": model,
                 "lon": float(g.x), "lat": float(g.y), "township": str(r["township"]),
                 "newly_covered": float(r["newly_covered_population"]),
                 "cumulative_share": float(r["cumulative_covered_share"])}
                for r, g in zip(run.table.to_dict("records"), where, strict=True)]
            self._asked += 1
            return {"kind": "proposals", "proposals": self.proposals,
                    "notes": run.notes, "seconds": time.perf_counter() - t0}

    def _proposal(self, key: str) -> dict[str, Any]:
        for p in self.proposals:
            if p["key"] == key:
                return p
        raise ServeError(f"no proposed site {key!r}: ask for new suggestions "
                         f"(open proposals: {[p['key'] for p in self.proposals]})")

    def accept(self, key: str) -> dict[str, Any]:
        """Add proposed site ``key`` as a new facility (undo takes it back)."""
        with self.lock:
            p = self._proposal(key)
            name = i18n.text("wb_proposal", self.language, rank=p["rank"])
            out = self._add(p["type"], p["lon"], p["lat"], name)
            self.proposals = [q for q in self.proposals if q["key"] != key]
            out["proposals"] = self.proposals
            return out

    def reject(self, key: str) -> dict[str, Any]:
        """Drop proposed site ``key``."""
        with self.lock:
            self._proposal(key)
            self.proposals = [q for q in self.proposals if q["key"] != key]
            return {"kind": "proposals", "proposals": self.proposals}

    # ------------------------------------------------------------------ scenarios

    def load(self, actions: list[dict[str, Any]], head: dict[str, Any]) -> dict[str, Any]:
        """Replace the state by the study with ``actions`` applied; undo brings it back.

        The actions are a scenario's, already checked against the study.
        """
        with self.lock:
            study = self.need_study("loading a scenario")
            engine = from_study(study)
            new = _State(engine, CoverageTable(engine, self.population, self.area_name),
                         dict(self.study_names), dict(head))
            edits = apply_actions(engine, actions, new.names)  # on error: new is dropped
            old, self._s = self._s, new
            self.update("load", edits)
            self._undo.append(_Entry(f"load {head.get('name', '')}".strip(), swap=old))
            self._redo.clear()
            self.proposals = []
            return self._state_unlocked()

    def scenario_text(self, name: str, title: str, source: str) -> str:
        """Write the net change from the study as a scenario file; ``source`` names the study.

        See :func:`geo.serve.changes.net_actions`.
        """
        with self.lock:
            return self._scenario_text(name, title, source)

    def _scenario_text(self, name: str, title: str, source: str) -> str:
        actions = net_actions(self.start, self.engine.facilities, self.names)
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

        They go into ``out_dir`` (see :func:`geo.serve.export.write_export`).
        """
        from geo.serve.export import write_export

        with self.lock:
            study = self.need_study("exporting")
            text = self._scenario_text(name, title, source)
            return write_export(study, out_dir, text, self.tables(), source)
