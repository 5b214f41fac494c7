"""Help and docs agree (issue 20, item 5): every flag of every command's parser is in the
docs for that command, and every flag the README and docs pages write is one of a
command's.

Three checks: docs/cli.md's command reference is what the parser says now (``make
options-doc`` writes it, so a flag added to the parser and not to the docs fails here); a
flag written after ``geo COMMAND`` on one line of any page (``geo site ... --add 3``) is a
flag of that command; and every other ``--flag`` in the pages is a flag of some command or
of the other tool the line names (``dask worker --nworkers``).
"""

from __future__ import annotations

import re

from geo.cli.reference import commands, reference_block, reference_text
from tests.conftest import ROOT

#: words written like flags that are no flag, with where and why
NOT_FLAGS = {
    "--flags": "architecture.md: the test that scans every message for `--flags`",
}
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
#: commands of other tools, whose flags are theirs
_OTHER = (r"dask (?:worker|scheduler)|pip3? install|make |pytest|python3? |ruff|mypy|"
          r"lint-imports|libreoffice|pdftoppm|chromium|git |apt-get|uvicorn|mkdocs|npm |docker ")
#: flags of the geo command itself (before any command)
_GLOBAL = {"--help", "--version", "--verbose"}


def flags() -> dict[str, set[str]]:
    """Every command (``network build`` with its action) and its flags."""
    return {name: {o for a in p._actions for o in a.option_strings
                   if o.startswith("--") and o != "--help"} for name, p in commands()}


def pages() -> dict[str, str]:
    """The README and the docs pages (docs/cli.md without its generated reference, which
    the first test compares with the parser whole)."""
    out = {}
    for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = p.read_text(encoding="utf-8")
        if p.name == "cli.md":
            text = text.replace(reference_block(text), "")
        out[p.relative_to(ROOT).as_posix()] = text
    return out


def _lines(text: str) -> list[str]:
    """Lines, a code line continued with a trailing backslash joined to the next."""
    return re.sub(r"\\\n\s*", " ", text).splitlines()


def given_flags(text: str, names: list[str]) -> list[tuple[str, str]]:
    """``(command, flag)`` for every flag of ``text``: the command written before it on its
    line (``"other"`` for another tool's, ``""`` for none)."""
    geo = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    mention = re.compile(rf"\bgeo (?P<geo>{geo})\b|(?P<other>{_OTHER})")
    out = []
    for line in _lines(text):
        marks = [(m.start(), m.group("geo") or "other") for m in mention.finditer(line)]
        for f in _FLAG.finditer(line):
            before = [c for at, c in marks if at < f.start()]
            out.append((before[-1] if before else "", f.group()))
    return out


def test_the_command_reference_is_the_parsers() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert reference_block(text) == reference_text(), (
        "docs/cli.md's command reference differs from `geo COMMAND --help`: run "
        "`make options-doc`")
    for name, fl in flags().items():
        block = reference_block(text).split(f"### geo {name}\n", 1)[1].split("\n### ", 1)[0]
        missing = [f for f in fl if f"`{f}" not in block and f", {f}" not in block]
        assert not missing, (name, missing)


def test_a_flag_written_after_a_command_is_one_of_its_flags() -> None:
    known = flags()
    wrong = sorted({f"{page}: geo {cmd} {flag}" for page, text in pages().items()
                    for cmd, flag in given_flags(text, list(known))
                    if cmd not in ("", "other") and flag not in known[cmd] | _GLOBAL})
    assert not wrong, f"the docs give these commands flags their --help does not list: {wrong}"


def test_every_flag_the_pages_write_is_a_flag_of_some_command() -> None:
    known = set().union(*flags().values()) | _GLOBAL | set(NOT_FLAGS)
    wrong = sorted({f"{page}: {flag}" for page, text in pages().items()
                    for cmd, flag in given_flags(text, list(flags()))
                    if cmd != "other" and flag not in known})
    assert not wrong, f"flags in the docs that no command has: {wrong}"


def test_the_reading_rule_sees_a_flag_where_the_pages_put_it() -> None:
    """The rule the two tests above rely on, on lines shaped as the pages write them."""
    text = ("Run `geo site STUDY --add 3`; then `geo map R --out m.html`.\n"
            ".venv/bin/geo network build x.pbf \\\n    --out x.npz --modes drive\n"
            "dask worker tcp://x:8786 --nworkers 2\nThe `--model` flag.\n")
    assert given_flags(text, ["site", "map", "network build", "network"]) == [
        ("site", "--add"), ("map", "--out"), ("network build", "--out"),
        ("network build", "--modes"), ("other", "--nworkers"), ("", "--model")]
