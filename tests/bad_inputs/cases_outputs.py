"""Output folders and signals: folders that cannot be written, are busy, hold a killed
run's leftovers or sit on a full disk; runs interrupted and killed.

Failures are real where the machine allows: the immutable flag (``chattr +i``) as root,
permissions otherwise; a tmpfs a few kilobytes big (or with a handful of inodes) where
root may mount one, else a free-space limit the preflight is given (stated in the case);
a second process holding the lock; a ``geo run`` process killed with SIGKILL, stopped with
SIGINT or SIGTERM.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geo import settings
from geo._atomic import host_tag
from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    geo_process,
    message_of,
    run_in_process,
    run_summary,
    snapshot,
)

CAT = "output folders"
SIG = "signals"
RUN = ("run", "{study}", "--out", "{out}")
ROOT_ONLY = os.geteuid() == 0


def _bad_input(ws: Workspace) -> None:
    """An input that stops the run (after the folder checks)."""
    ws.set("facilities", "path", "没有这个文件.csv")


def _unreplaceable(ws: Workspace, path: Path) -> None:
    """Make ``path`` impossible to move or write in, as this user can."""
    if ROOT_ONLY:  # root ignores permissions: the immutable flag
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported on this file system")
        ws.undo.append(["chattr", "-i", str(path)])
    else:  # a folder moved to another parent needs write permission on itself
        path.chmod(0o555)
        ws.undo.append(["chmod", "755", str(path)])


def _readonly_folder(ws: Workspace) -> None:
    _unreplaceable(ws, ws.out)


def _readonly_dir(ws: Workspace) -> None:
    (ws.root / "ro").mkdir()
    _unreplaceable(ws, ws.root / "ro")


def _immutable_workbook(ws: Workspace) -> None:
    """A workbook that cannot be replaced (open in Excel on Windows; here immutable, or
    the figures folder read-only for a user that is not root)."""
    _unreplaceable(ws, ws.out / ("coverage.xlsx" if ROOT_ONLY else "figures"))


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python process running ``code``; it prints 'ready' once it is where we want it."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
    return proc


def _busy(ws: Workspace, argv: list[str]) -> Result:
    """A second process holds the folder's lock while the run starts."""
    holder = _child("""
        import sys
        from geo.outputs.folder import output_lock
        with output_lock(sys.argv[1]):
            print("ready", flush=True)
            sys.stdin.readline()  # holds the folder until told to finish
    """, str(ws.out))
    try:
        t0 = time.monotonic()
        result = run_in_process(argv)
        ws.notes.update(pid=holder.pid, seconds=time.monotonic() - t0)
    finally:
        holder.communicate("done\n", timeout=60)  # the first run finishes normally
    return result


def _then_busy(ws: Workspace, r: Result) -> None:
    assert f"pid {ws.notes['pid']} on " in r.err
    assert ws.notes["seconds"] < 30, ws.notes  # refused before computing


def _killed_while_staging(folder: Path) -> subprocess.Popen[str]:
    """Kill (SIGKILL) a run writing into ``folder`` while it stages: its staging folder left."""
    child = _child("""
        import sys, time
        from geo.outputs.folder import write_atomically
        def stop(p):
            print("ready", flush=True)
            time.sleep(120)
        write_atomically(sys.argv[1], {"map.html": lambda p: p.write_text("half"),
                                       "report.html": stop})
    """, str(folder))
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child


def _stale_staging(ws: Workspace) -> None:
    """A run killed (SIGKILL) while staging its files, its staging folder left."""
    child = _killed_while_staging(ws.out)
    stages = [p for p in ws.root.iterdir() if ".staging-" in p.name]
    assert len(stages) == 1
    ws.notes["pid"] = child.pid
    _bad_input(ws)


def _then_stale(ws: Workspace, r: Result) -> None:
    assert re.search(rf"an interrupted run into .*out \(pid {ws.notes['pid']} on .*\): "
                     r"removed its staging folder", r.err), r.err


def _dead_lock(ws: Workspace) -> None:
    """The lock file of a run that died (the OS released its lock, the file stayed)."""
    (ws.root / ".out.lock").write_text('{"pid": 999999, "host": "elsewhere"}',
                                       encoding="utf-8")
    _bad_input(ws)


# --------------------------------------------------------------------------- disk space


