"""The QGIS styles of the layers ``geo`` writes into GeoPackages, in the map's colours.

Each function gives the :class:`geo.outputs.qml.Style` of one kind of layer: townships
pass/fail against a standard's target (the fill ramp and outlines of ``map.html``,
:mod:`geo.outputs.map.layers`), travel-time bands, coverage gaps, isochrones, facilities by
type (legend and attribute table in the study's language), the study area, demand points,
the access-measure layers and the layers of planning answers (newly covered and lost
areas, chosen sites). Legend texts, layer titles and field aliases come from
:mod:`geo.outputs.i18n`; the numbers stay as computed (a label rounds only for display:
a township share below its target is rounded down, never up to the target).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from geo.coverage.bands import BREAKS, band_labels
from geo.outputs import i18n
from geo.outputs.map.layers import (
    BAND_COLOURS,
    FAIL_OUTLINE_COLOUR,
    GAP_COLOUR,
    NOT_APPLICABLE_FILL,
    PASS_FILL,
    PASS_OUTLINE_COLOUR,
    facility_styles,
    share_colour,
)
from geo.outputs.map.measures import WORKLOAD_COLOUR, class_colour
from geo.outputs.map.planning import (
    ACTION_COLOURS,
    CANDIDATE_COLOUR,
    CRITICALITY_CLASSES,
    FALL_FILL,
    GAINED_COLOUR,
    LOST_COLOUR,
    RANK_COLOUR,
    RISE_FILL,
    TODAY_COLOUR,
)
from geo.outputs.qml import Category, Labels, Rule, Style, Symbol, quote_field, quote_text

__all__ = [
    "AREA_COLOURS", "CANDIDATE_COLOUR", "FAILED_COLOUR", "FAIL_CLASSES", "RANK_COLOUR",
    "REGION_LABEL_SCALE", "WORKLOAD_COLOUR",
    "access_style", "aliases", "area_fill_style", "area_style", "bands_style",
    "catchments_style", "change_style", "changes_style", "criticality_style", "demand_style",
    "facilities_style",
    "gaps_style", "isochrones_style", "points_style", "roads_style", "status_style",
    "status_text",
    "table_style", "township_columns", "township_titles", "townships_style",
]

#: upper edges, as fractions of the target, of the classes of townships below target
FAIL_CLASSES = (0.5, 0.75, 0.9)
#: fill opacity of townships (the map's): bands and gaps under them stay visible
TOWNSHIP_OPACITY = 0.55
BOUNDARY_COLOUR = "#222222"
#: facility names of a region (a batch) drawn from 1:250,000 in (a county fills the screen)
REGION_LABEL_SCALE = 250_000.0
#: an area of a batch that failed (the batch workbook's fill of its row)
FAILED_COLOUR = "#f4cccc"
#: areas of planning answers: within reach today, newly covered, no longer covered
AREA_COLOURS = {"today": TODAY_COLOUR, "gained": GAINED_COLOUR, "lost": LOST_COLOUR}
ISOCHRONE_COLOUR = "#08519c"


def _pct(share: float) -> str:
    return f"{round(float(share) * 100, 1):g}%"


def aliases(columns: Iterable[str], lang: str, extra: Mapping[str, str] | None = None
            ) -> dict[str, str]:
    """Title the known ``columns`` in ``lang`` (QGIS shows them as column names).

    ``extra`` titles are added on top.
    """
    cols = list(columns)
    out = i18n.column_titles(cols, lang)
    out.update({k: v for k, v in (extra or {}).items() if k in cols})
    return out


def table_style(columns: Sequence[str], lang: str) -> Style:
    """Return a table without geometry: only its column titles in ``lang``."""
    return Style("none", aliases=aliases(columns, lang))


# --------------------------------------------------------------------------- townships


def status_text(meets: object, lang: str) -> str:
    """Say 达标 / 未达标 / 不适用 for a ``meets_target`` value.

    A boolean, 1/0 (as a GeoPackage stores it) or its text in a CSV ("True"); None, NaN or empty:
    not applicable.
    """
    word = str(meets).strip().lower()
    if word in ("true", "1", "1.0"):
        return i18n.text("meets", lang)
    if word in ("false", "0", "0.0"):
        return i18n.text("fails", lang)
    return i18n.text("not_applicable", lang)


def township_columns(code: str) -> dict[str, str]:
    """Return the township layer's columns of standard ``code``: what -> column name."""
    return {"covered": f"covered_population_{code}", "share": f"covered_share_{code}",
            "target": f"target_share_{code}", "status": f"status_{code}"}


