"""Facility types: codes, Chinese and English names, aliases and tiers (one table).

``analysis/facility_types.toml`` is the one vocabulary of the ``type`` column of a facility
file: for each code its Chinese name (``zh``), English name (``en``), tier in the
county–township–village system and the aliases planners write (县人民医院, 卫生院, 急救站,
...). :meth:`TypeTable.resolve` turns a type column of codes, names, aliases or local names
(through a study's ``type_map``) into codes; every value it cannot place is named with its
rows and the closest known names, and names that could mean several types (医院, 急救中心,
二级医院: ``[ambiguous]`` in the table) are never guessed. :mod:`geo.coverage.tiers` and
:mod:`geo.coverage.standards` read their vocabulary from here.

Matching ignores case, spaces, underscores, hyphens, apostrophes, brackets and the
difference between full-width and half-width characters, and reads "centre" as "center".
"""

from __future__ import annotations

import functools
import logging
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import FacilityTypeError
from geo.options import close_words, closest, opt, parse_section, section_text
from geo.readers.names import visible
from geo.settings import shipped

__all__ = [
    "DEFAULT_TABLE",
    "TIER_NAMES",
    "AmbiguousName",
    "FacilityType",
    "Resolution",
    "TypeTable",
    "load_types",
    "normalise",
    "types_options_text",
]

logger = logging.getLogger(__name__)

#: the table shipped with geo (``analysis/facility_types.toml`` in the repository)
DEFAULT_TABLE = shipped("analysis/facility_types.toml")
#: tiers a type may have; facilities of types outside the table have tier ``other``
TIER_NAMES = ("county", "township", "community", "village")
_DROPPED = str.maketrans("", "", " \t\r\n_-'’‘·.()[]")
_ROWS_SHOWN = 5
_FIX = (
    "write a code, Chinese name or alias from {table} (docs/facility-types.md) "
    "in its place, or map your own names to codes with "
    "[facilities] type_map = {{ \"本地名称\" = \"code\" }} in the study file "
    "(type_map= in Python)"
)


def normalise(name: str) -> str:
    """The form names are matched in: NFKC, case-folded, without spaces, punctuation and
    invisible characters (a zero-width space)."""
    text = unicodedata.normalize("NFKC", visible(str(name))).casefold().translate(_DROPPED)
    return text.replace("centre", "center")


@dataclass(frozen=True)
class FacilityType:
    """``[types.CODE]``: one facility type (CODE is what standards and studies name)."""

    code: str = opt(None, "the table's name", required=True)
    zh: str = opt(None, "Chinese name", required=True)
    en: str = opt(None, "English name", required=True)
    tier: str = opt(None, "level in the county–township–village health system (for the "
                    "nearest other facility of its tier)", required=True, choices=TIER_NAMES)
    aliases: tuple[str, ...] = opt((), "other names planners write in their lists "
                                   "(matched ignoring case, spaces and punctuation)")

    def label(self, language: str = "zh") -> str:
        """The Chinese (``zh``) or English (``en``) name."""
        return self.zh if language == "zh" else self.en

    @property
    def names(self) -> tuple[str, ...]:
        """Every spelling that resolves to this type: code, names and aliases."""
        return (self.code, self.zh, self.en, *self.aliases)


@dataclass(frozen=True)
class Resolution:
    """Codes for a type column, and what was translated (for the outputs' notes)."""

    codes: list[str]
    #: input value -> (code, rows) for every value that was not already a code
    translated: dict[str, tuple[str, int]]
    #: input value -> rows, for the values mapped by the study's type_map
    mapped: dict[str, int]

    @property
    def note(self) -> str:
        """One line for the outputs ('' when every value was a code)."""
        if not self.translated:
            return ""
        parts = [
            f"{value} → {code} ({rows}{', type_map' if value in self.mapped else ''})"
            for value, (code, rows) in self.translated.items()
        ]
        return "facility types read from names: " + "; ".join(parts)


