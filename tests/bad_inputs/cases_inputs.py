"""Input files that are no ordinary file of data (issue 20): named pipes (reading one waits
for ever), sparse giants (gigabytes of zero bytes: readers took 12.8 GB before failing),
folders, files nobody may read, link loops; study files as Windows editors save them (a
byte-order mark, UTF-16) and TOML nested too deeply to parse; township files whose name
column is called ``township``. Each must answer at once with one message, or run.

Commands that could hang run in their own process with a time limit (``_within``): a hang
is a failed case, never a stuck test run.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest

from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    csv_table,
    geo_process,
    run_in_process,
    run_summary,
)

CAT = "input files"
RUN = ("run", "{study}", "--out", "{out}")
CHECK = ("check", "{study}")
#: seconds a command that must not hang gets (it answers in a few)
LIMIT_S = 240
GIANT = 2 * 1024**3  # 2 GiB of zero bytes, as a truncated copy or `truncate -s 2G` leaves


def _within(seconds: float = LIMIT_S) -> Callable[[Workspace, list[str]], Result]:
    """Run ``geo`` in its own process, killed after ``seconds`` (then the case fails)."""
    def run(ws: Workspace, argv: list[str]) -> Result:
        proc = geo_process(argv)
        try:
            out, err = proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return Result(-9, out, f"{err}\nhung: no answer in {seconds:g} s")
        return Result(proc.returncode, out, err)
    return run


def _fifo(name: str, option: tuple[str, str] | None = None):  # type: ignore[no-untyped-def]
    """``name`` in the county replaced by a named pipe (nothing ever writes to it)."""
    def edit(ws: Workspace) -> None:
        p = ws.path(name)
        p.unlink(missing_ok=True)
        os.mkfifo(p)
        if option is not None:
            ws.set(*option, name)
    return edit


def _giant(name: str, option: tuple[str, str] | None = None):  # type: ignore[no-untyped-def]
    """``name`` replaced by a 2 GiB sparse file (zero bytes, almost no room on disk)."""
    def edit(ws: Workspace) -> None:
        p = ws.path(name)
        p.unlink(missing_ok=True)
        with p.open("wb") as fh:
            fh.truncate(GIANT)
        if option is not None:
            ws.set(*option, name)
    return edit


def _folder(name: str, option: tuple[str, str]):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        (ws.path(name)).mkdir()
        (ws.path(name) / "设施.csv").write_text("id\n", encoding="utf-8")
        ws.set(*option, name)
    return edit


def _loop(ws: Workspace) -> None:
    """facilities.csv a link to itself (a copy tool gone wrong)."""
    ws.path("loop.csv").symlink_to("loop.csv")
    ws.set("facilities", "path", "loop.csv")


def _unreadable(ws: Workspace, argv: list[str]) -> Result:
    """The facility file readable by nobody: root reads anything, so as root the county is
    copied where the user ``nobody`` may read it and ``geo check`` runs as nobody."""
    if os.geteuid() != 0:
        ws.path("facilities.csv").chmod(0)
        ws.undo.append(["chmod", "644", str(ws.path("facilities.csv"))])
        return run_in_process(argv)
    if shutil.which("setpriv") is None:
        pytest.skip("as root, needs setpriv to run geo as another user")
    shared = Path(tempfile.mkdtemp(prefix="geo-nobody-"))
    ws.undo.append(["rm", "-rf", str(shared)])
    shutil.copytree(ws.county, shared / "county")
    for p in [shared, *shared.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    shared.chmod(0o777)  # matplotlib's cache (MPLCONFIGDIR)
    (shared / "county" / "facilities.csv").chmod(0)
    code = "import sys; from geo.cli.main import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "HOME": str(shared), "MPLCONFIGDIR": str(shared)}
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
         "-c", code, "check", str(shared / "county" / "study.toml")],
        capture_output=True, text=True, env=env, timeout=LIMIT_S, cwd=shared)
    return Result(done.returncode, done.stdout, done.stderr)


def _saved_as(name: str, encode: Callable[[str], bytes]):  # type: ignore[no-untyped-def]
    """The study file written with ``encode`` (as a Windows editor saves it), as is."""
    def edit(ws: Workspace) -> None:
        ws.write_study()
        ws.path(name).write_bytes(encode(ws.study.read_text(encoding="utf-8")))
        ws.options = {}
    return edit


def _then_read(ws: Workspace, r: Result) -> None:
    assert "示例县" in run_summary(ws.out)


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def _deep_study(ws: Workspace) -> None:
    ws.raw_study = f"nested = {_deep(900)}\n"


def _deep_standards(ws: Workspace) -> None:
    ws.path("standards_deep.toml").write_text(f"x = {_deep(900)}\n", encoding="utf-8")
    ws.set("standards", "file", "standards_deep.toml")


def _deep_scenario(ws: Workspace) -> None:
    ws.scenario(f"[scenario]\nname = 'x'\nnested = {_deep(900)}\n", "deep.toml")


def _township_named(columns: dict[str, str], name_col: str,
                    english: bool = False):  # type: ignore[no-untyped-def]
    """The township polygons with their name column renamed (``columns``), and an English
    name column called township beside the Chinese one when ``english``."""
    def edit(ws: Workspace) -> None:
        gdf = gpd.read_file(ws.path("乡镇界线.shp"), encoding="gbk").rename(columns=columns)
        if english:
            gdf["township"] = [f"Town {i + 1}" for i in range(len(gdf))]
        gdf.to_file(ws.path("乡镇.gpkg"))
        ws.set("townships", "boundaries", "乡镇.gpkg")
        ws.set("townships", "name_col", name_col)
    return edit


def _then_chinese_names(ws: Workspace, r: Result) -> None:
    names = set(csv_table(ws.out / "coverage_by_township.csv")["township"])
    assert {"中和镇", "东山镇", "南岭镇", "西河乡", "北坡乡", "新民乡"} <= names, names


def _then_init_skips(ws: Workspace, r: Result) -> None:
    assert "is a named pipe (FIFO)" in r.out and "设施.csv" in r.out, r.out
    assert "nothing but zero bytes" in r.out and "人口普查.csv" in r.out, r.out
    assert (ws.county / "新研究.toml").is_file()


def _init_folder(ws: Workspace) -> None:
    """A county folder as delivered, with a pipe and a sparse giant among its files."""
    os.mkfifo(ws.path("设施.csv"))
    with ws.path("人口普查.csv").open("wb") as fh:
        fh.truncate(GIANT)


#: a name of 90 Chinese characters: 270 bytes, more than the 255 a file system allows
#: (asking about such a path raised OSError: File name too long)
LONG = "鹿寨县" * 30
TOO_LONG = ("is 27", "more than the file system allows (255 bytes")

NOT_A_FILE = ("geo reads ordinary files only",)
ZEROS = ("nothing but zero bytes", "sparse file")
AGAIN = ("Copy it again from its source",)

CASES = [
    Case("in_fifo_facilities", CAT, "the facility file is a named pipe (FIFO): it answered "
         "never", RUN, _fifo("facilities.csv"), problem=("named pipe (FIFO)",
                                                          "facilities.csv"),
         fix=("save the data to a file",), runner=_within()),
    Case("in_fifo_study", CAT, "the study file is a named pipe", ("run", "{county}/管道.toml",
         "--out", "{out}"), _fifo("管道.toml"), problem=("named pipe (FIFO)", "管道.toml"),
         fix=NOT_A_FILE, runner=_within()),
    Case("in_fifo_census", CAT, "geo check with the census table a named pipe: a ✗ line, "
         "the other checks made", CHECK, _fifo("第七次人口普查_乡镇.csv"),
         problem=("✗ population", "named pipe (FIFO)"), fix=NOT_A_FILE, runner=_within(),
         stream="stdout", writes=False),
    Case("in_fifo_roads", CAT, "the network cache is a named pipe", RUN, _fifo("roads.npz"),
         problem=("road source", "named pipe (FIFO)"), fix=NOT_A_FILE, runner=_within()),
    Case("in_fifo_scenario", CAT, "geo compare with a scenario file that is a named pipe",
         ("compare", "{run}", "--scenario", "{county}/管道.toml", "--out", "{out}"),
         _fifo("管道.toml"), problem=("scenario file", "named pipe (FIFO)"), fix=NOT_A_FILE,
         runner=_within()),
    Case("in_init_pipe_and_giant", CAT, "geo init on a folder holding a named pipe and a "
         "2 GiB sparse file named like inputs: both skipped, with why, and the study written",
         ("init", "{county}", "--out", "{county}/新研究.toml"), _init_folder, code=0,
         writes=False, runner=_within(), changes=("新研究.toml", "standards.toml"),
         then=_then_init_skips),
    Case("in_giant_facilities", CAT, "a 2 GiB sparse file as the facility list (it took "
         "12.8 GB of memory, then a traceback)", RUN, _giant("facilities.csv"),
         problem=("facilities.csv", *ZEROS), fix=AGAIN, runner=_within()),
    Case("in_giant_study", CAT, "a 2 GiB sparse file as the study file", ("run",
         "{county}/巨.toml", "--out", "{out}"), _giant("巨.toml"),
         problem=("巨.toml", "2.1 GB", "more than such a file ever holds"),
         fix=("the right file",), runner=_within()),
    Case("in_giant_cache", CAT, "a 2 GiB sparse file as the network cache", RUN,
         _giant("roads.npz"), problem=("roads.npz", *ZEROS), fix=AGAIN, runner=_within()),
    Case("in_giant_townships", CAT, "a 2 GiB sparse file as the township Shapefile", RUN,
         _giant("乡镇界线.shp"), problem=("乡镇界线.shp", *ZEROS), fix=AGAIN,
         runner=_within()),
    Case("in_giant_census_xlsx", CAT, "a 2 GiB sparse file named like a census workbook",
         RUN, _giant("人口.xlsx", ("population", "path")),
         problem=("人口.xlsx", *ZEROS), fix=AGAIN, runner=_within()),
    Case("in_folder_facilities", CAT, "the facility path names a folder", RUN,
         _folder("设施", ("facilities", "path")), problem=("is a folder, not a file",
                                                            "设施.csv"),
         fix=("name the file itself",)),
    Case("in_folder_census", CAT, "the census path names a folder", RUN,
         _folder("人口", ("population", "path")), problem=("is a folder, not a file",),
         fix=("name the file itself",)),
    Case("in_link_loop", CAT, "the facility file a symbolic link to itself", RUN, _loop,
         problem=("loop.csv", "cannot be opened"), fix=("check the path",)),
    Case("in_unreadable", CAT, "a facility file its user may not read (permissions)", CHECK,
         runner=_unreadable, problem=("✗ facilities", "cannot be read", "Permission denied"),
         fix=("chmod u+r",), stream="stdout", writes=False),
    Case("in_study_bom", CAT, "a study file saved by Notepad with a byte-order mark: read "
         "(it stopped at line 1, column 1)", ("run", "{county}/记事本.toml", "--out", "{out}"),
         _saved_as("记事本.toml", lambda t: codecs.BOM_UTF8 + t.encode("utf-8")), code=0,
         then=_then_read),
    Case("in_study_utf16", CAT, "a study file saved as 'Unicode' (UTF-16 with its "
         "byte-order mark): read", ("run", "{county}/unicode.toml", "--out", "{out}"),
         _saved_as("unicode.toml", lambda t: t.encode("utf-16")), code=0, then=_then_read),
    Case("in_study_deep", CAT, "a study file of 900 nested brackets (RecursionError)", RUN,
         _deep_study, problem=("nested too deeply",), fix=("brackets that are never closed",)),
    Case("in_standards_deep", CAT, "a standards file of 900 nested brackets", RUN,
         _deep_standards, problem=("standards_deep.toml", "nested too deeply"),
         fix=("brackets that are never closed",)),
    Case("in_scenario_deep", CAT, "a scenario file of 900 nested brackets",
         ("compare", "{run}", "--scenario", "{county}/deep.toml", "--out", "{out}"),
         _deep_scenario, problem=("deep.toml", "nested too deeply"),
         fix=("brackets that are never closed",)),
    Case("twn_name_column_township", "townships", "the township names in a column called "
         "township (name_col = 'township': The truth value of a Series is ambiguous)", RUN,
         _township_named({"乡镇名称": "township"}, "township"), code=0,
         then=_then_chinese_names),
    Case("twn_bilingual_name_columns", "townships", "Chinese names under 乡镇名称 and English "
         "ones under township: the Chinese ones used, as name_col says", RUN,
         _township_named({}, "乡镇名称", english=True), code=0, then=_then_chinese_names),
    Case("in_name_too_long_study", CAT, "a study file named with 90 Chinese characters "
         "(270 bytes)", ("run", "{county}/" + LONG + ".toml", "--out", "{out}"),
         problem=("argument study", *TOO_LONG), fix=("give a shorter name",)),
    Case("in_name_too_long_facilities", CAT, "[facilities] path of 90 Chinese characters",
         RUN, lambda ws: ws.set("facilities", "path", LONG + ".csv"),
         problem=("facility file", "cannot be opened", "File name too long"),
         fix=("check the path",)),
    Case("in_name_too_long_scenario", CAT, "geo compare --scenario of 90 Chinese characters",
         ("compare", "{run}", "--scenario", "{county}/" + LONG + ".toml", "--out", "{out}"),
         problem=("--scenario", "no such scenario file"), fix=("give a path",)),
]
