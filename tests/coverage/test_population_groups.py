"""Population groups read from a census workbook with age columns (geo.coverage.population
.group_table): two-row headers, units, total rows, and the checks against the total.

Every expected count is the synthetic county's age table (tests/synthetic_county.py), not
geo's output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.coverage.population import group_table
from geo.errors import CensusError, ColumnError
from geo.readers import read_table
from tests.synthetic_county import AGE_COLUMNS, AGES, RESIDENTS, write_census_ages

GROUPS = dict(zip(AGE_COLUMNS, ("children", "working_age", "elderly_60", "elderly_65"),
                  strict=True))
PARTITION = ("children", "working_age", "elderly_60")


@pytest.mark.parametrize("title", [True, False])
def test_two_row_header_with_a_total_row_reads_as_the_table(tmp_path: Path, title: bool) -> None:
    path = tmp_path / "分年龄人口.xlsx"
    write_census_ages(path, title=title)
    table = read_table(path)
    ages = [f"{c}（人）" for c in AGE_COLUMNS]
    assert list(table.columns) == ["乡镇名称", "常住人口（人）", *ages]
    assert table.attrs["rows"][0] == (4 if title else 3)  # spreadsheet rows kept right
    assert any("written on rows" in n for n in table.attrs["notes"])
    groups = {f"{c}（人）": n for c, n in GROUPS.items()}
    counts, notes = group_table(table, table_key="乡镇名称", count_col="常住人口（人）",
                                groups=groups, partition=PARTITION)
    assert counts["常住人口（人）"].to_dict() == RESIDENTS
    for i, name in enumerate(GROUPS.values()):
        assert counts[name].to_dict() == {t: a[i] for t, a in AGES.items()}
    assert any("total row '合计'" in n for n in notes)
    assert any("add up to each township" in n for n in notes)


def test_counts_in_wan_ren_are_people_within_their_rounding(tmp_path: Path) -> None:
    path = tmp_path / "万人.xlsx"
    write_census_ages(path, unit="万人")
    table = read_table(path)
    assert "65岁及以上（万人）" in table.columns  # the upper cell's unit, carried down
    groups = {f"{c}（万人）": n for c, n in GROUPS.items()}
    counts, notes = group_table(table, table_key="乡镇名称", count_col="常住人口（万人）",
                                groups=groups, partition=PARTITION)
    for i, name in enumerate(GROUPS.values()):
        expected = {t: round(a[i] / 10_000, 2) * 10_000 for t, a in AGES.items()}
        assert counts[name].to_dict() == pytest.approx(expected)
    assert any("multiplied by 10,000" in n for n in notes)


def _table(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["乡镇", "常住人口", "65岁及以上", "0—14岁", "15—64岁"],
                         dtype=object).astype(str)
    frame.attrs["rows"] = list(range(2, len(rows) + 2))
    return frame


def test_a_group_above_its_township_total_stops_naming_it() -> None:
    table = _table([("甲镇", 1000, 1200, 100, 300), ("乙镇", 500, 50, 100, 350)])
    with pytest.raises(CensusError, match=r"'65岁及以上' \(elderly\) counts more people than "
                                          r"the total '常住人口'.*'甲镇' \(row 2: 1,200 > 1,000\)"):
        group_table(table, table_key="乡镇", count_col="常住人口",
                    groups={"65岁及以上": "elderly"})


def test_a_partition_that_does_not_add_up_stops() -> None:
    table = _table([("甲镇", 1000, 150, 200, 600), ("乙镇", 500, 50, 100, 350)])
    with pytest.raises(CensusError, match=r"elderly, children, working make up the whole "
                                          r"population.*'甲镇' \(row 2: groups 950, total "
                                          r"1,000\)"):
        group_table(table, table_key="乡镇", count_col="常住人口",
                    groups={"65岁及以上": "elderly", "0—14岁": "children", "15—64岁": "working"},
                    partition=("elderly", "children", "working"))
    table = _table([("甲镇", 1000, 150, 200, 650), ("乙镇", 500, 50, 100, 350)])
    counts, _ = group_table(table, table_key="乡镇", count_col="常住人口",
                            groups={"65岁及以上": "elderly", "0—14岁": "children"})
    assert counts["elderly"].tolist() == [150.0, 50.0]


def test_a_group_total_row_that_disagrees_stops() -> None:
    table = _table([("甲镇", 1000, 150, 200, 650), ("乙镇", 500, 50, 100, 350),
                    ("合计", 1500, 210, 300, 1000)])
    with pytest.raises(CensusError, match=r"total row '合计'.*says 210 but the other 2 rows "
                                          r"add up to 200"):
        group_table(table, table_key="乡镇", count_col="常住人口",
                    groups={"65岁及以上": "elderly"})


def test_a_missing_or_bad_group_column_stops() -> None:
    table = _table([("甲镇", 1000, 150, 200, 650)])
    with pytest.raises(ColumnError, match=r"no column '60岁及以上' of a population group"):
        group_table(table, table_key="乡镇", count_col="常住人口", groups={"60岁及以上": "e"})
    table = _table([("甲镇", 1000, "一百", 200, 650)])
    with pytest.raises(ColumnError, match=r"'65岁及以上' has 1 missing or non-numeric"):
        group_table(table, table_key="乡镇", count_col="常住人口", groups={"65岁及以上": "e"})
