"""Coordinate systems: Chinese GCJ-02 / BD-09 to WGS84, and local metric projections.

GCJ-02 ("Mars coordinates", used by AMap, Tencent and Google China) and BD-09 (Baidu)
are obfuscated versions of WGS84. The forward transforms are public; the inverse has
no closed form and is solved by fixed-point iteration to < 1e-9 degrees (≈ 0.1 mm),
as prcoords' ``*_bored`` functions do. Outside mainland China GCJ-02 equals WGS84.

Inputs may also be declared in CGCS2000 (``cgcs2000``, EPSG:4490) or any ``EPSG:NNNN``
system, geographic or projected, such as the Gauss-Krüger systems of Chinese survey data
(:mod:`geo.readers.gauss_kruger` checks their eastings and northings); those go through pyproj.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from pyproj.transformer import AreaOfInterest

from geo.errors import CoordinateError

__all__ = [
    "CRS_HELP",
    "InputCRS",
    "InputSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "input_system",
    "system_to_wgs84",
    "to_wgs84",
    "utm_crs_for",
    "wgs84_to_gcj02",
]

InputCRS = Literal["wgs84", "gcj02", "bd09"]
Array = npt.NDArray[np.float64]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0


def _in_china(lon: Array, lat: Array) -> npt.NDArray[np.bool_]:
    """Tell whether points lie in the rough mainland box inside which GCJ-02 applies.

    It is the same box as prcoords uses.
    """
    return (lon >= 73.66) & (lon <= 135.05) & (lat >= 3.86) & (lat <= 53.55)


def _delta(lon: Array, lat: Array) -> tuple[Array, Array]:
    x = lon - 105.0
    y = lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Apply the forward GCJ-02 obfuscation (identity outside China)."""
    lo, la = _arrays(lon, lat)
    dlon, dlat = _delta(lo, la)
    inside = _in_china(lo, la)
    return np.where(inside, lo + dlon, lo), np.where(inside, la + dlat, la)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Invert GCJ-02 by fixed-point iteration (error < 1e-9 degrees)."""
    glon, glat = _arrays(lon, lat)
    return _invert(wgs84_to_gcj02, glon, glat, glon.copy(), glat.copy())


def _invert(
    forward: Callable[[Array, Array], tuple[Array, Array]],
    lon: Array,
    lat: Array,
    guess_lon: Array,
    guess_lat: Array,
) -> tuple[Array, Array]:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration from a guess."""
    xlon, xlat = guess_lon, guess_lat
    for _ in range(30):
        flon, flat = forward(xlon, xlat)
        elon, elat = flon - lon, flat - lat
        xlon, xlat = xlon - elon, xlat - elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return xlon, xlat


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Convert GCJ-02 to Baidu BD-09."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Convert Baidu BD-09 to GCJ-02, inverted by fixed-point iteration."""
    blon, blat = _arrays(lon, lat)
    return _invert(gcj02_to_bd09, blon, blat, blon - 0.0065, blat - 0.006)


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Array, Array]:
    """Convert Baidu BD-09 to WGS84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str) -> tuple[Array, Array]:
    """Convert coordinates given in ``crs`` (``wgs84``, ``gcj02`` or ``bd09``) to WGS84."""
    key = crs.lower().replace("-", "").replace("_", "")
    if key in ("wgs84", "epsg4326"):
        return _arrays(lon, lat)
    if key == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if key == "bd09":
        return bd09_to_wgs84(lon, lat)
    raise CoordinateError(
        f"unknown input coordinate system {crs!r}: use one of wgs84, gcj02 (AMap, Tencent), "
        "bd09 (Baidu)"
    )


def utm_crs_for(lon: float, lat: float) -> CRS:
    """Return the WGS84 / UTM zone CRS containing (lon, lat): metric work happens there."""
    zone = int((lon + 180.0) // 6.0) + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)


# --- declared input systems --------------------------------------------------------------

CRS_HELP = (
    "use wgs84, gcj02 (AMap, Tencent, Google China), bd09 (Baidu), cgcs2000 (EPSG:4490, "
    "Chinese survey lon/lat) or an EPSG code such as 'EPSG:4525' (CGCS2000 3-degree "
    "Gauss-Krüger zone 37: x/y in metres)"
)
CGCS2000_NOTE = (
    "CGCS2000 coordinates taken as WGS84: the two frames agree to better than 1 m "
    "(sub-metre), far below the precision of facility positions"
)
_OBFUSCATED = ("wgs84", "gcj02", "bd09")
_WGS84_NAMES = {"wgs84": "wgs84", "epsg4326": "wgs84", "gcj02": "gcj02", "bd09": "bd09",
                "cgcs2000": "cgcs2000", "epsg4490": "cgcs2000"}


@dataclass(frozen=True)
class InputSystem:
    """The declared coordinate system of input values.

    ``name`` is how outputs name it: ``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or
    ``EPSG:NNNN``; ``crs`` is the pyproj CRS (None for wgs84/gcj02/bd09, which
    :func:`to_wgs84` handles).
    """

    name: str
    crs: CRS | None = None

    @property
    def projected(self) -> bool:
        """True when values are x/y (easting/northing), not lon/lat."""
        return bool(self.crs is not None and self.crs.is_projected)

    @property
    def key(self) -> str:
        """``wgs84``, ``gcj02`` or ``bd09`` for those; ``epsg`` for pyproj systems."""
        return self.name if self.name in _OBFUSCATED else "epsg"

    @property
    def label(self) -> str:
        """The name with the CRS's own name, e.g. 'EPSG:4525 (CGCS2000 / 3-degree ...)'."""
        if self.crs is None or self.name == "cgcs2000":
            return self.name
        return f"{self.name} ({self.crs.name})"


