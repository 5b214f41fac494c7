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

import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from geo import settings
from geo.batch.task import AreaResult, AreaSpec, peak_rss_mb, run_area
from geo.errors import BatchError

__all__ = ["dask_client", "dask_setup", "quiet", "run_tasks", "worker_memory"]

log = logging.getLogger(__name__)


def _connect(scheduler: str) -> Any:
    """A client of the cluster at ``scheduler`` once a worker has joined it."""
    from distributed import Client

    fix = ("start one with `dask scheduler` and workers with `dask worker ADDRESS`, or leave "
           "out --scheduler to run on this machine")
    try:
        client = Client(scheduler, timeout="20s")
    except ValueError as e:  # no port, an unknown scheme (http://)
        raise BatchError(f"--scheduler {scheduler}: not a Dask scheduler address ({e}): give "
                         "one such as tcp://10.0.0.5:8786, as `dask scheduler` prints it"
                         ) from None
    except Exception as e:  # refused, timed out, or something else answering there
        raise BatchError(f"cannot reach the Dask scheduler at {scheduler} ({e}): {fix}"
                         ) from None
    try:
        client.wait_for_workers(1, timeout=settings.BATCH_WORKER_WAIT_S)
    except BaseException as e:
        _close_quietly(client)
        if not isinstance(e, Exception):
            raise
        raise BatchError(f"the Dask scheduler at {scheduler} has no workers (none joined in "
                         f"{settings.BATCH_WORKER_WAIT_S:g} s): start them with `dask worker "
                         f"{scheduler}` on machines that see --out at the same path, or leave "
                         "out --scheduler to run on this machine") from None
    return client


def _close_quietly(client: Any) -> None:
    with contextlib.suppress(Exception):
        client.close(timeout=10)


def quiet() -> None:
    """Silence Dask's and its event loop's loggers in this process: after Ctrl-C they
    report every cancelled task and closing connection as errors with tracebacks, while
    the batch says in one line what was kept."""
    for name in ("distributed", "tornado", "asyncio", "dask"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2, threads_per_worker: int = 1,
                memory_limit: str | float = "auto") -> Iterator[Any]:
    """A ``distributed.Client``: of the cluster at ``scheduler`` (once a worker has joined
    it), or of a new ``LocalCluster`` with ``workers`` processes (closed on exit). On
    Ctrl-C the logs of closing are silenced (:func:`quiet`)."""
    from distributed import Client, LocalCluster

    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # not -v: warnings only
        for name in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # errors of the event loop's own callbacks (Ctrl-C while Dask waits makes one of
        # distributed.utils.sync fail with a NameError): every area's error is reported
        # from its task, so these only ever print tracebacks that mean nothing to a planner
        logging.getLogger("tornado.application").setLevel(logging.CRITICAL)
    if scheduler:
        client = _connect(scheduler)
        try:
            yield client
        except KeyboardInterrupt:
            quiet()
            raise
        finally:
            _close_quietly(client)
        return
    with LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker,
                      processes=True, memory_limit=memory_limit,
                      # any free port on this computer only: None means 8787, and a busy
                      # 8787 (another cluster) printed a warning into the batch's output
                      dashboard_address="127.0.0.1:0",
                      silence_logs=logging.getLogger("distributed").getEffectiveLevel(),
                      preload=[__name__]) as cluster, Client(cluster) as client:
        try:
            yield client
        except KeyboardInterrupt:
            quiet()
            with contextlib.suppress(Exception):  # the workers report each cancelled task
                client.run(quiet)
            raise


def dask_setup(worker: Any) -> None:
    """Dask's preload hook, run in each LocalCluster worker process as it starts: Ctrl-C
    in a terminal reaches the whole process group, and a worker would die printing its
    traceback; the workers ignore it, and ``geo batch`` closes them (SIGTERM) as it stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _message(exc: BaseException | None) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (f"{name}: the worker running it died repeatedly (out of memory?): give the "
                "workers more memory (--memory-limit), or run the area alone with --areas")
    return f"{name}: {exc}"


def run_tasks(client: Any, specs: Sequence[AreaSpec], retries: int,
              progress: Callable[[str], None] | None = None,
              ) -> tuple[dict[str, AreaResult], dict[str, str]]:
    """Run every spec's area; ``(results, errors)`` by area id (see module docs).

    A cluster left without workers for
    :data:`geo.settings.BATCH_WORKER_WAIT_S` stops with a :class:`BatchError` (its tasks
    would wait for ever).
    """
    from distributed import wait

    futures = {client.submit(run_area, s, key=f"geo-area-{s.folder.name}-{s.fingerprint[:16]}",
                             retries=retries, pure=False): s for s in specs}
    results: dict[str, AreaResult] = {}
    errors: dict[str, str] = {}
    pending = set(futures)
    alone_since: float | None = None
    i = 0
    while pending:
        try:
            done, pending = wait(pending, timeout=_POLL_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            alone_since = _check_workers(client, alone_since)
            continue
        alone_since = None
        for fut in done:
            i += 1
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


#: seconds between checks that a cluster still has workers while no area finishes
_POLL_S = 5.0


def _check_workers(client: Any, alone_since: float | None) -> float | None:
    """When the cluster has had no worker since ``alone_since`` for longer than
    :data:`geo.settings.BATCH_WORKER_WAIT_S`, stop; returns when it was first seen alone."""
    if client.scheduler_info(n_workers=-1).get("workers"):
        return None
    now = time.monotonic()
    if alone_since is None:
        return now
    if now - alone_since > settings.BATCH_WORKER_WAIT_S:
        raise BatchError(f"the Dask cluster at {client.scheduler.address} has had no workers for "
                         f"{settings.BATCH_WORKER_WAIT_S:g} s, so its areas cannot run: start "
                         f"workers with `dask worker {client.scheduler.address}`, then run the "
                         "same `geo batch` again (areas already done are skipped)")
    return alone_since


def worker_memory(client: Any) -> dict[str, float]:
    """Peak resident memory (MB) of every worker process, by worker address."""
    return {str(k): float(v) for k, v in client.run(peak_rss_mb).items()}
