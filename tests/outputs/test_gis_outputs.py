"""GeoPackages and travel-time GeoTIFFs as a GIS user opens them.

Every GeoPackage ``geo`` writes (``results.gpkg`` of a run, ``siting.gpkg``,
``designation.gpkg``, ``comparison.gpkg``) is read here with SQLite and GDAL (pyogrio),
not with the writers: a ``layer_styles`` row (QGIS's layout) with a parseable QML style for
every spatial layer, titles in Chinese, GeoPackage 1.3, the assumptions once in the
metadata. The townships' pass/fail fields and the planning layers' people are checked
against counts made here from the demand points' minutes; the GeoTIFFs against the demand
grid's minutes at the demand points. Where QGIS is installed (Debian ``python3-qgis``),
QGIS itself opens every file, applies the stored styles and renders a map.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely

from geo.coverage import population
from geo.outputs import qml
from geo.outputs.raster import NODATA, grid_geometry, grid_minutes
from geo.study.run import run_study
from tests.conftest import DATA, ROOT
from tests.outputs.conftest import HOSTILE
from tests.outputs.qgis_run import needs_qgis, run_qgis

CJK = re.compile(r"[\u4e00-\u9fff]")


def _sql(path: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(query).fetchall()


def _planning_gpkgs(planning: dict[str, Any]) -> list[Path]:
    base = planning["dir"]
    return [base / "site" / "siting.gpkg", base / "ems" / "designation.gpkg",
            base / "planned" / "comparison.gpkg", base / "hostile" / "comparison.gpkg"]


def _columns(path: Path, table: str) -> list[str]:
    return [r[1] for r in _sql(path, f'PRAGMA table_info("{table}")')]


def check_gpkg(path: Path, assumptions: list[str]) -> dict[str, list[ET.Element]]:
    """What every GeoPackage of geo holds (see module docs); the parsed styles by layer."""
    assert _sql(path, "PRAGMA application_id")[0][0] == 0x47504B47  # 'GPKG'
    assert _sql(path, "PRAGMA user_version")[0][0] == 10300  # 1.3: QGIS 3.22's GDAL 3.6
    contents = _sql(path, "SELECT table_name, data_type, identifier, description "
                          "FROM gpkg_contents")
    geoms = dict(_sql(path, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    spatial = [t for t, kind, _, _ in contents if kind == "features"]
    assert spatial, path
    ours = [row for row in contents if row[0] != "layer_styles"]
    titles = [row[2] for row in ours]
    assert len(set(titles)) == len(titles), titles
    for table, kind, title, about in ours:
        assert CJK.search(title) and CJK.search(about), (table, title, about)  # zh study
        assert "basis" not in _columns(path, table), table  # the assumptions are said once
        assert kind != "features" or any(v is not None for (v,) in _sql(
            path, f'SELECT "{geoms[table]}" FROM "{table}" LIMIT 5')), table
    rows = _sql(path, "SELECT f_table_catalog, f_table_schema, f_table_name, "
                      "f_geometry_column, styleName, styleQML, useAsDefault FROM layer_styles")
    styled: dict[str, list[ET.Element]] = {}
    for catalog, schema, table, geom_col, _name, text, _default in rows:
        assert (catalog, schema) == ("", ""), table  # as QGIS writes them for a GeoPackage
        assert geom_col == geoms.get(table, ""), table
        root = ET.fromstring(text.split("\n", 1)[1])
        assert root.tag == "qgis"
        styled.setdefault(table, []).append(root)
        cols = set(_columns(path, table))
        for rend in root.iter("renderer-v2"):
            assert rend.get("attr") in (None, *cols), (table, rend.get("attr"))
            for rule in rend.iter("rule"):
                named = set(re.findall(r'"([^"]+)"', rule.get("filter", "")))
                assert named <= cols, (table, named - cols)
        for alias in root.iter("alias"):
            assert alias.get("field") in cols, (table, alias.get("field"))
        defaults = [r[6] for r in rows if r[2] == table]
        assert sum(defaults) == 1, (table, defaults)  # one default: what QGIS applies
    assert set(spatial) <= set(styled), set(spatial) - set(styled)
    # the assumptions once: QGIS layer metadata in gpkg_metadata, referenced by every table
    (md,) = _sql(path, "SELECT id, md_standard_uri, metadata FROM gpkg_metadata")
    assert md[1] == "http://mrcc.com/qgis.dtd"
    abstract = ET.fromstring(md[2].split("\n", 1)[1]).findtext("abstract") or ""
    for a in assumptions:
        assert a in abstract, a
    refs = {t for (t,) in _sql(path, "SELECT table_name FROM gpkg_metadata_reference "
                                     f"WHERE reference_scope = 'table' AND md_file_id = {md[0]}")}
    assert {row[0] for row in ours} <= refs
    return styled


# --------------------------------------------------------------------------- results.gpkg


def test_results_gpkg_is_gis_ready(luzhai_demo: tuple[Any, Path]) -> None:
    computed, out = luzhai_demo
    gpkg = out / "results.gpkg"
    styled = check_gpkg(gpkg, computed.assumptions)
    layers = dict(pyogrio.list_layers(gpkg))
    applicable = [s.name for s in computed.standards if s.name in computed.travel.minutes]
    assert applicable == ["emergency_1h", "primary_care_30min", "rescue_2h"]
    for std in applicable:  # one layer per standard, never a layer of all of them
        for base in ("bands", "isochrones"):
            frame = gpd.read_file(gpkg, layer=f"{base}_{std}")
            assert set(frame["standard"]) == {std}, (base, std)
    assert "bands" not in layers and "gaps" not in layers
    assert not any(n.endswith("community_15min") for n in layers)  # not applicable: no layer
    # the townships: one style per standard (the map's standard the default), then outlines
    names = [r[0] for r in _sql(gpkg, "SELECT styleName FROM layer_styles WHERE "
                                      "f_table_name = 'townships' ORDER BY id")]
    assert len(names) == 4 + len(applicable) and names[0].endswith("（emergency_1h）")
    assert layers["coverage"] is None and layers["summary"] is None  # tables, not layers
    fac = styled["facilities"][0]
    words = {o.get("value"): o.get("name") for o in fac.iter("Option")
             if o.get("type") == "QString" and o.get("value") == "township_health_center"}
    assert words == {"township_health_center": "乡镇卫生院"}  # the attribute table's words


def test_townships_carry_population_and_pass_fail(luzhai_demo: tuple[Any, Path]) -> None:
    computed, out = luzhai_demo
    towns = gpd.read_file(out / "results.gpkg", layer="townships").set_index("township")
    dem = gpd.read_file(out / "results.gpkg", layer="demand")
    pop = dem.groupby("township")["population"].sum()
    # the coverage table holds people to 0.1 and shares to 1e-4 (geo.coverage.tables)
    np.testing.assert_allclose(towns["population"], pop.reindex(towns.index), atol=0.051)
    for std in computed.standards:
        if std.name not in computed.travel.minutes:
            assert set(towns[f"status_{std.name}"]) == {"不适用 / 无数据"}
            assert towns[f"covered_share_{std.name}"].isna().all()
            continue
        within = dem[f"minutes_{std.name}"] <= std.minutes
        covered = dem["population"].where(within, 0.0).groupby(dem["township"]).sum()
        covered = covered.reindex(towns.index)
        share = covered / pop.reindex(towns.index)
        np.testing.assert_allclose(towns[f"covered_population_{std.name}"], covered, atol=0.051)
        np.testing.assert_allclose(towns[f"covered_share_{std.name}"], share, atol=5.1e-5)
        assert (towns[f"target_share_{std.name}"] == std.target_share).all()
        expected = np.where(share >= std.target_share - 1e-9, "达标", "未达标")
        assert list(towns[f"status_{std.name}"]) == list(expected), std.name
    assert (towns["status_emergency_1h"] == "未达标").sum() == 5  # the summary's 5 townships


# --------------------------------------------------------------------------- GeoTIFFs


def test_travel_time_geotiffs(luzhai_demo: tuple[Any, Path]) -> None:
    computed, out = luzhai_demo
    dem = gpd.read_file(out / "results.gpkg", layer="demand")
    area = gpd.read_file(out / "results.gpkg", layer="area")
    tifs = sorted((out / "travel_time").glob("*.tif"))
    assert [p.stem for p in tifs] == ["emergency_1h", "primary_care_30min", "rescue_2h"]
    for tif in tifs:
        assert tif.with_suffix(".qml").is_file()  # QGIS's default style beside it
        with rasterio.open(tif) as src:
            assert src.crs.to_epsg() == 32649  # UTM 49N: Luzhai lies at 109.5-110.1 E
            assert src.nodata == NODATA and src.dtypes == ("float32",)
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
            assert src.res == (500.0, 500.0)
            assert src.tags()["STANDARD"] == tif.stem
            assert src.tags()["ASSUMPTION_1"] == computed.assumptions[0]
            xy = dem.geometry.to_crs(src.crs)
            got = np.array([v[0] for v in src.sample(zip(xy.x, xy.y, strict=True))])
            want = dem[f"minutes_{tif.stem}"].to_numpy(dtype=np.float32)
            np.testing.assert_array_equal(got, want)  # every demand point's own minutes
            pixels = src.read(1)
            assert (pixels != NODATA).sum() == len(dem)  # one pixel per grid cell, no more
            # a pixel whose square lies wholly outside the county is no data, and only those
            # and the cells of the area without minutes are
            boundary = area.to_crs(src.crs).geometry.iloc[0]
            rows, cols = np.indices(pixels.shape).reshape(2, -1)
            x, y = (np.asarray(v) for v in rasterio.transform.xy(src.transform, rows, cols))
            half = src.res[0] / 2
            touches = shapely.intersects(shapely.box(x - half, y - half, x + half, y + half),
                                         boundary).reshape(pixels.shape)
            assert (~touches).sum() > 1000 and (pixels[~touches] == NODATA).all()


def _band_counts(values: np.ndarray, bands: pd.DataFrame) -> list[int]:
    return [int(((values >= lo) & (values < hi)).sum()) for lo, hi in
            zip(bands["lo"], bands["hi"], strict=True)]


def test_surfaces_hold_the_minutes_the_bands_were_cut_from(
        luzhai_demo: tuple[Any, Path]) -> None:
    computed = luzhai_demo[0]
    for std, minutes in grid_minutes(computed).items():
        bands = computed.bands[computed.bands["standard"] == std]
        assert _band_counts(np.asarray(minutes), bands) == list(bands["cells"]), std


def test_surface_of_point_demand_times_the_grid(tmp_path: Path,
                                                luzhai_demo: tuple[Any, Path]) -> None:
    """Village points as demand: the surface holds the grid's own minutes (as its bands),
    not the villages'."""
    demand = luzhai_demo[0].demand
    villages = demand.iloc[::40]
    pd.DataFrame({"lon": villages.geometry.x, "lat": villages.geometry.y,
                  "population": villages["population"].round()}).to_csv(
        tmp_path / "villages.csv", index=False)
    shutil.copytree(ROOT / "analysis", tmp_path / "analysis")
    shutil.copytree(DATA, tmp_path / "data")
    study = tmp_path / "analysis" / "luzhai.toml"
    text = study.read_text(encoding="utf-8")
    text = re.sub(r'method = "even".*?\n', 'method = "points"\npath = "../villages.csv"\n', text)
    text = re.sub(r"\ntotal = 337298\n", "\n", text)
    text = re.sub(r'\nlabel = "2020 census[^\n]*\n', "\n", text)
    text = re.sub(r"\n\[measures\].*?(?=\n\[checks\])", "\n", text, flags=re.S)
    study.write_text(text, encoding="utf-8")
    computed = run_study(study)
    assert len(computed.demand) == len(villages) < len(computed.cells)
    minutes = grid_minutes(computed)
    for std, values in minutes.items():
        assert len(values) == len(computed.cells)
        bands = computed.bands[computed.bands["standard"] == std]
        assert _band_counts(np.asarray(values), bands) == list(bands["cells"]), std


