"""Argument types of the ``geo`` command: numbers checked where they are typed.

A value out of range stops in the parser, naming the flag (``geo site: error: argument
--minutes: 0 is not above 0: give a number of minutes above 0``), before any reading or
computing; a 0 can never fall back to a default.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["add_pdf", "at_least_one", "non_negative", "positive", "share"]


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


def add_pdf(p: argparse.ArgumentParser) -> None:
    """``--pdf``: print report.html to report.pdf with Chromium (:mod:`geo.outputs.pdf`)."""
    p.add_argument("--pdf", action="store_true",
                   help="also print report.html to report.pdf (A4, page numbers) with the "
                   "system's Chromium through Playwright; stops before computing if either "
                   "is missing")
