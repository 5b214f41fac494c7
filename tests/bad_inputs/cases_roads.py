"""Roads: line layers, OSM extracts and network caches, each broken or of the wrong place."""

from __future__ import annotations

import json
import re
import tomllib

import geopandas as gpd
import numpy as np
import shapely

from geo.network.cache import load_networks, save_networks
from geo.routing import hierarchy
from tests.bad_inputs.harness import (
    Case,
    Result,
    Workspace,
    metadata,
    run_summary,
    stated_everywhere,
)
from tests.conftest import DATA, ROOT
from tests.synthetic_county import RESIDENTS, TOTAL, TOWNSHIPS, W, road_layer, write_osm

RUN = ("run", "{study}", "--out", "{out}")
CAT = "roads"
LUZHAI = ROOT / "analysis" / "luzhai.toml"


def _layer(ws: Workspace) -> gpd.GeoDataFrame:
    return gpd.read_file(ws.path("roads.geojson"))


def _with(change):  # type: ignore[no-untyped-def]
    """The county's road line layer, changed, as [roads] path."""
    def edit(ws: Workspace) -> None:
        ws.roads(change(_layer(ws)))
    return edit


def _classes(value: str, every: int = 3):  # type: ignore[no-untyped-def]
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        gdf.loc[gdf.index[::every], "highway"] = value
        return gdf
    return change


def _east(gdf: gpd.GeoDataFrame, km: float) -> gpd.GeoDataFrame:
    """The layer moved ``km`` east: the roads of a place next door."""
    metric = gdf.to_crs(32649)
    moved = metric.geometry.translate(xoff=km * 1000.0)
    return gpd.GeoDataFrame(gdf.drop(columns="geometry"), geometry=moved, crs=32649).to_crs(4326)


def _third(ws: Workspace) -> None:
    ws.roads(road_layer(east_m=W))  # the western column of townships only


def _third_stop(message: str) -> float:
    m = re.search(r"road coverage: ([\d,]+) people \(([\d.]+)%; ([\d,]+) demand points\) live "
                  r"more than 5 km in straight line from the nearest usable road, above the "
                  r"10% limit", message)
    assert m, message
    share = float(m.group(2)) / 100
    # beyond 5 km: the eastern column (x > 20 km) entirely, the middle one (10-20 km) for
    # about its eastern half; roads end at x = 10 km, within 1 km of every row
    east = sum(t[4] for t in TOWNSHIPS if t[2] == 2)
    middle = sum(t[4] for t in TOWNSHIPS if t[2] == 1)
    assert (east + 0.4 * middle) / TOTAL < share < (east + 0.6 * middle) / TOTAL
    assert abs(float(m.group(1).replace(",", "")) / TOTAL - share) < 0.001
    return share


def _then_third(ws: Workspace, r: Result) -> None:
    _third_stop(r.err)
    assert "road layer extent" not in r.err  # nobody lives 20 km from a road


def _third_accepted(ws: Workspace) -> None:
    _third(ws)
    ws.set("checks", "accept", ["road_coverage"])


def _then_third_accepted(ws: Workspace, r: Result) -> None:
    share = _third_stop(run_summary(ws.out).replace("(accepted with", ", above the 10% limit"))
    stated_everywhere(ws.out, f"({share:.1%};", "(accepted with [checks] accept)",
                      "more than 5 km in straight line from the nearest usable road")


def _then_other_city(ws: Workspace, r: Result) -> None:
    # 60 km east: every place is more than 20 km (the nearest road is 30 km from the
    # county's eastern edge); the layer reaches no one
    assert re.search(rf"road layer extent: {TOTAL:,} people \(100\.0%; [\d,]+ demand points\) "
                     r"live more than 20 km", r.err), r.err


