"""The workbench's population groups (issue 25): a group selector beside the standards,
the table counting that group's people.

On the synthetic county (示例县) with its census age table: after an edit, each group's
table on the server equals `geo compare` of the same change on a run whose population *is*
the group (the census's 65岁及以上 or 0—14岁 column as the count column), before, after and
change; in the browser (Debian's Chromium via Playwright) choosing a group shows that
group's table. Screenshot: maps/screenshots/workbench_groups.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.planning.compare import compare
from geo.serve import Session, Workbench
from geo.study.run import ComputedStudy, run_study
from tests.outputs.test_map_browser import browser  # noqa: F401
from tests.serve.conftest import Client, Served
from tests.serve.test_api import assert_table_is_compare
from tests.serve.test_browser import Page, _js
from tests.study.test_population_groups import GROUPS, _population, _write
from tests.synthetic_county import TO_WGS84, grid_xy, write_census_ages

NEW = "township_health_center"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.bad_inputs.county import build_county
    folder = build_county(tmp_path_factory.mktemp("wb_groups") / "county")
    write_census_ages(folder / "分年龄人口.xlsx")
    return folder


@pytest.fixture(scope="module")
def grouped(county: Path) -> ComputedStudy:
    return run_study(_write(county, "groups.toml", _population(
        "常住人口（人）", groups=GROUPS, partition=["children", "working_age", "elderly_60"])))


def _clinic() -> tuple[float, float]:
    lon, lat = TO_WGS84.transform(*grid_xy(0, 8))  # 东山镇's north-west corner
    return float(lon), float(lat)


@pytest.mark.parametrize(("group", "column"), [("elderly_65", "65岁及以上（人）"),
                                               ("children", "0—14岁（人）")])
def test_a_groups_table_is_geo_compare_of_a_run_of_that_group(
        county: Path, grouped: ComputedStudy, group: str, column: str) -> None:
    session = Session.from_study(grouped)
    lon, lat = _clinic()
    session.add(NEW, lon, lat)
    alone = run_study(_write(county, f"alone_{group}.toml", _population(column)))
    path = county / "scenarios" / "wb_clinic.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'[scenario]\nname = "wb_clinic"\n\n[[actions]]\naction = "add"\n'
                    f'id = "N1"\nname = "新诊所"\ntype = "{NEW}"\nlon = {lon!r}\n'
                    f"lat = {lat!r}\n", encoding="utf-8")
    tables = session.group_tables()[group]
    assert_table_is_compare(tables, compare(alone, path).table)
    assert any(r["newly_covered"] for r in tables["primary_care_30min"]["rows"])
    # the whole population's table is unchanged by the groups
    assert_table_is_compare(session.tables(), compare(grouped, path).table)


def _want(t: dict[str, Any]) -> list[list[str]]:
    return [["" if v is None else _js(v) for v in (
        None, r["population"], r["covered"], r["share"], r["share_change"], r["median"],
        r["newly_covered"], r["lost"], None)] for r in [*t["rows"], t["area"]]]


@pytest.fixture
def opened(browser: Any, grouped: ComputedStudy, tmp_path: Path) -> Iterator[Page]:  # noqa: F811
    bench = Workbench(Session.from_study(grouped), port=0, out_dir=tmp_path / "exports")
    url = bench.start()
    page = Page(browser, Served(url, bench.session, bench, Client(url), tmp_path / "exports"))
    yield page
    page.context.close()
    bench.stop()


def test_the_group_selector_shows_the_groups_table(opened: Page) -> None:
    page = opened
    std = "primary_care_30min"
    page.show(std)
    labels = page.page.eval_on_selector_all("#group-select option", "os => os.map(o => o.text)")
    assert labels == ["全体人口", *(f"{c} ({n})" for c, n in GROUPS.items())]
    state = page.served.client.get("/api/state").body
    assert page.table() == _want(state["tables"][std])
    lon, lat = _clinic()
    page.served.client.ok("/api/add", {"type": NEW, "lon": lon, "lat": lat})
    page.page.reload(wait_until="load")  # the page as it opens on the edited state
    page.page.wait_for_selector("body[data-ready='1']", state="attached")
    page.show(std)
    page.page.locator("#group-select").select_option("elderly_65")
    state = page.served.client.get("/api/state").body
    want = _want(state["group_tables"]["elderly_65"][std])
    assert page.table() == want and want != _want(state["tables"][std])
    assert "65岁及以上（人） (elderly_65)" in page.page.inner_text("#table-caption")
    page.only_tile_errors()
    page.shot("workbench_groups.png")
    page.page.locator("#group-select").select_option("")
    assert page.table() == _want(page.served.client.get("/api/state").body["tables"][std])
