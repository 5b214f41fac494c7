"""geo: travel-time coverage of health facilities against planning standards.

The public entry points, imported on first use (``import geo`` stays light)::

    import geo
    computed = geo.run_study("analysis/luzhai.toml")       # compute, write nothing
    geo.write_outputs(computed, "maps/my_run")             # tables, GeoPackage, map, report
    again = geo.load_computed("maps/my_run")               # reload without recomputing

Studies: :func:`load_study`, :func:`run_study`, :class:`ComputedStudy`,
:func:`write_outputs`, :func:`load_computed`. Travel times on GeoDataFrames (any CRS, an
``id`` column; minutes and ids out): :func:`travel_times`, :func:`od_matrix`,
:func:`reach_matrix`, :func:`isochrones`, on a :class:`Network` from
:func:`networks_from_source` (or a study's networks, a road file, road lines, an osmnx
graph). Planning: :func:`site`, :func:`designate`, :func:`compare`, and the array models
:func:`mclp`, :func:`lscp`, :func:`pmedian` on a :class:`SitingProblem`. Errors:
:class:`GeoError` (every error a user can cause subclasses it; it names the parameter).
The subpackages hold the rest, each re-exporting its public names (:mod:`geo.readers`,
:mod:`geo.network`, :mod:`geo.routing` with the array tier of the routing engine,
:mod:`geo.siting`, :mod:`geo.measures`, :mod:`geo.coverage`, :mod:`geo.study`,
:mod:`geo.planning`, :mod:`geo.whatif`, :mod:`geo.outputs`, :mod:`geo.serve`,
:mod:`geo.batch`, :mod:`geo.cli`); ``docs/architecture.md`` maps them.
"""

from importlib.metadata import PackageNotFoundError, version

import lazy_loader

try:
    __version__ = version("geo-access")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: the entry points, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
__all__ = [*__all__, "__version__"]
