"""The files a command reads and writes: an input is an ordinary file that can be read and
holds data; an output never replaces an input.

:func:`input_file` is called before any reader opens a path: a missing file, a folder, a
named pipe (FIFO), socket or device (reading a pipe would wait for ever), a file this user
may not read, and a file whose start is nothing but zero bytes (an unfinished copy or
download, a sparse file: readers would take gigabytes of memory before failing) each stop
with a message naming the file and the fix. :func:`refuse_inputs` is called before a
command writes: an output path that is an input, holds one (a folder the command replaces)
or lies inside an input folder stops the command, whatever way the paths are spelt
(relative, through symbolic links, hard links).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from geo.errors import InputFileError, OutputError, Part

__all__ = ["SNIFF_BYTES", "exists", "input_file", "input_paths", "is_dir", "lexists",
           "name_fits", "real_path", "refuse_inputs", "size_text", "too_long"]

#: bytes read from the start of an input to tell data from zero bytes
SNIFF_BYTES = 64 * 1024

#: formats whose last bytes are never all zero (text; zip archives end in their
#: directory): 64 kB of zero bytes at the end is a copy or download cut short
_TAIL_CHECKED = (".csv", ".tsv", ".txt", ".json", ".geojson", ".toml", ".osm", ".xml", ".kml",
                 ".xlsx", ".xlsm", ".npz", ".zip", ".kmz")
#: files that travel with a Shapefile (its attributes, index, projection, encoding)
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".sbn", ".sbx", ".qix", ".fix",
                    ".shp.xml", ".aux.xml")


def size_text(n: float) -> str:
    """Bytes as a short text (kB, MB, GB)."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not an ordinary file"


