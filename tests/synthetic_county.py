"""A synthetic county (示例县) in the formats a county's bureaus hand over, built in code.

Shared by the own-county walkthrough (``tests/study/test_own_county.py``) and the bad-input
corpus (``tests/bad_inputs``). Six townships of 10 km x 9 km in a 3 x 2 block as a
Shapefile in CGCS2000 3-degree Gauss-Krüger zone 37 with the zone prefix (EPSG:4525)
whose .dbf is GBK without a .cpg; a county boundary from another source (WGS84 GeoJSON,
30 m larger all round); the health commission's facility list with Chinese type names;
a census table (GBK CSV) with a 合计 row; roads as a grid of township roads every 2 km
with a national road across (row 4), nodes every 500 m, as an OSM extract (.osm.pbf
written with pyosmium) or a road line layer. Every expected value in the tests comes from
this construction, not from geo's output.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import wgs84_to_gcj02

GK = "EPSG:4525"  # CGCS2000 / 3-degree Gauss-Krüger zone 37 (CM 111°E), zone prefix 37
X0, Y0 = 37_380_000.0, 2_700_000.0  # south-west corner: about 109.8°E, 24.4°N
W, H = 10_000.0, 9_000.0  # one township
TO_WGS84 = Transformer.from_crs(GK, "EPSG:4326", always_xy=True)

#: (name, 12-digit code, column, row from the south, 常住人口, 户籍人口)
TOWNSHIPS = [
    ("东山镇", "450299101000", 0, 1, 31_245, 35_120),
    ("南岭镇", "450299102000", 1, 1, 22_871, 25_003),
    ("西河乡", "450299201000", 2, 1, 12_408, 14_992),
    ("中和镇", "450299100000", 0, 0, 52_310, 60_102),
    ("北坡乡", "450299202000", 1, 0, 9_876, 11_245),
    ("新民乡", "450299203000", 2, 0, 15_555, 17_301),
]
RESIDENTS = {t[0]: t[4] for t in TOWNSHIPS}
TOTAL = sum(RESIDENTS.values())  # 144,265


def _ages(residents: int, k: int) -> tuple[int, int, int, int]:
    """(0—14岁, 15—59岁, 60岁及以上, 65岁及以上) of a township: the first three add up to
    its residents, 65+ lies inside 60+; shares differ by township (k) so equity has a
    between-township part."""
    children = round(residents * (0.14 + 0.02 * k))
    elderly_60 = round(residents * (0.26 - 0.025 * k))
    return children, residents - children - elderly_60, elderly_60, round(elderly_60 * 0.7)


#: township -> (0—14岁, 15—59岁, 60岁及以上, 65岁及以上), people (the census's age table)
AGES = {t[0]: _ages(t[4], k) for k, t in enumerate(TOWNSHIPS)}
#: the census columns of :data:`AGES`, in order
AGE_COLUMNS = ("0—14岁", "15—59岁", "60岁及以上", "65岁及以上")

#: (机构名称, 机构类型 as the commission writes it, grid column, grid row, type code)
FACILITIES = [
    ("示例县人民医院", "县人民医院", 1, 1, "county_general_hospital"),
    ("示例县中医医院", "县中医医院", 2, 1, "county_tcm_hospital"),
    ("东山镇中心卫生院", "中心卫生院", 2, 6, "central_township_health_center"),
    ("南岭镇卫生院", "乡镇卫生院", 7, 6, "township_health_center"),
    ("西河乡卫生院", "乡镇卫生院", 12, 6, "township_health_center"),
    ("北坡乡卫生院", "乡镇卫生院", 7, 2, "township_health_center"),
    ("新民乡卫生院", "卫生院", 12, 2, "township_health_center"),
    ("中和镇石门村卫生室", "村卫生室", 3, 3, "village_clinic"),
]


def box(col: int, row: int, grow_east: float = 0.0) -> shapely.Polygon:
    """Township (col, row) in Gauss-Krüger metres, optionally ``grow_east`` wider."""
    x, y = X0 + col * W, Y0 + row * H
    return shapely.box(x, y, x + W + grow_east, y + H)


def wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """A Gauss-Krüger geometry in WGS84 lon/lat."""
    return shapely.transform(geom, lambda xy: np.column_stack(TO_WGS84.transform(*xy.T)))


def grid_xy(i: int, j: int) -> tuple[float, float]:
    """Road crossing i (west to east), j (south to north): every 2 km from 1 km in."""
    return X0 + 1000 + 2000 * i, Y0 + 1000 + 2000 * j


def facility_lonlat(gcj: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 (or GCJ-02) lon/lat of :data:`FACILITIES`, at road crossings."""
    xy = np.array([grid_xy(i, j) for _, _, i, j, _ in FACILITIES])
    lon, lat = TO_WGS84.transform(xy[:, 0], xy[:, 1])
    if gcj:  # picked on AMap
        lon, lat = wgs84_to_gcj02(lon, lat)
    return np.asarray(lon), np.asarray(lat)


