"""Population: the census table and the other ways of giving people, each way wrong."""

from __future__ import annotations

from collections.abc import Callable

from tests.bad_inputs.harness import Case, Result, Workspace, csv_table, stated_everywhere
from tests.synthetic_county import AGES, RESIDENTS, TOTAL

RUN = ("run", "{study}", "--out", "{out}")
CAT = "population"


def _census(old: str, new: str):  # type: ignore[no-untyped-def]
    """Replace one piece of the census table's text."""
    def edit(ws: Workspace) -> None:
        ws.census(lambda text: _replace(text, old, new))
    return edit


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, (old, text)
    return text.replace(old, new)


def _drop_row(ws: Workspace) -> None:
    """西河乡 left out of the table, its total row corrected to match."""
    def edit(text: str) -> str:
        text = _replace(text, "西河乡,12408,14992\n", "")
        return _replace(text, f"合计,{TOTAL},", f"合计,{TOTAL - 12408},")
    ws.census(edit)


def _even(**population: object):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        ws.options["population"] = dict(population)
    return edit


def _thousands(ws: Workspace) -> None:
    """Counts written with thousands separators, as statistics yearbooks print them."""
    def edit(text: str) -> str:
        lines = text.splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            name, resident, registered = line.split(",")
            out.append(f'{name},"{int(resident):,}","{int(registered):,}"')
        return "\n".join(out) + "\n"
    ws.census(edit)


def _then_thousands(ws: Workspace, r: Result) -> None:
    table = csv_table(ws.out / "coverage_by_township.csv")
    got = {t: float(p) for t, p in zip(table["township"], table["population"], strict=True)}
    assert got == {t: float(p) for t, p in RESIDENTS.items()}


def _in_wan(header: str, decimals: int):  # type: ignore[no-untyped-def]
    """常住人口 in 万人 (10,000 people) with ``decimals``, as a yearbook prints it, under
    ``header``, and count_col naming it."""
    def edit(ws: Workspace) -> None:
        def text(t: str) -> str:
            lines = t.splitlines()
            out = [lines[0].replace("常住人口", header)]
            for line in lines[1:]:
                name, resident, registered = line.split(",")
                out.append(f"{name},{int(resident) / 10_000:.{decimals}f},{registered}")
            return "\n".join(out) + "\n"
        ws.census(text)
        ws.set("population", "count_col", header)
    return edit


def _then_wan(ws: Workspace, r: Result) -> None:
    # written to 0.0001 万人 = 1 person: the table's people exactly, and the unit stated
    _then_thousands(ws, r)
    stated_everywhere(ws.out, "column '常住人口（万人）' counts in 万人: each count multiplied by "
                      "10,000 to people (written to 0.0001 万人: whole people)")


def _titled(ws: Workspace) -> None:
    """Two title lines above the census header, as a bureau's export has them."""
    ws.census(lambda t: "示例县第七次全国人口普查各乡镇人口,,\n单位：人,,\n" + t)


def _unit_in_title(ws: Workspace) -> None:
    """常住人口 in whole 万人 (3, 2, 1, 5, 1, 2), the unit only in a line above the header."""
    def text(t: str) -> str:
        lines = t.splitlines()
        out = ["单位：万人,,", lines[0]]
        for line in lines[1:]:
            name, resident, registered = line.split(",")
            out.append(f"{name},{round(int(resident) / 10_000)},{registered}")
        return "\n".join(out) + "\n"
    ws.census(text)  # the 合计 row reads 14, the sum of the rounded rows


def _wan_header_on_people(ws: Workspace) -> None:
    ws.census(lambda t: t.replace("常住人口", "常住人口（万人）", 1))
    ws.set("population", "count_col", "常住人口（万人）")


def _then_titled(ws: Workspace, r: Result) -> None:
    _then_thousands(ws, r)
    stated_everywhere(ws.out, "the header is row 3; the 2 row(s) above it were skipped as a "
                      "title ('示例县第七次全国人口普查各乡镇人口; 单位：人')")


