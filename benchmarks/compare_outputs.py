"""Compare two output folders of the same study, file by file, up to what differs between runs.

Usage: python benchmarks/compare_outputs.py BEFORE AFTER

Used to check that a change to how outputs are written (issue 23: outputs in seconds) left
what they say and show unchanged: run the study with the old code into BEFORE and with the
new into AFTER. Every file must be in both and equal, once these are set aside:

- ``*.html``: folium's random element ids (32 hex digits); the report's embedded figures
  (PNG data URIs) are compared by pixel size only, and how far apart they are is printed (the
  mean difference of the colour channels, 0-255): since issue 23 the report's figure is the
  file's 200 dpi drawing resampled to 130 dpi, no longer a drawing of its own at 130 dpi
  (2.7-3.6 apart on Luzhai: the same picture, rasterised differently);
- ``*.png``: compared by their pixels (RGBA), resolution and text chunks, not their bytes
  (since issue 23 they are written without the alpha channel where opaque, at zlib level 3);
- ``*.xlsx``: the creation and modification times in ``docProps/core.xml`` (every other
  member of the zip compared byte for byte);
- ``*.gpkg``: every table's rows compared, except the times of ``gpkg_contents``
  (``last_change``), ``layer_styles`` (``update_time``) and ``gpkg_metadata_reference``
  (``timestamp``);
- ``run_summary.txt``: the ``## Timings`` section;
- in both, the folder the study's files are in (paths up to ``/analysis/``, ``/data/``),
  which differs between two checkouts.

Exit status 0 when equal; else the files that differ are listed.
"""

from __future__ import annotations

import base64
import io
import re
import sqlite3
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

_IDS = re.compile(rb"[0-9a-f]{32}")
_TIMES = re.compile(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>")
_GPKG_TIMES = {("gpkg_contents", "last_change"), ("layer_styles", "update_time"),
               ("gpkg_metadata_reference", "timestamp")}
#: where the study's files are (run summary, GeoPackage metadata): the two runs' checkouts
_ROOT = re.compile(r"/\S*?/(analysis|data)/")


def _gpkg(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'rtree_%'")]
        out = {}
        for t in sorted(tables):
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            keep = [c for c in cols if (t, c) not in _GPKG_TIMES]
            sel = ", ".join(f'"{c}"' for c in keep)
            rows = [tuple(_ROOT.sub(r"<root>/\1/", v) if isinstance(v, str) else v for v in r)
                    for r in con.execute(f'SELECT {sel} FROM "{t}"')]
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def _xlsx(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: _TIMES.sub(b"", z.read(n)) for n in sorted(z.namelist())}


def _summary(path: Path) -> str:
    return _ROOT.sub(r"<root>/\1/", path.read_text(encoding="utf-8").split("\n## Timings")[0])


_DATA_PNG = re.compile(rb"data:image/png;base64,([A-Za-z0-9+/=]+)")


def _png(data: bytes) -> tuple[object, ...]:
    with Image.open(io.BytesIO(data)) as img:
        return (img.size, img.info.get("dpi"), sorted(getattr(img, "text", {}).items()),
                np.asarray(img.convert("RGBA")).tobytes())


def _embedded(path: Path) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(m))).convert("RGB")
            for m in _DATA_PNG.findall(path.read_bytes())]


def _html(path: Path) -> tuple[bytes, list[tuple[int, int]]]:
    text = _IDS.sub(b"ID", path.read_bytes())
    return _DATA_PNG.sub(b"data:image/png;base64,PNG", text), [i.size for i in _embedded(path)]


def normalised(path: Path) -> object:
    """Return what of ``path`` must not change between two runs of the same study."""
    if path.suffix == ".html":
        return _html(path)
    if path.suffix == ".png":
        return _png(path.read_bytes())
    if path.suffix == ".xlsx":
        return _xlsx(path)
    if path.suffix == ".gpkg":
        return _gpkg(path)
    if path.name == "run_summary.txt":
        return _summary(path)
    return path.read_bytes()


def compare(before: Path, after: Path) -> list[str]:
    """Return a line per file that is missing on one side or differs."""
    a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"only in {before}: {p}" for p in sorted(a - b)]
    problems += [f"only in {after}: {p}" for p in sorted(b - a)]
    problems += [f"differs: {p}" for p in sorted(a & b)
                 if normalised(before / p) != normalised(after / p)]
    for p in sorted(q for q in a & b if q.suffix == ".html"):
        apart = [float(np.abs(np.asarray(x, dtype=float) - np.asarray(y, dtype=float)).mean())
                 for x, y in zip(_embedded(before / p), _embedded(after / p), strict=False)
                 if x.size == y.size]
        if apart and max(apart) > 0:
            print(f"{p}: {len(apart)} embedded figures, {min(apart):.2f}-{max(apart):.2f} apart")
    return problems


def main() -> None:
    before, after = (Path(p) for p in sys.argv[1:3])
    problems = compare(before, after)
    n = sum(1 for p in before.rglob("*") if p.is_file())
    print("\n".join(problems) or f"{n} files, the same")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
