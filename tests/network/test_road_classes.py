"""Road classes from a bureau's layer or a Geofabrik shapefile: found, read, stated.

Expected times are worked by hand: 1 km at the default speed of the OSM class the Chinese
name stands for (geo/settings.py DRIVE_SPEEDS_KMH: trunk 70, secondary 45, tertiary 35,
residential 25 km/h).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geo.errors import ColumnError, NetworkError, StudyError
from geo.network.road_classes import CHINESE_CLASSES, with_highway
from geo.network.sources import RoadOptions, networks_from_source
from geo.settings import DRIVE_SPEEDS_KMH
from geo.study.inputs import STUDY_KEYS
from tests.conftest import lines_gdf

KM = [(0, 0), (1000, 0)]


def _chain(column: str, classes: list[str]) -> list[dict[str, object]]:
    """1 km lines end to end, one per class."""
    return [{"coords": [(1000 * i, 0), (1000 * (i + 1), 0)], column: c}
            for i, c in enumerate(classes)]


def _seconds(path: Path, **options: object) -> list[float]:
    net = networks_from_source(path, ["drive"], RoadOptions(**options))["drive"]  # type: ignore[arg-type]
    return sorted(np.round(net.seg_fw_s, 6).tolist())


def _hours(*kmh: float) -> list[float]:
    return sorted(round(3600.0 / v, 6) for v in kmh)


def test_a_bureau_layer_with_chinese_classes(tmp_path: Path) -> None:
    path = tmp_path / "道路.geojson"
    lines_gdf(_chain("道路等级", ["国道", "县道", "乡道", "支路"])).to_file(path)
    assert _seconds(path) == _hours(70.0, 45.0, 35.0, 25.0)
    net = networks_from_source(path, ["drive"])["drive"]
    (note,) = [n for n in net.report.notes if "road classes" in n]
    assert note.startswith("road classes read from column '道路等级'; road classes read as OSM "
                           "classes: ")
    for pair in ("国道 → trunk (1)", "县道 → secondary (1)", "乡道 → tertiary (1)",
                 "支路 → residential (1)"):
        assert pair in note


def test_a_geofabrik_shapefile_with_fclass(tmp_path: Path) -> None:
    path = tmp_path / "gis_osm_roads_free_1.shp"
    lines_gdf(_chain("fclass", ["primary", "tertiary"])).to_file(path)
    assert _seconds(path) == _hours(60.0, 35.0)
    notes = networks_from_source(path, ["drive"])["drive"].report.notes
    assert "road classes read from column 'fclass'" in notes  # OSM classes: none translated


def test_class_col_names_the_column_and_wins(tmp_path: Path) -> None:
    rows = _chain("技术等级", ["一级公路", "四级公路"])
    for r in rows:
        r["类型"] = "道路"
    path = tmp_path / "roads.gpkg"
    lines_gdf(rows).to_file(path)
    # 技术等级 comes before 类型 in the columns looked for; class_col may name either
    assert _seconds(path) == _hours(70.0, 25.0)
    assert _seconds(path, class_col="技术等级") == _hours(70.0, 25.0)
    with pytest.raises(NetworkError, match=r"no speed for road classes \{'道路': 2\}"):
        _seconds(path, class_col="类型")
    with pytest.raises(ColumnError, match=r"RoadOptions\(class_col='等级'\): not a column"):
        _seconds(path, class_col="等级")


def test_a_local_class_gets_a_speed_from_the_study(tmp_path: Path) -> None:
    """The error advises RoadOptions(speeds_kmh=...) for a local name ([roads] speeds_kmh
    from a study); the advice works."""
    path = tmp_path / "roads.geojson"
    lines_gdf(_chain("道路等级", ["县道", "机耕路"])).to_file(path)
    with pytest.raises(NetworkError) as e:
        _seconds(path)
    assert "{'机耕路': 1}" in str(e.value) and "RoadOptions(speeds_kmh=...)" in str(e.value)
    assert "[roads] speeds_kmh" in e.value.relabel(STUDY_KEYS).args[0]
    assert _seconds(path, speeds_kmh={"机耕路": 15.0}) == _hours(45.0, 15.0)
    import typing

    from geo.options import check_value
    from geo.study.schema import RoadsSection

    hint = typing.get_type_hints(RoadsSection)["speeds_kmh"]
    meta = RoadsSection.__dataclass_fields__["speeds_kmh"].metadata
    where = "[roads] speeds_kmh"
    assert check_value({"机耕路": 15}, hint, where, meta, Path()) == {"机耕路": 15.0}
    with pytest.raises(StudyError, match="did you mean 'tertiary'"):  # ASCII: an OSM class
        check_value({"tertairy": 30}, hint, where, meta, Path())


def test_no_class_column_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "roads.geojson"
    lines_gdf([{"coords": KM, "名称": "G209"}]).to_file(path)
    with pytest.raises(ColumnError, match=r"its columns are \['名称'\]: name the one that "
                       r"holds them with RoadOptions\(class_col=\.\.\.\)"):
        _seconds(path)


def test_every_chinese_class_has_a_speed() -> None:
    assert set(CHINESE_CLASSES.values()) <= set(DRIVE_SPEEDS_KMH)
    roads = lines_gdf([{"coords": KM, "highway": "primary"}, {"coords": KM, "highway": "国道"}])
    out, notes = with_highway(roads)
    assert list(out["highway"]) == ["primary", "trunk"]
    assert notes == ["road classes read as OSM classes: 国道 → trunk (1)"]
    assert with_highway(roads.iloc[:1])[1] == []  # OSM classes in highway: nothing to say