def test_grid_geometry_by_hand() -> None:
    """A 2 km x 1 km rectangle on a 500 m grid: 4 columns, 2 rows, cells numbered row by
    row from the north-west; the raster's origin is the grid's north-west corner."""
    utm = "EPSG:32649"
    area = gpd.GeoSeries([shapely.box(400_000, 2_700_000, 402_000, 2_701_000)], crs=utm)
    cells, _ = population.grid_cells(area, 500)
    geom = grid_geometry(cells)
    assert geom.shape == (2, 4) and geom.crs.to_epsg() == 32649
    assert tuple(geom.transform)[:6] == (500.0, 0.0, 400_000.0, 0.0, -500.0, 2_701_000.0)
    pixels = geom.raster(np.arange(8.0))
    np.testing.assert_array_equal(pixels, np.arange(8.0).reshape(2, 4))
    with_gap = geom.raster([0.0, np.inf, 2, 3, 4, 5, np.nan, 7])
    assert with_gap[0, 1] == NODATA and with_gap[1, 2] == NODATA


# --------------------------------------------------------------------------- planning


def test_planning_gpkgs_are_gis_ready(planning: dict[str, Any]) -> None:
    runs = planning["runs"]
    notes = {"site": runs["site"].notes, "ems": runs["ems"].notes,
             "planned": runs["planned"].notes, "hostile": runs["hostile"].notes}
    for path in _planning_gpkgs(planning):
        check_gpkg(path, notes[path.parent.name])


