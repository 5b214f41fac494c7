"""The workbench's coverage table.

Per standard and township, the numbers `geo compare` writes for "after", kept up to date from the
demand points an edit changed.

Each township's row is recomputed only when an edit changed one of its points, from the
same arrays in the same order as :func:`geo.coverage.tables.coverage_table` (the points of the
township in demand order), so the covered population, share and median are the very
numbers a ``geo compare`` of the saved scenario gives, rounded the same way (people to
0.1, shares to 0.0001, minutes to 0.1; tests). The whole-area row is
:func:`geo.planning.compare`'s. "Newly covered" and "lost" (people whose point came
within the standard's minutes, or fell out of it, since the baseline) come from the
engine's exact tallies (:class:`geo.whatif.CoverageTally`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geo._types import FloatArray, IntArray
from geo.coverage.groups import ALL
from geo.coverage.standards import Standard
from geo.coverage.tables import DECIMALS, people_of, rounded
from geo.measures.aggregate import CoverageRow, coverage_row
from geo.numbers import round_half_up
from geo.whatif import CoverageTally, WhatIf

__all__ = ["CoverageTable"]

#: measures of a row: (name, decimals, column) as geo.coverage.tables rounds them
_MEASURES = (("covered", DECIMALS["covered_population"], "covered_population"),
             ("share", DECIMALS["covered_share"], "covered_share"),
             ("median", DECIMALS["median_minutes"], "median_minutes"))


def _values(r: CoverageRow) -> tuple[float, float, float]:
    """Return the row's measures in :data:`_MEASURES` order."""
    return r.covered, r.share, r.median


def _half_up(values: FloatArray, decimals: int) -> FloatArray:
    """Round ``values`` half up (:func:`geo.numbers.round_half_up`), as geo compare does."""
    return np.array([round_half_up(float(v), decimals) for v in values], dtype=float)


def _num(x: float) -> float | None:
    """Return a number for JSON (NaN and infinities as null)."""
    return float(x) if math.isfinite(x) else None


def _nums(a: FloatArray) -> list[float | None]:
    """Return an array as JSON numbers (NaN and infinities as null)."""
    return [v if math.isfinite(v) else None for v in np.asarray(a, dtype=float).tolist()]


class _Standard:
    """One standard's rows: baseline and present, per township and for the whole area."""

    def __init__(self, std: Standard, engine: WhatIf, members: list[IntArray],
                 pop: FloatArray) -> None:
        self.std, self.engine, self.members, self.pop = std, engine, members, pop
        n = len(members)
        self.population = np.array([pop[idx].sum() for idx in members])
        self.now = {m: np.full(n, np.nan) for m, _, _ in _MEASURES}
        self.meets = np.zeros(n, dtype=object)
        m = self._minutes()
        for k in range(n):
            self._town(k, m)
        self.area_now = self._area()
        self.base = {m: v.copy() for m, v in self.now.items()}
        self.area_base = dict(self.area_now)

    def _minutes(self) -> FloatArray | None:
        if not self.engine.applicable(self.std.name):
            return None  # not applicable: no eligible facility (geo compare's NaN row)
        return self.engine.minutes(self.std.name)

    def _row(self, m: FloatArray | None, idx: IntArray | None = None) -> CoverageRow:
        """Return the coverage row of the points ``idx`` (all points: the whole area).

        The points are taken in demand order as coverage_table takes them (``m[sel]``,
        ``pop[sel]``).
        """
        if idx is None:
            return coverage_row(m, self.pop, self.std.minutes, self.std.target_share)
        return coverage_row(None if m is None else m[idx], self.pop[idx], self.std.minutes,
                            self.std.target_share)

    def _town(self, k: int, m: FloatArray | None) -> None:
        r = self._row(m, self.members[k])
        self.meets[k] = r.meets
        for (name, _, col), value in zip(_MEASURES, _values(r), strict=True):
            self.now[name][k] = rounded(col, value, self.std.target_share)

    def _area(self) -> dict[str, Any]:
        """Return the whole area's row as geo.planning.compare writes it."""
        r = self._row(self._minutes())
        out: dict[str, Any] = {"population": rounded("population", r.population),
                               "meets": r.meets}
        for (name, _, col), value in zip(_MEASURES, _values(r), strict=True):
            out[name] = rounded(col, value, self.std.target_share)
        return out

    def update(self, towns: IntArray, all_towns: bool) -> None:
        m = self._minutes()
        for k in range(len(self.members)) if all_towns else towns.tolist():
            self._town(int(k), m)
        self.area_now = self._area()


