"""Batch studies: one study per area (every county of a city, a province, a country) as
Dask tasks, and their combined outputs. See :mod:`geo.batch.run` (``geo batch``)."""

from geo.batch.config import Batch, BatchSection, load_batch
from geo.batch.outcome import BatchRun
from geo.batch.run import run_batch

__all__ = ["Batch", "BatchRun", "BatchSection", "load_batch", "run_batch"]