def write_townships(folder: Path, drop: str | None = None, grow: str | None = None) -> None:
    """乡镇界线.shp (GK, GBK without .cpg) and 县界.geojson (WGS84, 30 m larger)."""
    rows = [t for t in TOWNSHIPS if t[0] != drop]
    geoms = [box(c, r, 2000.0 if n == grow else 0.0) for n, _, c, r, _, _ in rows]
    gdf = gpd.GeoDataFrame({"乡镇名称": [t[0] for t in rows], "XZQDM": [t[1] for t in rows]},
                           geometry=geoms, crs=GK)
    gdf.to_file(folder / "乡镇界线.shp", encoding="gbk", engine="pyogrio")
    (folder / "乡镇界线.cpg").unlink(missing_ok=True)  # bureaus' files often have none
    county = shapely.union_all([box(c, r) for _, _, c, r, _, _ in TOWNSHIPS]).buffer(
        30.0, join_style="mitre")
    gpd.GeoDataFrame({"name": ["示例县"]}, geometry=[wgs84(county)], crs=4326).to_file(
        folder / "县界.geojson")


def write_facilities_xlsx(folder: Path, gcj: bool = False) -> None:
    """医疗机构名单.xlsx: Chinese headers and type names, no id column."""
    lon, lat = facility_lonlat(gcj)
    pd.DataFrame({
        "序号": range(1, len(FACILITIES) + 1),
        "机构名称": [f[0] for f in FACILITIES], "机构类型": [f[1] for f in FACILITIES],
        "经度": np.round(lon, 6), "纬度": np.round(lat, 6),
    }).to_excel(folder / "医疗机构名单.xlsx", index=False)


def write_census(folder: Path) -> None:
    """第七次人口普查_乡镇.csv: GBK, 常住人口 and 户籍人口, a 合计 row."""
    rows = [(n, r, h) for n, _, _, _, r, h in TOWNSHIPS]
    rows.append(("合计", TOTAL, sum(t[5] for t in TOWNSHIPS)))
    text = "乡镇名称,常住人口,户籍人口\n" + "".join(f"{n},{r},{h}\n" for n, r, h in rows)
    (folder / "第七次人口普查_乡镇.csv").write_bytes(text.encode("gbk"))


