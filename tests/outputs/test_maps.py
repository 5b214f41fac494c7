"""Tests for geo.maps: the folium coverage map of Luzhai, built from the real facility list.

The county polygon (鹿寨县, counties.geojson) is cut into three fake townships; coverage,
travel-time bands and gaps are made up by hand so that 中渡镇 fails the primary-care target,
the two other townships pass it, ``community_15min`` is not applicable and ``walk_15min``
covers nothing. Labels are English here (``language="en"``); Chinese ones are tested below.
Assertions read the saved HTML: folium embeds GeoJSON as JSON with ``\\uXXXX`` escapes, so
the tests decode those where they read township data.
"""

from __future__ import annotations

import itertools
import json
import math
import re
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
from geo.outputs.map.coverage import FAIL_OUTLINE_COLOUR, coverage_map, save_map
from geo.outputs.map.layers import FAIL_RAMP, PASS_FILL, share_colour
from geo.outputs.map.offline import VENDOR, OfflineError, inline_assets
from tests.conftest import ROOT

DATA = ROOT / "data"
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



# --------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def county() -> shapely.MultiPolygon:
    counties = gpd.read_file(DATA / "boundaries" / "liuzhou_counties.geojson")
    return counties.loc[counties["name"] == "鹿寨县"].geometry.iloc[0]


@pytest.fixture(scope="module")
def facilities() -> gpd.GeoDataFrame:
    df = pd.read_csv(DATA / "facilities" / "facilities_luzhai.csv", dtype=str,
                     keep_default_na=False)
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


def _reach(facilities: gpd.GeoDataFrame, county: shapely.Geometry, metres: float) -> Any:
    utm = facilities.to_crs(32649)  # WGS84 / UTM 49N covers Luzhai (108-114 E)
    disc = gpd.GeoSeries([utm.buffer(metres).union_all()], crs=32649).to_crs(4326)
    return disc.iloc[0].intersection(county)


@pytest.fixture(scope="module")
def bands(facilities: gpd.GeoDataFrame, county: shapely.MultiPolygon) -> gpd.GeoDataFrame:
    """Hand-made bands: primary_30min in three rings, emergency_1h in one, nothing else."""
    r4, r8 = _reach(facilities, county, 4_000), _reach(facilities, county, 8_000)
    rows = [
        ("primary_30min", "0–15", 0, 15, r4),
        ("primary_30min", "15–30", 15, 30, r8.difference(r4)),
        ("primary_30min", "30–60", 30, 60, county.difference(r8)),
        ("emergency_1h", "0–15", 0, 15, county),
    ]
    return gpd.GeoDataFrame(
        [dict(zip(("standard", "band", "lo", "hi"), r[:4], strict=True)) for r in rows],
        geometry=[r[4] for r in rows], crs=4326,
    )


@pytest.fixture(scope="module")
def gaps(townships: gpd.GeoDataFrame, county: shapely.MultiPolygon) -> gpd.GeoDataFrame:
    """中渡镇: 40,000 people beyond 30 min in its northern half; walk_15min: everyone."""
    zhongdu = townships.loc[townships["township"] == "中渡镇"].geometry.iloc[0]
    minx, miny, maxx, maxy = zhongdu.bounds
    north = zhongdu.intersection(box(minx, (miny + maxy) / 2, maxx, maxy))
    rows = [("primary_30min", "中渡镇", 30, 40_000.0, north)]
    rows += [("walk_15min", t, 15, 100_000.0, g)
             for t, g in zip(townships["township"], townships.geometry, strict=True)]
    return gpd.GeoDataFrame(
        [dict(zip(("standard", "township", "minutes", "population"), r[:4], strict=True))
         for r in rows],
        geometry=[r[4] for r in rows], crs=4326,
    )


