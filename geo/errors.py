"""Exception tree: every error names the problem and the fix.

All errors subclass :class:`GeoError`, which subclasses :class:`ValueError`
so callers that catch ``ValueError`` keep working (as in r5py).
"""

from __future__ import annotations

__all__ = [
    "BatchError",
    "CensusError",
    "CheckError",
    "ColumnError",
    "CoordinateError",
    "DownloadError",
    "DuplicateIdError",
    "FacilityTypeError",
    "FontError",
    "GeoError",
    "InputFileError",
    "MeasureError",
    "NetworkError",
    "OfflineError",
    "OutputError",
    "QueryError",
    "ScenarioError",
    "ServeError",
    "SitingError",
    "StaleError",
    "StandardError",
    "StudyError",
    "SupplyError",
    "WhatIfError",
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


class OfflineError(GeoError):
    """A page would load a script or stylesheet from the network instead of inlining it."""


class OutputError(GeoError):
    """An output folder cannot be written: not writable, too little space, or in use."""


class QueryError(GeoError):
    """A travel-time query is malformed: thresholds, speeds, modes or directions out of
    range, or points snapped to another network."""


class FacilityTypeError(StandardError):
    """Facility types that are unknown, ambiguous or missing, or a malformed type table."""


class CensusError(GeoError):
    """A population table's total row or township codes do not add up or cannot be read."""


class WhatIfError(GeoError):
    """A what-if edit names an unknown facility or type, or cannot be applied."""


class DownloadError(GeoError):
    """An online download (OSM roads through osmnx) cannot be made."""


class CheckError(GeoError):
    """Input checks measured something that would make the answer wrong: every check that
    stops is listed with its numbers and the fix (or the ``[checks] accept`` key that lets
    the run go on and states it in the outputs)."""


class ServeError(GeoError):
    """A workbench (``geo serve``) request cannot be served as asked: a proposal or
    action it names does not exist, or it needs what the server was not started with."""


class StaleError(ServeError):
    """A workbench edit was made on a state that has changed since (another tab or
    colleague edited the session): the page must reload."""


class MeasureError(GeoError):
    """An access measure or emergency-response spec is malformed, or its inputs are."""


class SupplyError(MeasureError):
    """A facility supply column (beds, doctors, ambulances, ...) is missing or has bad values."""


class BatchError(GeoError):
    """A batch of studies (``geo batch``) is malformed, or some of its areas failed."""
