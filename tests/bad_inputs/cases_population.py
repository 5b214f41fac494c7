"""Population: the census table and the other ways of giving people, each way wrong."""

from __future__ import annotations

from collections.abc import Callable

from tests.bad_inputs.harness import CENSUS, Case, Result, Workspace, csv_table, stated_everywhere
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


def _rounded_total(ws: Workspace) -> None:
    """Counts in 万人 to two decimals whose rows add up to 14.43; the 合计 row says 14.42,
    as a yearbook rounding its total on its own does."""
    _in_wan("常住人口（万人）", 2)(ws)
    ws.census(lambda t: _replace(t, "\n合计,14.43,", "\n合计,14.42,"))


def _then_rounded_total(ws: Workspace, r: Result) -> None:
    stated_everywhere(ws.out, "total row '合计' (row 8: 14.42) is not the sum of the other 6 "
                      "rows (14.43) but within their rounding (each row to 0.01: the "
                      "difference, 0.01, is at most 0.035) and was left out")


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




def _then_joined(*words: str):  # type: ignore[no-untyped-def]
    """Every township has its census row (the table's people exactly), and ``words`` (how
    the names were joined) are stated in every output."""
    def then(ws: Workspace, r: Result) -> None:
        _then_thousands(ws, r)
        stated_everywhere(ws.out, *words)
    return then


def _suffixes(ws: Workspace) -> None:
    """The census writes 南岭 and 西河 (no suffix), 北坡镇 for 北坡乡, 新民乡 in full-width
    brackets after a space: '新民乡 （ 一 ）' against the boundaries' '新民乡(一)'."""
    ws.census(lambda t: _replace(_replace(_replace(_replace(
        t, "\n南岭镇,", "\n南岭,"), "\n西河乡,", "\n西河,"), "\n北坡乡,", "\n北坡镇,"),
        "\n新民乡,", "\n新民乡 （ 一 ）,"))
    ws.townships(lambda g: g.assign(乡镇名称=g["乡镇名称"].replace({"新民乡": "新民乡(一)"})))


def _then_suffixes(ws: Workspace, r: Result) -> None:
    table = csv_table(ws.out / "coverage_by_township.csv")
    got = {t: float(p) for t, p in zip(table["township"], table["population"], strict=True)}
    want = {("新民乡(一)" if t == "新民乡" else t): float(p) for t, p in RESIDENTS.items()}
    assert got == want, got
    stated_everywhere(ws.out, "3 names joined to the township of the same name with another "
                      "suffix (乡/镇/街道/街道办事处): '南岭' → '南岭镇', '西河' → '西河乡', "
                      "'北坡镇' → '北坡乡'",
                      "1 names written differently from the townships' (full- or half-width "
                      "characters, spaces, case) joined to them: '新民乡 （ 一 ）' → '新民乡(一)'")


_WIDE = str.maketrans("0123456789,", "０１２３４５６７８９，")


def _full_width_counts(ws: Workspace) -> None:
    """Counts typed with a Chinese input method: full-width digits and commas (３１，２４５),
    the 合计 row too."""
    def edit(text: str) -> str:
        lines = text.splitlines()
        out = [lines[0]]
        for line in lines[1:]:
            name, resident, registered = line.split(",")
            wide = f"{int(resident):,}".translate(_WIDE)
            out.append(f"{name},{wide},{registered}")
        return "\n".join(out) + "\n"
    ws.census(edit)


def _invisible(ws: Workspace) -> None:
    """The census saved as UTF-8 from a web page: a zero-width space after 东山镇, a
    zero-width joiner inside 南岭镇 and a byte-order mark before 北坡乡 (none shows in a
    spreadsheet)."""
    p = ws.path(CENSUS)
    text = p.read_bytes().decode("gbk")
    for name, written in (("东山镇", "东山镇\u200b"), ("南岭镇", "南岭\u200d镇"),
                          ("北坡乡", "\ufeff北坡乡")):
        text = _replace(text, f"\n{name},", f"\n{written},")
    p.write_bytes(text.encode("utf-8"))


def _suffix_twice(ws: Workspace) -> None:
    """北坡乡 renamed 南岭乡 in the boundaries: '南岭' in the census could be 南岭镇 or 南岭乡."""
    ws.census(lambda t: _replace(_replace(t, "\n南岭镇,", "\n南岭,"), "\n北坡乡,",
                                 "\n南岭乡,"))
    ws.townships(lambda g: g.assign(乡镇名称=g["乡镇名称"].replace({"北坡乡": "南岭乡"})))