def _disconnected(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Every east-west road cut at 10.2-10.8 km and 20.2-20.8 km: three equal pieces."""
    metric = gdf.to_crs("EPSG:4525")
    x0 = metric.total_bounds[0] - 1000.0  # the grid starts 1 km in
    cuts = shapely.union_all([shapely.box(x0 + a, -1e9, x0 + a + 600, 1e9)
                              for a in (10_200, 20_200)])
    pieces = metric.geometry.difference(cuts)
    out = gpd.GeoDataFrame(metric.drop(columns="geometry"), geometry=pieces, crs="EPSG:4525")
    return out.explode(index_parts=False).to_crs(4326)


def _cache(keep: list[str]):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        nets = load_networks(ws.path("roads.npz"))
        save_networks(ws.path("roads_drive.npz"), {m: nets[m] for m in keep})
        ws.set("roads", "path", "roads_drive.npz")
        ws.set("standards", "use", ["primary_care_30min", "community_15min"])
    return edit


def _truncated(ws: Workspace) -> None:
    p = ws.path("roads.npz")
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _foreign_npz(ws: Workspace) -> None:
    np.savez(ws.path("roads.npz"), x=np.arange(5))


def _rewrite_meta(ws: Workspace, change) -> None:  # type: ignore[no-untyped-def]
    """The cache's arrays as they are, its metadata changed by ``change(meta)``."""
    p = ws.path("roads.npz")
    with np.load(p) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(bytes(arrays["meta"]).decode())
    change(meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(p, **arrays)


def _old_format(ws: Workspace) -> None:
    _rewrite_meta(ws, lambda meta: meta.update(format="geo-access-network/2"))


def _foreign_hierarchy(ws: Workspace) -> None:
    """A cache whose drive hierarchy was made for other segments (another network's,
    or the file edited): its fingerprint does not match the network."""
    nets = load_networks(ws.path("roads.npz"))
    hierarchy.build(nets["drive"])
    save_networks(ws.path("roads.npz"), nets)

    def change(meta: dict) -> None:  # type: ignore[type-arg]
        meta["drive"]["hierarchy"]["fingerprint"] = "0" * 32
    _rewrite_meta(ws, change)


def _no_crs(ws: Workspace) -> None:
    ws.roads(None, name="roads.shp")
    ws.path("roads.prj").unlink()


def _exported(ws: Workspace) -> None:
    """The network cache written as a line layer (geo network export), the study pointed
    at it with the cache's junctions, and a scenario adding a road: what a cache refuses."""
    from tests.bad_inputs.harness import run_in_process

    r = run_in_process(["network", "export", str(ws.path("roads.npz")), "--out",
                        str(ws.path("道路.gpkg"))])
    assert r.code == 0, r.err
    assert 'node_crossings = false, snap_tolerance_m = 0.0' in r.out
    ws.set("roads", "path", "道路.gpkg")
    ws.set("roads", "node_crossings", False)
    ws.set("roads", "snap_tolerance_m", 0.0)
    ws.scenario('[scenario]\nname = "road"\ntitle = "新路"\n\n[[actions]]\n'
                'action = "add_road"\nhighway = "secondary"\n'
                "coords = [[109.85, 24.45], [110.05, 24.45]]\n")


def _then_exported(ws: Workspace, r: Result) -> None:
    """Before the new road, the same coverage as the run on the cache; after it, the
    network rebuilt with the road."""
    from tests.bad_inputs.harness import csv_table

    got = csv_table(ws.out / "comparison_by_township.csv")
    want = csv_table(ws.run / "coverage_by_township.csv")
    before = dict(zip(got["township"], got["covered_population_before"], strict=False))
    for t, c in zip(want["township"], want["covered_population"], strict=True):
        assert float(before[t]) == float(c), (t, before[t], c)
    assert "network rebuilt with 1 new road line(s)" in got["basis"].iloc[0]


def _osm(oneway: str | None, truncate: bool = False):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        p = ws.path("roads.osm.pbf")
        write_osm(p, oneway=oneway)
        if truncate:
            p.write_bytes(p.read_bytes()[:400])
        ws.set("roads", "path", p.name)
    return edit


def _then_osm_oneway(ws: Workspace, r: Result) -> None:
    # every third way tagged oneway=T: read as untagged (two-way) and counted
    for text in (run_summary(ws.out), metadata(ws.out)):
        assert re.search(r"8 OSM ways with oneway values that set no fixed direction "
                         r"\{'T': 8\}: .*others as if untagged", text), text
    _census_exact(ws)


def _then_skipped(ws: Workspace, r: Result) -> None:
    # 8 of the 24 lines (every third) are 机耕路, which has no speed: left out, and said so
    for text in (run_summary(ws.out), metadata(ws.out)):
        assert "lines of classes without a speed for this mode left out: {'机耕路': 8}" in text


def _bad_maxspeed(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A maxspeed column: 200 on every third line, CN:urban on the next ones, none else."""
    return gdf.assign(maxspeed=[("200", "CN:urban", None)[i % 3] for i in range(len(gdf))])


def _then_bad_maxspeed(ws: Workspace, r: Result) -> None:
    # 24 lines: 8 say 200 km/h, 8 say CN:urban; neither is used, and both are counted
    for text in (run_summary(ws.out), metadata(ws.out)):
        assert re.search(r"maxspeed not used on 16 road lines \(not a speed, or above 150 "
                         r"km/h: \{'200': 8, 'CN:urban': 8\}\): their class speed is used",
                         text), text
    _census_exact(ws)


def _bureau_classes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The road grid as a transport bureau's layer: classes in Chinese under 道路等级."""
    names = {"trunk": "国道", "tertiary": "乡道"}
    return gdf.assign(道路等级=gdf["highway"].map(names)).drop(columns="highway")


def _then_bureau_classes(ws: Workspace, r: Result) -> None:
    from tests.bad_inputs.harness import csv_table

    # the same network as the earlier run's OSM classes: the same minutes everywhere
    got, want = (csv_table(f / "coverage_by_township.csv") for f in (ws.out, ws.run))
    cols = ["township", "standard", "covered_share", "median_minutes", "max_minutes"]
    assert got[cols].equals(want[cols])
    for text in (run_summary(ws.out), metadata(ws.out)):
        assert "road classes read from column '道路等级'; road classes read as OSM classes:" in text
        assert "乡道 → tertiary" in text and "国道 → trunk" in text


def _local_class_speed(ws: Workspace) -> None:
    _with(_classes("机耕路"))(ws)
    ws.set("roads", "speeds_kmh", {"机耕路": 35})  # the tertiary speed: the same minutes


def _then_local_class_speed(ws: Workspace, r: Result) -> None:
    from tests.bad_inputs.harness import csv_table

    got, want = (csv_table(f / "coverage_by_township.csv") for f in (ws.out, ws.run))
    cols = ["township", "standard", "covered_share", "median_minutes"]
    assert got[cols].equals(want[cols])


def _census_exact(ws: Workspace) -> None:
    from tests.bad_inputs.harness import csv_table

    table = csv_table(ws.out / "coverage_by_township.csv")
    got = {t: float(p) for t, p in zip(table["township"], table["population"], strict=True)}
    assert got == {t: float(p) for t, p in RESIDENTS.items()}


def _luzhai(roads: gpd.GeoDataFrame, ws: Workspace) -> None:
    """The embedded Luzhai study (its data, where the issue measured these numbers) with
    ``roads`` as its road layer."""
    raw = tomllib.loads(LUZHAI.read_text(encoding="utf-8"))
    for opts in raw.values():
        for k, v in opts.items():
            if isinstance(v, str) and (v.startswith("../") or v == "standards.toml"):
                opts[k] = str((LUZHAI.parent / v).resolve())
    ws.options = raw
    ws.roads(roads, name="luzhai_roads.geojson")
    raw["roads"]["path"] = str(ws.path("luzhai_roads.geojson"))


def _luzhai_western_third(ws: Workspace) -> None:
    """The backbone's lines west of a third of the county's width (bounding box)."""
    x0, y0, x1, y1 = gpd.read_file(DATA / "boundaries" / "luzhai_county.geojson").total_bounds
    back = gpd.read_file(DATA / "roads" / "luzhai_backbone.geojson")
    cut = back.clip(shapely.box(x0 - 1, y0 - 1, x0 + (x1 - x0) / 3, y1 + 1))
    _luzhai(cut[cut.geom_type.isin(["LineString", "MultiLineString"])], ws)


def _luzhai_other_county(ws: Workspace) -> None:
    """The Liuzhou backbone's roads of 柳城县, Luzhai's western neighbour."""
    counties = gpd.read_file(DATA / "boundaries" / "liuzhou_counties.geojson")
    roads = gpd.read_file(DATA / "roads" / "liuzhou_backbone.geojson")
    cut = roads.clip(counties[counties["name"] == "柳城县"].union_all())
    _luzhai(cut[cut.geom_type.isin(["LineString", "MultiLineString"])], ws)


CASES = [
    Case("roads_file_missing", CAT, "the road file does not exist", RUN,
         lambda ws: ws.set("roads", "path", "道路.geojson"),
         problem=("道路.geojson", "no such file"), fix=("[roads] path",)),
    Case("roads_empty_layer", CAT, "a road layer without features", RUN,
         lambda ws: ws.roads(_layer(ws).iloc[:0], name="roads.gpkg"), problem=("empty",)),
    Case("roads_no_highway_column", CAT, "a road layer without a column of road classes (its "
         "classes under 名称)", RUN,
         _with(lambda g: g.rename(columns={"highway": "名称"})),
         problem=("no column of road classes", "'名称'"), fix=("[roads] class_col", "县道")),
    Case("roads_unknown_class", CAT, "a road class without a speed (机耕路)", RUN,
         _with(_classes("机耕路")), problem=("机耕路",),
         fix=("[roads] speeds_kmh", "[roads] unknown_classes = 'skip'")),
    Case("roads_unknown_class_skipped", CAT, "unknown_classes = \"skip\": the lines left "
         "out, counted by class", RUN,
         lambda ws: (_with(_classes("机耕路"))(ws), ws.set("roads", "unknown_classes", "skip"))[-1],
         code=0, then=_then_skipped),
    Case("roads_chinese_classes", CAT, "a bureau's layer: classes in Chinese under 道路等级: "
         "read as OSM classes, the same minutes, and said", RUN, _with(_bureau_classes),
         code=0, then=_then_bureau_classes),
    Case("roads_class_col_wrong", CAT, "class_col naming a column the layer lacks", RUN,
         lambda ws: (_with(_bureau_classes)(ws), ws.set("roads", "class_col", "等级名"))[-1],
         problem=("[roads] class_col = '等级名': not a column",), fix=("'道路等级'",)),
    Case("roads_local_class_speed", CAT, "the advice for a class without a speed followed: "
         "speeds_kmh = { 机耕路 = 35 }", RUN, _local_class_speed, code=0,
         then=_then_local_class_speed),
    Case("roads_bad_oneway_line_layer", CAT, "a line layer's oneway column spelt T/F", RUN,
         _with(lambda g: g.assign(oneway=["T", "F"] * (len(g) // 2) + ["T"] * (len(g) % 2))),
         problem=("oneway", "'T'"), fix=("T -> yes",)),
    Case("roads_bad_oneway_osm", CAT, "OSM ways tagged oneway=T: read as untagged and "
         "counted", RUN, _osm("T"), code=0, then=_then_osm_oneway),
    Case("roads_bad_maxspeed", CAT, "maxspeed 200 and CN:urban in a line layer: the class "
         "speed used, the values counted", RUN, _with(_bad_maxspeed), code=0,
         then=_then_bad_maxspeed),
    Case("roads_speeds_on_cache", CAT, "[roads] speeds_kmh with a network cache (.npz): "
         "the speeds were fixed when it was built, so the option would change nothing",
         RUN, lambda ws: ws.set("roads", "speeds_kmh", {"tertiary": 20}),
         problem=("[roads] speeds_kmh has no effect on roads.npz", "built from",
                  "roads.geojson"), fix=("Set [roads] path to the road layer",)),
    Case("roads_construction_on_cache", CAT, "include_construction = true and "
         "snap_tolerance_m with a network cache", RUN,
         lambda ws: (ws.set("roads", "include_construction", True),
                     ws.set("roads", "snap_tolerance_m", 50.0)),
         problem=("[roads] snap_tolerance_m, [roads] include_construction have no effect",),
         fix=("Set [roads] path",)),
    Case("roads_construction_on_osm", CAT, "include_construction = true with an OSM "
         "extract, which never reads roads under construction", RUN,
         lambda ws: (_osm(None)(ws), ws.set("roads", "include_construction", True)),
         problem=("[roads] include_construction does not apply to roads.osm.pbf",),
         fix=("remove them",)),
    Case("roads_exported_cache_takes_a_road", CAT, "add_road on a study whose cache was "
         "written as a line layer with geo network export: the same coverage before, the "
         "road added after",
         ("compare", "{study}", "--scenario", "{county}/scenario.toml", "--out", "{out}"),
         _exported, code=0, then=_then_exported),
    Case("roads_export_not_a_cache", CAT, "geo network export given a line layer instead "
         "of a cache", ("network", "export", "{county}/roads.geojson", "--out",
                        "{root}/道路.gpkg"),
         problem=("roads.geojson is not a network cache",),
         fix=("geo network build", "--out roads.npz"), writes=False),
    Case("roads_export_wrong_suffix", CAT, "geo network export --out a .csv", (
         "network", "export", "{county}/roads.npz", "--out", "{root}/道路.csv"),
         problem=("--out", "道路.csv"), fix=(".gpkg, .geojson, .shp",), writes=False),
    Case("roads_osm_truncated", CAT, "a truncated .osm.pbf extract", RUN,
         _osm(None, truncate=True), problem=("roads.osm.pbf", "truncated"),
         fix=("download it again",)),
    Case("roads_cache_corrupt", CAT, "a network cache overwritten with other bytes", RUN,
         lambda ws: ws.path("roads.npz").write_bytes(b"not a cache"),
         problem=("roads.npz", "not a network cache"), fix=("geo network build",)),
    Case("roads_cache_truncated", CAT, "a network cache cut in half", RUN, _truncated,
         problem=("roads.npz",), fix=("geo network build",)),
    Case("roads_cache_foreign_npz", CAT, "an .npz of other arrays as the network cache", RUN,
         _foreign_npz, problem=("roads.npz", "not a network cache"),
         fix=("geo network build",)),
    Case("roads_cache_old_format", CAT, "a network cache of the format before contraction "
         "hierarchies (/2)", RUN, _old_format,
         problem=("roads.npz", "geo-access-network/2"), fix=("geo network build",)),
    Case("roads_cache_foreign_hierarchy", CAT, "a network cache whose contraction hierarchy "
         "was made for another network", RUN, _foreign_hierarchy,
         problem=("roads.npz", "damaged", "hierarchy"), fix=("geo network build",)),
    Case("roads_cache_missing_mode", CAT, "a drive-only cache for a walking standard", RUN,
         _cache(["drive"]), problem=("roads_drive.npz", "['walk']"),
         fix=("--modes drive,walk",)),
    Case("roads_other_city", CAT, "the road layer of a place 60 km away", RUN,
         _with(lambda g: _east(g, 60.0)), problem=("road layer extent", "road coverage"),
         fix=('accept = ["road_extent"]',), then=_then_other_city),
    Case("roads_western_third", CAT, "roads of the western third of the county only: the "
         "share beyond 5 km stated", RUN, _third, problem=("road coverage",),
         fix=('accept = ["road_coverage"]', "geo network build"), then=_then_third),
    Case("roads_western_third_accepted", CAT, "the western third accepted: every output "
         "states the share", RUN, _third_accepted, code=0, then=_then_third_accepted),
    Case("roads_no_crs", CAT, "a road Shapefile without .prj", RUN, _no_crs,
         problem=("coordinate system",), fix=("[roads] crs",)),
    Case("roads_disconnected", CAT, "a road layer in three unconnected pieces", RUN,
         _with(_disconnected), problem=("disconnected",),
         fix=("[roads] snap_tolerance_m",)),
    Case("roads_points_layer", CAT, "a point layer as the roads", RUN,
         lambda ws: ws.roads(_layer(ws).set_geometry(_layer(ws).representative_point()),
                             name="pts.geojson"),
         problem=("Point",)),
    Case("roads_speed_zero", CAT, "speeds_kmh = { tertiary = 0 }", RUN,
         lambda ws: ws.set("roads", "speeds_kmh", {"tertiary": 0}),
         problem=("[roads] speeds_kmh tertiary = 0",), fix=("above 0",)),
    Case("roads_speed_negative", CAT, "speeds_kmh = { tertiary = -30 }", RUN,
         lambda ws: ws.set("roads", "speeds_kmh", {"tertiary": -30}),
         problem=("[roads] speeds_kmh tertiary = -30",), fix=("above 0",)),
    Case("roads_speed_text", CAT, "speeds_kmh = { tertiary = \"fast\" }", RUN,
         lambda ws: ws.set("roads", "speeds_kmh", {"tertiary": "fast"}),
         problem=("[roads] speeds_kmh tertiary", "'fast'"), fix=("a number",)),
    Case("roads_speed_unknown_class", CAT, "speeds_kmh for a misspelt class (tertairy)", RUN,
         lambda ws: ws.set("roads", "speeds_kmh", {"tertairy": 30}),
         problem=("'tertairy'",), fix=("did you mean 'tertiary'",)),
    Case("roads_luzhai_western_third", CAT, "Luzhai with the western third of its roads: "
         "geo check gives the measured 84.1 % beyond 5 km (accepted for the backbone) and "
         "stops on 35.4 % beyond 20 km", ("check", "{study}"), _luzhai_western_third,
         problem=("! road coverage: 283,785 people (84.1%; 10,433 demand points)",
                  "✗ road layer extent: 119,289 people (35.4%; 4,443 demand points)"),
         fix=('accept = ["road_extent"]',), writes=False, stream="stdout"),
    Case("roads_luzhai_other_county", CAT, "Luzhai with the roads of 柳城县 (another Liuzhou "
         "county): the run stops, 84.4 % beyond 20 km of any road", RUN,
         _luzhai_other_county,
         problem=("road layer extent: 284,615 people (84.4%; 10,437 demand points)",),
         fix=("use a road source covering the whole study area",)),
]
