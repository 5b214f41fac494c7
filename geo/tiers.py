"""Facility tiers and the drive time from each facility to the nearest other of its tier.

A *tier* is the level of the Chinese three-tier rural health system a facility belongs to
(县、乡、村 — county, township, village), plus urban community health services:

============  ===================================================================
``county``    county-level hospitals and centres: general, TCM, maternal and child
              health, CDC, private hospitals, emergency rescue centres, 120 stations
``township``  township health centres, central or not (乡镇卫生院、中心卫生院)
``community`` community health service centres and stations (社区卫生服务中心/站)
``village``   village clinics (村卫生室)
============  ===================================================================

The map popup gives, per facility, the minutes *by road* to the nearest other facility of
the same tier (a referral or backup partner): times come from
:func:`geo.routing.peers.nearest_other` on the drive network, from the facility out, with
the same access legs as the study: one search per tier, not one per facility.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.network.graph import Network
from geo.routing.peers import nearest_other
from geo.routing.travel import Snap, snap_points

__all__ = ["TIERS", "nearest_peer", "tier_of"]

log = logging.getLogger(__name__)

TIERS: dict[str, str] = {
    "county_general_hospital": "county",
    "county_tcm_hospital": "county",
    "county_mch_hospital": "county",
    "county_cdc": "county",
    "private_hospital": "county",
    "emergency_rescue_center": "county",
    "ems_station": "county",
    "central_township_health_center": "township",
    "township_health_center": "township",
    "community_health_service_center": "community",
    "community_health_service_station": "community",
    "village_clinic": "village",
}


def tier_of(facility_type: str) -> str:
    """The tier of a facility type; ``other`` for types not in :data:`TIERS`."""
    return TIERS.get(facility_type, "other")


def _subset(snap: Snap, idx: np.ndarray) -> Snap:
    return Snap(snap.xy[idx], snap.seg[idx], snap.t[idx], snap.access_m[idx])


def nearest_peer(
    net: Network,
    facilities: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float,
    exclude_classes: tuple[str, ...] = ("motorway",),
) -> pd.DataFrame:
    """Tier, and minutes and id of the nearest other facility of the same tier.

    Parameters
    ----------
    net : Network
        The drive network.
    facilities : geopandas.GeoDataFrame
        Points with ``id`` and ``type``.
    access_speed_kmh : float
        Speed of the straight access legs (the study's drive access speed).
    exclude_classes : tuple of str
        Road classes places never join (as in the study).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``facilities``: ``tier``, ``peer_minutes`` (NaN when the facility is
        alone in its tier) and ``peer_id`` (empty then). Facilities at one position are
        each other's peers at 0 minutes.
    """
    tiers = facilities["type"].astype(str).map(tier_of)
    minutes = np.full(len(facilities), np.nan)
    peers = np.full(len(facilities), "", dtype=object)
    g = facilities.geometry.to_crs(net.crs)
    snap = snap_points(net, np.column_stack([g.x, g.y]), exclude_classes=exclude_classes)
    ids = facilities["id"].astype(str).to_numpy()
    groups = [np.flatnonzero(tiers.to_numpy() == tier) for tier in sorted(set(tiers))]
    net.graph("forward")  # built once here, not by every thread

    def search(members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nearest_other(net, _subset(snap, members), access_speed_kmh=access_speed_kmh,
                             direction="from_facility")

    # the compiled searches release the GIL: the tiers run side by side
    with ThreadPoolExecutor(max(1, min(len(groups), os.cpu_count() or 1))) as pool:
        answers = list(pool.map(search, groups))
    for members, (secs, near) in zip(groups, answers, strict=True):
        found = np.isfinite(secs)
        minutes[members[found]] = np.round(secs[found] / 60.0, 1)
        peers[members[found]] = ids[members[near[found]]]
    log.debug("nearest peers of %d facilities in %d tiers", len(minutes), tiers.nunique())
    return pd.DataFrame(
        {"tier": tiers, "peer_minutes": minutes, "peer_id": peers}, index=facilities.index
    )
