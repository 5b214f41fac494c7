"""Tables: CSV/TSV/TXT and Excel sheets as string cells with spreadsheet row numbers.

Text files may be UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16; a title or blank rows above the
header are skipped.
"""

from __future__ import annotations

import csv
import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from python_calamine import CalamineError

from geo.errors import GeoError, InputFileError
from geo.readers.census import count_unit
from geo.readers.encoding import TextEncoding, check_codec
from geo.readers.files import EXCEL, SEPARATORS, PathLike, existing

__all__ = ["read_table"]

logger = logging.getLogger(__name__)


#: rows looked at for a title above a table's header
HEADER_SEARCH_ROWS = 10


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, float) and np.isnan(cell)) and \
        str(cell).strip() != ""


def _is_number(cell: object) -> bool:
    try:
        float(str(cell).replace(",", "").strip())
    except ValueError:
        return False
    return True


def header_row(rows: Sequence[Sequence[object]]) -> int:
    """Return the row (0-based) of a table's header among its first rows.

    The first row, as a reader takes it, when it has two or more filled cells. Otherwise
    (a title such as '柳城县第七次全国人口普查各乡镇常住人口' in a cell of its own, blank
    rows, a line such as '填报单位：县统计局 … 单位：人') the last row of two or more filled
    cells, none a number, before the first row that holds a number (the tables read here
    all hold numbers: counts, coordinates). 0 when there is none: a first row with one
    name and a blank (a header missing a name) above rows of data stays the header.
    """
    top = [[c for c in row if _filled(c)] for row in rows[:HEADER_SEARCH_ROWS]]
    if not top or len(top[0]) >= 2:
        return 0
    names = 0
    for i, cells in enumerate(top):
        if any(_is_number(c) for c in cells):
            # a header on two rows below a title: the upper one is the header row
            if names and len(top[names - 1]) >= 2 and two_row_header(rows, names - 1):
                return names - 1
            return names
        if len(cells) >= 2:
            names = i
    return 0


def two_row_header(rows: Sequence[Sequence[object]], header: int) -> list[str] | None:
    """Return the column names of a header written on two rows, or None for a one-row header.

    Census tables often head their columns on two rows with merged cells: '乡镇' spans
    both rows, '按年龄分' spans the columns '0—14岁', '15—59岁', '60岁及以上' below it. The
    row under ``header`` is a second header row when it holds no number, a row holding a
    number follows it, and the two rows interlock as merged cells do: a cell filled in the
    lower row under a blank of the upper one, and one filled in the upper row over a blank
    of the lower one. Each column is then named by its lower cell (by the upper one where
    the lower is blank), and a unit the upper cell (carried right across merged cells)
    names at its end ('按年龄分（万人）') is added to the lower names that name none
    ('0—14岁（万人）'), so the counts are read in it. Lower names that repeat ('2010年',
    '2020年' under two upper cells) are not merged: the header check stops on them.
    """
    if len(rows) < header + 3:
        return None
    upper, lower = list(rows[header]), list(rows[header + 1])
    width = max(len(upper), len(lower))
    upper += [None] * (width - len(upper))
    lower += [None] * (width - len(lower))
    if not any(_filled(c) for c in lower) or any(_filled(c) and _is_number(c) for c in lower):
        return None
    if not any(_filled(c) and _is_number(c) for c in rows[header + 2]):
        return None
    under_blank = any(_filled(lo) and not _filled(up) for up, lo in zip(upper, lower, strict=True))
    over_blank = any(_filled(up) and not _filled(lo) for up, lo in zip(upper, lower, strict=True))
    if not (under_blank and over_blank):
        return None
    lowers = [str(lo).strip() for lo in lower if _filled(lo)]
    if len(set(lowers)) < len(lowers):
        return None  # '2010年', '2020年' under two upper cells: the names check stops on it
    carried, last = [], ""
    for up, lo in zip(upper, lower, strict=True):
        if _filled(up):
            last = str(up).strip()
        carried.append(last if _filled(lo) else "")
    names = []
    for up, lo, over in zip(upper, lower, carried, strict=True):
        if not _filled(lo):
            names.append(str(up).strip() if _filled(up) else "")
            continue
        name = str(lo).strip()
        unit = count_unit(over)[1]
        if unit is not None and count_unit(name)[1] is None:
            name = f"{name}（{unit}）"  # '按年龄分（万人）' over '0—14岁': its unit is 万人
        names.append(name)
    return names


