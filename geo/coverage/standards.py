"""Planning standards (``analysis/standards.toml``): thresholds, eligible facilities, citations.

Each ``[NAME]`` table is a :class:`Standard`, read with the one mechanism of every TOML
file of geo (:func:`geo.options.parse_section`: an unknown key stops with the closest
valid key, a wrong type or a value out of range with what is allowed), and documented from
the same declaration (:func:`standards_options_text`). The facility types a standard may
name are the codes of ``analysis/facility_types.toml`` (:mod:`geo.readers.facility_types`),
the one vocabulary. A standards file may still carry a ``[facility_types]`` table (older
files did): each of its codes must be in the type table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from geo.errors import StandardError
from geo.options import closest, opt, parse_section, read_toml, section_text
from geo.readers.facility_types import TypeTable, load_types
from geo.settings import shipped

__all__ = ["DEFAULT_FILE", "KINDS", "LOCAL_HEADER", "NOT_STANDARDS", "Standard", "StandardSet",
           "check_groups", "is_shipped", "load_standards", "standards_options_text"]

#: the standards file shipped with geo (``analysis/standards.toml`` in the repository)
DEFAULT_FILE = shipped("analysis/standards.toml")
#: the head of a study-local copy of :data:`DEFAULT_FILE` (``geo init`` writes one)
LOCAL_HEADER = (
    "# 本文件复制自 geo 自带的标准文件（鹿寨县、柳州市规划的标准与目标）。请把各标准的\n"
    "# source、section 改为本县（市）规划文件及条款，并核对 minutes 与 target_share；\n"
    "# 在此之前，所有输出都会注明标准取自鹿寨县、柳州市规划。\n"
    "# Copied from the standards file geo ships (the Luzhai County and Liuzhou City plans).\n"
    "# Set each standard's source and section to your own plan, and check minutes and\n"
    "# target_share; until then every output says the standards are Luzhai's and Liuzhou's.\n"
    "\n"
)


def is_shipped(path: str | Path) -> bool:
    """Tell whether ``path`` holds the standards geo ships, unchanged.

    It is the file itself, or a copy ``geo init`` wrote whose standards nobody has edited).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError:
        return False
    return p.resolve() == DEFAULT_FILE.resolve() or text.removeprefix(LOCAL_HEADER) == \
        DEFAULT_FILE.read_text(encoding="utf-8")

#: kinds of township a standard may be limited to (``township_kinds``; :mod:`geo.coverage.kinds`)
KINDS = ("街道", "镇", "乡", "其他")

# Top-level tables of the standards file that are not coverage standards: the measure and
# emergency-response specs, read by geo.measures.specs.load_measure_specs.
NOT_STANDARDS = ("measures", "response")


@dataclass(frozen=True)
class Standard:
    """``[NAME]``: one planning standard of the standards file, with the document it comes from.

    NAME is how a study's ``[standards] use`` names it.
    """

    name: str = opt(None, "the table's name", required=True)
    label: str = opt(None, "name in the outputs (English)", required=True)
    label_zh: str = opt("", "name in the outputs in Chinese (default: label)")
    minutes: float = opt(None, "the travel-time threshold in minutes", required=True,
                         lo=0.0, lo_open=True)
    mode: str = opt(None, "network travelled", required=True, choices=("drive", "walk"))
    direction: str = opt(None, "from_facility (an ambulance goes out) or to_facility (a "
                         "patient comes in): one-way roads make them differ",
                         required=True, choices=("from_facility", "to_facility"))
    facility_types: tuple[str, ...] = opt(None, "facility types that meet it: codes of "
                                          "analysis/facility_types.toml", required=True)
    target_share: float = opt(None, "share of people that must be within the threshold "
                              "(0.95 for 95 %)", required=True, lo=0.0, lo_open=True, hi=1.0)
    source: str = opt(None, "the planning document it comes from", required=True)
    section: str = opt(None, "the section of that document", required=True)
    quote: str = opt("", "the document's own words", blank=True)
    population_group: str = opt("", "the population group it serves (a name of the study's "
                                "[population] groups, e.g. women_15_49): its target then "
                                "applies to that group's people (default: everyone)",
                                blank=True)
    township_kinds: tuple[str, ...] = opt((), "kinds of township it applies to (街道, 镇, 乡, "
                                          "其他); empty: every township. The others are not "
                                          "applicable, and the whole area's row counts only "
                                          "these", choices=KINDS)
    township_kind_by: str = opt("code_or_name", "how a township's kind is read: code "
                                "(digits 7-9 of its 12-digit 统计用区划代码: 001-099 街道, "
                                "100-199 镇, 200-399 乡, 400-599 其他), name (the name ends in "
                                "街道/街道办事处, 镇, 乡/苏木) or code_or_name (the code where "
                                "a township has one, else the name)",
                                choices=("code_or_name", "code", "name"))

    @property
    def citation(self) -> str:
        """Cite the source and section the standard follows."""
        return f"{self.source}, {self.section}"


