"""One "did you mean": every suggestion of geo comes from geo.options.close_words, with one
cutoff, so a misspelt key, standard, type code, township or zone is matched the same way."""

from __future__ import annotations

import re

import pytest

from geo.coverage.standards import load_standards
from geo.errors import FacilityTypeError, StandardError
from geo.options import CLOSE_CUTOFF, close_words, closest
from geo.readers.facility_types import load_types
from geo.study.checks import township_names
from tests.conftest import ROOT


def test_no_module_matches_words_on_its_own() -> None:
    """difflib (or another matcher) is used in geo.options only."""
    pattern = re.compile(r"\bdifflib\b|get_close_matches|SequenceMatcher|rapidfuzz|levenshtein",
                         re.IGNORECASE)
    users = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "geo").rglob("*.py")
                   if pattern.search(p.read_text(encoding="utf-8")))
    assert users == ["geo/options.py"]


def test_the_cutoff_by_hand() -> None:
    # SequenceMatcher's ratio is 2 M / T (M matching characters, T both lengths):
    # 鹿寨 vs 鹿寨镇: 2*2/5 = 0.8; 鹿寨镇 vs 鹿寨乡: 2*2/6 = 0.67; 中渡镇 vs 鹿寨镇: 2*1/6 = 0.33;
    # "mode" vs "minutes": m, e match: 2*2/11 = 0.36; "drve" vs "drive": 2*4/9 = 0.89
    assert CLOSE_CUTOFF == 0.5
    assert close_words("鹿寨", ["中渡镇", "鹿寨镇"]) == ["鹿寨镇"]
    assert close_words("鹿寨乡", ["鹿寨镇", "中渡镇"], n=2) == ["鹿寨镇"]
    assert close_words("中渡镇", ["鹿寨镇"]) == []
    assert close_words("mode", ["minutes"]) == []
    assert closest("drve", ["drive", "walk"]) == " (did you mean 'drive'?)"
    assert closest("abcd", ["abcx", "abxx", "zzzz"], n=3) == " (did you mean 'abcx' or 'abxx'?)"
    assert closest("zzz", ["drive"]) == ""
    assert close_words("GCJ2", ["wgs84", "gcj02"]) == ["gcj02"]  # case does not count


def test_every_kind_of_name_is_suggested_the_same_way() -> None:
    types = load_types()
    with pytest.raises(FacilityTypeError, match=r"\(did you mean 'village_clinic'\?\)"):
        types.check_map({"卫生室": "vilage_clinic"})
    sset = load_standards(ROOT / "analysis" / "standards.toml")
    with pytest.raises(StandardError, match=r"unknown standard 'emergency_1hr' "
                                            r"\(did you mean 'emergency_1h'\?\)"):
        sset.select(["emergency_1hr"])
    check = township_names(("the township polygons", ["鹿寨镇", "中渡镇"]),
                           {"the table": (["鹿寨", "中渡镇"], "stop")})
    assert "'鹿寨' (did you mean '鹿寨镇'?)" in check.message
