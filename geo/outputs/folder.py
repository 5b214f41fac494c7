"""Output folders: written all or nothing, one run at a time, checked before computing.

:func:`write_atomically` writes a run's files into a *staging* folder beside the output
folder (``.NAME.staging-XXXXXXXX``; inside the folder when it is the mount point of another
file system, so that every rename stays on one file system), then swaps them in: each old
entry is renamed aside into the staging folder, the new one renamed into place; if any
rename fails (a workbook open in Excel on Windows, a read-only or immutable file), every
step is undone in reverse and the folder is as it was, byte for byte. The old entries are
removed only after every new one is in place. Entries of the folder that the run does not
write are left alone; an entry that is an input of the run stops it before anything is
written (:func:`geo._files.refuse_inputs`). A disk that fills, or any ``OSError`` while
writing, is one :class:`~geo.errors.OutputError` naming the folder and the space needed.

A run that is killed leaves its staging folder, with a ``run.json`` marker naming its
process (pid, host, start time), its output folder and how far it got. The next run into
the same folder (:func:`clean_stale`, called by :func:`write_atomically` and
:func:`preflight`) removes it when that process is gone, first undoing a swap it left half
done; a staging folder of a process still running, of another host or without a marker is
left and reported. Staging folders and locks are found by their exact names (an output
folder called ``out*`` or ``res[1]`` is no pattern), and a marker naming another output
folder is never taken for this one's.

:func:`output_lock` keeps a second run out of a folder a run is writing: a lock file
beside it (``.NAME.lock``, an OS file lock, released by the OS when the process dies);
the second run stops with an :class:`~geo.errors.OutputError` naming the first (pid,
host, start time, command). :func:`preflight` checks, before any computing, that the
folder can be written, that it is not in use, that no output would replace an input, and
that the disk has room.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from geo import settings
from geo._atomic import disk_full, pid_alive, short_name, write_error
from geo._files import name_fits, real_path, refuse_inputs
from geo.errors import Arg, OutputError, Part

__all__ = ["OUT_DIR", "clean_stale", "folder_bytes", "output_lock", "preflight",
           "write_atomically"]

log = logging.getLogger(__name__)

_MARKER = "run.json"
#: the output folder the writer was given; each public writer names its own parameter
#: (:func:`geo.errors.given_as`)
OUT_DIR = Arg("write_atomically", "out_dir")
_FIX_OTHER: tuple[Part, ...] = ("or write to another folder (", OUT_DIR, ")")
_FIX_CLASH: tuple[Part, ...] = ("write to another folder (", OUT_DIR, ")")
#: the random part of a staging folder's name (tempfile.mkdtemp)
_RANDOM = r"[a-z0-9_]{8}"


def _unwritable(folder: Path, e: OSError) -> OutputError:
    return OutputError(f"cannot write in {folder} ({e.strerror}): choose a folder you can "
                       "write to (", OUT_DIR, ")")


def _cannot_write(folder: Path, what: str, e: OSError, unchanged: str = "") -> OutputError:
    """A full disk's message (:func:`geo._atomic.write_error`), else :func:`_unwritable`."""
    full = (write_error(folder, what, e, unchanged=unchanged, out=OUT_DIR)
            if disk_full(folder, e) else None)
    return full or _unwritable(folder, e)


def _home(out: Path) -> Path:
    """Where the staging folder and lock of ``out`` go: beside it (on its parent's file
    system), or inside it when it is the mount point of another file system (renames
    cannot cross file systems; its parent may not even be writable)."""
    if out.is_dir():
        try:
            if out.stat().st_dev != out.parent.stat().st_dev:
                return out
        except OSError:
            pass
    return _existing_ancestor(out.parent)


# --------------------------------------------------------------------------- processes


def _proc_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22, after the command in brackets


def _me() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "proc_start": _proc_start(
        os.getpid()), "started": time.strftime("%Y-%m-%d %H:%M:%S"), "argv": sys.argv[:6]}


def _alive(info: Mapping[str, Any]) -> bool | None:
    """Whether the process that wrote ``info`` runs; ``None`` when it ran on another host."""
    if info.get("host") != socket.gethostname():
        return None
    pid = int(info["pid"])
    if not pid_alive(pid):
        return False
    start = info.get("proc_start")
    return start is None or _proc_start(pid) in (None, start)


def _who(info: Mapping[str, Any]) -> str:
    cmd = " ".join(map(str, info.get("argv", []))) or "?"
    return (f"pid {info.get('pid', '?')} on {info.get('host', '?')}, started "
            f"{info.get('started', '?')}, command: {cmd}")