def _people(result: Any, mask: np.ndarray) -> float:
    return float(result.demand["population"].to_numpy(dtype=float)[mask].sum())


def test_siting_gpkg_holds_the_answer(planning: dict[str, Any]) -> None:
    for folder, name in (("site", "siting.gpkg"), ("ems", "designation.gpkg")):
        run = planning["runs"][folder]
        path = planning["dir"] / folder / name
        chosen = gpd.read_file(path, layer="chosen_sites")
        assert list(chosen["id"]) == list(run.table["id"])
        np.testing.assert_allclose(chosen.geometry.x, run.table["lon"])
        new = gpd.read_file(path, layer="newly_within")
        np.testing.assert_allclose(new["population"], run.result.newly_covered.sum(),
                                   rtol=1e-9)
        std = run.standard
        minutes = run.study.demand[f"minutes_{std.name}"].to_numpy()
        today = gpd.read_file(path, layer="within_today")
        np.testing.assert_allclose(today["population"],
                                   _people(run.study, minutes <= run.minutes), rtol=1e-9)
        towns = gpd.read_file(path, layer="townships")
        np.testing.assert_allclose(towns["covered_before"].sum(), today["population"].iloc[0])
        np.testing.assert_allclose(towns["covered_after"].sum() - towns["covered_before"].sum(),
                                   new["population"].iloc[0], rtol=1e-9)
        share = towns["covered_after"] / towns["population"]
        want = np.where(share >= std.target_share - 1e-9, "达标", "未达标")
        if abs(run.minutes - std.minutes) > 1e-9:  # the plan sets no target at these minutes
            want = np.full(len(towns), "不适用 / 无数据")
        assert list(towns["status_after"]) == list(want)


