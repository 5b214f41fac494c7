"""What a message advises must exist: the ``--flags`` and ``[section] key`` names it
contains, checked against the real parser and study schema.

Shared by the scan of every string in geo/ (tests/cli/test_errors.py) and the bad-input
corpus (tests/bad_inputs), which checks each message a case prints.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from dataclasses import fields
from functools import cache

from geo.cli.main import parser
from geo.study.schema import SECTIONS

__all__ = ["FLAG", "OPTION", "named_flags", "named_options", "real_flags", "study_keys",
           "unknown_advice"]

#: a ``--flag`` in text (not part of a longer word or a ``---`` rule)
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
#: ``[section] key`` or ``key under [section]`` (``key/other under [section]``)
OPTION = re.compile(r"\[(\w+)\]\s+(\w+)|(\w+)(?:/\w+)? under \[(\w+)\]")


def _flags(p: argparse.ArgumentParser) -> set[str]:
    flags = set()
    for action in p._actions:
        flags.update(s for s in action.option_strings if s.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _flags(sub)
    return flags


@cache
def real_flags() -> frozenset[str]:
    """Every ``--flag`` of every ``geo`` subcommand."""
    return frozenset(_flags(parser()))


@cache
def study_keys() -> dict[str, frozenset[str]]:
    """Section -> its keys, from the study schema and the batch file of `geo batch`."""
    from geo.batch.config import BatchSection

    keys = {name: frozenset(f.name for f in fields(cls)) for name, cls in SECTIONS.items()}
    keys["batch"] = frozenset(f.name for f in fields(BatchSection))
    return keys


def named_flags(text: str) -> set[str]:
    """The ``--flags`` ``text`` names."""
    return {m.group(0) for m in FLAG.finditer(text)}


def named_options(text: str) -> list[tuple[str, str]]:
    """The (section, key) pairs ``text`` names, for sections the schema has ("the
    [townships] section needs ..." is no key)."""
    out = []
    for m in OPTION.finditer(text):
        sec, key = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        if sec in study_keys() and key != "section":
            out.append((sec, key))
    return out


def unknown_advice(text: str, quoted: Iterable[str] = ()) -> list[str]:
    """Flags and options ``text`` names that do not exist, less those in ``quoted`` (the
    user's own wrong words, which a message repeats to say what is wrong)."""
    allowed = set(quoted)
    bad = sorted(f for f in named_flags(text) if f not in real_flags() and f not in allowed)
    bad += [f"[{s}] {k}" for s, k in named_options(text)
            if k not in study_keys()[s] and k not in allowed]
    return bad
