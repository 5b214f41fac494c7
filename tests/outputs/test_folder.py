"""Output folders: all or nothing, cleaned up after killed runs, one run at a time.

Failures are real: an immutable file (``chattr +i``, as root) or a read-only folder (as
another user) that cannot be moved, a second Python process holding the lock, and a
process killed with SIGKILL while staging and while swapping.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from geo.errors import OutputError
from geo.outputs.folder import clean_stale, output_lock, preflight, write_atomically


def _snapshot(folder: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every entry under ``folder``: its bytes (None for folders) and permission bits."""
    out: dict[str, tuple[bytes | None, int]] = {}
    for p in sorted(folder.rglob("*")):
        out[str(p.relative_to(folder))] = (p.read_bytes() if p.is_file() else None,
                                           p.stat().st_mode & 0o7777)
    return out


def _old_folder(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    (out / "figures").mkdir(parents=True)
    (out / "a.txt").write_text("old a")
    (out / "b.xlsx").write_bytes(b"old workbook")
    (out / "figures" / "x.png").write_bytes(b"old png")
    (out / "mine.txt").write_text("the user's own file")
    return out


def _writers(tag: str) -> dict[str, Callable[[Path], object]]:
    def figs(p: Path) -> None:
        p.mkdir()
        (p / "y.png").write_bytes(tag.encode())

    return {"a.txt": lambda p: p.write_text(f"{tag} a"),
            "b.xlsx": lambda p: p.write_bytes(f"{tag} workbook".encode()),
            "figures": figs,
            "c.txt": lambda p: p.write_text(f"{tag} c")}


def _leftovers(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))


