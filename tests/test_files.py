"""Inputs and outputs at the file level (geo._files, geo.options, geo._atomic): what an input
may be, when an output is an input, TOML as editors save it, and single files written
atomically (a full disk for real on a tmpfs where root may mount one; a killed write's
temporary file removed by the next)."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo import settings
from geo._atomic import atomic_path, disk_full, host_tag, write_error
from geo._files import input_file, input_paths, refuse_inputs
from geo.errors import InputFileError, OutputError, StudyError
from geo.options import read_toml

FIX = "name another file with --out"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --------------------------------------------------------------------------- inputs


def test_an_input_must_be_an_ordinary_readable_file_with_data(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"facility file not found: .*none.csv; check"):
        input_file(tmp_path / "none.csv", "facility file", "check it")
    folder = tmp_path / "设施"
    folder.mkdir()
    (folder / "a.csv").write_text("x")
    with pytest.raises(InputFileError, match=r"is a folder, not a file \(it holds a.csv\)"):
        input_file(folder, "facility file", "")
    gdb = tmp_path / "roads.gdb"
    gdb.mkdir()
    assert input_file(gdb, "road source", "", folders=(".gdb",)) == gdb
    pipe = tmp_path / "pipe.csv"
    os.mkfifo(pipe)
    with pytest.raises(InputFileError, match=r"is a named pipe \(FIFO\), not a file"):
        input_file(pipe, "facility file", "")  # returns at once: never opened
    with pytest.raises(InputFileError, match="is a device, not a file"):
        input_file("/dev/null", "study file", "")
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(InputFileError, match="cannot be opened"):
        input_file(loop, "facility file", "")


def test_a_file_of_zero_bytes_at_its_start_is_refused_unread(tmp_path: Path) -> None:
    giant = tmp_path / "facilities.csv"
    with giant.open("wb") as fh:
        fh.truncate(3 * 1024**3)  # 3 GiB of holes
    with pytest.raises(InputFileError, match=r"nothing but zero bytes in its first 65.5 kB "
                       r"\(3.2 GB in all, almost none of it on disk: a sparse file\)"):
        input_file(giant, "facility file", "")
    small = tmp_path / "zeros.csv"
    small.write_bytes(b"\0" * 100)  # not sparse: no such note
    with pytest.raises(InputFileError, match=r"first 100 bytes \(100 bytes in all\): it is"):
        input_file(small, "facility file", "")
    cut = tmp_path / "cut.csv"  # a download that stopped: its data, then holes
    cut.write_bytes(b"id,lon,lat\n" + b"F1,109.8,24.5\n" * 10_000)
    with cut.open("r+b") as fh:
        fh.truncate(1024**3)
    with pytest.raises(InputFileError, match=r"ends in 65.5 kB of nothing but zero bytes "
                       r"\(1.1 GB in all\): its end is missing"):
        input_file(cut, "facility file", "")
    (tmp_path / "utf16.txt").write_bytes("名称\t经度\n".encode("utf-16"))  # NULs, and text
    assert input_file(tmp_path / "utf16.txt", "table", "")
    (tmp_path / "empty.csv").write_bytes(b"")  # the readers say what is wrong with it
    assert input_file(tmp_path / "empty.csv", "table", "")


def test_a_file_bigger_than_its_kind_ever_is_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "study.toml"
    p.write_text("[study]\nname = 'x'\n" + "#" * 200)
    with pytest.raises(InputFileError, match=r"is 219 bytes, more than such a file ever "
                       r"holds \(100 bytes\)"):
        input_file(p, "study file", "", max_bytes=100)


def test_toml_as_windows_editors_save_it(tmp_path: Path) -> None:
    text = "[study]\nname = '示例'\n"
    for name, data in (("bom.toml", codecs.BOM_UTF8 + text.encode()),
                       ("utf16.toml", text.encode("utf-16")),
                       ("utf16be.toml", codecs.BOM_UTF16_BE + text.encode("utf-16-be"))):
        (tmp_path / name).write_bytes(data)
        assert read_toml(tmp_path / name, "study file", StudyError) == {
            "study": {"name": "示例"}}
    (tmp_path / "gbk.toml").write_bytes(text.encode("gbk"))
    with pytest.raises(StudyError, match=r"not valid TOML \(UTF-8\).*save it as UTF-8"):
        read_toml(tmp_path / "gbk.toml", "study file", StudyError)
    (tmp_path / "deep.toml").write_text("a = " + "[" * 2000 + "]" * 2000)
    with pytest.raises(StudyError, match="nested too deeply"):
        read_toml(tmp_path / "deep.toml", "study file", StudyError)


# --------------------------------------------------------------------------- outputs


def test_an_output_that_is_an_input_however_spelt_is_refused(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    fac = tmp_path / "data" / "facilities.csv"
    fac.parent.mkdir()
    fac.write_text("id\n")
    inputs = {"facilities": fac, "population": None}
    monkeypatch.chdir(tmp_path)
    for out in (fac, Path("data/facilities.csv"), Path("data/../data/facilities.csv")):
        with pytest.raises(OutputError, match=f"is the facilities input .*{FIX}"):
            refuse_inputs([out], inputs, FIX)
    (tmp_path / "link.html").symlink_to(fac)
    os.link(fac, tmp_path / "hard.html")
    for out in (tmp_path / "link.html", tmp_path / "hard.html"):
        with pytest.raises(OutputError, match="is the same file as the facilities input"):
            refuse_inputs([out], inputs, FIX)
    with pytest.raises(OutputError, match="would replace a folder that holds the facilities"):
        refuse_inputs([tmp_path / "data"], inputs, FIX)
    refuse_inputs([tmp_path / "data" / "coverage.csv", tmp_path / "other"], inputs, FIX)


def test_a_shapefile_is_its_parts_and_an_input_folder_is_its_contents(tmp_path: Path) -> None:
    for ext in (".shp", ".shx", ".DBF", ".prj", ".cpg", ".shp.xml"):
        (tmp_path / f"乡镇{ext}").write_bytes(b"x")
    (tmp_path / "乡镇2.dbf").write_bytes(b"x")  # another layer's
    parts = sorted(p.name for p in input_paths(tmp_path / "乡镇.shp"))
    assert parts == sorted(["乡镇.shp", "乡镇.shx", "乡镇.DBF", "乡镇.prj", "乡镇.cpg",
                            "乡镇.shp.xml"])
    with pytest.raises(OutputError, match=r"乡镇.DBF is the township_boundaries input"):
        refuse_inputs([tmp_path / "乡镇.DBF"], {"township_boundaries": tmp_path / "乡镇.shp"},
                      FIX)
    gdb = tmp_path / "roads.gdb"
    gdb.mkdir()
    with pytest.raises(OutputError, match="lies inside the roads input"):
        refuse_inputs([gdb / "out.html"], {"roads": gdb}, FIX)


def test_atomic_path_removes_what_a_killed_write_left_and_no_other(tmp_path: Path) -> None:
    dst = tmp_path / "net.npz"
    dead = tmp_path / f".net.npz.{_dead_pid()}@{host_tag()}.abcd1234.npz"
    journal = tmp_path / f".net.npz.{_dead_pid()}@{host_tag()}.efgh5678.npz-journal"
    live = tmp_path / f".net.npz.{os.getppid()}@{host_tag()}.ijkl9012.npz"  # a live process
    elsewhere = tmp_path / f".net.npz.{_dead_pid()}@00000000.mnop3456.npz"  # another host
    other = tmp_path / f".map.html.{_dead_pid()}@{host_tag()}.qrst7890.npz"  # another file
    for p in (dead, journal, live, elsewhere, other):
        p.write_bytes(b"half")
    with atomic_path(dst, ".npz") as tmp:
        assert tmp.name.startswith(f".net.npz.{os.getpid()}@{host_tag()}.")
        tmp.write_bytes(b"new")
    assert dst.read_bytes() == b"new"
    assert not dead.exists() and not journal.exists()
    assert live.exists() and elsewhere.exists() and other.exists()


def test_a_file_name_near_the_file_systems_limit(tmp_path: Path) -> None:
    """80 Chinese characters and .html are 245 of the 255 bytes a name may have: the
    temporary name (a dot, the name, the process, the host, a suffix) must not pass it,
    and what a killed write left under that name is still found."""
    dst = tmp_path / ("鹿寨县卫生院覆盖分析" * 8 + ".html")
    with atomic_path(dst, ".html") as tmp:
        assert len(tmp.name.encode()) <= 255
        dead = tmp.with_name(tmp.name.replace(f".{os.getpid()}@", f".{_dead_pid()}@"))
        tmp.write_text("first")
    dead.write_text("half")
    with atomic_path(dst, ".html") as tmp:
        tmp.write_text("second")
    assert dst.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == [dst.name]


def test_a_failed_write_is_one_message_and_the_file_stays(tmp_path: Path) -> None:
    dst = tmp_path / "map.html"
    dst.write_text("earlier")
    with pytest.raises(OutputError, match=r"could not write map.html in .* \(Permission "
                       r"denied\).*another folder \(atomic_path\(target=\.\.\.\)\)\. "
                       r".*map.html is as it was"), \
            atomic_path(dst, ".tmp") as tmp:
        tmp.write_text("half")
        raise PermissionError(13, "Permission denied")
    with pytest.raises(KeyError), atomic_path(dst, ".tmp") as tmp:  # a bug shows as one
        tmp.write_text("half")
        raise KeyError("x")
    assert dst.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_a_full_disk_is_told_by_its_errno_its_words_or_its_free_space(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert disk_full(tmp_path, OSError(28, "No space left on device"))
    assert disk_full(tmp_path, RuntimeError("sqlite3: database or disk is full"))
    assert not disk_full(tmp_path, RuntimeError("no such table: gpkg_contents"))
    err = write_error(tmp_path, "results.gpkg", OSError(28, "No space left on device"),
                      written=3_000_000, before=10_000_000, unchanged="Nothing was changed.")
    assert err is not None and str(err).startswith(
        f"could not write results.gpkg: the disk holding {tmp_path} is full (No space left "
        "on device; ")
    assert str(err).endswith("free at least 10.0 MB there (it filled after 3.0 MB of "
                             "outputs), or write to another disk (atomic_path(target=...)). "
                             "Nothing was changed.")
    monkeypatch.setattr(settings, "DISK_FULL_BYTES", 1 << 62)  # as if nothing were free
    assert disk_full(tmp_path, RuntimeError("no such table: gpkg_contents"))


def _tmpfs(path: Path, options: str) -> Path:
    path.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                                            str(path)], capture_output=True).returncode:
        pytest.skip("needs root to mount a tmpfs")
    return path


def test_a_disk_that_fills_for_real(tmp_path: Path) -> None:
    mnt = _tmpfs(tmp_path / "tiny", "size=64k")
    try:
        dst = mnt / "big.bin"
        dst.write_bytes(b"earlier")
        with pytest.raises(OutputError, match=r"could not write big.bin: the disk holding "
                           r".*tiny is full \(No space left on device; 0 bytes free\): free "
                           r"at least 1.0 MB there"), atomic_path(dst, ".bin") as tmp:
            tmp.write_bytes(b"x" * 200_000)
        assert dst.read_bytes() == b"earlier"
        assert [p.name for p in mnt.iterdir()] == ["big.bin"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