def test_comparison_gpkg_holds_the_areas_gained_and_lost(planning: dict[str, Any]) -> None:
    for folder in ("planned", "hostile"):
        comp = planning["runs"][folder]
        path = planning["dir"] / folder / "comparison.gpkg"
        have = dict(pyogrio.list_layers(path))
        for std in comp.study.standards:
            b, a = comp.minutes_before.get(std.name), comp.minutes_after.get(std.name)
            if b is None:
                assert f"townships_{std.name}" not in have
                continue
            assert f"townships_{std.name}" in have
            for kind, mask in (("gained", (a <= std.minutes) & (b > std.minutes)),
                               ("lost", (b <= std.minutes) & (a > std.minutes))):
                layer = f"{kind}_{std.name}"
                if not mask.any():
                    assert layer not in have, layer
                    continue
                frame = gpd.read_file(path, layer=layer)
                np.testing.assert_allclose(frame["population"], _people(comp.study, mask))
        assert "changes" in have and "facilities_after" in have
    lost = [n for n in pyogrio.list_layers(planning["dir"] / "hostile" / "comparison.gpkg")[:, 0]
            if n.startswith("lost_")]
    assert lost  # the hostile scenario closes 拉沟乡卫生院
    fac = gpd.read_file(planning["dir"] / "hostile" / "comparison.gpkg", layer="facilities_after")
    assert HOSTILE["name"] in set(fac["name"])  # a GIS is no spreadsheet: the name verbatim


