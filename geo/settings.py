"""Defaults read at call time: speed tables, access speeds, snapping and grid sizes.

Every number here has its source next to it. Study files override them through the
options of :mod:`geo.study.schema` (``[roads] speeds_kmh``, ``[access] drive_kmh``, ...), whose
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

The files geo ships
-------------------
The facility-type table, the standards and the embedded Luzhai study with its data and
scenarios are defaults too, kept as files. The repository keeps them at its top level
(``analysis/``, ``data/``): that is the one copy anyone edits. A built package (wheel or
sdist) carries a copy made by the build, under ``geo/_shipped/`` (``setup.py``'s
``build_py``), found by :func:`shipped` with :mod:`importlib.resources`; a checkout
(``make``'s editable install) has no such folder and reads the top-level files themselves,
so an edit there takes effect without a rebuild.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final

from geo.errors import QueryError

__all__ = [
    "ACCESS_SPEED_KMH",
    "BATCH_BUFFER_KM",
    "BATCH_MAP_MAX_TOWNSHIPS",
    "BATCH_MIN_WORKER_BYTES",
    "BATCH_RETRIES",
    "BATCH_TILE_KM",
    "BATCH_WORKER_WAIT_S",
    "CANDIDATE_SPACING_M",
    "CRS_BETTER_RATIO",
    "CRS_MIN_GAIN_M",
    "CRS_MIN_POINTS",
    "CRS_NEAR_ROAD_M",
    "DEFAULT_GRID_SPACING_M",
    "DISK_FULL_BYTES",
    "DOWNLOAD_CONNECT_TIMEOUT_S",
    "DRIVE_SPEEDS_KMH",
    "DUPLICATE_NAME_M",
    "DUPLICATE_POSITION_M",
    "E2SFCA_BANDS",
    "E2SFCA_WEIGHTS",
    "FIGURE_MAX_TOWNSHIPS",
    "GRAVITY_MIN_MINUTES",
    "GRAVITY_SCALE_MINUTES",
    "MAP_CLUSTER_MIN_FACILITIES",
    "MAX_ACCESS_M",
    "MAX_MAXSPEED_KMH",
    "MAX_TOWNSHIP_PEOPLE",
    "MIN_COMPONENT_SHARE",
    "OUTPUT_MIN_FREE_BYTES",
    "OUTSIDE_TOLERANCE_M",
    "RASTER_UNCOVERED_MAX_SHARE",
    "ROAD_EXTENT_M",
    "ROAD_EXTENT_MAX_SHARE",
    "ROAD_GAP_M",
    "ROAD_GAP_MAX_SHARE",
    "SHIPPED_FOLDER",
    "SITING_TIE_PEOPLE",
    "SNAP_EXCLUDE",
    "SNAP_TOLERANCE_M",
    "SOLVER_TIME_LIMIT_S",
    "THREE_SFCA_BAND_EDGES",
    "THREE_SFCA_WEIGHTS",
    "TOWNSHIP_GAP_MIN_KM2",
    "TOWNSHIP_SLIVER_M",
    "WALK_EXCLUDED",
    "WALK_ONLY_CLASSES",
    "WALK_SPEED_KMH",
    "default_speeds",
    "shipped",
    "shipped_root",
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

# A facility (in the facility file or placed by a scenario) may lie this far outside the
# study-area boundary and still count as inside: boundaries are digitised to tens of
# metres, and a township health centre on the county's edge is often geocoded just over it.
OUTSIDE_TOLERANCE_M: Final = 1000.0

# Two facility rows are one facility listed twice when they have the same name within this
# distance (a list merged from two sources geocodes one address tens of metres apart, AMap
# and Baidu differ by up to ~30 m after conversion), or the same type at the same position
# (within DUPLICATE_POSITION_M: one row copied). Counted twice, such a row doubles a
# township's beds per 1,000 (issue 20).
DUPLICATE_NAME_M: Final = 50.0
DUPLICATE_POSITION_M: Final = 1.0

# A population raster may leave this share of the study area uncovered (outside its extent,
# or nodata) before the run stops: a county boundary drawn a few pixels past a country's
# WorldPop raster is normal; a raster of half the county drops half its people from every
# denominator (issue 20). The share left is stated in the outputs.
RASTER_UNCOVERED_MAX_SHARE: Final = 0.01

# Demand grid spacing for studies that do not give one.
DEFAULT_GRID_SPACING_M: Final = 1000.0

# Siting: candidate grid spacing and node thinning (metres). 2 km is about 5 minutes at
# township-road speed, finer than the 15-30 minute thresholds the candidates are judged by.
CANDIDATE_SPACING_M: Final = 2000.0

# Siting: time limit of an exact solve (seconds); on the limit the best solution, bound
# and gap are reported.
SOLVER_TIME_LIMIT_S: Final = 300.0

# Siting: two answers whose covered population differs by at most this many people are
# equal (people are whole; the tables show tenths): swaps within it are equal optima,
# which the siting notes count.
SITING_TIE_PEOPLE: Final = 0.5

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

# Batch studies: the least memory a worker may be given (--memory-limit). A worker process
# holds geopandas, pyogrio and the engine before it reads an area: its resident memory after
# one Liuzhou district was 230-336 MB (tests/batch, `geo batch` prints it per worker); with
# less, Dask kills it at 95 % of the limit before any area finishes.
BATCH_MIN_WORKER_BYTES: Final = 256_000_000

# Batch studies: seconds to wait for the first worker of a cluster given with --scheduler
# (a scheduler that has none would take the tasks and wait for ever). A `dask worker`
# started beside it connects within a few seconds.
BATCH_WORKER_WAIT_S: Final = 60.0

# An OSM/road-layer ``maxspeed`` above this (km/h) is not used: China's highest legal
# limit is 120 km/h on expressways (Road Traffic Safety Law implementing regulations, Art.
# 78), so 150 leaves room for mapping in mph or errors of a few km/h and refuses values
# such as 200 or 1000. Such values, and ones that are not a speed ("CN:urban", "none",
# "fast"), are counted in the network report; the class speed is used instead.
MAX_MAXSPEED_KMH: Final = 150.0

# A township count scaled by the unit its header names ('常住人口（万人）') above this many
# people stops the run: the counts were people already (31,415 万人 would be 314 million).
# China's most populous towns and street offices hold around a million residents (2020
# census), so 5 million leaves room and still catches a unit applied to counts in people.
MAX_TOWNSHIP_PEOPLE: Final = 5_000_000

# Access legs longer than this are reported (not dropped) in the run summary.
MAX_ACCESS_M: Final = 10_000.0

# Free disk space a run's outputs need at least (geo.outputs.folder.preflight; by default
# twice what the output folder holds now, as the staged files sit beside the old ones
# until the swap). Measured: the Luzhai study's outputs take 16 MB, a 50,000-facility
# province study 115 MB (benchmarks/bench_scale.py); 200 MB covers both with a margin.
OUTPUT_MIN_FREE_BYTES: Final = 200_000_000

# A write that fails while its disk has less than this left failed for want of space
# (geo._atomic.disk_full): GDAL's GeoPackage writer reports a full disk as a failed SQL
# statement ("no such table: gpkg_contents"), not as ENOSPC. Writers fail once less than a
# block or a SQLite page (4 kB) is left; 1 MB leaves room for the measurement itself.
DISK_FULL_BYTES: Final = 1_000_000

# Figures (PNG) name at most this many townships: the share chart's plot area, 3.7 in
# high on its 8.27 x 6.4 in page, holds about 30 rows of 8-pt labels before they overlap,
# and so many names are all a county map holds legibly. Larger studies (a province has
# 1,100 townships) get the lowest shares in the chart and no names on the map, each
# figure saying so; every township stays in coverage_by_township.csv and the report.
FIGURE_MAX_TOWNSHIPS: Final = 30

# Maps with at least this many facilities cluster their markers (Leaflet.markercluster,
# geo.outputs.map.cluster) and make them in the browser from one compact row each. Below
# it each facility is a marker with its own script block and pre-rendered popup: about
# 2 kB of page per facility (measured on the Luzhai map), so 1,000 add 2 MB, and the
# browser draws one DOM element per marker; Leaflet's guidance is that a few thousand
# DOM markers make panning sluggish, which is what Leaflet.markercluster exists for
# (its README demonstrates 50,000). Clustering below 1,000 would hide the few facilities
# of a county map behind cluster bubbles for nothing.
MAP_CLUSTER_MIN_FACILITIES: Final = 1000

# `geo network download` first asks the Overpass server's /status page with this timeout
# (seconds, connect and read): a reachable server answers it in well under a second, and
# offline the run stops now, not after osmnx's 60 s default pause when /status fails
# (osmnx._overpass._get_overpass_pause) plus its 180 s request timeout.
DOWNLOAD_CONNECT_TIMEOUT_S: Final = 5.0
# Input checks (geo/study/checks.py): measured on the embedded Luzhai demo (500 m grid, 337,298
# people spread evenly) against road layers that do not cover the county.
#
# Road coverage: people whose straight access leg to the nearest usable road is longer
# than ROAD_GAP_M. 5 km at the 25 km/h access speed is a 12-minute leg made of assumed
# roads, so where more than ROAD_GAP_MAX_SHARE of the people need one, the 15- and
# 30-minute standards rest on the access assumption rather than on the road layer. With
# the Luzhai backbone (motorway/trunk/primary only) 48.6 % of the people are > 5 km from a
# road; with only the western third of the county's roads 84.1 %; with the roads of
# another Liuzhou county 76-100 %. A full OSM extract, which maps township and village
# roads, leaves few places this far from a road.
ROAD_GAP_M: Final = 5_000.0
ROAD_GAP_MAX_SHARE: Final = 0.10
# Road extent: people farther than ROAD_EXTENT_M from any usable road (a 48-minute leg at
# 25 km/h): the road layer does not reach that part of the area at all (roads of another
# area, or an extract cut too small). Measured: Luzhai backbone 1.1 %; western half of
# the county's roads 18.1 %, western third 35.4 %, roads of the other nine Liuzhou
# counties 20-100 %. 5 % lies between, about 4 times from each side.
ROAD_EXTENT_M: Final = 20_000.0
ROAD_EXTENT_MAX_SHARE: Final = 0.05

# Township polygons: gaps (study area in no township) and overlaps (in two or more).
# Official township boundaries and a county boundary from another source disagree along
# their edges by up to ~100 m (the embedded county boundary: 0-100 m against Tianditu),
# so pieces thinner than 2 x TOWNSHIP_SLIVER_M are slivers of digitising, not gaps:
# they are removed by a morphological opening (buffer in, buffer out) and only reported.
TOWNSHIP_SLIVER_M: Final = 200.0
# What is left stops the run from this area on: one cell of the default 1 km demand grid,
# so a smaller gap or overlap moves at most about one demand point.
TOWNSHIP_GAP_MIN_KM2: Final = 1.0

# Coordinate systems (GCJ-02 / BD-09 declared on WGS84 data, or the reverse): the median
# distance to the nearest road of points near a road (within CRS_NEAR_ROAD_M under either
# reading) as declared, against the best other reading. Measured on the embedded backbone
# with the true WGS84 positions: Luzhai seats 107 m (other readings 190-734 m), the 105
# Liuzhou seats 185-207 m (335-595 m), the Luzhai facilities 92 m (170-432 m): the true
# reading was always the closest, by a factor 1.8 or more; a wrong declaration had a
# better reading at 0.17-0.56 of its median. A warning needs the other reading at most
# CRS_BETTER_RATIO of the declared median, CRS_MIN_GAIN_M closer, over CRS_MIN_POINTS.
CRS_NEAR_ROAD_M: Final = 1_000.0
CRS_BETTER_RATIO: Final = 0.7
CRS_MIN_GAIN_M: Final = 50.0
CRS_MIN_POINTS: Final = 5


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
    raise QueryError(f"unknown travel mode {mode!r}: use 'drive' or 'walk'")


#: the folder inside the installed package that holds ``analysis/`` and ``data/``
SHIPPED_FOLDER = "_shipped"


def shipped_root() -> Path:
    """The folder holding ``analysis/`` and ``data/``: inside the installed package, else
    the checkout geo runs from."""
    package = resources.files("geo")
    if not isinstance(package, Path):  # a zip import: the study files need real paths
        raise RuntimeError(f"geo is imported from {package}, not from files on disk: "
                           "install it with pip (pip install geo_access-*.whl)")
    inside = package / SHIPPED_FOLDER
    return inside if inside.is_dir() else package.parent


def shipped(relative: str) -> Path:
    """A shipped file by its path in the repository, e.g. ``"analysis/standards.toml"``.

    Parameters
    ----------
    relative
        The path under the repository's top level, with forward slashes.

    Returns
    -------
    Path
        The file inside the installed package, or in the checkout.
    """
    return shipped_root().joinpath(*relative.split("/"))