def _tmpfs(ws: Workspace, options: str) -> Path | None:
    """A tmpfs mounted in the workspace, or None where this user may not mount one."""
    mnt = ws.root / "tiny"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mnt)],
                          capture_output=True) if ROOT_ONLY else None
    if done is None or done.returncode:
        return None
    ws.undo.append(["umount", str(mnt)])
    return mnt


def _no_space(ws: Workspace, argv: list[str]) -> Result:
    """The output folder on a 64 KiB file system; without mount rights the preflight is
    told the disk must keep more than it has (the same code path, the space faked)."""
    mnt = _tmpfs(ws, "size=64k")
    if mnt is not None:
        return run_in_process([*argv[:-1], str(mnt / "out")])
    need = settings.OUTPUT_MIN_FREE_BYTES
    settings.OUTPUT_MIN_FREE_BYTES = 1 << 62  # type: ignore[misc]
    try:
        return run_in_process(argv)
    finally:
        settings.OUTPUT_MIN_FREE_BYTES = need  # type: ignore[misc]


def _no_inodes(ws: Workspace, argv: list[str]) -> Result:
    """A disk that fills while the outputs are written: 300 MB free (the preflight passes)
    but room for 12 files, fewer than a run writes. Needs mount rights."""
    mnt = _tmpfs(ws, "size=300m,nr_inodes=12")
    if mnt is None:
        pytest.skip("needs root to mount a tmpfs")  # the space check runs in out_no_space
    earlier = mnt / "out"
    earlier.mkdir()
    (earlier / "map.html").write_text("earlier good map", encoding="utf-8")
    ws.notes["mnt"] = mnt
    return run_in_process([*argv[:-1], str(earlier)])


def _then_no_inodes(ws: Workspace, r: Result) -> None:
    mnt = ws.notes["mnt"]
    assert sorted(p.name for p in mnt.iterdir()) == ["out"]  # no staging, no lock left
    assert [p.name for p in (mnt / "out").iterdir()] == ["map.html"]
    assert (mnt / "out" / "map.html").read_text(encoding="utf-8") == "earlier good map"


# --------------------------------------------------------------------------- signals


def _signalled(ws: Workspace, argv: list[str], sig: int, when: str) -> Result:
    """``geo`` in its own process, sent ``sig`` when ``when`` happens: 'staging' (the
    staging folder appears: the outputs are being written) or a progress line."""
    before = snapshot(ws.out)
    proc = geo_process(argv)
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    if when == "staging":
        while time.monotonic() < deadline and proc.poll() is None:
            if [p for p in ws.root.iterdir() if ".staging-" in p.name]:
                break
            time.sleep(0.02)
    else:
        for line in proc.stderr:
            if line.strip() == when:
                break
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=300)
    ws.notes["before"] = before
    return Result(proc.returncode, out, err)


def _kill_then_rerun(ws: Workspace, argv: list[str]) -> Result:
    killed = _signalled(ws, argv, signal.SIGKILL, "staging")
    assert killed.code == -signal.SIGKILL
    assert snapshot(ws.out) == ws.notes["before"]  # killed while staging: nothing moved
    assert len([p for p in ws.root.iterdir() if ".staging-" in p.name]) == 1
    return run_in_process(argv)


def _then_rerun(ws: Workspace, r: Result) -> None:
    assert re.search(r"an interrupted run into .*: removed its staging folder", r.err), r.err
    assert "示例县" in run_summary(ws.out)


# --------------------------------------------------------------------------- outputs vs inputs


def _moved(ws: Workspace, role: tuple[str, str], name: str, where: str = "") -> Path:
    """The input of ``role`` (section, key) moved to ``name`` (in the county, or in the
    folder ``where`` below it) and named so in the study."""
    src = Path(ws.options[role[0]][role[1]])
    dst = ws.path(where) / name if where else ws.path(name)
    dst.parent.mkdir(parents=True, exist_ok=True)
    ws.path(str(src)).rename(dst)
    ws.set(*role, str(dst.relative_to(ws.county)))
    return dst


def _facilities_as(name: str, where: str = ""):  # type: ignore[no-untyped-def]
    return lambda ws: _moved(ws, ("facilities", "path"), name, where)


def _census_in_figures(ws: Workspace) -> None:
    _moved(ws, ("population", "path"), "人口.csv", "figures")