# --------------------------------------------------------------------------- QML


def test_qml_refuses_what_qgis_would_not_read() -> None:
    sym = qml.Symbol("fill", "#2c7bb6")
    with pytest.raises(ValueError, match="exactly one"):
        qml.document(qml.Style("polygon"), ["a"])
    with pytest.raises(ValueError, match="column"):
        qml.document(qml.Style("polygon", categories=[qml.Category("x", "x", sym)]), ["a"])
    with pytest.raises(ValueError, match="lacks"):
        qml.document(qml.Style("polygon", symbol=sym, aliases={"b": "乙"}), ["a"])
    with pytest.raises(ValueError, match="rrggbb"):
        qml.document(qml.Style("polygon", symbol=qml.Symbol("fill", "blue")), ["a"])
    assert qml.quote_field('a"b') == '"a""b"' and qml.quote_text("it's") == "'it''s'"
    text = qml.document(qml.Style("polygon", rules=[qml.Rule(
        f"{qml.quote_field('share')} < 0.5", "低 <50%", sym)]), ["share"])
    rule = next(ET.fromstring(text.split("\n", 1)[1]).iter("rule"))
    assert rule.get("filter") == '"share" < 0.5' and rule.get("label") == "低 <50%"


# --------------------------------------------------------------------------- real QGIS


def _renders(out: Path, planning: dict[str, Any]) -> dict[str, list[str]]:
    """The pictures of the QGIS check: name -> layers (first on top; ``@K``: the K-th
    stored style), drawn over the last vector layer's extent."""
    res = str(out / "results.gpkg")
    site = str(planning["dir"] / "site" / "siting.gpkg")
    ems = str(planning["dir"] / "ems" / "designation.gpkg")
    cmp_ = str(planning["dir"] / "planned" / "comparison.gpkg")

    def of(path: str, *layers: str) -> list[str]:
        return [f"{path}|{la}" for la in layers]

    # townships' styles: the four standards filled, then outlines of the three drawn
    return {
        "qgis_results.png": of(res, "facilities", "gaps_emergency_1h", "townships", "area"),
        "qgis_bands.png": of(res, "facilities", "townships@5", "bands_emergency_1h", "area"),
        "qgis_travel_time.png": [*of(res, "facilities", "townships@5", "area"),
                                 str(out / "travel_time" / "emergency_1h.tif")],
        "qgis_siting.png": of(site, "chosen_sites", "facilities", "townships", "newly_within",
                              "within_today", "area"),
        "qgis_designation.png": of(ems, "chosen_sites", "facilities", "townships",
                                   "newly_within", "within_today", "area"),
        "qgis_comparison.png": of(cmp_, "changes", "facilities_after",
                                  "gained_primary_care_30min", "lost_primary_care_30min",
                                  "townships_primary_care_30min", "area"),
    }


