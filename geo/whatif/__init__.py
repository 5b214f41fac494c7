"""Incremental what-if recomputation: the engine behind the planner's workbench.

:class:`WhatIf` (:mod:`geo.whatif.workbench`) keeps, per standard, every demand point's
minutes and nearest facility exactly as a full run computes them, and updates them from
one bounded search per edit; :func:`from_study` builds it from a computed study.
"""

from geo.whatif.nearest import NearestState
from geo.whatif.study import from_study
from geo.whatif.tally import CoverageTally
from geo.whatif.workbench import Edit, Facility, WhatIf

__all__ = ["CoverageTally", "Edit", "Facility", "NearestState", "WhatIf", "from_study"]
