"""Per-area study files, the batch file's checks, and one area run in this process."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.batch.areas import buffer_zones, read_areas, region_inputs
from geo.batch.config import load_batch
from geo.batch.partition import prepare_network
from geo.batch.plan import area_study, plan_area, shared_inputs
from geo.batch.studyfile import study_toml
from geo.batch.task import run_area
from geo.errors import BatchError, StudyError
from geo.study.run import run_study
from geo.study.schema import load_study
from tests.batch.conftest import write_batch
from tests.conftest import DATA, ROOT


def test_study_file_round_trip(tmp_path: Path) -> None:
    study = load_study(ROOT / "analysis" / "luzhai.toml")
    study = dataclasses.replace(
        study, path=tmp_path / "s.toml",
        standards=dataclasses.replace(study.standards, file=study.standards_file,
                                      overrides={"emergency_1h": {"target_share": 0.95}}),
        study=dataclasses.replace(study.study, title='a "quoted" title\\ with 中文'))
    (tmp_path / "s.toml").write_text(study_toml(study, "comment"), encoding="utf-8")
    assert load_study(tmp_path / "s.toml") == study


def test_area_study_names_its_own_inputs(tmp_path: Path) -> None:
    batch = load_batch(write_batch(tmp_path / "in"))
    areas = read_areas(batch)
    study = area_study(batch, areas.iloc[6], tmp_path / "a")
    assert study.area.name == "鹿寨县" and study.population.total == 337298
    assert study.facilities.outside == "keep" and study.roads.path.name == "roads.npz"
    assert study.standards.file == (ROOT / "analysis" / "standards.toml").resolve()


@pytest.mark.parametrize(("text", "fix"), [
    ("template = 'template.toml'\nbufer_km = 3", "did you mean 'buffer_km'"),
    ("template = 'template.toml'\nfacilities_outside = 'all'", "count, ignore"),
    ("template = 'template.toml'\nbuffer_km = -1", "at least 0"),
])
def test_batch_file_errors_name_the_fix(tmp_path: Path, text: str, fix: str) -> None:
    write_batch(tmp_path)
    (tmp_path / "bad.toml").write_text(f"[batch]\n{text}\n", encoding="utf-8")
    with pytest.raises(StudyError, match=fix):
        load_batch(tmp_path / "bad.toml")


def test_even_population_needs_a_column(tmp_path: Path) -> None:
    write_batch(tmp_path)
    (tmp_path / "bad.toml").write_text("[batch]\ntemplate = 'template.toml'\n", encoding="utf-8")
    with pytest.raises(BatchError, match=r"\[batch\] population_col"):
        load_batch(tmp_path / "bad.toml")


def test_unknown_area_column_and_ids(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    path = write_batch(tmp_path / "in")
    text = path.read_text(encoding="utf-8").replace('id_col = "adcode"', 'id_col = "code"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BatchError, match="adcode"):
        read_areas(load_batch(path))
    with pytest.raises(BatchError, match="--areas names ids"):
        read_areas(load_batch(write_batch(tmp_path / "in")), only=["999999"])


def test_whole_region_buffer_equals_the_road_layer(tmp_path: Path) -> None:
    """With a buffer holding the whole city, the cut network is the whole network: the
    area's study equals the same study on the road layer itself."""
    batch = load_batch(write_batch(tmp_path / "in", buffer_km=400.0, outputs="tables"))
    areas = read_areas(batch)
    region = region_inputs(batch, areas)
    meta = prepare_network(batch.template, ["drive"], tmp_path / "out" / "network", 10_000.0)
    row = int(np.flatnonzero(areas["area_id"] == "450202")[0])
    zone = buffer_zones(areas.iloc[[row]], batch.buffer_m)[0]
    spec = plan_area(batch, areas, row, zone, region, tmp_path / "out", tmp_path / "out" /
                     "network", ("drive",), shared_inputs(batch, meta["key"]))
    assert not isinstance(spec, str)
    result = run_area(spec)
    assert result.buffer_uncertain == {"emergency_1h": 0.0, "primary_care_30min": 0.0}
    assert result.facilities_inside == 4 and result.facilities_outside == 111
    study = load_study(spec.folder / "study.toml")
    on_layer = dataclasses.replace(study, roads=dataclasses.replace(
        study.roads, path=DATA / "roads" / "liuzhou_backbone.geojson"))
    expected = run_study(on_layer).coverage
    got = pd.read_csv(spec.folder / "out" / "coverage_by_township.csv", encoding="utf-8-sig")
    assert got["basis"].str.contains(r"\d+ facilities outside the study area are counted").all()
    assert got["basis"].str.contains("115 of 115 facilities are assumed").all()
    assert list(got["township"]) == list(expected["township"])
    np.testing.assert_array_equal(got["covered_population"].to_numpy(),
                                  expected["covered_population"].to_numpy())
    np.testing.assert_allclose(got["median_minutes"].to_numpy(),
                               expected["median_minutes"].to_numpy(), rtol=0, atol=1e-9)


def test_docs_list_every_batch_option() -> None:
    from geo.batch.config import batch_options_text

    assert batch_options_text() in (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")


def test_a_worker_that_does_not_see_the_folder_says_so(tmp_path: Path) -> None:
    from geo.batch.task import AreaSpec

    spec = AreaSpec(area_id="1", area_name="a", folder=tmp_path / "a", zone_wkb=b"",
                    study_text="", files={}, network=tmp_path / "nowhere", modes=("drive",),
                    min_component_share=0.5, buffer_km=1.0, outputs=(), fingerprint="x")
    with pytest.raises(BatchError, match="same path"):
        run_area(spec)


def test_home_areas_inside_near_and_nowhere() -> None:
    """A point inside an area belongs to it; one 500 m outside to the nearest area; one
    5 km from every area to none (-1). Two 10 km squares side by side, in UTM 49N."""
    import geopandas as gpd
    import shapely

    from geo.batch.areas import home_areas

    x, y = 400_000.0, 2_700_000.0
    areas = gpd.GeoDataFrame(geometry=[shapely.box(x, y, x + 10_000, y + 10_000),
                                       shapely.box(x + 10_000, y, x + 20_000, y + 10_000)],
                             crs=32649).to_crs(4326)
    pts = gpd.GeoDataFrame(geometry=shapely.points(
        [x + 15_000, x + 2_000, x + 20_500, x + 10_000], [y + 5_000, y - 500, y + 5_000,
                                                          y + 15_000]), crs=32649).to_crs(4326)
    assert list(home_areas(pts, areas)) == [1, 0, 1, -1]