def input_system(spec: str) -> InputSystem:
    """Parse a ``crs`` option: wgs84, gcj02, bd09, cgcs2000 or ``EPSG:NNNN``.

    Raises
    ------
    CoordinateError
        Anything else, or an EPSG code that is not a 2D geographic or projected system.
    """
    text = str(spec).strip()
    flat = text.lower().replace("-", "").replace("_", "").replace(" ", "").replace(":", "")
    if flat in _WGS84_NAMES:
        name = _WGS84_NAMES[flat]
        return InputSystem(name, CRS.from_epsg(4490) if name == "cgcs2000" else None)
    if not (flat.startswith("epsg") and flat[4:].isdigit()):
        raise CoordinateError(f"unknown coordinate system {text!r}: {CRS_HELP}")
    try:
        crs = CRS.from_epsg(int(flat[4:]))
    except CRSError as exc:
        raise CoordinateError(f"{text!r} is not an EPSG code pyproj knows: {CRS_HELP}") from exc
    if crs.equals("EPSG:4326", ignore_axis_order=True):
        return InputSystem("wgs84")
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        raise CoordinateError(
            f"{text} ({crs.name}) is not a 2D lon/lat or x/y system: {CRS_HELP}"
        )
    if crs.is_geographic and _is_cgcs2000(crs):
        return InputSystem("cgcs2000", crs)
    return InputSystem(f"EPSG:{flat[4:]}", crs)


def _is_cgcs2000(crs: CRS) -> bool:
    return crs.datum is not None and crs.datum.name == "China 2000"


def system_to_wgs84(
    x: npt.ArrayLike, y: npt.ArrayLike, system: InputSystem
) -> tuple[Array, Array, str]:
    """Return WGS84 lon/lat from values in ``system``, and the note the outputs must carry.

    wgs84/gcj02/bd09 go through :func:`to_wgs84` (note ''). CGCS2000-based systems are
    taken as WGS84 after the projection is undone (:data:`CGCS2000_NOTE`). Other datums
    use the transformation PROJ picks for the points' area; where PROJ knows none (a
    "ballpark" transformation) the note says the datum shift was left out.
    """
    xs, ys = _arrays(x, y)
    if system.crs is None:
        lon, lat = to_wgs84(xs, ys, system.name)
        return lon, lat, ""
    crs = system.crs
    geographic = crs.geodetic_crs or crs
    glon, glat = Transformer.from_crs(crs, geographic, always_xy=True).transform(xs, ys)
    glon, glat = np.asarray(glon, dtype=np.float64), np.asarray(glat, dtype=np.float64)
    if _is_cgcs2000(crs):
        return glon, glat, CGCS2000_NOTE
    ok = np.isfinite(glon) & np.isfinite(glat)
    aoi = None
    if ok.any():
        aoi = AreaOfInterest(float(glon[ok].min()), float(glat[ok].min()),
                             float(glon[ok].max()), float(glat[ok].max()))
    step = Transformer.from_crs(geographic, "EPSG:4326", always_xy=True, area_of_interest=aoi)
    lon, lat = step.transform(glon, glat)
    note = ""
    if "ballpark" in step.description.lower():
        note = (
            f"{geographic.name} coordinates converted to WGS84 without a datum shift (PROJ "
            "knows no transformation for this area): positions may be off by tens to "
            "hundreds of metres"
        )
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), note
