"""Rules that read OSM-style road attributes, shared by every network source.

Line layers (:mod:`geo.network.lines`) and OpenStreetMap (:mod:`geo.network.osm`) read
the same tags; the rules that interpret them live here, once.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["parse_maxspeed"]


def parse_maxspeed(value: object) -> float:
    """OSM ``maxspeed`` in km/h, NaN where absent or unparseable (``60``, ``60 mph``)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return float("nan")
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", str(value).split(";")[0])
    if not m:
        return float("nan")
    kmh = float(m.group(1))
    return kmh * 1.609344 if m.group(2) == "mph" else kmh
