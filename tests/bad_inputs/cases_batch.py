"""geo batch on the corpus county cut in two areas (west and east): memory limits and
schedulers the batch cannot use, an output folder that holds an input, township polygons
(every area's own polygons have a column called township: it was a traceback), and Ctrl-C
or SIGTERM while the areas run (it said "nothing new was written", with Dask's
tracebacks, though finished areas are kept for the next run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import geopandas as gpd

from geo import settings
from tests.bad_inputs.harness import Case, Result, Workspace, geo_process, run_in_process
from tests.synthetic_county import TOTAL

CAT = "batch"
SIG = "signals"
BATCH = ("batch", "{county}/batch.toml", "--out", "{root}/bo")


def batch_county(ws: Workspace) -> None:
    """The county as a batch: areas.geojson (west and east halves, with their people), a
    template study of the whole county (facilities, township polygons, the network cache)
    and batch.toml; an earlier batch output in ROOT/bo (its summary) for the failed runs
    to leave as it was."""
    towns = gpd.read_file(ws.path("乡镇界线.shp"), encoding="gbk")  # Gauss-Krüger metres
    west = towns.geometry.centroid.x < towns.union_all().centroid.x  # as counties nest
    towns = towns.to_crs(4326)
    halves = [towns[west].union_all(), towns[~west].union_all()]
    gpd.GeoDataFrame({"adcode": ["450001", "450002"], "名称": ["西区", "东区"],
                      "人口": [TOTAL * 0.5, TOTAL * 0.5]}, geometry=halves,
                     crs=4326).to_file(ws.path("areas.geojson"))
    ws.set("area", "boundary", "areas.geojson")
    ws.options["population"] = {"method": "even", "total": float(TOTAL)}
    ws.write_study()
    ws.study.rename(ws.path("template.toml"))
    ws.options = {}
    ws.path("batch.toml").write_text(
        '[batch]\ntemplate = "template.toml"\nid_col = "adcode"\nname_col = "名称"\n'
        'population_col = "人口"\npopulation_label = "两区人口"\nbuffer_km = 10\nretries = 0\n'
        'area_outputs = "tables"\n', encoding="utf-8")
    ws.study.write_text(ws.path("template.toml").read_text(encoding="utf-8"),
                        encoding="utf-8")
    (ws.root / "bo").mkdir()
    (ws.root / "bo" / "batch_summary.txt").write_text("earlier batch", encoding="utf-8")


def _then_earlier_kept(ws: Workspace, r: Result) -> None:
    assert (ws.root / "bo" / "batch_summary.txt").read_text(encoding="utf-8") == "earlier batch"


def _areas_in_out(ws: Workspace) -> None:
    """The areas layer kept in BATCH_OUT/areas/, a folder the batch writes."""
    batch_county(ws)
    inside = ws.root / "bo" / "areas" / "areas.geojson"
    inside.parent.mkdir(parents=True)
    ws.path("areas.geojson").rename(inside)
    text = ws.path("batch.toml").read_text(encoding="utf-8")
    ws.path("batch.toml").write_text(text + f'areas = "{inside.as_posix()}"\n',
                                     encoding="utf-8")


def _then_areas_kept(ws: Workspace, r: Result) -> None:
    _then_earlier_kept(ws, r)
    assert (ws.root / "bo" / "areas" / "areas.geojson").is_file()
    assert not (ws.root / "bo" / "network").exists()


def _no_workers(ws: Workspace, argv: list[str]) -> Result:
    """A scheduler no worker ever joins (geo batch waited for ever); the wait for a first
    worker (settings.BATCH_WORKER_WAIT_S, 60 s) shortened to 3 s for the test."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import asyncio, sys\nfrom distributed import Scheduler\n"
         "async def main():\n    async with Scheduler(host='127.0.0.1', port=0, "
         "dashboard_address=None) as s:\n        print(s.address, flush=True)\n"
         "        await asyncio.sleep(600)\nasyncio.run(main())"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ws.undo.append(["kill", str(proc.pid)])
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    wait = settings.BATCH_WORKER_WAIT_S
    settings.BATCH_WORKER_WAIT_S = 3.0  # type: ignore[misc]
    try:
        return run_in_process([*argv, "--scheduler", address])
    finally:
        settings.BATCH_WORKER_WAIT_S = wait  # type: ignore[misc]


def _then_township_polygons(ws: Workspace, r: Result) -> None:
    areas = (ws.root / "bo" / "areas.csv").read_text(encoding="utf-8-sig")
    assert areas.count("done") == 2, areas
    towns = (ws.root / "bo" / "coverage_by_township.csv").read_text(encoding="utf-8-sig")
    assert "中和镇" in towns and "新民乡" in towns


