"""Tables a planner opens in a spreadsheet: CSV and XLSX cells safe against formula injection.

Every CSV and workbook ``geo`` writes goes through this module:

- :func:`write_csv` writes UTF-8 *with* a byte-order mark (``utf-8-sig``): Excel on a
  Chinese Windows reads a CSV without one in the local code page (GBK) and shows the
  Chinese as garbage.
- Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a NUL
  (also after spaces, or in full width: ``＝``) would be run as formulas by Excel,
  LibreOffice and Google Sheets (OWASP "CSV Injection"; ASVS 4 V5.3.10 / ASVS 5 1.2.10): a
  facility named ``=HYPERLINK("http://x","y")`` would become a live link. In a CSV such a
  cell gets a leading single quote, as OWASP advises (the quote is visible in a text
  editor; spreadsheets read the cell as text). In a workbook the cell is stored as a
  string, never a formula, with Excel's "quote prefix" flag set, so the text shows exactly
  as given and stays text when edited.
- Only *text* cells are touched: numbers (a negative change, ``-198``) stay numbers.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FAIL_FILL", "FORMULA_TRIGGERS", "GAIN_FILL", "HEAD_FILL", "TOTAL_FONT", "append_row",
    "fill_row", "fit_columns", "header_row", "neutralise", "safe_frame", "sheet_name", "write_csv",
]

log = logging.getLogger(__name__)

#: first characters that make a spreadsheet read a cell as a formula (OWASP, ASVS)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
FAIL_FILL = PatternFill("solid", fgColor="F4CCCC")
GAIN_FILL = PatternFill("solid", fgColor="D9EAD3")
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FONT = Font(bold=True)
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def _formula_like(value: Any) -> bool:
    """Text a spreadsheet could run as a formula: starting with a trigger, also after
    spaces (LibreOffice's CSV import can trim them) or in its full-width form (＝, ＋, －,
    ＠: an input method's, which NFKC folds)."""
    if not isinstance(value, str) or not value:
        return False
    head = value.lstrip(" \u3000\u00a0")[:1]
    return value.startswith(FORMULA_TRIGGERS) or bool(
        head and unicodedata.normalize("NFKC", head) in FORMULA_TRIGGERS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet could run as a formula."""
    return "'" + value if _formula_like(value) else value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` whose text cells and column names are neutralised (numbers kept)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise).astype(object)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` (no index) as UTF-8 with BOM, text cells neutralised; return ``path``."""
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")
    log.debug("table written to %s (%d rows)", path, len(frame))
    return path


def _clean(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None  # NaN, pd.NA, NaT: an empty cell
    return value.item() if hasattr(value, "item") else value  # numpy scalars: plain Python


def append_row(ws: Worksheet, values: Iterable[Any],
               formats: Sequence[str | None] | None = None) -> int:
    """Append ``values`` as a row of safe cells (see module docs); return the row number.

    ``formats`` gives a number format per column (``None``: leave as is). Missing values
    (``None``, NaN, ``pd.NA``) become empty cells.
    """
    ws.append([_clean(v) for v in values])
    row = ws._current_row
    for i, cell in enumerate(ws[row]):
        value = cell.value
        if _formula_like(value):
            cell.data_type = "s"  # openpyxl stores text starting with "=" as a formula
            cell.quotePrefix = True  # Excel's "text" flag: stays text when edited
        if formats is not None and i < len(formats) and formats[i] and value is not None:
            cell.number_format = formats[i]
    return row


def header_row(ws: Worksheet, labels: Sequence[str]) -> int:
    """Append bold, shaded, wrapped column headers; return the row number."""
    row = append_row(ws, labels)
    for cell in ws[row]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return row


def fill_row(ws: Worksheet, row: int, fill: PatternFill | None = None,
             font: Font | None = None) -> None:
    """Shade (and set the font of) every cell of ``row``."""
    for cell in ws[row]:
        if fill is not None:
            cell.fill = fill
        if font is not None:
            cell.font = font


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique (case-insensitive) sheet name from ``name``; recorded in ``used``."""
    base = _BAD_SHEET.sub("_", name)[:31] or "sheet"
    out, i = base, 1
    while out.lower() in used:
        i += 1
        out = f"{base[:28]}~{i}"
    used.add(out.lower())
    return out


def fit_columns(ws: Worksheet, widths: Sequence[int]) -> None:
    """Set the widths of the first ``len(widths)`` columns."""
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
