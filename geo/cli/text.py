"""Plain-text output of the ``geo`` command: tables aligned for Chinese and Latin text.

Nothing here interprets user text: names, ids and messages are printed as they are
(no console markup, so ``[townships]`` or an id like ``[/]`` print verbatim).
"""

from __future__ import annotations

import contextlib
import sys
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import pandas as pd

__all__ = ["fmt", "frame_table", "out", "output_file", "output_folder", "progress", "table",
           "width"]


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fmt(value: object) -> str:
    """A cell as text: big numbers with thousands separators, small ones as given."""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{round(value, 6):g}"
    return str(value)


def table(rows: Sequence[Sequence[object]], header: Sequence[str], title: str = "") -> str:
    """Rows as an aligned text table with a header line."""
    cells = [[fmt(v) for v in r] for r in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(header)]

    def line(items: Sequence[str]) -> str:
        return "  ".join(s + " " * (w - width(s)) for s, w in zip(items, widths, strict=True))

    body = [line(list(header)), "  ".join("-" * w for w in widths), *(line(r) for r in cells)]
    return "\n".join(([title] if title else []) + [b.rstrip() for b in body])


def frame_table(frame: pd.DataFrame, title: str = "") -> str:
    """A data frame as :func:`table` text."""
    return table([list(r) for r in frame.itertuples(index=False)],
                 [str(c) for c in frame.columns], title)


def out(text: str = "", stream: TextIO | None = None) -> None:
    """Print to stdout (results) or ``stream``."""
    print(text, file=stream or sys.stdout, flush=True)


def progress(stage: str) -> None:
    """A stage of a long computation, on stderr (stdout keeps only results)."""
    print(f"... {stage}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def output_folder(folder: Path, names: Sequence[str],
                  inputs: Mapping[str, Path | None] | None = None) -> Iterator[None]:
    """Hold ``folder`` for a command that will write ``names`` into it: checked before
    any computing (no output replaces one of the ``inputs``, writable, free space, no other
    run: :func:`geo.outputs.folder.preflight`) and locked until the command ends, so a
    second run into it stops at once."""
    from geo.outputs.folder import output_lock, preflight

    with output_lock(folder):
        for note in preflight(folder, names=names, inputs=inputs):
            progress(note)
        yield


def output_file(path: Path, inputs: Mapping[str, Path | None]) -> None:
    """Stop before computing when the file ``path`` a command writes is one of its
    ``inputs`` (:func:`geo._files.refuse_inputs`)."""
    from geo._files import refuse_inputs

    refuse_inputs([path], inputs, "name another file with --out")
