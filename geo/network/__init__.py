"""Road networks: the :class:`~geo.network.graph.Network` type, builders from line layers
and OpenStreetMap, the ``.npz`` cache, and the study's road source turned into one network
per mode."""