def test_swap_replaces_what_the_run_writes_and_keeps_the_rest(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    paths = write_atomically(out, _writers("new"))
    assert paths == [out / n for n in ("a.txt", "b.xlsx", "figures", "c.txt")]
    assert (out / "a.txt").read_text() == "new a"
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["y.png"]  # swapped whole
    assert (out / "mine.txt").read_text() == "the user's own file"
    assert _leftovers(tmp_path) == []
    fresh = tmp_path / "deeper" / "fresh"
    write_atomically(fresh, _writers("first"))
    assert (fresh / "c.txt").read_text() == "first c" and _leftovers(fresh.parent) == []


@pytest.fixture
def unreplaceable() -> Iterator[Callable[[Path], None]]:
    """Make an entry impossible to move, as the user running the tests allows."""
    undo: list[list[str]] = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:  # root moves read-only things: use the immutable flag
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
                pytest.skip("chattr +i is not supported on this file system")
            undo.append(["chattr", "-i", str(path)])
        else:  # a folder moved to another parent needs write permission on itself
            path.chmod(0o555)
            undo.append(["chmod", "755", str(path)])

    yield make
    for cmd in undo:
        subprocess.run(cmd, check=True)


def test_a_failed_replacement_leaves_the_folder_byte_identical(
        tmp_path: Path, unreplaceable: Callable[[Path], None]) -> None:
    out = _old_folder(tmp_path)
    unreplaceable(out / "figures")  # the third entry: a.txt and b.xlsx are swapped first
    before = _snapshot(out)
    with pytest.raises(OutputError, match=r"could not replace .*figures.*write_atomically"
                       r"\(out_dir=\.\.\.\)") as e:
        write_atomically(out, _writers("new"))
    assert "Nothing was changed" in str(e.value)
    assert _snapshot(out) == before
    assert _leftovers(tmp_path) == []


def test_a_failed_writer_changes_nothing(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    before = _snapshot(out)
    files = _writers("new")
    files["c.txt"] = lambda p: 1 / 0
    with pytest.raises(ZeroDivisionError):
        write_atomically(out, files)
    assert _snapshot(out) == before and _leftovers(tmp_path) == []


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python process running ``code``; it prints a line once it is where we want it."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
    return proc


def test_a_second_run_into_the_folder_stops_and_names_the_first(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    holder = _child("""
        import sys, time
        from geo.outputs.folder import output_lock
        with output_lock(sys.argv[1]):
            print("ready", flush=True)
            time.sleep(120)
    """, str(out))
    try:
        before = _snapshot(out)
        for attempt in (lambda: write_atomically(out, _writers("new")),
                        lambda: preflight(out, 0)):
            with pytest.raises(OutputError, match=rf"pid {holder.pid} on .*started "
                               r".*write_atomically\(out_dir="):
                attempt()
        assert _snapshot(out) == before
    finally:
        holder.kill()
        holder.wait()
    # the OS released the dead process's lock: the next run goes ahead
    write_atomically(out, _writers("new"))
    assert (out / "c.txt").read_text() == "new c" and _leftovers(tmp_path) == []


def test_the_lock_is_reentrant_within_a_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with output_lock(out), output_lock(out):
        preflight(out, 0)
        write_atomically(out, _writers("new"))
    assert _leftovers(tmp_path) == []


_KILLED_WHILE = {
    # stops in the last writer, every other entry staged
    "staging": """
        import sys, time
        from pathlib import Path
        from geo.outputs.folder import write_atomically
        def stop(p):
            print("ready", flush=True)
            time.sleep(120)
        write_atomically(sys.argv[1], {"a.txt": lambda p: p.write_text("new a"),
                                       "figures": lambda p: p.mkdir(), "c.txt": stop})
    """,
    # stops in the middle of the swap: a.txt and b.xlsx replaced, figures moved aside
    "swapping": """
        import sys, time
        from pathlib import Path
        from geo.outputs.folder import write_atomically
        done, rename = [], Path.rename
        def slow(self, target):
            out = rename(self, target)
            done.append(target)
            if len(done) == 5:
                print("ready", flush=True)
                time.sleep(120)
            return out
        Path.rename = slow
        def figs(p):
            p.mkdir()
            (p / "y.png").write_bytes(b"new")
        write_atomically(sys.argv[1], {"a.txt": lambda p: p.write_text("new a"),
                                       "b.xlsx": lambda p: p.write_bytes(b"new"),
                                       "figures": figs, "c.txt": lambda p: p.write_text("c")})
    """,
}


@pytest.mark.parametrize("moment", sorted(_KILLED_WHILE))
def test_a_killed_run_is_cleaned_up_by_the_next(tmp_path: Path, moment: str) -> None:
    out = _old_folder(tmp_path)
    before = _snapshot(out)
    child = _child(_KILLED_WHILE[moment], str(out))
    child.send_signal(signal.SIGKILL)
    child.wait()
    stages = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    assert len(stages) == 1
    if moment == "swapping":
        assert (out / "a.txt").read_text() == "new a"  # killed with the folder half new
        assert not (out / "figures").exists()
    notes = clean_stale(out)
    assert len(notes) == 1 and f"pid {child.pid}" in notes[0]
    assert ("undid its half-done swap" in notes[0]) == (moment == "swapping")
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name] == []
    write_atomically(out, _writers("new"))
    assert (out / "c.txt").read_text() == "new c"
    assert _leftovers(tmp_path) == []  # the dead run's lock file went with this run's


def test_staging_folders_not_ours_are_kept_and_reported(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    unknown = tmp_path / ".run.staging-abc123xy"  # an older geo version left no marker
    unknown.mkdir()
    alive = _child("""
        import json, os, socket, sys, time
        from pathlib import Path
        from geo.outputs.folder import _me
        stage = Path(sys.argv[1]) / ".run.staging-live_000"
        stage.mkdir()
        (stage / "run.json").write_text(json.dumps(_me() | {"phase": "writing"}))
        print("ready", flush=True)
        time.sleep(120)
    """, str(tmp_path))
    try:
        notes = clean_stale(out)
    finally:
        alive.kill()
        alive.wait()
    assert len(notes) == 2 and all("is kept" in n for n in notes)
    assert any("no marker" in n for n in notes) and any(f"pid {alive.pid}" in n for n in notes)
    assert unknown.is_dir() and (tmp_path / ".run.staging-live_000").is_dir()


def test_preflight_checks_space_writability_and_kind(
        tmp_path: Path, unreplaceable: Callable[[Path], None]) -> None:
    out = _old_folder(tmp_path)
    assert preflight(out, 1000) == []
    assert preflight(tmp_path / "not" / "yet" / "there") == []
    with pytest.raises(OutputError, match=r"MB free, the outputs need about "
                       r".*write_atomically\(out_dir="):
        preflight(out, 10**18)
    with pytest.raises(OutputError, match=r"write_atomically\(out_dir='.*'\): a file, not a "
                       "folder"):
        preflight(out / "a.txt")
    locked = tmp_path / "locked"
    (locked / "run").mkdir(parents=True)  # the folder exists; staging goes beside it
    unreplaceable(locked)
    for out_dir in (locked / "run", locked / "new"):
        with pytest.raises(OutputError, match=r"cannot write in .*locked.*"
                           r"write_atomically\(out_dir="):
            preflight(out_dir, 1000)
    with pytest.raises(OutputError, match=r"cannot write in .*locked.*write_atomically\(out_dir="):
        write_atomically(locked / "run", _writers("new"))


def test_a_folder_name_near_the_file_systems_limit(tmp_path: Path) -> None:
    """80 Chinese characters are 240 of the 255 bytes a name may have: the staging folder
    and the lock (a dot, the name, a suffix) must not pass the limit."""
    out = tmp_path / ("鹿寨县卫生院覆盖分析" * 8)
    assert len(out.name.encode()) == 240
    write_atomically(out, _writers("first"))
    paths = write_atomically(out, _writers("second"))  # a replacement too
    assert [p.read_text() for p in paths if p.is_file()] == ["second a", "second workbook",
                                                             "second c"]
    assert _leftovers(tmp_path) == []
    holder = _child("""
        import sys, time
        from geo.outputs.folder import output_lock
        with output_lock(sys.argv[1]):
            print("ready", flush=True)
            time.sleep(120)
    """, str(out))
    try:  # the lock, under its short name, still keeps a second run out
        with pytest.raises(OutputError, match=rf"pid {holder.pid} on "):
            write_atomically(out, _writers("third"))
    finally:
        holder.kill()
        holder.wait()
