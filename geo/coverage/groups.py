"""Coverage and equity per population group: the coverage tables for 65岁及以上, 0—14岁, ..

And the equity measures of each standard (健康公平).

A study with ``[population] groups`` carries each group's people per demand point in the
demand column :func:`geo.coverage.population.group_column` (spread as the total is).
:func:`group_coverage` gives the coverage rows of :data:`geo.coverage.tables.COLUMNS` per
group (townships, then the whole area), exactly as :func:`~geo.coverage.tables.coverage_table`
gives them for a population that is the group's; :func:`equity_table` gives per standard and
group the population-weighted Gini and Theil of travel minutes (Theil split between and
within townships, :mod:`geo.measures.equity`), the best- and worst-served townships' covered
shares and their gap, and the group's share among the people beyond the standard against
its share of the population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo._types import FloatArray
from geo.coverage.kinds import Scope
from geo.coverage.population import group_column
from geo.coverage.standards import Standard
from geo.coverage.tables import COLUMNS, area_rows, coverage_table, minute_orders, rounded
from geo.measures.equity import covered_by_place, gini, theil_parts, unreachable
from geo.numbers import round_half_up

__all__ = ["ALL", "EQUITY_COLUMNS", "GROUP_COLUMNS", "GroupTables", "equity_table",
           "group_coverage", "group_people"]

#: the group name of the whole population in the group tables
ALL = "all"

GROUP_COLUMNS = ["group", "group_label", *COLUMNS]

EQUITY_COLUMNS = [
    "standard", "label", "minutes", "group", "group_label", "population",
    "unreached_population", "gini", "theil", "theil_between", "theil_within", "between_share",
    "best_township", "best_share", "worst_township", "worst_share", "share_gap",
    "uncovered_population", "share_of_uncovered", "share_of_population", "representation", "note",
]

#: decimals of the equity indices as the tables keep them (people as coverage rows: 0.1)
_DECIMALS = {"population": 1, "unreached_population": 1, "uncovered_population": 1,
             "gini": 4, "theil": 4, "theil_between": 4, "theil_within": 4,
             "between_share": 4, "share_gap": 4, "share_of_uncovered": 4,
             "share_of_population": 4, "representation": 2}

def group_people(demand: pd.DataFrame, names: Sequence[str]) -> dict[str, FloatArray]:
    """Return the people per demand point of the whole population and of each group named.

    The whole population under :data:`ALL`; each group from its demand column
    (:func:`geo.coverage.population.group_column`).
    """
    out = {ALL: demand["population"].to_numpy(dtype=np.float64)}
    for name in names:
        out[name] = demand[group_column(name)].to_numpy(dtype=np.float64)
    return out


@dataclass
class GroupTables:
    """Coverage per group and equity measures of a study with population groups.

    The coverage rows per group (:func:`group_coverage`) and the equity measures
    (:func:`equity_table`); empty frames without groups.
    """

    coverage: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=GROUP_COLUMNS))
    equity: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EQUITY_COLUMNS))

    @property
    def names(self) -> list[str]:
        """The groups, the whole population (:data:`ALL`) first."""
        return [str(g) for g in dict.fromkeys(self.coverage["group"])]

    @classmethod
    def of(cls, demand: pd.DataFrame, labels: Mapping[str, str],
           minutes: Mapping[str, FloatArray], standards: Sequence[Standard],
           notes: Mapping[str, str], order: Sequence[str], area_name: str,
           whole: pd.DataFrame | None = None,
           scopes: Mapping[str, Scope] | None = None) -> GroupTables:
        """Both tables from the demand (``township`` and the groups' columns).

        Or empty ones when there are no groups; ``labels``: group name -> its census column (the
        label shown beside the name); ``whole``: the whole population's rows of
        :data:`~geo.coverage.tables.COLUMNS` (the run's coverage table and its area rows), taken as
        they are instead of computed again.
        """
        if not labels:
            return cls()
        people = group_people(demand, list(labels))
        town = demand["township"].to_numpy(dtype=object)
        shown = {ALL: "", **labels}
        ranks = minute_orders(town, minutes, standards, notes, order)  # sorted once
        cov = group_coverage(town, people if whole is None else
                             {k: v for k, v in people.items() if k != ALL},
                             minutes, standards, notes, order, area_name, scopes,
                             sorted_minutes=ranks)
        if whole is not None:
            # the whole population's rows as the run computed them, but for a standard
            # counting one group (population_group), whose run rows are that group's
            rows = [group_coverage(town, {ALL: people[ALL]}, minutes, [std], notes, order,
                                   area_name, scopes, sorted_minutes=ranks)
                    if std.population_group else
                    whole[whole["standard"] == std.name].assign(group=ALL, group_label="")
                    for std in standards]
            mine = pd.concat(rows, ignore_index=True)
            cov = pd.concat([mine[GROUP_COLUMNS], cov], ignore_index=True)
        eq = equity_table(town, people, minutes, standards, notes, order, sorted_minutes=ranks)
        cov["group_label"] = cov["group"].map(shown)
        eq["group_label"] = eq["group"].map(shown)
        return cls(cov, eq)


def group_coverage(
    township: npt.ArrayLike, people: Mapping[str, FloatArray],
    minutes: Mapping[str, FloatArray], standards: Sequence[Standard],
    notes: Mapping[str, str], order: Sequence[str], area_name: str,
    scopes: Mapping[str, Scope] | None = None, *,
    sorted_minutes: Mapping[tuple[str, Any], Any] | None = None,
) -> pd.DataFrame:
    """Coverage rows per group (:data:`GROUP_COLUMNS`).

    Per group and standard, each township then the whole area, as
    :func:`~geo.coverage.tables.coverage_table` and :func:`~geo.coverage.tables.area_rows` give them
    for the group's people (a standard's ``population_group`` aside: each group's rows count
    that group). ``sorted_minutes``: :func:`~geo.coverage.tables.minute_orders`, the minutes
    sorted once for every group.
    """
    frames = []
    rank = {std.name: i for i, std in enumerate(standards)}
    everyone = [replace(std, population_group="") for std in standards]
    for name, pop in people.items():
        rows = pd.concat([coverage_table(township, pop, minutes, everyone, notes, order,
                                         scopes, sorted_minutes=sorted_minutes),
                          area_rows(pop, minutes, everyone, notes, area_name,
                                    sorted_minutes=sorted_minutes)],
                         ignore_index=True)
        # per standard: its townships, then the whole area (stable: townships keep order)
        rows = rows.iloc[np.argsort(rows["standard"].map(rank).to_numpy(), kind="stable")]
        rows.insert(0, "group", name)
        rows.insert(1, "group_label", "")
        frames.append(rows)
    if not frames:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    return pd.concat(frames, ignore_index=True)[GROUP_COLUMNS]


def _round(row: dict[str, object]) -> dict[str, object]:
    for col, d in _DECIMALS.items():
        value = row.get(col)
        if isinstance(value, float):
            row[col] = round_half_up(value, d)
    for col in ("best_share", "worst_share"):
        value = row.get(col)
        if isinstance(value, float):
            row[col] = rounded("covered_share", value)
    return row


def equity_table(
    township: npt.ArrayLike, people: Mapping[str, FloatArray],
    minutes: Mapping[str, FloatArray], standards: Sequence[Standard],
    notes: Mapping[str, str], order: Sequence[str], *,
    sorted_minutes: Mapping[tuple[str, Any], Any] | None = None,
) -> pd.DataFrame:
    """Compute the equity measures per standard and group.

    Columns :data:`EQUITY_COLUMNS`; the outputs define each, :mod:`geo.outputs.groups`.

    A standard that is not applicable gets one row per group with its note and no measure.
    ``sorted_minutes``: :func:`~geo.coverage.tables.minute_orders` (the whole area's order
    of each standard's minutes, sorted once for every group's Gini).
    """
    town = np.asarray(township, dtype=object)
    position = {str(t): i for i, t in enumerate(order)}
    place = pd.Series(town).astype(str).map(position).fillna(-1).to_numpy(dtype=np.int64)
    everyone = people[ALL]
    rows = []
    for std in standards:
        note = notes.get(std.name, "")
        m = minutes.get(std.name)
        # places the standard does not apply to (NaN: outside its township kinds) left out
        keep = (np.ones(len(town), dtype=bool) if note or m is None
                else ~np.isnan(np.asarray(m, dtype=float)))
        at = place[keep]
        if m is not None:
            m = np.asarray(m, dtype=float)[keep]
        beyond = None if note or m is None else ~(m <= std.minutes)
        uncovered_all = float("nan") if beyond is None else float(everyone[keep][beyond].sum())
        for name, whole in people.items():
            w = whole[keep]
            row: dict[str, object] = {"standard": std.name, "label": std.label,
                                      "minutes": std.minutes, "group": name, "group_label": "",
                                      "population": float(w.sum()), "note": note}
            if note or m is None or beyond is None:
                rows.append(_round(row))
                continue
            # the whole area's order indexes every point: of use only where all are kept
            rank = (None if sorted_minutes is None or not keep.all()
                    else sorted_minutes.get((std.name, None)))
            parts = theil_parts(m, w, at)
            pop, covered = covered_by_place(m, w, at, len(order), std.minutes)
            lived = np.flatnonzero(pop > 0)
            shares = covered[lived] / pop[lived]
            best, worst = (lived[int(np.argmax(shares))], lived[int(np.argmin(shares))]) \
                if len(lived) else (-1, -1)
            uncovered = float(w[beyond].sum())
            of_uncovered = uncovered / uncovered_all if uncovered_all > 0 else float("nan")
            of_population = float(w.sum() / everyone[keep].sum()) if everyone[keep].sum() > 0 \
                else float("nan")
            row.update(
                unreached_population=unreachable(m, w), gini=gini(m, w, order=rank),
                theil=parts.total,
                theil_between=parts.between, theil_within=parts.within,
                between_share=(parts.between / parts.total if parts.total > 0
                               else float("nan")),
                best_township=order[best] if best >= 0 else "",
                best_share=float(covered[best] / pop[best]) if best >= 0 else float("nan"),
                worst_township=order[worst] if worst >= 0 else "",
                worst_share=float(covered[worst] / pop[worst]) if worst >= 0 else float("nan"),
                share_gap=float(shares.max() - shares.min()) if len(lived) else float("nan"),
                uncovered_population=uncovered,
                share_of_uncovered=of_uncovered if name != ALL else float("nan"),
                share_of_population=of_population if name != ALL else float("nan"),
                representation=(of_uncovered / of_population
                                if name != ALL and of_population > 0 else float("nan")),
            )
            rows.append(_round(row))
    return pd.DataFrame(rows, columns=EQUITY_COLUMNS)
