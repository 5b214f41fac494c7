"""Incremental what-if recomputation: the engine behind the planner's workbench (geo serve).

:class:`WhatIf` (:mod:`geo.whatif.engine`) keeps, per standard, every demand point's
minutes and nearest facility exactly as a full run computes them, and updates them from
one bounded search per edit; :func:`from_study` builds it from a computed study.
"""

from geo.whatif.baseline import from_study
from geo.whatif.engine import Edit, Facility, Roads, WhatIf
from geo.whatif.nearest import NearestState
from geo.whatif.tally import CoverageTally

__all__ = ["CoverageTally", "Edit", "Facility", "NearestState", "Roads", "WhatIf", "from_study"]
