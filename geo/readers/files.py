"""Opening input files: tables and vector layers, their text encoding and coordinate system.

The private half of :mod:`geo.readers.io`: CSV/Excel tables as string cells with spreadsheet row
numbers, vector layers with feature numbers, Shapefile text decoded as :mod:`geo.readers.encoding`
decides, layers brought to EPSG:4326 (Gauss-Krüger layers checked against their zone), and
:class:`Read`, what the outputs must be told about how a file was read.
"""

from __future__ import annotations

import csv
import logging
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from python_calamine import CalamineError

from geo.crs import InputSystem, input_system, system_to_wgs84, to_wgs84
from geo.errors import CoordinateError, GeoError, InputFileError
from geo.readers import gauss_kruger
from geo.readers.columns import ROW, names, offenders
from geo.readers.encoding import TextEncoding, check_codec, shapefile_encoding

logger = logging.getLogger(__name__)

EXCEL = (".xlsx", ".xlsm", ".xls")
SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": None}

@dataclass(frozen=True)
class Read:
    """How a file was read: the system of the values left to convert, its name, the text
    encoding and the notes for the outputs."""

    system: InputSystem
    name: str
    encoding: TextEncoding | None = None
    notes: tuple[str, ...] = ()

    def with_notes(self, more: Sequence[str]) -> Read:
        return replace(self, notes=(*self.notes, *more))


def existing(path: str | os.PathLike[str], what: str) -> Path:
    src = Path(path)
    if not src.exists():
        raise InputFileError(
            f"{what} file not found: {str(path)!r} (looked for {src.resolve()}); check the "
            "name, and note that paths in a study file are relative to the study file"
        )
    return src


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
    """The row (0-based) of a table's header among its first rows.

    The first row, as a reader takes it, when it has two or more filled cells. Otherwise
    (a title such as '柳城县第七次全国人口普查各乡镇常住人口' in a cell of its own, blank
    rows, a line such as '填报单位：县统计局 … 单位：人') the last row of two or more filled
    cells, none a number, before the first row that holds a number (the tables read here
    all hold numbers: counts, coordinates). 0 when there is none: a first row with one
    name and a blank (a header missing a name) above rows of data stays the header."""
    top = [[c for c in row if _filled(c)] for row in rows[:HEADER_SEARCH_ROWS]]
    if not top or len(top[0]) >= 2:
        return 0
    names = 0
    for i, cells in enumerate(top):
        if any(_is_number(c) for c in cells):
            return names
        if len(cells) >= 2:
            names = i
    return 0


def _title(rows: Sequence[Sequence[object]], header: int) -> str:
    text = [str(c).strip() for row in rows[:header] for c in row if _filled(c)]
    return "; ".join(text)[:80]


def load_table(
    src: Path, sheet: str | None, encoding: str | None
) -> tuple[pd.DataFrame, TextEncoding | None]:
    """CSV/Excel with string cells; the index holds spreadsheet row numbers (header = 1,
    or the row :func:`header_row` finds below a title: the frame's ``attrs["notes"]`` then
    say which rows were skipped)."""
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
                frame = pd.read_excel(book, sheet_name=sheet or 0, dtype=str, header=skip)
        else:
            first, enc = read_text(src, encoding, head=True)
            top = first.values.tolist()
            skip = header_row(top)
            frame, enc = read_text(src, encoding, skip=skip)
    except GeoError:
        raise
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{src} is empty; point to the right file") from exc
    except (ImportError, OSError, zipfile.BadZipFile, ValueError, CalamineError,
            csv.Error) as e:  # csv.Error: a .txt whose delimiter cannot be told
        raise InputFileError(f"cannot read {src} ({e}); save it as UTF-8 CSV or .xlsx") from e
    frame.columns = pd.Index([str(c).strip() for c in frame.columns])
    frame.index = pd.RangeIndex(skip + 2, len(frame) + skip + 2)
    frame.attrs["header_row"] = skip + 1
    if skip:
        title = _title(top, skip)
        note = (f"{src.name}: the header is row {skip + 1}; the {skip} row(s) above it were "
                + (f"skipped as a title ({title!r})" if title else "blank and skipped"))
        logger.info(note)
        frame.attrs["notes"] = [note]
        frame.attrs["title"] = title
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
    """A CSV as strings: in ``encoding`` if given, else UTF-8 (BOM or not), else GB18030.
    ``head``: the first rows only, with no header (for :func:`header_row`), rows of any
    width; ``skip``: rows above the header."""
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