def input_file(path: str | os.PathLike[str], what: str, fix: str, *,
               folders: tuple[str, ...] = (), max_bytes: int | None = None) -> Path:
    """``path`` as a :class:`~pathlib.Path`, once it is known to name a readable file.

    ``what`` names the file in messages (e.g. "facility file"), ``fix`` says what to do
    when it does not exist. Folders are refused unless their suffix is in ``folders``
    (e.g. ``.gdb``); ``max_bytes`` refuses bigger files (a study file of 2 GB is no study
    file).

    Raises
    ------
    geo.errors.InputFileError
        The path is missing, a folder, a pipe, socket or device, unreadable, bigger than
        ``max_bytes``, or starts with nothing but zero bytes.
    """
    p = Path(path)
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        where = "" if p.is_absolute() else f" (looked for {p.absolute()})"
        raise InputFileError(f"{what} not found: {p}{where}; {fix}") from None
    except OSError as e:  # a link loop, a name too long, a folder above it unreadable
        raise InputFileError(f"{what} {p} cannot be opened ({e.strerror}): check the path and "
                             "the permissions of the folders above it") from e
    if stat.S_ISDIR(st.st_mode):
        if p.suffix.lower() in folders:
            return p
        inside = sorted(q.name for q in p.iterdir() if q.is_file())[:5] if os.access(
            p, os.R_OK | os.X_OK) else []
        listing = f" (it holds {', '.join(inside)}{', ...' if len(inside) == 5 else ''})" \
            if inside else ""
        raise InputFileError(f"{what} {p} is a folder, not a file{listing}: name the file "
                             "itself")
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(f"{what} {p} is {_kind(st.st_mode)}, not a file: geo reads "
                             "ordinary files only (it would wait for ever on a pipe); save "
                             "the data to a file and name that")
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputFileError(f"{what} {p} is {size_text(st.st_size)}, more than such a file "
                             f"ever holds ({size_text(max_bytes)}): is it the right file?")
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
            tail = b""
            if p.suffix.lower() in _TAIL_CHECKED and st.st_size > 2 * SNIFF_BYTES:
                fh.seek(-SNIFF_BYTES, os.SEEK_END)
                tail = fh.read(SNIFF_BYTES)
    except OSError as e:
        raise InputFileError(f"{what} {p} cannot be read ({e.strerror}): give your user "
                             "read permission on it (chmod u+r FILE; on Windows the file's "
                             "Properties > Security), or copy it to a folder you own") from e
    if head and not head.strip(b"\0"):
        sparse = (", almost none of it on disk: a sparse file"
                  if st.st_blocks * 512 < st.st_size // 8 else "") \
            if hasattr(st, "st_blocks") else ""
        raise InputFileError(
            f"{what} {p} holds nothing but zero bytes in its first "
            f"{size_text(len(head))} ({size_text(st.st_size)} in all{sparse}): it is no "
            "data file: an unfinished copy or download? Copy it again from its source")
    if tail and not tail.strip(b"\0"):
        raise InputFileError(
            f"{what} {p} ends in {size_text(len(tail))} of nothing but zero bytes "
            f"({size_text(st.st_size)} in all): its end is missing, an unfinished copy or "
            "download? Copy it again from its source")
    return p


def input_paths(path: str | os.PathLike[str]) -> list[Path]:
    """``path`` and, for a Shapefile, the files that travel with it (same name, another
    extension): an output replacing any of them breaks the input."""
    p = Path(path)
    if p.suffix.lower() != ".shp":
        return [p]
    stem = p.name[: -len(p.suffix)].lower()
    try:
        siblings = list(p.parent.iterdir())
    except OSError:
        return [p]
    return [p, *(q for q in siblings if q != p and q.name.lower().startswith(stem + ".")
                 and q.name[len(stem):].lower() in _SHAPEFILE_PARTS)]


def exists(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` exists (following links); False where asking fails (a name too
    long, a link loop), as :func:`os.path.exists` says."""
    try:
        return Path(path).exists()
    except OSError:
        return False


def lexists(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is there, a broken or looping link too (then opening it says what
    is wrong); False where asking fails (a name too long)."""
    try:
        return Path(path).is_symlink() or Path(path).exists()
    except OSError:
        return False


def is_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder; False where asking fails (a name too long)."""
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def _name_max(p: Path) -> int:
    while not is_dir(p) and p != p.parent:
        p = p.parent
    try:
        return os.pathconf(p, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf on Windows
        return 255


def too_long(path: str | os.PathLike[str]) -> str | None:
    """What is too long in ``path`` for its file system, in words, or None: a name of
    more than 255 bytes on most (85 Chinese characters; a Chinese character takes 3)."""
    p = Path(path).absolute()
    limit = _name_max(p)
    for part in p.parts:
        size = len(os.fsencode(part))
        if size > limit:
            short = part if len(part) <= 40 else f"{part[:20]}...{part[-12:]}"
            return (f"the name {short} is {size} bytes, more than the file system allows "
                    f"({limit} bytes; a Chinese character takes 3)")
    return None


def name_fits(path: str | os.PathLike[str], fix: str | Sequence[Part]) -> None:
    """Stop when a name in the output ``path`` is longer than its file system allows
    (:func:`too_long`), before anything is made.

    Raises
    ------
    geo.errors.OutputError
        Naming the name, its length and the limit, and ``fix``.
    """
    why = too_long(path)
    if why is not None:
        raise OutputError(f"cannot write {Path(path).name[:40]}: {why}: choose a shorter name, "
                          "or ", *((fix,) if isinstance(fix, str) else fix))


def real_path(path: str | os.PathLike[str]) -> Path:
    """``path`` absolute, with every link followed as far as they lead (a link loop, which
    :meth:`pathlib.Path.resolve` raises on, is left as it is: opening it then says so)."""
    return Path(os.path.realpath(path))


def _real(p: Path) -> Path:
    return Path(os.path.normcase(real_path(p)))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _under(inner: Path, outer: Path) -> bool:
    return inner != outer and inner.is_relative_to(outer)


def refuse_inputs(outputs: Iterable[str | os.PathLike[str]],
                  inputs: Mapping[str, str | os.PathLike[str] | None],
                  fix: str | Sequence[Part]) -> None:
    """Stop before writing when an output would replace or remove an input.

    ``outputs`` are the paths a command creates or replaces (a folder with everything in
    it); ``inputs`` the files (or input folders) it reads, by role ("facilities", "study
    file", ...; ``None`` values are skipped). An output clashes with an input that it is
    (compared after following links; hard links too), that lies inside it, or that holds it
    (an input folder). ``fix`` ends the message (e.g. "write to another folder with
    --out"; or parts naming the parameter, :class:`geo.errors.Arg`).

    Raises
    ------
    geo.errors.OutputError
        Naming the output, the input and its role, and ``fix``.
    """
    parts: Sequence[Part] = (fix,) if isinstance(fix, str) else fix
    outputs = list(outputs)
    for out in outputs:
        name_fits(out, parts)
    named = [(role, q) for role, p in inputs.items() if p is not None
             for q in input_paths(p)]
    for out in map(Path, outputs):
        real_out = _real(out)
        for role, q in named:
            real_in = _real(q)
            if real_out == real_in or (exists(out) and _same(out, q)):
                same = os.path.normpath(out.absolute()) == os.path.normpath(q.absolute())
                how = "is" if same else "is the same file as"  # through a link
                raise OutputError(f"the output {out} {how} the {role} input {q}: writing it "
                                  "would destroy the input; ", *parts)
            if _under(real_in, real_out):
                raise OutputError(f"the output {out} would replace a folder that holds the "
                                  f"{role} input {q}; ", *parts)
            if is_dir(q) and _under(real_out, real_in):
                raise OutputError(f"the output {out} lies inside the {role} input {q} (a "
                                  "folder geo reads); ", *parts)
