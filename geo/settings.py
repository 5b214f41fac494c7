"""Defaults read at call time: speed tables, access speeds, snapping and grid sizes.

Every number here has its source next to it. Study files override them through the
options of :mod:`geo.schema` (``[roads] speeds_kmh``, ``[access] drive_kmh``, ...), whose
defaults are read from here; the command line's defaults come from here too.

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

from geo.errors import QueryError

__all__ = [
    "ACCESS_SPEED_KMH",
    "BATCH_BUFFER_KM",
    "BATCH_MAP_MAX_TOWNSHIPS",
    "BATCH_RETRIES",
    "BATCH_TILE_KM",
    "CANDIDATE_SPACING_M",
    "DEFAULT_GRID_SPACING_M",
    "DRIVE_SPEEDS_KMH",
    "MAX_ACCESS_M",
    "MIN_COMPONENT_SHARE",
    "SNAP_EXCLUDE",
    "SNAP_TOLERANCE_M",
    "SOLVER_TIME_LIMIT_S",
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

# A network whose largest strongly connected part holds less of the road length than this
# is refused (a badly cut extract or a layer of islands), unless the study lowers it.
MIN_COMPONENT_SHARE: Final = 0.5

# Road classes places never join by an access leg: an expressway is entered only at
# interchanges, which a straight leg to the nearest point of it would skip.
SNAP_EXCLUDE: Final = ("motorway",)

# Demand grid spacing for studies that do not give one.
DEFAULT_GRID_SPACING_M: Final = 1000.0

# Siting: candidate grid spacing and node thinning (metres). 2 km is about 5 minutes at
# township-road speed, finer than the 15-30 minute thresholds the candidates are judged by.
CANDIDATE_SPACING_M: Final = 2000.0

# Siting: time limit of an exact solve (seconds); on the limit the best solution, bound
# and gap are reported.
SOLVER_TIME_LIMIT_S: Final = 300.0

# Batch studies (`geo batch`): roads and facilities within this distance of an area's
# boundary are used for it. 60 km is one hour at 60 km/h, the provincial-road speed of
# DRIVE_SPEEDS_KMH["primary"]: a facility outside the area that serves its people within
# the 1-hour emergency standard over roads of that speed or slower lies inside it. Faster
# roads and the 2-hour rescue circle can reach further: every area measures the people whose
# coverage a route or facility beyond the buffer could still change and the outputs say so.
BATCH_BUFFER_KM: Final = 60.0

# Batch studies: times a failed area is tried again (Dask `retries`), e.g. after a worker
# was lost; an area that still fails is listed with its error, never left out silently.
BATCH_RETRIES: Final = 2

# Batch studies: side of the square tiles (km) of the partitioned network cache. A county
# of 30-80 km with a 60 km buffer reads 15-25 tiles a side; tiles far smaller only add
# index entries, far larger read roads well outside the buffer.
BATCH_TILE_KM: Final = 10.0

# Batch studies: the combined map (map.html) draws every township of every area up to this
# many; above it (a country) the map is left out and the summary says so: the combined
# GeoPackage holds every township, and each area keeps its own map.
BATCH_MAP_MAX_TOWNSHIPS: Final = 5000

# Access legs longer than this are reported (not dropped) in the run summary.
MAX_ACCESS_M: Final = 10_000.0


def default_speeds(mode: str) -> dict[str, float]:
    """Speed table (km/h by ``highway`` class) for ``mode`` (``drive`` or ``walk``)."""
    if mode == "drive":
        return dict(DRIVE_SPEEDS_KMH)
    if mode == "walk":
        classes = [k for k in DRIVE_SPEEDS_KMH if k not in WALK_EXCLUDED]
        return dict.fromkeys([*classes, *WALK_ONLY_CLASSES], WALK_SPEED_KMH)
    raise QueryError(f"unknown travel mode {mode!r}: use 'drive' or 'walk'")
