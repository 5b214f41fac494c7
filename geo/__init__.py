"""geo: travel-time coverage of health facilities against planning standards.

The public entry points, imported on first use (``import geo`` stays light)::

    import geo
    computed = geo.run_study("analysis/luzhai.toml")       # compute, write nothing
    geo.write_outputs(computed, "maps/my_run")             # tables, GeoPackage, map, report
    again = geo.load_computed("maps/my_run")               # reload without recomputing

Studies: :func:`load_study`, :func:`run_study`, :class:`ComputedStudy`,
:func:`write_outputs`, :func:`load_computed`. Roads and routing: :func:`networks_from_source`,
:func:`snap_points`, :func:`nearest_facility`, :func:`reach_matrix`, :func:`od_matrix`.
Planning: :func:`site`, :func:`designate`, :func:`compare`, and the array models
:func:`mclp`, :func:`lscp`, :func:`pmedian` on a :class:`SitingProblem`. Errors:
:class:`GeoError` (every error a user can cause subclasses it). The subpackages
(:mod:`geo.network`, :mod:`geo.routing`, :mod:`geo.siting`, :mod:`geo.planning`,
:mod:`geo.outputs`, :mod:`geo.cli`) hold the rest; ``docs/architecture.md`` maps them.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("geo-access")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: public name -> module that defines it
_EXPORTS = {
    "load_study": "geo.study.schema",
    "run_study": "geo.study.run",
    "ComputedStudy": "geo.study.run",
    "write_outputs": "geo.outputs.write",
    "load_computed": "geo.outputs.reload",
    "networks_from_source": "geo.network.sources",
    "snap_points": "geo.routing.travel",
    "nearest_facility": "geo.routing.travel",
    "reach_matrix": "geo.routing.travel",
    "od_matrix": "geo.routing.travel",
    "site": "geo.planning.sites",
    "designate": "geo.planning.sites",
    "compare": "geo.planning.compare",
    "SitingProblem": "geo.siting.models",
    "mclp": "geo.siting.models",
    "lscp": "geo.siting.models",
    "pmedian": "geo.siting.models",
    "GeoError": "geo.errors",
}
__all__ = [
    "ComputedStudy",
    "GeoError",
    "SitingProblem",
    "__version__",
    "compare",
    "designate",
    "load_computed",
    "load_study",
    "lscp",
    "mclp",
    "nearest_facility",
    "networks_from_source",
    "od_matrix",
    "pmedian",
    "reach_matrix",
    "run_study",
    "site",
    "snap_points",
    "write_outputs",
]

if TYPE_CHECKING:
    from geo.errors import GeoError
    from geo.network.sources import networks_from_source
    from geo.outputs.reload import load_computed
    from geo.outputs.write import write_outputs
    from geo.planning.compare import compare
    from geo.planning.sites import designate, site
    from geo.routing.travel import nearest_facility, od_matrix, reach_matrix, snap_points
    from geo.siting.models import SitingProblem, lscp, mclp, pmedian
    from geo.study.run import ComputedStudy, run_study
    from geo.study.schema import load_study


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
