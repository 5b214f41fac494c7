"""The batch buffer check against whole-region runs, on areas cut by hand.

Luzhai county (its backbone roads, whose sparse lines make places join roads kilometres
away, and its 14 facilities, the county hospitals all in the county seat) is cut into
four quadrants; the same study (population points on a 1.5 km grid, so that each area's
people are the very points the whole run has there) runs on the whole county and, as a
batch, on each quadrant with buffers of 5, 20 and 60 km. For every area and standard the
covered people of the area's run and the whole run's for the same points are compared:
where they differ, the area's buffer check must count at least the difference as
uncertain (geo.batch.buffer).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.batch.areas import buffer_zones, home_areas, read_areas, region_inputs
from geo.batch.config import load_batch
from geo.batch.partition import prepare_network
from geo.batch.plan import plan_area, shared_inputs
from geo.batch.task import run_area
from geo.crs import utm_crs_for
from geo.study.run import run_study
from tests.conftest import DATA, ROOT

STANDARDS = ["emergency_1h", "primary_care_30min", "rescue_2h"]
PEOPLE = 337_298.0


def _quadrants(county: shapely.Geometry) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = county.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    boxes = {"NW": (x0, cy, cx, y1), "NE": (cx, cy, x1, y1), "SW": (x0, y0, cx, cy),
             "SE": (cx, y0, x1, cy)}
    parts = {k: shapely.intersection(county, shapely.box(*b)) for k, b in boxes.items()}
    return gpd.GeoDataFrame({"id": list(parts), "name": [f"鹿寨{k}" for k in parts]},
                            geometry=list(parts.values()), crs=4326)


def _points(county: shapely.Geometry, spacing_m: float) -> pd.DataFrame:
    metric = utm_crs_for(county.centroid.x, county.centroid.y)
    shape = gpd.GeoSeries([county], crs=4326).to_crs(metric).iloc[0]
    x0, y0, x1, y1 = shape.bounds
    xs, ys = np.meshgrid(np.arange(x0, x1, spacing_m), np.arange(y0, y1, spacing_m))
    inside = shapely.contains_xy(shape, xs.ravel(), ys.ravel())
    pts = gpd.GeoSeries(gpd.points_from_xy(xs.ravel()[inside], ys.ravel()[inside]),
                        crs=metric).to_crs(4326)
    rng = np.random.default_rng(20)
    weight = rng.gamma(2.0, 1.0, len(pts))  # uneven, as villages are
    return pd.DataFrame({"lon": pts.x.round(7), "lat": pts.y.round(7),
                         "population": np.round(weight / weight.sum() * PEOPLE, 3)})


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quadrants")
    shape = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson").union_all()
    _quadrants(shape).to_file(folder / "quadrants.geojson")
    _points(shape, 1500.0).to_csv(folder / "people.csv", index=False)
    (folder / "template.toml").write_text(f"""
[study]
name = "luzhai_quadrants"

[area]
boundary = "{(DATA / 'boundaries' / 'luzhai_county.geojson').as_posix()}"
name = "鹿寨县"

[facilities]
path = "{(DATA / 'facilities' / 'facilities_luzhai.csv').as_posix()}"
id_col = "id"

[townships]
boundaries = "quadrants.geojson"
name_col = "name"

[roads]
path = "{(DATA / 'roads' / 'luzhai_backbone.geojson').as_posix()}"

[population]
method = "points"
path = "people.csv"
count_col = "population"

[standards]
file = "{(ROOT / 'analysis' / 'standards.toml').as_posix()}"
use = {STANDARDS!r}
# a short threshold, for which a route through the buffer cannot matter at 20 km: what
# changes there comes from places joined to other roads on the cut network
overrides = {{ primary_care_30min = {{ minutes = 8 }} }}

[checks]
accept = ["road_coverage", "road_extent"]
""".replace("'", '"'), encoding="utf-8")
    return folder


def _batch(folder: Path, buffer_km: float, outside: str) -> Path:
    path = folder / f"batch_{buffer_km:g}_{outside}.toml"
    path.write_text(f"""
[batch]
template = "template.toml"
areas = "quadrants.geojson"
id_col = "id"
name_col = "name"
buffer_km = {buffer_km}
facilities_outside = "{outside}"
area_outputs = "tables"
""", encoding="utf-8")
    return path


def test_every_area_that_differs_from_the_whole_region_is_uncertain(county: Path) -> None:
    whole = run_study(county / "template.toml")
    batch = load_batch(_batch(county, 5.0, "count"))
    areas = read_areas(batch)
    home = home_areas(whole.demand, areas)
    pop = whole.population
    region = region_inputs(batch, areas)
    meta = prepare_network(batch.template, ["drive"], county / "out" / "network", 10_000.0)
    differing, checked = [], 0
    for buffer_km, outside in ((5.0, "count"), (20.0, "count"), (60.0, "count"),
                               (20.0, "ignore")):
        batch = load_batch(_batch(county, buffer_km, outside))
        out = county / f"out_{buffer_km:g}_{outside}"
        zones = buffer_zones(areas, batch.buffer_m)
        for row in range(len(areas)):
            spec = plan_area(batch, areas, row, zones[row], region, out,
                             county / "out" / "network", ("drive",),
                             shared_inputs(batch, meta["key"]))
            assert not isinstance(spec, str), spec
            result = run_area(spec)
            summary = pd.read_csv(spec.folder / "out" / "coverage_summary.csv",
                                  encoding="utf-8-sig").set_index("standard")
            mine = home == row
            for std in whole.standards:
                full = float(pop[mine & (whole.travel.minutes[std.name] <= std.minutes)].sum())
                got = float(summary.loc[std.name, "covered_population"])
                assert not np.isnan(got), (buffer_km, row, std.name)  # never 'not applicable'
                uncertain = result.buffer_uncertain[std.name]
                checked += 1
                where = (buffer_km, outside, areas["area_id"].iloc[row], std.name, got, full,
                         uncertain)
                if abs(got - full) > 0.5:
                    differing.append(where)
                    assert uncertain >= abs(got - full) - 0.5, where
                if got == 0 and full > 0:  # no hospital within 5 km: 0 %, and said why
                    said = (spec.folder / "out" / "run_summary.txt").read_text("utf-8")
                    assert f"{std.name}: no facility of type" in said
                    assert "every place counted beyond reach (0 % covered)" in said
    # the comparison means something: the cut changes answers, and not only a few
    assert checked == 4 * 4 * len(STANDARDS)
    assert len(differing) >= 6, differing
    assert {d[0] for d in differing} >= {5.0, 20.0}, differing
    # a place may be covered on the cut network and not on the region's (it joins a road
    # the cut left out): the check counts those too
    assert any(d[4] > d[5] + 0.5 for d in differing), differing
