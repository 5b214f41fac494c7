"""Work that takes longer than a click (site suggestions, exports) run in the background.

One job at a time per session, with its stage, progress and a cancel.

A job is a function taking a :class:`Progress`; it reports stages (``progress.stage(key,
fraction)``) and calls ``progress.check()`` between them, which stops a cancelled job
there (:class:`Cancelled`). Cancelling answers at once: the page is free again, and the
job's result, if its last stage still runs (a solver cannot be stopped in the middle),
is thrown away. Starting a job cancels the one running. :meth:`Jobs.status` is what the
page polls: ``running``, ``done`` (with the result), ``failed`` (with the error as every
request gives it), or ``cancelled``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from geo.errors import GeoError, ServeError

__all__ = ["Cancelled", "Job", "Jobs", "Progress"]

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a job at its next check after it was cancelled."""


@dataclass
class Job:
    """One background job and what the page may know of it."""

    id: int
    kind: str
    started: float = field(default_factory=time.perf_counter)
    state: str = "running"
    stage: str = "start"
    fraction: float = 0.0
    result: dict[str, Any] | None = None
    error: GeoError | None = None
    seconds: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def status(self) -> dict[str, Any]:
        """Return the job's state for the page."""
        out: dict[str, Any] = {
            "kind": "job", "id": self.id, "job": self.kind, "state": self.state,
            "stage": self.stage, "fraction": round(self.fraction, 3),
            "elapsed_s": round(self.seconds if self.seconds is not None
                               else time.perf_counter() - self.started, 3)}
        if self.result is not None:
            out["result"] = self.result
        if self.error is not None:
            out["error"], out["error_kind"] = str(self.error), type(self.error).__name__
        return out


class Progress:
    """What a job reports through (see module docs)."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def stage(self, key: str, fraction: float) -> None:
        """Enter stage ``key`` (a word the page translates), ``fraction`` of the way."""
        self.check()
        self.job.stage, self.job.fraction = key, float(fraction)

    def check(self) -> None:
        """Stop here if the job was cancelled."""
        if self.job.cancel.is_set():
            raise Cancelled

    @property
    def cancelled(self) -> bool:
        """Whether the job was asked to stop."""
        return self.job.cancel.is_set()


class Jobs:
    """The background jobs of one session: the last one is what :meth:`status` tells."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.current: Job | None = None

    def start(self, kind: str, work: Callable[[Progress], dict[str, Any]]) -> dict[str, Any]:
        """Run ``work`` in a thread as job ``kind``; cancels the running one."""
        with self._lock:
            if self.current is not None and self.current.state == "running":
                self._cancel(self.current)
            job = Job(next(self._ids), kind)
            self.current = job
        threading.Thread(target=self._run, args=(job, work), name=f"geo-job-{kind}",
                         daemon=True).start()
        return job.status()

    def _run(self, job: Job, work: Callable[[Progress], dict[str, Any]]) -> None:
        try:
            result = work(Progress(job))
        except Cancelled:
            result = None
        except GeoError as e:
            job.error = e
        except OSError as e:  # the disk, not the workbench
            job.error = ServeError(f"{job.kind} failed: {e}: check that the output folder "
                                   "can be written and the disk has room, then try again")
        except Exception as e:  # a bug: said as one, logged with its traceback
            log.exception("job %s failed", job.kind)
            job.error = ServeError(f"{job.kind} failed ({type(e).__name__}: {e}); this is a "
                                   "bug of the workbench: please report it with the study")
        with self._lock:
            job.seconds = time.perf_counter() - job.started
            if job.cancel.is_set():
                job.state = "cancelled"
            elif job.error is not None:
                job.state = "failed"
            else:
                job.result, job.state, job.fraction = result, "done", 1.0

    @staticmethod
    def _cancel(job: Job) -> None:
        job.cancel.set()
        job.state = "cancelled"
        job.seconds = time.perf_counter() - job.started

    def cancel(self, job_id: int) -> dict[str, Any]:
        """Cancel job ``job_id`` (if it still runs); its status."""
        with self._lock:
            job = self.current
            if job is None or job.id != job_id:
                raise ServeError(f"no job {job_id}: the last job is "
                                 f"{job.id if job else 'none'}")
            if job.state == "running":
                self._cancel(job)
            return job.status()

    def status(self, job_id: int | None = None) -> dict[str, Any]:
        """Return the status of job ``job_id`` (the last one when not given)."""
        with self._lock:
            job = self.current
            if job is None or (job_id is not None and job.id != job_id):
                raise ServeError(f"no job {job_id}: start one first (suggest sites, export)")
            return job.status()

    def wait(self, job_id: int | None = None, timeout_s: float = 600.0) -> dict[str, Any]:
        """Wait for a job to end; its status (tests, benchmarks, scripts)."""
        end = time.monotonic() + timeout_s
        while True:
            st = self.status(job_id)
            if st["state"] != "running" or time.monotonic() > end:
                return st
            time.sleep(0.005)
