"""Every case of the corpus, by category, and the README generated from them.

``python -m tests.bad_inputs.cases`` rewrites tests/bad_inputs/README.md.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tests.bad_inputs import (
    cases_api,
    cases_batch,
    cases_cli,
    cases_facilities,
    cases_inputs,
    cases_outputs,
    cases_population,
    cases_roads,
    cases_scenarios,
    cases_study,
    cases_townships,
)
from tests.bad_inputs.harness import CATEGORIES, Case

__all__ = ["CASES", "readme_text"]

#: cases that found a bug the code does not fix yet: id -> what is wrong (xfail, strict)
FOUND: dict[str, str] = {
}

CASES: list[Case] = [
    replace(c, xfail=FOUND[c.id]) if c.id in FOUND else c for c in [
        *cases_facilities.CASES,
        *cases_townships.CASES,
        *cases_population.CASES,
        *cases_roads.CASES,
        *cases_study.CASES,
        *cases_scenarios.CASES,
        *cases_cli.CASES,
        *cases_inputs.CASES,
        *cases_outputs.CASES,
        *cases_batch.CASES,
        *cases_api.CASES,
    ]
]


_HEAD = """# The bad-input and fault corpus (issue 11)

Every case edits a working copy of a synthetic county (示例县, `tests/synthetic_county.py`:
six townships in a GBK Shapefile without `.cpg` in Gauss-Krüger EPSG:4525, a census table
with a 合计 row, eight facilities, a road grid and its network cache), runs one `geo`
command (the Python API cases: one call of a façade function, whose message must name the
Python parameter and no flag), and asserts: the exit code; no traceback; that the message
names the problem and a fix; that every `--flag` and `[section] key` the message names
exists; that every input file is byte-identical afterwards; and, for commands that write,
that an earlier output in the same folder (a copy of a real run) is byte-identical
afterwards, with no staging folder or lock left. Cases that must run to the end (exit 0:
the silent-wrong detectors) assert the warning and its numbers in the outputs
(`run_summary.txt`, `results.gpkg` metadata, the `basis` column). Commands that could
hang (pipes, sparse giants) run in their own process with a time limit.

`test_out_paths.py` adds a property test: random `--out` paths (inputs themselves, the
inputs' folder and folders in it, glob characters, spaces and Chinese, symbolic links,
another mounted file system) thrown at every writing command; no input may change.

`make test` runs it (`pytest tests/bad_inputs`). This file is generated from the case
table (`python -m tests.bad_inputs.cases`) and tested against it.
"""


def readme_text() -> str:
    """The README: the cases by category, one line each, and the counts."""
    lines = [_HEAD, "| category | cases | of which run to the end (exit 0) |", "|---|---|---|"]
    for cat in CATEGORIES:
        mine = [c for c in CASES if c.category == cat]
        lines.append(f"| {cat} | {len(mine)} | {sum(c.code == 0 for c in mine)} |")
    lines.append(f"| all | {len(CASES)} | {sum(c.code == 0 for c in CASES)} |")
    for cat in CATEGORIES:
        lines += ["", f"## {cat}", ""]
        for c in (c for c in CASES if c.category == cat):
            code = "runs, states it" if c.code == 0 else f"exit {c.code}"
            xfail = f" **xfail: {c.xfail}**" if c.xfail else ""
            lines.append(f"- `{c.id}` ({code}): {c.what}{xfail}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    Path(__file__).with_name("README.md").write_text(readme_text(), encoding="utf-8")
