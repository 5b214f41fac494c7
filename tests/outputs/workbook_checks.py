"""What every sheet of every workbook ``geo`` writes must be, read back with openpyxl (not
with the writer): print-ready, headers repeated, total rows, meaningful sheet names."""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

from openpyxl import load_workbook

#: column-width units LibreOffice 7.4 prints across a portrait A4 page at 100 %
PORTRAIT = 84
CJK = re.compile(r"[\u4e00-\u9fff]")
HEAD_FILL = "DDE6F0"


def _width(ws, column: int) -> float:  # type: ignore[no-untyped-def]
    """A column's width; a <col> element may span several columns (min..max)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= column <= (dim.max or dim.min) and dim.width:
            return float(dim.width)
    return 8.43


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def header_row(ws) -> int | None:  # type: ignore[no-untyped-def]
    """The row of column headers: bold cells shaded in the header colour."""
    for row in ws.iter_rows(max_row=6):
        cells = [c for c in row if c.value is not None]
        if cells and all(c.font.bold and str(c.fill.fgColor.rgb)[-6:] == HEAD_FILL
                         for c in cells):
            return cells[0].row
    return None


def check_workbook(path: Path, lang: str = "zh") -> list[str]:
    """Check every sheet of ``path``; returns the sheet names (asserts on a fault)."""
    wb = load_workbook(path)
    seen = set()
    for ws in wb.worksheets:
        where = f"{path.name}:{ws.title}"
        # names: at most 31 characters, unique, in the study's language
        assert 0 < len(ws.title) <= 31, where
        assert ws.title.lower() not in seen, where
        seen.add(ws.title.lower())
        if lang == "zh":
            assert CJK.search(ws.title), f"{where}: not a Chinese sheet name"
        # page setup: A4, one page wide, orientation by width, margins, footer
        assert ws.page_setup.paperSize in (9, "9"), where
        assert ws.sheet_properties.pageSetUpPr is not None and \
            ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert int(ws.page_setup.fitToWidth or 1) == 1, where
        assert int(ws.page_setup.fitToHeight) == 0, where
        # (XlsxWriter stores a width of 12 as 12.71: the cell padding, in characters)
        wide = sum(math.floor(_width(ws, c)) for c in range(1, ws.max_column + 1)) > PORTRAIT
        assert ws.page_setup.orientation == ("landscape" if wide else "portrait"), where
        assert ws.page_margins.left >= 0.4 and ws.page_margins.bottom >= 0.5, where
        footer = ws.oddFooter
        assert "&P" in (footer.right.text or "") and "&N" in (footer.right.text or ""), where
        assert (footer.left.text or "").strip(), f"{where}: no title in the footer"
        # a table's header rows repeat on every printed page, and show whole
        head = header_row(ws)
        if head is not None:
            assert str(ws.print_title_rows).replace("$", "") == f"1:{head}", where
            lines = max(math.ceil(_text_width(str(c.value)) / max(_width(ws, c.column) - 1, 1))
                        for c in ws[head] if c.value is not None)
            if lines > 1:
                height = ws.row_dimensions[head].height
                assert height is not None and height >= 15 * lines - 0.1, (where, height)
            # a township table ends with the whole area's row, in bold
            if str(ws.cell(head, 1).value) == "乡镇":
                last = max(r for r in range(head + 1, ws.max_row + 1)
                           if ws.cell(r, 1).value is not None)
                assert "全县合计" in str(ws.cell(last, 1).value), where
                assert ws.cell(last, 1).font.bold, where
    return wb.sheetnames
