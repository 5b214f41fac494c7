"""Batch studies: one study per area as Dask tasks, and their combined outputs.

An area is every county of a city, a province, a country. See :mod:`geo.batch.run` (``geo batch``).
"""

from geo.batch.config import Batch, BatchSection, load_batch
from geo.batch.outcome import BatchRun
from geo.batch.run import run_batch

__all__ = ["Batch", "BatchRun", "BatchSection", "load_batch", "run_batch"]