class CoverageTable:
    """Per standard, the township rows of the present state and of the baseline.

    And per population group of the study (the engine's ``groups``) the same rows counting
    that group's people, with its own exact tallies of "newly covered" and "lost".

    Parameters
    ----------
    engine : WhatIf
        The engine (its townships, in table order, and per-point township numbers).
    population : (n,) float array
        People per demand point, as the study has them (not the engine's rounded units).
    area_name : str
        Name of the whole-area row.
    """

    def __init__(self, engine: WhatIf, population: FloatArray, area_name: str) -> None:
        pop = np.asarray(population, dtype=float)
        order = np.argsort(engine.code, kind="stable")  # each township's points in demand order
        bounds = np.searchsorted(engine.code[order], np.arange(len(engine.townships) + 1))
        members = [order[bounds[k]:bounds[k + 1]] for k in range(len(engine.townships))]
        self.engine, self.area_name = engine, area_name
        self.standards = {name: _Standard(s, engine, members,
                                          people_of(s, pop, engine.groups))
                          for name, s in engine.standards.items()}
        # each group's rows of every standard (a group counts its own people, whichever
        # group the standard serves), and its tallies, from the same baseline
        groups = {g: np.asarray(p, dtype=float) for g, p in engine.groups.items() if g != ALL}
        self.groups: dict[str, dict[str, _Standard]] = {
            g: {name: _Standard(s, engine, members, p) for name, s in engine.standards.items()}
            for g, p in groups.items()}
        self._tallies = {(g, name): CoverageTally(engine.code, len(engine.townships), p,
                                                  s.minutes, engine.states[name].seconds,
                                                  engine.scopes.get(name))
                         for g, p in groups.items() for name, s in engine.standards.items()}
        self._was_applicable = {name: engine.applicable(name) for name in engine.standards}

    def update(self, changed: dict[str, IntArray]) -> None:
        """Recompute the townships holding the points ``changed`` (per standard)."""
        for name, t in self.standards.items():
            now = self.engine.applicable(name)
            flip = now != self._was_applicable[name]  # a standard came in or went out
            self._was_applicable[name] = now
            pts = changed.get(name)
            if pts is not None and len(pts):
                seconds = self.engine.states[name].seconds[pts]
                for g in self.groups:
                    self._tallies[(g, name)].update(pts, seconds)
            if not flip and (pts is None or len(pts) == 0):
                continue
            towns = np.unique(self.engine.code[pts]) if pts is not None else np.zeros(0, np.int64)
            t.update(towns, flip)
            for by_std in self.groups.values():
                by_std[name].update(towns, flip)

    def rows(self, standard: str, group: str | None = None) -> dict[str, Any]:
        """Return the table of one standard: a row per township, then the whole area.

        ``group``: a population group's rows (its people), else the standard's own.
        """
        if group:
            t = self.groups[group][standard]
            people = self._tallies[(group, standard)].people()
        else:
            t = self.standards[standard]
            people = self.engine.tallies[standard].people()
        gained, lost = people["newly_covered"], people["lost"]
        cols: dict[str, list[float | None]] = {
            "population": _nums(_half_up(t.population, 1)),
            "newly_covered": _nums(_half_up(gained, 1)), "lost": _nums(_half_up(lost, 1))}
        for m, nd, _ in _MEASURES:  # the change as geo compare rounds it (half up)
            cols[m], cols[f"{m}_before"] = _nums(t.now[m]), _nums(t.base[m])
            cols[f"{m}_change"] = _nums(_half_up(t.now[m] - t.base[m], nd))
        scope = self.engine.scopes.get(standard)
        out = [{"township": name, **{c: v[k] for c, v in cols.items()}, "meets": t.meets[k],
                # False: a township outside the standard's kinds (geo.coverage.kinds)
                "applies": scope is None or bool(scope[t.members[k]].any())}
               for k, name in enumerate(self.engine.townships)]
        area: dict[str, Any] = {
            "township": self.area_name, "population": t.area_now["population"],
            "newly_covered": round_half_up(float(np.sum(gained)), 1),
            "lost": round_half_up(float(np.sum(lost)), 1)}
        for m, nd, _ in _MEASURES:
            now, base = t.area_now[m], t.area_base[m]
            area[m], area[f"{m}_before"] = _num(now), _num(base)
            area[f"{m}_change"] = _num(round_half_up(now - base, nd))
        area["meets"] = t.area_now["meets"]
        return {"standard": standard, "minutes": t.std.minutes,
                "target": t.std.target_share, "applicable": self.engine.applicable(standard),
                "rows": out, "area": area}
