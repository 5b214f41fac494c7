"""Shortest paths on road networks: the compiled Dijkstra kernels (``_dijkstra``), travel
times with access legs (:mod:`geo.routing.travel`) and isochrones."""
