"""The corpus harness: a case, the working copy it edits, how it runs, what it asserts.

A :class:`Case` edits a working copy of the synthetic county's study (:class:`Workspace`,
in the test's tmp_path), runs one ``geo`` command, and :func:`check_case` asserts: the
exit code; no traceback anywhere; that the message names the problem (``problem``
words) and a fix (``fix`` words); that every ``--flag`` and ``[section] key`` the message
names exists (:func:`tests.messages.unknown_advice`); and, for commands that write, that
the earlier output in the folder (a copy of a real run) is byte-identical afterwards and
no staging folder or lock is left. Cases that must run to the end (silent-wrong
detectors, ``code=0``) add a ``then`` function asserting the warning and its numbers in
the outputs.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tomllib
import traceback
from collections.abc import Callable, Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.cli.main import main
from tests.conftest import ROOT, toml_value
from tests.messages import unknown_advice

__all__ = ["CATEGORIES", "Case", "Result", "Workspace", "check_case", "geo_process",
           "inputs_snapshot", "message_of", "snapshot"]

#: categories of the corpus, in README order, with the least number of cases each needs
CATEGORIES: dict[str, int] = {
    "facilities": 15, "townships": 10, "population": 10, "roads": 10, "study files": 10,
    "scenarios": 8, "CLI arguments": 8, "input files": 15, "output folders": 6, "batch": 6,
    "signals": 2, "Python API": 15,
}

FACILITIES = "facilities.csv"
CENSUS = "第七次人口普查_乡镇.csv"
TOWNSHIPS = "乡镇界线.shp"


@dataclass
class Result:
    """What a command did: its exit code and what it printed."""

    code: int
    out: str
    err: str


@dataclass
class Workspace:
    """A working copy of the synthetic county (``county``, with ``study.toml``), a copy of
    an earlier run's output folder (``out``), and the study file's options as a dict
    (written back by :meth:`write_study` before the command runs)."""

    root: Path
    county: Path
    out: Path
    run: Path  #: the session's earlier run folder (read only: reloads start from it)
    options: dict[str, dict[str, Any]]
    raw_study: str | None = None  #: study text to write as is, instead of ``options``
    notes: dict[str, Any] = field(default_factory=dict)  #: what an edit hands to ``then``
    #: commands run when the case ends (chattr -i, umount, ...), last first
    undo: list[list[str]] = field(default_factory=list)

    @property
    def study(self) -> Path:
        return self.county / "study.toml"

    def path(self, name: str) -> Path:
        return self.county / name

    def set(self, section: str, key: str, value: Any) -> None:
        self.options.setdefault(section, {})[key] = value

    def unset(self, section: str, key: str) -> None:
        self.options.get(section, {}).pop(key, None)

    def write_study(self) -> None:
        if self.raw_study is not None:
            self.study.write_text(self.raw_study, encoding="utf-8")
            return
        lines = []
        for sec, opts in self.options.items():
            lines.append(f"[{sec}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in opts.items()]
        self.study.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # ----------------------------------------------------------- input files
    def facilities(self, change: Callable[[pd.DataFrame], pd.DataFrame | None],
                   name: str = FACILITIES) -> Path:
        """Edit the facility table (every cell text); written as ``name`` and used."""
        df = pd.read_csv(self.path(FACILITIES), dtype=str, keep_default_na=False)
        df = change(df) if change is not None else df
        assert df is not None
        p = self.path(name)
        if p.suffix == ".xlsx":
            df.to_excel(p, index=False)
        else:
            df.to_csv(p, index=False, encoding="utf-8")
        self.set("facilities", "path", name)
        return p

    def census(self, text: Callable[[str], str]) -> None:
        """Edit the census table's text (GBK, as the statistics bureau hands it over)."""
        p = self.path(CENSUS)
        p.write_bytes(text(p.read_bytes().decode("gbk")).encode("gbk"))

    def townships(self, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
                  name: str = TOWNSHIPS) -> Path:
        """Edit the township polygons (Gauss-Krüger, GBK without .cpg as handed over)."""
        gdf = gpd.read_file(self.path(TOWNSHIPS), encoding="gbk")
        gdf = change(gdf)
        p = self.path(name)
        if p.suffix == ".shp":
            gdf.to_file(p, encoding="gbk", engine="pyogrio")
            p.with_suffix(".cpg").unlink(missing_ok=True)
        else:
            gdf.to_file(p)
        self.set("townships", "boundaries", name)
        return p

    def roads(self, gdf: gpd.GeoDataFrame | None, name: str = "roads_edit.geojson") -> Path:
        """A road line layer (default: the county's) written as ``name`` and used as
        ``[roads] path``."""
        layer = gpd.read_file(self.path("roads.geojson")) if gdf is None else gdf
        p = self.path(name)
        if p.suffix == ".shp":
            layer.to_file(p, engine="pyogrio")
        else:
            layer.to_file(p)
        self.set("roads", "path", name)
        return p

    def scenario(self, text: str, name: str = "scenario.toml") -> Path:
        p = self.path(name)
        p.write_text(text, encoding="utf-8")
        return p


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One bad input or fault (see module docs).

    ``argv`` holds placeholders ``{study}`` (the working copy's study file), ``{out}``
    (the copy of an earlier output), ``{run}`` (the session's earlier run folder, for
    reloads), ``{county}`` and ``{root}``. ``runner`` replaces the in-process run for
    cases that need a real process (signals, locks): it gets the workspace and the
    argv and returns a :class:`Result`. ``quoted`` are the user's own wrong words the
    message repeats (a mistyped key or flag): they are not advice.
    """

    id: str
    category: str
    what: str
    argv: tuple[str, ...]
    edit: Callable[[Workspace], None] | None = None
    code: int = 2
    problem: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    writes: bool = True
    then: Callable[[Workspace, Result], None] | None = None
    runner: Callable[[Workspace, list[str]], Result] | None = None
    quoted: tuple[str, ...] = ()
    #: entries of the county folder the command may create or change (geo init's study
    #: file); every other input must be byte-identical after the run
    changes: tuple[str, ...] = ()
    xfail: str = ""
    #: where the message is: stderr (``error: ...``) or stdout (``geo check``'s checklist)
    stream: str = "stderr"


def argv_of(case: Case, ws: Workspace) -> list[str]:
    places = {"study": ws.study, "out": ws.out, "run": ws.run, "county": ws.county,
              "root": ws.root}
    return [a.format(**{k: str(v) for k, v in places.items()}) for a in case.argv]


def run_in_process(argv: list[str]) -> Result:
    """``geo`` in this process; an exception escaping ``main`` is a traceback."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 2
        except BaseException:
            err.write(traceback.format_exc())
            code = 1
    return Result(code, out.getvalue(), err.getvalue())


def geo_process(argv: list[str], **kw: Any) -> subprocess.Popen[str]:
    """``geo`` as its own process (signals, locks), unbuffered, from the repository."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    code = "import sys; from geo.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, *argv], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def message_of(result: Result) -> str:
    """The error message: from the ``error:`` line (ours or argparse's) to the end."""
    lines = result.err.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("error: ", "interrupted:")) or ": error: " in line:
            return "\n".join(lines[i:])
    return ""


def inputs_snapshot(county: Path, changes: tuple[str, ...] = ()) -> dict[str, str]:
    """:func:`snapshot` of the county's files (the inputs), but for ``changes``; pipes,
    sockets and files nobody may read (cases that make them) by their kind."""
    out = {}
    for p in sorted(county.rglob("*")):
        name = str(p.relative_to(county))
        if name.split("/")[0] in changes:
            continue
        if p.is_symlink() or not p.is_file() or not os.access(p, os.R_OK):
            kind = "dir" if p.is_dir() and not p.is_symlink() else f"mode {p.lstat().st_mode:o}"
            out[name] = kind
        elif p.stat().st_blocks * 512 < p.stat().st_size // 8:  # a sparse giant: not read
            out[name] = f"sparse {p.stat().st_size}"
        else:
            out[name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a SHA-256 of each file's bytes ('dir' for folders)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        out[str(p.relative_to(folder))] = (hashlib.sha256(p.read_bytes()).hexdigest()
                                           if p.is_file() else "dir")
    return out


def leftovers(ws: Workspace) -> list[str]:
    """Staging folders and lock files beside the output folder."""
    return sorted(p.name for p in ws.out.parent.iterdir()
                  if p.name.startswith(f".{ws.out.name}."))


def check_case(case: Case, ws: Workspace, before: Mapping[str, str]) -> Result:
    """Edit, run and assert one case (see module docs)."""
    if case.edit is not None:
        case.edit(ws)
    if not ws.study.exists() or ws.raw_study is not None or ws.options:
        ws.write_study()
    argv = argv_of(case, ws)
    inputs = inputs_snapshot(ws.county, case.changes)
    result = (case.runner or (lambda _ws, a: run_in_process(a)))(ws, argv)
    if os.environ.get("CORPUS_SHOW"):  # to read every message: CORPUS_SHOW=1 pytest -s
        print(f"\n[{case.id}] exit {result.code}: {message_of(result) or result.err[-500:]}")
    said = f"exit {result.code}\nstdout:\n{result.out[-3000:]}\nstderr:\n{result.err[-6000:]}"
    assert "Traceback" not in result.err, said
    assert result.code == case.code, said
    assert inputs_snapshot(ws.county, case.changes) == inputs, f"an input changed\n{said}"
    if case.code != 0:
        msg = message_of(result) if case.stream == "stderr" else result.out
        assert msg, f"no error message\n{said}"
        for w in (*case.problem, *case.fix):
            assert w in msg, f"the message lacks {w!r}\n{said}"
        bad = unknown_advice(msg, case.quoted)
        assert not bad, f"the message advises what does not exist: {bad}\n{said}"
        if case.writes:
            assert snapshot(ws.out) == before, f"the earlier output changed\n{said}"
    if case.writes:
        assert leftovers(ws) == [], f"left beside the output folder: {leftovers(ws)}"
    if case.then is not None:
        case.then(ws, result)
    return result


def read_options(study: Path) -> dict[str, dict[str, Any]]:
    return tomllib.loads(study.read_text(encoding="utf-8"))


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=True)


# --------------------------------------------------------------------------- outputs


def run_summary(folder: Path) -> str:
    """run_summary.txt of a run folder."""
    return (folder / "run_summary.txt").read_text(encoding="utf-8")


def metadata(folder: Path) -> str:
    """The metadata layer of results.gpkg, one value a line."""
    meta = gpd.read_file(folder / "results.gpkg", layer="metadata")
    return "\n".join(meta["value"].astype(str))


def csv_table(path: Path) -> pd.DataFrame:
    """A CSV output as text cells (UTF-8 with BOM)."""
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), f"{path} has no UTF-8 BOM"
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def stated_everywhere(folder: Path, *words: str) -> None:
    """``words`` in run_summary.txt, the results.gpkg metadata and the basis column of
    coverage_by_township.csv (every row)."""
    summary, meta = run_summary(folder), metadata(folder)
    basis = csv_table(folder / "coverage_by_township.csv")["basis"]
    for w in words:
        assert w in summary, f"run_summary.txt lacks {w!r}:\n{summary}"
        assert w in meta, f"results.gpkg metadata lacks {w!r}:\n{meta}"
        assert basis.str.contains(w, regex=False).all(), f"the basis column lacks {w!r}"
