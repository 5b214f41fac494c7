"""One area of a batch, run as one Dask task: exactly what ``geo run`` does for its study.

:func:`run_area` takes an :class:`AreaSpec` (small: the area's input files as bytes, its
study file text, where the partitioned network is) and, on whatever worker runs it:

1. removes the area's ``done.json`` (the folder never claims a result it does not hold),
2. writes the input files and cuts the area's roads from the partitioned network
   (:func:`geo.batch.partition.cut_networks`) into ``inputs/roads.npz``,
3. writes ``study.toml`` and runs it with :func:`geo.study.run.run_study`, then
   :func:`geo.outputs.write.write_outputs` into ``out/`` (all or nothing), exactly the code
   of ``geo run``, so ``geo run AREA/study.toml --out X`` gives the same outputs,
4. measures how far the buffer could matter (:func:`geo.batch.buffer.buffer_check`) and
   writes ``done.json``
   with the inputs' fingerprint, the timings and the worker's peak memory.

Every attempt is logged to ``attempts.log`` in the area's folder (a retry adds a line).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely import wkb

from geo._atomic import atomic_path
from geo.batch.buffer import Absent, buffer_check
from geo.batch.partition import cut_networks
from geo.errors import BatchError
from geo.network.cache import save_networks
from geo.network.graph import Network
from geo.outputs.write import write_outputs
from geo.study.run import ComputedStudy, run_study

__all__ = ["AreaResult", "AreaSpec", "peak_rss_mb", "read_done", "run_area"]

DONE = "done.json"
ATTEMPTS = "attempts.log"


@dataclass(frozen=True)
class AreaSpec:
    """Everything a worker needs for one area (no region-wide data)."""

    area_id: str
    area_name: str
    folder: Path
    zone_wkb: bytes
    study_text: str
    files: dict[str, bytes]
    network: Path
    modes: tuple[str, ...]
    min_component_share: float
    buffer_km: float
    outputs: tuple[str, ...]
    fingerprint: str
    #: the region's facilities in the zone the area is not given (lon, lat, type), for
    #: the buffer check
    absent: tuple[Absent, ...] = ()
    #: per standard, metres from the zone to the nearest facility of the region beyond it
    beyond_m: dict[str, float] = field(default_factory=dict)


@dataclass
class AreaResult:
    """What one area's task reports back (and keeps in ``done.json``)."""

    area_id: str
    area_name: str
    fingerprint: str
    seconds: float
    worker: str
    peak_rss_mb: float
    timings: dict[str, float] = field(default_factory=dict)
    nodes: dict[str, int] = field(default_factory=dict)
    facilities_inside: int = 0
    facilities_outside: int = 0
    townships: int = 0
    population: float = 0.0
    #: standard -> people whose coverage could differ in the whole region's study
    #: (geo.batch.buffer)
    buffer_uncertain: dict[str, float] = field(default_factory=dict)
    finished: str = ""
    skipped: bool = False


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB): ``VmHWM`` on Linux (the
    process's own; ``ru_maxrss`` would carry the parent's peak into a spawned worker),
    else ``ru_maxrss``, or the peak working set on Windows."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(kb) / (1024.0 if sys.platform != "darwin" else 1024.0 * 1024.0)
    except ImportError:  # Windows: the peak working set
        import psutil

        return float(getattr(psutil.Process().memory_info(), "peak_wset", 0)) / 2**20


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def _log_attempt(folder: Path, what: str) -> None:
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    with (folder / ATTEMPTS).open("a", encoding="utf-8") as fh:
        fh.write(f"{stamp}\t{_worker_name()}\t{what}\n")


def _write(path: Path, data: bytes) -> None:
    with atomic_path(path, path.suffix) as tmp:
        tmp.write_bytes(data)


def _result(spec: AreaSpec, computed: ComputedStudy, nets: dict[str, Network], zone: Any,
            seconds: float) -> AreaResult:
    fac = computed.facilities
    outside = fac["outside_area"].astype(str).str.lower().eq("true") \
        if "outside_area" in fac.columns else fac["id"].map(lambda _: False)
    return AreaResult(
        area_id=spec.area_id, area_name=spec.area_name, fingerprint=spec.fingerprint,
        seconds=seconds, worker=_worker_name(), peak_rss_mb=peak_rss_mb(),
        timings=dict(computed.timings), nodes={m: n.n_nodes for m, n in nets.items()},
        facilities_inside=int((~outside).sum()), facilities_outside=int(outside.sum()),
        townships=len(computed.townships), population=float(computed.population.sum()),
        buffer_uncertain=buffer_check(computed, zone, nets, spec.network, spec.absent,
                                      spec.beyond_m),
        finished=dt.datetime.now().isoformat(timespec="seconds"),
    )


def run_area(spec: AreaSpec) -> AreaResult:
    """Run one area (see module docs); raises what the study raises (the task fails)."""
    t0 = time.perf_counter()
    folder = spec.folder
    if not (spec.network / "meta.json").is_file():
        raise BatchError(
            f"worker {_worker_name()} does not see the batch folder ({spec.network} is "
            "missing): give --out a folder on a file system that every worker sees at the "
            "same path (NFS, a cluster's shared disk)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DONE).unlink(missing_ok=True)
    _log_attempt(folder, "start")
    try:
        for name, data in spec.files.items():
            _write(folder / "inputs" / name, data)
        zone = wkb.loads(spec.zone_wkb)
        nets = cut_networks(spec.network, zone, spec.modes,
                            min_component_share=spec.min_component_share,
                            buffer_km=spec.buffer_km, area_name=spec.area_name)
        save_networks(folder / "inputs" / "roads.npz", nets,
                      {"cut_from": os.fspath(spec.network), "buffer_km": spec.buffer_km})
        _write(folder / "study.toml", spec.study_text.encode("utf-8"))
        computed = run_study(folder / "study.toml")
        write_outputs(computed, folder / "out", parts=spec.outputs)
        result = _result(spec, computed, nets, zone, time.perf_counter() - t0)
        _write(folder / DONE, json.dumps(dataclasses.asdict(result), ensure_ascii=False,
                                         indent=1).encode("utf-8"))
    except BaseException as e:
        _log_attempt(folder, f"failed: {type(e).__name__}: {e}")
        raise
    _log_attempt(folder, f"done in {result.seconds:.1f} s")
    return result


def read_done(folder: Path) -> AreaResult | None:
    """The ``done.json`` of an area folder, or None."""
    p = folder / DONE
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return AreaResult(**data)
    except (ValueError, TypeError):
        return None
