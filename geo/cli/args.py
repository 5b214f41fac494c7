"""Argument types of the ``geo`` command: numbers, memory sizes and output files checked
where they are typed.

A value out of range stops in the parser, naming the flag (``geo site: error: argument
--minutes: 0 is not above 0: give a number of minutes above 0``), before any reading or
computing; a 0 can never fall back to a default. An output file must end in the suffix of
what is written into it (a map is no ``.csv``), so that a slip of the keyboard cannot
overwrite a table with a web page.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from geo import settings
from geo._files import size_text, too_long

__all__ = ["add_pdf", "at_least_one", "memory_limit", "non_negative", "output_path", "path",
           "positive", "share"]


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a {'whole number' if kind is int else 'number'}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def at_least_one(text: str) -> int:
    """A whole number of 1 or more (sites, facilities)."""
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1: give a whole number of 1 "
                                         "or more")
    return value


def positive(unit: str) -> Callable[[str], float]:
    """A number above 0, in ``unit`` (minutes, metres, seconds, people)."""
    def check(text: str) -> float:
        value = _number(text, float)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text} is not above 0: give a number of {unit} "
                                             "above 0")
        return value
    check.__name__ = f"{unit} above 0"  # argparse names the type in its messages
    return check


def non_negative(unit: str) -> Callable[[str], float]:
    """A number of 0 or more, in ``unit``."""
    def check(text: str) -> float:
        value = _number(text, float)
        if value < 0:
            raise argparse.ArgumentTypeError(f"{text} is negative: give a number of {unit}, 0 "
                                             "or more")
        return value
    check.__name__ = f"{unit} of 0 or more"
    return check


def share(text: str) -> float:
    """A share above 0 and at most 1 (0.95 for 95 %)."""
    value = _number(text, float)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share: give a number above 0 and "
                                         "at most 1 (0.95 for 95 %)")
    return value


def path(text: str) -> Path:
    """A file or folder name; one too long for the file system stops here (asking the
    file system about it would fail with an ``OSError``)."""
    why = too_long(text)
    if why is not None:
        raise argparse.ArgumentTypeError(f"{why}: give a shorter name")
    return Path(text)


def output_path(*suffixes: str) -> Callable[[str], Path]:
    """A file to write, ending in one of ``suffixes`` (the first is what to add)."""
    def check(text: str) -> Path:
        p = path(text)
        if not p.name.lower().endswith(suffixes):
            stem = p.name.split(".")[0] or "out"
            raise argparse.ArgumentTypeError(
                f"{text!r} does not end in {' or '.join(suffixes)}: name the file to write, "
                f"e.g. {stem}{suffixes[0]}")
        return p
    check.__name__ = f"{suffixes[0]} file"
    return check


def memory_limit(text: str) -> str:
    """``auto``, or the memory of one worker as Dask reads it (4GB, 512MiB, 2.5 GB) of at
    least :data:`geo.settings.BATCH_MIN_WORKER_BYTES` and at most this machine's memory."""
    if text.strip().lower() == "auto":
        return "auto"
    from dask.utils import parse_bytes
    from distributed.system import MEMORY_LIMIT

    try:
        value = parse_bytes(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a memory size: give one such as 4GB or 512MiB (units B, kB, MB, "
            "GB, TB, KiB, MiB, GiB), or auto") from None
    if value < settings.BATCH_MIN_WORKER_BYTES:
        raise argparse.ArgumentTypeError(
            f"{text} is less than a worker needs ({size_text(settings.BATCH_MIN_WORKER_BYTES)}"
            "): give more, e.g. 2GB, or auto")
    if value > MEMORY_LIMIT:
        raise argparse.ArgumentTypeError(
            f"{text} is more than this machine's memory ({size_text(MEMORY_LIMIT)}): give "
            "less, or auto (the memory split between the workers)")
    return text


def add_pdf(p: argparse.ArgumentParser) -> None:
    """``--pdf``: print report.html to report.pdf with Chromium (:mod:`geo.outputs.pdf`)."""
    p.add_argument("--pdf", action="store_true",
                   help="also print report.html to report.pdf (A4, page numbers) with the "
                   "system's Chromium through Playwright; stops before computing if either "
                   "is missing")
