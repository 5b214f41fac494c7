"""Defaults read at call time: speed tables, access speeds, snapping and grid sizes.

Every number here has its source next to it. Studies override any of them
(``[network.speeds_kmh]``, ``access_speed_kmh``, ...); nothing reads these at import.

Chinese default driving speeds (km/h) per OSM ``highway`` class
-----------------------------------------------------------------
OSM in China maps ``motorway`` to 高速公路 (expressways), ``trunk`` mostly to
national roads (国道), ``primary`` to provincial roads (省道), ``secondary`` to
county roads (县道), ``tertiary`` to township roads (乡道), ``unclassified`` and
``residential`` to village roads (村道). The numbers are typical *travel* speeds,
capped by the legal limits and set within the design-speed ranges:

- JTG B01-2014 《公路工程技术标准》 §3.5 design speeds: expressway 120/100/80,
  class-I 100/80/60, class-II 80/60, class-III 40/30, class-IV 30/20 km/h.
- 《道路交通安全法实施条例》 (2017 revision) Art. 45: without a centre line at most
  40 km/h on highways (30 in towns); one lane per direction at most 70 km/h on
  highways (50 in towns). Art. 78: expressways at most 120 km/h.

``motorway`` 100: expressway, below the 120 legal maximum for traffic and grades.
``trunk`` 70: national roads are mostly class-I/II highways with one lane per direction
(Art. 45 limit 70). ``primary`` 60: provincial roads, class-II design 60-80.
``secondary`` 45: county roads, class-II/III (design 40-60). ``tertiary`` 35: township
roads, class-III (design 30-40; Art. 45 limit 40 without centre line). ``unclassified``
/ ``residential`` 25: village roads, class-IV (design 20-30). ``service``/``track`` 15.
``*_link`` ramps 40: typical ramp design speeds 40-60 (JTG D20-2017 §10.6, low end).

Walking: 4.5 km/h on every class pedestrians may use (motorways and trunk links
excluded), the usual adult walking speed used by the Liuzhou "15-minute" circle
planning literature (≈ 1.25 m/s, also osmnx/r5 default range 4-5 km/h).

Off-network access legs
-----------------------
The embedded road layer is a backbone only (motorway/trunk/primary). A place away
from it is reached over county, township and village roads that the layer lacks.
The access leg is drawn as a straight line at ``ACCESS_SPEED_KMH[mode]``: for driving
25 km/h *straight-line*, i.e. a 35 km/h township road (JTG class III) with a detour
factor of 1.4, typical of hilly karst terrain (circuity 1.3-1.5 reported for rural
China road networks). For walking 4.5/1.3 ≈ 3.5 km/h.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "ACCESS_SPEED_KMH",
    "DEFAULT_GRID_SPACING_M",
    "DRIVE_SPEEDS_KMH",
    "E2SFCA_BANDS",
    "E2SFCA_WEIGHTS",
    "GRAVITY_MIN_MINUTES",
    "GRAVITY_SCALE_MINUTES",
    "MAX_ACCESS_M",
    "SNAP_TOLERANCE_M",
    "THREE_SFCA_BAND_EDGES",
    "THREE_SFCA_WEIGHTS",
    "WALK_EXCLUDED",
    "WALK_ONLY_CLASSES",
    "WALK_SPEED_KMH",
    "default_speeds",
]

DRIVE_SPEEDS_KMH: Final = MappingProxyType(
    {
        "motorway": 100.0,
        "trunk": 70.0,
        "primary": 60.0,
        "secondary": 45.0,
        "tertiary": 35.0,
        "unclassified": 25.0,
        "residential": 25.0,
        "living_street": 15.0,
        "service": 15.0,
        "track": 15.0,
        "motorway_link": 40.0,
        "trunk_link": 40.0,
        "primary_link": 40.0,
        "secondary_link": 35.0,
        "tertiary_link": 30.0,
    }
)

WALK_SPEED_KMH: Final = 4.5
WALK_EXCLUDED: Final = frozenset({"motorway", "motorway_link", "trunk_link"})
# OSM classes only pedestrians use (full OSM extracts have them; the backbone does not).
WALK_ONLY_CLASSES: Final = ("footway", "path", "pedestrian", "steps", "cycleway", "corridor")

ACCESS_SPEED_KMH: Final = MappingProxyType({"drive": 25.0, "walk": 3.5})

# Endpoints of different lines closer than this are joined, and an endpoint this
# close to another line is joined into it. Measured on the embedded backbone: 2,554 of
# 2,740 line endpoints coincide exactly; of the rest, 119 have another endpoint within
# 50-100 m (tile-boundary cuts after ~70 m simplification), so 100 m closes those gaps.
SNAP_TOLERANCE_M: Final = 100.0

# Demand grid spacing for studies that do not give one.
DEFAULT_GRID_SPACING_M: Final = 1000.0

# Access legs longer than this are reported (not dropped) in the run summary.
MAX_ACCESS_M: Final = 10_000.0


# Access measures (geo.measures) when a measure spec gives no weights of its own.
# E2SFCA: Luo & Qi (2009, Health & Place 15(4):1100-1107) split a 30-minute catchment into
# three 10-minute bands weighted 1, 0.68 and 0.22 (a Gaussian decay read at the bands).
# Here the catchment is cut into E2SFCA_BANDS equal bands, upper edges inclusive, so a
# 30-minute catchment gets exactly their bands (0-10, 10-20, 20-30 min) and a 60-minute
# one 0-20, 20-40, 40-60 min (the example in PySAL access's weights.step_fn docstring).
E2SFCA_BANDS: Final = 3
E2SFCA_WEIGHTS: Final = (1.0, 0.68, 0.22)
# 3SFCA: Wan, Zou & Sternberg (2012, IJGIS 26(6):1073-1089) weight four zones 0-10,
# 10-20, 20-30, 30-60 min by 0.962, 0.704, 0.377, 0.042 (PySAL access's default for
# three_stage_fca). Band edges are fractions of the catchment (1/6, 2/6, 3/6, 6/6), so a
# 60-minute catchment gets their zones exactly.
THREE_SFCA_BAND_EDGES: Final = (1, 2, 3, 6)  # sixths of the catchment
THREE_SFCA_WEIGHTS: Final = (0.962, 0.704, 0.377, 0.042)
# Gravity (power decay (max(t, t_min) / scale) ** -beta, PySAL access weights.gravity):
# a trip shorter than a minute counts as one minute, the "crude" fix for the infinite
# weight at 0 that the access documentation names (min_dist); scale 1 minute.
GRAVITY_MIN_MINUTES: Final = 1.0
GRAVITY_SCALE_MINUTES: Final = 1.0

def default_speeds(mode: str) -> dict[str, float]:
    """Speed table (km/h by ``highway`` class) for ``mode`` (``drive`` or ``walk``)."""
    if mode == "drive":
        return dict(DRIVE_SPEEDS_KMH)
    if mode == "walk":
        classes = [k for k in DRIVE_SPEEDS_KMH if k not in WALK_EXCLUDED]
        return dict.fromkeys([*classes, *WALK_ONLY_CLASSES], WALK_SPEED_KMH)
    raise ValueError(f"unknown travel mode {mode!r}: use 'drive' or 'walk'")
