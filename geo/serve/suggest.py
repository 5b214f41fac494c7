"""Site suggestions on a workbench session, fast enough for a meeting.

What does not change between two questions is made once per session and reused: the
candidate sites (``geo site``'s grid over populated land) and, per standard and cutoff,
the reach matrix from them to the demand points (:func:`geo.planning.sites.site_reach`),
and that matrix's cover at the standard's threshold with its demand points grouped by
identical candidate sets (:func:`geo.siting.models.coverage`; a question then only sums
its uncovered people per group, the very grouping ``geo site`` makes afresh). Each
question then only builds the problem on the session's present minutes (the open
facilities, existing and placed, kept fixed) and solves it with
:func:`geo.planning.sites.site`, the very function ``geo site`` runs: the same answer,
notes and alternatives. :meth:`Suggester.warm` makes the candidates and the matrices of
every standard in the background when the server starts.

MCLP and LSCP are solved exactly, as ``geo site`` solves them. p-median is solved by
greedy + best-improvement swaps with a Lagrangian lower bound, within
:data:`PMEDIAN_SECONDS` (the exact MILP takes tens of seconds on a county). One site:
greedy tries every one, the answer is optimal. More: where the bound leaves few sites
that could beat the swaps' answer, every set of them is tried and the answer is proved
optimal; otherwise it says how far above the optimum it can be at most (the gap to the
bound), and names ``geo site ... --model pmedian`` for the exact one.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import scipy.sparse as sp

from geo._types import FloatArray
from geo.planning.sites import make_candidates, site, site_cutoff, site_reach
from geo.siting.models import Coverage, coverage

if TYPE_CHECKING:
    from geo.serve.jobs import Progress
    from geo.study.run import ComputedStudy

__all__ = ["PMEDIAN_SECONDS", "Suggester"]

log = logging.getLogger(__name__)

#: seconds the workbench gives p-median's swaps and bound
PMEDIAN_SECONDS = 1.0


def _same(a: Coverage, b: Coverage) -> bool:
    """Whether two covers hold the same pairs (then their groups are the same too)."""
    x, y = a.cover, b.cover
    return bool(x.shape == y.shape and x.nnz == y.nnz
                and np.array_equal(x.indptr, y.indptr) and np.array_equal(x.indices, y.indices))


class Suggester:
    """Candidates and reach matrices of one study, made once (see module docs)."""

    def __init__(self, study: ComputedStudy) -> None:
        self.study = study
        self._lock = threading.Lock()  # one maker at a time; readers wait for it
        self._sites: gpd.GeoDataFrame | None = None
        self._reach: dict[tuple[str, float], sp.csr_matrix] = {}
        self._shared: dict[tuple[str, float], Coverage] = {}

    def sites(self) -> gpd.GeoDataFrame:
        """Return the candidate sites (a grid), made once."""
        with self._lock:
            if self._sites is None:
                self._sites = make_candidates(self.study, "grid")
            return self._sites

    def reach(self, standard: str, cutoff: float) -> sp.csr_matrix:
        """Return the sites' reach matrix for ``standard`` within ``cutoff``, made once."""
        sites = self.sites()
        key = (standard, float(cutoff))
        with self._lock:
            if key not in self._reach:
                self._reach[key] = site_reach(self.study, self.study.standard(standard),
                                              sites, cutoff)
            return self._reach[key]

    def shared(self, standard: str, cutoff: float) -> Coverage:
        """Return the cover of :meth:`reach` at the standard's threshold, made once."""
        reach = self.reach(standard, cutoff)
        key = (standard, float(cutoff))
        with self._lock:
            if key not in self._shared:
                threshold = 60.0 * float(self.study.standard(standard).minutes)
                made = coverage(reach, threshold)
                # p-median's wider matrix holds the same pairs within the threshold as
                # the threshold's own: one copy kept where they are equal (checked)
                for other in self._shared.values():
                    if other.threshold_s == threshold and _same(other, made):
                        made = other
                        break
                self._shared[key] = made
            return self._shared[key]

    def ready(self, standard: str, model: str) -> bool:
        """Whether a question would find its matrix made."""
        cutoff = site_cutoff(model, float(self.study.standard(standard).minutes))
        return (standard, float(cutoff)) in self._shared

    def warm(self, models: tuple[str, ...] = ("mclp", "pmedian")) -> threading.Thread:
        """Make every standard's matrices in a background thread.

        A failure is logged: the question that needs the matrix then reports it.
        """
        def run() -> None:
            try:
                for std in self.study.standards:
                    for model in models:
                        self.shared(std.name, site_cutoff(model, float(std.minutes)))
            except Exception:  # reported again, with the CLI's message, when asked
                log.exception("making the suggestion matrices failed")

        t = threading.Thread(target=run, name="geo-suggest-warm", daemon=True)
        t.start()
        return t

    def solve(self, standard: str, k: int, model: str, existing_s: FloatArray,
              progress: Progress | None = None) -> Any:
        """Answer as ``geo site`` for ``standard``, from the matrices made once.

        ``existing_s``: seconds to the facilities kept fixed.
        """
        std = self.study.standard(standard)
        cutoff = site_cutoff(model, float(std.minutes))
        if progress:
            progress.stage("candidates", 0.05)
        sites = self.sites()
        if progress:
            progress.stage("reach", 0.15 if self.ready(standard, model) else 0.1)
        reach = self.reach(standard, cutoff)
        shared = self.shared(standard, cutoff)
        if progress:
            progress.stage("solving", 0.4)
        if model != "pmedian":
            return site(self.study, standard=standard, p=k, model=model,
                        existing_s=existing_s, sites=sites, reach=reach, shared=shared)
        run = site(self.study, standard=standard, p=k, model=model, existing_s=existing_s,
                   sites=sites, reach=reach, shared=shared, method="heuristic",
                   time_limit_s=PMEDIAN_SECONDS)
        if run.result.status == "optimal":
            run.notes.append(
                f"p-median in the workbench: proved optimal within {PMEDIAN_SECONDS:g} s "
                f"({run.result.method})")
            return run
        run.notes.append(
            f"p-median in the workbench: greedy + swaps and a Lagrangian bound within "
            f"{PMEDIAN_SECONDS:g} s; the answer's weighted time is at most "
            f"{100 * run.result.gap:.2f} % above the optimum (the gap to the bound); the "
            f"exact answer: geo site STUDY --standard {standard} --model pmedian --add {k} "
            "--out DIR")
        return run