@needs_qgis
def test_qgis_opens_every_file_styled(luzhai_demo: tuple[Any, Path], planning: dict[str, Any],
                                      tmp_path: Path) -> None:
    computed, out = luzhai_demo
    gpkgs = [out / "results.gpkg", *_planning_gpkgs(planning)]
    tif = out / "travel_time" / "emergency_1h.tif"
    report = run_qgis(gpkgs, [tif], _renders(out, planning), tmp_path)
    for path in gpkgs:
        for name, layer in report[str(path)].items():
            assert layer["valid"], (path, name)
            assert layer["abstract"], (path, name)  # the assumptions, from gpkg_metadata
            if layer["geometry"] in (0, 1, 2):  # point, line, polygon
                assert layer["styles"], (path, name)
                assert layer["crs"] == "EPSG:4326", (path, name)
    res = report[str(out / "results.gpkg")]
    town = res["townships"]
    assert town["renderer"] == "RuleRenderer" and town["labels"]
    assert town["legend"][0] == "达标（≥ 目标 100%）" and len(town["legend"]) == 6
    assert town["aliases"]["status_emergency_1h"] == "1小时应急反应圈（emergency_1h）：达标情况"
    assert res["facilities"]["renderer"] == "categorizedSymbol"
    assert "乡镇卫生院" in res["facilities"]["legend"]
    assert res["facilities"]["value_maps"]["type"]
    assert res["bands_emergency_1h"]["legend"][0] == "0–15 分钟"
    assert computed.assumptions[0] in town["abstract"]
    raster = report[str(tif)]
    assert raster["valid"] and raster["crs"] == "EPSG:32649" and raster["nodata"] == NODATA
    assert raster["renderer"] == "singlebandpseudocolor"  # the .qml beside it
    assert 0 < raster["min"] < raster["max"] < 120


def test_results_of_an_older_geo_still_read(luzhai_demo: tuple[Any, Path],
                                            tmp_path: Path) -> None:
    """A results.gpkg as geo wrote it before the per-standard layers (one ``bands``,
    ``gaps``, ``isochrones``, ``measure_facilities`` and ``measure_areas`` layer, no
    ``layers_*`` rows in the metadata) reads as the same results."""
    from geo.outputs.results import read_gpkg

    new = luzhai_demo[1] / "results.gpkg"
    old = tmp_path / "old.gpkg"
    now = read_gpkg(new)
    for name, frame in (("facilities", now.facilities), ("townships", now.townships),
                        ("area", now.area), ("bands", now.bands), ("gaps", now.gaps),
                        ("isochrones", now.extra["isochrones"]),
                        ("measure_facilities", now.resources.facilities),
                        ("measure_areas", now.resources.areas)):
        frame.to_file(old, layer=name, driver="GPKG")
    for name in ("coverage", "summary", "measures", "response", "metadata"):
        table = gpd.read_file(new, layer=name)
        if name == "metadata":
            table = table[~table["key"].str.startswith("layers_")]
        gpd.GeoDataFrame(table, geometry=[None] * len(table), crs=4326).to_file(
            old, layer=name, driver="GPKG")
    again = read_gpkg(old)
    for attr in ("bands", "gaps"):
        pd.testing.assert_frame_equal(getattr(again, attr), getattr(now, attr),
                                      check_dtype=False)
    for attr in ("facilities", "areas"):
        pd.testing.assert_frame_equal(getattr(again.resources, attr),
                                      getattr(now.resources, attr), check_dtype=False)


def test_english_study_gets_english_titles(luzhai_demo: tuple[Any, Path],
                                           tmp_path: Path) -> None:
    import dataclasses

    from geo.outputs.results import from_study, write_gpkg

    computed = luzhai_demo[0]
    res = from_study(computed)
    en = dataclasses.replace(res, language="en", townships=res.townships.assign(
        **{f"status_{s}": "x" for s in res.standards}))
    write_gpkg(en, tmp_path / "en.gpkg")
    titles = dict(_sql(tmp_path / "en.gpkg", "SELECT table_name, identifier FROM "
                                             "gpkg_contents"))
    assert titles["townships"] == "Townships: coverage and target by standard"
    assert titles["bands_emergency_1h"] == ("Travel-time bands: 1-hour emergency response "
                                            "(emergency_1h)")
    assert not any(CJK.search(t) for t in titles.values())
