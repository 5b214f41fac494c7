"""Tables a planner opens in a spreadsheet: CSV and XLSX cells safe against formula injection.

Every CSV and workbook ``geo`` writes goes through this module:

- :func:`write_csv` writes UTF-8 *with* a byte-order mark (``utf-8-sig``): Excel on a
  Chinese Windows reads a CSV without one in the local code page (GBK) and shows the
  Chinese as garbage.
- Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a NUL
  would be run as formulas by Excel, LibreOffice and Google Sheets (OWASP "CSV Injection";
  ASVS 4 V5.3.10 / ASVS 5 1.2.10): a facility named ``=HYPERLINK("http://x","y")`` would
  become a live link. In a CSV such a cell gets a leading single quote, as OWASP advises
  (the quote is visible in a text editor; spreadsheets read the cell as text). In a
  workbook the cell is stored as a string, never a formula, with Excel's "quote prefix"
  flag set, so the text shows exactly as given and stays text when edited.
- Only *text* cells are touched: numbers (a negative change, ``-198``) stay numbers.

Every sheet is print-ready (:func:`print_ready`): A4, landscape where its columns are wider
than a portrait page, fitted to one page wide, its title and header rows repeated on every
page, margins, a footer with the title and "page N of M", and row heights that show
wrapped headers and notes whole.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FAIL_FILL", "FORMULA_TRIGGERS", "GAIN_FILL", "HEAD_FILL", "TOTAL_FONT", "append_row",
    "fill_row", "fit_columns", "header_row", "neutralise", "note_rows", "print_ready",
    "safe_frame", "sheet_name", "text_width", "write_csv",
]

log = logging.getLogger(__name__)

#: first characters that make a spreadsheet read a cell as a formula (OWASP, ASVS)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
FAIL_FILL = PatternFill("solid", fgColor="F4CCCC")
GAIN_FILL = PatternFill("solid", fgColor="D9EAD3")
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
TOTAL_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=12)
#: column-width units (about one Latin character each) that fit across an A4 page in
#: portrait at 100 % within the margins below; wider sheets print landscape
PORTRAIT_WIDTH = 92
#: points per line of 11-pt text (Calibri/宋体 as spreadsheets draw them)
LINE_POINTS = 15.0
_MARGINS = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.75, header=0.3, footer=0.3)
_FOOTER = {"zh": "第 &P 页，共 &N 页", "en": "Page &P of &N"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


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
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
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


def text_width(text: str) -> int:
    """Column-width units ``text`` takes: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _width(ws: Worksheet, column: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(column))
    return float(dim.width) if dim is not None and dim.width else 8.43


def _lines(text: str, width: float) -> int:
    room = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in text.split("\n"))


def note_rows(ws: Worksheet, rows: Iterable[int], column: int = 1) -> None:
    """Wrap the text of ``column`` in ``rows`` (long notes and sources) within its width."""
    for row in rows:
        cell = ws.cell(row, column)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _fit_heights(ws: Worksheet) -> None:
    """Rows whose wrapped cells need more than one line get the height that shows them
    (a merged cell wraps within the width of the columns it spans)."""
    spans = {(r.min_row, r.min_col): sum(_width(ws, c) for c in range(r.min_col, r.max_col + 1))
             for r in ws.merged_cells.ranges}
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if isinstance(cell.value, str) and cell.alignment is not None and \
                    cell.alignment.wrap_text:
                width = spans.get((cell.row, cell.column), _width(ws, cell.column))
                lines = max(lines, _lines(cell.value, width))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_POINTS * lines


def print_ready(ws: Worksheet, title: str, lang: str, header: int | None = None) -> None:
    """Page setup of a finished sheet (see module docs): rows ``1..header`` (its title
    lines and column headers) repeat on every printed page."""
    wide = sum(_width(ws, c) for c in range(1, ws.max_column + 1)) > PORTRAIT_WIDTH
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.page_margins = _MARGINS
    ws.print_options.horizontalCentered = True
    if header:
        ws.print_title_rows = f"1:{header}"
    ws.oddFooter.left.text = title.replace("&", "&&")[:120]
    ws.oddFooter.left.size = 8
    ws.oddFooter.right.text = _FOOTER["zh" if lang == "zh" else "en"]
    ws.oddFooter.right.size = 8
    _fit_heights(ws)
