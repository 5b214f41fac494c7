"""Opening input files: what every reader shares.

A file that must exist, :class:`Read` (what the outputs must be told about how a file was
read: the system of the values left to convert, the text encoding, notes), the result's
``attrs`` (:func:`finish`), coordinate systems of files and checks of geometry types.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from geo._files import input_file
from geo.crs import InputSystem, input_system
from geo.errors import CoordinateError, InputFileError
from geo.readers.columns import ROW, offenders
from geo.readers.encoding import TextEncoding

PathLike: TypeAlias = str | os.PathLike[str]

EXCEL = (".xlsx", ".xlsm", ".xls")


SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": None}

#: vector sources that are folders (an ESRI File Geodatabase), which GDAL opens as one file
VECTOR_FOLDERS = (".gdb",)


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


def existing(path: PathLike, what: str, folders: tuple[str, ...] = ()) -> Path:
    """``path``, once it names a readable file (:func:`geo._files.input_file`; folders
    with a suffix in ``folders``, such as a File Geodatabase, too)."""
    return input_file(path, f"{what} file", "check the name, and note that paths in a study "
                      "file are relative to the study file", folders=folders)


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


def is_wgs84(crs: object) -> bool:
    return bool(CRS.from_user_input(crs).equals("EPSG:4326", ignore_axis_order=True))


def file_system(file_crs: CRS) -> InputSystem:
    code = file_crs.to_epsg()
    return input_system(f"EPSG:{code}") if code else InputSystem(file_crs.to_string(), file_crs)


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

