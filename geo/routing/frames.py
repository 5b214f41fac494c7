"""Travel times on GeoDataFrames: the frames tier over the arrays of :mod:`geo.routing.travel`.

As pyogrio's ``read_dataframe`` stands over its raw arrays, these functions take what a
geopandas user has and answer in minutes and ids: places as GeoDataFrames of points in any
coordinate system, each with a unique ``id`` column (as r5py's origins and destinations),
and a road network in any form a user holds one (:func:`as_network`). They snap the
places, run the compiled searches of :mod:`geo.routing.travel` and hand back pandas
frames. Repeated queries on large networks go faster on the array tier (snap once with
:func:`~geo.routing.travel.snap_points`, then call its functions on the ``Snap``).

The model is the study's: travel along the roads at each class's speed, plus a straight
*access leg* at ``access_speed_kmh`` from each place to the nearest point of its nearest
road (not of ``snap_exclude`` classes: nobody joins an expressway between interchanges),
and a straight trip between two places where that is faster. Each answer carries the
length of the demand points' legs (``access_m``): a place far from any road gets its
minutes mostly from that straight line, an approximation the column states.

Every argument is checked on entry; an error names the parameter
(:class:`geo.errors.Arg`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geo import settings
from geo._types import FloatArray, IntArray
from geo.errors import (
    Arg,
    ColumnError,
    CoordinateError,
    DuplicateIdError,
    Hint,
    QueryError,
    given_as,
)
from geo.network.graph import Network
from geo.network.osm import network_from_graph
from geo.network.sources import MODES, networks_from_lines, networks_from_source
from geo.options import closest
from geo.routing import isochrones as _iso
from geo.routing import travel
from geo.routing.travel import DIRECTIONS, Snap

__all__ = ["as_network", "isochrones", "od_matrix", "reach_matrix", "travel_times"]

#: what ``network`` may be, as messages say it
NETWORK_KINDS = ("a geo Network, a dict of them by mode (a study's networks), the path of a "
                 "road source (network cache .npz, OSM extract .osm.pbf/.osm, road line "
                 "layer), a GeoDataFrame of road lines or a networkx graph (osmnx's, or "
                 "Network.to_networkx's)")
_ROWS_SHOWN = 5


# --------------------------------------------------------------------------- arguments


def _mode(mode: object, func: str) -> str:
    if mode not in MODES:
        raise QueryError(Arg(func, "mode", mode), f": not a travel mode"
                         f"{closest(str(mode), MODES)}: use {' or '.join(map(repr, MODES))}")
    return str(mode)


def _direction(direction: object, func: str) -> str:
    if direction not in DIRECTIONS:
        raise QueryError(Arg(func, "direction", direction), f": not a direction"
                         f"{closest(str(direction), DIRECTIONS)}: use "
                         f"{' or '.join(map(repr, DIRECTIONS))}")
    return str(direction)


def _positive(value: object, func: str, name: str, *, optional: bool = False) -> float:
    """A finite number above 0 (``None`` where ``optional``: no limit, ``inf``)."""
    if value is None and optional:
        return math.inf
    if (isinstance(value, bool) or not isinstance(value, int | float | np.number)
            or not math.isfinite(float(value)) or not float(value) > 0):
        limit = " (None: no limit)" if optional else ""
        raise QueryError(Arg(func, name, value), f": give a number above 0{limit}")
    return float(value)


def _speed(access_speed_kmh: float | None, mode: str, func: str) -> float:
    if access_speed_kmh is None:
        return float(settings.ACCESS_SPEED_KMH[mode])
    return _positive(access_speed_kmh, func, "access_speed_kmh")


def _classes(snap_exclude: object, func: str) -> tuple[str, ...]:
    if isinstance(snap_exclude, str) or not isinstance(snap_exclude, Sequence | set | frozenset):
        raise QueryError(Arg(func, "snap_exclude", snap_exclude), ": give a list of road "
                         "classes, e.g. ['motorway'] (or [] to let places join any road)")
    return tuple(str(c) for c in snap_exclude)


def _rows(ids: pd.Series, bad: npt.NDArray[np.bool_]) -> str:
    """The ids of the ``bad`` rows, as a message lists them."""
    shown = [repr(v) for v in ids[bad].tolist()[:_ROWS_SHOWN]]
    more = f" and {int(bad.sum()) - _ROWS_SHOWN} more" if bad.sum() > _ROWS_SHOWN else ""
    return ", ".join(shown) + more


def _points(frame: object, func: str, name: str, *, empty_ok: bool = True) -> gpd.GeoDataFrame:
    """``frame`` checked as places: a GeoDataFrame with a coordinate system, a unique
    ``id`` column and one point per row."""
    arg = Arg(func, name)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise QueryError(Arg(func, name, Hint(type(frame).__name__)), ": give a "
                         "GeoDataFrame of points with an 'id' column")
    if len(frame) == 0 and not empty_ok:
        raise QueryError(arg, ": is empty: give at least one point")
    if frame.crs is None:
        raise CoordinateError(arg, ": has no coordinate system: set it, e.g. "
                              "frame.set_crs(4326) for longitude/latitude in WGS84 (convert "
                              "GCJ-02 and BD-09 positions first: geo.crs.to_wgs84)")
    if "id" not in frame.columns:
        raise ColumnError(arg, f": has no 'id' column{closest('id', map(str, frame.columns))}"
                          ": give every point a unique id, e.g. frame['id'] = "
                          "range(len(frame))")
    ids = frame["id"].reset_index(drop=True)
    missing = ids.isna().to_numpy()
    if missing.any():
        raise ColumnError(arg, f": {int(missing.sum())} rows (positions "
                          f"{np.flatnonzero(missing)[:_ROWS_SHOWN].tolist()}) have no id")
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DuplicateIdError(arg, f": ids must be unique; {_rows(ids, dup)} occur more "
                               "than once")
    geom = frame.geometry.reset_index(drop=True)
    empty = (geom.isna() | geom.is_empty).to_numpy()
    if empty.any():
        raise CoordinateError(arg, f": the points of ids {_rows(ids, empty)} are missing "
                              "or empty")
    kind = geom.geom_type.to_numpy()
    bad = kind != "Point"
    if bad.any():
        raise CoordinateError(arg, f": ids {_rows(ids, bad)} are "
                              f"{', '.join(sorted(set(kind[bad])))}, not points: give points "
                              "(e.g. frame.representative_point() of areas)")
    return frame


def _xy(frame: gpd.GeoDataFrame, net: Network, func: str, name: str) -> FloatArray:
    """The points in the network's metric CRS, checked to be finite there."""
    g = frame.geometry.to_crs(net.crs)
    xy = np.column_stack([g.x.to_numpy(dtype=float), g.y.to_numpy(dtype=float)])
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise CoordinateError(Arg(func, name), f": ids {_rows(frame['id'], bad)} have "
                              f"coordinates that do not convert to the network's system "
                              f"({net.crs.name}): check the frame's crs")
    return xy


