"""Distance-decay weights of the access measures, on travel times in seconds.

Each weight is a small frozen object, called on an array of seconds and returning an
array of weights, with a ``describe()`` method giving the words the outputs print.

* :class:`Steps` — the step weights of the enhanced 2SFCA (Luo & Qi 2009) and of the 3SFCA
  (Wan, Zou & Sternberg 2012): band ``k`` covers ``(edge[k-1], edge[k]]`` (the first band
  starts at 0 s and includes it), weight 0 beyond the last edge. The same rule as PySAL
  access's ``weights.step_fn`` (``cost <= edge``: an edge belongs to the band below it).
* :class:`GaussianCatchment` — the Gaussian weight of the Gaussian-based 2SFCA (Dai 2010,
  Health & Place 16(5):1038-1052; the form used by Chinese county and city studies, e.g.
  the review of Tao & Cheng 2016, 地理科学进展 35(5):589-599)::

      G(d) = (exp(-1/2 (d/d0)^2) - exp(-1/2)) / (1 - exp(-1/2))   for d <= d0, else 0

  normalised so that G(0) = 1 and G(d0) = 0: one parameter, the catchment d0, no beta.
* :class:`PowerDecay` — PySAL access's ``weights.gravity``: ``(max(d, d_min) / scale) **
  -beta``; :class:`ExponentialDecay` — ``exp(-beta * d / scale)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from geo._types import FloatArray
from geo.errors import MeasureError

__all__ = ["ExponentialDecay", "GaussianCatchment", "PowerDecay", "Steps", "Weight"]


_E_HALF = math.exp(-0.5)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}"


@dataclass(frozen=True)
class Steps:
    """Step weights: ``values[k]`` for ``edges_s[k-1] < d <= edges_s[k]``, 0 beyond.

    Attributes
    ----------
    edges_s : tuple of float
        Upper edge of each band in seconds, strictly increasing (the first band starts
        at 0 s, inclusive).
    values : tuple of float
        Weight of each band (finite, >= 0).
    """

    edges_s: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        e, v = np.asarray(self.edges_s, float), np.asarray(self.values, float)
        if len(e) == 0 or e.shape != v.shape:
            raise MeasureError(
                f"step weights need one weight per band edge, got {len(e)} edges and "
                f"{len(v)} weights: write steps = [[minutes, weight], ...]"
            )
        if not (np.isfinite(e).all() and (e >= 0).all() and (np.diff(e) > 0).all()):
            raise MeasureError(f"step band edges must be >= 0 and increasing, got {list(e)}")
        if not (np.isfinite(v).all() and (v >= 0).all()):
            raise MeasureError(f"step weights must be finite and >= 0, got {list(v)}")

    def __call__(self, seconds: FloatArray) -> FloatArray:
        table = np.append(np.asarray(self.values, float), 0.0)
        return table[np.searchsorted(np.asarray(self.edges_s, float), seconds, side="left")]

    def kernel(self) -> tuple[int, tuple[float, ...]]:
        """The compiled kernels' code and parameters (geo/measures/_kernels.pyx)."""
        return 1, (*self.edges_s, *self.values)

    def describe(self) -> str:
        lo, parts = 0.0, []
        for edge, w in zip(self.edges_s, self.values, strict=True):
            parts.append(f"{_minutes(lo)}-{_minutes(edge)} min x {w:g}")
            lo = edge
        return "step weights " + ", ".join(parts) + f", beyond {_minutes(lo)} min x 0"


@dataclass(frozen=True)
class GaussianCatchment:
    """The normalised Gaussian weight of the Gaussian 2SFCA with catchment ``d0_s``."""

    d0_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.d0_s) and self.d0_s > 0):
            raise MeasureError(f"the Gaussian catchment d0 must be > 0, got {self.d0_s} s")

    def __call__(self, seconds: FloatArray) -> FloatArray:
        r = np.asarray(seconds, dtype=np.float64) / self.d0_s
        r *= r
        r *= -0.5
        np.exp(r, out=r)
        r -= _E_HALF
        r /= 1.0 - _E_HALF
        return np.maximum(r, 0.0, out=r)  # below 0 exactly where d > d0

    def kernel(self) -> tuple[int, tuple[float, ...]]:
        return 2, (self.d0_s,)

    def describe(self) -> str:
        return (f"Gaussian weight (exp(-(d/d0)^2/2) - exp(-1/2)) / (1 - exp(-1/2)), "
                f"d0 = {_minutes(self.d0_s)} min, 0 beyond")


@dataclass(frozen=True)
class PowerDecay:
    """``(max(d, min_s) / scale_s) ** -beta`` (PySAL access ``weights.gravity`` with
    ``alpha = -beta``)."""

    beta: float
    scale_s: float = 60.0
    min_s: float = 60.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta > 0):
            raise MeasureError(f"the gravity decay beta must be > 0, got {self.beta}")
        if not (self.scale_s > 0 and self.min_s > 0 and math.isfinite(self.scale_s + self.min_s)):
            raise MeasureError(
                "the gravity scale and minimum time must be > 0 minutes (a 0 s trip would "
                f"weigh infinitely), got {self.scale_s / 60:g} and {self.min_s / 60:g}"
            )

    def __call__(self, seconds: FloatArray) -> FloatArray:
        r = np.maximum(np.asarray(seconds, dtype=np.float64), self.min_s)
        r /= self.scale_s
        return np.power(r, -self.beta, out=r)

    def kernel(self) -> tuple[int, tuple[float, ...]]:
        return 3, (self.beta, self.scale_s, self.min_s)

    def describe(self) -> str:
        return (f"power decay (max(t, {_minutes(self.min_s)} min) / {_minutes(self.scale_s)} "
                f"min)^-{self.beta:g}")


@dataclass(frozen=True)
class ExponentialDecay:
    """``exp(-beta * d / scale_s)``."""

    beta: float
    scale_s: float = 60.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.beta) and self.beta > 0 and self.scale_s > 0):
            raise MeasureError(f"the exponential decay needs beta > 0 and scale > 0, got "
                               f"{self.beta} and {self.scale_s / 60:g} min")

    def __call__(self, seconds: FloatArray) -> FloatArray:
        r = np.asarray(seconds, dtype=np.float64) * (-self.beta / self.scale_s)
        return np.exp(r, out=r)

    def kernel(self) -> tuple[int, tuple[float, ...]]:
        return 4, (self.beta, self.scale_s)

    def describe(self) -> str:
        return f"exponential decay exp(-{self.beta:g} t / {_minutes(self.scale_s)} min)"


Weight = Steps | GaussianCatchment | PowerDecay | ExponentialDecay
