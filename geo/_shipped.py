"""The files geo ships and reads at run time: the facility-type table, the standards, the
embedded Luzhai study with its data and scenarios.

The repository keeps them at its top level (``analysis/``, ``data/``): that is the one copy
anyone edits. A built package (wheel or sdist) carries a copy made by the build, under
``geo/_shipped/`` (``setup.py``'s ``build_py``), found here with :mod:`importlib.resources`;
a checkout (``make``'s editable install) has no such folder and reads the top-level files
themselves, so an edit there takes effect without a rebuild.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["FOLDER", "shipped", "shipped_root"]

#: the folder inside the installed package that holds ``analysis/`` and ``data/``
FOLDER = "_shipped"


def shipped_root() -> Path:
    """The folder holding ``analysis/`` and ``data/``: inside the installed package, else
    the checkout geo runs from."""
    package = resources.files("geo")
    if not isinstance(package, Path):  # a zip import: the study files need real paths
        raise RuntimeError(f"geo is imported from {package}, not from files on disk: "
                           "install it with pip (pip install geo_access-*.whl)")
    inside = package / FOLDER
    return inside if inside.is_dir() else package.parent


def shipped(relative: str) -> Path:
    """A shipped file by its path in the repository, e.g. ``"analysis/standards.toml"``.

    Parameters
    ----------
    relative
        The path under the repository's top level, with forward slashes.

    Returns
    -------
    Path
        The file inside the installed package, or in the checkout.
    """
    return shipped_root().joinpath(*relative.split("/"))