def _interrupted(sig: int):  # type: ignore[no-untyped-def]
    """The batch in its own process (its own process group, as a terminal's job), sent
    ``sig`` once the first area is done: SIGINT to the whole group (Ctrl-C reaches the
    Dask workers too), SIGTERM to geo alone (kill, a service manager)."""
    def run(ws: Workspace, argv: list[str]) -> Result:
        proc = geo_process([*argv, "--workers", "1"], start_new_session=True)
        assert proc.stderr is not None
        lines = []
        deadline = time.monotonic() + 600
        for line in proc.stderr:
            lines.append(line)
            if "[1/2]" in line or time.monotonic() > deadline:
                break
        assert proc.poll() is None, "".join(lines)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=300)
        return Result(proc.returncode, out, "".join(lines) + err)
    return run


def _then_interrupted(ws: Workspace, r: Result) -> None:
    done = list((ws.root / "bo" / "areas").glob("*/done.json"))
    assert done, "the area done before the signal was not kept"
    assert f"{len(done)} of the 2 areas to run had finished: kept in" in r.err, r.err
    assert {json.loads(d.read_text(encoding="utf-8"))["area_id"] for d in done} <= {
        "450001", "450002"}
    _then_earlier_kept(ws, r)
    assert "distributed" not in r.err and "tornado" not in r.err, r.err


def _half_memory() -> str:
    """Half this machine's memory (as Dask counts it), in MB."""
    from distributed.system import MEMORY_LIMIT

    return f"{MEMORY_LIMIT // 2 // 1_000_000}MB"


def _memory(value: str, *words: str) -> Case:
    return Case(f"batch_memory_{''.join(c for c in value if c.isalnum()).lower()}", CAT,
                f"--memory-limit {value}", (*BATCH, "--memory-limit", value), batch_county,
                problem=("--memory-limit", *words), fix=("auto",), writes=False,
                then=_then_earlier_kept)


CASES = [
    _memory("banana", "not a memory size"),
    _memory("4XB", "not a memory size"),
    _memory("1MB", "less than a worker needs"),
    _memory("64PB", "more than this machine's memory"),
    Case("batch_workers_beyond_memory", CAT, "--workers 500: each would get less memory "
         "than a worker needs", (*BATCH, "--workers", "500"), batch_county,
         problem=("--workers 500", "less than a worker needs"), fix=("give fewer workers",),
         writes=False, then=_then_earlier_kept),
    Case("batch_memory_times_workers", CAT, "--workers 8 --memory-limit of half the "
         "machine's memory each", (*BATCH, "--workers", "8", "--memory-limit", _half_memory()),
         batch_county, problem=("more than this machine's",),
         fix=("give fewer workers or a smaller --memory-limit",), writes=False,
         then=_then_earlier_kept),
    Case("batch_scheduler_address", CAT, "--scheduler banana (no port)", (*BATCH,
         "--scheduler", "banana"), batch_county, problem=("not a Dask scheduler address",),
         fix=("tcp://10.0.0.5:8786",), writes=False, then=_then_earlier_kept),
    Case("batch_scheduler_unreachable", CAT, "--scheduler naming a port nothing listens on",
         (*BATCH, "--scheduler", "tcp://127.0.0.1:9"), batch_county,
         problem=("cannot reach the Dask scheduler",), fix=("dask scheduler", "dask worker"),
         writes=False, then=_then_earlier_kept),
    Case("batch_scheduler_without_workers", CAT, "--scheduler a scheduler no worker joins "
         "(it waited for ever)", BATCH, batch_county, runner=_no_workers,
         problem=("has no workers",), fix=("dask worker",), writes=False,
         then=_then_earlier_kept),
    Case("batch_out_holds_areas", CAT, "the areas layer kept in the batch folder's areas/ "
         "(which the batch writes)", BATCH, _areas_in_out,
         problem=("holds the areas input",), fix=("write to another folder (--out)",),
         writes=False, then=_then_areas_kept),
    Case("batch_township_polygons", CAT, "a template with township polygons (each area's "
         "polygon file has a township column: The truth value of a Series is ambiguous)",
         BATCH, batch_county, code=0, writes=False, then=_then_township_polygons),
    Case("sig_int_batch", SIG, "Ctrl-C (SIGINT to the process group) while a batch runs: "
         "the finished area kept and said so, no Dask traceback", BATCH, batch_county,
         runner=_interrupted(signal.SIGINT), code=130, problem=("interrupted",),
         fix=("Run the same `geo batch` again",), writes=False, then=_then_interrupted),
    Case("sig_term_batch", SIG, "SIGTERM while a batch runs: the same", BATCH, batch_county,
         runner=_interrupted(signal.SIGTERM), code=143, problem=("interrupted",),
         fix=("Run the same `geo batch` again",), writes=False, then=_then_interrupted),
]
