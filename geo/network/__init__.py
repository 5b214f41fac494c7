"""Road networks: the :class:`~geo.network.graph.Network` type, builders from line layers
and OpenStreetMap, the ``.npz`` cache, and the study's road source turned into one network
per mode.

:func:`networks_from_source` reads any road source (a cache, an OSM extract, a line layer)
into one :class:`~geo.network.graph.Network` per mode, with
:class:`~geo.network.sources.RoadOptions`; :meth:`~geo.network.graph.Network.to_gdf` and
:meth:`~geo.network.graph.Network.to_networkx` hand a network to geopandas and networkx/osmnx.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
