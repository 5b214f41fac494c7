"""Reading a TOML data file (study, standards, batch, scenario) with errors that name the
file and the fix.

Text is read as UTF-8, with or without the byte-order mark Windows Notepad writes; a file
saved as "Unicode" (UTF-16 with its byte-order mark) is read too. Anything else that is not
UTF-8 stops, as do invalid TOML and tables nested too deeply for the parser.
"""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

from geo._files import input_file
from geo.errors import GeoError

__all__ = ["MAX_TOML_BYTES", "parse_toml", "read_toml", "toml_text"]

#: no study, standards, batch or scenario file is bigger (Luzhai's standards file: 14 kB)
MAX_TOML_BYTES = 20_000_000


def toml_text(path: str | Path, what: str, error: type[GeoError],
              fix: str = "check the path in the study file") -> str:
    """The text of a TOML file (see module docs); a missing or unreadable file raises
    :class:`~geo.errors.InputFileError` (with ``fix``), text that is not UTF-8 ``error``."""
    p = input_file(path, what, fix, max_bytes=MAX_TOML_BYTES)
    data = p.read_bytes()
    # the UTF-8 byte-order mark Notepad writes is no part of the text
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    codec = "utf-16" if utf16 else "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise error(f"{what} {p} is not valid TOML (UTF-8): {e}: save it as UTF-8") from e


def parse_toml(text: str, what: str, where: str | Path, error: type[GeoError]) -> dict[str, Any]:
    """``text`` parsed; invalid TOML raises ``error`` naming ``what`` and ``where``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{what} {where} is not valid TOML (UTF-8): {e}") from e
    except RecursionError:
        raise error(f"{what} {where} is not valid TOML: its tables or lists are nested too "
                    "deeply to read (hundreds of brackets inside one another): look for "
                    "brackets that are never closed") from None


def read_toml(path: str | Path, what: str, error: type[GeoError],
              fix: str = "check the path in the study file") -> dict[str, Any]:
    """The parsed file (see :func:`toml_text` and :func:`parse_toml`)."""
    return parse_toml(toml_text(path, what, error, fix), what, Path(path), error)
