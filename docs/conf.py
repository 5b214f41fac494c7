"""Sphinx configuration of the geo-access documentation (``make docs``).

The pages are the Markdown files of this folder (MyST); the API reference is written from the
docstrings (numpydoc style, read by napoleon) into ``api/`` by ``_ext/api_pages.py``. The build
is strict (``sphinx-build -W -n``): a warning, a broken cross-reference included, fails it. It
needs no network: no intersphinx, and the theme ships its fonts and scripts.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "geo-access"
author = "geo-access contributors"
release = metadata.version("geo-access")
language = "en"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "api_pages",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_ext"]
root_doc = "index"

html_theme = "pydata_sphinx_theme"
html_title = "geo-access"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}
html_static_path: list[str] = []

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # pages may start below h1 in included fragments

autodoc_member_order = "bysource"
autodoc_typehints = "signature"  # exact names (type fields look names up loosely)
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
# annotations are strings (``from __future__ import annotations``): show the aliases' names
autodoc_type_aliases = {
    "ArrayLike": "numpy.typing.ArrayLike",
    "npt.ArrayLike": "numpy.typing.ArrayLike",
    "FloatArray": "geo._types.FloatArray",
    "IntArray": "geo._types.IntArray",
    "BoolArray": "geo._types.BoolArray",
}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # Attributes sections as fields: undoc-members documents each once

# Strict: every Python cross-reference must resolve (``-n``) ...
nitpicky = True
# ... except to other projects (no intersphinx: the build is offline) and to words that
# numpydoc type fields hold that are not names (``(n_demand,) float array, optional``).
_EXTERNAL = (
    "numpy", "np", "pandas", "pd", "geopandas", "gpd", "shapely", "scipy", "pyproj",
    "networkx", "nx", "osmnx", "folium", "branca", "matplotlib", "openpyxl", "rasterio",
    "pyogrio", "osmium", "highspy", "fastapi", "starlette", "pydantic", "uvicorn", "dask",
    "distributed", "pathlib", "os", "collections", "typing", "types", "argparse", "logging",
    "threading", "concurrent", "datetime", "io", "enum", "dataclasses", "tomllib", "json",
    "csv", "re", "contextlib", "subprocess", "signal", "zipfile", "hashlib", "builtins",
    "_io", "functools", "itertools", "abc", "npt", "sp", "socket", "annotated_types",
    "importlib", "sys", "shutil", "tempfile", "urllib", "http", "math", "statistics", "time",
)
_BUILTIN = (
    "int", "float", "str", "bool", "bytes", "object", "None", "list", "dict", "tuple", "set",
    "frozenset", "type", "callable", "Any", "Path", "PathLike", "Sequence", "Mapping",
    "Iterable", "Iterator", "Callable", "Hashable", "DataFrame", "Series", "GeoDataFrame",
    "GeoSeries", "Index", "ndarray", "csr_matrix", "csc_matrix", "sparray", "Figure",
    "Workbook", "Worksheet", "ValueError", "KeyError", "OSError", "RuntimeError",
    "TypeError", "Exception", "BaseException", "Literal", "Self", "Final", "TextIO",
    "ASGIApp", "Request", "Response", "Scope", "Receive", "Send", "Client", "CRS",
    "AbstractContextManager", "TypeAliasForwardRef",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(map(re.escape, _EXTERNAL))})(\..*)?"),
    (r"py:.*", rf"({'|'.join(map(re.escape, _BUILTIN))})"),
    # shape words and literals of numpydoc types: ``(N, 2) float array``, ``{"a", "b"}``
    (r"py:class", r"[a-z_]\w*|[A-Z]|.*[^\w.].*"),
    (r"py:class", r"[\d.]+|geo\..*\._[A-Za-z]\w*"),  # numbers; private classes (bases)
]