def _title(rows: Sequence[Sequence[object]], header: int) -> str:
    text = [str(c).strip() for row in rows[:header] for c in row if _filled(c)]
    return "; ".join(text)[:80]


def _check_header(rows: Sequence[Sequence[object]], header: int, src: Path) -> None:
    """Stop on a header that names one column twice.

    Such a header ('2010年', '2020年' under merged cells '常住人口' and '户籍人口' of a
    two-row header) would let an option pick either: stop, naming them and, for a two-row
    header, the row above.
    """
    if header >= len(rows):
        return
    cells = [str(c).strip() for c in rows[header] if _filled(c)]
    twice = list(dict.fromkeys(c for c in cells if cells.count(c) > 1))
    if not twice:
        return
    above = [str(c).strip() for c in rows[header - 1] if _filled(c)] if header else []
    two_rows = (f"; it looks like the second row of a two-row header (row {header}: "
                f"{'; '.join(above)}, over merged cells)" if len(above) >= 2 else "")
    raise InputFileError(
        f"the header of {src.name} (row {header + 1}) names {', '.join(map(repr, twice))} more "
        f"than once{two_rows}: write one row of distinct column names, e.g. "
        f"'{above[1] if len(above) >= 2 else 'name'}（{twice[0]}）', and name the one to use "
        "in the study file (count_col, lon_col, ...)")


def load_table(
    src: Path, sheet: str | None, encoding: str | None
) -> tuple[pd.DataFrame, TextEncoding | None]:
    """Read CSV/Excel with string cells.

    The index holds spreadsheet row numbers (header = 1, or the row :func:`header_row` finds below a
    title: the frame's ``attrs["notes"]`` then say which rows were skipped).
    """
    enc = None
    try:
        if src.suffix.lower() in EXCEL:
            if encoding is not None:
                raise InputFileError(
                    f"the encoding option applies to CSV tables and Shapefiles; {src.name} is "
                    "an Excel workbook, which stores its own encoding: drop the option"
                )
            xls = src.suffix.lower() == ".xls"  # Excel 97-2003: python-calamine
            with pd.ExcelFile(src, engine="calamine" if xls else "openpyxl") as book:
                sheets = [str(name) for name in book.sheet_names]
                if sheet is not None and sheet not in sheets:
                    raise InputFileError(f"{src} has no sheet {sheet!r}; its sheets: {sheets}: "
                                         "name one of them as the layer ([facilities] layer)")
                top = pd.read_excel(book, sheet_name=sheet or 0, dtype=str, header=None,
                                    nrows=HEADER_SEARCH_ROWS).values.tolist()
                skip = header_row(top)
                _check_header(top, skip, src)
                frame = pd.read_excel(book, sheet_name=sheet or 0, dtype=str, header=skip)
        else:
            first, enc = read_text(src, encoding, head=True)
            top = first.values.tolist()
            skip = header_row(top)
            _check_header(top, skip, src)
            frame, enc = read_text(src, encoding, skip=skip)
    except GeoError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{src} is empty; point to the right file") from exc
    except (ImportError, OSError, zipfile.BadZipFile, ValueError, CalamineError,
            csv.Error) as e:  # csv.Error: a .txt whose delimiter cannot be told
        raise InputFileError(f"cannot read {src} ({e}); save it as UTF-8 CSV or .xlsx") from e
    names = two_row_header(top, skip)
    if names is not None:  # the second header row is the frame's first row: drop it
        frame = frame.iloc[1:]
        frame.columns = pd.Index((names + [str(c) for c in frame.columns])[:frame.shape[1]])
        two_rows = (f"{src.name}: the header is written on rows {skip + 1} and {skip + 2}; "
                    f"columns read as {[n for n in names if n]}")
        logger.info(two_rows)
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    data_row = skip + 2 + (names is not None)
    frame.index = pd.RangeIndex(data_row, len(frame) + data_row)
    frame.attrs["header_row"] = skip + 1
    if skip:
        title = _title(top, skip)
        note = (f"{src.name}: the header is row {skip + 1}; the {skip} row(s) above it were "
                + (f"skipped as a title ({title!r})" if title else "blank and skipped"))
        logger.info(note)
        frame.attrs["notes"] = [note]
        frame.attrs["title"] = title
    if names is not None:
        frame.attrs.setdefault("notes", []).append(two_rows)
    blank = frame.isna().all(axis=1)
    if blank.any():
        logger.info("%s: skipped %d blank rows", src, int(blank.sum()))
    if blank.all():
        raise InputFileError(f"{src} has no data rows; fill it in or point to the right file")
    out = frame.loc[~blank]
    out.attrs = dict(frame.attrs)
    return out, enc