@dataclass(frozen=True)
class StandardSet:
    """Standards plus the vocabulary of facility types they may name."""

    standards: dict[str, Standard]
    facility_types: dict[str, str]

    def select(self, names: Iterable[str]) -> list[Standard]:
        """Return the named standards, in order; unknown names raise :class:`StandardError`."""
        out = []
        for n in names:
            if n not in self.standards:
                raise StandardError(
                    f"unknown standard {n!r}{closest(n, self.standards)}: the standards "
                    f"file defines "
                    f"{sorted(self.standards)}: name one of them in [standards] use"
                )
            out.append(self.standards[n])
        return out

    def check_facility_types(self, types: Iterable[str]) -> None:
        """Check that every facility type is in the vocabulary (a typo would silently drop it)."""
        unknown = sorted(set(types) - set(self.facility_types))
        if unknown:
            raise StandardError(
                f"facility types {unknown} are not facility type codes: use codes of "
                f"analysis/facility_types.toml ({', '.join(self.facility_types)}), or add "
                "the type there"
            )


def _standard(name: str, raw: object, known: Mapping[str, str]) -> Standard:
    std: Standard = parse_section(Standard, name, raw, given={"name": name},
                                  error=StandardError)
    unknown = sorted(set(std.facility_types) - set(known))
    if unknown:
        raise StandardError(
            f"[{name}] facility_types names unknown facility types {unknown}: use codes of "
            f"analysis/facility_types.toml ({', '.join(known)}) or add the type there"
        )
    return std if std.label_zh else replace(std, label_zh=std.label)


class _Serves(Protocol):
    """A standard, measure or response spec: its name and the group it serves."""

    @property
    def name(self) -> str: ...

    @property
    def population_group(self) -> str: ...


def check_groups(standards: Iterable[_Serves], groups: Iterable[str], table: str = "") -> None:
    """Check that each standard's ``population_group`` is a group of the study.

    ``groups`` are the names of the study's ``[population] groups``; a standard naming
    another group would count nobody (or everyone): it stops, naming the groups present.
    Measure and response specs are checked the same way (``table``: ``measures.`` or
    ``response.``, the head of their table's name).
    """
    have = list(groups)
    for std in standards:
        if std.population_group and std.population_group not in have:
            present = (f"the study's groups are {', '.join(have)}" if have else
                       "the study has no population groups: give the census age columns "
                       "in [population] groups (method = \"table\")")
            raise StandardError(
                f"[{table}{std.name}] population_group = {std.population_group!r} is not a "
                f"population group of the study{closest(std.population_group, have)}: "
                f"{present}; name one of them in the standards file, or remove "
                "population_group to count everyone")


def standards_options_text(markdown: bool = True) -> str:
    """Return the keys of a standard, one line each (the docs' list is this text)."""
    return "\n".join(section_text("NAME", Standard, markdown, skip=("name",))) + "\n"


def _vocabulary(data: dict[str, Any], p: Path, table: TypeTable) -> dict[str, str]:
    """Return type code -> 'zh en' from the type table; a file's own [facility_types] is checked."""
    listed = data.pop("facility_types", {})
    extra = sorted(str(k) for k in listed if str(k) not in table.types)
    if extra:
        raise StandardError(
            f"standards file {p} lists facility types {extra} in [facility_types] that "
            f"{table.path.name} does not define: add them to {table.path} (zh, en, tier, "
            "aliases), or remove them from the standards file"
        )
    return {code: f"{t.zh} {t.en}" for code, t in table.types.items()}


def load_standards(
    path: str | Path,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    types: TypeTable | None = None,
) -> StandardSet:
    """Read a standards TOML file; ``overrides`` patch fields per standard (from a study).

    ``types`` is the facility-type table (default :func:`geo.readers.facility_types.load_types`):
    the vocabulary of every standard's ``facility_types``.
    """
    p = Path(path)
    data = read_toml(p, "standards file", StandardError,
                     fix="check [standards] file in the study file")
    known = _vocabulary(data, p, types or load_types())
    for table in NOT_STANDARDS:  # access measures and response specs: geo.measures.specs
        data.pop(table, None)
    for name, patch in (overrides or {}).items():
        if name not in data:
            raise StandardError(f"study overrides unknown standard {name!r}"
                                f"{closest(name, data)}: have {sorted(data)}")
        data[name] = {**data[name], **patch}
    try:
        return StandardSet({n: _standard(n, raw, known) for n, raw in data.items()}, known)
    except StandardError as e:
        raise StandardError(f"standards file {p}: {e}") from None
