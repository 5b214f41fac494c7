"""GCJ-02 / BD-09 conversion against two independent packages (prcoords, eviltransform)."""

from __future__ import annotations

import eviltransform
import numpy as np
import prcoords
import pytest
from pyproj import Geod

from geo.crs import (
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    utm_crs_for,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")
RNG = np.random.default_rng(11)
LON = RNG.uniform(98.0, 122.0, 200)  # across mainland China
LAT = RNG.uniform(21.0, 45.0, 200)


def _metres(lon1, lat1, lon2, lat2):  # type: ignore[no-untyped-def]
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_forward_gcj02_matches_prcoords() -> None:
    glon, glat = wgs84_to_gcj02(LON, LAT)
    ref = [prcoords.wgs_gcj((la, lo)) for lo, la in zip(LON, LAT, strict=True)]
    d = _metres(glon, glat, [r.lon for r in ref], [r.lat for r in ref])
    assert np.max(d) < 0.01


def test_gcj02_inverse_round_trip_under_1m() -> None:
    ref = [eviltransform.wgs2gcj(la, lo) for lo, la in zip(LON, LAT, strict=True)]
    wlon, wlat = gcj02_to_wgs84([r[1] for r in ref], [r[0] for r in ref])
    assert np.max(_metres(wlon, wlat, LON, LAT)) < 1.0
    # and the shift undone is real (hundreds of metres), so the test can fail
    assert np.min(_metres([r[1] for r in ref], [r[0] for r in ref], LON, LAT)) > 50.0


def test_bd09_round_trip_under_1m() -> None:
    ref = [prcoords.wgs_bd((la, lo)) for lo, la in zip(LON, LAT, strict=True)]
    wlon, wlat = bd09_to_wgs84([r.lon for r in ref], [r.lat for r in ref])
    assert np.max(_metres(wlon, wlat, LON, LAT)) < 1.0
    blon, blat = gcj02_to_bd09(*wgs84_to_gcj02(LON, LAT))
    assert np.max(_metres(blon, blat, [r.lon for r in ref], [r.lat for r in ref])) < 0.01


def test_outside_china_unchanged_and_unknown_crs() -> None:
    lon, lat = to_wgs84([2.35], [48.85], "gcj02")  # Paris
    assert lon[0] == pytest.approx(2.35) and lat[0] == pytest.approx(48.85)
    with pytest.raises(ValueError, match="bd09"):
        to_wgs84([0], [0], "mars")


def test_utm_zone() -> None:
    assert utm_crs_for(109.75, 24.48).to_epsg() == 32649
    assert utm_crs_for(-70.0, -33.0).to_epsg() == 32719