# --------------------------------------------------------------------------- lock

_held: dict[str, list[Any]] = {}  # lock path -> [file object, depth] of this process


def _lock_path(out_dir: Path) -> Path:
    return _home(out_dir) / f".{short_name(out_dir.name)}.lock"


def _try_lock(fh: Any) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            fh.seek(1 << 30)  # lock a byte far past the text, which stays readable
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined,unused-ignore]
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _acquire(path: Path, out_dir: Path) -> Any:
    """Open and lock ``path``; the file must still be the one at ``path`` once locked
    (a run finishing unlinks it), else try again."""
    for _ in range(50):
        try:
            fh = path.open("a+", encoding="utf-8")
        except OSError as e:
            raise _unwritable(path.parent, e) from e
        if not _try_lock(fh):
            fh.seek(0)
            text = fh.read()
            fh.close()
            try:
                who = _who(json.loads(text))
            except ValueError:
                who = "details not yet written"
            raise OutputError(f"another geo run is writing to {out_dir} ({who}): wait for "
                              "it to finish, ", *_FIX_OTHER)
        try:
            same = path.stat().st_ino == os.fstat(fh.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps(_me()))
            fh.flush()
            return fh
        fh.close()
    raise OutputError(f"could not take the lock {path}: remove it if no geo run is writing "
                      f"to {out_dir}")


@contextlib.contextmanager
def output_lock(out_dir: str | Path) -> Iterator[None]:
    """Hold the lock of ``out_dir`` for the block (re-entrant within a process).

    Raises
    ------
    geo.errors.OutputError
        Another process holds it: the message names that run and the fix.
    """
    name_fits(out_dir, _FIX_CLASH)
    out = real_path(out_dir)
    path = _lock_path(out)
    key = str(path)
    if key in _held:
        _held[key][1] += 1
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _unwritable(out.parent, e) from e
        _held[key] = [_acquire(path, out), 1]
    try:
        yield
    finally:
        _held[key][1] -= 1
        if _held[key][1] == 0:
            fh = _held.pop(key)[0]
            with contextlib.suppress(OSError):
                path.unlink()  # while still locked: a waiting run re-checks the inode
            fh.close()


# --------------------------------------------------------------------------- staging


def _write_marker(stage: Path, info: Mapping[str, Any]) -> None:
    tmp = stage / f".{_MARKER}.tmp"
    tmp.write_text(json.dumps(info), encoding="utf-8")
    tmp.replace(stage / _MARKER)


def _new_stage(out_dir: Path, names: Sequence[str]) -> tuple[Path, dict[str, Any]]:
    stage = Path(tempfile.mkdtemp(prefix=f".{short_name(out_dir.name)}.staging-",
                                  dir=_home(out_dir)))
    try:
        info = _me() | {"out_dir": str(out_dir), "names": list(names), "phase": "writing",
                        "fresh": not out_dir.exists()}
        _write_marker(stage, info)
        (stage / "new").mkdir()
        (stage / "old").mkdir()
    except BaseException:  # Ctrl-C too: a half-made staging folder is nobody's
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return stage, info


def _rollback(stage: Path, out_dir: Path, names: Sequence[str]) -> None:
    """Undo a swap, whole or partial, from what the staging folder holds: a name missing
    from ``new`` was moved in (moved back out), one in ``old`` was moved aside (moved
    back). Raises OSError when a step cannot be undone."""
    for name in reversed(list(names)):
        dst, new, old = out_dir / name, stage / "new" / name, stage / "old" / name
        if not os.path.lexists(new) and os.path.lexists(dst):
            dst.rename(new)
        if os.path.lexists(old):
            old.rename(dst)


def _swap(stage: Path, out_dir: Path, info: dict[str, Any]) -> None:
    """Move the staged entries into ``out_dir``, all or none (see module docs)."""
    names = info["names"]
    missing = [n for n in names if not os.path.lexists(stage / "new" / n)]
    if missing:
        raise OutputError(f"the run wrote no {missing}: nothing was changed in {out_dir}")
    if info["fresh"]:
        (stage / "new").rename(out_dir)  # one step: the folder appears whole
        return
    name = ""
    try:
        for name in names:
            if os.path.lexists(out_dir / name):
                (out_dir / name).rename(stage / "old" / name)
            (stage / "new" / name).rename(out_dir / name)
    except BaseException as e:  # Ctrl-C too: never leave the folder half swapped
        try:
            _rollback(stage, out_dir, names)
        except OSError as e2:
            raise OutputError(
                f"could not replace {out_dir / name} ({e}), nor put back what was moved "
                f"({e2}): the previous outputs are in {stage / 'old'}; move them back into "
                f"{out_dir}") from e
        if not isinstance(e, OSError):
            raise
        raise OutputError(
            f"could not replace {out_dir / name} ({e.strerror}): is it open in another "
            "program (Excel locks an open workbook) or read-only? Close it and run again, ",
            *_FIX_OTHER, f". Nothing was changed: {out_dir} holds its previous outputs"
        ) from e


