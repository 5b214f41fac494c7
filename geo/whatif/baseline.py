"""A :class:`~geo.whatif.engine.WhatIf` from a computed study (what a server starts from).

It takes the study's networks, standards, demand points with population and township, facilities in
the study's order, access speeds, ``snap_exclude`` and facility-type table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geo.coverage.groups import group_people
from geo.whatif.engine import Facility, WhatIf

if TYPE_CHECKING:
    from geo.study.run import ComputedStudy

__all__ = ["from_study"]


def from_study(result: ComputedStudy, *, threads: int | None = None) -> WhatIf:
    """Return the what-if state of a computed study (:func:`geo.study.run.run_study`'s result).

    Its baseline equals the study's minutes and nearest facilities (tests); every
    standard the study uses is kept, a "not applicable" one (no eligible facility yet)
    included, so that adding such a facility brings it in.
    """
    study = result.study
    fac, dem = result.facilities.to_crs(4326), result.demand.to_crs(4326)
    facilities = [Facility(str(i), str(t), float(g.x), float(g.y))
                  for i, t, g in zip(fac["id"], fac["type"], fac.geometry, strict=True)]
    modes = {s.mode for s in result.standards}
    return WhatIf(
        {m: result.networks[m] for m in modes}, result.standards,
        np.column_stack([dem.geometry.x.to_numpy(), dem.geometry.y.to_numpy()]),
        dem["population"].to_numpy(dtype=float), dem["township"].to_numpy(dtype=object),
        facilities, access_kmh={m: study.access_kmh(m) for m in modes},
        snap_exclude=study.access.snap_exclude,
        known_types=result.standard_set.facility_types, township_order=result.township_order,
        threads=threads, groups=group_people(dem, list(study.population.groups.values())),
        scopes={n: s.mask(dem["township"].to_numpy(dtype=object))
                for n, s in result.scopes.items()},
    )
