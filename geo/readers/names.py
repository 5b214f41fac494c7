"""Township names as planners write them.

Trimmed for the outputs, keyed for joins, and matched across files with the differences stated.

Files from different bureaus write one township differently: with spaces or a full-width
space around it ('南岭镇 ', '\u3000南岭镇'), with an invisible zero-width space copied from a
web page, with full- or half-width brackets ('（民族乡）', '(民族乡)'), or with and without
its suffix ('雒容' in a census table, '雒容镇' in the boundaries; '城关街道办事处' and
'城关街道'). :func:`display_name` trims a name for the outputs (a trailing space breaks
every spreadsheet look-up); :func:`name_key` is the form names are compared in (NFKC,
case-folded, without spaces); :func:`match_names` joins the names of one file to the
townships: exactly, then by key, then by name without its suffix
(乡, 镇, 街道, 街道办事处, ...; only where that is unique on both sides), then through
``[townships] name_map``; every match that is not exact is returned as a line for the
outputs, and a name that matches nothing is left for the caller's check to name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from geo.errors import StudyError
from geo.options import closest

__all__ = ["SUFFIXES", "NameMatch", "display_name", "match_names", "name_key", "stem", "visible"]

#: suffixes of township-level names, longest first ('街道办事处' before '街道')
SUFFIXES = ("街道办事处", "街道办", "办事处", "街道", "镇", "乡")


def visible(text: str) -> str:
    """Drop invisible format characters from ``text``.

    Invisible format characters (Unicode category Cf: a zero-width
    space or joiner, a byte-order mark, a soft hyphen) come with text copied from a web
    page or a Word file, and a spreadsheet does not show them.
    """
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


def display_name(value: object) -> str:
    """Return ``value`` as text as a spreadsheet shows it.

    Without the spaces around it (full-width and no-break spaces too) and without invisible
    characters (a zero-width space).
    """
    return visible(str(value)).strip()


def name_key(value: object) -> str:
    """Return the form names are compared in.

    NFKC (full-width brackets, digits and spaces as half-width), case-folded, without any space or
    invisible character.
    """
    text = unicodedata.normalize("NFKC", visible(str(value))).casefold()
    return "".join(text.split())


def stem(value: object) -> str:
    """:func:`name_key` without a township suffix ('雒容镇' -> '雒容').

    A name that is only a suffix keeps it.
    """
    key = name_key(value)
    for suffix in SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@dataclass
class NameMatch:
    """Names of one file joined to the townships.

    ``names``: each given name as the township it joins (the township's own name), or as
    given (trimmed) where it joins none; ``matched``: whether it joined one; ``notes``:
    one line per name joined other than exactly, for the outputs.
    """

    names: list[str]
    matched: list[bool]
    notes: list[str] = field(default_factory=list)


def _unique(keys: Sequence[str]) -> dict[str, int]:
    """Key -> position, for the keys that occur once."""
    seen: dict[str, int] = {}
    twice: set[str] = set()
    for i, k in enumerate(keys):
        if k in seen:
            twice.add(k)
        seen[k] = i
    return {k: i for k, i in seen.items() if k not in twice}


def match_names(townships: Sequence[str], given: Sequence[object], *, what: str,
                name_map: Mapping[str, str] | None = None) -> NameMatch:
    """Join the names ``given`` by a file to the ``townships``.

    ``what``: the file, e.g. 'the population table 普查.csv' (see module docs).

    Raises
    ------
    StudyError
        ``name_map`` maps a name to one that is not a township.
    """
    towns = [display_name(t) for t in townships]
    exact = set(towns)
    by_key = _unique([name_key(t) for t in towns])
    by_stem = _unique([stem(t) for t in towns])
    mapped = {name_key(k): display_name(v) for k, v in (name_map or {}).items()}
    for source, target in (name_map or {}).items():
        if display_name(target) not in exact:
            raise StudyError(
                f"[townships] name_map maps {source!r} to {target!r}, which is not a township"
                f"{closest(display_name(target), towns)}: the townships are "
                f"{', '.join(towns)}")
    given_stems = [stem(g) for g in given]
    stem_count = {s: given_stems.count(s) for s in set(given_stems)}
    names, matched, notes = [], [], []
    ways: dict[str, list[str]] = {"map": [], "key": [], "stem": []}
    for g, g_stem in zip(given, given_stems, strict=True):
        text = display_name(g)
        key = name_key(g)
        if key in mapped:
            town = mapped[key]
            ways["map"].append(f"{text!r} → {town!r}")
        elif text in exact:
            town = text
        elif key in by_key:
            town = towns[by_key[key]]
            ways["key"].append(f"{text!r} → {town!r}")
        elif g_stem in by_stem and stem_count[g_stem] == 1:
            town = towns[by_stem[g_stem]]
            ways["stem"].append(f"{text!r} → {town!r}")
        else:
            names.append(text)
            matched.append(False)
            continue
        names.append(town)
        matched.append(True)
    if ways["map"]:
        notes.append(f"{what}: {len(ways['map'])} names joined to townships through "
                     f"[townships] name_map: {', '.join(ways['map'])}")
    if ways["key"]:
        notes.append(f"{what}: {len(ways['key'])} names written differently from the "
                     "townships' (full- or half-width characters, spaces, case) joined to "
                     f"them: {', '.join(ways['key'])}")
    if ways["stem"]:
        notes.append(f"{what}: {len(ways['stem'])} names joined to the township of the same "
                     f"name with another suffix (乡/镇/街道/街道办事处): {', '.join(ways['stem'])}"
                     "; if one is wrong, map it with [townships] name_map")
    return NameMatch(names, matched, notes)
