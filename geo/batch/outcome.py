"""What a batch run did, as the combined outputs and the command line report it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.batch.config import Batch
from geo.batch.task import AreaResult

__all__ = ["BatchRun"]


@dataclass
class BatchRun:
    """What a batch run did: every area done (run now or skipped) or failed, with why."""

    batch: Batch
    out: Path
    areas: gpd.GeoDataFrame
    done: dict[str, AreaResult] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: areas not done and not selected (``--areas``): no results, said in every output
    left_out: list[str] = field(default_factory=list)
    workers: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    #: wall seconds of each phase: read inputs, network, plan areas, tasks, combine
    phases: dict[str, float] = field(default_factory=dict)
    network: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    #: the region's facilities as read, ``home`` the row of their area (-1: none)
    facilities: gpd.GeoDataFrame | None = None

    @property
    def ran(self) -> list[str]:
        """The areas that were computed in this run (done and not skipped)."""
        return [i for i in self.done if i not in set(self.skipped)]