def _facilities_gpkg(ws: Workspace) -> None:
    """The facility list as a GeoPackage of points (as a GIS exports it)."""
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(ws.path("facilities.csv"))
    gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326).to_file(
        ws.path("设施.gpkg"))
    ws.set("facilities", "path", "设施.gpkg")


def _candidates(ws: Workspace) -> None:
    (ws.path("siting.csv")).write_text("id,lon,lat\nC1,109.86,24.47\n", encoding="utf-8")


def _scenario_file(ws: Workspace) -> None:
    ws.scenario("[scenario]\nname = '关闭'\n\n[[actions]]\naction = 'close'\nid = 'F01'\n",
                "方案.toml")


def _linked_out(ws: Workspace) -> None:
    """--out a link to the county folder, whose facility list has a run's output name."""
    _moved(ws, ("facilities", "path"), "coverage_summary.csv")
    (ws.root / "链接").symlink_to(ws.county, target_is_directory=True)


def _glob_named(ws: Workspace) -> None:
    """Folders called ``out*`` (the output) and ``outA``, which holds a dead run's staging
    folder left half swapped (phase "swapping"): a pattern would take it for out*'s."""
    import json

    other = ws.root / "outA"
    shutil.copytree(ws.out, other)
    stage = ws.root / ".outA.staging-abcd1234"
    (stage / "new").mkdir(parents=True)
    (stage / "old").mkdir()
    (stage / "run.json").write_text(json.dumps({
        "pid": _dead_pid(), "host": socket.gethostname(), "out_dir": str(other.resolve()),
        "names": ["map.html"], "phase": "swapping", "fresh": False}), encoding="utf-8")
    ws.notes["other"] = snapshot(other)
    ws.notes["stage"] = stage
    _bad_input(ws)


def _then_glob(ws: Workspace, r: Result) -> None:
    assert snapshot(ws.root / "outA") == ws.notes["other"]  # untouched
    assert ws.notes["stage"].is_dir()  # outA's own, for outA's next run to clean
    assert not any(p.name.startswith(".out*.") for p in ws.root.iterdir())


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _bracket_killed(ws: Workspace) -> None:
    """A run into ``res[1]`` killed while staging (SIGKILL): its staging folder left."""
    folder = ws.root / "res[1]"
    shutil.copytree(ws.out, folder)
    _killed_while_staging(folder)
    assert [p for p in ws.root.iterdir() if p.name.startswith(".res[1].staging-")]
    ws.notes["before"] = snapshot(folder)
    _bad_input(ws)


def _then_bracket(ws: Workspace, r: Result) -> None:
    assert re.search(r"an interrupted run into .*res\[1\] \(pid \d+ on .*\): removed its "
                     r"staging folder", r.err), r.err
    assert snapshot(ws.root / "res[1]") == ws.notes["before"]
    assert [p.name for p in ws.root.iterdir() if p.name.startswith(".res[1].")] == []


def _mount_point(ws: Workspace, argv: list[str]) -> Result:
    """--out the mount point of a tmpfs holding an earlier run (staging beside it, on the
    parent's file system, failed: Invalid cross-device link)."""
    mnt = _tmpfs(ws, "size=300m")
    if mnt is None:
        pytest.skip("needs root to mount a tmpfs")
    for p in ws.out.iterdir():
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, mnt / p.name)
    (mnt / "map.html").write_text("the earlier map", encoding="utf-8")
    ws.notes["mnt"] = mnt
    return run_in_process([*argv[:-1], str(mnt)])