def _share_label(share: str, status: str, fails: str) -> str:
    """Return a township's share in a label: one decimal, rounded down below target."""
    s, st = quote_field(share), quote_field(status)
    return (f"CASE WHEN {s} IS NULL THEN '' ELSE '\\n' || format_number(CASE WHEN {st} = "
            f"{quote_text(fails)} THEN floor({s} * 1000) / 10 ELSE round({s} * 1000) / 10 END"
            f", 1) || '%' END")


def township_titles(labels: Mapping[str, str], lang: str) -> dict[str, str]:
    """Title the per-standard columns of a townships layer, and its population.

    The columns are :func:`township_columns` of the standards ``code -> label``.
    """
    out = {"population": i18n.text("population", lang)}
    for code, lab in labels.items():
        k = township_columns(code)
        out |= {k["covered"]: i18n.text("gis_covered_of", lang, label=lab),
                k["share"]: i18n.text("gis_share_of", lang, label=lab),
                k["target"]: i18n.text("gis_target_of", lang, label=lab),
                k["status"]: i18n.text("gis_status_of", lang, label=lab)}
    return out


def townships_style(share_col: str, status_col: str, target: float, columns: Sequence[str],
                    lang: str, titles: Mapping[str, str] | None = None,
                    filled: bool = True, name_col: str = "township",
                    else_label: str = "") -> Style:
    """Style townships by their share (``share_col``) and status (``status_col``).

    The status is the text of :func:`status_text`: at or above target the map's blue; below, the
    map's ramp by share in :data:`FAIL_CLASSES` with a thick red outline; grey where not applicable.
    Without ``filled`` only the outlines (thick red below target), to lay over the bands. Labels:
    name (``name_col``) and share. ``titles``: field aliases besides the known columns;
    ``else_label``: the legend of the rest (default: not applicable).
    """
    share, status = quote_field(share_col), quote_field(status_col)
    fails = i18n.text("fails", lang)
    pass_line: dict[str, Any] = {"outline": PASS_OUTLINE_COLOUR, "outline_width": 0.26,
                                 "filled": filled}
    fail_line: dict[str, Any] = {"outline": FAIL_OUTLINE_COLOUR, "outline_width": 0.9,
                                 "filled": filled}
    rules = [Rule(f"{status} = {quote_text(i18n.text('meets', lang))}",
                  i18n.text("gis_meets_rule", lang, target=_pct(target)),
                  Symbol("fill", PASS_FILL, TOWNSHIP_OPACITY, **pass_line))]
    edges = [0.0, *FAIL_CLASSES, 1.0] if filled else [0.0, 1.0]
    for lo, hi in itertools.pairwise(edges):
        last = hi == 1.0
        cond = f"{status} = {quote_text(fails)}" + ("" if last else
                                                    f" AND {share} < {target * hi!r}")
        colour = share_colour(target * (lo + hi) / 2, target)
        label = (i18n.text("gis_fails_rule", lang, lo=_pct(target * lo), hi=_pct(target * hi))
                 if filled else i18n.text("township_fails", lang))
        rules.append(Rule(cond, label, Symbol("fill", colour, TOWNSHIP_OPACITY, **fail_line)))
    rules.append(Rule(None, else_label or i18n.text("not_applicable", lang),
                      Symbol("fill", NOT_APPLICABLE_FILL, TOWNSHIP_OPACITY, **pass_line)))
    text = f"{quote_field(name_col)} || {_share_label(share_col, status_col, fails)}"
    return Style("polygon", rules=rules, labels=Labels(text, 9.0),
                 aliases=aliases(columns, lang, titles))


# --------------------------------------------------------------------------- travel time


def _band_categories(lang: str, opacity: float = 0.75) -> list[Category]:
    return [Category(b, i18n.text("gis_minutes_band", lang, band=b),
                     Symbol("fill", c, opacity, outline=c, outline_style="no"))
            for b, c in zip(band_labels(), BAND_COLOURS, strict=False)]


def bands_style(columns: Sequence[str], lang: str, field: str = "band") -> Style:
    """Return travel-time bands in the map's band colours (``field``: the band label)."""
    return Style("polygon", column=field, categories=_band_categories(lang),
                 aliases=aliases(columns, lang))


def gaps_style(minutes: float, columns: Sequence[str], lang: str) -> Style:
    """Return people beyond the threshold: the map's hatched red, dashed outline."""
    sym = Symbol("fill", GAP_COLOUR, 0.45, outline=GAP_COLOUR, outline_width=0.4,
                 outline_style="dash")
    return Style("polygon", rules=[Rule(None, i18n.text("gis_people_beyond", lang,
                                                 minutes=f"{minutes:g}"), sym)],
                 aliases=aliases(columns, lang, {"population": i18n.text(
                     "gis_people_beyond", lang, minutes=f"{minutes:g}")}))


