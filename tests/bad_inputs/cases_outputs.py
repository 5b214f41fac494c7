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
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from geo import settings
from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    geo_process,
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


def _stale_staging(ws: Workspace) -> None:
    """A run killed (SIGKILL) while staging its files, its staging folder left."""
    child = _child("""
        import sys, time
        from geo.outputs.folder import write_atomically
        def stop(p):
            print("ready", flush=True)
            time.sleep(120)
        write_atomically(sys.argv[1], {"map.html": lambda p: p.write_text("half"),
                                       "report.html": stop})
    """, str(ws.out))
    child.send_signal(signal.SIGKILL)
    child.wait()
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


CASES = [
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
         problem=("could not write", "No space left"), fix=("free some space", "--out"),
         then=_then_no_inodes),
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
]
