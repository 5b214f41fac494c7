"""Township kinds (街道, 镇, 乡) and the townships a standard limited to some kinds applies to.

A standard may be limited to kinds of township (``township_kinds`` in the standards file):
the plan's "15分钟社区卫生服务圈" is built in urban communities (街道), not in rural townships
where the nearest community health service is hours away on foot. A township's kind is read
by one of these rules (``township_kind_by``; the default ``code_or_name`` reads the code of a
township that has one and the name of one that has none):

``code``
    Digits 7–9 of the township's 12-digit 统计用区划代码, whose first digit is the class of
    the township-level unit (GB/T 10114-2003 《县级以下行政区划代码编制规则》, adopted by the
    National Bureau of Statistics' 统计用区划代码): 001–099 街道 (street office), 100–199 镇
    (town), 200–399 乡 (township), 400–599 政企合一单位 and similar units (其他: farms,
    forest farms, development zones). The urban-rural class (城乡分类代码, 111 主城区 ... 220
    村庄) is given per village committee, not per township, so it cannot decide a township.
``name``
    The end of the township's name: ...街道 / ...街道办事处 / ...街道办 (街道), ...镇 (镇),
    ...乡 / ...苏木 (乡, 民族乡 included). A name with none of these endings stops the run:
    its kind would be a guess.

A township outside the standard's kinds is not counted for it: its row is "not applicable"
(never a failure), and the whole area's row counts only the townships the standard applies
to. :func:`scopes` resolves the standards of a study against its townships; every output
states the result (:meth:`Scope.statement`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.coverage.standards import KINDS, Standard
from geo.errors import StandardError

__all__ = ["KINDS", "RULES", "Scope", "kind_of_code", "kind_of_name", "limited", "scoped", "scopes"]

#: the rule of each ``township_kind_by``, as the outputs state it
RULES = {
    "code": "by digits 7-9 of the 12-digit township code, GB/T 10114-2003: 001-099 街道, "
            "100-199 镇, 200-399 乡, 400-599 其他",
    "name": "by the end of the township name: 街道/街道办事处 街道, 镇 镇, 乡/苏木 乡",
    "code_or_name": "by the 12-digit township code where a township has one, digits 7-9 "
                    "after GB/T 10114-2003: 001-099 街道, 100-199 镇, 200-399 乡, 400-599 其他, "
                    "else by the end of its name: 街道/街道办事处 街道, 镇 镇, 乡/苏木 乡",
}
_NAME_RULES = (("街道", re.compile(r"(街道|街道办事处|街道办)$")), ("镇", re.compile(r"镇$")),
               ("乡", re.compile(r"(乡|苏木)$")))


def kind_of_code(code: str) -> str | None:
    """Return the kind (街道, 镇, 乡, 其他) of a 12-digit township code; None if it is not one.

    Examples
    --------
    >>> kind_of_code("450223100000"), kind_of_code("450202002000"), kind_of_code("450223201000")
    ('镇', '街道', '乡')
    """
    text = str(code).strip()
    if not re.fullmatch(r"\d{12}", text):
        return None
    digits = int(text[6:9])
    if 1 <= digits <= 99:
        return "街道"
    if 100 <= digits <= 199:
        return "镇"
    if 200 <= digits <= 399:
        return "乡"
    if 400 <= digits <= 599:
        return "其他"
    return None


def kind_of_name(name: str) -> str | None:
    """Return the kind of a township by the end of its name; None where no ending fits.

    Examples
    --------
    >>> [kind_of_name(n) for n in ("公园街道办事处", "鹿寨镇", "拉沟乡", "城区")]
    ['街道', '镇', '乡', None]
    """
    text = str(name).strip()
    for kind, pattern in _NAME_RULES:
        if pattern.search(text):
            return kind
    return None


def limited(std: Standard) -> bool:
    """Tell whether ``std`` is limited to some township kinds (else it applies everywhere)."""
    return bool(std.township_kinds) and set(std.township_kinds) != set(KINDS)


@dataclass(frozen=True)
class Scope:
    """The townships one standard applies to, by its kinds and rule.

    Attributes
    ----------
    standard : str
        The standard's name.
    kinds : tuple of str
        The kinds it applies to (``township_kinds``).
    by : str
        The rule: ``code`` or ``name``.
    kind_of : dict
        Every township's kind, in table order.
    """

    standard: str
    kinds: tuple[str, ...]
    by: str
    kind_of: dict[str, str]

    @property
    def townships(self) -> list[str]:
        """The townships it applies to, in table order."""
        return [t for t, k in self.kind_of.items() if k in self.kinds]

    def applies(self, township: str) -> bool:
        """Tell whether the standard applies to ``township``."""
        return self.kind_of.get(str(township)) in self.kinds

    def mask(self, labels: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Return, per place labelled with its township, whether the standard applies there."""
        keep = set(self.townships)
        return np.array([str(x) in keep for x in np.asarray(labels, dtype=object).ravel()],
                        dtype=bool)

    def present(self) -> str:
        """Say how many townships of each kind the study has ('镇 6, 乡 3')."""
        counts = Counter(self.kind_of.values())
        return ", ".join(f"{k} {counts[k]}" for k in KINDS if counts[k])

    @property
    def row_note(self) -> str:
        """The note of a township row it does not apply to."""
        return (f"not applicable: the standard applies to {'/'.join(self.kinds)} townships "
                f"only ({RULES[self.by]})")

    @property
    def none_note(self) -> str:
        """The note of the standard when no township of the study is of its kinds."""
        return (f"not applicable: no township of kind {'/'.join(self.kinds)} in this study "
                f"({RULES[self.by]}; the study has {self.present()})")

    def statement(self) -> str:
        """Say which townships the standard was applied to, and why (a line of the outputs)."""
        on = self.townships
        off = [t for t in self.kind_of if t not in set(on)]
        if not on:
            return f"{self.standard}: {self.none_note}"
        return (f"{self.standard}: applied to {'/'.join(self.kinds)} townships only "
                f"({RULES[self.by]}): {len(on)} of {len(self.kind_of)} townships "
                f"({', '.join(on)}); not applicable to {', '.join(off) or 'none'}; the whole "
                "area's row counts only the townships it applies to")