def _snap(net: Network, frame: gpd.GeoDataFrame, exclude: tuple[str, ...], func: str,
          name: str) -> Snap:
    with given_as({("snap_points", "exclude_classes"): Arg(func, "snap_exclude")}):
        return travel.snap_points(net, _xy(frame, net, func, name), exclude_classes=exclude)


def _is_graph(obj: object) -> bool:
    """A networkx graph (checked without importing networkx)."""
    return type(obj).__module__.split(".")[0] == "networkx" and hasattr(obj, "edges")


def as_network(network: Any, mode: str = "drive", *, func: str = "as_network") -> Network:
    """The :class:`~geo.network.graph.Network` of ``mode`` that ``network`` stands for.

    Parameters
    ----------
    network : Network, dict, str or os.PathLike, GeoDataFrame or networkx graph
        A :class:`~geo.network.graph.Network` (of ``mode``); a dict of them by mode (a
        computed study's ``networks``, :func:`~geo.network.sources.networks_from_source`'s
        answer); the path of a road source (a network cache ``.npz``, an OSM extract, a
        road line layer: built with the default options on every call, so build it once
        for repeated queries); a GeoDataFrame of road lines with a ``highway`` column (or
        a Chinese class column: :mod:`geo.network.road_classes`); a networkx graph from
        osmnx (OSM tags on its edges, read with geo's rules) or from
        :meth:`Network.to_networkx <geo.network.graph.Network.to_networkx>` (read back
        exactly).
    mode : {"drive", "walk"}
    func : str
        The public function whose ``network`` and ``mode`` parameters these are (named
        in errors).

    Returns
    -------
    Network
    """
    mode = _mode(mode, func)
    arg = Arg(func, "network")
    if isinstance(network, Mapping):
        if mode not in network:
            raise QueryError(arg, f": has no {mode!r} network; it has "
                             f"{', '.join(map(repr, network)) or 'none'}: pass ",
                             Arg(func, "mode", Hint(" or ".join(map(repr, network)))),
                             " or a network of that mode")
        network = network[mode]
    if isinstance(network, Network):
        if network.mode != mode:
            raise QueryError(arg, f": is a {network.mode!r} network, but ",
                             Arg(func, "mode", mode), f" asks for {mode!r}: pass "
                             f"mode={network.mode!r}, or a {mode} network")
        return network
    if isinstance(network, str | os.PathLike):
        with given_as({("networks_from_source", "path"): arg}):
            return networks_from_source(network, [mode])[mode]
    if isinstance(network, gpd.GeoDataFrame):
        with given_as({("networks_from_lines", "roads"): arg}):
            return networks_from_lines(network, [mode])[mode]
    if _is_graph(network):
        return network_from_graph(network, mode=mode)
    raise QueryError(Arg(func, "network", Hint(type(network).__name__)),
                     f": not a road network: give {NETWORK_KINDS}")


