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
  editor; spreadsheets read the cell as text). In a workbook every text cell is written as
  a string (``write_string``, never a formula), and one starting with a trigger has Excel's
  "quote prefix" flag set, so the text shows exactly as given and stays text when edited.
- Only *text* cells are touched: numbers (a negative change, ``-198``) stay numbers.

Workbooks are written with XlsxWriter: a :class:`Book` of :class:`Sheet` objects that
collect their rows, then :meth:`Book.save` writes each cell once with its whole style.
Measured on one styled sheet of 5,000 rows x 11 columns (number formats, red rows, page
setup): openpyxl 25.4 s, XlsxWriter 2.1 s on the same machine, the same file size. Every
sheet is print-ready: A4, landscape where its columns are wider than a portrait page,
fitted to one page wide, its title and header rows repeated on every page, margins, a
footer with the title and "page N of M", and row heights that show wrapped headers and
notes whole.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

__all__ = [
    "FAIL_FILL", "FORMULA_TRIGGERS", "GAIN_FILL", "HEAD_FILL", "RED_TEXT", "Book", "Sheet",
    "neutralise", "safe_frame", "sheet_name", "text_width", "write_csv",
]

log = logging.getLogger(__name__)

#: first characters that make a spreadsheet read a cell as a formula (OWASP, ASVS)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
FAIL_FILL = "#F4CCCC"
GAIN_FILL = "#D9EAD3"
HEAD_FILL = "#DDE6F0"
RED_TEXT = "#C00000"
#: column-width units (about one Latin character each) that fit across an A4 page in
#: portrait at 100 % within the margins below (LibreOffice 7.4 prints 85 of them; it does
#: not shrink a sheet of one wide column to the page); wider sheets print landscape
PORTRAIT_WIDTH = 84
#: points per line of 11-pt text (Calibri/宋体 as spreadsheets draw them)
LINE_POINTS = 15.0
_FOOTER = {"zh": "第 &P 页，共 &N 页", "en": "Page &P of &N"}
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_DEFAULT_WIDTH = 8.43


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


def sheet_name(name: str, used: set[str]) -> str:
    """A valid, unique (case-insensitive) sheet name from ``name``; recorded in ``used``."""
    base = _BAD_SHEET.sub("_", name)[:31] or "sheet"
    out, i = base, 1
    while out.lower() in used:
        i += 1
        out = f"{base[:28]}~{i}"
    used.add(out.lower())
    return out


