"""A thin layer over HiGHS (``highspy``): one sparse MILP in, solution and bound out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from geo._types import FloatArray
from geo.errors import SitingError

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Solution:
    """Column values, objective, best bound and status (``optimal`` or ``time limit``)."""

    x: FloatArray
    objective: float
    bound: float
    status: str


def best_bound(objective: float, bounds: list[float], *, maximize: bool) -> float:
    """Return the tightest of several valid bounds on an optimum, for a solution of ``objective``.

    Every stage of a solve may prove a bound (a Lagrangian relaxation, HiGHS's dual bound,
    the count of sites a target needs); each is valid, so the best is reported: the
    largest lower bound when minimising, the smallest upper bound when maximising.
    Bounds that are not finite (HiGHS stopped before its root LP: -inf, or 0 from an
    unsolved root) are skipped by the max/min; the result never passes the objective
    (a bound beyond it is solver tolerance). With no finite bound: -inf (minimising)
    or +inf (maximising).
    """
    ok = [float(b) for b in bounds if np.isfinite(b)]
    if maximize:
        return max(min(ok), objective) if ok else float("inf")
    return min(max(ok), objective) if ok else float("-inf")


def _new_highs() -> Any:
    """Return a HiGHS instance that prints nothing.

    ``highspy.Highs()`` prints a banner to stdout when it installs its Python callbacks
    (unused here); the core class it wraps does not and has every method used below.
    """
    cls = getattr(getattr(highspy, "_core", None), "_Highs", None) or highspy.Highs
    return cls()


def solve(
    *,
    cost: FloatArray,
    a: sp.spmatrix,
    row_lo: FloatArray,
    row_hi: FloatArray,
    col_hi: FloatArray,
    integer: int,
    maximize: bool,
    time_limit_s: float,
    col_lo: FloatArray | None = None,
    threads: int | None = None,
    presolve: bool = False,
    start: FloatArray | None = None,
) -> Solution:
    """Solve ``opt cost @ x`` s.t. ``row_lo <= a @ x <= row_hi``, bounds on ``x``.

    The first ``integer`` columns are integer; ``start`` is a feasible solution to
    begin from (e.g. a heuristic's), which lets HiGHS prune from the first node. Gaps
    are closed to 1e-9 relative, so "optimal" means optimal to rounding, not to HiGHS's
    default 0.01 %.
    """
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("mip_abs_gap", 1e-9)
    # HiGHS presolve spends seconds to minutes on covering structures (measured: 20 s of
    # a 20.5 s MCLP solve on Luzhai, root node optimal either way); off, the LP is solved
    # directly.
    h.setOptionValue("presolve", "on" if presolve else "off")
    if threads:
        h.setOptionValue("threads", int(threads))
    h.passModel(_model(cost, a, row_lo, row_hi, col_lo, col_hi, integer, maximize))
    if start is not None:
        sol0 = highspy.HighsSolution()
        sol0.col_value = np.asarray(start, dtype=np.float64)
        sol0.value_valid = True
        h.setSolution(sol0)
    h.run()
    return _result(h, a.shape, integer)


def _model(cost: FloatArray, a: sp.spmatrix, row_lo: FloatArray, row_hi: FloatArray,
           col_lo: FloatArray | None, col_hi: FloatArray, integer: int,
           maximize: bool) -> Any:
    """Return a ``HighsLp`` from sparse arrays (columnwise matrix, infinite bounds as HiGHS's)."""
    n_row, n_col = a.shape
    csc = sp.csc_matrix(a)
    csc.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_col, n_row
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(n_col) if col_lo is None else np.asarray(col_lo, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_hi, dtype=np.float64)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.where(np.isfinite(row_lo), row_lo, -inf).astype(np.float64)
    lp.row_upper_ = np.where(np.isfinite(row_hi), row_hi, inf).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_col, n_row
    lp.integrality_ = [highspy.HighsVarType.kInteger] * integer + [
        highspy.HighsVarType.kContinuous
    ] * (n_col - integer)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    return lp


def _result(h: Any, shape: tuple[int, int], integer: int) -> Solution:
    """Return solution, bound and status of a run; errors that name the fix otherwise."""
    n_row, n_col = shape
    status = h.getModelStatus()
    info = h.getInfo()
    log.info("HiGHS: %s, objective %s, bound %s, %d nodes, %d x %d", h.modelStatusToString(status),
             info.objective_function_value, info.mip_dual_bound, info.mip_node_count,
             n_row, n_col)
    if status == highspy.HighsModelStatus.kOptimal:
        word = "optimal"
    elif status == highspy.HighsModelStatus.kTimeLimit and info.primal_solution_status == 2:
        word = "time limit"
    elif status == highspy.HighsModelStatus.kInfeasible:
        raise SitingError("the siting model is infeasible: no choice of sites meets it")
    else:
        raise SitingError(
            f"HiGHS stopped with '{h.modelStatusToString(status)}' before finding a "
            "solution: raise the time limit or use the heuristic (method='heuristic')"
        )
    x = np.asarray(h.getSolution().col_value, dtype=float)
    bound = float(info.mip_dual_bound) if integer else float(info.objective_function_value)
    return Solution(x, float(info.objective_function_value), bound, word)
