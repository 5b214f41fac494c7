"""Shortest paths on road networks: compiled kernels, arrays, and frames over them.

Three tiers, as in pyogrio: the compiled Dijkstra kernels (``_dijkstra``); the array
functions of :mod:`geo.routing.travel` on places snapped to a network (:class:`Snap`,
seconds, positions: :func:`snap_points`, :func:`nearest_facility`, :func:`reach_matrix`,
:func:`od_matrix`, the node-level :func:`node_nearest` and :func:`node_reach`); and the
frames tier of :mod:`geo.routing.frames` on GeoDataFrames with ids and minutes
(:func:`travel_times`, :func:`as_network`; ``geo.od_matrix``, ``geo.reach_matrix`` and
``geo.isochrones`` are its versions of those). :mod:`geo.routing.isochrones` draws
isochrone polygons, :mod:`geo.routing.emergency` holds the 120 response model.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
