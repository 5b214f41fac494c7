"""How many threads the routing kernels use when a caller does not say (all cores, at most 8)."""

from __future__ import annotations

import functools
import os

__all__ = ["cores", "threads"]


@functools.cache
def cores() -> int:
    """Return the cores this process may run on, at most 8."""
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1, 8)


def threads(asked: int | None) -> int:
    """Return ``asked`` (at least 1), or :func:`cores` when None."""
    return max(1, asked if asked is not None else cores())