# --------------------------------------------------------------------------- queries


def _take(ids: pd.Series, index: IntArray) -> pd.Series:
    """``ids`` at positions ``index``; missing (``NA``) where ``index`` is -1."""
    out = ids.reset_index(drop=True).iloc[np.maximum(index, 0)].reset_index(drop=True)
    if (index < 0).any():
        if pd.api.types.is_integer_dtype(out.dtype):
            out = out.astype("Int64")  # integer ids stay integers beside the missing ones
        out = out.mask(index < 0, pd.NA)
    return out


def travel_times(
    network: Any,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    mode: str = "drive",
    max_minutes: float | None = None,
    direction: str = "to_facility",
    access_speed_kmh: float | None = None,
    snap_exclude: Sequence[str] = settings.SNAP_EXCLUDE,
) -> pd.DataFrame:
    """Minutes between every demand point and its nearest facility, and which one.

    Parameters
    ----------
    network : Network, dict, str or os.PathLike, GeoDataFrame or networkx graph
        The roads (:func:`as_network` says what each form means).
    facilities, demand : geopandas.GeoDataFrame
        Points in any coordinate system, each frame with a unique ``id`` column.
    mode : {"drive", "walk"}
        Travel mode: the network of this mode, and its access speed.
    max_minutes : float, optional
        Stop searching beyond this time: points further from every facility get ``inf``
        minutes and no facility. No limit by default.
    direction : {"to_facility", "from_facility"}
        ``to_facility`` (the default): people travel to the facility; ``from_facility``:
        the facility's staff or ambulance drives out. They differ where roads are one-way.
    access_speed_kmh : float, optional
        Speed of the straight legs between places and roads (default: 25 km/h driving,
        3.5 km/h walking; ``geo.settings.ACCESS_SPEED_KMH``).
    snap_exclude : list of str
        Road classes places never join directly (default: motorways).

    Returns
    -------
    pandas.DataFrame
        One row per demand point, in ``demand``'s order and index: ``id`` (the demand
        point's), ``facility_id`` (the nearest facility's; missing where none is within
        reach), ``minutes`` (``inf`` where none is), ``access_m`` (the straight leg from
        the point to its road, metres: the larger, the more the minutes rest on a
        straight line). Where facilities tie, the first of them in ``facilities``.

    Examples
    --------
    Two roads meeting at a junction, a clinic at the west end and three villages on the
    roads: 10.13 km of provincial road (``primary``, 60 km/h by default) to the junction,
    then a township road (``tertiary``, 35 km/h) 5.54 km north:

    >>> import geopandas as gpd, geo
    >>> from shapely import LineString, Point
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["primary", "tertiary"]},
    ...     geometry=[LineString([(109.70, 24.50), (109.80, 24.50)]),
    ...               LineString([(109.80, 24.50), (109.80, 24.55)])], crs=4326)
    >>> clinics = gpd.GeoDataFrame({"id": ["C1"]}, geometry=[Point(109.70, 24.50)], crs=4326)
    >>> villages = gpd.GeoDataFrame({"id": ["a", "b", "c"]}, crs=4326, geometry=[
    ...     Point(109.75, 24.50), Point(109.80, 24.55), Point(109.80, 24.52)])
    >>> times = geo.travel_times(roads, clinics, villages)
    >>> times[["id", "facility_id"]].values.tolist()
    [['a', 'C1'], ['b', 'C1'], ['c', 'C1']]
    >>> times["minutes"].round(1).tolist()  # 5.07 km at 60; 10.13 at 60 + 5.54 (2.22) at 35
    [5.1, 19.6, 13.9]
    """
    f = "travel_times"
    mode, direction = _mode(mode, f), _direction(direction, f)
    limit = _positive(max_minutes, f, "max_minutes", optional=True) * 60.0
    speed, exclude = _speed(access_speed_kmh, mode, f), _classes(snap_exclude, f)
    fac = _points(facilities, f, "facilities", empty_ok=False)
    dem = _points(demand, f, "demand")
    net = as_network(network, mode, func=f)
    fs, ds = _snap(net, fac, exclude, f, "facilities"), _snap(net, dem, exclude, f, "demand")
    if len(dem):
        secs, nearest = travel.nearest_facility(net, fs, ds, access_speed_kmh=speed,
                                                direction=direction, max_seconds=limit)
    else:
        secs, nearest = np.zeros(0), np.zeros(0, dtype=np.int64)
    return pd.DataFrame({
        "id": dem["id"].to_numpy(),
        "facility_id": _take(fac["id"], nearest).to_numpy(),
        "minutes": secs / 60.0,
        "access_m": ds.access_m,
    }, index=dem.index)