def write_census_ages(path: Path, *, unit: str = "人", title: bool = True) -> None:
    """A census workbook as bureaus hand it out: a title row, a header on two rows with
    merged cells (乡镇名称 and 常住人口 over both rows, 按年龄分 over the four age columns
    of :data:`AGE_COLUMNS`), the unit in the header cells ('（人）' or '（万人）', then the
    counts in 万人 with two decimals) and a 合计 row last."""
    from openpyxl import Workbook

    scale = 10_000 if unit == "万人" else 1

    def count(n: int) -> float | int:
        return round(n / scale, 2) if scale > 1 else n

    wb = Workbook()
    ws = wb.active
    top = 1
    if title:
        ws.append(["示例县第七次全国人口普查乡镇分年龄人口"])
        top = 2
    ws.append(["乡镇名称", f"常住人口（{unit}）", f"按年龄分（{unit}）", None, None, None])
    ws.append([None, None, *AGE_COLUMNS])
    ws.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
    ws.merge_cells(start_row=top, start_column=2, end_row=top + 1, end_column=2)
    ws.merge_cells(start_row=top, start_column=3, end_row=top, end_column=6)
    for name, *_ in TOWNSHIPS:
        ws.append([name, count(RESIDENTS[name]), *(count(a) for a in AGES[name])])
    sums = [sum(AGES[n][i] for n in AGES) for i in range(4)]
    if scale > 1:  # a 合计 row as the bureau sums it: the rounded rows added up
        ws.append(["合计", round(sum(count(RESIDENTS[n]) for n in AGES), 2),
                   *(round(sum(count(AGES[n][i]) for n in AGES), 2) for i in range(4))])
    else:
        ws.append(["合计", TOTAL, *sums])
    wb.save(path)


def road_lines(east_m: float = 3 * W) -> list[tuple[list[tuple[float, float]], str]]:
    """The road grid in Gauss-Krüger metres: (vertices, highway class) per line, cut at
    ``east_m`` from the west edge."""
    lines = [([(X0 + 1000 + 2000 * i, Y0 + k * 500.0) for k in range(37)], "tertiary")
             for i in range(15) if 1000 + 2000 * i < east_m]
    lines += [([(X0 + k * 500.0, Y0 + 1000 + 2000 * j) for k in range(int(east_m / 500) + 1)],
               "trunk" if j == 4 else "tertiary") for j in range(9)]
    return lines


def _names(highway: str, k: int) -> dict[str, str]:
    """Name and ref of line ``k``: the national road is 国道323 (G323), every other line a
    township road 乡道 k (no ref)."""
    if highway == "trunk":
        return {"name": "国道323", "ref": "G323"}
    return {"name": f"乡道{k}"}


def road_layer(east_m: float = 3 * W) -> gpd.GeoDataFrame:
    """:func:`road_lines` as a WGS84 line layer with ``highway``, ``name`` and ``ref``
    columns."""
    lines = road_lines(east_m)
    geoms = [wgs84(shapely.LineString(pts)) for pts, _ in lines]
    names = [_names(hw, k) for k, (_, hw) in enumerate(lines)]
    return gpd.GeoDataFrame({"highway": [hw for _, hw in lines],
                             "name": [n["name"] for n in names],
                             "ref": [n.get("ref") for n in names]}, geometry=geoms, crs=4326)


def write_osm(path: Path, east_m: float = 3 * W, oneway: str | None = None) -> None:
    """:func:`road_lines` as an OSM extract written with pyosmium; ``oneway``: that tag
    on every third way."""
    import osmium

    ids: dict[tuple[float, float], int] = {}

    def node(w: osmium.SimpleWriter, x: float, y: float) -> int:
        if (x, y) not in ids:
            ids[(x, y)] = len(ids) + 1
            lon, lat = TO_WGS84.transform(x, y)
            w.add_node(osmium.osm.mutable.Node(id=ids[(x, y)], location=(lon, lat), tags={}))
        return ids[(x, y)]

    with osmium.SimpleWriter(str(path)) as w:
        refs = [([node(w, x, y) for x, y in pts], hw) for pts, hw in road_lines(east_m)]
        for k, (nodes, hw) in enumerate(refs):
            tags = ({"highway": hw} | _names(hw, k) |
                    ({"oneway": oneway} if oneway and k % 3 == 0 else {}))
            w.add_way(osmium.osm.mutable.Way(id=k + 1, nodes=nodes, tags=tags))
