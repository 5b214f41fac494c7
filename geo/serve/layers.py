"""What the workbench page draws that no edit changes, from a computed study, as JSON.

The study-area outline, the townships (simplified as on ``map.html``) with their label points, the
demand cells the travel-time bands are drawn on, the facility types (names, marker colours and
glyphs of ``map.html``) and the standards. Sent once, when the page opens; edits then send only what
changed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from geo.coverage.bands import BREAKS, band_labels
from geo.outputs import i18n
from geo.outputs.groups import group_label
from geo.outputs.map.layers import (
    BAND_COLOURS,
    FAIL_OUTLINE_COLOUR,
    FAIL_RAMP,
    NOT_APPLICABLE_FILL,
    PASS_FILL,
    facility_styles,
    simplified,
)
from geo.outputs.map.page import label_points

if TYPE_CHECKING:
    from geo.study.run import ComputedStudy

__all__ = ["band_codes", "static_layers", "type_list"]

#: how many decimals of a degree positions are sent with (1e-5 degrees is about 1 m)
_DECIMALS = 5


def band_codes(minutes: np.ndarray) -> list[int]:
    """Return the band of each value: 0 for under 15 minutes … 4 for 120 and over.

    The bands are cut as :func:`geo.coverage.bands.travel_time_bands` cuts them; -1 where nothing
    is reachable.
    """
    m = np.asarray(minutes, dtype=float)
    code = np.searchsorted(np.asarray(BREAKS), m, side="right")
    code[~np.isfinite(m)] = -1
    return [int(c) for c in code]


def _geojson(frame: Any) -> dict[str, Any]:
    return dict(json.loads(frame.to_json(drop_id=True)))


#: the most readings of a name kept (a name of many polyphonic characters would multiply them)
MAX_READINGS = 16


def pinyin_keys(name: str) -> list[str]:
    """Return what a search in pinyin may type for ``name``: initials and whole syllables.

    Lower case, without tones or spaces, every reading of a polyphonic character (长: chang
    and zhang), at most :data:`MAX_READINGS` of each kind; characters that are not Chinese
    are kept as they are (lower case).

    >>> keys = pinyin_keys("鹿寨镇")  # the common reading first
    >>> keys[0], "luzhaizhen" in keys
    ('lzz', True)
    >>> "changtangzhen" in pinyin_keys("长塘镇") and "ctz" in pinyin_keys("长塘镇")
    True
    """
    from itertools import product

    from pypinyin import Style, pinyin

    out: list[str] = []
    for style in (Style.FIRST_LETTER, Style.NORMAL):
        parts = pinyin(name, style=style, heteronym=True, errors=lambda s: s.lower())
        readings = [list(dict.fromkeys(str(x).lower() for x in p)) for p in parts]
        for i, combo in enumerate(product(*readings)):
            if i == MAX_READINGS:
                break
            key = "".join(combo).replace(" ", "")
            if key not in out:
                out.append(key)
    return out


def _cells(result: ComputedStudy) -> dict[str, Any]:
    """Return the surface of the bands.

    Each demand point's grid cell (its bounding box) when the demand points are the grid's, else the
    points themselves.
    """
    cells, demand = result.cells.to_crs(4326), result.demand.to_crs(4326)
    grid = (len(cells) == len(demand) and "cell_id" in cells and "demand_id" in demand
            and bool((cells["cell_id"].to_numpy() == demand["demand_id"].to_numpy()).all()))
    if grid:
        box = np.round(cells.geometry.bounds.to_numpy(dtype=float), _DECIMALS)
        return {"kind": "box", "data": box.tolist()}
    xy = np.column_stack([demand.geometry.x.to_numpy(), demand.geometry.y.to_numpy()])
    return {"kind": "point", "data": np.round(xy, _DECIMALS).tolist()}


def type_list(codes: list[str], language: str) -> list[dict[str, str]]:
    """List the facility types for the page's menus and markers.

    Each has its code, name in both languages, marker colour and glyph (those of ``map.html``).
    """
    styles = facility_styles(codes)
    return [{"code": c, "label": i18n.type_label(c, language),
             "zh": i18n.type_label(c, "zh"), "en": i18n.type_label(c, "en"),
             "colour": styles[c][0], "glyph": styles[c][1]} for c in codes]


def static_layers(result: ComputedStudy, language: str | None = None) -> dict[str, Any]:
    """Return everything the page draws that edits do not change (see module docs).

    It is labelled in ``language`` (default: the study's).
    """
    lang = language or result.study.language
    area = simplified(result.area[[result.area.geometry.name]].to_crs(4326))
    towns = result.townships.to_crs(4326)
    towns = simplified(towns[["township", towns.geometry.name]])
    # what the township search matches besides the name: initials and syllables in pinyin
    towns = towns.assign(pinyin=[" ".join(pinyin_keys(str(t))) for t in towns["township"]])
    labels = label_points(result.townships, result.facilities)
    minx, miny, maxx, maxy = (float(v) for v in result.area.to_crs(4326).total_bounds)
    standards = [{"name": s.name, "label": i18n.standard_label(s.label, s.label_zh, lang),
                  "minutes": s.minutes, "target": s.target_share, "mode": s.mode,
                  "direction": s.direction, "types": list(s.facility_types),
                  # which townships it applies to, and why (geo.coverage.kinds)
                  "scope": (i18n.note(result.scopes[s.name].statement(), lang)
                            if s.name in result.scopes else ""),
                  "scope_short": (i18n.scope_applies(result.scopes[s.name].row_note, lang)
                                  .split("（")[0].split(" (")[0]
                                  if s.name in result.scopes else "")}
                 for s in result.standards]
    # population groups, for the group selector beside the standards (the whole population
    # first): name and label as the outputs show them
    groups = ([{"name": "", "label": group_label("all", "", lang)}]
              + [{"name": n, "label": group_label(n, c, lang)}
                 for c, n in result.study.population.groups.items()]
              if result.study.population.groups else [])
    return {
        "language": lang, "title": result.study.title, "area_name": result.area_name,
        "groups": groups,
        "bounds": [[miny, minx], [maxy, maxx]], "area": _geojson(area),
        "townships": _geojson(towns),
        "names": [{"lat": lat, "lon": lon, "name": name} for lat, lon, name in labels],
        "cells": _cells(result), "standards": standards,
        "map_standard": result.study.map_standard,
        "types": type_list(list(result.standard_set.facility_types), lang),
        "bands": {"labels": band_labels(), "colours": list(BAND_COLOURS[:len(BREAKS) + 1])},
        "colours": {"ramp": list(FAIL_RAMP), "pass": PASS_FILL, "fail": FAIL_OUTLINE_COLOUR,
                    "na": NOT_APPLICABLE_FILL},
        "assumptions": [i18n.note(a, lang) for a in result.assumptions],
    }