@dataclass(frozen=True)
class TypeTable:
    """The facility-type table: types in file order, and names never guessed."""

    types: dict[str, FacilityType]
    ambiguous: dict[str, tuple[tuple[str, ...], str]]
    path: Path

    @functools.cached_property
    def _index(self) -> dict[str, tuple[str, str]]:
        """Normalised spelling -> (code, the spelling as written)."""
        index: dict[str, tuple[str, str]] = {}
        for ftype in self.types.values():
            for name in ftype.names:
                index.setdefault(normalise(name), (ftype.code, name))
        return index

    def markdown(self) -> str:
        """The table as Markdown (docs/facility-types.md holds this text)."""
        lines = ["| code | 中文 | English | tier | also read as |", "|---|---|---|---|---|"]
        lines += [
            f"| `{t.code}` | {t.zh} | {t.en} | {t.tier} | {', '.join(t.aliases)} |"
            for t in self.types.values()
        ]
        return "\n".join(lines)

    def codes(self) -> list[str]:
        """Every type code, in table order."""
        return list(self.types)

    def tier_of(self, code: str) -> str:
        """The tier of a type code; ``other`` for codes outside the table."""
        ftype = self.types.get(code)
        return ftype.tier if ftype else "other"

    def lookup(self, name: str) -> str | None:
        """The code a name stands for, or None (unknown or ambiguous)."""
        hit = self._index.get(normalise(name))
        return hit[0] if hit else None

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` known names close to ``name``, as 'name (code)'."""
        keys = close_words(normalise(name), self._index, n)
        return [f"{self._index[k][1]} ({self._index[k][0]})" for k in keys]

    def check_map(self, type_map: Mapping[str, str] | None) -> dict[str, str]:
        """A study's ``type_map`` with normalised keys; every target must be a code."""
        out: dict[str, str] = {}
        for local, code in (type_map or {}).items():
            if str(code) not in self.types:
                raise FacilityTypeError(
                    f"type_map maps {local!r} to {code!r}, which is not a facility type code"
                    f"{closest(str(code), self.codes(), 3)}; the codes are "
                    f"{', '.join(self.codes())} ({self.path.name})"
                )
            out[normalise(str(local))] = str(code)
        return out

    def resolve(
        self,
        values: Sequence[object],
        *,
        type_map: Mapping[str, str] | None = None,
        rows: Sequence[str] | None = None,
        what: str = "the type column",
    ) -> Resolution:
        """Codes for a column of codes, names, aliases or ``type_map`` names.

        Parameters
        ----------
        values : sequence
            The type column, one value per facility.
        type_map : mapping, optional
            Local name -> code (a study's ``[facilities] type_map``); wins over the table.
        rows : sequence of str, optional
            How messages name each value's row ("row 5", "facility 'LZ-T03'").
        what : str
            How messages name the column and its file.

        Returns
        -------
        Resolution
            One code per value, and what was translated.

        Raises
        ------
        FacilityTypeError
            Listing every missing, ambiguous and unknown value with its rows and the
            closest known names, and the fix.
        """
        labels = list(rows) if rows is not None else [f"row {i + 1}" for i in range(len(values))]
        user = self.check_map(type_map)
        texts = ["" if _missing(v) else str(v).strip() for v in values]
        codes: list[str] = []
        translated: dict[str, tuple[str, int]] = {}
        mapped: dict[str, int] = {}
        bad: dict[str, list[str]] = {}
        for text, label in zip(texts, labels, strict=True):
            key = normalise(text)
            code = (user.get(key) or self.lookup(text)) if text else None
            if code is None:
                bad.setdefault(text, []).append(label)
                codes.append("")
                continue
            codes.append(code)
            if text != code:
                translated[text] = (code, translated.get(text, (code, 0))[1] + 1)
                if key in user:
                    mapped[text] = mapped.get(text, 0) + 1
        if bad:
            raise FacilityTypeError(self._problems(bad, what))
        result = Resolution(codes, translated, mapped)
        if result.note:
            logger.info(result.note)
        return result

    def _problems(self, bad: dict[str, list[str]], what: str) -> str:
        parts = []
        for text, labels in bad.items():
            where = ", ".join(labels[:_ROWS_SHOWN])
            where += f" and {len(labels) - _ROWS_SHOWN} more" if len(labels) > _ROWS_SHOWN else ""
            if not text:
                parts.append(f"no type in {where}")
                continue
            amb = self.ambiguous.get(normalise(text))
            if amb:
                parts.append(
                    f"{text!r} ({where}) is ambiguous, {amb[1]}: it could be "
                    f"{' or '.join(amb[0])}, and is not guessed"
                )
                continue
            near = self.closest(text)
            hint = f"closest: {', '.join(near)}" if near else "no similar known name"
            parts.append(f"{text!r} ({where}) is not a known facility type ({hint})")
        return f"{what}: " + "; ".join(parts) + ". Fix: " + _FIX.format(table=self.path.name)


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return not str(value).strip()


@dataclass(frozen=True)
class AmbiguousName:
    """``[ambiguous]``: ``"name" = { codes = [...], why = "..." }``, a name that could mean
    several types and is never guessed."""

    codes: tuple[str, ...] = opt(None, "two or more codes of [types] the name could mean",
                                 required=True)
    why: str = opt("", "why it is ambiguous, said in the message that refuses it", blank=True)


#: tables of the type file, in file order
_SECTIONS = ("types", "ambiguous")


def types_options_text(markdown: bool = True) -> str:
    """The keys of the type table's entries, one line each (the docs' list is this text)."""
    lines = [*section_text("types.CODE", FacilityType, markdown, skip=("code",)),
             *section_text("ambiguous", AmbiguousName, markdown)]
    return "\n".join(lines) + "\n"


def _check_unique(table: TypeTable) -> None:
    """No spelling may stand for two types, nor for a type and an ambiguous name."""
    seen: dict[str, str] = {}
    for ftype in table.types.values():
        for name in ftype.names:
            key = normalise(name)
            other = seen.setdefault(key, ftype.code)
            if other != ftype.code:
                raise FacilityTypeError(
                    f"{table.path}: {name!r} is a name of both {other} and {ftype.code}: "
                    "move it to [ambiguous]"
                )
            if key in table.ambiguous:
                raise FacilityTypeError(
                    f"{table.path}: {name!r} names {ftype.code} and is also listed in "
                    "[ambiguous]: keep it in one place"
                )


def _parse(data: dict[str, Any], path: Path) -> TypeTable:
    for name in data:
        if name not in _SECTIONS:
            raise FacilityTypeError(f"{path}: unknown section [{name}]{closest(name, _SECTIONS)}"
                                    f". Sections: {', '.join(f'[{s}]' for s in _SECTIONS)}")
    raw_types = data.get("types")
    if not isinstance(raw_types, dict) or not raw_types:
        raise FacilityTypeError(f"{path} has no [types.CODE] tables")
    try:
        types = {str(code): parse_section(FacilityType, f"types.{code}", raw,
                                          given={"code": str(code)}, error=FacilityTypeError)
                 for code, raw in raw_types.items()}
        raw_amb = data.get("ambiguous", {})
        if not isinstance(raw_amb, dict):
            raise FacilityTypeError("[ambiguous] must be a table of name = { codes = [...], "
                                    "why = \"...\" }")
        names = {str(n): parse_section(AmbiguousName, "ambiguous", raw,
                                       label=f"[ambiguous] {n!r}", error=FacilityTypeError)
                 for n, raw in raw_amb.items()}
    except FacilityTypeError as e:
        raise FacilityTypeError(f"{path}: {e}") from None
    ambiguous: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, amb in names.items():
        unknown = [c for c in amb.codes if c not in types]
        if len(amb.codes) < 2 or unknown:
            raise FacilityTypeError(
                f"{path}: [ambiguous] {name!r} must list two or more codes of [types]"
                + (f" (unknown: {unknown})" if unknown else "")
            )
        ambiguous[normalise(name)] = (amb.codes, amb.why)
    table = TypeTable(types, ambiguous, path)
    _check_unique(table)
    return table


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> TypeTable:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FacilityTypeError(
            f"facility type table {path} not found: reinstall geo or point to the table"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FacilityTypeError(f"facility type table {path} is not valid TOML: {exc}") from exc
    return _parse(data, path)


def load_types(path: str | Path | None = None) -> TypeTable:
    """The facility-type table (``analysis/facility_types.toml`` by default), cached."""
    return _load(Path(path).resolve() if path is not None else DEFAULT_TABLE)
