"""Facility tiers and the drive time from each facility to the nearest other of its tier.

A *tier* is the level of the Chinese three-tier rural health system a facility belongs to
(县、乡、村 — county, township, village), plus urban community health services. Each
type's tier is set in ``analysis/facility_types.toml`` (:mod:`geo.readers.facility_types`):

=============  ===================================================================
``county``     county-level hospitals and centres: general, TCM, maternal and child
               health, CDC, private hospitals, emergency rescue centres, 120 stations
``township``   township health centres, central or not (乡镇卫生院、中心卫生院), and
               central ones upgraded to grade-2 hospitals (二级医院)
``community``  community health service centres and stations (社区卫生服务中心/站)
``village``    village clinics (村卫生室)
=============  ===================================================================

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

from geo import settings
from geo.errors import QueryError
from geo.network.graph import Network
from geo.readers.facility_types import load_types
from geo.routing.peers import nearest_other
from geo.routing.travel import Snap, snap_points

__all__ = ["nearest_peer", "tier_of"]

log = logging.getLogger(__name__)


def tier_of(facility_type: str) -> str:
    """Return the tier of a facility type code; ``other`` if unknown.

    The tiers are those of ``analysis/facility_types.toml``.
    """
    return load_types().tier_of(facility_type)


def _subset(snap: Snap, idx: np.ndarray) -> Snap:
    return Snap(snap.xy[idx], snap.seg[idx], snap.t[idx], snap.access_m[idx])


def nearest_peer(
    net: Network,
    facilities: gpd.GeoDataFrame,
    *,
    access_speed_kmh: float,
    exclude_classes: tuple[str, ...] = settings.SNAP_EXCLUDE,
    snap: Snap | None = None,
) -> pd.DataFrame:
    """Return tier, and minutes and id of the nearest other facility of the same tier.

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
    snap : Snap, optional
        The facilities already joined to ``net`` with ``exclude_classes`` (a study joins
        them once for this and its measures); by default they are joined here.

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
    if snap is None:
        g = facilities.geometry.to_crs(net.crs)
        snap = snap_points(net, np.column_stack([g.x, g.y]), exclude_classes=exclude_classes)
    elif len(snap) != len(facilities):
        raise QueryError(f"{len(snap)} joins given for {len(facilities)} facilities")
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