def isochrones_style(columns: Sequence[str], lang: str) -> Style:
    """Return the reach of a standard as an outline (no fill: what is under it stays visible)."""
    return Style("polygon", symbol=Symbol("fill", ISOCHRONE_COLOUR, filled=False,
                                          outline=ISOCHRONE_COLOUR, outline_width=0.6),
                 aliases=aliases(columns, lang))


def demand_style(code: str, columns: Sequence[str], lang: str,
                 all_labels: Mapping[str, str]) -> Style:
    """Style demand points by their minutes to the nearest facility of ``code``.

    They take the bands' colours (unreachable points in the last band).
    """
    m = quote_field(f"minutes_{code}")
    edges = [0.0, *BREAKS]
    rules = []
    for (lo, hi), band, colour in zip(zip(edges, [*BREAKS, None], strict=True), band_labels(),
                                      BAND_COLOURS, strict=False):
        cond = f"{m} >= {lo!r}" + ("" if hi is None else f" AND {m} < {hi!r}")
        rules.append(Rule(cond, i18n.text("gis_minutes_band", lang, band=band),
                          Symbol("marker", colour, outline=colour, outline_style="no",
                                 size=1.2)))
    extra = {}
    for c, lab in all_labels.items():
        extra[f"minutes_{c}"] = i18n.text("gis_minutes_of", lang, label=lab)
        extra[f"nearest_{c}"] = i18n.text("gis_nearest_of", lang, label=lab)
    return Style("point", rules=rules, aliases=aliases(columns, lang, extra))


# --------------------------------------------------------------------------- facilities, area


def facilities_style(types: Sequence[str], columns: Sequence[str], lang: str,
                     field: str = "type", size: float = 3.2, label_scale: float = 0.0
                     ) -> Style:
    """Style facilities by type in the map's marker colours.

    The legend and the attribute table name the types in ``lang``; labels: the facility name (only
    at scales larger than 1:``label_scale`` when given: a region's hundreds of names would hide the
    areas').
    """
    styles = facility_styles(list(dict.fromkeys(types)))
    cats = [Category(t, i18n.type_label(t, lang),
                     Symbol("marker", c, outline="#ffffff", outline_width=0.3, size=size))
            for t, (c, _) in styles.items()]
    words = {t: i18n.type_label(t, lang) for t in styles}
    labels = (Labels(quote_field("name"), 8.0, min_scale=label_scale) if "name" in columns
              else None)
    if not cats:  # no facility at all: one symbol, for what a user adds
        return Style("point", symbol=Symbol("marker", "#4d4d4d", size=size), labels=labels,
                     aliases=aliases(columns, lang))
    return Style("point", column=field, categories=cats, labels=labels,
                 aliases=aliases(columns, lang), value_maps={field: words})


def area_style(columns: Sequence[str], lang: str) -> Style:
    """Return the study area as a dark dashed outline, as on the map."""
    return Style("polygon", symbol=Symbol("fill", BOUNDARY_COLOUR, filled=False,
                                          outline=BOUNDARY_COLOUR, outline_width=0.7,
                                          outline_style="dash"),
                 aliases=aliases(columns, lang))


def points_style(colour: str, columns: Sequence[str], lang: str, labels: str = "",
                 size: float = 3.0) -> Style:
    """Style points in one colour (chosen sites, candidates, facility workload).

    They are labelled by the QGIS expression ``labels`` when given.
    """
    return Style("point", symbol=Symbol("marker", colour, outline="#ffffff",
                                        outline_width=0.3, size=size),
                 labels=Labels(labels, 9.0, bold=True) if labels else None,
                 aliases=aliases(columns, lang))


def status_style(statuses: Mapping[str, str], colours: Mapping[str, str],
                 columns: Sequence[str], lang: str, column: str = "status") -> Style:
    """Style areas by a status code (``statuses``: code -> words; ``colours``: code -> fill).

    The words show in the legend and the attribute table, labelled by ``area_name``.
    """
    cats = [Category(code, word, Symbol("fill", colours.get(code, NOT_APPLICABLE_FILL), 0.5,
                                        outline="#333333", outline_width=0.4))
            for code, word in statuses.items()]
    labels = Labels(quote_field("area_name"), 9.0) if "area_name" in columns else None
    return Style("polygon", column=column, categories=cats, labels=labels,
                 aliases=aliases(columns, lang), value_maps={column: dict(statuses)})


