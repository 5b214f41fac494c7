"""Covered population by township for one standard, and its change from a baseline.

The tally is kept up to date from the demand points an edit changed.

A point is covered when its minutes (seconds / 60) are at most the standard's minutes,
the test :func:`geo.coverage.tables.coverage_table` applies. People are counted in whole units
of 2^-20 person (``UNITS_PER_PERSON``), so that adding and taking away the people of the
points an edit changed gives exactly the sums a count over all points gives, whatever
the order (float sums would drift). Each point's population is rounded to that unit once:
at most half a millionth of a person per point (stated here; the tables show people to
0.1).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray

__all__ = ["UNITS_PER_PERSON", "CoverageTally", "township_codes"]


UNITS_PER_PERSON = 2**20


def township_codes(labels: npt.ArrayLike,
                   order: Sequence[str] | None = None) -> tuple[IntArray, list[str]]:
    """Code each point's township as its place in the returned names.

    The names are ``order``, or the labels sorted; a label outside ``order`` is an error naming it.
    """
    lab = np.asarray(labels, dtype=object).astype(str)
    names = list(order) if order is not None else sorted(set(lab.tolist()))
    pos = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(lab.tolist()) - set(pos))
    if unknown:
        raise ValueError(f"demand points in townships {unknown[:5]} that are not in the "
                         f"township list {names[:5]}...: give every township in order")
    return np.array([pos[x] for x in lab.tolist()], dtype=np.int64), names


class CoverageTally:
    """Per township: people, covered people now and at the baseline, newly covered, lost.

    Parameters
    ----------
    code : (n,) int array
        Each demand point's township number (:func:`township_codes`).
    n_townships : int
    population : (n,) float array
    minutes : float
        The standard's threshold.
    seconds : (n,) float array
        Seconds to the nearest facility at the baseline.
    counted : (n,) bool array, optional
        The points the standard applies to (its township kinds, :mod:`geo.coverage.kinds`);
        the others are never covered, newly covered or lost (default: every point).
    """

    def __init__(self, code: IntArray, n_townships: int, population: FloatArray,
                 minutes: float, seconds: FloatArray,
                 counted: npt.NDArray[np.bool_] | None = None) -> None:
        pop = np.asarray(population, dtype=float)
        if len(pop) != len(code) or len(seconds) != len(code):
            raise ValueError("code, population and seconds differ in length")
        if (pop < 0).any() or not np.isfinite(pop).all():
            raise ValueError("population must be finite and non-negative")
        self.code, self.n, self.minutes = np.asarray(code, dtype=np.int64), n_townships, minutes
        self.counted = (np.ones(len(code), dtype=bool) if counted is None
                        else np.asarray(counted, dtype=bool))
        self.units = np.rint(pop * UNITS_PER_PERSON).astype(np.int64)
        self.total = self._sum(np.ones(len(code), dtype=bool))
        self.covered_now = self.covered(seconds)
        self.covered_base = self.covered_now.copy()
        self.base = self._sum(self.covered_base)
        self.gained = np.zeros(self.n, dtype=np.int64)
        self.lost = np.zeros(self.n, dtype=np.int64)

    def fork(self) -> CoverageTally:
        """Return an independent copy (what edits change copied, the rest shared)."""
        new = copy.copy(self)
        new.covered_now, new.gained, new.lost = (self.covered_now.copy(), self.gained.copy(),
                                                 self.lost.copy())
        return new

    def covered(self, seconds: FloatArray, idx: IntArray | None = None) -> npt.NDArray[np.bool_]:
        """Tell which points (all, or the points ``idx``) are covered.

        Minutes at most the standard's (as geo.coverage.tables counts), at a point the
        standard applies to.
        """
        counted = self.counted if idx is None else self.counted[idx]
        return (np.asarray(seconds, dtype=float) / 60.0 <= self.minutes) & counted

    def _sum(self, mask: npt.NDArray[np.bool_], idx: IntArray | None = None) -> IntArray:
        code = self.code if idx is None else self.code[idx]
        units = self.units if idx is None else self.units[idx]
        out = np.zeros(self.n, dtype=np.int64)
        np.add.at(out, code[mask], units[mask])
        return out

    def update(self, idx: IntArray, seconds: FloatArray) -> None:
        """Record that points ``idx`` now have ``seconds`` (the points an edit changed)."""
        idx = np.asarray(idx, dtype=np.int64)
        now = self.covered(seconds, idx)
        was, base = self.covered_now[idx], self.covered_base[idx]
        up, down = now & ~was, was & ~now
        # newly covered grows where a point not covered at the baseline comes in, and
        # shrinks where it goes out again; lost is the mirror for baseline-covered points
        self.gained += self._sum(up & ~base, idx) - self._sum(down & ~base, idx)
        self.lost += self._sum(down & base, idx) - self._sum(up & base, idx)
        self.covered_now[idx] = now

    def rebase(self) -> None:
        """Make the present state the baseline."""
        self.covered_base = self.covered_now.copy()
        self.base = self._sum(self.covered_base)
        self.gained[:] = 0
        self.lost[:] = 0

    def covered_units(self) -> IntArray:
        """Return covered people now, per township, in units."""
        return self.base + self.gained - self.lost

    def people(self) -> dict[str, FloatArray]:
        """Return the tally per township, in people.

        The columns are ``population``, ``covered``, ``baseline_covered``, ``newly_covered``,
        ``lost`` (each a float array, townships in order).
        """
        u = UNITS_PER_PERSON
        return {"population": self.total / u, "covered": self.covered_units() / u,
                "baseline_covered": self.base / u, "newly_covered": self.gained / u,
                "lost": self.lost / u}
