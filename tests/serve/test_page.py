"""The page's words: every label the page's HTML and script ask for is one the server
sends, in Chinese and in English (a missing one would show its key on screen)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from geo.serve import Session, Workbench
from geo.study.run import ComputedStudy
from tests.serve.conftest import Client

STATIC = resources.files("geo.serve").joinpath("static")


def _asked() -> set[str]:
    html = STATIC.joinpath("index.html").read_text(encoding="utf-8")
    js = STATIC.joinpath("workbench.js").read_text(encoding="utf-8")
    keys = set(re.findall(r'data-l="(\w+)"', html)) | set(re.findall(r'L_\("(\w+)"', js))
    keys |= set(re.findall(r'\[\["(accept)", |\["(reject)", ', js)[0])  # L_(a[0])
    head = re.search(r"var head = \[([^\]]+)\]", js)
    assert head is not None
    keys |= {k for k in re.findall(r'"(\w+)"', head.group(1)) if k != "status"}
    return keys - {""}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_label_the_page_uses_is_sent(luzhai: ComputedStudy, language: str) -> None:
    session = Session.from_study(luzhai)
    session.language = language
    bench = Workbench(session, port=0)
    try:
        layers = Client(bench.start()).get("/api/layers").body
    finally:
        bench.stop()
    labels = layers["labels"]
    asked = _asked()
    assert len(asked) > 40
    missing = sorted(asked - set(labels))
    assert missing == [], missing
    assert all(labels[k].strip() for k in asked)
    if language == "en":
        assert labels["add"] == "Add a facility" and layers["types"][0]["label"][0].isupper()
    else:
        assert labels["add"] == "新增机构"


def test_pinyin_keys_give_initials_and_syllables_of_every_reading() -> None:
    from geo.serve.layers import MAX_READINGS, pinyin_keys

    # worked by hand: 拉沟乡 la gou xiang; 长 reads chang or zhang, both kept
    assert pinyin_keys("拉沟乡") == ["lgx", "lagouxiang"]
    keys = pinyin_keys("长塘镇")
    assert {"ctz", "ztz", "changtangzhen", "zhangtangzhen"} <= set(keys)
    assert pinyin_keys("A区")[0] == "aq"  # latin letters kept, lower case
    assert len(pinyin_keys("长长长长长长长长")) <= 2 * MAX_READINGS  # bounded
