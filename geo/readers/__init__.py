"""Readers: planners' files to WGS84 frames.

The readers a study uses, each checking its file on entry and naming the row and the fix:
:func:`read_facilities` (facility lists: CSV, Excel, any point layer; WGS84, GCJ-02,
BD-09, CGCS2000, Gauss-Krüger), :func:`read_points` (points with counts, e.g. population),
:func:`read_boundaries` (county and township polygons), :func:`read_roads` (road lines)
and :func:`read_table` (CSV/Excel tables as text cells). :func:`input_notes` collects what
the outputs must say about how the files were read.

Modules: ``points``, ``layers``, ``tables`` (the readers), ``files`` (what they share),
``columns`` (finding columns, naming rows), ``coordinates`` (coordinate columns to WGS84),
``census`` (total rows, 12-digit township codes), ``encoding`` (DBF/CSV text),
``facility_types`` (the type table), ``gauss_kruger`` (survey coordinates), ``names``
(township names as planners write them, joined across files).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: public name -> module that defines it (imported on first use: the type table and the
#: encodings are read by layers that must not import pandas, e.g. geo.measures)
_EXPORTS = {
    "input_notes": "geo.readers.points",
    "read_facilities": "geo.readers.points",
    "read_points": "geo.readers.points",
    "read_boundaries": "geo.readers.layers",
    "read_roads": "geo.readers.layers",
    "read_table": "geo.readers.tables",
}
__all__ = [
    "input_notes", "read_boundaries", "read_facilities", "read_points", "read_roads", "read_table",
]

if TYPE_CHECKING:
    from geo.readers.layers import read_boundaries, read_roads
    from geo.readers.points import input_notes, read_facilities, read_points
    from geo.readers.tables import read_table


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'geo.readers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
