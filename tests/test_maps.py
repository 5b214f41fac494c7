"""Tests for geo.maps: the folium coverage map of Luzhai, built from the real facility list.

The county polygon (鹿寨县, counties.geojson) is cut into three fake townships; coverage and
isochrones are made up by hand so that 中渡镇 fails the primary-care target, the two other
townships pass it, ``community_15min`` is not applicable and ``walk_15min`` covers nothing.
Assertions read the saved HTML: folium embeds GeoJSON as JSON with ``\\uXXXX`` escapes, so
the tests decode those where they read township data.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from geo.errors import ColumnError, CoordinateError, GeoError, StandardError
from geo.maps import FAIL_OUTLINE_COLOUR, coverage_map, save_map

DATA = Path("/work/shared/data/liuzhou")
COUNTY_SEAT = (24.487206, 109.752928)  # lat, lon of the six county-seat facilities
NOTES = [
    "approximate township areas (nearest township seat by travel time)",
    "population spread evenly over the county (2020 census total 337,298)",
    "facility positions at township-seat level (within ~1 km)",
]
SHARES = {"鹿寨镇": 0.95, "中渡镇": 0.60, "寨沙镇": 0.92}  # primary_30min, target 0.9
NA_NOTE = "not applicable: no community health service centre in this study"
LABELS = {
    "primary_30min": ("Primary care within 30 minutes", 30),
    "emergency_1h": ("Emergency care within 1 hour", 60),
    "community_15min": ("Community health service within 15 minutes", 15),
    "walk_15min": ("Walk to a health centre within 15 minutes", 15),
}

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared Liuzhou data not present")


# --------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def county() -> shapely.MultiPolygon:
    counties = gpd.read_file(DATA / "counties.geojson")
    return counties.loc[counties["name"] == "鹿寨县"].geometry.iloc[0]


@pytest.fixture(scope="module")
def facilities() -> gpd.GeoDataFrame:
    df = pd.read_csv(DATA / "facilities_luzhai.csv", dtype=str, keep_default_na=False)
    lon, lat = df["lon"].astype(float), df["lat"].astype(float)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=4326)


@pytest.fixture(scope="module")
def townships(county: shapely.MultiPolygon) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = county.bounds
    cuts = {
        "鹿寨镇": box(minx, miny, 109.75, 24.5),
        "中渡镇": box(minx, 24.5, 109.75, maxy),
        "寨沙镇": box(109.75, miny, maxx, maxy),
    }
    geoms = [county.intersection(b) for b in cuts.values()]
    return gpd.GeoDataFrame({"township": list(cuts)}, geometry=geoms, crs=4326)


@pytest.fixture(scope="module")
def boundary(county: shapely.MultiPolygon) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["鹿寨县"]}, geometry=[county], crs=4326)


def _row(township: str, standard: str, share: float, note: str = "") -> dict[str, Any]:
    label, minutes = LABELS[standard]
    na = math.isnan(share)
    return {
        "township": township,
        "standard": standard,
        "label": label,
        "minutes": minutes,
        "population": 100_000,
        "covered_population": np.nan if na else share * 100_000,
        "covered_share": share,
        "target_share": 0.9,
        "meets_target": pd.NA if na else share >= 0.9,
        "median_minutes": np.nan if na else 12.0,
        "p90_minutes": np.nan if na else 25.0,
        "max_minutes": np.nan if na else 40.0,
        "note": note,
    }


@pytest.fixture(scope="module")
def coverage() -> pd.DataFrame:
    rows = []
    for town, share in SHARES.items():
        rows.append(_row(town, "primary_30min", share))
        rows.append(_row(town, "emergency_1h", 1.0))
        rows.append(_row(town, "community_15min", math.nan, NA_NOTE))
        rows.append(_row(town, "walk_15min", 0.0))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def isochrones(facilities: gpd.GeoDataFrame, county: shapely.MultiPolygon) -> gpd.GeoDataFrame:
    utm = facilities.to_crs(32649)  # WGS84 / UTM 49N covers Luzhai (108-114 E)

    def reach(metres: float) -> shapely.Geometry:
        disc = gpd.GeoSeries([utm.buffer(metres).union_all()], crs=32649).to_crs(4326)
        return disc.iloc[0].intersection(county)

    standards = ["primary_30min", "emergency_1h", "community_15min", "walk_15min"]
    geoms = [reach(8_000), reach(40_000), shapely.Polygon(), shapely.Polygon()]
    return gpd.GeoDataFrame(
        {
            "standard": standards,
            "label": [f"{s}: within {LABELS[s][1]} min" for s in standards],  # as geo.coverage
            "minutes": [LABELS[s][1] for s in standards],
        },
        geometry=geoms,
        crs=4326,
    )


@pytest.fixture(scope="module")
def inputs(
    facilities: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    isochrones: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
) -> dict[str, Any]:
    return {
        "facilities": facilities,
        "townships": townships,
        "coverage": coverage,
        "isochrones": isochrones,
        "boundary": boundary,
        "title": "鹿寨县 primary care coverage 基层医疗覆盖",
        "notes": NOTES,
    }


def _render(inputs: dict[str, Any], folder: Path, standard: str) -> str:
    path = save_map(coverage_map(**inputs, standard=standard), folder / f"{standard}.html")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(inputs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    return _render(inputs, tmp_path_factory.mktemp("maps"), "primary_30min")


# --------------------------------------------------------------------------- HTML readers


def _unescape(text: str) -> str:
    """Undo JSON ``\\uXXXX`` escapes (folium's ``tojson``) so Chinese reads literally."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _overlays(page: str) -> dict[str, str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S)
    assert block, "no layer control overlays"
    return dict(re.findall(r'"([^"]+)"\s*:\s*(\w+)', block.group(1)))


def _base_layers(page: str) -> dict[str, str]:
    block = re.search(r"base_layers\s*:\s*\{(.*?)\}", page, re.S)
    assert block, "no layer control base layers"
    return dict(re.findall(r'"([^"]+)"\s*:\s*(\w+)', block.group(1)))


def _geojson_data(page: str, var: str) -> dict[str, Any]:
    start = page.index(f"{var}_add(") + len(f"{var}_add(")
    data, _ = json.JSONDecoder().raw_decode(page, start)
    return data


def _township_layer_var(page: str) -> str:
    names = [n for n in _overlays(page) if n.startswith("Townships")]
    assert len(names) == 1, _overlays(page)
    return _overlays(page)[names[0]]


def _township_styles(page: str) -> dict[str, dict[str, Any]]:
    """The style Leaflet gives each township: folium's ``switch`` over feature ids."""
    var = _township_layer_var(page)
    body = re.search(
        rf"function {var}_styler\(feature\) \{{(.*?)default:\s*return (\{{.*?\}});", page, re.S
    )
    assert body, "township styler not found"
    styles: dict[str, dict[str, Any]] = {}
    for cases, style in re.findall(
        r"((?:case \"(?:[^\"\\]|\\.)*\": )+)\s*return (\{.*?\});", body[1]
    ):
        for case in re.findall(r"case (\"(?:[^\"\\]|\\.)*\"):", cases):
            styles[json.loads(case)] = json.loads(style)
    for feature in _geojson_data(page, var)["features"]:
        styles.setdefault(feature["id"], json.loads(body[2]))
    return styles


def _township_props(page: str) -> dict[str, dict[str, Any]]:
    data = _geojson_data(page, _township_layer_var(page))
    return {f["id"]: f["properties"] for f in data["features"]}


def _popups(page: str) -> dict[str, str]:
    """Facility popups by facility name (the bold first line of each popup)."""
    found = re.findall(r'<div class="geo-popup"><b>(.*?)</b>(.*?)</div>', page)
    return dict(found)


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# --------------------------------------------------------------------------- saving


def test_save_map_writes_utf8_file_atomically(inputs: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "maps" / "luzhai.html"  # the folder does not exist yet
    result = save_map(coverage_map(**inputs, standard="primary_30min"), target)
    assert result == target
    assert [p.name for p in target.parent.iterdir()] == ["luzhai.html"]  # no temp file left
    text = target.read_bytes().decode("utf-8")
    assert text.lstrip().startswith("<!DOCTYPE html>")
    assert "鹿寨县人民医院" in text  # literal, not \u-escaped: readable in popups
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_unknown_standard_raises_and_keeps_existing_file(
    inputs: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "map.html"
    target.write_text("<html>good map</html>", encoding="utf-8")
    with pytest.raises(ValueError, match="dental_20min") as err:
        save_map(coverage_map(**inputs, standard="dental_20min"), target)
    assert isinstance(err.value, StandardError)
    for available in ("primary_30min", "emergency_1h", "community_15min", "walk_15min"):
        assert available in str(err.value)
    assert target.read_text(encoding="utf-8") == "<html>good map</html>"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


class _Broken(folium.MacroElement):
    def render(self, **kwargs: Any) -> str:
        raise RuntimeError("render failed")


def test_render_failure_keeps_existing_file(inputs: dict[str, Any], tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    m = coverage_map(**inputs, standard="primary_30min")
    _Broken().add_to(m)
    with pytest.raises(RuntimeError, match="render failed"):
        save_map(m, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_write_failure_removes_temp_file(
    inputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    m = coverage_map(**inputs, standard="primary_30min")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("geo.maps.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_map(m, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


# --------------------------------------------------------------------------- facilities


def test_every_facility_has_popup_with_its_fields(page: str, facilities: gpd.GeoDataFrame) -> None:
    popups = _popups(page)
    assert len(popups) == len(facilities) == 14
    for fac in facilities.itertuples():
        body = popups[fac.name]  # Chinese name, literally
        for field in ("English name", "Type", "Grade", "Location quality", "ID"):
            assert f"<th>{field}</th>" in body
        assert f"<td>{fac.name_en}</td>" in body
        assert f"({fac.type})</td>" in body
        assert f"<td>{fac.location_quality}</td>" in body
        assert f"<td>{fac.id}</td>" in body
        assert f"<td>{fac.grade or '–'}</td>" in body
        tooltip = re.search(
            r"bindTooltip\(\s*`<div>\s*" + re.escape(fac.name) + r"\s*</div>`", page
        )
        assert tooltip, f"no tooltip for {fac.name}"
    assert "<td>Grade 2A (二级甲等)</td>" in popups["鹿寨县人民医院"]


def test_colocated_facilities_are_separately_clickable(page: str) -> None:
    markers = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\]", page)
    assert len(markers) == 14
    at_seat = [m for m in markers if (float(m[0]), float(m[1])) == COUNTY_SEAT]
    assert len(at_seat) == 6  # five county-level facilities and 鹿寨镇中心卫生院
    anchors = [tuple(map(int, a)) for a in re.findall(r'"iconAnchor": \[(-?\d+), (-?\d+)\]', page)]
    sizes = set(re.findall(r'"iconSize": \[(\d+), (\d+)\]', page))
    assert len(anchors) == 14 and len(sizes) == 1
    size = int(next(iter(sizes))[0])
    centre = (size // 2, size // 2)
    moved = [a for a in anchors if a != centre]
    assert len(moved) == 6
    # the six icons sit on one ring and no two overlap (centres at least one icon apart)
    radii = {round(math.dist(a, centre)) for a in moved}
    assert len(radii) == 1 and radii.pop() >= size
    assert min(math.dist(a, b) for a, b in itertools.combinations(moved, 2)) >= size
    for name in ("鹿寨县中医医院", "鹿寨县疾病预防控制中心"):
        assert "this position is shared with" in _popups(page)[name]


# --------------------------------------------------------------------------- townships


def test_failing_township_has_red_outline(page: str) -> None:
    styles = _township_styles(page)
    assert set(styles) == set(SHARES)
    assert styles["中渡镇"]["color"] == FAIL_OUTLINE_COLOUR == "#d7191c"
    for passing in ("鹿寨镇", "寨沙镇"):
        assert styles[passing]["color"] != FAIL_OUTLINE_COLOUR
        assert styles[passing]["weight"] < styles["中渡镇"]["weight"]
    # a sequential scale: the 95 % township is darker than the 60 % one
    assert _luminance(styles["鹿寨镇"]["fillColor"]) < _luminance(styles["中渡镇"]["fillColor"])


def test_township_tooltip_fields(page: str) -> None:
    tip = _township_props(page)["中渡镇"]["tooltip"]
    for text in ("中渡镇", "Population", "100,000", "60.0%", "60,000 people", "90.0%",
                 "below target", "12 min", "25 min", "40 min"):  # fmt: skip
        assert text in tip, text
    assert "meets target" in _township_props(page)["鹿寨镇"]["tooltip"]


def test_not_applicable_standard_is_grey_with_note(inputs: dict[str, Any], tmp_path: Path) -> None:
    page = _render(inputs, tmp_path, "community_15min")
    styles = _township_styles(page)
    for style in styles.values():
        r, g, b = (int(style["fillColor"][i : i + 2], 16) for i in (1, 3, 5))
        assert r == g == b, style  # grey
        assert style["color"] != FAIL_OUTLINE_COLOUR
    for props in _township_props(page).values():
        assert NA_NOTE in props["tooltip"]
    assert "Standard shown: <b>community_15min</b>" in page


# --------------------------------------------------------------------------- layers, legend


def test_layer_per_standard_only_selected_shown(page: str) -> None:
    overlays = _overlays(page)
    expected = {
        "primary_30min: within 30 min": True,
        "emergency_1h: within 60 min": False,
        "community_15min: within 15 min (not applicable)": False,
        "walk_15min: within 15 min (nothing covered)": False,
    }
    for name, shown in expected.items():
        assert name in overlays, sorted(overlays)
        assert (f"{overlays[name]}.addTo(" in page) is shown, name
    assert {"Study area boundary", "Health facilities"} <= set(overlays)
    # the covered areas (2 drawn) and the boundary let hover reach the township tooltips
    assert page.count('"interactive": false') == 3
    assert "L.control.layers(" in page and '"collapsed": false' in page


def test_shown_standard_area_uses_legend_colour(inputs: dict[str, Any], tmp_path: Path) -> None:
    page = _render(inputs, tmp_path, "emergency_1h")
    group = _overlays(page)["emergency_1h: within 60 min"]
    assert f"{group}.addTo(" in page
    geojson = re.search(rf"(geo_json_\w+)\.addTo\({group}\)", page)
    assert geojson, "emergency_1h area not drawn in its layer"
    style = re.search(rf"function {geojson[1]}_styler.*?return (\{{.*?\}});", page, re.S)
    assert style
    legend = re.search(r'<div class="geo-box geo-legend">.*?</div></div>', page)
    assert legend
    colour = json.loads(style[1])["color"]
    assert f"border:1px solid {colour}" in legend[0]  # the legend swatch of the covered area


def test_base_layers_and_attribution(page: str) -> None:
    bases = _base_layers(page)
    assert "OpenStreetMap" in bases
    assert any(name.startswith("No basemap") for name in bases)
    assert "openstreetmap.org/{z}/{x}/{y}.png" in page.replace("tile.", "")
    assert "Road data © OpenStreetMap contributors" in page  # visible in the title block
    attributions = [json.loads(f'"{a}"') for a in re.findall(r'"attribution": "(.*?)",\n', page)]
    assert attributions and all("OpenStreetMap</a> contributors" in a for a in attributions)


def test_title_legend_and_notes(page: str) -> None:
    assert "鹿寨县 primary care coverage 基层医疗覆盖" in page
    assert "Standard shown: <b>primary_30min</b> – Primary care within 30 minutes" in page
    assert f"Date: {date.today().isoformat()}" in page
    for note in NOTES:
        assert f"<li>{note}</li>" in page  # each note whole, on its own line
    assert "Share of population covered: primary_30min (Primary care within 30 minutes)" in page
    legend = re.search(r'<div class="geo-box geo-legend">.*?</div></div>', page)
    assert legend
    for text in ("township meets target", "township below target", "standard not applicable",
                 "County general hospital", "County CDC", "Township health centre"):  # fmt: skip
        assert text in legend[0], text
    assert f"border-top:4px solid {FAIL_OUTLINE_COLOUR}" in legend[0]


def test_fits_bounds_and_keeps_html_small(
    page: str, boundary: gpd.GeoDataFrame, townships: gpd.GeoDataFrame
) -> None:
    minx, miny, maxx, maxy = boundary.total_bounds
    fit = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", page)
    assert fit
    assert np.allclose([float(v) for v in fit.groups()], [miny, minx, maxy, maxx])
    assert len(page.encode("utf-8")) < 400_000
    drawn = gpd.GeoDataFrame.from_features(_geojson_data(page, _township_layer_var(page)), crs=4326)
    original = shapely.get_num_coordinates(townships.geometry.values).sum()
    assert shapely.get_num_coordinates(drawn.geometry.values).sum() < 0.6 * original
    # 50 m simplification barely changes the areas (compared in metres, UTM 49N)
    before = townships.to_crs(32649).area.sum()
    assert abs(drawn.to_crs(32649).area.sum() - before) / before < 0.005


# --------------------------------------------------------------------------- validation


def test_missing_column_is_named(inputs: dict[str, Any]) -> None:
    bad = {**inputs, "coverage": inputs["coverage"].drop(columns="target_share")}
    with pytest.raises(ColumnError, match="target_share"):
        coverage_map(**bad, standard="primary_30min")


def test_facilities_without_crs_are_refused(inputs: dict[str, Any]) -> None:
    bad = {**inputs, "facilities": inputs["facilities"].set_crs(None, allow_override=True)}
    with pytest.raises(CoordinateError, match="no CRS"):
        coverage_map(**bad, standard="primary_30min")


def test_projected_inputs_are_reprojected(inputs: dict[str, Any], tmp_path: Path) -> None:
    projected = {**inputs, "facilities": inputs["facilities"].to_crs(32649)}
    page = _render(projected, tmp_path, "primary_30min")
    markers = re.findall(r"L\.marker\(\s*\[([\d.]+), ([\d.]+)\]", page)
    assert sum(np.allclose([float(a), float(b)], COUNTY_SEAT) for a, b in markers) == 6


def test_duplicate_coverage_rows_are_refused(inputs: dict[str, Any]) -> None:
    cov = inputs["coverage"]
    bad = {**inputs, "coverage": pd.concat([cov, cov.iloc[[0]]], ignore_index=True)}
    with pytest.raises(GeoError, match="one row per"):
        coverage_map(**bad, standard=str(cov.iloc[0]["standard"]))


def test_percentages_instead_of_shares_are_refused(inputs: dict[str, Any]) -> None:
    cov = inputs["coverage"].assign(covered_share=inputs["coverage"]["covered_share"] * 100)
    with pytest.raises(ColumnError, match=r"covered_share outside 0\.\.1"):
        coverage_map(**{**inputs, "coverage": cov}, standard="primary_30min")


def test_unmatched_townships_are_reported_not_dropped(
    inputs: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cov = inputs["coverage"]
    cov = cov[cov["township"] != "寨沙镇"].copy()  # 寨沙镇 polygon without coverage rows
    cov.loc[cov["township"] == "鹿寨镇", "township"] = "四排镇"  # rows without a polygon
    with caplog.at_level("WARNING", logger="geo.maps"):
        page = _render({**inputs, "coverage": cov}, tmp_path, "primary_30min")
    assert "寨沙镇" in caplog.text and "四排镇" in caplog.text
    styles = _township_styles(page)
    assert set(styles) == {"鹿寨镇", "中渡镇", "寨沙镇"}  # every polygon still drawn
    fill = styles["寨沙镇"]["fillColor"]
    assert fill[1:3] == fill[3:5] == fill[5:7]  # grey: no data for this standard
    assert "no coverage row" in _township_props(page)["寨沙镇"]["tooltip"]
