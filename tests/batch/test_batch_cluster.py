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
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.cli.main import main
from tests.batch.conftest import BROKEN, GOOD, write_batch
from tests.outputs.qgis_run import needs_qgis, run_qgis

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
        if layer == "layer_styles":  # stamped with that date too
            left, right = (f.drop(columns="update_time") for f in (left, right))
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
    for std in ("emergency_1h", "primary_care_30min"):  # as the areas' tables say
        rows = combined[combined["standard"] == std].set_index(["area_id", "township"])
        key = pd.MultiIndex.from_frame(towns[["area_id", "township"]].astype(str))
        pd.testing.assert_series_equal(
            towns[f"covered_share_{std}"], rows["covered_share"].reindex(key).reset_index(
                drop=True), check_names=False)
        want = np.where(rows["covered_share"].reindex(key) >= 1.0, "达标", "未达标")
        assert list(towns[f"status_{std}"]) == list(want)
    areas = gpd.read_file(out / "results.gpkg", layer="areas")
    assert len(areas) == 10 and set(areas.loc[areas["status"] == "failed", "area_id"]) == {BROKEN}
    # per county: share, townships below target and the worst, from its own township rows
    by_area = pd.read_csv(out / "coverage_by_area.csv", encoding="utf-8-sig",
                          dtype={"area_id": str})
    for std in ("emergency_1h", "primary_care_30min"):
        for area in GOOD:
            row = areas.set_index("area_id").loc[area]
            mine = combined[(combined["area_id"] == area) & (combined["standard"] == std)]
            share = mine["covered_population"].sum() / mine["population"].sum()
            assert row[f"covered_share_{std}"] == pytest.approx(share, abs=6e-5)
            below = mine[mine["covered_share"] < 1.0]
            assert row[f"townships_failing_{std}"] == len(below)
            if len(below):
                worst = below.sort_values("covered_share").iloc[0]
                assert row[f"worst_township_{std}"] == worst["township"]
            summary = by_area[(by_area["area_id"] == area) & (by_area["standard"] == std)]
            assert row[f"status_{std}"] == ("达标" if bool(summary["meets_target"].iloc[0])
                                            else "未达标")
        assert areas.set_index("area_id").loc[BROKEN, f"status_{std}"] == "运行失败或未运行"
    styles = pd.DataFrame(pyogrio.read_dataframe(out / "results.gpkg", layer="layer_styles"))
    for layer in ("areas", "townships", "facilities"):
        assert (styles.loc[styles["f_table_name"] == layer, "useAsDefault"] == 1).sum() == 1
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "柳南区 (450204)" in page  # the failed area is named on the map


@needs_qgis
def test_qgis_draws_the_counties_by_their_coverage(first_run: tuple[Path, Path, int, str],
                                                   tmp_path: Path) -> None:
    _, out, _, _ = first_run
    gpkg = out / "results.gpkg"
    report = run_qgis([gpkg], [], {"qgis_batch.png": [f"{gpkg}|facilities", f"{gpkg}|areas"]},
                      tmp_path)
    areas = report[str(gpkg)]["areas"]
    assert areas["valid"] and areas["renderer"] == "RuleRenderer" and areas["labels"]
    assert areas["styles"] == ["1小时应急反应圈（emergency_1h）",
                               "30分钟基层医疗服务圈（primary_care_30min）", "运行状态"]
    assert areas["legend"][-1] == "不适用 / 无数据 / 运行失败或未运行"
    assert areas["aliases"]["worst_township_emergency_1h"].endswith("覆盖最差的乡镇")
    assert report[str(gpkg)]["townships"]["styles"]


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
