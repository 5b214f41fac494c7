"""Gauss-Krüger coordinates of Chinese survey data: plausibility checks and the right EPSG code.

Chinese survey and planning data give x/y in a Gauss-Krüger projection on CGCS2000 (or the
older Xian 1980, Beijing 1954 and New Beijing datums), in 3-degree or 6-degree zones. The
easting either carries the zone number as a prefix (37 512 345 = zone 37, 12 345 m east of
the false origin 500 000 m west of the central meridian) or not (512 345). EPSG has one code
per datum, zone width, prefix or not, and central meridian; for CGCS2000:

=============  ===========================  ======================================
EPSG           zones                        easting
=============  ===========================  ======================================
4491–4501      6-degree zones 13–23         with the zone prefix (13 500 000 ...)
4502–4512      6-degree, CM 75°E–135°E      without (500 000 at the central meridian)
4513–4533      3-degree zones 25–45         with the zone prefix (25 500 000 ...)
4534–4554      3-degree, CM 75°E–135°E      without
=============  ===========================  ======================================

6-degree zone z has central meridian 6z − 3, 3-degree zone z has 3z; in China the prefixes
13–23 (6-degree) and 25–45 (3-degree) do not overlap, so a prefix names its zone. Declaring
the wrong one moves every point by hundreds of kilometres, or to nowhere: :func:`problems`
finds it from the values and names the code that fits. Chinese survey tables label the
northing X and the easting Y; a swap is found the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.database import query_crs_info
from pyproj.enums import PJType

__all__ = ["GKZone", "Problem", "detect", "gk_zone", "problems", "suggest_for_area",
           "suggest_for_values"]

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

_NAME = re.compile(
    r"^(?P<family>.+) / (?P<three>3-degree )?Gauss-Kruger (?:zone (?P<zone>\d+)|CM (?P<cm>\d+)E)$"
)
_SIX, _THREE = range(13, 24), range(25, 46)  # zone prefixes in China
_EAST_MIN, _EAST_MAX = 100_000.0, 900_000.0  # easting within the zone, prefix removed
_NORTH_MIN, _NORTH_MAX = 0.0, 6_200_000.0  # equator to 56°N


@dataclass(frozen=True)
class GKZone:
    """One Gauss-Krüger system of the EPSG registry."""

    code: int
    name: str
    family: str  # datum part of the name: CGCS2000, Xian 1980, Beijing 1954, New Beijing
    width: int  # 3 or 6 degrees
    cm: int  # central meridian, degrees east
    prefix: int  # zone number in the easting, 0 if none

    @property
    def epsg(self) -> str:
        """The zone's CRS as ``EPSG:code``."""
        return f"EPSG:{self.code}"

    def __str__(self) -> str:
        return f"EPSG:{self.code} ({self.name})"


@dataclass(frozen=True)
class Problem:
    """Rows whose values do not fit the declared system, and what is wrong."""

    rows: Mask
    text: str
    swapped: bool = False


@functools.lru_cache(maxsize=1)
def _registry() -> dict[int, GKZone]:
    """Return every Gauss-Krüger CRS of the EPSG registry, parsed from its name."""
    zones: dict[int, GKZone] = {}
    for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS):
        match = _NAME.match(info.name)
        if match is None or info.deprecated:
            continue
        width = 3 if match["three"] else 6
        if match["zone"]:
            prefix = int(match["zone"])
            cm = 3 * prefix if width == 3 else 6 * prefix - 3
        else:
            prefix, cm = 0, int(match["cm"])
        zones[int(info.code)] = GKZone(int(info.code), info.name, match["family"], width, cm,
                                       prefix)
    return zones


def gk_zone(crs: CRS) -> GKZone | None:
    """Return the Gauss-Krüger system ``crs`` is, or None if it is none of the registry's."""
    code = crs.to_epsg()
    return None if code is None else _registry().get(code)


def _find(family: str, width: int, cm: int, prefixed: bool) -> GKZone | None:
    for zone in _registry().values():
        if (zone.family, zone.width, zone.cm, zone.prefix > 0) == (family, width, cm, prefixed):
            return zone
    return None


def _prefix(east: Array) -> npt.NDArray[np.int64]:
    return np.where(east >= 1e6, np.floor(east / 1e6), 0).astype(np.int64)


def _zone_of_prefix(family: str, prefix: int) -> GKZone | None:
    if prefix in _THREE:
        return _find(family, 3, 3 * prefix, True)
    if prefix in _SIX:
        return _find(family, 6, 6 * prefix - 3, True)
    return None


def _looks_east(v: Array) -> Mask:
    p = _prefix(v)
    rest = v - p * 1e6
    valid = (p == 0) | np.isin(p, [*_SIX, *_THREE])
    return valid & (rest > _EAST_MIN) & (rest < _EAST_MAX)


def _looks_north(v: Array) -> Mask:
    return (v >= 1e6) & (v < _NORTH_MAX)