def read_text(src: Path, encoding: str | None, *, head: bool = False,
              skip: int = 0) -> tuple[pd.DataFrame, TextEncoding]:
    """Return a CSV as strings: in ``encoding`` if given, else UTF-8 (BOM or not), else GB18030.

    ``head``: the first rows only, with no header (for :func:`header_row`), rows of any width;
    ``skip``: rows above the header.
    """
    sep = SEPARATORS.get(src.suffix.lower(), ",")

    def read(codec: str) -> pd.DataFrame:
        if head:
            import io as _io

            with src.open(encoding=codec, newline="") as f:
                lines = [f.readline() for _ in range(HEADER_SEARCH_ROWS)]
            text = "".join(lines)
            rows = list(csv.reader(_io.StringIO(text), delimiter=sep)) if sep else \
                [ln.split() for ln in text.splitlines()]
            width = max((len(r) for r in rows), default=0)
            return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
        return pd.read_csv(
            src, sep=sep, dtype=str, encoding=codec, keep_default_na=False,
            na_values=[""], skip_blank_lines=False,  # keep spreadsheet row numbers right
            engine="python" if sep is None else "c", skiprows=skip,
        )  # fmt: skip

    with src.open("rb") as fh:
        bom = fh.read(2)
    if encoding is None and bom in (b"\xff\xfe", b"\xfe\xff"):
        # Excel's "Unicode text" (Unicode 文本) export: UTF-16 with a byte-order mark, tabs
        # between the cells whatever the file is named
        with src.open(encoding="utf-16") as text:
            top = [text.readline() for _ in range(HEADER_SEARCH_ROWS)]
        sep = "\t" if any("\t" in line for line in top) or sep is None else sep
        return read("utf-16"), TextEncoding("utf-16", "detected", src.name)
    if encoding is not None:
        codec = check_codec(encoding)
        try:
            return read(codec), TextEncoding(codec, "option", src.name)
        except UnicodeDecodeError as exc:
            raise InputFileError(
                f"{src} is not valid {codec} ({exc.reason} at byte {exc.start}): drop the "
                "encoding option to detect UTF-8 or GBK, or name the file's encoding"
            ) from exc
    try:
        return read("utf-8-sig"), TextEncoding("utf-8", "default", src.name)
    except UnicodeDecodeError:
        logger.info("%s is not UTF-8; reading it as GBK/GB18030", src)
    return read("gb18030"), TextEncoding("gb18030", "detected", src.name)  # ⊃ GBK, GB2312


def read_table(
    path: PathLike, *, layer: str | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read a CSV/TSV or Excel table (e.g. township populations) with string cells.

    Codes stay as written (never turned into numbers: leading zeros are kept); see
    :mod:`geo.readers.census` for total rows and 12-digit township codes.

    Parameters
    ----------
    path : str or os.PathLike
        CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), TSV/TXT or Excel file.
    layer : str, optional
        Excel sheet; the first by default.
    encoding : str, optional
        Text encoding of a CSV (default: UTF-8, else GB18030).

    Returns
    -------
    pandas.DataFrame
        Every column as strings (empty cells missing), index 0..n-1; ``attrs`` hold
        ``source``, ``encoding``, ``rows`` (the spreadsheet row of each, header = 1) and
        ``notes``.

    Raises
    ------
    InputFileError
        The file is missing, unreadable or has no rows.
    """
    src = existing(path, "table")
    frame, enc = load_table(src, layer, encoding)
    out = frame.reset_index(drop=True)
    out.attrs.update(source=str(src), encoding=enc.codec if enc else None,
                     rows=[int(r) for r in frame.index],
                     notes=([enc.note] if enc and enc.note else [])
                     + list(frame.attrs.get("notes", [])))  # e.g. a title row skipped
    return out

