"""Text encodings of input files: the DBF of a Shapefile (UTF-8 or GBK/GB18030), CSV tables.

A Shapefile's attribute table (.dbf) has no reliable encoding of its own: a ``.cpg`` file
beside it may name one, and without it GDAL falls back to ISO-8859-1 (or a guess from the
DBF header), which turns GBK Chinese names into mojibake without any error. So geo decides:
an explicit ``encoding`` option wins; else the ``.cpg``; else the DBF's text fields and field
names are decoded strictly as UTF-8, then as GB18030 (a superset of GBK and GB2312); if
neither decodes cleanly the read stops. Whatever was used is checked the same way (a wrong
``.cpg`` stops the run) and handed to pyogrio, which then decodes the text itself.
"""

from __future__ import annotations

import codecs
import logging
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.errors import InputFileError

__all__ = ["TextEncoding", "check_codec", "shapefile_encoding"]

logger = logging.getLogger(__name__)

#: .cpg contents (upper case, without spaces) -> Python codec
_CPG = {
    "UTF8": "utf-8", "65001": "utf-8",
    "GBK": "gbk", "CP936": "gbk", "936": "gbk", "ANSI936": "gbk", "GB2312": "gbk",
    "GB18030": "gb18030", "54936": "gb18030",
    "BIG5": "big5", "CP950": "big5", "950": "big5",
    "88591": "latin-1", "ISO88591": "latin-1", "LATIN1": "latin-1",
    "1252": "cp1252", "ANSI1252": "cp1252", "CP1252": "cp1252", "WINDOWS1252": "cp1252",
}
_FIX = "set the encoding option (e.g. encoding = \"gbk\" or \"utf-8\" in the study file section)"


@dataclass(frozen=True)
class TextEncoding:
    """The encoding a file is read with, and how it was decided."""

    codec: str  # Python codec name, e.g. "utf-8", "gb18030"
    #: "option", "cpg", "detected", "default" (a CSV that is valid UTF-8) or "ascii" (no
    #: text beyond ASCII: every encoding reads it alike)
    how: str
    file: str  # the file whose text decided it

    @property
    def note(self) -> str:
        """One line for the outputs when the encoding was detected, else ''."""
        if self.how != "detected":
            return ""
        if self.codec == "utf-16":  # Excel's "Unicode text" (Unicode 文本) export
            return (f"text of {self.file} read as UTF-16, detected from its byte-order mark "
                    "(Excel's 'Unicode text' export)")
        name = "UTF-8" if self.codec == "utf-8" else "GB18030 (GBK)"
        why = "no .cpg file names its encoding" if self.file.lower().endswith(".dbf") else \
            "it is not valid UTF-8"
        return f"text of {self.file} read as {name}, detected from the text ({why})"


def check_codec(name: str) -> str:
    """Return the codec for an ``encoding`` option or a .cpg; InputFileError if there is none."""
    flat = name.strip().upper().replace(" ", "").replace("-", "").replace("_", "")
    try:  # Python's own spelling ("iso8859-1", not "latin-1"): pyogrio passes it to GDAL
        return codecs.lookup(_CPG.get(flat, name.strip())).name
    except LookupError as exc:
        raise InputFileError(
            f"unknown text encoding {name!r}: use utf-8, gbk, gb18030, big5 or another "
            "Python codec name"
        ) from exc


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def _dbf_text(dbf: Path) -> bytes:
    """Return field names and the bytes of every character field, one value per line."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise InputFileError(f"{dbf} is not a DBF file (too short); restore the Shapefile")
    count, header, size = struct.unpack_from("<IHH", data, 4)
    names, blocks, offset, pos = [], [], 1, 32
    while pos + 32 <= header and data[pos] != 0x0D:
        kind, width = chr(data[pos + 11]), data[pos + 16]
        if kind not in "NF":  # shapelib: text widths above 255 use the decimals byte
            width += 256 * data[pos + 17]
        names.append(data[pos:pos + 11].split(b"\0")[0])
        if kind == "C":
            blocks.append((offset, width))
        offset, pos = offset + width, pos + 32
    count = min(count, max(0, (len(data) - header) // max(size, 1)))
    records = np.frombuffer(data, dtype=np.uint8, count=count * size, offset=header)
    records = records.reshape(count, size)
    newline = np.full((count, 1), 0x0A, dtype=np.uint8)
    parts = [np.hstack([records[:, a:a + w], newline]).tobytes() for a, w in blocks]
    return b"\n".join(names) + b"\n" + b"".join(parts)


def _decodes(text: bytes, codec: str) -> bool:
    try:
        text.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def shapefile_encoding(path: Path, option: str | None = None) -> TextEncoding | None:
    """Return the encoding of a Shapefile's .dbf text (None for files that are not Shapefiles).

    Raises
    ------
    InputFileError
        The text is not valid in the encoding given (by the option or the .cpg), or,
        without either, neither valid UTF-8 nor valid GB18030.
    """
    if path.suffix.lower() not in (".shp", ".dbf"):
        if option is not None:
            raise InputFileError(
                f"the encoding option applies to Shapefiles and CSV tables; {path.name} "
                "stores its own encoding (GeoPackage and GeoJSON are UTF-8): drop the option"
            )
        return None
    dbf = _sibling(path, ".dbf")
    if dbf is None:
        return None
    text = _dbf_text(dbf)
    cpg = _sibling(path, ".cpg")
    if option is not None:
        return _checked(text, TextEncoding(check_codec(option), "option", dbf.name), "the option")
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        return _checked(text, TextEncoding(check_codec(declared), "cpg", dbf.name),
                        f"{cpg.name} ({declared!r})")
    if text.isascii():
        return TextEncoding("utf-8", "ascii", dbf.name)
    for codec in ("utf-8", "gb18030"):
        if _decodes(text, codec):
            found = TextEncoding(codec, "detected", dbf.name)
            logger.info("%s", found.note)
            return found
    raise InputFileError(
        f"the text of {dbf} is neither UTF-8 nor GBK/GB18030 and no .cpg file names its "
        f"encoding: {_FIX}, or save the layer as a GeoPackage"
    )


def _checked(text: bytes, enc: TextEncoding, source: str) -> TextEncoding:
    if _decodes(text, enc.codec):
        return enc
    fits = [c for c in ("utf-8", "gb18030") if c != enc.codec and _decodes(text, c)]
    alt = f" (it is valid {fits[0].upper()})" if fits else ""
    fix = f"set encoding = {fits[0]!r}" if fits else _FIX
    raise InputFileError(
        f"{source} says the text of {enc.file} is {enc.codec}, but it is not valid "
        f"{enc.codec}{alt}: {fix}" + (", or fix the .cpg file" if enc.how == "cpg" else "")
    )
