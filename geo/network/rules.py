"""Rules that read OSM-style road tags, shared by every network source.

Line layers (:mod:`geo.network.lines`), OSM extracts in PBF or XML, online downloads and
osmnx/networkx graphs (:mod:`geo.network.osm`) all read the same tags; the rules that
interpret them live here, once, so the same ways give the same directed graph whatever
file format or library brought them.

One-way (driving; walking ignores it), after the OSM wiki's ``Key:oneway``:

===============================================  ==========================================
``oneway`` (any case, spaces trimmed)             direction
===============================================  ==========================================
``yes``, ``true``, ``1``                          forward only (the way's node order)
``-1``, ``reverse``                               backward only
``no``, ``false``, ``0``                          both ways, even on a motorway or roundabout
``reversible``, ``alternating``                   both ways: the direction changes with the
                                                  time of day or alternates, so either can
                                                  be driven at some time (counted in the
                                                  network report)
absent, empty                                     implied: forward on ``junction`` =
                                                  ``roundabout``/``circular`` and on
                                                  ``highway`` = ``motorway``/``motorway_link``
                                                  (OSM sources only), else both ways
anything else (``T``, ``F``, ``yes;no``, ...)     not a oneway value: read as if absent
                                                  (implied rules apply) and counted in the
                                                  network report
===============================================  ==========================================

osmnx (2.x) differs: it reads ``T`` as backward and ``F`` as forward, and implies one-way
only on ``junction=roundabout``; :mod:`geo.network.osm` gives osmnx raw tags and applies
these rules instead. A road *line layer* gets the same spellings but no implied rules
(its motorways are often one line for both carriageways), and an unrecognised value
there stops the build (:func:`geo.network.lines.build_network`): such a column is the
user's own, and a guess would silently change travel times.

Access (which ways a mode may use), as in osmnx's ``drive`` and ``walk`` filters: the
``highway`` class has a speed for the mode; not ``area=yes``; not ``access`` =
no/private; driving: not ``motor_vehicle``/``motorcar`` = no/private and not
``service`` = parking, parking_aisle, driveway, private, emergency_access; walking: not
``foot`` = no/private.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from geo import settings
from geo._types import FloatArray

__all__ = [
    "IMPLIED_ONEWAY_HIGHWAYS",
    "IMPLIED_ONEWAY_JUNCTIONS",
    "ONEWAY_BACKWARD",
    "ONEWAY_FORWARD",
    "ONEWAY_TIME_DEPENDENT",
    "ONEWAY_TWO_WAY",
    "OSM_TAGS",
    "is_other_oneway",
    "maxspeeds",
    "oneway_direction",
    "oneway_value",
    "parse_maxspeed",
    "usable",
]

ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
ONEWAY_TWO_WAY = frozenset({"no", "false", "0"})
ONEWAY_TIME_DEPENDENT = frozenset({"reversible", "alternating"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})

#: the way tags the rules read (every source keeps at least these)
OSM_TAGS = ("highway", "oneway", "junction", "maxspeed", "access", "motor_vehicle",
            "motorcar", "foot", "service", "area", "name", "ref")

_NO_ACCESS = frozenset({"no", "private"})
_NO_DRIVE_SERVICE = frozenset({"parking", "parking_aisle", "driveway", "private",
                               "emergency_access"})


def _text(value: object) -> str:
    """Return a tag value as trimmed lower-case text; '' for absent (None, NaN, empty).

    Whole floats read as integers (a GIS column of 1/0/-1 with gaps becomes float).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def oneway_value(value: object) -> int | None:
    """Return the direction a ``oneway`` value sets.

    That is +1 forward, -1 backward, 0 both ways, ``None`` when it sets none (absent, empty, or not
    a oneway value: see the module table).
    """
    v = _text(value)
    if v in ONEWAY_FORWARD:
        return 1
    if v in ONEWAY_BACKWARD:
        return -1
    if v in ONEWAY_TWO_WAY or v in ONEWAY_TIME_DEPENDENT:
        return 0
    return None


def oneway_direction(tags: Mapping[str, object]) -> int:
    """Return driving direction of an OSM way: +1 forward only, -1 backward only, 0 both ways.

    ``tags`` holds the way's raw ``oneway``, ``junction`` and ``highway`` values; an
    explicit oneway value wins, else roundabouts and motorways imply forward.
    """
    explicit = oneway_value(tags.get("oneway"))
    if explicit is not None:
        return explicit
    if _text(tags.get("junction")) in IMPLIED_ONEWAY_JUNCTIONS:
        return 1
    return 1 if _text(tags.get("highway")) in IMPLIED_ONEWAY_HIGHWAYS else 0


def is_other_oneway(value: object) -> bool:
    """Tell whether a ``oneway`` value is present but neither a fixed direction nor ``no``.

    Such values are time-dependent or unrecognised; such ways are counted in the network report.
    """
    v = _text(value)
    return bool(v) and v not in ONEWAY_FORWARD | ONEWAY_BACKWARD | ONEWAY_TWO_WAY


def usable(tags: Mapping[str, str], mode: str, speeds: Mapping[str, float]) -> bool:
    """Tell whether ``mode`` (``drive``/``walk``) may use a way with these OSM tags."""
    hw = tags.get("highway", "")
    if hw not in speeds or tags.get("area") == "yes":
        return False
    if tags.get("access") in _NO_ACCESS:
        return False
    if mode == "drive":
        if tags.get("motor_vehicle") in _NO_ACCESS or tags.get("motorcar") in _NO_ACCESS:
            return False
        return tags.get("service") not in _NO_DRIVE_SERVICE
    return tags.get("foot") not in _NO_ACCESS


def parse_maxspeed(value: object) -> float:
    """Return OSM ``maxspeed`` in km/h, NaN where absent or unparseable (``60``, ``60 mph``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", str(value).split(";")[0])
    if not m:
        return float("nan")
    kmh = float(m.group(1))
    return kmh * 1.609344 if m.group(2) == "mph" else kmh


#: how tables write "no maxspeed": empty cells, NaN, and 0 (Geofabrik's shapefiles and
#: other integer columns use 0 for unknown)
_NO_MAXSPEED = {"", "0", "0.0", "nan", "<na>"}


def _absent(value: object) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return str(value).strip().lower() in _NO_MAXSPEED


def maxspeeds(values: Sequence[object], counted: npt.ArrayLike | None = None
              ) -> tuple[FloatArray, dict[str, int]]:
    """Read ``maxspeed`` values as km/h where usable, NaN elsewhere.

    A value is usable as a speed above 0 and at most :data:`geo.settings.MAX_MAXSPEED_KMH`. Also
    return the values given but not used (not a speed, or implausible) with how often each occurs,
    for the network report, among the ``counted`` ones only (a mask; default all: e.g. the lines a
    mode keeps, one piece per OSM way). An empty cell, NaN or 0 is no value: 0 stands for "unknown"
    in integer columns.
    """
    kmh = np.array([parse_maxspeed(v) for v in values], dtype=float)
    usable = np.isfinite(kmh) & (kmh > 0) & (kmh <= settings.MAX_MAXSPEED_KMH)
    given = np.array([not _absent(v) for v in values], dtype=bool)
    if counted is not None:
        given &= np.asarray(counted, dtype=bool)
    ignored: dict[str, int] = {}
    for v in np.asarray(values, dtype=object)[given & ~usable]:
        ignored[str(v)] = ignored.get(str(v), 0) + 1
    return np.where(usable, kmh, np.nan), ignored