def _then_mount_point(ws: Workspace, r: Result) -> None:
    mnt = ws.notes["mnt"]
    assert "示例县" in run_summary(mnt)
    assert "the earlier map" not in (mnt / "map.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in mnt.iterdir()) == sorted(p.name for p in ws.out.iterdir())
    assert not [p for p in ws.root.iterdir() if p.name.startswith(".tiny.")]


def _full_disk(size: str, earlier: str, seam: bool = False):  # type: ignore[no-untyped-def]
    """The command's --out (last argument, a file or folder name) on a tmpfs of ``size``
    that already holds ``earlier`` (a file, or a folder of a run's outputs), for real: the
    disk fills while the output is written. ``seam``: the preflight's free-space floor
    (200 MB) lowered to 0 so that a run gets to write on a small disk."""
    def run(ws: Workspace, argv: list[str]) -> Result:
        mnt = _tmpfs(ws, f"size={size}")
        if mnt is None:
            pytest.skip("needs root to mount a tmpfs")
        target = mnt / Path(argv[-1]).name
        if earlier == "folder":
            target.mkdir()
            (target / "map.html").write_text("earlier good map", encoding="utf-8")
        else:
            target.write_text(earlier, encoding="utf-8")
        ws.notes.update(mnt=mnt, target=target, before=snapshot(mnt))
        floor = settings.OUTPUT_MIN_FREE_BYTES
        if seam:
            settings.OUTPUT_MIN_FREE_BYTES = 0  # type: ignore[misc]
        try:
            return run_in_process([*argv[:-1], str(target)])
        finally:
            settings.OUTPUT_MIN_FREE_BYTES = floor  # type: ignore[misc]
    return run


def _then_full(ws: Workspace, r: Result) -> None:
    assert snapshot(ws.notes["mnt"]) == ws.notes["before"]  # as it was, no temp file left
    assert str(ws.notes["mnt"]) in message_of(r)


def _leftover(ws: Workspace) -> None:
    """Temporary files of earlier builds of net.npz: one of a process gone (killed), one of
    a process still running (a build in progress: kept)."""
    dead = ws.root / f".net.npz.{_dead_pid()}@{host_tag()}.abcd1234.npz"
    dead.write_bytes(b"half a cache")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    ws.undo.append(["kill", str(live.pid)])
    busy = ws.root / f".net.npz.{live.pid}@{host_tag()}.wxyz5678.npz"
    busy.write_bytes(b"being written")
    ws.notes.update(dead=dead, busy=busy)


def _then_leftover(ws: Workspace, r: Result) -> None:
    assert not ws.notes["dead"].exists() and ws.notes["busy"].exists()
    assert (ws.root / "net.npz").is_file()


FIX_OUT = ("write to another folder (--out)",)
FIX_FILE = ("name another file with --out",)


#: an output name of 90 Chinese characters: 270 bytes, more than a file system allows
_LONG = "鹿寨县" * 30

CASES = [
    Case("out_name_too_long", CAT, "--out a folder named with 90 Chinese characters (270 "
         "bytes: OSError File name too long)", ("run", "{study}", "--out", "{root}/" + _LONG),
         problem=("argument --out", "is 270 bytes"), fix=("give a shorter name",),
         writes=False),
    Case("out_name_too_long_map", CAT, "geo map --out a file of 90 Chinese characters",
         ("map", "{run}/results.gpkg", "--out", "{root}/" + _LONG + ".html"),
         problem=("argument --out", "is 275 bytes"), fix=("give a shorter name",),
         writes=False),
    Case("out_readonly_folder", CAT, "an output folder nobody may write in", RUN,
         _readonly_folder, problem=("cannot write in",), fix=("--out",)),
    Case("out_is_a_file", CAT, "--out naming a file", ("run", "{study}", "--out",
         "{county}/facilities.csv"), problem=("facilities.csv: a file, not a folder",),
         fix=("--out",)),
    Case("out_parent_is_a_file", CAT, "--out inside a file's path", ("run", "{study}",
         "--out", "{out}/run_summary.txt/new"), problem=("cannot write in",), fix=("--out",)),
    Case("out_workbook_unreplaceable", CAT, "an earlier workbook that cannot be replaced "
         "(immutable; read-only figures for other users): nothing changed", RUN,
         _immutable_workbook, problem=("could not replace",),
         fix=("Nothing was changed", "--out")),
    Case("out_busy", CAT, "two runs into one folder: the second refused at once, naming "
         "the first", RUN, runner=_busy, problem=("another geo run is writing",),
         fix=("wait for it to finish", "--out"), then=_then_busy),
    Case("out_stale_staging", CAT, "a killed run's staging folder beside the output: "
         "cleaned by the next run, even one that then stops", RUN, _stale_staging,
         problem=("没有这个文件.csv",), then=_then_stale),
    Case("out_dead_lock_file", CAT, "the lock file of a dead run: no obstacle", RUN,
         _dead_lock, problem=("没有这个文件.csv",)),
    Case("out_no_space", CAT, "a disk with 64 KiB free (a tmpfs; the free-space limit "
         "faked where mounting is not allowed)", RUN, runner=_no_space,
         problem=("MB free", "the outputs need about"), fix=("free some space", "--out")),
    Case("out_disk_fills_while_writing", CAT, "a disk that fills while the outputs are "
         "written (a tmpfs with 12 inodes)", RUN, runner=_no_inodes,
         problem=("could not write", "is full", "no room for another file"),
         fix=("free at least", "--out"), then=_then_no_inodes),
    Case("out_map_readonly_folder", CAT, "geo map --out into a folder nobody may write in",
         ("map", "{run}/results.gpkg", "--out", "{root}/ro/map.html"), _readonly_dir,
         problem=("cannot write", "map.html"), fix=("--out",), writes=False),
    Case("out_cache_readonly_folder", CAT, "geo network build --out into a folder nobody may "
         "write in", ("network", "build", "{county}/roads.geojson", "--out",
                      "{root}/ro/net.npz"), _readonly_dir,
         problem=("cannot write", "net.npz"), fix=("--out",), writes=False),
    Case("sig_int_while_computing", SIG, "Ctrl-C (SIGINT) during the travel-time "
         "searches", RUN, runner=lambda ws, a: _signalled(ws, a, signal.SIGINT,
                                                          "... township areas"),
         code=130, problem=("interrupted",)),
    Case("sig_int_while_writing", SIG, "Ctrl-C (SIGINT) while the outputs are written",
         RUN, runner=lambda ws, a: _signalled(ws, a, signal.SIGINT, "staging"), code=130,
         problem=("interrupted",)),
    Case("sig_term_while_writing", SIG, "SIGTERM (kill, systemd, docker stop) while the "
         "outputs are written", RUN,
         runner=lambda ws, a: _signalled(ws, a, signal.SIGTERM, "staging"), code=143,
         problem=("interrupted",)),
    Case("sig_kill_then_rerun", SIG, "SIGKILL while writing: the folder as it was; the "
         "next run cleans the staging folder up and completes", RUN,
         runner=_kill_then_rerun, code=0, then=_then_rerun),
    Case("out_input_named_like_an_output", CAT, "--out the folder holding the facility list, "
         "saved as coverage_summary.csv (it was replaced by the run's table, exit 0)",
         ("run", "{study}", "--out", "{county}"), _facilities_as("coverage_summary.csv"),
         problem=("coverage_summary.csv", "is the facilities input"), fix=FIX_OUT),
    Case("out_input_in_a_replaced_folder", CAT, "--out the county folder, the census table "
         "kept in its figures/ folder (a run replaces figures/ whole)",
         ("run", "{study}", "--out", "{county}"), _census_in_figures,
         problem=("figures", "holds the population input"), fix=FIX_OUT),
    Case("out_through_a_link", CAT, "--out a symbolic link to the folder of the inputs, the "
         "facility list named like an output", ("run", "{study}", "--out", "{root}/链接"),
         _linked_out, problem=("coverage_summary.csv", "facilities input"), fix=FIX_OUT),
    Case("out_map_onto_results", CAT, "geo map RUN/results.gpkg --out RUN/results.gpkg (the "
         "results were replaced by the HTML map)", ("map", "{out}/results.gpkg", "--out",
                                                    "{out}/results.gpkg"),
         problem=("results.gpkg", "does not end in .html"), fix=("name the file to write",)),
    Case("out_isochrones_onto_facilities", CAT, "geo isochrones --out the study's own facility "
         "GeoPackage", ("isochrones", "{study}", "--out", "{county}/设施.gpkg"),
         _facilities_gpkg, problem=("设施.gpkg", "is the facilities input"), fix=FIX_FILE,
         writes=False),
    Case("out_isochrones_onto_csv", CAT, "geo isochrones --out facilities.csv (the study's "
         "facility list)", ("isochrones", "{study}", "--out", "{county}/facilities.csv"),
         problem=("facilities.csv", "does not end in .gpkg"), fix=("name the file to write",),
         writes=False),
    Case("out_build_onto_source", CAT, "geo network build roads.geojson --out roads.geojson",
         ("network", "build", "{county}/roads.geojson", "--out", "{county}/roads.geojson"),
         problem=("does not end in .npz",), fix=("name the file to write",), writes=False),
    Case("out_build_cache_onto_itself", CAT, "geo network build CACHE --out CACHE (a cache "
         "read and written back over itself)", ("network", "build", "{county}/roads.npz",
                                                "--out", "{county}/roads.npz"),
         problem=("roads.npz", "is the road source input"), fix=FIX_FILE, writes=False),
    Case("out_site_onto_candidates", CAT, "geo site --candidates siting.csv --out the folder "
         "holding it", ("site", "{run}", "--standard", "primary_care_30min", "--candidates",
                        "{county}/siting.csv", "--out", "{county}"), _candidates,
         problem=("siting.csv", "is the candidates input"), fix=FIX_OUT, writes=False),
    Case("out_init_force_onto_scenario", CAT, "geo init --force --out a scenario file (only "
         "study files may be overwritten)", ("init", "{county}", "--force", "--out",
                                              "{county}/方案.toml"), _scenario_file,
         problem=("方案.toml", "is not a study file"), fix=("--force overwrites study files "
                                                           "only",), writes=False),
    Case("out_init_onto_data", CAT, "geo init --out facilities.csv (the facility list)",
         ("init", "{county}", "--out", "{county}/facilities.csv"),
         problem=("does not end in .toml",), fix=("name the file to write",), writes=False),
    Case("out_glob_characters", CAT, "--out a folder called out* beside outA, which holds a "
         "dead run's half-swapped staging folder: left alone (a pattern recovered it into "
         "the wrong folder)", ("run", "{study}", "--out", "{root}/out*"), _glob_named,
         problem=("没有这个文件.csv",), then=_then_glob),
    Case("out_brackets_killed_run", CAT, "a run into res[1] killed while staging: the next "
         "run into res[1] removes its staging folder (a pattern missed it for good)",
         ("run", "{study}", "--out", "{root}/res[1]"), _bracket_killed,
         problem=("没有这个文件.csv",), then=_then_bracket),
    Case("out_mount_point", CAT, "--out the mount point of another file system, holding an "
         "earlier run (every run failed: Invalid cross-device link)", RUN,
         runner=_mount_point, code=0, then=_then_mount_point),
    Case("out_full_disk_run", CAT, "a disk that fills while a run writes (1 MB tmpfs; the "
         "free-space floor lowered to get past the preflight)", ("run", "{study}", "--out",
                                                                "{root}/run_out"),
         runner=_full_disk("1m", "folder", seam=True),
         problem=("could not write", "is full"), fix=("free at least", "--out"),
         writes=False, then=_then_full),
    Case("out_full_disk_map", CAT, "a disk that fills while geo map writes (64 kB tmpfs; "
         "it was a traceback)", ("map", "{run}/results.gpkg", "--out", "{root}/map.html"),
         runner=_full_disk("64k", "the earlier map"),
         problem=("could not write map.html", "is full"), fix=("free at least", "--out"),
         writes=False, then=_then_full),
    Case("out_full_disk_build", CAT, "a disk that fills while geo network build writes the "
         "cache", ("network", "build", "{county}/roads.geojson", "--out", "{root}/net.npz"),
         runner=_full_disk("64k", "the earlier cache"),
         problem=("could not write net.npz", "is full"), fix=("free at least", "--out"),
         writes=False, then=_then_full),
    Case("out_full_disk_isochrones", CAT, "a disk that fills while geo isochrones writes its "
         "GeoPackage (GDAL says 'no such table: gpkg_contents')",
         ("isochrones", "{study}", "--out", "{root}/iso.gpkg"),
         runner=_full_disk("64k", "the earlier isochrones"),
         problem=("could not write iso.gpkg", "is full"), fix=("free at least", "--out"),
         writes=False, then=_then_full),
    Case("out_full_disk_init", CAT, "a disk with no room for another file while geo init "
         "writes the study file", ("init", "{county}", "--force", "--out",
                                   "{root}/study.toml"),
         runner=_full_disk("4k", "[study]\nname = 'earlier'\n"),
         problem=("could not write study.toml", "is full"), fix=("free at least", "--out"),
         writes=False, then=_then_full),
    Case("out_killed_build_leftovers", CAT, "a killed geo network build's temporary file: "
         "removed by the next build (one of a build still running is kept)",
         ("network", "build", "{county}/roads.geojson", "--out", "{root}/net.npz"),
         _leftover, code=0, writes=False, then=_then_leftover),
]
