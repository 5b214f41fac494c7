"""`geo batch` on Liuzhou areas with a LocalCluster of 2 worker processes.

Every area's outputs equal a separate single-process `geo run` of that area's study file;
the combined table is the areas' tables one after the other; an area that fails (its
population total is 0) is retried, listed with its error, and the exit code says so while
the others complete; a second run skips the areas whose inputs did not change and redoes
the ones that did.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geo.cli.main import main
from tests.batch.conftest import BROKEN, GOOD, write_batch

AREAS = [*GOOD, BROKEN]


def _geo(*argv: str) -> tuple[int, str]:
    """Exit code, and what the command printed (stderr, then stdout)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(list(argv))
    return rc, err.getvalue() + out.getvalue()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str]:
    folder = tmp_path_factory.mktemp("batch")
    batch = write_batch(folder / "in", population={BROKEN: 0})
    out = folder / "out"
    rc, err = _geo("batch", str(batch), "--out", str(out), "--workers", "2", "--areas", *AREAS)
    return folder, out, rc, err


def test_failed_area_is_retried_reported_and_exit_code_says_so(
        first_run: tuple[Path, Path, int, str]) -> None:
    _, out, rc, err = first_run
    assert rc == 2
    assert "1 of 10 areas failed" in err and BROKEN in err and "population" in err
    log = (out / "areas" / BROKEN / "attempts.log").read_text(encoding="utf-8").splitlines()
    assert sum("\tstart" in line for line in log) == 2  # the first try and 1 retry
    assert sum("\tfailed: StudyError" in line for line in log) == 2
    assert not (out / "areas" / BROKEN / "done.json").exists()
    status = pd.read_csv(out / "areas.csv", dtype={"area_id": str}).set_index("area_id")
    assert status.loc[BROKEN, "status"] == "failed"
    assert "total" in status.loc[BROKEN, "error"]
    assert list(status.loc[GOOD, "status"]) == ["done", "done"]
    assert (status["status"] == "not run").sum() == 7
    summary = (out / "batch_summary.txt").read_text(encoding="utf-8")
    assert "1 failed" in summary and f"柳南区 ({BROKEN})" in summary


def _frames_equal(a: Path, b: Path) -> None:
    for layer, _ in pyogrio.list_layers(a):
        left, right = gpd.read_file(a, layer=layer), gpd.read_file(b, layer=layer)
        if layer == "metadata":  # the run's date may roll over between the two runs
            left, right = (f[f["key"] != "created"].reset_index(drop=True) for f in (left, right))
        pd.testing.assert_frame_equal(left, right, check_like=False)


@pytest.mark.parametrize("area", GOOD)
def test_each_area_equals_a_single_process_geo_run(first_run: tuple[Path, Path, int, str],
                                                    area: str) -> None:
    folder, out, _, _ = first_run
    single = folder / "single" / area
    rc, err = _geo("run", str(out / "areas" / area / "study.toml"), "--out", str(single))
    assert rc == 0, err
    batch_out = out / "areas" / area / "out"
    for name in ("coverage_by_township.csv", "coverage_summary.csv"):
        assert (batch_out / name).read_bytes() == (single / name).read_bytes(), name
    assert {p for p, _ in pyogrio.list_layers(batch_out / "results.gpkg")} == \
        {p for p, _ in pyogrio.list_layers(single / "results.gpkg")}
    _frames_equal(batch_out / "results.gpkg", single / "results.gpkg")
    assert sorted(p.name for p in (batch_out / "figures").iterdir()) == \
        sorted(p.name for p in (single / "figures").iterdir())