def _staged(stage: Path, name: str, step: Callable[[], object], before: int,
            unchanged: str) -> None:
    """Run ``step`` (writing ``name`` into the staging folder); a full disk or any
    ``OSError`` becomes the one :class:`OutputError` of :func:`geo._atomic.write_error`
    (``before``: bytes of the outputs it replaces)."""
    try:
        step()
    except Exception as e:  # a disk that fills, a folder gone read-only
        err = write_error(stage.parent, name, e, written=folder_bytes(stage),
                          before=before, unchanged=unchanged, out=OUT_DIR)
        if err is None:
            raise
        raise err from e


def write_atomically(out_dir: str | Path, files: Mapping[str, Callable[[Path], object]],
                     inputs: Mapping[str, Path | None] | None = None) -> list[Path]:
    """Write files (or folders) into ``out_dir`` all or nothing.

    ``files`` maps each output name to a function writing it to the path it is given
    (inside a staging folder next to ``out_dir``), called in order. Only when every one
    has succeeded are they swapped into ``out_dir`` (see module docs); on any failure
    ``out_dir`` is left as it was and the staging folder removed. Holds the folder's
    lock (:func:`output_lock`) and first cleans up after killed runs
    (:func:`clean_stale`). ``inputs`` (role -> path) are the files the outputs were made
    from: an output that would replace one stops before anything is written.

    Raises
    ------
    geo.errors.OutputError
        The folder is in use by another run, is a file, an output would replace an input,
        a file cannot be written (a full disk: the message names the space needed) or an
        old entry cannot be replaced (the message names it; nothing was changed).
    """
    out = real_path(out_dir)
    unchanged = f"Nothing was changed in {out}."
    with output_lock(out):
        clean_stale(out)
        if out.exists() and not out.is_dir():
            raise _a_file(out)
        refuse_inputs([out / name for name in files], inputs or {}, _FIX_CLASH)
        try:
            stage, info = _new_stage(out, list(files))
        except OSError as e:
            raise _cannot_write(_home(out), "the staging folder", e, unchanged) from e
        try:
            before = sum(folder_bytes(out / name) for name in files)
            for name, write in files.items():
                _staged(stage, name, functools.partial(write, stage / "new" / name), before,
                        unchanged)
            _staged(stage, _MARKER, functools.partial(
                _write_marker, stage, info | {"phase": "swapping"}), before, unchanged)
            _swap(stage, out, info)
            with contextlib.suppress(OSError):  # the outputs are in place
                _write_marker(stage, info | {"phase": "done"})
        except BaseException:
            # kept only when old entries could not be put back (the error says where)
            if not any((stage / "old").iterdir()):
                shutil.rmtree(stage, ignore_errors=True)
            raise
        shutil.rmtree(stage, ignore_errors=True)
    return [Path(out_dir) / name for name in files]


# --------------------------------------------------------------------------- stale runs


