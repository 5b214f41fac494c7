"""Numbers as every output shows them: one rounding rule, one way to write each kind.

Every table, map, figure, report, workbook and printed line of ``geo`` writes its numbers
through this module, so one number reads the same in all of them:

- :func:`round_half_up` rounds half away from zero on the number as written in decimal
  (``repr``), as spreadsheets (Excel, LibreOffice, WPS) and Chinese statistical practice
  (四舍五入, GB/T 8170-2008 §3.2 in its common reading) round: 34,418.5 people are
  34,419 in the report, the map and the workbook alike. Python's ``round`` and format
  specifications round half to even on the binary value (34,418.5 → 34,418), which made
  the report and the workbook disagree.
- A share is never shown at a limit it has not reached: a share below its target is never
  written as the target (99.96 % of a 100 % target is "99.96%", not "100.0%"), and a share
  below one is never written "100%" (12 people uncovered are not "100.00%"). Such a share
  gets more decimals (:data:`EXTRA_DECIMALS` at most), then is rounded *down*;
  :data:`SHARE_NOTE` says so in the outputs.
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "EXTRA_DECIMALS", "SHARE_NOTE", "TOLERANCE", "is_missing", "minutes_text", "number_text",
    "people_text", "round_half_up", "share_decimals", "share_text", "shown_share", "target_text",
]

#: decimals a share may gain to stay below a limit it has not reached (then rounded down)
EXTRA_DECIMALS = 3
#: how far a share (or ratio) may fall short of its target and still meet it, in the
#: pass/fail test (:func:`geo.measures.aggregate.meets`) and in how shares are shown:
#: sums of people taken in another order differ in their last bits, and a share of
#: exactly the target must not fail on that. 1e-9 of a share is under 0.1 person in any
#: study of fewer than 100 million people, so no real shortfall passes.
TOLERANCE = 1e-9
#: what every output that shows shares says about them (English; :mod:`geo.outputs.i18n`
#: glosses it)
SHARE_NOTE = ("shares are rounded half up; a share just below its target (or below 100%) "
              "is shown with more decimals, never as the target")


def is_missing(value: object) -> bool:
    """``None``, NaN, ``pd.NA`` or an empty string."""
    if value is None or (isinstance(value, str) and value == ""):
        return True
    try:
        return bool(value != value)  # NaN; pd.NA raises on bool()
    except TypeError:
        return True


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def round_half_up(value: float, decimals: int = 0) -> float:
    """``value`` rounded half away from zero at ``decimals`` decimal places (negative:
    tens, hundreds, ...), on its decimal form; NaN and infinities as they are."""
    x = float(value)
    if not math.isfinite(x):
        return x
    try:
        q = _decimal(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than Decimal's context holds: already exact
        return x
    return float(q)


def _limits(share: float, target: float | None) -> list[float]:
    """The limits ``share`` has not reached: its target and 1 (100 %)."""
    return [lim for lim in (target, 1.0) if lim is not None and share < lim - TOLERANCE]


def share_decimals(share: float, target: float | None = None, decimals: int = 1) -> int:
    """Decimals of the percentage that keep ``share`` below every limit it has not reached
    (its ``target``, 100 %): ``decimals``, up to :data:`EXTRA_DECIMALS` more."""
    s = float(share)
    if not math.isfinite(s):
        return decimals
    limits = _limits(s, target)
    for d in range(decimals, decimals + EXTRA_DECIMALS + 1):
        shown = round_half_up(s, d + 2)  # a percentage at d decimals: the share at d + 2
        if all(shown < lim for lim in limits):
            return d
    return decimals + EXTRA_DECIMALS


def shown_share(share: float, target: float | None = None, decimals: int = 1) -> float:
    """The share (0-1) as shown: the percentage rounded half up at
    :func:`share_decimals` places, or rounded down where even those reach a limit."""
    s = float(share)
    if not math.isfinite(s):
        return s
    d = share_decimals(s, target, decimals) + 2
    shown = round_half_up(s, d)
    if any(shown >= lim for lim in _limits(s, target)):
        shown = float(_decimal(s).quantize(Decimal(1).scaleb(-d), rounding=ROUND_DOWN))
    return shown


def share_text(share: object, target: object = None, decimals: int = 1) -> str:
    """``"63.1%"``: a share (0-1) as a percentage (see :func:`shown_share`); a dash when
    missing."""
    if is_missing(share):
        return "–"
    s = float(share)  # type: ignore[arg-type]
    t = None if is_missing(target) else float(target)  # type: ignore[arg-type]
    d = share_decimals(s, t, decimals)
    pct = _decimal(shown_share(s, t, decimals)).scaleb(2)  # exact: no binary x 100
    return f"{pct:.{d}f}%"


def target_text(target: object) -> str:
    """``"95%"``, ``"99.5%"``: a target share (0-1) as the plan writes it, with no more
    decimals than it has; a dash when missing."""
    if is_missing(target):
        return "–"
    return f"{round_half_up(float(target) * 100, 6):g}%"  # type: ignore[arg-type]


def people_text(value: object) -> str:
    """``"34,419"``: people rounded half up to whole persons; a dash when missing."""
    if is_missing(value):
        return "–"
    return f"{round_half_up(float(value)):,.0f}"  # type: ignore[arg-type]


def minutes_text(value: object, decimals: int = 1) -> str:
    """``"23.5"``: minutes rounded half up; a dash when missing."""
    if is_missing(value):
        return "–"
    return f"{round_half_up(float(value), decimals):.{decimals}f}"  # type: ignore[arg-type]


def number_text(value: object, significant: int = 4) -> str:
    """``"5.22"``, ``"1,234"``: a ratio to ``significant`` digits, rounded half up (as
    ``:,.4g`` writes it, without its half-even rounding); a dash when missing."""
    if is_missing(value):
        return "–"
    x = float(value)  # type: ignore[arg-type]
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    digits = significant - 1 - math.floor(math.log10(abs(x)))
    r = round_half_up(x, digits)
    if r != 0 and math.floor(math.log10(abs(r))) != math.floor(math.log10(abs(x))):
        digits -= 1  # 9.9996 -> 10.00: one digit fewer after the point
    return f"{round_half_up(x, digits):,.{significant}g}"