def _padded_names(ws: Workspace) -> None:
    """Names with spaces around them and a full-width space inside the table."""
    ws.census(lambda t: _replace(_replace(t, "\n东山镇,", "\n 东山镇 ,"), "\n新民乡,",
                                 "\n新民乡\u3000,"))




def _points_outside(ws: Workspace) -> None:
    """A village of 5,000 people 2.5 km east of the county (outside it) among the points."""
    ws.path("人口点.csv").write_text("lon,lat,population\n109.9,24.45,100\n109.95,24.5,"
                                     "200\n110.13,24.45,5000\n", encoding="utf-8")
    ws.options["population"] = {"method": "points", "path": "人口点.csv"}


def _then_points_outside(ws: Workspace, r: Result) -> None:
    table = csv_table(ws.out / "coverage_by_township.csv")
    assert sum(float(p) for p in table["population"]) == 300.0
    stated_everywhere(ws.out, "1 points (5,000 people) more than 1 km outside the study "
                      "area left out")


def _raster(ws: Workspace) -> None:
    """A population GeoTIFF (0.01° pixels over the county and around it) with a block of
    3 x 10 pixels inside the county holding -9999 (nodata the file does not declare)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    values = np.full((20, 35), 200.0, dtype="float32")
    values[8:11, 5:15] = -9999.0  # lat 24.49-24.46, lon 109.83-109.93: inside
    with rasterio.open(ws.path("人口.tif"), "w", driver="GTiff", height=20, width=35, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(109.78, 24.57, 0.01, 0.01)) as dst:
        dst.write(values, 1)
    ws.options["population"] = {"method": "raster", "path": "人口.tif"}


def _then_raster(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "30 negative pixels counted as 0")


def _points(ws: Workspace, value: int) -> None:
    p = ws.path("人口点.csv")
    p.write_text("lon,lat,population\n109.9,24.45,100\n109.95,24.5," f"{value}\n",
                 encoding="utf-8")
    ws.options["population"] = {"method": "points", "path": p.name}


def _ages(change: dict[str, tuple[int, int]] | None = None, total: str = ""):  # type: ignore[no-untyped-def]
    """The census with 65岁及以上 and 0—14岁 columns (the synthetic county's ages; ``change``:
    township -> other counts; ``total``: the 合计 row's cells, else their sums), and
    [population] groups naming them."""
    def edit(ws: Workspace) -> None:
        ages = {n: (a[3], a[0]) for n, a in AGES.items()} | (change or {})

        def text(t: str) -> str:
            lines = t.splitlines()
            out = [lines[0] + ",65岁及以上,0—14岁"]
            for line in lines[1:]:
                name = line.split(",")[0]
                if name in ages:
                    out.append(line + f",{ages[name][0]},{ages[name][1]}")
                else:
                    sums = total or ",".join(str(sum(a[i] for a in ages.values()))
                                             for i in range(2))
                    out.append(line + "," + sums)
            return "\n".join(out) + "\n"
        ws.census(text)
        ws.set("population", "groups", {"65岁及以上": "elderly_65", "0—14岁": "children"})
    return edit


def _ages_then(*more: Callable[[Workspace], None]):  # type: ignore[no-untyped-def]
    def edit(ws: Workspace) -> None:
        _ages()(ws)
        for step in more:
            step(ws)
    return edit


def _then_groups(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "population groups elderly_65 (column '65岁及以上'), children "
                      "(column '0—14岁') spread over each township's demand points")


CASES = [
    Case("pop_group_above_total", CAT, "a township whose 65岁及以上 exceeds its 常住人口 (the "
         "counts of another table pasted in)", RUN, _ages({"北坡乡": (19_876, 1_500)}),
         problem=("'65岁及以上' (elderly_65) counts more people than the total '常住人口'",
                  "'北坡乡'", "19,876 > 9,876"), fix=("correct the counts",)),
    Case("pop_group_column_missing", CAT, "[population] groups naming a column the census "
         "lacks (60岁及以上)", RUN, _ages_then(lambda ws: ws.set(
             "population", "groups", {"60岁及以上": "elderly_60"})),
         problem=("no column '60岁及以上' of a population group",),
         fix=("[population] groups",)),
    Case("pop_group_total_row_wrong", CAT, "a 合计 row whose 65岁及以上 is not the sum of the "
         "rows", RUN, _ages(total="20000,1"), problem=("合计", "20,000")),
    Case("pop_group_text_count", CAT, "a group count written as text (约2千)", RUN,
         _ages_then(lambda ws: ws.census(
             lambda t: t.replace(f"北坡乡,9876,11245,{AGES['北坡乡'][3]}",
                                 "北坡乡,9876,11245,约2千"))),
         problem=("non-numeric", "北坡乡", "约2千"), fix=("number of people >= 0",)),
    Case("pop_partition_not_whole", CAT, "[population] partition naming 65岁及以上 and 0—14岁, "
         "which leave out the people aged 15—64", RUN, _ages_then(lambda ws: ws.set(
             "population", "partition", ["elderly_65", "children"])),
         problem=("elderly_65, children make up the whole population", "do not add up"),
         fix=("remove [population] partition",)),
    Case("pop_group_bad_name", CAT, "a group name with capitals and a space (\"Elderly 65\")",
         RUN, _ages_then(lambda ws: ws.set("population", "groups",
                                            {"65岁及以上": "Elderly 65"})),
         problem=("'Elderly 65'",), fix=("lower-case letters",), quoted=("Elderly 65",)),
    Case("pop_group_with_even", CAT, "[population] groups with method = \"even\" (no table "
         "to read them from)", RUN, lambda ws: ws.options.__setitem__("population", {
             "method": "even", "total": TOTAL, "groups": {"65岁及以上": "elderly_65"}}),
         problem=("[population] groups applies to method = 'table'",),
         fix=("[population] method",)),
    Case("pop_groups_read", CAT, "65岁及以上 and 0—14岁 columns named in [population] groups: "
         "read with the total's rules, spread as it is, and said", RUN, _ages(), code=0,
         then=_then_groups),
    Case("pop_total_disagrees", CAT, "method = \"table\" with a total that disagrees with "
         "the table's sum", RUN, lambda ws: ws.set("population", "total", 150_000),
         problem=("150,000", f"{TOTAL:,}"), fix=("remove [population] total",)),
    Case("pop_total_row_wrong", CAT, "a 合计 row that is not the sum of the rows", RUN,
         _census(f"合计,{TOTAL},", "合计,144000,"), problem=("合计", "144,000", f"{TOTAL:,}")),
    Case("pop_township_misspelt", CAT, "a census name that matches no township (南岭 for "
         "南岭镇)", RUN, _census("南岭镇,", "南岭,"),
         problem=("'南岭'", "did you mean '南岭镇'"), fix=("correct them",)),
    Case("pop_township_missing", CAT, "a township without a census row", RUN, _drop_row,
         problem=("西河乡", "not in the population table"), fix=("correct them",)),
    Case("pop_township_twice", CAT, "a township listed twice in the census", RUN,
         _census("北坡乡,9876,11245\n", "北坡乡,9876,11245\n北坡乡,9876,11245\n"),
         problem=("repeats", "北坡乡"), fix=("each zone must appear once",)),
    Case("pop_negative_count", CAT, "a negative count", RUN,
         _census("北坡乡,9876,", "北坡乡,-9876,"),
         problem=("negative", "北坡乡", "-9876"), fix=("number of people >= 0",)),
    Case("pop_text_count", CAT, "a count written as text (约3万)", RUN,
         _census("北坡乡,9876,", "北坡乡,约3万,"), problem=("non-numeric", "北坡乡", "约3万"),
         fix=("number of people >= 0",)),
    Case("pop_empty_count", CAT, "an empty count cell", RUN, _census("北坡乡,9876,", "北坡乡,,"),
         problem=("missing", "北坡乡"), fix=("number of people >= 0",)),
    Case("pop_thousands_separators", CAT, "counts with thousands separators (\"31,245\"): "
         "read exactly", RUN, _thousands, code=0, then=_then_thousands),
    Case("pop_padded_names", CAT, "census names with spaces around them and a full-width "
         "space: joined exactly or refused, never a township without people", RUN,
         _padded_names, code=0, then=_then_thousands),
    Case("pop_counts_in_wan_unnamed", CAT, "counts in 万人 (3.12) under a header that names "
         "no unit: read as people they would be 14.4 people", RUN, _in_wan("常住人口", 2),
         problem=("under 1,000 with decimals", "'东山镇': '3.12'", "14.4 people"),
         fix=("常住人口（万人）", "[population] count_col")),
    Case("pop_counts_in_wan_named", CAT, "counts in 万人 under '常住人口（万人）': multiplied "
         "by 10,000, and said", RUN, _in_wan("常住人口（万人）", 4), code=0, then=_then_wan),
    Case("pop_unit_only_in_title", CAT, "whole counts in 万人, the unit said only in a line "
         "above the header (单位：万人)", RUN, _unit_in_title,
         problem=("the title above the table says its unit is 万人", "'常住人口' names none"),
         fix=("常住人口（万人）", "[population] count_col")),
    Case("pop_wan_header_on_people", CAT, "'常住人口（万人）' over counts of people: 52,310 万人 "
         "would be 523 million", RUN, _wan_header_on_people,
         problem=("'中和镇' would then hold 523,100,000 people", "look like people already"),
         fix=("[population] count_col",)),
    Case("pop_title_rows", CAT, "two title lines above the census header: skipped, and "
         "said", RUN, _titled, code=0, then=_then_titled),
    Case("pop_count_column_missing", CAT, "count_col naming a column the table lacks", RUN,
         lambda ws: ws.set("population", "count_col", "人口数"),
         problem=("人口数",), fix=("[population] count_col",)),
    Case("pop_key_column_missing", CAT, "table_key naming a column the table lacks", RUN,
         lambda ws: ws.set("population", "table_key", "乡镇"),
         problem=("'乡镇'",), fix=("[population] table_key",)),
    Case("pop_table_file_missing", CAT, "the census file does not exist", RUN,
         lambda ws: ws.set("population", "path", "人口.csv"), problem=("人口.csv", "not found")),
    Case("pop_even_without_total", CAT, "method = \"even\" without a total", RUN,
         _even(method="even"), problem=("'even' needs 'total'",)),
    Case("pop_table_without_path", CAT, "method = \"table\" without a path", RUN,
         lambda ws: ws.unset("population", "path"), problem=("needs 'path'",)),
    Case("pop_option_of_another_method", CAT, "label (a method even option) with method "
         "table", RUN, lambda ws: ws.set("population", "label", "普查"),
         problem=("[population] label applies to method = 'even'",),
         fix=("[population] method",)),
    Case("pop_total_zero", CAT, "total = 0", RUN, _even(method="even", total=0),
         problem=("[population] total = 0",), fix=("above 0",)),
    Case("pop_grid_too_fine", CAT, "a 10 m demand grid", RUN,
         lambda ws: ws.set("population", "grid_spacing_m", 10),
         problem=("[population] grid_spacing_m = 10",), fix=("at least 50",)),
    Case("pop_raster_missing", CAT, "method = \"raster\" with a missing GeoTIFF", RUN,
         _even(method="raster", path="人口.tif"), problem=("人口.tif",)),
    Case("pop_points_negative", CAT, "population points with a negative count", RUN,
         lambda ws: _points(ws, -5), problem=("-5",), fix=("[population] count_col",)),
    Case("pop_points_outside", CAT, "population points with a village 2.5 km outside the "
         "county: left out, and the people counted in the outputs", RUN, _points_outside,
         code=0, then=_then_points_outside),
    Case("pop_raster_undeclared_nodata", CAT, "a population raster with -9999 where it has "
         "no data, undeclared: counted as 0, and said", RUN, _raster, code=0,
         then=_then_raster),
]