def load_layer(
    src: Path, layer: str | None, kinds: Sequence[str], what: str, crs: str | None,
    encoding: str | None,
) -> tuple[gpd.GeoDataFrame, Read]:
    """A vector layer of geometry types ``kinds`` in WGS84 (GCJ-02/BD-09 vertices converted)."""
    gdf, enc = load_vector(src, layer, encoding)
    require_types(gdf, kinds, what, src)
    gdf, read = layer_lonlat(gdf, crs, src)
    key = read.system.key
    if key in ("gcj02", "bd09"):

        def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            return np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], key))

        geoms = shapely.transform(np.asarray(gdf.geometry.array), convert)
        gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326")
        logger.info("%s: converted every vertex from %s to WGS84", src, key)
        label = "GCJ-02 (AMap, Tencent)" if key == "gcj02" else "BD-09 (Baidu)"
        read = read.with_notes([f"{src.name}: every vertex of its {len(gdf)} {what} converted "
                                f"from {label} to WGS84"])
    return gdf, replace(read, encoding=enc)


def load_vector(
    src: Path, layer: str | None, encoding: str | None
) -> tuple[gpd.GeoDataFrame, TextEncoding | None]:
    """A vector layer; the index holds feature numbers counted from 1."""
    enc = shapefile_encoding(src, encoding)
    try:
        layers = [str(name) for name in pyogrio.list_layers(src)[:, 0]]
        if (layer is None and len(layers) > 1) or (layer is not None and layer not in layers):
            raise InputFileError(
                f"{src} has layers {names(layers)}: name one in the study file ([area] layer, "
                "[facilities] layer, [townships] layer or [roads] layer, as fits the file)"
                + ("" if layer is None else f" (there is no layer {layer!r})")
            )
        options = {} if enc is None else {"encoding": enc.codec}
        gdf = gpd.read_file(src, layer=layer, engine="pyogrio", **options)
    except (DataSourceError, DataLayerError) as exc:
        raise InputFileError(
            f"cannot read {src} as a vector file ({exc}); use GeoJSON, GeoPackage, "
            "Shapefile (with its .shx/.dbf/.prj) or a CSV/Excel table"
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputFileError(f"{src} has no geometry; point to a vector file with features")
    if gdf.empty:
        raise InputFileError(f"{src} has no features; point to the right file or layer")
    gdf.index = pd.RangeIndex(1, len(gdf) + 1)
    return gdf, enc


def finish(gdf: gpd.GeoDataFrame, src: Path, read: Read, **attrs: object) -> gpd.GeoDataFrame:
    out = gdf.drop(columns=[ROW], errors="ignore").reset_index(drop=True)
    notes = [*read.notes, read.encoding.note if read.encoding else ""]
    out.attrs.clear()
    out.attrs.update(
        source=str(src), input_crs=read.name,
        encoding=read.encoding.codec if read.encoding else None,
        notes=list(dict.fromkeys(n for n in notes if n)), **attrs,
    )
    return out


# --- coordinate systems and geometries ---------------------------------------------------


def is_wgs84(crs: object) -> bool:
    return bool(CRS.from_user_input(crs).equals("EPSG:4326", ignore_axis_order=True))


def file_system(file_crs: CRS) -> InputSystem:
    code = file_crs.to_epsg()
    return input_system(f"EPSG:{code}") if code else InputSystem(file_crs.to_string(), file_crs)


def layer_lonlat(
    gdf: gpd.GeoDataFrame, crs: str | None, src: Path
) -> tuple[gpd.GeoDataFrame, Read]:
    """The layer in EPSG:4326 lon/lat and the system of its values (maybe still GCJ-02)."""
    system = None if crs is None else input_system(crs)
    if gdf.crs is None:
        if system is None:
            raise CoordinateError(
                f"{src} has no coordinate system (no .prj file or CRS in it): say what it is "
                "in the study file ([area] crs, [townships] crs or [roads] crs, whichever "
                "names this file): 'wgs84', 'gcj02'/'bd09' for AMap/Baidu data, 'cgcs2000', or "
                "an EPSG code such as 'EPSG:4525'"
            )
        gdf = gdf.set_crs(system.crs or "EPSG:4326")
    file_crs = CRS.from_user_input(gdf.crs)
    if system is not None and (
        (system.key in ("gcj02", "bd09") and not file_crs.is_geographic)
        or (system.crs is not None and not system.crs.equals(file_crs, ignore_axis_order=True))
    ):
        raise CoordinateError(
            f"{src} says its coordinate system is {file_crs.name} but crs={crs!r} was given; "
            "drop the crs option, or fix the file's coordinate system"
        )
    shifted = system is not None and system.key in ("gcj02", "bd09")
    left = system if shifted and system is not None else InputSystem("wgs84")  # GCJ-02/BD-09
    if is_wgs84(file_crs):  # numbers stay as they are, to be converted by the caller
        return gdf.to_crs("EPSG:4326"), Read(left, left.name)
    values = file_system(file_crs)
    zone = gauss_kruger.gk_zone(file_crs) if file_crs.is_projected else None
    if zone is not None:
        check_layer_zone(gdf, zone, src)
    notes: list[str] = []

    def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat, note = system_to_wgs84(xy[:, 0], xy[:, 1], values)
        notes.append(note)
        return np.column_stack([lon, lat])

    geoms = shapely.transform(np.asarray(gdf.geometry.array), convert)
    out = gdf.copy()
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326")
    out = out.set_crs("EPSG:4326", allow_override=True)
    what = "x/y" if file_crs.is_projected else "lon/lat"
    done = f"{src.name}: {len(gdf)} features converted from {values.label} {what} to WGS84"
    return out, Read(left, left.name if shifted else values.name,
                     notes=(done, *[n for n in notes[:1] if n]))


def check_layer_zone(gdf: gpd.GeoDataFrame, zone: gauss_kruger.GKZone, src: Path) -> None:
    """A Gauss-Krüger layer's corners must fit its zone (a wrong .prj moves everything)."""
    bounds = gdf.geometry.bounds
    for xs, ys in (("minx", "miny"), ("maxx", "maxy")):
        found = gauss_kruger.problems(bounds[xs].to_numpy(), bounds[ys].to_numpy(), zone)
        if found:
            listed = "; ".join(
                f"{offenders(gdf, pd.Series(p.rows, index=gdf.index))}: {p.text}" for p in found
            )
            raise CoordinateError(
                f"{src} is in {zone} by its .prj, but its coordinates do not fit: {listed}; "
                "fix the file's coordinate system (e.g. in a GIS: assign the right CRS)"
            )


def require_types(gdf: gpd.GeoDataFrame, allowed: Sequence[str], what: str, src: Path) -> None:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        raise CoordinateError(
            f"{offenders(gdf, missing)} of {src} has no geometry; draw or delete it in a GIS"
        )
    check_types(gdf, ~gdf.geom_type.isin(allowed), f"{what} must be {' or '.join(allowed)}", src)


def check_types(gdf: gpd.GeoDataFrame, wrong: pd.Series, what: str, src: Path) -> None:
    if wrong.any():
        found = ", ".join(f"{n} {t}" for t, n in gdf.geom_type.value_counts().items())
        which = "" if wrong.all() else f" ({offenders(gdf, wrong, gdf.geom_type)})"
        raise InputFileError(
            f"{src} holds {found} but {what}{which}; point to the right file or layer, "
            "or convert the features in a GIS"
        )
