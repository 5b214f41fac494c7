"""The generated parts of the docs: every TOML file's keys, listed from its declaration.

Each file geo reads (the study file, the standards file with its measure and response
specs, the facility-type table, scenario files) is declared once, as dataclasses of
:func:`geo.options.opt` fields, and read by :func:`geo.options.parse_section`; the lists
below are rendered from the same declarations into the docs pages between
``<!-- KEY:start ... -->`` and ``<!-- KEY:end -->`` markers (``make options-doc``, or
``python -m geo.cli.docs``), and tests check that the pages hold what the code says.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.coverage.standards import standards_options_text
from geo.measures.specs import specs_options_text
from geo.options import write_doc_block
from geo.planning.scenario import scenario_options_text
from geo.readers.facility_types import types_options_text
from geo.study.schema import options_text

__all__ = ["BLOCKS", "write_docs"]

#: (docs page, marker key, source module, the list) of every generated list
BLOCKS: tuple[tuple[str, str, str, Callable[[], str]], ...] = (
    ("docs/study-file.md", "options", "geo/study/schema.py", options_text),
    ("docs/study-file.md", "standard-keys", "geo/coverage/standards.py",
     standards_options_text),
    ("docs/measures.md", "spec-keys", "geo/measures/specs.py", specs_options_text),
    ("docs/facility-types.md", "type-keys", "geo/readers/facility_types.py",
     types_options_text),
    ("docs/planning.md", "scenario-keys", "geo/planning/scenario.py", scenario_options_text),
)


def write_docs(root: str | Path) -> None:
    """Rewrite every generated list of the docs pages under ``root`` (a checkout)."""
    for page, key, source, text in BLOCKS:
        write_doc_block(Path(root) / page, key, source, text())


if __name__ == "__main__":
    write_docs(Path.cwd())
