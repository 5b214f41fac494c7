"""How far an area's answer could differ from the whole region's: the buffer check.

An area of a batch runs on the region's roads cut to the area and its buffer (the
*zone*), with the facilities of the zone. The same study on the whole region could cover
a place differently only through what the cut changed:

1. **a route that leaves the zone**, to a facility beyond it or back in: at least the
   straight line from the place to the zone's edge and then from the edge to a facility
   (one of the area's, back in the zone, or one beyond it: at least ``beyond_m`` away,
   the distance from the zone to the nearest such facility of the region), driven at the
   region's top speed (the partition's ``max_speed_ms``, or the access-leg speed if
   faster);
2. **a facility the area does not have** (beyond the zone, or in it with
   ``facilities_outside = "ignore"``): at least the straight line to it at that speed;
3. **a different join to the road**: a place (or a facility) joins its nearest usable
   segment; on the whole network that may be a segment the cut left out (beyond the
   zone, or dropped with a small disconnected piece), closer than the one it joins here.
   The segments a point may join differently are exactly the region's usable segments
   missing from the cut network within its access leg: found by reading the region's
   tiles around the area (:func:`geo.batch.partition.region_segments`; a segment within
   ``r`` of a point has its first node within ``r`` + 1.5 × the longest segment).

With its own join and its facilities' joins unchanged, a place's route on the cut
network is a route on the region's (the cut network is a part of it, with the same
nodes, segments and seconds): a place covered here is covered there, unless its nearest
facility here joins differently there. So a place is *uncertain* for a standard when it
may join differently (3); or it is covered here through a facility that may join
differently; or it is not covered here and a route leaving the zone (1), a facility the
area lacks, or one that may join differently (2), could be within the minutes. Every
other place is covered here exactly when it is covered in the whole region's study:
an area whose covered share differs from the region's for its own people has a
non-zero uncertain count (``tests/batch/test_buffer_check.py`` checks it against
whole-region runs on areas cut by hand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo._types import BoolArray, FloatArray
from geo.batch.partition import region_segments
from geo.network.graph import Network
from geo.routing.travel import Snap
from geo.study.run import ComputedStudy

__all__ = ["Absent", "buffer_check"]

#: a facility of the region the area does not have: lon, lat (WGS84) and type
Absent = tuple[float, float, str]

_EPS_M = 1e-6  # ties: a segment as close as the joined one may be the one joined


@dataclass
class _Joins:
    """Per mode, what may join elsewhere on the region's network.

    Which demand points and facilities may join another segment on the region's network, and
    the region's top speed (m/s).
    """

    places: BoolArray
    facilities: BoolArray
    top_speed: float


def _keys(a: FloatArray, b: FloatArray) -> Any:
    """Return one key per segment, the same whichever end comes first.

    Exact coordinates: the cut network's nodes are copies of the region's.
    """
    first = (a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] <= b[:, 1]))
    lo, hi = np.where(first[:, None], a, b), np.where(first[:, None], b, a)
    rows = np.ascontiguousarray(np.column_stack([lo, hi]))
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * 4))).ravel()


def _may_join_elsewhere(snap: Snap, lines: Any) -> BoolArray:
    """Find the points with a segment of ``lines`` at most as far as the one they join.

    ``lines``: the usable region segments the cut left out.
    """
    out = np.zeros(len(snap.xy), dtype=bool)
    if len(lines) == 0 or len(snap.xy) == 0:
        return out
    tree = shapely.STRtree(lines)
    hit = tree.query(shapely.points(snap.xy), predicate="dwithin",
                     distance=snap.access_m + _EPS_M)
    out[np.unique(hit[0])] = True
    return out


def _joins(computed: ComputedStudy, net: Network, region: Path, meta: dict[str, Any]
           ) -> _Joins:
    mode = net.mode
    places = computed.demand_snap(mode)
    fac = computed.snap(computed.facilities, mode) if len(computed.facilities) else None
    xy = np.vstack([places.xy, fac.xy]) if fac is not None else places.xy
    reach = max(float(places.access_m.max(initial=0.0)),
                float(fac.access_m.max(initial=0.0)) if fac is not None else 0.0)
    margin = reach + 1.5 * float(meta["max_seg_m"]) + 1.0
    bounds = (*(xy.min(axis=0) - margin), *(xy.max(axis=0) + margin))
    a, b, classes = region_segments(region, mode, bounds)
    usable = ~np.isin(classes, list(computed.study.access.snap_exclude))
    kept = _keys(net.node_xy[net.seg_u], net.node_xy[net.seg_v])
    missing = usable & ~np.isin(_keys(a, b), kept)
    lines = shapely.linestrings(np.stack([a[missing], b[missing]], axis=1)) \
        if missing.any() else np.zeros(0, dtype=object)
    speed = max(float(meta["max_speed_ms"]), computed.study.access_kmh(mode) / 3.6)
    return _Joins(_may_join_elsewhere(places, lines),
                  _may_join_elsewhere(fac, lines) if fac is not None else np.zeros(0, bool),
                  speed)


def _metric(points: gpd.GeoSeries | Sequence[Any], crs: Any) -> FloatArray:
    g = gpd.GeoSeries(points, crs=4326).to_crs(crs)
    return np.column_stack([g.x.to_numpy(), g.y.to_numpy()]) if len(g) else np.zeros((0, 2))


def _nearest_m(xy: FloatArray, others: FloatArray) -> FloatArray:
    """Straight-line metres from each of ``xy`` to the nearest of ``others`` (inf: none)."""
    if len(others) == 0:
        return np.full(len(xy), np.inf)
    tree = shapely.STRtree(np.asarray(shapely.points(others), dtype=object))
    pts = shapely.points(xy)
    _, d = tree.query_nearest(pts, return_distance=True, all_matches=False)
    return np.asarray(d, dtype=float)


def buffer_check(computed: ComputedStudy, zone_wgs84: Any, nets: dict[str, Network],
                 region: Path, absent: Sequence[Absent] = (),
                 beyond_m: dict[str, float] | None = None) -> dict[str, float]:
    """Return the people per standard whose coverage could differ in the region's study.

    See module docs. ``region``: the partitioned network folder the area was cut from;
    ``absent``: the region's facilities in the zone that the area was not given;
    ``beyond_m``: per standard, metres from the zone to the nearest facility of the region
    beyond it (missing: 0, the weakest bound). 0 everywhere means the buffer changes no
    covered share.
    """
    import json

    meta = json.loads((region / "meta.json").read_text(encoding="utf-8"))
    pop = computed.population
    fac = computed.facilities
    joins: dict[str, _Joins] = {}
    out: dict[str, float] = {}
    for std in computed.standards:
        minutes = computed.travel.minutes.get(std.name)
        if minutes is None:  # not applicable in the area, nor in the region (batch sets
            continue         # [standards] always_applicable where the region has some)
        net = nets[std.mode]
        if std.mode not in joins:
            joins[std.mode] = _joins(computed, net, region, meta[std.mode])
        j = joins[std.mode]
        places = computed.demand_snap(std.mode).xy
        seconds = 60.0 * std.minutes
        rim = gpd.GeoSeries([zone_wgs84], crs=4326).to_crs(net.crs).iloc[0].boundary
        edge = np.asarray(shapely.distance(rim, shapely.points(places)), dtype=float)
        eligible = fac["type"].isin(std.facility_types).to_numpy()
        # from the edge on: to a facility beyond the zone, or back to one of the area's
        inner = shapely.distance(rim, shapely.points(_metric(fac.geometry[eligible], net.crs)))
        onward = min(float(np.min(inner, initial=np.inf)),
                     float((beyond_m or {}).get(std.name, 0.0)))
        moved = j.facilities & eligible  # facilities that may join another segment
        lacking = _metric([shapely.Point(x, y) for x, y, t in absent
                           if t in std.facility_types], net.crs)
        others = np.vstack([_metric(fac.geometry[moved], net.crs), lacking])
        covered = minutes <= std.minutes
        nearest = computed.travel.nearest[std.name]
        row = {label: k for k, label in enumerate(fac.index)}
        through_moved = np.array([n >= 0 and bool(moved[row[n]]) for n in nearest], dtype=bool)
        could_reach = ((edge + onward) / j.top_speed <= seconds) | (
            _nearest_m(places, others) / j.top_speed <= seconds)
        uncertain = j.places | (covered & through_moved) | (~covered & could_reach)
        uncertain &= ~np.isnan(minutes)  # places outside the standard's township kinds count not
        out[std.name] = float(pop[uncertain].sum())
    return out
