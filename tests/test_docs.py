"""The README is the landing page: its quick start is the two commands, and every page it
links to exists (the manual lives in docs/); the documentation builds strictly."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
#: a Markdown link or image to a relative target: ](path) or ](path#anchor)
_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#[^)\s]*)?\)")


def test_quick_start_is_make_demo_and_make_test() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]


def test_every_relative_link_of_the_readme_and_docs_exists() -> None:
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    missing = [
        (page.relative_to(ROOT).as_posix(), target)
        for page in pages
        for target in _LINK.findall(page.read_text(encoding="utf-8"))
        if not (page.parent / target).exists()
    ]
    assert not missing, missing
    linked = set(_LINK.findall(README.read_text(encoding="utf-8")))
    manual = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} - {"docs/index.md"}
    assert manual <= linked, sorted(manual - linked)


@pytest.mark.slow
def test_docs_build_strictly(tmp_path: Path) -> None:
    """`make docs` in strict mode: every page and docstring renders and every cross-reference
    resolves (-W -n: a warning fails). Built from a copy, so the checkout is left as it is."""
    source = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", source, ignore=shutil.ignore_patterns("api", "_build"))
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html",
         str(source), str(tmp_path / "html")],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-5000:]
    assert (tmp_path / "html" / "api" / "geo.routing.travel.html").is_file()
    page = (tmp_path / "html" / "api" / "geo.routing.travel.html").read_text(encoding="utf-8")
    assert 'id="geo.routing.travel.nearest_facility"' in page
