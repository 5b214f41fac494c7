"""Capacity-aware access.

Floating catchments, gravity, workload basins, ratio tables and emergency response distributions, on
arrays (numpy, scipy.sparse and the compiled passes of :mod:`geo.measures._kernels`; no pandas, no
geopandas).

Like :mod:`geo.siting`, this package reads what the routing engine measured — a sparse
facility × demand reach matrix of seconds, each demand point's nearest facility, response
times (:mod:`geo.routing.emergency`) — plus supply per facility and population per demand
point, and imports nothing above :mod:`geo.errors` and :mod:`geo.settings`. Specs come
from the standards file (:mod:`geo.measures.specs`); :func:`evaluate` runs one.
"""

from geo.measures.aggregate import (
    RatioTable,
    by_label,
    located_ratio,
    ratio_table,
    weighted_quantile,
)
from geo.measures.basins import Basins, basins
from geo.measures.evaluate import MeasureResult, evaluate
from geo.measures.fca import (
    AccessResult,
    e2sfca,
    fca_ratio,
    gaussian_2sfca,
    gravity,
    hansen,
    three_step,
    two_step,
)
from geo.measures.response import ResponseTable, dispatch_seconds, response_table
from geo.measures.specs import (
    METHODS,
    MeasureSet,
    MeasureSpec,
    ResponseSpec,
    load_measure_specs,
    parse_measure_specs,
)
from geo.measures.supply import FALLBACK, FALLBACK_ZH, check_supply, supply_for, unit_supply
from geo.measures.weights import ExponentialDecay, GaussianCatchment, PowerDecay, Steps

__all__ = [
    "FALLBACK",
    "FALLBACK_ZH",
    "METHODS",
    "AccessResult",
    "Basins",
    "ExponentialDecay",
    "GaussianCatchment",
    "MeasureResult",
    "MeasureSet",
    "MeasureSpec",
    "PowerDecay",
    "RatioTable",
    "ResponseSpec",
    "ResponseTable",
    "Steps",
    "basins",
    "by_label",
    "check_supply",
    "dispatch_seconds",
    "e2sfca",
    "evaluate",
    "fca_ratio",
    "gaussian_2sfca",
    "gravity",
    "hansen",
    "load_measure_specs",
    "located_ratio",
    "parse_measure_specs",
    "ratio_table",
    "response_table",
    "supply_for",
    "three_step",
    "two_step",
    "unit_supply",
    "weighted_quantile",
]