def od_matrix(
    network: Any,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    mode: str = "drive",
    max_minutes: float | None = None,
    access_speed_kmh: float | None = None,
    snap_exclude: Sequence[str] = settings.SNAP_EXCLUDE,
) -> pd.DataFrame:
    """Minutes from every origin to every destination, as a matrix.

    Parameters
    ----------
    network : Network, dict, str or os.PathLike, GeoDataFrame or networkx graph
        The roads (:func:`as_network`).
    origins, destinations : geopandas.GeoDataFrame
        Points in any coordinate system, each frame with a unique ``id`` column.
    mode : {"drive", "walk"}
    max_minutes : float, optional
        Stop each search beyond this time (pairs further apart get ``inf``).
    access_speed_kmh : float, optional
        Speed of the straight legs (default by mode, as :func:`travel_times`).
    snap_exclude : list of str
        Road classes places never join directly.

    Returns
    -------
    pandas.DataFrame
        Minutes (``inf``: not reachable), indexed by the origins' ids (``from_id``) with a
        column per destination id (``to_id``). Memory grows as origins x destinations;
        for many pairs within a limit use :func:`reach_matrix`.

    Examples
    --------
    >>> import geopandas as gpd, geo
    >>> from shapely import LineString, Point
    >>> road = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326,
    ...                         geometry=[LineString([(109.70, 24.50), (109.80, 24.50)])])
    >>> towns = gpd.GeoDataFrame({"id": ["W", "E"]}, crs=4326,
    ...                          geometry=[Point(109.70, 24.50), Point(109.80, 24.50)])
    >>> geo.od_matrix(road, towns, towns).round(1)  # 10.13 km at 60 km/h
    to_id      W     E
    from_id
    W        0.0  10.1
    E       10.1   0.0
    """
    f = "od_matrix"
    mode = _mode(mode, f)
    limit = _positive(max_minutes, f, "max_minutes", optional=True) * 60.0
    speed, exclude = _speed(access_speed_kmh, mode, f), _classes(snap_exclude, f)
    org = _points(origins, f, "origins")
    dst = _points(destinations, f, "destinations")
    net = as_network(network, mode, func=f)
    secs = travel.od_matrix(net, _snap(net, org, exclude, f, "origins"),
                            _snap(net, dst, exclude, f, "destinations"),
                            access_speed_kmh=speed, max_seconds=limit)
    return pd.DataFrame(secs / 60.0, index=pd.Index(org["id"].to_numpy(), name="from_id"),
                        columns=pd.Index(dst["id"].to_numpy(), name="to_id"))


