"""The corpus: every case run through `geo` and checked (tests/bad_inputs/harness.py);
the README's list of cases is the case table's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bad_inputs.cases import CASES, readme_text
from tests.bad_inputs.harness import CATEGORIES, Case, Workspace, check_case, snapshot

README = Path(__file__).with_name("README.md")


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: Case, ws: Workspace) -> None:
    check_case(case, ws, snapshot(ws.out))


def test_every_category_has_its_cases() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for cat, least in CATEGORIES.items():
        got = sum(c.category == cat for c in CASES)
        assert got >= least, f"{cat}: {got} cases, at least {least} wanted"
    assert {c.category for c in CASES} <= set(CATEGORIES)


def test_readme_lists_the_cases() -> None:
    assert README.read_text(encoding="utf-8") == readme_text(), (
        "tests/bad_inputs/README.md is out of date: python -m tests.bad_inputs.cases")
