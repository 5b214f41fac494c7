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
    want = compare(alone, path).table
    assert_table_is_compare(tables, want)
    # a scenario beside the present (the side by side) counts the group's people the same
    from geo.planning.scenario import parse_scenario

    side = Session.from_study(grouped).tables_of(parse_scenario(
        path.read_text(encoding="utf-8"), path.name).actions)
    assert_table_is_compare(side["group_tables"][group], want)
    assert_table_is_compare(side["tables"], compare(grouped, path).table)
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


def test_the_side_by_side_shows_the_chosen_groups_tables(opened: Page, tmp_path: Path) -> None:
    page, std = opened, "primary_care_30min"
    lon, lat = _clinic()
    b = tmp_path / "b.toml"
    b.write_text(f'[scenario]\nname = "b"\ntitle = "新诊所"\n\n[[actions]]\naction = "add"\n'
                 f'id = "N1"\nname = "新诊所"\ntype = "{NEW}"\nlon = {lon!r}\nlat = {lat!r}\n',
                 encoding="utf-8")
    page.show(std)
    page.page.locator("#group-select").select_option("elderly_65")
    page.page.locator("#side-box summary").click()
    page.page.set_input_files("#side-b", str(b))  # A: the present state
    page.page.click("#side-btn")
    page.until("document.body.dataset.side === '1'")
    res = page.served.client.post("/api/compare", {"a": "", "b": b.read_text(encoding="utf-8")}
                                  ).body
    assert "65岁及以上（人） (elderly_65)" in page.page.inner_text("#side-b-title")
    cells = page.page.eval_on_selector_all(
        "#side-table tbody tr", "rs => rs.map(r => [r.cells[0].innerText,"
        " r.cells[1].dataset.v, r.cells[2].dataset.v])")
    for side, col in (("a", 1), ("b", 2)):
        t = res[side]["group_tables"]["elderly_65"][std]
        want = {r["township"]: r["share"] for r in t["rows"]}
        got = {c[0]: c[col] for c in cells if c[0] in want}
        assert got == {k: _js(v) for k, v in want.items()}, side
    covered = page.page.eval_on_selector_all(  # the people counted: the elderly's
        "#side-table tbody tr", "rs => rs.map(r => [r.cells[0].innerText, r.cells[5].dataset.v])")
    t = res["b"]["group_tables"]["elderly_65"][std]
    want = {r["township"]: r["covered"] for r in t["rows"]}
    assert {c[0]: c[1] for c in covered if c[0] in want} == {k: _js(v) for k, v in want.items()}
    assert want != {r["township"]: r["covered"] for r in res["b"]["tables"][std]["rows"]}
    page.only_tile_errors()
    page.shot("workbench_side_by_side_group.png")
