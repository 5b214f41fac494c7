"""One cell of a result table, written the same in the report, the maps and the workbooks.

A column has a *kind*: ``int`` (people), ``share`` (0-1, shown as a percentage),
``target`` (a plan's target share, shown with its own decimals), ``min`` (minutes), ``num``
(a ratio, four significant digits), ``lonlat``, ``bool`` (meets the target or not),
``text``; ``d``-prefixed kinds (``dint``, ``dshare``, ``dmin``) are signed changes.
:func:`text` writes a value as the report and the maps show it (:mod:`geo.numbers`:
half-up rounding, a share never shown at a limit it has not reached) and
:func:`number_format` gives the spreadsheet number format that makes a workbook cell show
exactly that text, so a number reads alike in every deliverable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from geo.numbers import (
    is_missing,
    minutes_text,
    number_text,
    people_text,
    round_half_up,
    share_decimals,
    share_text,
    shown_share,
    target_text,
)
from geo.outputs import i18n, tables

__all__ = ["UNITS", "data_rows", "header", "number_format", "text", "value"]

#: unit shown after a column header, by kind (zh, en)
UNITS = {"int": ("人", "people"), "share": ("%", "%"), "target": ("%", "%"),
         "min": ("分钟", "min")}
_FIXED = {"int": "#,##0", "min": "0.0", "lonlat": "0.000000", "dint": "+#,##0;-#,##0;0",
          "dmin": "+0.0;-0.0;0.0"}


def header(key: str, kind: str, lang: str) -> str:
    """Return column header with its unit, e.g. ``人口（人）`` / ``Population (people)``."""
    label = i18n.text(key, lang)
    base = kind[1:] if kind.startswith("d") else kind
    if base not in UNITS or "（" in label or "(" in label:
        return label
    unit = UNITS[base][0 if lang == "zh" else 1]
    return f"{label}（{unit}）" if lang == "zh" else f"{label} ({unit})"


def _num_decimals(x: float) -> int:
    """Return decimals of a ratio at four significant digits (``num`` cells)."""
    if x == 0 or not math.isfinite(x):
        return 0
    return max(0, 3 - math.floor(math.log10(abs(round_half_up(x, 12)))))


def number_format(kind: str, v: Any = None, target: Any = None) -> str | None:
    """Return the workbook number format that shows ``v`` as :func:`text` writes it.

    Text and pass/fail cells get ``None``.
    """
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in ("share", "dshare"):
        d = 1
        if kind == "share" and not is_missing(v):
            d = share_decimals(float(v), None if is_missing(target) else float(target))
        pct = "0." + "0" * d + "%" if d else "0%"
        return f"+{pct};-{pct};{pct}" if kind == "dshare" else pct
    if kind == "num":
        d = _num_decimals(float(v)) if not is_missing(v) else 3
        return "#,##0" + ("." + "0" * d if d else "")
    if kind == "target":
        digits = target_text(v).rstrip("%").partition(".")[2] if not is_missing(v) else ""
        return "0." + "0" * len(digits) + "%" if digits else "0%"
    return None


def text(v: Any, kind: str, lang: str, target: Any = None) -> str:
    """Return ``v`` as the report and the maps write it (a dash when missing)."""
    if is_missing(v):
        return "–"
    if kind == "int":
        return people_text(v)
    if kind == "share":
        return share_text(v, target)
    if kind == "target":
        return target_text(v)
    if kind == "min":
        return minutes_text(v)
    if kind == "num":
        return number_text(v)
    if kind == "lonlat":
        return f"{round_half_up(float(v), 6):.6f}"
    if kind == "dint":
        return f"{round_half_up(float(v)):+,.0f}"
    if kind == "dshare":
        return f"{round_half_up(float(v) * 100, 1):+.1f}%"
    if kind == "dmin":
        return f"{round_half_up(float(v), 1):+.1f}"
    if kind == "bool":
        if isinstance(v, str):  # a status in words: "不适用" (geo.outputs.report.scoped_rows)
            return v
        return i18n.text("meets" if bool(v) else "fails", lang)
    return str(v)


def value(v: Any, kind: str, lang: str, target: Any = None) -> Any:
    """Return what a workbook cell holds.

    Numbers are floats (the format shows them; a share rounded *down* to stay below a limit is
    stored as shown, since a spreadsheet would round it up), pass/fail as its label, text as text,
    missing as an empty cell.
    """
    if is_missing(v):
        return None
    if kind == "bool":
        return text(v, kind, lang)
    if kind == "text":
        return v if isinstance(v, int | float) and not isinstance(v, bool) else str(v)
    if kind == "share":
        t = None if is_missing(target) else float(target)
        d = share_decimals(float(v), t)
        shown = shown_share(float(v), t)
        if shown != round_half_up(float(v), d + 2):  # rounded down: a spreadsheet would not
            return shown
    return float(v)


def _below(v: Any) -> bool:
    """Tell whether a pass/fail cell says "below target"."""
    return not is_missing(v) and not isinstance(v, str) and not bool(v)


def data_rows(ws: tables.Sheet, records: Sequence[Mapping[Any, Any]],
              cols: Sequence[tuple[str, str, str]],
              fill: Callable[[Mapping[Any, Any]], str | None] | None = None) -> int:
    """Write the headers and rows of ``records``; return the header row.

    Numbers are formatted as :mod:`geo.outputs.cells` writes them; rows below target are red, or
    as ``fill`` says; ``is_total`` rows bold; a "below target" status in red.
    """
    lang = ws.lang
    head = ws.header_row([header(k, kind, lang) for _, k, kind in cols])
    for r in records:
        target = r.get("target_share")
        row = ws.row([value(r.get(c), kind, lang, target) for c, _, kind in cols],
                     [number_format(kind, r.get(c), target) for c, _, kind in cols],
                     bold=bool(r.get("is_total")),
                     fill=fill(r) if fill is not None else
                     tables.FAIL_FILL if _below(r.get("meets_target")) else None)
        for i, (c, _, kind) in enumerate(cols, start=1):
            if kind == "bool" and _below(r.get(c)):
                ws.mark_cell(row, i, font_color=tables.RED_TEXT, bold=True)
    return head