def test_combined_table_is_the_concatenation(first_run: tuple[Path, Path, int, str]) -> None:
    _, out, _, _ = first_run
    combined = pd.read_csv(out / "coverage_by_township.csv", encoding="utf-8-sig",
                           dtype={"area_id": str})
    parts = []
    for area in GOOD:
        one = pd.read_csv(out / "areas" / area / "out" / "coverage_by_township.csv",
                          encoding="utf-8-sig")
        name = json.loads((out / "areas" / area / "done.json").read_text())["area_name"]
        one.insert(0, "area_name", name)
        one.insert(0, "area_id", area)
        parts.append(one)
    pd.testing.assert_frame_equal(combined, pd.concat(parts, ignore_index=True))
    assert set(combined["area_id"]) == set(GOOD)  # the failed area has no rows
    towns = gpd.read_file(out / "results.gpkg", layer="townships")
    assert len(towns) == combined.groupby(["area_id", "township"]).ngroups
    assert {"meets_emergency_1h", "covered_share_emergency_1h"} <= set(towns.columns)
    areas = gpd.read_file(out / "results.gpkg", layer="areas")
    assert len(areas) == 10 and set(areas.loc[areas["status"] == "failed", "area_id"]) == {BROKEN}
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "柳南区 (450204)" in page  # the failed area is named on the map


def test_batch_workbook_is_print_ready_with_per_county_coverage(
        first_run: tuple[Path, Path, int, str]) -> None:
    """batch.xlsx: every sheet print-ready; 汇总 one row per area and standard with the
    area's share as its own coverage_summary.csv has it, the failed and not-run areas
    named; `geo batch` prints the same table."""
    from openpyxl import load_workbook

    from geo.numbers import share_text
    from tests.outputs.workbook_checks import check_workbook

    _, out, _, printed = first_run
    names = check_workbook(out / "batch.xlsx")
    assert names[0] == "汇总" and "运行情况" in names and names[-1] == "说明与来源"
    ws = load_workbook(out / "batch.xlsx")["汇总"]
    rows = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    for area in GOOD:
        summary = pd.read_csv(out / "areas" / area / "out" / "coverage_summary.csv",
                              encoding="utf-8-sig")
        name = json.loads((out / "areas" / area / "done.json").read_text())["area_name"]
        mine = [r for r in rows if r[0] == name]
        assert len(mine) == len(summary) == 2
        for r, (_, want) in zip(mine, summary.iterrows(), strict=True):
            assert r[4] == pytest.approx(want["covered_share"])
            assert r[7] == str(int(want["townships_failing"]))
            assert share_text(want["covered_share"], want["target_share"]) in printed
    broken = [r for r in rows if r[1] is None]
    assert len(broken) == 8  # 柳南区 failed, 7 areas not run: each named, with why
    assert any("failed" in str(r[-1]) for r in broken)
    assert "各区县覆盖情况" in printed


def test_resume_skips_done_areas_and_redoes_changed_ones(
        first_run: tuple[Path, Path, int, str]) -> None:
    folder, out, _, _ = first_run
    stamp = {a: (out / "areas" / a / "out" / "results.gpkg").stat().st_mtime_ns for a in GOOD}
    tries = {a: (out / "areas" / a / "attempts.log").read_text().count("\tstart") for a in GOOD}
    # 柳南区 gets its population back; 柳北区's changes; 城中区 stays as it was
    batch = write_batch(folder / "in", population={"450205": 500_000})
    rc, err = _geo("batch", str(batch), "--out", str(out), "--workers", "2", "--areas", *AREAS)
    assert rc == 0, err
    kept, changed = GOOD
    assert (out / "areas" / kept / "out" / "results.gpkg").stat().st_mtime_ns == stamp[kept]
    assert (out / "areas" / kept / "attempts.log").read_text().count("\tstart") == tries[kept]
    assert (out / "areas" / changed / "attempts.log").read_text().count("\tstart") == \
        tries[changed] + 1
    summary = pd.read_csv(out / "areas" / changed / "out" / "coverage_summary.csv",
                          encoding="utf-8-sig")
    assert summary["population"].iloc[0] == pytest.approx(500_000)
    status = pd.read_csv(out / "areas.csv", dtype={"area_id": str}).set_index("area_id")
    assert status.loc[kept, "status"] == "done (reused)"
    assert status.loc[changed, "status"] == "done"
    assert status.loc[BROKEN, "status"] == "done"
