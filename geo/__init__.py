"""geo: travel-time coverage of health facilities against planning standards.

The library behind the ``geo`` command. Modules, one per concept: :mod:`geo.io`
(readers), :mod:`geo.crs` (GCJ-02/BD-09), :mod:`geo.network` (roads to arrays),
:mod:`geo.travel` (shortest paths with access legs), :mod:`geo.population`,
:mod:`geo.townships`, :mod:`geo.standards`, :mod:`geo.coverage`, :mod:`geo.maps`,
:mod:`geo.study` (runs a study file) and :mod:`geo.cli`.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
