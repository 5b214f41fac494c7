"""Exception tree: every error names the problem and the fix.

All errors subclass :class:`GeoError`, which subclasses :class:`ValueError`
so callers that catch ``ValueError`` keep working (as in r5py).
"""

from __future__ import annotations

__all__ = [
    "ColumnError",
    "CoordinateError",
    "DuplicateIdError",
    "FontError",
    "GeoError",
    "InputFileError",
    "MeasureError",
    "NetworkError",
    "ScenarioError",
    "SitingError",
    "StandardError",
    "StudyError",
    "SupplyError",
]


class GeoError(ValueError):
    """Base class of all errors raised by :mod:`geo`."""


class FontError(GeoError):
    """No font with Chinese characters for the figures."""


class InputFileError(GeoError):
    """An input file is missing, unreadable or empty."""


class ColumnError(GeoError):
    """A required column is missing or ambiguous."""


class CoordinateError(GeoError):
    """Coordinates are invalid, swapped or outside the study area."""


class DuplicateIdError(GeoError):
    """Identifiers that must be unique are not."""


class NetworkError(GeoError):
    """The road network is empty, disconnected or otherwise unusable."""


class StandardError(GeoError):
    """A planning standard is malformed or refers to unknown facility types."""


class StudyError(GeoError):
    """A study file is malformed."""


class SitingError(GeoError):
    """A siting or designation problem is malformed or cannot be solved as asked."""


class ScenarioError(GeoError):
    """A scenario file is malformed or refers to unknown facilities."""


class MeasureError(GeoError):
    """An access measure or emergency-response spec is malformed, or its inputs are."""


class SupplyError(MeasureError):
    """A facility supply column (beds, doctors, ambulances, ...) is missing or has bad values."""
