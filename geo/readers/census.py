"""Census and population tables: total rows, 12-digit township codes, township order.

Township tables from statistical yearbooks and census bulletins carry a total row (合计,
总计, 全县, ...) and the official 12-digit 统计用区划代码 of each township: the 6-digit
county code, 3 digits for the township (001–099 streets, 100–199 towns, 200–399 townships)
and 000. :func:`split_totals` finds total rows, checks them against the sum of the other
rows and leaves them out (or stops, with both numbers, when they disagree);
:func:`township_code` reads a code as text (Excel turns codes into numbers: a code shown as
4.50223E+11 has lost its digits and is refused); :func:`township_order` gives the order
townships are listed in every table: by code when codes are known.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import CensusError

__all__ = [
    "COUNT_UNITS",
    "TOTAL_NAMES",
    "count_decimals",
    "count_unit",
    "find_code_column",
    "is_county_code",
    "split_totals",
    "title_unit",
    "total_rows",
    "township_code",
    "township_order",
    "township_order_of",
]

logger = logging.getLogger(__name__)

#: names of total rows (matched ignoring spaces, case and full-width forms)
TOTAL_NAMES = ("合计", "总计", "全县", "全市", "全区", "总数", "合计数", "total", "grandtotal")
#: units of people a count column's header may name in brackets at its end
#: ('常住人口（万人）', '人口(万)'), and how many people one unit is
COUNT_UNITS = {"人": 1, "千人": 1_000, "万人": 10_000, "千": 1_000, "万": 10_000}
_UNIT = re.compile(r"[（(［\[]\s*(?:单位\s*[:：]\s*)?(万人|千人|人|万|千)\s*[)）］\]]\s*$")
_TITLE_UNIT = re.compile(r"单位\s*[:：]?\s*(万人|千人|人|万|千)")
_CODE = re.compile(r"^\d{12}$")
_FLOAT_CODE = re.compile(r"^(\d{12})\.0*$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_EXCEL_FIX = (
    "Excel shows long codes as numbers: format the code column as text (设置单元格格式 → 文本) "
    "and type the codes again, or save the file as CSV from a copy that shows every digit"
)


def _flat(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value)).casefold().replace(" ", "")


def township_code(value: object, where: str = "") -> str | None:
    """A 12-digit 统计用区划代码 as text, or None if ``value`` is not one.

    Accepts ``"450223100000"``, the integer, and Excel's float forms ``450223100000.0``;
    raises :class:`CensusError` for scientific notation (``4.50223E+11``: digits lost).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | np.integer):
        text = str(int(value))
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value) or not float(value).is_integer():
            return None
        text = str(int(value))
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
    if _SCIENTIFIC.match(text):
        raise CensusError(
            f"code {text!r}{where} is in scientific notation: its last digits are lost and "
            f"no township can be matched by it; {_EXCEL_FIX}"
        )
    match = _FLOAT_CODE.match(text)
    if match:
        text = match.group(1)
    return text if _CODE.match(text) else None


def is_county_code(code: str) -> bool:
    """A 12-digit code of a whole county (township digits 000): a total row."""
    return bool(_CODE.match(code)) and code[6:9] == "000"