def text_width(text: str) -> int:
    """Column-width units ``text`` takes: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _lines(text: str, width: float) -> int:
    room = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_width(part) / room)) for part in text.split("\n"))


def _clean(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None  # NaN, pd.NA, NaT: an empty cell
    return value.item() if hasattr(value, "item") else value  # numpy scalars: plain Python


@dataclass
class _Row:
    values: list[Any]
    formats: list[str | None]
    style: dict[str, Any] = field(default_factory=dict)  # bold, size, fill, wrap
    cell_style: dict[int, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Sheet:
    """One sheet being filled; written by :meth:`Book.save`. Rows are numbered from 1."""

    name: str
    title: str
    lang: str
    rows: list[_Row] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    header: int | None = None
    freeze: tuple[int, int] | None = None
    merges: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def max_row(self) -> int:
        """The number of rows so far."""
        return len(self.rows)

    def row(self, values: Iterable[Any], formats: Sequence[str | None] | None = None, *,
            bold: bool = False, fill: str | None = None) -> int:
        """Append ``values`` (``formats``: a number format per column, ``None`` to leave
        one as is; missing values become empty cells); return the row number."""
        vals = [_clean(v) for v in values]
        fmts = list(formats or [])
        self.rows.append(_Row(vals, fmts + [None] * (len(vals) - len(fmts))))
        self.mark(len(self.rows), bold=bold, fill=fill)
        return len(self.rows)

    def title_row(self, text: str) -> int:
        """A bold, larger heading line."""
        row = self.row([text])
        self.rows[row - 1].style.update(bold=True, size=12)
        return row

    def header_row(self, labels: Sequence[str]) -> int:
        """Bold, shaded, wrapped column headers, repeated on every printed page; returns
        the row number."""
        row = self.row(labels)
        self.rows[row - 1].style.update(bold=True, fill=HEAD_FILL, wrap=True)
        self.header = row
        return row

    def blank(self) -> int:
        """An empty row."""
        return self.row([])

    def mark(self, row: int, *, bold: bool = False, fill: str | None = None) -> None:
        """Shade (and embolden) every cell of ``row``."""
        style = self.rows[row - 1].style
        if bold:
            style["bold"] = True
        if fill is not None:
            style["fill"] = fill

    def mark_cell(self, row: int, column: int, **style: Any) -> None:
        """Style one cell (``font_color="#C00000"``, ``bold=True``, ...); column from 1."""
        self.rows[row - 1].cell_style.setdefault(column - 1, {}).update(style)

    def wrap(self, rows: Iterable[int], column: int = 1) -> None:
        """Wrap the text of ``column`` in ``rows`` (long notes) within its width."""
        for row in rows:
            self.mark_cell(row, column, wrap=True)

    def merge(self, row: int, first: int, last: int) -> None:
        """Merge columns ``first..last`` of ``row`` (its first cell's value spans them)."""
        self.merges.append((row, first, last))

    def set_widths(self, widths: Sequence[float]) -> None:
        """Widths of the first ``len(widths)`` columns."""
        self.widths = list(widths)

    def freeze_at(self, row: int, column: int) -> None:
        """Rows above ``row`` and columns left of ``column`` stay on screen."""
        self.freeze = (row, column)

    def width(self, column: int) -> float:
        """Width of ``column`` (from 1)."""
        return self.widths[column - 1] if column <= len(self.widths) else _DEFAULT_WIDTH

    def columns(self) -> int:
        """The number of columns used."""
        return max([len(r.values) for r in self.rows] + [len(self.widths), 1])


class Book:
    """A workbook being filled: :meth:`sheet` adds sheets, :meth:`save` writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.sheets: list[Sheet] = []
        self.used: set[str] = set()

    def sheet(self, name: str, title: str, at: int | None = None) -> Sheet:
        """A new sheet named ``name`` (made valid and unique, :func:`sheet_name`); its
        printed pages carry ``title`` in the footer; ``at``: its place (default: last)."""
        out = Sheet(sheet_name(name, self.used), title, self.lang)
        self.sheets.insert(len(self.sheets) if at is None else at, out)
        return out

    def save(self, path: str | Path) -> Path:
        """Write the workbook to ``path``."""
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                             "strings_to_urls": False,
                                             "strings_to_numbers": False})
        formats: dict[tuple[Any, ...], Any] = {}

        def fmt(**style: Any) -> Any:
            key = tuple(sorted((k, v) for k, v in style.items() if v not in (None, False)))
            if not key:
                return None
            if key not in formats:
                props = dict(key)
                if "fill" in props:
                    props["bg_color"] = props.pop("fill")
                    props["pattern"] = 1
                if props.pop("wrap", False):
                    props["text_wrap"] = True
                    props["valign"] = "top"
                if "size" in props:
                    props["font_size"] = props.pop("size")
                formats[key] = wb.add_format(props)
            return formats[key]

        for sheet in self.sheets:
            _write_sheet(wb, sheet, fmt)
        wb.close()
        return Path(path)


def _write_sheet(wb: Any, sheet: Sheet, fmt: Any) -> None:
    ws = wb.add_worksheet(sheet.name)
    for i, w in enumerate(sheet.widths):
        ws.set_column(i, i, w)
    spans = {(r, a): sum(sheet.width(c) for c in range(a, b + 1)) for r, a, b in sheet.merges}
    for r, row in enumerate(sheet.rows):
        lines = 1
        top = any(s.get("wrap") for s in (row.style, *row.cell_style.values()))
        for c, value in enumerate(row.values):
            style = {**row.style, **row.cell_style.get(c, {})}
            if top:  # a row of several lines: every cell at its top, beside the wrapped one
                style["valign"] = "top"
            num = row.formats[c] if c < len(row.formats) else None
            if isinstance(value, str):
                quote = _formula_like(value)
                ws.write_string(r, c, value, fmt(**style, quote_prefix=quote))
                if style.get("wrap"):
                    lines = max(lines, _lines(value, spans.get((r + 1, c + 1),
                                                               sheet.width(c + 1))))
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value, fmt(**style))
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, fmt(**style, num_format=num))
            elif style.get("fill"):
                ws.write_blank(r, c, None, fmt(**style))
        if row.style.get("fill") and len(row.values) < sheet.columns():
            for c in range(len(row.values), sheet.columns()):
                ws.write_blank(r, c, None, fmt(**row.style))
        if lines > 1:
            ws.set_row(r, LINE_POINTS * lines)
    for r, a, b in sheet.merges:
        value = sheet.rows[r - 1].values[0] if sheet.rows[r - 1].values else ""
        style = {**sheet.rows[r - 1].style, **sheet.rows[r - 1].cell_style.get(a - 1, {})}
        ws.merge_range(r - 1, a - 1, r - 1, b - 1, "" if value is None else str(value),
                       fmt(**style))
    if sheet.freeze:
        ws.freeze_panes(sheet.freeze[0] - 1, sheet.freeze[1] - 1)
    _print_setup(ws, sheet)


def _print_setup(ws: Any, sheet: Sheet) -> None:
    """A4, landscape where wider than a portrait page, one page wide, title and header
    rows repeated, margins, footer with the title and page numbers."""
    wide = sum(sheet.width(c) for c in range(1, sheet.columns() + 1)) > PORTRAIT_WIDTH
    ws.set_paper(9)  # A4
    if wide:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.75)
    ws.center_horizontally()
    if sheet.header:
        ws.repeat_rows(0, sheet.header - 1)
    title = sheet.title.replace("&", "&&")[:120]
    # "&8" sets 8 pt; the space after it keeps a title starting with a digit ("1小时…")
    # from being read as part of the size
    ws.set_footer(f"&L&8 {title}&R&8 {_FOOTER['zh' if sheet.lang == 'zh' else 'en']}",
                  {"margin": 0.3})