def _name_map(target: str):  # type: ignore[no-untyped-def]
    """The census calls 中和镇 by its old name 城关; [townships] name_map maps it."""
    def edit(ws: Workspace) -> None:
        ws.census(lambda t: _replace(t, "\n中和镇,", "\n城关,"))
        ws.set("townships", "name_map", {"城关": target})
    return edit


def _merged_header(ws: Workspace) -> None:
    """The census as a bureau's workbook: a title, then a two-row header of merged cells
    (乡镇名称 | 常住人口 over 2010年, 2020年 | 户籍人口 over 2010年, 2020年)."""
    import openpyxl

    from tests.synthetic_county import TOWNSHIPS

    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["示例县各乡镇人口"])
    sheet.append(["乡镇名称", "常住人口", None, "户籍人口", None])
    sheet.append([None, "2010年", "2020年", "2010年", "2020年"])
    for cells in ("A1:E1", "A2:A3", "B2:C2", "D2:E2"):
        sheet.merge_cells(cells)
    for name, _, _, _, resident, registered in TOWNSHIPS:
        sheet.append([name, resident - 900, resident, registered - 800, registered])
    wb.save(ws.path("人口普查.xlsx"))
    ws.set("population", "path", "人口普查.xlsx")
    ws.set("population", "count_col", "2020年")


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