def problems(east: Array, north: Array, zone: GKZone) -> list[Problem]:
    """List what in (east, north) does not fit the declared Gauss-Krüger ``zone``.

    Checks, in order: x and y swapped (the survey convention X = north); a zone prefix
    that the declared system does not expect, lacks, or names another zone (with the
    EPSG code that fits); eastings more than 400 km from the central meridian; northings
    outside 0–6 200 000 m. Rows failing an earlier check are not listed again.
    """
    out: list[Problem] = []
    swapped = _looks_north(east) & _looks_east(north)
    if swapped.any():
        out.append(Problem(swapped, "x and y look swapped (x holds northings, y eastings; "
                                    "Chinese survey tables label the northing X)", True))
    left = ~swapped
    pre = _prefix(east)
    for p in sorted(set(pre[left].tolist())):
        if p == zone.prefix:
            continue
        rows = left & (pre == p)
        out.append(Problem(rows, _prefix_text(p, zone)))
        left &= ~rows
    rest = east - pre * 1e6
    far = left & ((rest <= _EAST_MIN) | (rest >= _EAST_MAX))
    if far.any():
        out.append(Problem(far, f"eastings more than 400 km from the central meridian of "
                                f"{zone.epsg} (500,000 m{_prefix_hint(zone)}): not a "
                                "Gauss-Krüger easting of this system"))
    bad_n = left & ~far & ((north < _NORTH_MIN) | (north > _NORTH_MAX))
    if bad_n.any():
        out.append(Problem(bad_n, "northings outside 0–6,200,000 m (the equator to 56°N): "
                                  "not a Gauss-Krüger northing in China"))
    return out


def _prefix_hint(zone: GKZone) -> str:
    return f" after the zone prefix {zone.prefix}" if zone.prefix else ""


def _prefix_text(p: int, zone: GKZone) -> str:
    """Say why an easting with prefix ``p`` does not fit ``zone``, and the code that does."""
    if p == 0:
        fit = _find(zone.family, zone.width, zone.cm, False)
        use = f"use {fit} if the points lie in zone {zone.prefix}" if fit else "drop the prefix"
        return (f"the eastings carry no zone prefix but {zone} expects "
                f"{zone.prefix},xxx,xxx: {use}")
    fit = _zone_of_prefix(zone.family, p)
    if fit is None:
        return (f"the eastings start with {p} (e.g. {p},5xx,xxx), which is no Gauss-Krüger "
                f"zone in China (6-degree zones 13–23, 3-degree 25–45): check the x column")
    if zone.prefix == 0:
        return f"the easting carries zone prefix {p} but {zone} has none: use {fit}"
    return f"the easting carries zone prefix {p} but {zone} is zone {zone.prefix}: use {fit}"


def suggest_for_values(east: Array, north: Array, family: str = "CGCS2000") -> str:
    """Suggest, for x/y metres declared as lon/lat, which Gauss-Krüger code the values suggest."""
    ok = _looks_east(east) & _looks_north(north)
    if not ok.any():
        return ""
    prefixes = sorted(set(_prefix(east[ok]).tolist()) - {0})
    fits = [z for z in (_zone_of_prefix(family, p) for p in prefixes) if z is not None]
    if fits:
        return "they look like Gauss-Krüger x/y metres: declare crs = " + " or ".join(
            f"'{z.epsg}' ({z.name})" for z in fits)
    return ("they look like Gauss-Krüger x/y metres without a zone prefix: declare the "
            f"{family} code of their central meridian, e.g. 'EPSG:4546' (3-degree, CM 111E) "
            "(EPSG:4534–4554 for 3-degree zones, 4502–4512 for 6-degree ones)")


def suggest_for_area(
    east: Array, north: Array, zone: GKZone, bounds: tuple[float, float, float, float]
) -> GKZone | None:
    """Find another system of the same datum that fits the points.

    That is a zone width and prefix style that puts every point inside ``bounds`` (lon/lat, with
    0.1° to spare), or None.
    """
    minx, miny, maxx, maxy = bounds
    for other in sorted(_registry().values(), key=lambda z: abs(z.cm - zone.cm)):
        if other.code == zone.code or (other.family, other.width) != (zone.family, zone.width):
            continue
        if (other.prefix > 0) != (zone.prefix > 0):
            continue
        if other.prefix and not (_prefix(east) == other.prefix).all():
            continue
        to_ll = Transformer.from_crs(CRS.from_epsg(other.code), CRS.from_epsg(other.code)
                                     .geodetic_crs, always_xy=True)
        lon, lat = (np.asarray(a) for a in to_ll.transform(east, north))
        inside = (lon > minx - 0.1) & (lon < maxx + 0.1) & (lat > miny - 0.1) & (lat < maxy + 0.1)
        if inside.all():
            return other
    return None


def detect(
    x: Array, y: Array, lon_hint: float | None = None, family: str = "CGCS2000"
) -> tuple[GKZone | None, bool]:
    """Return the Gauss-Krüger system x/y metres are in, and whether x holds the northings.

    Eastings with a zone prefix name their zone; without one the central meridian comes
    from ``lon_hint`` (a longitude of the area, e.g. from a layer with a CRS), in the
    3-degree zones of survey data. (None, swapped) when the values are not Gauss-Krüger
    metres or no zone can be told.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    swapped = bool((_looks_north(x) & _looks_east(y)).all())
    east, north = (y, x) if swapped else (x, y)
    if len(east) == 0 or not (_looks_east(east) & _looks_north(north)).all():
        return None, swapped
    prefixes = set(_prefix(east).tolist())
    if len(prefixes) != 1:
        return None, swapped
    p = prefixes.pop()
    if p:
        return _zone_of_prefix(family, p), swapped
    if lon_hint is None:
        return None, swapped
    return _find(family, 3, 3 * round(lon_hint / 3), False), swapped
