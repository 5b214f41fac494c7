"""Township names joined across files: exactly, by key, by stem, through name_map."""

from __future__ import annotations

import pytest

from geo.errors import StudyError
from geo.readers.names import display_name, match_names, name_key, stem

TOWNS = ["鹿寨镇", "雒容镇", "中渡镇", "黄冕乡", "城关街道", "拉沟乡(瑶族)"]


def test_keys_and_stems() -> None:
    assert display_name("\u3000雒容镇 \u00a0") == "雒容镇"
    assert name_key("拉沟乡（瑶族） ") == name_key("拉沟乡(瑶族)") == "拉沟乡(瑶族)"
    assert stem("城关街道办事处") == stem("城关街道") == stem("城关") == "城关"
    assert stem("镇") == "镇"  # a name that is only a suffix keeps it
    # invisible characters from a web page: a zero-width space, joiner, a byte-order mark
    assert display_name("\ufeff雒容\u200d镇\u200b ") == "雒容镇"
    assert name_key("中\u200b渡镇") == "中渡镇"


def test_match_each_way_and_state_it() -> None:
    given = ["鹿寨镇", "雒容", "中渡乡", "黄冕乡 ", "城关街道办事处", "拉沟乡（瑶族）", "四排"]
    m = match_names(TOWNS, given, what="the table t.csv")
    assert m.names == ["鹿寨镇", "雒容镇", "中渡镇", "黄冕乡", "城关街道", "拉沟乡(瑶族)", "四排"]
    assert m.matched == [True] * 6 + [False]
    assert len(m.notes) == 2
    assert "'雒容' → '雒容镇', '中渡乡' → '中渡镇', '城关街道办事处' → '城关街道'" in m.notes[1]
    assert "'拉沟乡（瑶族）' → '拉沟乡(瑶族)'" in m.notes[0]


def test_stem_not_guessed_when_two_townships_share_it() -> None:
    m = match_names(["南岭镇", "南岭乡"], ["南岭", "南岭乡"], what="t")
    assert m.names == ["南岭", "南岭乡"] and m.matched == [False, True]
    # two names of the file with one stem: neither is guessed
    m = match_names(["南岭镇"], ["南岭", "南岭街道"], what="t")
    assert m.matched == [False, False]


def test_name_map() -> None:
    m = match_names(TOWNS, ["城关 "], what="t", name_map={"城关": "鹿寨镇"})
    assert m.names == ["鹿寨镇"] and "name_map" in m.notes[0]
    with pytest.raises(StudyError, match="did you mean '鹿寨镇'"):
        match_names(TOWNS, ["x"], what="t", name_map={"城关": "鹿寨"})