def _read_marker(stage: Path) -> dict[str, Any]:
    try:
        info = json.loads((stage / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _recover(stage: Path, out_dir: Path, info: Mapping[str, Any]) -> str:
    """Clean up after a dead run's staging folder; what was done, in words."""
    phase = info.get("phase")
    undone = phase == "swapping" and not info.get("fresh")
    if undone:
        _rollback(stage, out_dir, info.get("names", []))
    shutil.rmtree(stage)
    what = "undid its half-done swap and removed" if undone else "removed"
    return f"an interrupted run into {out_dir} ({_who(info)}): {what} its staging folder"


def _stages(out: Path) -> list[Path]:
    """The staging folders of ``out``, found by their exact names (never a pattern: a
    folder called ``out*`` or ``res[1]`` must not match another's)."""
    name = re.compile(rf"\.{re.escape(short_name(out.name))}\.staging-{_RANDOM}")
    homes = {_home(out), _existing_ancestor(out.parent)}  # a mount point's, then beside
    found = []
    for home in homes:
        with contextlib.suppress(OSError):
            found += [p for p in home.iterdir() if name.fullmatch(p.name) and p.is_dir()
                      and not p.is_symlink()]
    return sorted(found)


def clean_stale(out_dir: str | Path) -> list[str]:
    """Remove the staging folders that killed runs left beside ``out_dir``.

    A folder whose process is gone (same host) is removed, after undoing a swap it left
    half done; others (a live process, another host, no marker: e.g. from an older
    version) are left. Returns a sentence per folder, for the run summary.
    """
    out = real_path(out_dir)
    notes = []
    for stage in _stages(out):
        info = _read_marker(stage)
        if info.get("out_dir", str(out)) != str(out):
            continue  # another folder's: its name only looks like this one's
        if info and info.get("pid") == os.getpid() and info.get("host") == socket.gethostname():
            continue
        alive = _alive(info) if info else None
        if alive is False:
            try:
                notes.append(_recover(stage, out, info))
            except OSError as e:
                notes.append(f"could not clean up {stage} ({e}): the previous outputs may be "
                             f"in its 'old' folder; move them back into {out} and delete it")
        else:
            whose = _who(info) if info else "no marker: an older geo version or another tool"
            notes.append(f"{stage} was left by another run ({whose}) and is kept: delete it "
                         f"if no geo run is writing to {out}")
    for note in notes:
        log.warning(note)
    return notes


# --------------------------------------------------------------------------- preflight


def folder_bytes(path: str | Path) -> int:
    """Bytes of the files under ``path`` (0 when it does not exist)."""
    p = Path(path)
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else 0


def _a_file(out: Path) -> OutputError:
    return OutputError(Arg(OUT_DIR.func, OUT_DIR.name, str(out)), ": a file, not a folder: "
                       "name a folder")


def _existing_ancestor(p: Path) -> Path:
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def preflight(out_dir: str | Path, need_bytes: int | None = None,
              names: Sequence[str] = (), inputs: Mapping[str, Path | None] | None = None
              ) -> list[str]:
    """Check, before computing, that a run can write ``out_dir``.

    Checks that no other run holds the folder, that none of the ``names`` it will write
    would replace one of the ``inputs`` (role -> path), that the folder (or the nearest
    existing folder above it) is a writable folder, that entries the run will replace can be
    replaced (on Windows: not open in another program), and that the disk has
    ``need_bytes`` free (default: twice what the folder holds now, at least
    :data:`geo.settings.OUTPUT_MIN_FREE_BYTES`: staged files sit beside the old ones until
    the swap). Cleans up after killed runs (:func:`clean_stale`) and returns its notes.

    Raises
    ------
    geo.errors.OutputError
        Naming the problem and the fix.
    """
    name_fits(out_dir, _FIX_CLASH)
    out = real_path(out_dir)
    if out.exists() and not out.is_dir():
        raise _a_file(out)
    refuse_inputs([*(out / name for name in names), _lock_path(out)], inputs or {},
                  _FIX_CLASH)
    base = _home(out)  # where the staging folder and the lock go
    _probe(base, out)
    with output_lock(out):
        notes = clean_stale(out)
        if os.name == "nt":
            _check_replaceable(out, names)
    old = sum(folder_bytes(out / n) for n in names) if names else folder_bytes(out)
    need = need_bytes if need_bytes is not None else max(
        2 * old, settings.OUTPUT_MIN_FREE_BYTES)
    free = shutil.disk_usage(base).free
    if free < need:
        raise OutputError(f"{base} has {free / 1e6:,.0f} MB free, the outputs need about "
                          f"{need / 1e6:,.0f} MB: free some space, ", *_FIX_OTHER)
    return notes


def _probe(base: Path, out: Path) -> None:
    """Create and remove a file in ``base`` (and in ``out`` when it exists: old entries
    are renamed out of it)."""
    for folder in {base, out} if out.is_dir() else {base}:
        try:
            fd, name = tempfile.mkstemp(prefix=".geo-probe-", dir=folder)
            os.close(fd)
            Path(name).unlink()
        except OSError as e:
            raise _cannot_write(folder, "a file", e) from e


def _check_replaceable(out: Path, names: Sequence[str]) -> None:
    for name in names:
        p = out / name
        if p.is_file():
            try:
                with p.open("r+b"):
                    pass
            except OSError as e:
                raise OutputError(f"{p} cannot be replaced ({e.strerror}): is it open in "
                                  "another program (Excel)? Close it, ", *_FIX_OTHER) from e