def reach_matrix(
    network: Any,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    max_minutes: float,
    mode: str = "drive",
    direction: str = "to_facility",
    access_speed_kmh: float | None = None,
    snap_exclude: Sequence[str] = settings.SNAP_EXCLUDE,
) -> pd.DataFrame:
    """Every facility–demand pair within ``max_minutes``, with its minutes.

    Parameters
    ----------
    network : Network, dict, str or os.PathLike, GeoDataFrame or networkx graph
        The roads (:func:`as_network`).
    facilities, demand : geopandas.GeoDataFrame
        Points in any coordinate system, each frame with a unique ``id`` column.
    max_minutes : float
        The threshold: pairs further apart are left out.
    mode : {"drive", "walk"}
    direction : {"to_facility", "from_facility"}
        As in :func:`travel_times`.
    access_speed_kmh : float, optional
        Speed of the straight legs (default by mode).
    snap_exclude : list of str
        Road classes places never join directly.

    Returns
    -------
    pandas.DataFrame
        One row per pair within reach: ``facility_id``, ``id`` (the demand point's),
        ``minutes``; facility after facility (in ``facilities``' order), each facility's
        demand points in ``demand``'s order. Pivot it for a matrix
        (``.pivot(index="facility_id", columns="id", values="minutes")``).

    Examples
    --------
    >>> import geopandas as gpd, geo
    >>> from shapely import LineString, Point
    >>> road = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326,
    ...                         geometry=[LineString([(109.70, 24.50), (109.80, 24.50)])])
    >>> clinics = gpd.GeoDataFrame({"id": ["C1"]}, geometry=[Point(109.70, 24.50)], crs=4326)
    >>> villages = gpd.GeoDataFrame({"id": [1, 2]}, crs=4326,
    ...                             geometry=[Point(109.72, 24.50), Point(109.79, 24.50)])
    >>> geo.reach_matrix(road, clinics, villages, max_minutes=5).round(2)  # 2.03 km; 9.12 km
      facility_id  id  minutes
    0          C1   1     2.03
    """
    f = "reach_matrix"
    mode, direction = _mode(mode, f), _direction(direction, f)
    limit = _positive(max_minutes, f, "max_minutes") * 60.0
    speed, exclude = _speed(access_speed_kmh, mode, f), _classes(snap_exclude, f)
    fac = _points(facilities, f, "facilities")
    dem = _points(demand, f, "demand")
    net = as_network(network, mode, func=f)
    m = travel.reach_matrix(net, _snap(net, fac, exclude, f, "facilities"),
                            _snap(net, dem, exclude, f, "demand"), access_speed_kmh=speed,
                            max_seconds=limit, direction=direction).tocsr()
    m.sort_indices()
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return pd.DataFrame({
        "facility_id": fac["id"].to_numpy()[rows],
        "id": dem["id"].to_numpy()[m.indices],
        "minutes": m.data / 60.0,
    })


