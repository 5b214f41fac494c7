"""Write one file atomically: into a temporary name beside it, then rename over it.

The temporary name says which process made it (``.NAME.PID@HOST.XXXXXXXX.SUFFIX``), so a
later write of the same file removes what a killed one left (:func:`atomic_path`). A
failed write becomes one :class:`~geo.errors.OutputError` (:func:`write_error`): a full disk
names the folder, the free space and the space needed; any other ``OSError`` names the
file and what was wrong.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from geo import settings
from geo._files import name_fits, size_text
from geo.errors import Arg, GeoError, OutputError, Part

__all__ = ["TARGET", "atomic_path", "disk_full", "host_tag", "pid_alive", "short_name",
           "write_error"]

log = logging.getLogger(__name__)

#: the file the writer was given; each public writer names its own parameter
#: (:func:`geo.errors.given_as`)
TARGET = Arg("atomic_path", "target")

#: what GDAL, SQLite and zip writers say when a disk fills (they do not always raise ENOSPC)
_FULL_WORDS = ("no space left", "disk is full", "disk full", "database or disk is full",
               "not enough space", "quota exceeded")
#: what SQLite (GeoPackage) leaves beside a file it writes
_SIDECARS = ("-journal", "-wal", "-shm")


def short_name(name: str) -> str:
    """Return ``name`` as temporary names, staging folders and locks use it.

    A name so long that the added parts would pass the file system's 255 bytes (78
    Chinese characters already take 234) is replaced by its digest.
    """
    if len(name.encode("utf-8")) <= 200:
        return name
    return "geo-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]


def host_tag() -> str:
    """Eight hex digits naming this computer (temporary names on a shared disk)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this computer."""
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there
        import ctypes

        k32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        handle = k32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        k32.GetExitCodeProcess(handle, ctypes.byref(code))
        k32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free(folder: Path) -> int | None:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _room(folder: Path) -> str:
    """The free space of ``folder``'s disk in words (and when it holds no more files)."""
    free = _free(folder)
    if free is None:
        return "free space unknown"
    if _no_inodes(folder):
        return f"{size_text(free)} free but no room for another file"
    return f"{size_text(free)} free"


def disk_full(folder: Path, exc: BaseException) -> bool:
    """Whether ``exc``, raised while writing in ``folder``, comes from a full disk: its
    errno (ENOSPC, EDQUOT) or words, or the disk has less than
    :data:`geo.settings.DISK_FULL_BYTES` left (measured before partial files are removed:
    GDAL's GeoPackage writer reports a full disk as a failed SQL statement)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(w in str(seen).lower() for w in _FULL_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    free = _free(folder)
    return free is not None and (free < settings.DISK_FULL_BYTES or _no_inodes(folder))


def _no_inodes(folder: Path) -> bool:
    with suppress(OSError, AttributeError):  # no statvfs on Windows
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        v = os.statvfs(folder)
        return v.f_files > 0 and v.f_favail == 0
    return False


def write_error(folder: Path, what: str, exc: BaseException, *, written: int = 0,
                before: int = 0, unchanged: str = "", out: Arg | None = None
                ) -> OutputError | None:
    """The one message for a write that failed in ``folder`` (call it before removing the
    partial files): a full disk names the free space and the space needed (at least twice
    the ``written`` bytes the write had reached, and the ``before`` bytes of the outputs
    it replaces); another ``OSError`` its reason. ``None`` for other errors (a bug: let it
    show). ``unchanged`` says what stayed as it was; ``out`` is the parameter that named
    the output (:data:`TARGET` unless given)."""
    named: Part = out or TARGET
    if isinstance(exc, GeoError):
        return None
    tail = f" {unchanged}" if unchanged else ""
    if disk_full(folder, exc):
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "disk full"
        need = max(2 * written, before, settings.DISK_FULL_BYTES)
        return OutputError(f"could not write {what}: the disk holding {folder} is full "
                           f"({why}; {_room(folder)}): free at least {size_text(need)} there "
                           f"(it filled after {size_text(written)} of outputs), or write to "
                           "another disk (", named, f").{tail}")
    if isinstance(exc, OSError):
        why = exc.strerror or str(exc)
        return OutputError(f"could not write {what} in {folder} ({why}): check that the "
                           "folder can be written, or write to another folder (", named,
                           f").{tail}")
    return None


def _leftovers(dst: Path, suffix: str) -> Iterator[Path]:
    """Temporary files of ``dst`` that a process of this computer, now gone, left."""
    pattern = re.compile(rf"\.{re.escape(short_name(dst.name))}\.(\d+)@{host_tag()}\."
                         rf"[a-z0-9_]{{8}}{re.escape(suffix)}({'|'.join(_SIDECARS)})?")
    with suppress(OSError):
        for p in dst.parent.iterdir():
            m = pattern.fullmatch(p.name)
            if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
                yield p


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


@contextmanager
def atomic_path(target: str | Path, suffix: str) -> Iterator[Path]:
    """Yield a fresh path (not yet existing) in ``target``'s folder, ending in ``suffix``.

    When the block ends normally the file written there replaces ``target`` (``os.replace``:
    atomic on one file system); on any error it is removed and ``target`` stays as it was.
    The folder is created if needed; temporary files a killed write of ``target`` left are
    removed first. A folder that cannot be written, a full disk or any ``OSError`` while
    writing raises :class:`~geo.errors.OutputError`.
    """
    dst = Path(target)
    name_fits(dst, ("name another file (", TARGET, ")"))
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        for old in _leftovers(dst, suffix):
            old.unlink(missing_ok=True)
            log.warning("removed %s, left by an interrupted write of %s", old, dst)
        fd, name = tempfile.mkstemp(
            prefix=f".{short_name(dst.name)}.{os.getpid()}@{host_tag()}.", suffix=suffix,
            dir=dst.parent)
    except OSError as e:  # a read-only folder, a file where a folder should be, a full disk
        full = write_error(dst.parent, dst.name, e, before=_size(dst),
                           unchanged=f"{dst} is as it was.") if disk_full(dst.parent, e) else None
        raise (full or _unwritable(dst, e)) from e
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL's GPKG driver want to create the file themselves
    try:
        try:
            yield tmp
        except Exception as e:
            err = write_error(dst.parent, dst.name, e, written=_size(tmp), before=_size(dst),
                              unchanged=f"{dst} is as it was.")
            if err is None:
                raise
            raise err from e
        try:
            tmp.replace(dst)
        except OSError as e:  # dst is a folder, or immutable
            raise _unwritable(dst, e) from e
    except BaseException:
        for part in (tmp, *(tmp.with_name(tmp.name + s) for s in _SIDECARS)):
            part.unlink(missing_ok=True)
        raise


def _unwritable(dst: Path, e: OSError) -> OutputError:
    return OutputError(f"cannot write {dst} ({e.strerror or e}): choose a file in a folder "
                       "you can write to (", TARGET, f"); {dst} is as it was")
