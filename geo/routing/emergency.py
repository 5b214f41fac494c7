"""The emergency (120) response model: base -> scene -> hospital, with dispatch delays.

Per demand point (the scene):

* **response time** = min over bases of (dispatch delay of the base + drive base -> scene):
  one nearest search from every base at once, each base's seeds starting at its delay
  (:func:`geo.routing.travel.nearest_facility` with ``offset_s``), so a base that leaves
  later loses to a farther one that leaves at once, exactly;
* **time to definitive care** = response time + minutes on scene + drive scene -> the
  nearest hospital of the given types (a ``to_facility`` search: one-way streets are
  driven the right way).

Emergency vehicles may be faster than the default table on some roads (the Road Traffic
Safety Law, 道路交通安全法 第五十三条, lets an ambulance on an emergency run disregard
speed limits when safe): :func:`emergency_network` divides each segment's seconds by a
factor per road class (1 where none is given). Access legs keep the access speed the
caller passes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from geo._types import FloatArray, IntArray
from geo.errors import MeasureError
from geo.network.graph import Network
from geo.routing.travel import Snap, nearest_facility
from geo.settings import WALK_ONLY_CLASSES, default_speeds

__all__ = ["ResponseTimes", "emergency_network", "response_times"]



def emergency_network(net: Network, speed_factor: Mapping[str, float]) -> Network:
    """Return a copy of ``net`` whose segments of each named road class are ``factor`` times faster.

    Classes the network lacks are allowed (a province table on a county network), but a
    name that is no road class at all (a typo) stops with the known names.
    """
    known = {*default_speeds("drive"), *WALK_ONLY_CLASSES, "connector",
             *map(str, np.unique(net.seg_class))}
    bad = sorted(set(speed_factor) - known)
    if bad:
        raise MeasureError(f"speed_factor names unknown road classes {bad}: use OSM highway "
                           f"classes ({sorted(known)})")
    for cls, f in speed_factor.items():
        if not (isinstance(f, int | float) and math.isfinite(f) and f > 0):
            raise MeasureError(f"speed_factor for {cls!r} must be a number > 0, got {f!r}")
    factor = np.ones(len(net.seg_u))
    for cls, f in speed_factor.items():
        factor[net.seg_class == cls] = float(f)
    return dataclasses.replace(net, seg_fw_s=net.seg_fw_s / factor,
                               seg_bw_s=net.seg_bw_s / factor, _graphs={}, _kernels={})


@dataclass(frozen=True)
class ResponseTimes:
    """Times per demand point (seconds; ``inf`` where nothing is within the limit).

    Attributes
    ----------
    response_s : dispatch delay + base -> scene
    base : the base giving it (index into the bases), -1 for none
    to_hospital_s : scene -> nearest hospital
    hospital : that hospital (index into the hospitals), -1 for none
    care_s : response_s + scene_s + to_hospital_s (time to definitive care)
    scene_s : seconds on scene added to every care time
    """

    response_s: FloatArray
    base: IntArray
    to_hospital_s: FloatArray
    hospital: IntArray
    care_s: FloatArray
    scene_s: float


def response_times(
    net: Network, bases: Snap, demand: Snap, hospitals: Snap, *, access_speed_kmh: float,
    dispatch_s: npt.ArrayLike, scene_s: float = 0.0, max_seconds: float = np.inf,
    direct: bool = True, threads: int | None = None,
) -> ResponseTimes:
    """Return response time and time to definitive care for every demand point.

    Parameters
    ----------
    net : Network
        The network to drive (:func:`emergency_network` for emergency speeds); ``bases``,
        ``demand`` and ``hospitals`` snapped to it.
    dispatch_s : (n_bases,) float array
        Seconds before each base's ambulance leaves (finite, >= 0).
    scene_s : float
        Seconds on scene before leaving for hospital.
    max_seconds : float
        Search limit of each leg (the response leg includes the dispatch delay).
    """
    if not (math.isfinite(scene_s) and scene_s >= 0):
        raise MeasureError(f"scene time must be >= 0 seconds, got {scene_s}")
    delay = np.asarray(dispatch_s, dtype=np.float64).ravel()
    if delay.shape != (len(bases),) or not (np.isfinite(delay).all() and (delay >= 0).all()):
        raise MeasureError(f"dispatch delays must be {len(bases)} numbers >= 0 (one per base)")
    common: dict[str, Any] = {"access_speed_kmh": access_speed_kmh, "direct": direct,
              "max_seconds": max_seconds, "threads": threads}
    resp, base = nearest_facility(net, bases, demand, direction="from_facility",
                                  offset_s=delay, **common)
    back, hosp = nearest_facility(net, hospitals, demand, direction="to_facility", **common)
    return ResponseTimes(resp, base, back, hosp, resp + scene_s + back, float(scene_s))
