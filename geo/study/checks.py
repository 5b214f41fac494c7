"""Input checks that measure, then stop or state.

Each check is a function returning :class:`Check` values: a key, a title, a status
(``ok``, ``note``, ``warn`` or ``stop``), a message naming the problem with its numbers
and a fix that exists, and the numbers themselves. :func:`geo.study.run.run_study` runs them
where their data is ready and raises :class:`~geo.errors.CheckError` listing every
``stop`` that the study does not accept (``[checks] accept``, keys in :data:`ACCEPTABLE`);
an accepted stop, and every warning and note, is stated in the outputs instead. ``geo
check STUDY`` prints the same checks as a checklist before any travel-time search.

Thresholds live in :mod:`geo.settings`, each with the measurement it comes from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from geo import settings
from geo._types import FloatArray
from geo.crs import bd09_to_wgs84, gcj02_to_wgs84
from geo.errors import CheckError
from geo.options import closest
from geo.readers.names import display_name

__all__ = [
    "ACCEPTABLE",
    "STATUSES",
    "Check",
    "accept",
    "crs_plausibility",
    "from_record",
    "raise_stops",
    "road_coverage",
    "stated",
    "township_layer",
    "township_names",
]


STATUSES = ("ok", "note", "warn", "stop")
_SYMBOL = {"ok": "✓", "note": "i", "warn": "!", "stop": "✗"}

#: stops a study may accept with ``[checks] accept = [...]``, and what the run then does
ACCEPTABLE: dict[str, str] = {
    "road_coverage": "many people far (over 5 km) from a usable road: their minutes rest on "
                     "the straight access leg",
    "road_extent": "people beyond 20 km of any usable road: the road layer does not reach "
                   "part of the area",
    "township_gaps": "parts of the study area in no township polygon: their places count "
                     "in the nearest township",
    "township_overlaps": "township polygons that overlap: places in an overlap count in "
                         "the township listed first",
}


@dataclass(frozen=True)
class Check:
    """One measured check (see module docs); ``accepted`` marks a stop the study accepts."""

    key: str
    title: str
    status: str
    message: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    accepted: bool = False
    #: what to do about it (for stops and warnings); an option or flag that exists
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"check status must be one of {STATUSES}, not {self.status!r}")

    @property
    def stops(self) -> bool:
        """A stop the study does not accept."""
        return self.status == "stop" and not self.accepted

    @property
    def text(self) -> str:
        """The message with its fix (what a stop or a warning prints)."""
        return f"{self.message}: {self.fix}" if self.fix else self.message

    @property
    def line(self) -> str:
        """One checklist line: ✓ ok, i note, ! warning (or accepted stop), ✗ stop."""
        if self.accepted:
            return f"! {self.title}: {self.message} (accepted: [checks] accept)"
        return f"{_SYMBOL[self.status]} {self.title}: {self.text}"


    def record(self) -> str:
        """The check as one tab-separated line (results.gpkg metadata); :func:`from_record`
        reads it back (without the numbers)."""
        parts = (self.key, self.status, "accepted" if self.accepted else "", self.title,
                 self.message, self.fix)
        return "\t".join(p.replace("\t", " ") for p in parts)


def from_record(text: str) -> Check:
    """A :class:`Check` from :meth:`Check.record`."""
    key, status, accepted, title, message, fix = (text.split("\t") + [""] * 6)[:6]
    return Check(key, title, status, message, accepted=accepted == "accepted", fix=fix)


def accept(checks: Iterable[Check], keys: Iterable[str]) -> list[Check]:
    """The checks with the stops whose key is in ``keys`` marked accepted."""
    wanted = set(keys)
    return [replace(c, accepted=True) if c.status == "stop" and c.key in wanted else c
            for c in checks]


def stated(checks: Iterable[Check]) -> list[str]:
    """Lines the outputs must carry: every warning and every accepted stop."""
    return [f"{c.title}: {c.message} (accepted with [checks] accept)" if c.accepted
            else f"{c.title}: {c.text}" for c in checks if c.status == "warn" or c.accepted]


def raise_stops(checks: Iterable[Check]) -> None:
    """Raise :class:`CheckError` listing every stop not accepted (nothing if none)."""
    stops = [c for c in checks if c.stops]
    if not stops:
        return
    lines = [f"- {c.title}: {c.text}" for c in stops]
    raise CheckError(f"{len(stops)} input check(s) stop the run (`geo check STUDY` lists "
                     "every check):\n" + "\n".join(lines))


# --------------------------------------------------------------------------- roads


def _accept_fix(key: str) -> str:
    return f'or accept it with [checks] accept = ["{key}"] and the outputs will state it'


def road_coverage(access_m: FloatArray, population: FloatArray) -> list[Check]:
    """How far people live from the nearest usable road (the drive network's access legs).

    Two checks: ``road_extent`` (people beyond :data:`settings.ROAD_EXTENT_M`: the layer
    does not reach them) and ``road_coverage`` (beyond :data:`settings.ROAD_GAP_M`: their
    minutes rest on a long straight leg). Each stops above its share of the people.
    """
    d = np.asarray(access_m, dtype=float)
    w = np.asarray(population, dtype=float)
    total = float(w.sum())
    out = []
    for key, metres, limit, title, why in (
        ("road_extent", settings.ROAD_EXTENT_M, settings.ROAD_EXTENT_MAX_SHARE,
         "road layer extent", ("the road layer does not reach this part of the area (roads "
         "of another area, or an extract cut too small?)", "use a road source covering the "
         "whole study area")),
        ("road_coverage", settings.ROAD_GAP_M, settings.ROAD_GAP_MAX_SHARE,
         "road coverage", ("their minutes rest on the straight access leg at the access "
         "speed, not on roads: the road layer lacks the area's minor roads (a backbone?) or "
         "part of the area", "use a source with township and village roads (an OSM extract "
         "through `geo network build`)")),
    ):
        far = d > metres
        people = float(w[far].sum())
        share = people / total if total > 0 else 0.0
        nums = {"people": people, "share": share, "points": float(far.sum()),
                "metres": metres, "max_share": limit, "median_m": float(np.median(d))}
        head = (f"{people:,.0f} people ({share:.1%}; {int(far.sum()):,} demand points) live "
                f"more than {metres / 1000:g} km in straight line from the nearest usable "
                f"road")
        if share > limit:
            out.append(Check(key, title, "stop", f"{head}, above the {limit:.0%} limit; {why[0]}",
                             nums, fix=f"{why[1]}, {_accept_fix(key)}"))
        else:
            out.append(Check(key, title, "ok", f"{head} (limit {limit:.0%})", nums))
    return out


# --------------------------------------------------------------------------- townships


def _opened(geom: BaseGeometry, width: float) -> BaseGeometry:
    """``geom`` without the parts thinner than 2 x ``width`` (morphological opening)."""
    if geom.is_empty:
        return geom
    return shapely.intersection(geom.buffer(-width).buffer(width), geom)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = shapely.get_parts(geom)
    keep = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(keep) if keep else shapely.Polygon()


def _people(points_m: npt.NDArray[np.object_], pop: FloatArray, geom: BaseGeometry) -> float:
    if geom.is_empty:
        return 0.0
    return float(pop[shapely.contains_xy(geom, shapely.get_x(points_m),
                                         shapely.get_y(points_m))].sum())


def township_layer(
    area: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, points: gpd.GeoDataFrame,
    population: FloatArray, metric: object,
) -> list[Check]:
    """Gaps (study area in no township polygon) and overlaps (in two or more), in km² and
    people, naming the townships; pieces thinner than 2 x :data:`settings.TOWNSHIP_SLIVER_M`
    are slivers (reported, never a stop); from :data:`settings.TOWNSHIP_GAP_MIN_KM2` on the
    run stops."""
    a = _polygonal(area.to_crs(metric).union_all())
    polys = polygons.to_crs(metric)
    geoms = np.asarray(polys.geometry.array, dtype=object)
    names = [str(n) for n in polys["township"]]
    pts = np.asarray(points.geometry.to_crs(metric).array, dtype=object)
    pop = np.asarray(population, dtype=float)
    w = settings.TOWNSHIP_SLIVER_M
    gap = _polygonal(shapely.difference(a, shapely.union_all(geoms)))
    real_gap = _opened(gap, w)
    pieces = [p for p in shapely.get_parts(real_gap) if p.area > 0]
    around = [_neighbours(names, geoms, shapely.intersection(gap, p.buffer(w)), w)
              for p in pieces]
    gap_parts = [(f"{p.area / 1e6:,.1f} km² next to {near}", p.area / 1e6, _people(pts, pop, p))
                 for p, near in zip(pieces, around, strict=True)]
    overlaps = []
    tree = shapely.STRtree(geoms)
    i_idx, j_idx = tree.query(geoms, "intersects")
    for i, j in zip(i_idx, j_idx, strict=True):
        if i >= j:
            continue
        both = _opened(_polygonal(shapely.intersection(geoms[i], geoms[j])), w)
        if both.area > 0:
            overlaps.append((f"{names[i]} and {names[j]} overlap by {both.area / 1e6:,.1f} km² "
                             f"(counted in {names[i]} only)", both.area / 1e6,
                             _people(pts, pop, both)))
    return [
        _layer_check("township_gaps", "township gaps", gap_parts, gap.area - real_gap.area,
                     "parts of the study area lie in no township polygon",
                     "fix the township file or the study-area boundary ([area] boundary) in a "
                     "GIS", "their places count in the nearest township"),
        _layer_check("township_overlaps", "township overlaps", overlaps, 0.0,
                     "township polygons overlap", "fix the township file in a GIS (a "
                     "topology check: no overlaps)",
                     "places in an overlap count in the township listed first"),
    ]


def _neighbours(names: Sequence[str], geoms: npt.NDArray[np.object_], piece: BaseGeometry,
                min_m: float) -> str:
    """Townships sharing at least ``min_m`` of border with ``piece`` (not a corner)."""
    edge = piece.boundary
    near = [n for n, g in zip(names, geoms, strict=True)
            if shapely.intersection(edge, g.buffer(1.0)).length >= min_m]
    return ", ".join(near) or "no township"


def _layer_check(key: str, title: str, parts: Sequence[tuple[str, float, float]],
                 sliver_m2: float, what: str, fix: str, then: str) -> Check:
    """One gap or overlap check from its pieces (text, km², people)."""
    area = sum(a for _, a, _ in parts)
    people = sum(p for _, _, p in parts)
    nums = {"km2": area, "people": people, "pieces": float(len(parts)),
            "sliver_km2": sliver_m2 / 1e6}
    sliver = (f"; {sliver_m2 / 1e6:,.2f} km² in slivers thinner than "
              f"{2 * settings.TOWNSHIP_SLIVER_M:g} m left aside (digitising)"
              if sliver_m2 > 1.0 else "")
    if area >= settings.TOWNSHIP_GAP_MIN_KM2:
        listed = "; ".join(t if np.isnan(p) else f"{t} (about {p:,.0f} people)"
                           for t, _, p in parts)
        return Check(key, title, "stop", f"{what}: {listed}; {then}", nums,
                     fix=f'{fix}, or accept it with [checks] accept = ["{key}"] (stated in '
                     "the outputs)")
    if parts:
        listed = "; ".join(t for t, _, _ in parts)
        return Check(key, title, "note", f"{what} below {settings.TOWNSHIP_GAP_MIN_KM2:g} km²: "
                     f"{listed}{sliver}", nums)
    return Check(key, title, "ok", f"none{sliver}", nums)


def _suggest(name: str, choices: Sequence[str]) -> str:
    return f"{name!r}{closest(name, choices, 2)}"


def township_names(reference: tuple[str, Sequence[str]],
                   others: Mapping[str, tuple[Sequence[str], str]]) -> Check:
    """Township names of each other source matched against the ``reference`` (the
    township polygons or seats), with the closest names suggested.

    ``others`` maps a source's description to (its names, the status when they do not
    match: ``stop`` for a population table joined by name, ``warn`` for seats beside
    official polygons).
    """
    ref_what, ref_names = reference
    ref = [display_name(n) for n in ref_names]
    problems, status = [], "ok"
    for what, (names, severity) in others.items():
        got = [display_name(n) for n in names]
        extra = [_suggest(n, ref) for n in got if n not in set(ref)]
        missing = [_suggest(n, got) for n in ref if n not in set(got)]
        if extra:
            problems.append(f"{what} names {len(extra)} township(s) not in {ref_what}: "
                            + ", ".join(extra))
        if missing:
            problems.append(f"{len(missing)} township(s) of {ref_what} are not in {what}: "
                            + ", ".join(missing))
        if extra or missing:
            status = "stop" if "stop" in (status, severity) else "warn"
    nums = {"townships": float(len(ref))}
    if not problems:
        sources = ", ".join([ref_what, *others])
        return Check("township_names", "township names", "ok",
                     f"{len(ref)} townships; the names agree across {sources}", nums)
    return Check("township_names", "township names", status, "; ".join(problems), nums,
                 fix="names are joined when they differ only in spaces, full-width "
                 "characters or a suffix (乡/镇/街道/街道办事处; a suffix only where one "
                 "township and one name of the file share the rest): correct the others in "
                 "the files, or map them with [townships] name_map = { 表中名称 = "
                 "\"乡镇名称\" }")


# --------------------------------------------------------------------------- CRS


_READINGS = ("wgs84", "gcj02", "bd09")
_LABEL = {"wgs84": "WGS84", "gcj02": "GCJ-02 (AMap, Tencent)", "bd09": "BD-09 (Baidu)"}


def _as_read(lon: FloatArray, lat: FloatArray, system: str) -> tuple[FloatArray, FloatArray]:
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    return lon, lat


def _raw_lonlat(points: gpd.GeoDataFrame) -> tuple[FloatArray, FloatArray] | None:
    declared = str(points.attrs.get("input_crs", "wgs84"))
    if declared == "wgs84":
        g = points.geometry.to_crs(4326)
        return g.x.to_numpy(dtype=float), g.y.to_numpy(dtype=float)
    if declared in _READINGS and {"input_lon", "input_lat"} <= set(points.columns):
        return (points["input_lon"].to_numpy(dtype=float),
                points["input_lat"].to_numpy(dtype=float))
    return None


def crs_plausibility(
    key: str, what: str, points: gpd.GeoDataFrame,
    road_distance_m: Callable[[FloatArray, FloatArray], FloatArray], option: str,
) -> Check | None:
    """Do the points fit the roads better read in another of WGS84, GCJ-02 and BD-09?

    ``road_distance_m(lon, lat)`` gives metres from WGS84 points to the nearest road (the
    road layer, as read, is the reference). Points within
    :data:`settings.CRS_NEAR_ROAD_M` of a road under either reading are compared: a
    warning when the best other reading's median distance is at most
    :data:`settings.CRS_BETTER_RATIO` of the declared one's and
    :data:`settings.CRS_MIN_GAIN_M` smaller, over at least
    :data:`settings.CRS_MIN_POINTS` points. None for points not declared in one of the
    three (Gauss-Krüger and other EPSG systems have no such offset).
    """
    declared = str(points.attrs.get("input_crs", "wgs84"))
    raw = _raw_lonlat(points)
    if raw is None or len(points) == 0:
        return None
    d0 = np.asarray(road_distance_m(*_as_read(*raw, declared)), dtype=float)
    best: tuple[str, float, float, int] | None = None
    for other in _READINGS:
        if other == declared:
            continue
        d1 = np.asarray(road_distance_m(*_as_read(*raw, other)), dtype=float)
        near = np.minimum(d0, d1) <= settings.CRS_NEAR_ROAD_M
        if near.sum() == 0:
            continue
        m0, m1 = float(np.median(d0[near])), float(np.median(d1[near]))
        if best is None or m1 / max(m0, 1e-9) < best[2] / max(best[1], 1e-9):
            best = (other, m0, m1, int(near.sum()))
    title = f"coordinate system of the {what}"
    if best is None:
        return Check(key, title, "note", f"declared {_LABEL[declared]}; no point within "
                     f"{settings.CRS_NEAR_ROAD_M / 1000:g} km of a road to compare readings",
                     {})
    other, m0, m1, n = best
    nums = {"median_declared_m": m0, "median_other_m": m1, "points": float(n)}
    evidence = (f"read as declared ({_LABEL[declared]}) the median distance of {n} points "
                f"to the nearest road is {m0:,.0f} m; read as {_LABEL[other]} {m1:,.0f} m")
    if (n >= settings.CRS_MIN_POINTS and m1 <= settings.CRS_BETTER_RATIO * m0
            and m0 - m1 >= settings.CRS_MIN_GAIN_M):
        return Check(key, title, "warn", f"{evidence}: the coordinates look like "
                     f"{_LABEL[other]}, not {_LABEL[declared]} (the offset is systematic, "
                     "300-600 m in south China)", nums,
                     fix=f'check where they come from and set {option} = "{other}" if so')
    return Check(key, title, "ok", f"{evidence}: the declared system fits", nums)
