"""Supply per facility (beds, doctors, ambulances, ...): checked, or the stated fallback.

A measure names a facility column (``supply = "beds"``). Its values must be numbers >= 0
for every facility the measure counts: a missing, negative or non-numeric value would
silently change every ratio near that facility, so it stops the run with the facility ids,
the column and the fix. A measure without a supply column counts facilities instead
(:data:`FALLBACK`): supply = 1 per facility, so its ratios read "facilities per 10,000
residents within reach", and every output says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray
from geo.errors import SupplyError

__all__ = [
    "FALLBACK", "FALLBACK_ZH", "Columns", "check_supply", "supply_for", "unit_supply",
    "value_problem",
]


FALLBACK = ("no supply column given: each facility counts as 1 (supply = 1 per facility), "
            "so the ratios are facilities per resident, not beds or staff")
FALLBACK_ZH = "未给出供给字段：每个机构计为1（供给=1/机构），比值为机构数而非床位或人员数"

_SHOW = 10  # ids listed per problem in a message


def value_problem(v: Any) -> str | None:
    """Say why a value is not a usable supply, or None when it is."""
    if v is None:
        return "missing"
    if isinstance(v, bool | np.bool_):
        return "not a number"
    if isinstance(v, Real | np.number):
        x = float(v)
        if math.isnan(x):
            return "missing"
        if not math.isfinite(x):
            return "not a number"
        return "negative" if x < 0 else None
    if isinstance(v, str):
        t = v.strip()
        if not t:
            return "missing"
        try:
            x = float(t)
        except ValueError:
            return "not a number"
        return value_problem(x)
    return "not a number"


def _usable_at_once(arr: npt.NDArray[Any], n: int) -> FloatArray | None:
    """Return a column's values as floats when every one is usable, else None (check each).

    A numeric column (integers or floats, not booleans), or a text column (facility
    files are read as text) whose every value is a number: ``astype`` converts each
    value as ``float(v)`` does (numpy converts text through Python's ``float``), so these
    are the numbers the per-value check gives; any problem goes to that check, which
    names the facilities.
    """
    if arr.ndim != 1 or len(arr) != n:
        return None
    if arr.dtype.kind == "O" and all(type(v) is str for v in arr):
        try:
            out = arr.astype(np.float64)
        except ValueError:  # some text is not a number: say which
            return None
    elif arr.dtype.kind in "iuf":
        out = arr.astype(np.float64)
    else:
        return None
    return out if bool(np.isfinite(out).all() and (out >= 0).all()) else None


def check_supply(values: Sequence[Any] | npt.ArrayLike, column: str,
                 ids: Sequence[Any]) -> FloatArray:
    """Return supply values as floats, or :class:`SupplyError` naming every bad facility.

    Parameters
    ----------
    values : sequence
        One value per facility (numbers, numeric strings, None/NaN for missing).
    column : str
        The facility column they come from (named in the message).
    ids : sequence
        Facility ids, in the same order (named in the message).
    """
    quick = _usable_at_once(np.asarray(values), len(ids))
    if quick is not None:
        return quick
    vals = list(np.asarray(values, dtype=object).ravel())
    if len(vals) != len(ids):
        raise ValueError(f"{len(vals)} supply values for {len(ids)} facility ids")
    bad: dict[str, list[str]] = {}
    for v, i in zip(vals, ids, strict=True):
        why = value_problem(v)
        if why:
            bad.setdefault(why, []).append(str(i))
    if bad:
        parts = []
        for why, who in bad.items():
            more = f" and {len(who) - _SHOW} more" if len(who) > _SHOW else ""
            parts.append(f"{why} for {len(who)} facilities ({', '.join(who[:_SHOW])}{more})")
        raise SupplyError(
            f"supply column {column!r}: " + "; ".join(parts) + ". Give every facility a "
            f"number >= 0 in {column!r} (0 where it has none), or remove `supply` from the "
            "measure in the standards file to count facilities (1 each)"
        )
    return np.array([float(str(v).strip()) if isinstance(v, str) else float(v) for v in vals])


def unit_supply(n: int) -> FloatArray:
    """Return the stated fallback: supply = 1 per facility (see :data:`FALLBACK`)."""
    return np.ones(n)


class Columns(Protocol):
    """A table of facility columns: a pandas DataFrame or a dict of sequences."""

    def __contains__(self, key: object, /) -> bool: ...
    def __getitem__(self, key: str, /) -> Any: ...


def supply_for(column: str | None, table: Columns, ids: Sequence[Any],
               *, measure: str = "") -> tuple[FloatArray, str]:
    """Return supply for a measure: the checked column, or the fallback when ``column`` is None.

    Returns the values and a note for the outputs (empty when the column was used).
    A column the table lacks stops with the columns it has and both fixes.
    """
    if column is None:
        return unit_supply(len(ids)), FALLBACK
    if column not in table:
        have = list(table.keys()) if hasattr(table, "keys") else []
        raise SupplyError(
            f"measure {measure!r} takes its supply from column {column!r}, which the "
            f"facility file lacks (it has {have}): add the column to the facility file, or "
            "remove `supply` from the measure in the standards file to count facilities"
        )
    return check_supply(np.asarray(table[column]), column, ids), ""
