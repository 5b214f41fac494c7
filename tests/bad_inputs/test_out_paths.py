"""A property of every writing command: whatever ``--out`` names, no input ever changes
(issue 20, item 1).

Hypothesis draws a command (run, isochrones, network build, map, init, site, designate,
compare) and an output path: an input itself (the facility list, a Shapefile's .dbf, the
study file, the network cache, results.gpkg), the folder holding the inputs, a folder or
file inside it, a new folder whose name holds glob characters, spaces or Chinese (or is
near or over the file system's 255 bytes), a symbolic link to an input or to the inputs'
folder, or the mount point of another file system (a tmpfs, where this user may mount
one). Whatever the command does with it (stop with a message, or write), every input
stays byte-identical, nothing prints a traceback, and no staging folder, lock or
temporary file is left anywhere.

``geo batch`` is left out (a Dask cluster per example); its clash cases are in the corpus
(``batch_out_holds_areas``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bad_inputs.harness import run_in_process, snapshot

#: commands, as argv templates: {county}, {run} (an earlier run's folder), {out}
COMMANDS = {
    "run": ("run", "{county}/study.toml", "--out", "{out}"),
    "isochrones": ("isochrones", "{county}/study.toml", "--minutes", "15", "--out", "{out}"),
    "network build": ("network", "build", "{county}/roads.geojson", "--out", "{out}"),
    "map": ("map", "{run}/results.gpkg", "--out", "{out}"),
    "init": ("init", "{county}", "--force", "--out", "{out}"),
    "site": ("site", "{study}", "--standard", "primary_care_30min", "--add", "1", "--out",
             "{out}"),
    "designate": ("designate", "{study}", "--from-type", "village_clinic", "--role",
                  "township_health_center", "--k", "1", "--out", "{out}"),
    "compare": ("compare", "{study}", "--scenario", "{county}/方案.toml", "--out", "{out}"),
}
#: names the facility list may have in the county: outputs' names (a run replaced such a
#: list with its table), or inside a folder a run replaces whole
FACILITY_NAMES = ["facilities.csv", "coverage_summary.csv", "siting.csv", "designation.csv",
                  "comparison_changes.csv", "figures/设施.csv"]
#: what a command writes into a file of its own suffix (the others write folders)
SUFFIX = {"isochrones": ".gpkg", "network build": ".npz", "map": ".html", "init": ".toml"}
#: inputs named as outputs: files of the county, and the earlier run's results
INPUTS = ["facilities.csv", "乡镇界线.shp", "乡镇界线.dbf", "乡镇界线.prj", "study.toml",
          "roads.npz", "roads.geojson", "第七次人口普查_乡镇.csv", "县界.geojson", "方案.toml"]
#: names of new outputs: glob characters, spaces, Chinese, a name like an output's
NAMES = ["out*", "res[1]", "a?b", "输出 结果", "结果 [2024]", "coverage_summary.csv",
         "map.html", "iso.gpkg", "net.npz", "研究.toml", "figures",
         "鹿寨县" * 27,  # 243 bytes: near the 255 a name may have, temporary names too
         "鹿寨县" * 30]  # 270 bytes: more than a name may have
#: what is left behind when something goes wrong
_LEFT = re.compile(r"\.staging-|\.lock$|@[0-9a-f]{8}\.|^\.geo-probe-")


@st.composite
def out_paths(draw: st.DrawFn) -> tuple[str, str]:
    """A command and the kind of --out path it gets (see module docs)."""
    command = draw(st.sampled_from(sorted(COMMANDS)))
    kind = draw(st.sampled_from(["input", "inputs folder", "inside inputs", "new", "link to "
                                 "input", "link to inputs folder", "run folder",
                                 "inside run", "mount"]))
    name = draw(st.sampled_from(INPUTS if kind == "input" else NAMES))
    if command in SUFFIX and kind != "input" and draw(st.booleans()):
        name += SUFFIX[command]  # mostly a name the command takes
    target = draw(st.sampled_from(INPUTS)) if kind == "link to input" else ""
    facilities = draw(st.sampled_from(FACILITY_NAMES))
    study = draw(st.sampled_from(["{county}/study.toml", "{run}"]))  # computed, or reloaded
    return command, f"{kind}|{name}|{target}|{facilities}|{study}"


@contextmanager
def _tmpfs(where: Path) -> Iterator[Path | None]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(where)],
                          capture_output=True) if os.geteuid() == 0 else None
    try:
        yield where if done is not None and done.returncode == 0 else None
    finally:
        if done is not None and done.returncode == 0:
            subprocess.run(["umount", str(where)], check=True)


def _out(world: Path, kind: str, name: str, target: str, mnt: Path | None) -> Path | None:
    county, run = world / "county", world / "run"
    if kind == "input":
        return county / name
    if kind == "inputs folder":
        return county
    if kind == "inside inputs":
        return county / "子目录" / name
    if kind == "new":
        return world / name
    if kind == "link to input":  # a link, named like a new output, to an input
        name = name if len(name.encode()) <= 255 else name[:80]  # a link needs a name too
        (world / name).symlink_to(county / target)
        return world / name
    if kind == "link to inputs folder":
        (world / "链接").symlink_to(county, target_is_directory=True)
        return world / "链接" / name
    if kind == "run folder":
        return run
    if kind == "inside run":
        return run / name
    return mnt / name if mnt is not None else None  # mount


def _inputs(world: Path, template: Path, command: str, study: str) -> dict[str, str]:
    """What the command reads: the county copy (its study), or for a reload of the earlier
    run its results.gpkg and the template county that run was computed from; the
    scenario; the template county always (nothing may write there)."""
    county = snapshot(world / "county")
    reload = "{run}" in COMMANDS[command] or ("{study}" in COMMANDS[command]
                                               and study == "{run}")
    out = {f"template/{k}": v for k, v in snapshot(template).items()}
    if reload:
        out["run/results.gpkg"] = snapshot(world / "run")["results.gpkg"]
        out["county/方案.toml"] = county["方案.toml"]
    else:
        out |= {f"county/{k}": v for k, v in county.items()}
    return out


@settings(max_examples=int(os.environ.get("OUT_PATH_EXAMPLES", "30")), deadline=None,
          derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(drawn=out_paths())
def test_no_out_path_changes_an_input(drawn: tuple[str, str], county_template: Path,
                                      earlier_run: Path) -> None:
    command, spec = drawn
    kind, name, target, facilities, study = spec.split("|")
    world = Path(tempfile.mkdtemp(prefix="geo-out-paths-"))
    try:
        shutil.copytree(county_template, world / "county", symlinks=True)
        (world / "county" / "方案.toml").write_text(
            "[scenario]\nname = '关闭'\n\n[[actions]]\naction = 'close'\nid = 'F01'\n",
            encoding="utf-8")
        shutil.copytree(earlier_run, world / "run")
        if facilities != "facilities.csv":  # the list under another name
            moved = world / "county" / facilities
            moved.parent.mkdir(exist_ok=True)
            (world / "county" / "facilities.csv").rename(moved)
            text = (world / "county" / "study.toml").read_text(encoding="utf-8")
            (world / "county" / "study.toml").write_text(
                text.replace('"facilities.csv"', f'"{facilities}"'), encoding="utf-8")
        with _tmpfs(world / "挂载") as mnt:
            out = _out(world, kind, name, target, mnt)
            if out is None:
                return  # no mount rights: nothing to try
            before = _inputs(world, county_template, command, study)
            argv = [a.format(county=world / "county", run=world / "run", out=out,
                             study=study.format(county=world / "county", run=world / "run"))
                    for a in COMMANDS[command]]
            result = run_in_process(argv)
            said = f"geo {' '.join(argv)}\nexit {result.code}\n{result.err[-3000:]}"
            if os.environ.get("OUT_PATH_SHOW"):  # to see what was tried: pytest -s
                print(f"\n{command} | {kind} | {name} {target} | {facilities} | {study} -> "
                      f"exit {result.code}: "
                      f"{(result.err.strip().splitlines() or [''])[-1][:160]}")
            assert "Traceback" not in result.err, said
            assert result.code in (0, 2), said
            after = _inputs(world, county_template, command, study)
            changed = sorted(k for k in before if after.get(k) != before[k])
            assert not changed, f"inputs changed: {changed}\n{said}"
            left = sorted(str(p.relative_to(world)) for p in world.rglob("*")
                          if _LEFT.search(p.name))
            assert not left, f"left behind: {left}\n{said}"
    finally:
        shutil.rmtree(world, ignore_errors=True)
