"""``geo batch``: one study per area of a city, a province or a country, on Dask.

:func:`run_batch` reads the batch file and its template (:mod:`geo.batch.config`), the
areas and the region's inputs (:mod:`geo.batch.areas`), builds or reuses the region's
partitioned network (:mod:`geo.batch.partition`), plans every area (:mod:`geo.batch.plan`),
skips the areas whose ``done.json`` holds the same fingerprint, runs the others as Dask
tasks (:mod:`geo.batch.cluster`, :mod:`geo.batch.task`) and writes the combined outputs
(:mod:`geo.batch.combine`). Output folder::

    OUT/network/            the region's partitioned network (reused while unchanged)
    OUT/areas/ID/           study.toml, inputs/, out/ (what `geo run` writes), done.json,
                            attempts.log
    OUT/townships.csv ...   the combined outputs (all or nothing)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geo._files import real_path, refuse_inputs
from geo.batch import combine
from geo.batch.areas import buffer_zones, read_areas, region_inputs
from geo.batch.cluster import dask_client, run_tasks, worker_memory
from geo.batch.config import Batch, load_batch
from geo.batch.outcome import BatchRun
from geo.batch.partition import prepare_network
from geo.batch.plan import plan_area, shared_inputs
from geo.batch.task import AreaResult, AreaSpec, read_done
from geo.outputs.folder import output_lock
from geo.study import inputs

__all__ = ["BATCH_FOLDERS", "BatchRun", "run_batch"]


def _is_done(spec: AreaSpec) -> AreaResult | None:
    """The stored result of an area whose inputs are unchanged and outputs complete."""
    prior = read_done(spec.folder)
    if prior is None or prior.fingerprint != spec.fingerprint:
        return None
    if not all((spec.folder / "out" / name).exists() for name in spec.outputs):
        return None
    prior.skipped = True
    return prior


def _homeless(run: BatchRun, region: Any) -> None:
    """State the points that lie in no area (they serve no area as their own)."""
    for what, frame in (("facilities", region.facilities), ("township seats", region.seats),
                        ("township polygons", region.polygons),
                        ("population points", region.points)):
        if frame is not None and (lost := frame[frame["home"] < 0]).shape[0]:
            label = lost["id"] if "id" in lost else lost.get("township", lost.index)
            names = ", ".join(map(str, list(label)[:10]))
            more = f" and {len(lost) - 10} more" if len(lost) > 10 else ""
            run.notes.append(f"{len(lost)} {what} lie in no area of the areas layer (more "
                             f"than 1 km outside every area): {names}{more}")


def _interrupted(finished: int, todo: int, before: int, out: Path) -> str:
    """What an interrupted batch kept, in words (after 'interrupted: ')."""
    combined = (f"the combined outputs were not written ({out} holds its earlier ones, if "
                "any)")
    if not finished and not before:
        return (f"no area had finished; {combined}. Run the same `geo batch` again to start "
                "over")
    done_before = f", with the {before} done before" if before else ""
    return (f"{finished} of the {todo} areas to run had finished: kept in {out / 'areas'}"
            f"{done_before}; {combined}. Run the same `geo batch` again to go on: the areas "
            "done are skipped")


#: what a batch writes into its folder besides the combined outputs
BATCH_FOLDERS = ("network", "areas")


def run_batch(path: str | Path, out: str | Path, *, scheduler: str | None = None,
              workers: int = 2, threads_per_worker: int = 1, memory_limit: str = "auto",
              only: list[str] | None = None,
              progress: Callable[[str], None] | None = None) -> BatchRun:
    """Run a batch file into ``out`` (see module docs); failed areas are in ``.failed``.

    Holds the folder's lock for the whole run; stops before writing anything when an
    output would replace an input. Ctrl-C (or SIGTERM) while the areas run leaves the
    finished ones in ``out/areas`` for the next run and says so (a note on the
    ``KeyboardInterrupt``, which :func:`geo.cli.main.main` prints).
    """
    batch = load_batch(path)
    out = real_path(out)
    refuse_inputs([out / n for n in (*combine.COMBINED_FILES, *BATCH_FOLDERS)],
                  batch.input_files(), "write to another folder (--out)")
    with output_lock(out):
        return _run(batch, out, scheduler, workers, threads_per_worker, memory_limit, only,
                    progress)


def _run(batch: Batch, out: Path, scheduler: str | None, workers: int,
         threads_per_worker: int, memory_limit: str, only: list[str] | None,
         progress: Callable[[str], None] | None) -> BatchRun:
    t0 = time.perf_counter()
    say = progress or (lambda _m: None)
    areas = read_areas(batch, only)
    run = BatchRun(batch=batch, out=out, areas=areas)
    say(f"read {len(areas)} areas and the region's inputs")
    clock = time.perf_counter()
    region = region_inputs(batch, areas)
    run.notes += region.notes
    run.facilities = region.facilities
    _homeless(run, region)
    stds = inputs.standards(batch.template).select(batch.template.standards.use)
    modes = tuple(sorted({s.mode for s in stds} | {"drive"}))
    run.phases["read inputs"] = time.perf_counter() - clock
    clock = time.perf_counter()
    run.network = prepare_network(batch.template, modes, out / "network",
                                  batch.batch.tile_km * 1000.0, say)
    run.phases["network"] = time.perf_counter() - clock
    clock = time.perf_counter()
    shared = shared_inputs(batch, run.network["key"])
    todo: list[AreaSpec] = []
    for row, zone in enumerate(buffer_zones(areas, batch.buffer_m)):
        spec = plan_area(batch, areas, row, zone, region, out, out / "network", modes, shared)
        ident = str(areas["area_id"].iloc[row])
        prior = None if isinstance(spec, str) else _is_done(spec)
        if prior is not None:
            run.done[ident], run.skipped = prior, [*run.skipped, ident]
        elif not areas["selected"].iloc[row]:
            run.left_out.append(ident)
        elif isinstance(spec, str):
            run.failed[ident] = spec
        else:
            todo.append(spec)
    run.phases["plan areas"] = time.perf_counter() - clock
    clock = time.perf_counter()
    say(f"{len(run.skipped)} areas already done with the same inputs (skipped), "
        f"{len(todo)} to run, {len(run.failed)} cannot run, {len(run.left_out)} left out "
        "(--areas)")
    if todo:
        try:
            with dask_client(scheduler, workers, threads_per_worker, memory_limit) as client:
                results, errors = run_tasks(client, todo, batch.batch.retries, say)
                run.workers = worker_memory(client)
        except KeyboardInterrupt as e:  # the cluster is closed: count what is on disk
            finished = sum(_is_done(spec) is not None for spec in todo)
            e.add_note(_interrupted(finished, len(todo), len(run.skipped), out))
            raise
        run.done.update(results)
        run.failed.update(errors)
    run.phases["tasks"] = time.perf_counter() - clock
    clock = time.perf_counter()
    run.done = {i: run.done[i] for i in areas["area_id"] if i in run.done}  # layer order
    say("write the combined outputs")
    run.seconds = time.perf_counter() - t0
    run.written = combine.write_combined(run)
    run.phases["combine"] = time.perf_counter() - clock
    return run
