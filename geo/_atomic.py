"""Write one file atomically: into a temporary name beside it, then rename over it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.errors import Arg, OutputError

__all__ = ["TARGET", "atomic_path"]


@contextmanager
def atomic_path(target: str | Path, suffix: str) -> Iterator[Path]:
    """Yield a fresh path (not yet existing) in ``target``'s folder, ending in ``suffix``.

    When the block ends normally the file written there replaces ``target`` (``os.replace``:
    atomic on one file system); on any error it is removed and ``target`` stays as it was.
    The folder is created if needed. A folder that cannot be written raises
    :class:`~geo.errors.OutputError`.
    """
    dst = Path(target)
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=suffix, dir=dst.parent)
    except OSError as e:  # a read-only folder, a file where a folder should be
        raise _unwritable(dst, e) from e
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL's GPKG driver want to create the file themselves
    try:
        yield tmp
        try:
            tmp.replace(dst)
        except OSError as e:  # dst is a folder, or immutable
            raise _unwritable(dst, e) from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: the file the writer was given; each public writer names its own parameter
#: (:func:`geo.errors.given_as`)
TARGET = Arg("atomic_path", "target")


def _unwritable(dst: Path, e: OSError) -> OutputError:
    return OutputError(f"cannot write {dst} ({e.strerror or e}): choose a file in a folder "
                       "you can write to (", TARGET, f"); {dst} is as it was")