def _raster_part(east_of: float, nodata: bool):  # type: ignore[no-untyped-def]
    """A population GeoTIFF of the county's western part only: its extent ends at lon
    ``east_of`` (``nodata``: the extent covers the county, the pixels east of it are a
    declared nodata, as a raster clipped to another boundary)."""
    def edit(ws: Workspace) -> None:
        import numpy as np
        import rasterio
        from rasterio.transform import from_origin

        width = 35 if nodata else round((east_of - 109.78) / 0.01)
        values = np.full((20, width), 200.0, dtype="float32")
        if nodata:
            values[:, round((east_of - 109.78) / 0.01):] = -1.0
        with rasterio.open(ws.path("人口.tif"), "w", driver="GTiff", height=20, width=width,
                           count=1, dtype="float32", crs="EPSG:4326", nodata=-1.0,
                           transform=from_origin(109.78, 24.57, 0.01, 0.01)) as dst:
            dst.write(values, 1)
        ws.options["population"] = {"method": "raster", "path": "人口.tif"}
    return edit


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
    Case("standard_group_unknown", CAT, "a standard whose population_group names a group "
         "the study does not have (elderly for elderly_65)", RUN, _ages_then(
             lambda ws: ws.set("standards", "overrides",
                               {"primary_care_30min": {"population_group": "elderly"}})),
         problem=("population_group = 'elderly' is not a population group of the study",
                  "[primary_care_30min]"),
         fix=("did you mean 'elderly_65'", "the study's groups are elderly_65, children")),
    Case("standard_group_without_groups", CAT, "a standard serving a population group "
         "(population_group) in a study without [population] groups", RUN,
         lambda ws: ws.set("standards", "overrides",
                           {"primary_care_30min": {"population_group": "women_15_49"}}),
         problem=("population_group = 'women_15_49' is not a population group of the study",),
         fix=("the study has no population groups", "[population] groups")),
    Case("measure_group_unknown", CAT, "a measure whose population_group (its demand) names "
         "a group the study does not have (children_0_14 for children)", RUN, _ages_then(
             lambda ws: ws.set("measures", "use", ["primary_care_facilities_per_10000"]),
             lambda ws: ws.set("measures", "overrides", {"primary_care_facilities_per_10000": {
                 "population_group": "children_0_14"}})),
         problem=("[measures.primary_care_facilities_per_10000] population_group = "
                  "'children_0_14' is not a population group of the study",),
         fix=("the study's groups are elderly_65, children",)),
    Case("response_group_unknown", CAT, "a response spec whose population_group names a "
         "group the study does not have (elderly_60 with only elderly_65 and children)", RUN,
         _ages_then(
             lambda ws: ws.set("response", "use", ["emergency_response_1h"]),
             lambda ws: ws.set("response", "overrides", {"emergency_response_1h": {
                 "population_group": "elderly_60"}})),
         problem=("[response.emergency_response_1h] population_group = 'elderly_60' is not a "
                  "population group of the study",),
         fix=("did you mean 'elderly_65'", "the study's groups are elderly_65, children")),
    Case("pop_groups_read", CAT, "65岁及以上 and 0—14岁 columns named in [population] groups: "
         "read with the total's rules, spread as it is, and said", RUN, _ages(), code=0,
         then=_then_groups),
    Case("pop_total_disagrees", CAT, "method = \"table\" with a total that disagrees with "
         "the table's sum", RUN, lambda ws: ws.set("population", "total", 150_000),
         problem=("150,000", f"{TOTAL:,}"), fix=("remove [population] total",)),
    Case("pop_total_row_wrong", CAT, "a 合计 row that is not the sum of the rows", RUN,
         _census(f"合计,{TOTAL},", "合计,144000,"), problem=("合计", "144,000", f"{TOTAL:,}")),
    Case("pop_township_misspelt", CAT, "a census name that matches no township (南陵镇 for "
         "南岭镇)", RUN, _census("南岭镇,", "南陵镇,"),
         problem=("'南陵镇'", "did you mean '南岭镇'"), fix=("[townships] name_map",)),
    Case("pop_township_suffixes", CAT, "census names without their suffix (南岭 for 南岭镇), "
         "with another (北坡镇 for 北坡乡), in full-width brackets with spaces: joined, and "
         "each match stated", RUN, _suffixes, code=0, then=_then_suffixes),
    Case("pop_full_width_counts", CAT, "counts in full-width digits and commas (３１，２４５, "
         "an input method's), the 合计 row too: read as the numbers they are", RUN,
         _full_width_counts, code=0, then=_then_thousands),
    Case("pop_township_invisible_chars", CAT, "census names with invisible characters "
         "(zero-width space and joiner, a byte-order mark) from a web page: joined as the "
         "spreadsheet shows them, every township's people counted", RUN, _invisible, code=0,
         then=_then_thousands),
    Case("pop_township_suffix_ambiguous", CAT, "'南岭' in the census where the townships "
         "have 南岭镇 and 南岭乡: not guessed", RUN, _suffix_twice,
         problem=("'南岭'", "not in the township polygons"), fix=("[townships] name_map",)),
    Case("pop_township_name_map", CAT, "[townships] name_map = { 城关 = \"中和镇\" } for an "
         "old name in the census: joined, and stated", RUN, _name_map("中和镇"), code=0,
         then=_then_joined("1 names joined to townships through [townships] name_map: "
                           "'城关' → '中和镇'")),
    Case("pop_township_name_map_unknown", CAT, "[townships] name_map naming a township that "
         "does not exist (中和 for 中和镇)", RUN, _name_map("中和"),
         problem=("[townships] name_map", "'中和'", "not a township", "did you mean '中和镇'")),
    Case("pop_township_missing", CAT, "a township without a census row", RUN, _drop_row,
         problem=("西河乡", "not in the population table"), fix=("[townships] name_map",)),
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
    Case("pop_total_row_rounded", CAT, "a 合计 row in 万人 that differs from the rows' sum "
         "by their rounding (14.42 against 14.43): accepted, and said so, never 'equals'",
         RUN, _rounded_total, code=0, then=_then_rounded_total),
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
    Case("pop_two_count_columns", CAT, "two censuses side by side (常住人口（2010年）, "
         "常住人口（2020年）) and count_col = \"常住人口\": neither is taken", RUN,
         _census("乡镇名称,常住人口,户籍人口", "乡镇名称,常住人口（2020年）,常住人口（2010年）"),
         problem=("2 columns could be it", "'常住人口（2020年）', '常住人口（2010年）'"),
         fix=("[population] count_col naming the one to use",)),
    Case("pop_merged_header", CAT, "a census workbook with a two-row header of merged cells "
         "(2010年 and 2020年 under 常住人口 and under 户籍人口)", RUN, _merged_header,
         problem=("人口普查.xlsx", "(row 3) names '2010年', '2020年' more than once",
                  "two-row header (row 2: 乡镇名称; 常住人口; 户籍人口"),
         fix=("one row of distinct column names", "常住人口（2010年）")),
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
    Case("pop_raster_covers_half", CAT, "a population raster of the western half of the "
         "county: its people would vanish from every denominator", RUN,
         _raster_part(109.96, nodata=False),
         problem=("人口.tif leaves", "of the study area without data", "beyond its extent"),
         fix=("covers the whole area",)),
    Case("pop_raster_nodata_half", CAT, "a raster clipped to another boundary: declared "
         "nodata over the county's eastern half", RUN, _raster_part(109.96, nodata=True),
         problem=("人口.tif leaves", "km² of nodata pixels"),
         fix=("covers the whole area", "write 0 into them")),
    Case("pop_raster_undeclared_nodata", CAT, "a population raster with -9999 where it has "
         "no data, undeclared: counted as 0, and said", RUN, _raster, code=0,
         then=_then_raster),
]