def find_code_column(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> str | None:
    """The first column whose every filled cell is a 12-digit township code, or None."""
    for col in frame.columns:
        if col in exclude:
            continue
        values = frame[col].dropna()
        if len(values) == 0:
            continue
        try:
            codes = [township_code(v) for v in values]
        except CensusError:
            return str(col)  # all-mangled codes: township_order/split_totals will say so
        if all(c is not None for c in codes):
            return str(col)
    return None


def title_unit(title: object) -> str | None:
    """The unit of people a table's title names ('单位：万人', '（单位：千人）'), if any."""
    m = _TITLE_UNIT.search(unicodedata.normalize("NFKC", str(title or "")))
    return m.group(1) if m else None


def count_unit(column: object) -> tuple[int, str | None]:
    """People per unit of a count column, from the unit its header names in brackets at
    its end: '常住人口（万人）' -> (10000, '万人'), '人口(万)' -> (10000, '万'),
    '常住人口（人）' -> (1, '人'); (1, None) when the header names no unit."""
    m = _UNIT.search(unicodedata.normalize("NFKC", str(column)))
    return (COUNT_UNITS[m.group(1)], m.group(1)) if m else (1, None)


def _labels(table: pd.DataFrame) -> list[str]:
    rows = table.attrs.get("rows")
    if rows is not None and len(rows) == len(table):
        return [f"row {r}" for r in rows]
    return [f"row {i}" for i in table.index]


def _is_total(row: pd.Series, count_col: str) -> bool:
    for col, value in row.items():
        if col == count_col or value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if _flat(value) in TOTAL_NAMES:
            return True
        try:
            code = township_code(value)
        except CensusError:
            continue
        if code is not None and is_county_code(code):
            return True
    return False


def _number(value: object) -> tuple[float, int]:
    """The count and its decimals as written ('12,345.6' -> (12345.6, 1)); NaN if none."""
    text = unicodedata.normalize("NFKC", str(value)).replace(",", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return math.nan, 0
    if not number.is_finite():
        return math.nan, 0
    exponent = number.as_tuple().exponent
    return float(number), max(0, -exponent) if isinstance(exponent, int) else 0


def count_decimals(values: Sequence[object]) -> int:
    """The most decimals any count is written with ('2.61' -> 2; '12,345' -> 0)."""
    return max((_number(v)[1] for v in values), default=0)


def total_rows(table: pd.DataFrame, count_col: str) -> npt.NDArray[np.bool_]:
    """Which rows of ``table`` are total rows (see :func:`split_totals`)."""
    return np.array([_is_total(row, count_col) for _, row in table.iterrows()], dtype=bool)


def split_totals(table: pd.DataFrame, count_col: str) -> tuple[pd.DataFrame, list[str]]:
    """The table without its total rows, checked against the sum of the other rows.

    A total row has a cell (other than ``count_col``) reading 合计, 总计, 全县, 全市, 全区,
    总数 or Total, or a county-level 12-digit code (township digits 000). Integer counts
    must add up exactly; counts with decimals (e.g. in 万人) within their rounding: half a
    unit of the last decimal per row.

    Returns
    -------
    table : DataFrame
        The other rows (same index; ``attrs`` kept, ``rows`` trimmed).
    notes : list of str
        One line per total row left out, for the outputs.

    Raises
    ------
    CensusError
        A total row that does not equal the sum of the other rows: both numbers and the fix.
    """
    if count_col not in table.columns or table.empty:
        return table, []
    labels = _labels(table)
    total = total_rows(table, count_col)
    if not total.any():
        return table, []
    parsed = [_number(v) for v in table[count_col]]
    values = np.array([p[0] for p in parsed])
    decimals = max(p[1] for p in parsed)
    others = values[~total]
    if not np.isfinite(others).all():
        return table, []  # the count check of the caller names those rows
    expected = float(others.sum())
    slack = 0.5 * 10.0 ** -decimals * (len(others) + 1) if decimals else 0.0
    notes = []
    for i in np.flatnonzero(total):
        name = next(str(v) for c, v in table.iloc[i].items() if c != count_col and pd.notna(v))
        if not math.isclose(values[i], expected, rel_tol=1e-12, abs_tol=slack):
            raise CensusError(_disagree(name, labels[i], values[i], expected, len(others)))
        if math.isclose(values[i], expected, rel_tol=1e-12, abs_tol=1e-9):
            how = f"equals the sum of the other {len(others)} rows"
        else:  # '50.38' against rows adding up to 50.39 (万人): each row rounded on its own
            how = (f"is not the sum of the other {len(others)} rows ({expected:,.{decimals}f}) "
                   f"but within their rounding (each row to {10.0 ** -decimals:g}: the "
                   f"difference, {abs(values[i] - expected):,.{decimals}f}, is at most "
                   f"{slack:,.{decimals + 1}f})")
        notes.append(f"total row {name!r} ({labels[i]}: {values[i]:,.{decimals}f}) {how} and "
                     "was left out")
    kept = table.loc[~total].copy()
    kept.attrs = dict(table.attrs)
    if "rows" in kept.attrs and kept.attrs["rows"] is not None:
        kept.attrs["rows"] = [r for r, t in zip(kept.attrs["rows"], total, strict=True) if not t]
    for note in notes:
        logger.info(note)
    return kept, notes


def _disagree(name: str, label: str, total: float, expected: float, n: int) -> str:
    if math.isnan(total):
        return (f"the total row {name!r} ({label}) has no number: fill it in, or delete the "
                "total row")
    diff = total - expected
    more = "more" if diff > 0 else "less"
    return (
        f"the total row {name!r} ({label}) says {total:,.10g} but the other {n} rows add up "
        f"to {expected:,.10g} (the total is {abs(diff):,.10g} {more}): correct "
        "the counts or the total, or delete the total row if it counts people the other rows "
        "do not (e.g. people not assigned to a township)"
    )


def township_order(names: Sequence[str], codes: Sequence[object] | None = None) -> list[str]:
    """The order townships are listed in: by 12-digit code when codes are given, else as
    given (the boundary or seat file's order).

    Raises
    ------
    CensusError
        A township without a valid code, a code given twice, or a name given twice.
    """
    listed = [str(n) for n in names]
    repeated = sorted({n for n in listed if listed.count(n) > 1})
    if repeated:
        raise CensusError(f"townships {repeated} are listed twice: names must be unique")
    if codes is None:
        return listed
    if len(codes) != len(listed):
        raise CensusError(f"{len(listed)} townships but {len(codes)} codes")
    found = [township_code(c, f" of {n!r}") for n, c in zip(listed, codes, strict=True)]
    bad = [f"{n!r} ({c!r})" for n, c, f in zip(listed, codes, found, strict=True) if f is None]
    if bad:
        raise CensusError(
            f"townships without a 12-digit 统计用区划代码: {', '.join(bad)}: give every township "
            "its code (e.g. 450223100000), or leave the code column out to keep the file's order"
        )
    dup = sorted({c for c in found if found.count(c) > 1 and c is not None})
    if dup:
        raise CensusError(f"township codes {dup} are given to more than one township: fix them")
    return [n for _, n in sorted(zip(found, listed, strict=True))]


def township_order_of(
    frame: pd.DataFrame, name_col: str, code_col: str | None = None
) -> list[str]:
    """Township order from a seat or boundary table: by ``code_col``, else by a column of
    12-digit codes if the table has one (e.g. ``nbs_code_2016``), else the table's order."""
    if code_col is not None and code_col not in frame.columns:
        raise CensusError(
            f"no column {code_col!r} of township codes; the columns are "
            f"{[str(c) for c in frame.columns]}: name the column of 12-digit codes"
        )
    col = code_col or find_code_column(frame, exclude=[name_col])
    order = township_order(frame[name_col].astype(str).tolist(),
                           None if col is None else frame[col].tolist())
    logger.info("townships ordered by %s", f"the codes in column {col!r}" if col else "the file")
    return order