@pytest.fixture(scope="module")
def inputs(
    facilities: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    bands: gpd.GeoDataFrame,
    gaps: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
) -> dict[str, Any]:
    return {
        "facilities": facilities,
        "townships": townships,
        "coverage": coverage,
        "bands": bands,
        "gaps": gaps,
        "boundary": boundary,
        "title": "鹿寨县 primary care coverage 基层医疗覆盖",
        "notes": NOTES,
        "language": "en",
        "created": "2025-06-30",
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


def _switch(page: str) -> tuple[dict[str, str], dict[str, dict[str, str]], str]:
    """The standard switch: slot -> group variable, standard -> slot -> layer, shown."""
    slots = re.search(r"var slots = \{(.*?)\};", page, re.S)
    members = re.search(r"var members = \{(.*?)\};\n", page, re.S)
    shown = re.search(r"show\((\"[^\"]*\")\);\n\}\)\(\);", page)
    assert slots and members and shown, "no standard switch"
    by_std = {
        json.loads(key): dict(re.findall(r'"(\w+)": (\w+)', body))
        for key, body in re.findall(r'("(?:[^"\\]|\\.)*"): \{(.*?)\}', members[1], re.S)
    }
    return dict(re.findall(r'"(\w+)": (\w+)', slots[1])), by_std, json.loads(shown[1])


def _township_layer_var(page: str, standard: str | None = None) -> str:
    _, members, shown = _switch(page)
    return members[standard or shown]["townships"]


def _township_styles(page: str, standard: str | None = None) -> dict[str, dict[str, Any]]:
    """The style Leaflet gives each township: folium's ``switch`` over feature ids."""
    var = _township_layer_var(page, standard)
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


def _township_props(page: str, standard: str | None = None) -> dict[str, dict[str, Any]]:
    data = _geojson_data(page, _township_layer_var(page, standard))
    return {f["id"]: f["properties"] for f in data["features"]}


def _popups(page: str) -> dict[str, str]:
    """Facility popups by facility name (the bold first line of each popup)."""
    found = re.findall(r'<div class="geo-popup"><b>(.*?)</b>(.*?)</div>', page)
    return dict(found)


def _legend(page: str) -> str:
    """The legend box (it ends with the grey note on the bands)."""
    start = page.index('<div class="geo-box geo-legend">')
    return page[start : page.index("</div></div>", page.index('style="color:#555"', start)) + 12]


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

    monkeypatch.setattr("geo.outputs.map.coverage.os.fsync", full_disk)
    from geo.errors import OutputError

    with pytest.raises(OutputError, match="is full"):  # one message naming the folder
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


def _rgb(colour: str) -> tuple[int, int, int]:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return r, g, b


def test_failing_township_has_red_outline_and_warm_fill(page: str) -> None:
    styles = _township_styles(page)
    assert set(styles) == set(SHARES)
    assert styles["中渡镇"]["color"] == FAIL_OUTLINE_COLOUR == "#d7191c"
    for passing in ("鹿寨镇", "寨沙镇"):
        assert styles[passing]["color"] != FAIL_OUTLINE_COLOUR
        assert styles[passing]["weight"] < styles["中渡镇"]["weight"]
    # pass and fail are different hues: 95 % and 92 % (target 90 %) the same blue,
    # 60 % a warm colour (red above blue), not a lighter shade of the same blue
    assert styles["鹿寨镇"]["fillColor"] == styles["寨沙镇"]["fillColor"] == PASS_FILL
    r, _, b = _rgb(styles["中渡镇"]["fillColor"])
    assert r > 200 and b < 120
    rp, _, bp = _rgb(PASS_FILL)
    assert bp > rp


def test_fail_scale_darkens_with_the_shortfall_and_meets_the_target() -> None:
    assert share_colour(0.9, 0.9) == share_colour(1.0, 0.9) == PASS_FILL
    below = [share_colour(s, 0.9) for s in (0.0, 0.3, 0.6, 0.89)]
    lum = [_luminance(c) for c in below]
    assert lum == sorted(lum)  # 0 % darkest, just under the target palest
    assert below[0] == FAIL_RAMP[0] and PASS_FILL not in below


def test_township_tooltip_fields(page: str) -> None:
    tip = _township_props(page)["中渡镇"]["tooltip"]
    for text in ("中渡镇", "Population", "100,000", "60.0%", "60,000 people", "90%",
                 "below target", "Median / worst minutes", "12.0 min / 40.0 min"):  # fmt: skip
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
    assert "Standard shown: <b>Community health service within 15 minutes</b>" in page


# --------------------------------------------------------------------------- layers, legend


def test_one_standard_at_a_time_bands_off_gaps_on(page: str) -> None:
    overlays = _overlays(_unescape(page))
    slots, members, shown = _switch(page)
    assert shown == "primary_30min"
    assert {overlays["Townships: share covered"], overlays["Travel-time bands"],
            overlays["Uncovered population"]} == set(slots.values())
    assert slots == {"townships": overlays["Townships: share covered"],
                     "bands": overlays["Travel-time bands"],
                     "gaps": overlays["Uncovered population"]}
    assert f"{slots['bands']}.addTo(" not in page  # bands are off at first
    for slot in ("townships", "gaps"):
        assert f"{slots[slot]}.addTo(" in page
    assert list(members) == list(LABELS)  # every standard, in the table's order
    for key, layers in members.items():
        # the gap slot stays empty for the standard that does not apply
        assert set(layers) == ({"townships", "bands"} if key == "community_15min"
                               else {"townships", "bands", "gaps"}), key
        for slot, var in layers.items():
            assert f"{var}.addTo({slots[slot]})" not in page  # the switch adds the shown one
            assert f"var {var} = " in page
    assert {"Study area boundary", "Health facilities", "Township names"} <= set(overlays)
    assert not any("(" in n for n in overlays)  # no per-standard entries in the control
    # the radio list names every standard, the one shown checked
    radios = re.findall(r'value=\\"(\w+)\\"( checked)?', page)
    assert radios == [(k, " checked" if k == "primary_30min" else "") for k in LABELS]
    # 4 band polygons and the boundary let hover reach the township tooltips; gaps do not
    assert page.count('"interactive": false') == 5
    assert "L.control.layers(" in page and '"collapsed": false' in page


def test_title_and_colour_bar_follow_the_standard(page: str) -> None:
    lines = dict(re.findall(r'<div data-geo-std="(\w+)"( style="display:none")?>'
                            r"Standard shown: ", page))
    assert lines == {k: ("" if k == "primary_30min" else ' style="display:none"')
                     for k in LABELS}
    bars = re.findall(r'<div data-geo-std="(\w+)"[^>]*><div>Share of population covered', page)
    assert bars == list(LABELS)


def test_gap_tooltip_names_people_beyond_reach(page: str) -> None:
    group = _switch(page)[1]["primary_30min"]["gaps"]
    var = re.search(rf"(geo_json_\w+)\.addTo\({group}\)", page)
    assert var
    tips = [f["properties"]["tooltip"] for f in _geojson_data(page, var[1])["features"]]
    assert tips == ["<b>中渡镇</b><br>40,000 people beyond 30 min"]


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
    assert ("Standard shown: <b>Primary care within 30 minutes</b> (primary_30min, ≤ 30 min, "
            "Target 90%)") in page
    assert "Date: 2025-06-30" in page
    for note in NOTES:
        assert f"<li>{note}</li>" in page  # each note whole, on its own line
    assert "<details><summary>Assumptions (3)</summary>" in page  # folded: the map stays clear
    legend = [_legend(page)]
    for text in ("at or above target", "township below target", "standard not applicable",
                 "County general hospital", "County CDC", "Township health centre",
                 "Uncovered population", "Target 90%", "demand-grid resolution"):  # fmt: skip
        assert text in legend[0], text
    assert f"border-top:4px solid {FAIL_OUTLINE_COLOUR}" in legend[0]
    assert re.search(r'class="tg" style="left:90%"', legend[0])  # the target line at 90 %


def test_scale_fullscreen_measure_and_offline(page: str) -> None:
    assert page.count("L.control.scale(") == 1
    assert "L.control.scale({metric: true, imperial: false" in page  # no miles
    assert "L.control.fullscreen(" in page and "L.Control.Measure(" in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', page)  # all inlined
    assert "t.version=\"1.9.3\"" in page  # Leaflet itself is in the page


def test_chinese_labels(inputs: dict[str, Any], tmp_path: Path) -> None:
    zh = {**inputs, "language": "zh"}
    cov = zh["coverage"].assign(label_zh="30分钟基层医疗服务圈")
    path = save_map(coverage_map(**{**zh, "coverage": cov}, standard="primary_30min"),
                    tmp_path / "zh.html")
    page = path.read_text(encoding="utf-8")
    overlays = _overlays(_unescape(page))
    assert {"乡镇覆盖比例", "出行时间分带", "未覆盖人口", "乡镇名称"} <= set(overlays)
    assert "30分钟基层医疗服务圈" in _unescape(page)  # the radio button
    assert "当前标准: <b>30分钟基层医疗服务圈</b>" in page
    assert "<details><summary>假设条件 (3)</summary>" in page
    assert "图例" in page and "目标 90%" in page and "县级综合医院" in page
    assert "<th>状态</th><td>未达标</td>" in _unescape(page)  # 中渡镇's tooltip


def test_facility_popup_gives_tier_and_peer_minutes(
    inputs: dict[str, Any], tmp_path: Path
) -> None:
    fac = inputs["facilities"].copy()
    fac["tier"] = ["county"] * 5 + ["township"] * 9
    fac["peer_minutes"] = [0.0] * 5 + [18.0] + [np.nan] * 8
    fac["peer_id"] = ["LZ-H02"] + ["LZ-H01"] * 4 + ["LZ-T03"] + [""] * 8
    page = _render({**inputs, "facilities": fac}, tmp_path, "primary_30min")
    popups = _popups(page)
    assert "<td>0 min by road (same position) → 鹿寨县中医医院</td>" in popups["鹿寨县人民医院"]
    assert "<td>18 min by road → 寨沙镇中心卫生院</td>" in popups["鹿寨镇中心卫生院"]
    assert "<td>no other facility of this tier</td>" in popups["中渡镇中心卫生院"]
    assert "<th>Tier</th><td>county-level facility</td>" in popups["鹿寨县人民医院"]


def test_fits_bounds_and_keeps_html_small(
    page: str, boundary: gpd.GeoDataFrame, townships: gpd.GeoDataFrame
) -> None:
    minx, miny, maxx, maxy = boundary.total_bounds
    fit = re.search(r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", page)
    assert fit
    assert np.allclose([float(v) for v in fit.groups()], [miny, minx, maxy, maxx])
    vendored = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.suffix in (".js", ".css"))
    assert len(page.encode("utf-8")) - vendored < 400_000  # the data part stays small
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
    with caplog.at_level("WARNING", logger="geo.outputs.map.coverage"):
        page = _render({**inputs, "coverage": cov}, tmp_path, "primary_30min")
    assert "寨沙镇" in caplog.text and "四排镇" in caplog.text
    styles = _township_styles(page)
    assert set(styles) == {"鹿寨镇", "中渡镇", "寨沙镇"}  # every polygon still drawn
    fill = styles["寨沙镇"]["fillColor"]
    assert fill[1:3] == fill[3:5] == fill[5:7]  # grey: no data for this standard
    assert "no coverage row" in _township_props(page)["寨沙镇"]["tooltip"]


# --------------------------------------------------------------------------- offline assets


def test_offline_inlines_vendored_files_and_their_images() -> None:
    page = inline_assets(
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    )
    assert not re.search(r'<(link|script)[^>]+(href|src)="https?:', page)
    assert "url(images/" not in page and 'url("data:image/png;base64,' in page  # layers.png
    assert "jQuery v3.7.1" in page


def test_offline_refuses_a_script_that_is_not_vendored() -> None:
    with pytest.raises(OfflineError, match="not vendored"):
        inline_assets('<script src="https://cdn.example.org/d3.min.js"></script>')


def test_township_names_sit_inside_and_clear_of_facilities(
    page: str, townships: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame
) -> None:
    found = re.search(r"(\[\[[-\d.]+, [-\d.]+, .*?\]\])\.forEach", page)
    assert found, "no township labels"
    labels = {_unescape(name): (lon, lat) for lat, lon, name in json.loads(found[1])}
    assert set(labels) == set(SHARES)
    polys = townships.set_index("township").to_crs(32649).geometry
    fac = facilities.to_crs(32649).geometry.union_all()
    for name, (lon, lat) in labels.items():
        point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(32649).iloc[0]
        assert polys[name].contains(point), name
        # at least 3 km from every facility marker (each fake township has room for it)
        assert point.distance(fac) >= 3000 - 100, (name, point.distance(fac))
        assert point.distance(polys[name].boundary) > 1000, name  # not on an edge


@pytest.mark.parametrize("text", [
    "", "\n", "a", "a\n", "a\n\n", "a\r\nb\rc\nd\r\n", "\r", "  leading\n\ttabs  \n",
    "{ not a tag } }} %} #}", "{\n{", "<div>{'x': 1}</div>\n", "鹿寨县\r\n中渡镇\n",
])
def test_plain_text_renders_as_jinja2_renders_it(text: str) -> None:
    """A text without jinja2 delimiters, rendered without compiling: what jinja2 gives."""
    import jinja2

    from geo.outputs.map import coverage

    assert coverage._template(text).render() == jinja2.Template(text).render()
    for tagged in (text + " {{ 1 + 1 }}", "{% if 1 %}x{% endif %} " + text, text + " {# c #}"):
        assert isinstance(coverage._template(tagged), jinja2.Template)  # compiled, filled in
        assert coverage._template(tagged).render() == jinja2.Template(tagged).render()


def test_map_page_is_branca_rendering(inputs: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    """save_map's rendering (plain text not compiled) writes the page branca's own rendering
    writes: two builds of one map with the same element ids, rendered each way."""
    import branca.element
    import jinja2

    from geo.outputs.map import coverage

    pages = []
    for render in (lambda m: m.get_root().render(), coverage._render):
        ids = itertools.count()  # the same ids in each build
        monkeypatch.setattr(branca.element.Element, "_generate_id",
                            classmethod(lambda _cls, ids=ids: f"{next(ids):032x}"))
        pages.append(render(coverage_map(**inputs, standard="primary_30min")))
    assert branca.element.Template is jinja2.Template  # given back after the page
    assert len(pages[0]) > 100_000 and pages[0] == pages[1]
