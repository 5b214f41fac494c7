"""Helpers of the readers: how messages name rows, finding columns, numbers from text."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import pandas as pd

from geo.errors import ColumnError

logger = logging.getLogger(__name__)

ROW = "__row__"  # private column: how messages name a row ("row 5", "facility 'LZ-T03'")
MAX_LISTED = 10
#: a unit or note in brackets at the end of a header: '（人）', '(万人)', '(°)', '［米］'
_BRACKETED = re.compile(r"\s*[（(［\[][^（()）［\]］]*[)）］\]]\s*$")
#: facility name columns found without ``[facilities] name_col``, in order
NAME_COLUMNS = ("name", "名称", "机构名称", "单位名称", "医疗机构名称", "医院名称", "机构名")


def offenders(frame: pd.DataFrame, mask: pd.Series, details: pd.Series | None = None) -> str:
    """Return 'row 3 (lon 'abc', lat '24.5'), row 7 (...) and 4 more' for the rows in ``mask``."""
    labels = (
        frame[ROW] if ROW in frame.columns else "feature " + frame.index.to_series().astype(str)
    )
    items = labels[mask].astype(str)
    if details is not None:
        items = items + " (" + details[mask].astype(str) + ")"
    more = len(items) - MAX_LISTED
    return ", ".join(items.iloc[:MAX_LISTED]) + (f" and {more} more" if more > 0 else "")


def names(values: Sequence[str]) -> str:
    """Quote names as a message lists them: ``'a', 'b', 'c'``."""
    return ", ".join(repr(n) for n in values)


def find_column(
    columns: pd.Index, wanted: str | None, candidates: Sequence[str], role: str, fix: str,
    src: object,
) -> str:
    """Return the column ``wanted`` (case-insensitive), else the first of ``candidates`` present."""
    found = find_optional(columns, wanted, candidates)
    if found is not None:
        return found
    looked = f"no column {wanted!r}" if wanted else f"no column named {names(candidates)}"
    available = names([str(c) for c in columns if c != ROW])
    raise ColumnError(f"{src} has {looked} for the {role}; its columns are {available}; {fix}")


def find_optional(columns: pd.Index, wanted: str | None, candidates: Sequence[str]) -> str | None:
    """Find a column as :func:`find_column` does, or None when there is no such column.

    Looking among ``candidates`` (not for a ``wanted`` name), a header with a unit or note in
    brackets after the name also matches: '常住人口（人）', '经度(°)', 'X（米）', unless several do
    ('常住人口（2010年）', '常住人口（2020年）': the user names one). A unit that changes the
    numbers (万人) is the reader's to apply (:func:`geo.readers.census.count_unit`).
    """
    lookup: dict[str, str] = {}
    for column in columns:
        lookup.setdefault(str(column).strip().lower(), str(column))
    for name in [wanted] if wanted is not None else candidates:
        hit = name if name in columns else lookup.get(name.strip().lower())
        if hit is not None:
            return hit
    if wanted is not None:
        return None
    for name in candidates:
        hits = bracketed(columns, name)
        if len(hits) == 1:
            return hits[0]
        if hits:  # '常住人口（2010年）' and '常住人口（2020年）': which one is for the user
            logger.info("columns %s all read as %r: none taken without an option", hits, name)
    return None


def bracketed(columns: pd.Index, name: str) -> list[str]:
    """Return the columns that are ``name`` with a bracketed unit or note after it."""
    want = name.strip().lower()
    return [str(c) for c in columns
            if str(c).strip().lower() != want
            and _BRACKETED.sub("", str(c)).strip().lower() == want]


def numeric(raw: pd.Series) -> pd.Series:
    """Return floats from numbers or text; NaN where missing or not a number."""
    text = raw.map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(text, errors="coerce").astype(float)