def _kinds(std: Standard, towns: pd.DataFrame) -> dict[str, str]:
    """Return each township's kind by the standard's rule; stop where it cannot be read."""
    names = [str(n) for n in towns["township"]]
    codes = ([str(c) if isinstance(c, str) else "" for c in towns["code"]]
             if "code" in towns.columns else [""] * len(names))
    if std.township_kind_by == "code_or_name":
        kinds = {n: kind_of_code(c) or kind_of_name(n) for n, c in zip(names, codes, strict=True)}
        bad = [n for n, k in kinds.items() if k is None]
        if bad:
            raise StandardError(
                f"standard {std.name} is limited to {'/'.join(std.township_kinds)} townships, "
                f"but the kind of {len(bad)} townships can be read neither from a 12-digit "
                "township code (they have none) nor from the end of the name "
                f"({', '.join(bad[:10])}): give the township file a column of 12-digit "
                "统计用区划代码 ([townships] code_col or seat_code_col), or write the full "
                "names (e.g. 鹿寨镇, not 鹿寨)")
    elif std.township_kind_by == "code":
        kinds = {n: kind_of_code(c) for n, c in zip(names, codes, strict=True)}
        bad = [n for n, k in kinds.items() if k is None]
        if bad:
            raise StandardError(
                f"standard {std.name} is limited to {'/'.join(std.township_kinds)} townships "
                f"by the 12-digit township code (township_kind_by = \"code\"), but "
                f"{len(bad)} townships have no valid code ({', '.join(bad[:10])}): give the "
                "township file a column of 12-digit 统计用区划代码 ([townships] code_col or "
                "seat_code_col), or read the kind from the names (township_kind_by = "
                f"\"name\" for {std.name}, in the standards file or [standards.overrides])")
    else:
        kinds = {n: kind_of_name(n) for n in names}
        bad = [n for n, k in kinds.items() if k is None]
        if bad:
            raise StandardError(
                f"standard {std.name} is limited to {'/'.join(std.township_kinds)} townships "
                f"by the end of the township name (township_kind_by = \"name\"), but the names "
                f"of {len(bad)} townships end in none of 街道, 街道办事处, 镇, 乡, 苏木 "
                f"({', '.join(bad[:10])}): write the full names in the township file (e.g. "
                "鹿寨镇, not 鹿寨), or read the kind from the 12-digit township code "
                f"(township_kind_by = \"code\" for {std.name})")
    return {n: str(k) for n, k in kinds.items()}


def scopes(standards: Iterable[Standard], townships: pd.DataFrame) -> dict[str, Scope]:
    """Return the scope of each standard limited to township kinds (the others apply everywhere).

    ``townships`` has a ``township`` name column (in table order) and, where known, a ``code``
    column of 12-digit codes.
    """
    return {s.name: Scope(s.name, tuple(s.township_kinds), s.township_kind_by, _kinds(s, townships))
            for s in standards if limited(s)}


def scoped(minutes: Mapping[str, npt.NDArray[np.float64]], labels: npt.ArrayLike,
           found: Mapping[str, Scope]) -> dict[str, npt.NDArray[np.float64]]:
    """Return the minutes with NaN at places outside each standard's scope (not counted there)."""
    out = dict(minutes)
    for name, scope in found.items():
        if name in out:
            out[name] = np.where(scope.mask(labels), np.asarray(out[name], dtype=float), np.nan)
    return out