def changes_style(actions: Sequence[str], columns: Sequence[str], lang: str) -> Style:
    """Style a scenario's changes by action, labelled by project.

    They are rings in the comparison map's colours.
    """
    cats = [Category(a, i18n.action_label(a, lang),
                     Symbol("marker", ACTION_COLOURS.get(a, "#000000"), filled=True,
                            outline=ACTION_COLOURS.get(a, "#000000"), outline_width=0.8,
                            size=5.0, opacity=0.25)) for a in actions]
    return Style("point", column="action", categories=cats,
                 labels=Labels(quote_field("project"), 8.0), aliases=aliases(columns, lang),
                 value_maps={"action": {a: i18n.action_label(a, lang) for a in actions}})


def criticality_style(columns: Sequence[str], lang: str) -> Style:
    """Road pieces by the people who lose the standard when each is cut alone.

    In the classes and colours of the criticality map (wider, darker: more people).
    """
    edges = [lo for lo, _, _ in CRITICALITY_CLASSES]
    rules = []
    for k, (lo, colour, width) in enumerate(CRITICALITY_CLASSES):
        hi = edges[k + 1] if k + 1 < len(edges) else None
        expr = (f'"people_lost" >= {lo:g}' + (f' AND "people_lost" < {hi:g}' if hi else "")
                if lo else f'"people_lost" < {hi:g}' if hi else "TRUE")
        word = i18n.text("people_lost", lang)
        label = f"{word}: 0" if not lo else f"{word} ≥ {lo:,.0f}"
        rules.append(Rule(expr, label, Symbol("line", colour, outline_width=width * 0.26)))
    return Style("line", rules=rules, aliases=aliases(columns, lang))


def roads_style(columns: Sequence[str], lang: str) -> Style:
    """Return a scenario's new roads: black lines, as on the comparison map."""
    return Style("line", symbol=Symbol("line", "#000000", outline_width=1.0),
                 aliases=aliases(columns, lang))


#: a hazard's extent and the roads it closes, as on the comparison map
HAZARD_COLOUR = "#2171b5"
CLOSED_ROAD_COLOUR = "#e31a1c"


def hazard_style(columns: Sequence[str], lang: str) -> Style:
    """Return a hazard's extent (flood, landslide zones): blue, half opaque, as on the map."""
    return Style("polygon", symbol=Symbol("fill", HAZARD_COLOUR, 0.45, outline=HAZARD_COLOUR,
                                          outline_width=0.4),
                 aliases=aliases(columns, lang))


def closed_roads_style(columns: Sequence[str], lang: str) -> Style:
    """Return the roads a scenario closes or slows: thick red lines, as on the comparison map."""
    return Style("line", symbol=Symbol("line", CLOSED_ROAD_COLOUR, outline_width=1.6),
                 aliases=aliases(columns, lang))


# --------------------------------------------------------------------------- measures


def access_style(classes: Sequence[str], columns: Sequence[str], lang: str) -> Style:
    """Return classes of an access index, pale (little) to dark blue (much), as on the map."""
    n = len(classes)
    cats = [Category(c, c, Symbol("fill", class_colour(k, n), 0.8, outline_style="no"))
            for k, c in enumerate(classes)]
    return Style("polygon", column="cls", categories=cats, aliases=aliases(columns, lang))


def catchments_style(columns: Sequence[str], lang: str) -> Style:
    """Return catchments as dashed outlines labelled by facility (the map's)."""
    return Style("polygon", symbol=Symbol("fill", "#333333", filled=False, outline="#333333",
                                          outline_width=0.5, outline_style="dash"),
                 labels=Labels(quote_field("facility"), 8.0), aliases=aliases(columns, lang))


# --------------------------------------------------------------------------- planning


def area_fill_style(colour: str, label: str, columns: Sequence[str], lang: str) -> Style:
    """Return an area of one meaning (within reach today, newly covered, lost), half opaque."""
    return Style("polygon", rules=[Rule(None, label, Symbol("fill", colour, 0.5,
                                                            outline=colour,
                                                            outline_width=0.2))],
                 aliases=aliases(columns, lang))


def change_style(field: str, columns: Sequence[str], lang: str) -> Style:
    """Style townships by the change of their covered share.

    Rises are green, falls red, no change white (the comparison map's).
    """
    f = quote_field(field)
    line: dict[str, Any] = {"outline": "#444444", "outline_width": 0.3}
    rules = [Rule(f"{f} > 0", i18n.text("gain", lang), Symbol("fill", RISE_FILL, 0.6, **line)),
             Rule(f"{f} < 0", i18n.text("loss", lang), Symbol("fill", FALL_FILL, 0.6, **line)),
             Rule(None, i18n.text("no_change", lang), Symbol("fill", "#ffffff", 0.2, **line))]
    return Style("polygon", rules=rules, labels=Labels(quote_field("township"), 9.0),
                 aliases=aliases(columns, lang))