def isochrones(
    network: Any,
    facilities: gpd.GeoDataFrame,
    minutes: float | Sequence[float],
    *,
    mode: str = "drive",
    direction: str = "to_facility",
    max_leg_m: float | None = None,
    simplify_m: float = 10.0,
    access_speed_kmh: float | None = None,
    snap_exclude: Sequence[str] = settings.SNAP_EXCLUDE,
) -> gpd.GeoDataFrame:
    """The area within each threshold of every facility, as polygons.

    The places reached along the roads within the time, plus a straight leg at the access
    speed from anywhere on the road pieces reached (:mod:`geo.routing.isochrones`: an
    approximation of the demand points' own times, stated in the ``method`` column).

    Parameters
    ----------
    network : Network, dict, str or os.PathLike, GeoDataFrame or networkx graph
        The roads (:func:`as_network`).
    facilities : geopandas.GeoDataFrame
        Points in any coordinate system with a unique ``id`` column; every column is
        carried to the polygons.
    minutes : float or list of float
        Thresholds, e.g. ``[15, 30, 60]``.
    mode : {"drive", "walk"}
    direction : {"to_facility", "from_facility"}
        As in :func:`travel_times`.
    max_leg_m : float, optional
        Longest straight leg drawn, metres (no cap by default, as the travel times).
    simplify_m : float
        Tolerance of the outline's simplification, metres (0: none).
    access_speed_kmh : float, optional
        Speed of the straight legs (default by mode).
    snap_exclude : list of str
        Road classes facilities never join directly.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per facility and threshold (facility after facility, thresholds rising):
        the facility's columns, ``minutes``, ``method``, and the polygon in WGS84.

    Examples
    --------
    >>> import geopandas as gpd, geo
    >>> from shapely import LineString, Point
    >>> road = gpd.GeoDataFrame({"highway": ["primary"]}, crs=4326,
    ...                         geometry=[LineString([(109.70, 24.50), (109.80, 24.50)])])
    >>> clinics = gpd.GeoDataFrame({"id": ["C1"], "name": ["卫生院"]}, crs=4326,
    ...                            geometry=[Point(109.75, 24.50)])
    >>> iso = geo.isochrones(road, clinics, [2, 5])
    >>> iso[["id", "name", "minutes"]].values.tolist()
    [['C1', '卫生院', 2.0], ['C1', '卫生院', 5.0]]
    >>> (iso.to_crs(32649).area / 1e6).round(1).tolist()  # km²
    [3.6, 22.6]
    """
    f = "isochrones"
    mode, direction = _mode(mode, f), _direction(direction, f)
    if isinstance(minutes, int | float | np.number):
        minutes = [minutes]
    if isinstance(minutes, str) or not isinstance(minutes, Sequence) or len(minutes) == 0:
        raise QueryError(Arg(f, "minutes", minutes), ": give one or more thresholds in "
                         "minutes, e.g. [15, 30, 60]")
    thresholds = [_positive(m, f, "minutes") for m in minutes]
    leg = None if max_leg_m is None else _positive(max_leg_m, f, "max_leg_m")
    if not (isinstance(simplify_m, int | float) and math.isfinite(simplify_m)
            and simplify_m >= 0):
        raise QueryError(Arg(f, "simplify_m", simplify_m), ": give metres, 0 or more")
    speed, exclude = _speed(access_speed_kmh, mode, f), _classes(snap_exclude, f)
    fac = _points(facilities, f, "facilities", empty_ok=False)
    net = as_network(network, mode, func=f)
    iso = _iso.isochrones(net, _snap(net, fac, exclude, f, "facilities"), thresholds,
                          access_speed_kmh=speed, direction=direction, max_leg_m=leg,
                          simplify_m=float(simplify_m))
    attrs = pd.DataFrame(fac.drop(columns=fac.geometry.name)).reset_index(drop=True)
    rows = attrs.iloc[iso["facility"].to_numpy()].reset_index(drop=True)
    out = pd.concat([rows, iso.drop(columns="facility").reset_index(drop=True)], axis=1)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=iso.crs)

