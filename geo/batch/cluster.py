"""Running the areas' tasks on Dask's distributed scheduler.

:func:`dask_client` connects to an existing cluster (``--scheduler ADDRESS``, started with
``dask scheduler`` and ``dask worker`` on any number of machines) or starts a
``LocalCluster`` of worker *processes* on this machine. :func:`run_tasks` submits one task
per area (:func:`geo.batch.task.run_area`, with Dask's ``retries``), collects each as it
completes and returns the results and, for every area that still failed, its error: no
area is left out silently. Tasks get only small specs (paths and a few KB of the area's
inputs); the region's network stays on disk, where each task reads its own tiles.
:func:`worker_memory` reads every worker's peak resident memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from geo.batch.task import AreaResult, AreaSpec, peak_rss_mb, run_area
from geo.errors import BatchError

__all__ = ["dask_client", "run_tasks", "worker_memory"]

log = logging.getLogger(__name__)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2, threads_per_worker: int = 1,
                memory_limit: str | float = "auto") -> Iterator[Any]:
    """Open a ``distributed.Client``.

    It is a client of the cluster at ``scheduler``, or of a new ``LocalCluster`` with ``workers``
    processes (closed on exit).
    """
    from distributed import Client, LocalCluster

    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # not -v: warnings only
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.WARNING)
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise BatchError(
                f"cannot reach the Dask scheduler at {scheduler} ({e}): start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, or leave out "
                "--scheduler to run on this machine") from e
        try:
            yield client
        finally:
            client.close()
        return
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                      processes=True, memory_limit=memory_limit, dashboard_address=None,
                      silence_logs=logging.getLogger("distributed").getEffectiveLevel()
                      ) as cluster, Client(cluster) as client:
        yield client


def _message(exc: BaseException | None) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (f"{name}: the worker running it died repeatedly (out of memory?): give the "
                "workers more memory (--memory-limit), or run the area alone with --areas")
    return f"{name}: {exc}"


def run_tasks(client: Any, specs: Sequence[AreaSpec], retries: int,
              progress: Callable[[str], None] | None = None
              ) -> tuple[dict[str, AreaResult], dict[str, str]]:
    """Run every spec's area; ``(results, errors)`` by area id (see module docs)."""
    from distributed import as_completed

    futures = {client.submit(run_area, s, key=f"geo-area-{s.folder.name}-{s.fingerprint[:16]}",
                             retries=retries, pure=False): s for s in specs}
    results: dict[str, AreaResult] = {}
    errors: dict[str, str] = {}
    for i, fut in enumerate(as_completed(list(futures)), start=1):
        spec = futures[fut]
        if fut.status == "error":
            errors[spec.area_id] = _message(fut.exception())
            log.warning("area %s failed: %s", spec.area_id, errors[spec.area_id])
            what = f"failed ({errors[spec.area_id]})"
        else:
            results[spec.area_id] = fut.result()
            what = f"done in {results[spec.area_id].seconds:.1f} s"
        if progress:
            progress(f"[{i}/{len(specs)}] {spec.area_name} ({spec.area_id}) {what}")
        fut.release()
    return results, errors


def worker_memory(client: Any) -> dict[str, float]:
    """Return peak resident memory (MB) of every worker process, by worker address."""
    return {str(k): float(v) for k, v in client.run(peak_rss_mb).items()}
