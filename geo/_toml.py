"""Reading a TOML data file with errors that name the file and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from geo.errors import GeoError, InputFileError

__all__ = ["read_toml"]


def read_toml(path: str | Path, what: str, error: type[GeoError],
              fix: str = "check the path in the study file") -> dict[str, Any]:
    """The parsed file; a missing file raises :class:`InputFileError` (with ``fix``), bad
    TOML or text that is not UTF-8 ``error``."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"{what} {p} not found: {fix}")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise error(f"{what} {p} is not valid TOML (UTF-8): {e}") from e
    except RecursionError as e:  # hundreds of nested brackets: Python's parser gives up
        raise error(f"{what} {p} is not valid TOML: its arrays or tables are nested too "
                    "deeply") from e
