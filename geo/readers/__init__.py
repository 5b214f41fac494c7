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

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them.
#: Lazily, as the type table and the encodings are read by layers that must not import
#: pandas (geo.measures)
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
