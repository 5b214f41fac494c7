"""Static figures (PNG, 200 dpi, for print): a coverage map and a bar chart per standard.

Chinese text needs a CJK font, and matplotlib's default (DejaVu Sans) has none: it would draw
empty boxes. :func:`cjk_font` finds one explicitly — ``$GEO_CJK_FONT``, then the usual system
files (Debian/Ubuntu ``fonts-noto-cjk``, Fedora/Arch Noto CJK, Windows Microsoft YaHei /
SimHei, macOS PingFang) — registers it with :func:`matplotlib.font_manager.FontManager.addfont`
and raises :class:`~geo.errors.FontError` naming the fix when there is none, rather than
drawing boxes. Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas
(no pyplot, no global state); the font is set in an ``rc_context`` around each drawing.

Writing them is the slowest part of a run, so (issue 23) the canvas draws only when a figure is
saved (:class:`Canvas`), its renderer lays out and rasterises each distinct text once
(:class:`Renderer`), PNGs are encoded on threads while the next figure is drawn, and
:func:`write_figures` draws the figures side by side in forked processes where that is safe.
None of this changes a pixel or a byte of the files (``tests/outputs/test_figures.py``).
Each figure is drawn once, at :data:`DPI`: the report's smaller copy is that drawing (its footer
cut off) resampled to :data:`REPORT_DPI`, not a second drawing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import multiprocessing as mp
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, ft2font
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo import settings
from geo.coverage.bands import band_labels
from geo.coverage.groups import group_people
from geo.crs import utm_crs_for
from geo.errors import FontError
from geo.measures.equity import gini, lorenz
from geo.numbers import round_half_up, share_text, target_text
from geo.outputs import i18n
from geo.outputs.groups import group_label
from geo.outputs.map.layers import BAND_COLOURS, FAIL_OUTLINE_COLOUR, GAP_COLOUR, missing
from geo.outputs.results import Results

__all__ = [
    "DPI", "REPORT_DPI", "Canvas", "Drawing", "Renderer", "cjk_context", "cjk_font",
    "coverage_figure", "lorenz_figure", "north_arrow", "render", "scale_bar", "share_chart",
    "start_figures", "write_figures",
]

log = logging.getLogger(__name__)

DPI = 200
#: resolution of the figures embedded in the report (about 300 dpi at their printed size)
REPORT_DPI = 130
#: where CJK fonts usually are; the first that exists is used
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "C:/Windows/Fonts/msyh.ttc",  # Microsoft YaHei
    "C:/Windows/Fonts/simhei.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)
_PROBE = "鹿寨县中渡镇覆盖人口比例目标达标"
PASS_BAR = "#2c7bb6"


def _covers_cjk(path: Path) -> bool:
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(path)).get_charmap()
    return all(ord(c) in charmap for c in _PROBE)


@cache
def cjk_font() -> tuple[Path, str]:
    """Find the CJK font file and the family name it is registered under.

    In a collection the Simplified Chinese face is preferred.

    Raises
    ------
    geo.errors.FontError
        No CJK font found (the message says how to install one or point to one).
    """
    env = os.environ.get("GEO_CJK_FONT")
    candidates = [env] if env else []
    for name in (*candidates, *FONT_CANDIDATES):
        path = Path(name)
        if not path.is_file():
            continue
        if not _covers_cjk(path):
            log.warning("font %s lacks Chinese characters: skipped", path)
            continue
        font_manager.fontManager.addfont(str(path))
        names = [f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path]
        family = next((n for n in names if n.endswith(" SC")), names[0] if names else "")
        log.info("CJK font for figures: %s (%s)", path, family)
        return path, family
    raise FontError(
        "no font with Chinese characters found for the figures: install one (Debian/Ubuntu: "
        "apt-get install fonts-noto-cjk) or set GEO_CJK_FONT=/path/to/font.ttc|.otf|.ttf"
    )


@contextlib.contextmanager
def cjk_context() -> Iterator[None]:
    """Matplotlib settings that draw text in the CJK font of :func:`cjk_font`."""
    _, family = cjk_font()
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": [family],
                         "axes.unicode_minus": False}):
        yield


#: the text sizes, layouts and glyph pictures one thread has worked out (:class:`Renderer`);
#: emptied in a forked process (its fonts are new there: matplotlib empties its ``get_font``
#: cache at a fork, FreeType's objects cannot be shared across one)
_texts = threading.local()
#: a thread keeps at most this many (the area's 8 figures: 140 texts and 2,233 glyph pictures,
#: 0.7 MB); then it starts again
_TEXTS_KEPT = 20_000
#: whether this matplotlib lays text out as :class:`Renderer` expects (3.11: libraqm). Only
#: the minor version whose drawing the tests compared pixel for pixel: the renderer uses
#: matplotlib's private text functions, which another version may change without renaming
#: them, so any other version draws its text itself (slower, never different)
_LAYOUT = tuple(mpl.__version__.split(".")[:2]) == ("3", "11") and all(
    hasattr(obj, name) for obj, name in (
        (RendererAgg, "_prepare_font"), (RendererAgg, "_draw_text_glyphs_and_boxes"),
        (ft2font.FT2Font, "_layout"), (ft2font.FT2Font, "_render_glyph"),
        (ft2font.FT2Font, "_set_transform"), (ft2font, "RenderMode")))


def _forget_texts() -> None:
    global _texts
    _texts = threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_texts)


def _text_cache() -> dict[tuple[Any, ...], Any]:
    cache: dict[tuple[Any, ...], Any] | None = getattr(_texts, "cache", None)
    if cache is None or len(cache) > _TEXTS_KEPT:
        cache = _texts.cache = {}
    return cache


class Renderer(RendererAgg):
    """The Agg renderer, measuring, laying out and rasterising each distinct text once per thread.

    Matplotlib lays a text out (libraqm: every glyph loaded from the font) once to measure it
    and again to draw it, then rasterises every glyph, for every figure anew: the area's 8
    figures draw about 12,000 characters but only 2,100 distinct ones in 140 texts (the footer
    with the assumptions, legends, labels such as "100%" are the same in every figure). Here
    the size of a text, the glyphs and positions of its layout and the glyphs' pictures
    (``_draw_glyphs``) are kept per thread (matplotlib's fonts are per thread), keyed by
    everything they depend on: the font object, its size, the resolution, the text, the hinting
    flags and the text's features and language. The glyphs are drawn from them as matplotlib
    draws them: the same pixels (``tests/outputs/test_figures.py`` compares them with
    matplotlib's own renderer). Where matplotlib lays text out otherwise (before 3.11) it is
    left to matplotlib.
    """

    def get_text_width_height_descent(self, s: str, prop: Any,
                                      ismath: Any) -> tuple[float, float, float]:
        """Measure ``s`` as matplotlib does, once per font, size, resolution and hinting."""
        if ismath or not _LAYOUT:
            return super().get_text_width_height_descent(s, prop, ismath)
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        key = ("size", font, prop.get_size_in_points(), self.dpi, s, flags)
        cache = _text_cache()
        size = cache.get(key)
        if size is None:
            font.set_text(s, 0.0, flags=flags)
            w, h = font.get_width_height()  # width and height of unrotated string
            size = cache[key] = (w / 64.0, h / 64.0, font.get_descent() / 64.0)
        return size

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        """Draw ``s`` as matplotlib does, from its layout worked out once (see the class)."""
        if ismath or not _LAYOUT:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        font = self._prepare_font(prop)
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        key = ("layout", font, size, self.dpi, s, flags, features, language)
        cache = _text_cache()
        glyphs = cache.get(key)
        if glyphs is None:
            glyphs = cache[key] = tuple(
                (item.ft_object, item.glyph_index, item.x, item.y)
                for item in font._layout(s, flags=flags, features=features, language=language))
        self._draw_glyphs(gc, x, y, angle, size, glyphs, flags)

    def _draw_glyphs(self, gc: Any, x: float, y: float, angle: float, size: float,
                     glyphs: tuple[tuple[Any, int, float, float], ...], flags: Any) -> None:
        """Draw laid-out glyphs as matplotlib's ``_draw_text_glyphs_and_boxes`` does (no boxes).

        Each glyph's picture is kept too: FreeType places a glyph at a position in 64ths of a
        pixel, and one moved by whole pixels is the same picture moved (the outline is shifted
        before it is rasterised, relative to its own whole-pixel corner), so a picture is keyed
        by the position's fraction of a pixel and reused where the same glyph falls at the same
        fraction (the footer's lines do in every figure of a study). The fonts are left set up
        as matplotlib leaves them (size and transform of the last glyph each font drew).
        """
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])
                  @ [[1, 0], [0, 1]]).round().astype(int)  # extend 1, slant 0
        turn = tuple(matrix.ravel().tolist())
        modes = ft2font.RenderMode  # matplotlib >= 3.11 (checked by _LAYOUT)
        mono = not gc.get_antialiased()
        mode = modes.MONO if mono else modes.NORMAL
        cache, dpi, height = _text_cache(), self.dpi, self.height
        last: dict[Any, tuple[list[int], bool]] = {}  # per font: its last glyph's, whether kept
        for font, glyph_index, dx, dy in glyphs:  # dy is upwards
            delta = [round(0x40 * (x + dx * cos - dy * sin)),
                     round(0x40 * (height - y + dx * sin + dy * cos))]  # FreeType's y is upwards
            key = ("glyph", font, size, dpi, glyph_index, turn, delta[0] & 63, delta[1] & 63,
                   flags, mode)
            picture = cache.get(key)
            last[font] = (delta, picture is not None)
            if picture is None:
                font.set_size(size, dpi)
                font._set_transform(matrix, delta)
                bitmap = font._render_glyph(glyph_index, flags, mode)
                buffer = bitmap.buffer  # its own copy of FreeType's bitmap
                if mono:
                    buffer *= 0xff
                picture = cache[key] = (buffer, bitmap.left - (delta[0] >> 6),
                                        bitmap.top - (delta[1] >> 6))
            buffer, left, top = picture
            # draw_text_image's y is downwards & the bitmap bottom side
            self._renderer.draw_text_image(buffer, left + (delta[0] >> 6),
                                           int(height) - top - (delta[1] >> 6) + buffer.shape[0],
                                           0, gc)
        for font, (delta, kept) in last.items():
            if kept:
                font.set_size(size, dpi)
                font._set_transform(matrix, delta)


class Canvas(FigureCanvasAgg):
    """The Agg canvas, drawing only when the figure is saved, encoding PNGs in the background.

    Every ``GeoSeries.plot`` / ``GeoDataFrame.plot`` ends with ``canvas.draw_idle()``, which on a
    canvas without a GUI event loop draws the whole figure at once: a dozen full draws of a map
    that is drawn for good by ``savefig`` (which draws it again from scratch, so the picture is
    the same). With an ``encoder`` (an executor), ``savefig(..., format="png")`` draws the figure,
    copies its pixels and hands them to the encoder, which writes the PNG (``_save_png``: the
    pixels and metadata of matplotlib's, encoded faster) while the next figure is drawn:
    Pillow's PNG encoder releases the GIL. ``encoded`` is that write's future.
    """

    encoder: Executor | None = None
    encoded: Future[None] | None = None
    #: the pixels of the last PNG handed to the ``encoder`` (rows top down, RGBA)
    pixels: np.ndarray | None = None

    def draw_idle(self, *args: Any, **kwargs: Any) -> None:
        """Do nothing: there is no screen; ``savefig`` draws the figure."""

    def get_renderer(self) -> RendererAgg:
        """Return the figure's :class:`Renderer` (matplotlib's ``get_renderer``, our renderer)."""
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key or not isinstance(getattr(self, "renderer", None), Renderer):
            self.renderer = Renderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer

    def print_png(self, filename_or_obj: Any, *, metadata: dict[str, str] | None = None,
                  pil_kwargs: dict[str, Any] | None = None, **_ignored: Any) -> None:
        """Write the figure as PNG: at once, or by the ``encoder`` (see the class docs).

        ``savefig`` also passes dpi, facecolor, edgecolor, orientation and bbox_inches_restore,
        which it has already applied to the figure (matplotlib's own ``print_png`` is not given
        them).
        """
        if self.encoder is None:
            super().print_png(filename_or_obj, metadata=metadata, pil_kwargs=pil_kwargs)
            return
        FigureCanvasAgg.draw(self)
        pixels = np.array(self.buffer_rgba())  # a copy: the figure may be drawn again
        self.pixels = pixels
        self.encoded = self.encoder.submit(
            _save_png, filename_or_obj, pixels, self.figure.dpi, metadata, pil_kwargs)


def _save_png(target: Any, pixels: np.ndarray, dpi: float, metadata: dict[str, str] | None = None,
              pil_kwargs: dict[str, Any] | None = None) -> None:
    """Write ``pixels`` (RGBA, rows top down) as PNG with matplotlib's metadata, quickly.

    The picture and metadata (``Software``, and ``metadata``) are those of
    :func:`matplotlib.image.imsave`, which ``savefig`` uses. Two things make it a third faster
    to encode, and the file a little smaller: no alpha channel where every pixel is opaque (the
    figures' white background) and zlib level 3 instead of Pillow's 6 (PNG is lossless: the
    same pixels either way).
    """
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in {"Software": f"Matplotlib version{mpl.__version__}, https://matplotlib.org/",
                       **(metadata or {})}.items():
        if value is not None:
            info.add_text(key, value)
    opaque = bool((pixels[..., 3] == 255).all())
    with Image.fromarray(pixels[..., :3] if opaque else pixels) as img:
        img.save(target, **{"format": "png", "dpi": (dpi, dpi), "pnginfo": info,
                            "compress_level": 3, **(pil_kwargs or {})})


def _rows(res: Results, standard: str) -> pd.DataFrame:
    return res.coverage[res.coverage["standard"].astype(str) == standard]


def _label(rows: pd.DataFrame, lang: str) -> str:
    first = rows.iloc[0]
    zh = first.get("label_zh", "")
    return i18n.standard_label(str(first["label"]), "" if pd.isna(zh) else str(zh), lang)


_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"  # CJK and full-width forms
_TOKENS = re.compile(rf"[{_WIDE}]|[^\s{_WIDE}]+\s*|\s+")


def _wrap(text: str, width: int) -> str:
    """Wrap mixed Chinese/Latin text: a CJK character counts two columns, a Latin one."""
    lines, line, used = [], "", 0
    for token in _TOKENS.findall(text):
        w = sum(2 if re.match(f"[{_WIDE}]", c) else 1 for c in token)
        if used + w > width and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + w
    lines.append(line.rstrip())
    return "\n".join(lines)


def _na_note(ax: Any, rows: pd.DataFrame, lang: str) -> None:
    """Say in the plot why a standard that does not apply has nothing drawn."""
    notes = [str(n) for n in rows.get("note", pd.Series(dtype=str)) if not missing(n)]
    if notes and rows["covered_share"].isna().all():
        ax.text(0.5, 0.5, _wrap(i18n.note(notes[0], lang), 70), transform=ax.transAxes,
                ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "fc": "white", "ec": "#999"})


def _footer(fig: Figure, res: Results, lang: str) -> None:
    """Put the assumptions under a figure saved on its own (the report lists them instead).

    They go in a strip the figure grows by, so they never cover the map or its scale bar.
    """
    notes = "；".join(i18n.note(a, lang, short=True) for a in res.assumptions) if lang == "zh" \
        else "; ".join(res.assumptions)
    text = (f"{i18n.text('assumptions', lang)}: {notes}\n"
            f"{i18n.text('road_data', lang)} © OpenStreetMap contributors · "
            f"{i18n.text('date', lang)} {res.created}")
    wrapped = "\n".join(_wrap(line, 150) for line in text.split("\n"))
    lines = wrapped.count("\n") + 1
    w, h = fig.get_size_inches()
    strip = (lines * 6.5 * 1.35 + 10) / 72  # inches: 6.5 pt lines and a margin
    fig.set_size_inches(w, h + strip)
    for ax in fig.axes:  # keep every axes where it was, in inches from the top
        x0, y0, aw, ah = ax.get_position().bounds
        ax.set_position((x0, (y0 * h + strip) / (h + strip), aw, ah * h / (h + strip)))
    for text_artist in fig.texts:
        x, y = text_artist.get_position()
        text_artist.set_position((x, (y * h + strip) / (h + strip)))
    title = getattr(fig, "_suptitle", None)  # matplotlib keeps it apart from fig.texts
    if title is not None:
        x, y = title.get_position()
        title.set_position((x, (y * h + strip) / (h + strip)))
    fig.text(0.02, 4 / 72 / (h + strip), wrapped, fontsize=6.5, va="bottom", ha="left",
             color="#444")


def scale_bar(ax: Any, bounds: np.ndarray) -> None:
    """Draw a metric scale bar below the map.

    It has two alternating halves of a round length (about a fifth of the map's width), labelled 0,
    half and the length in km.
    """
    minx, miny, maxx, maxy = bounds
    target = (maxx - minx) / 5.0
    km = max((k for k in (1, 2, 5, 10, 20, 50, 100, 200, 500) if k * 1000 <= target), default=1)
    length, h = km * 1000.0, 0.012 * (maxy - miny)
    x0, y0 = minx, miny - 0.035 * (maxy - miny)  # below the area, clear of the map
    for i, colour in enumerate(("#222", "#fff")):
        ax.add_patch(Rectangle((x0 + i * length / 2, y0), length / 2, h, facecolor=colour,
                               edgecolor="#222", linewidth=0.8, gid="scale-bar"))
    for x, text in ((x0, "0"), (x0 + length / 2, f"{km / 2:g}"), (x0 + length, f"{km:g} km")):
        ax.text(x, y0 + 1.6 * h, text, ha="center", va="bottom", fontsize=7, gid="scale-label")


def north_arrow(ax: Any, utm: Any, bounds: np.ndarray, lang: str) -> None:
    """Draw a north arrow in the top-left corner.

    It is turned by the grid convergence of the UTM zone at the map's centre (true north, not grid
    north; under a degree in most counties).
    """
    minx, miny, maxx, maxy = bounds
    centre = gpd.GeoSeries(gpd.points_from_xy([(minx + maxx) / 2], [(miny + maxy) / 2]),
                           crs=utm).to_crs(4326).iloc[0]
    pts = gpd.GeoSeries(gpd.points_from_xy([centre.x, centre.x], [centre.y, centre.y + 0.1]),
                        crs=4326).to_crs(utm)
    dx, dy = pts.iloc[1].x - pts.iloc[0].x, pts.iloc[1].y - pts.iloc[0].y
    ux, uy = dx / np.hypot(dx, dy), dy / np.hypot(dx, dy)
    x, y = 0.06, 0.84  # axes fraction; the legend is top right
    ax.annotate("北" if lang == "zh" else "N", xy=(x + 0.07 * ux, y + 0.07 * uy),
                xytext=(x, y), xycoords="axes fraction", textcoords="axes fraction",
                ha="center", va="top", fontsize=12, gid="north-arrow",
                arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.4", "lw": 2.2,
                            "color": "#222"})


def coverage_figure(res: Results, standard: str, language: str | None = None,
                    footer: bool = True) -> Figure:
    """Draw the map of one standard: travel-time bands, gaps, townships by pass/fail, facilities.

    It has a north arrow and metric scale bar; the assumptions in a strip below (``footer``).
    """
    lang = language or res.language
    rows = _rows(res, standard)
    town = res.townships.merge(rows, on="township", how="left", suffixes=("", "_cov"))
    utm = utm_crs_for(*res.area.union_all().centroid.coords[0])
    fig = Figure(figsize=(8.27, 9.0), dpi=DPI)
    Canvas(fig)
    ax = fig.add_axes((0.02, 0.12, 0.96, 0.8))
    labels = band_labels()
    bands = res.bands[res.bands["standard"].astype(str) == standard].to_crs(utm)
    for row in bands.itertuples():
        colour = BAND_COLOURS[min(labels.index(str(row.band)), len(BAND_COLOURS) - 1)]
        gpd.GeoSeries([row.geometry], crs=utm).plot(ax=ax, color=colour, linewidth=0)
    gaps = res.gaps[res.gaps["standard"].astype(str) == standard].to_crs(utm)
    if len(gaps):
        gaps.plot(ax=ax, facecolor="none", edgecolor=GAP_COLOUR, hatch="////", linewidth=0)
    t = town.to_crs(utm)
    applicable = t["covered_share"].notna()
    if applicable.any():
        t[applicable].plot(ax=ax, facecolor="none", edgecolor="#4d4d4d", linewidth=0.8)
    else:
        t.plot(ax=ax, facecolor="#bdbdbd", edgecolor="#777", linewidth=0.8)
    fail = t[applicable & t["meets_target"].map(lambda v: not missing(v) and not bool(v))]
    if len(fail):
        fail.plot(ax=ax, facecolor="none", edgecolor=FAIL_OUTLINE_COLOUR, linewidth=2.2)
    if len(t) > settings.FIGURE_MAX_TOWNSHIPS:  # unreadable, and minutes to draw
        ax.text(0.01, 0.01, i18n.text("names_omitted", lang, n=len(t)), transform=ax.transAxes,
                fontsize=7, color="#444")
    for r in t.itertuples() if len(t) <= settings.FIGURE_MAX_TOWNSHIPS else ():
        p = r.geometry.representative_point()
        share = share_text(r.covered_share, r.target_share, 0)
        ax.annotate(f"{r.township}\n{share}", (p.x, p.y), ha="center", va="center", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.7})
    fac = res.facilities.to_crs(utm)
    tiers = fac.get("tier", pd.Series("other", index=fac.index)).astype(str)
    marks = {"county": ("s", "#b2182b", 70), "township": ("o", "#1b7837", 26)}
    for tier, (marker, colour, size) in marks.items():
        sel = fac[tiers == tier]
        if len(sel):
            ax.scatter(sel.geometry.x, sel.geometry.y, marker=marker, s=size, c=colour,
                       edgecolors="white", linewidths=0.8, zorder=5)
    res.area.to_crs(utm).boundary.plot(ax=ax, color="#222", linewidth=1.2, linestyle="--")
    scale_bar(ax, t.total_bounds)
    north_arrow(ax, utm, t.total_bounds, lang)
    ax.set_axis_off()
    ax.set_aspect("equal")
    _na_note(ax, rows, lang)
    minutes = i18n.text("minutes", lang)
    handles: list[Artist] = [
        Patch(color=c, label=f"{b} {minutes}")
        for b, c in zip(labels, BAND_COLOURS, strict=False)
    ]
    gap = i18n.text("gaps_layer", lang)
    handles += [
        Patch(facecolor="none", edgecolor=GAP_COLOUR, hatch="////", label=gap),
        Line2D([], [], color="#4d4d4d", lw=0.8, label=i18n.text("township_meets", lang)),
        Line2D([], [], color=FAIL_OUTLINE_COLOUR, lw=2.2, label=i18n.text("township_fails", lang)),
        Line2D([], [], marker="s", ls="", color="#b2182b", label=i18n.tier_label("county", lang)),
        Line2D([], [], marker="o", ls="", color="#1b7837", label=i18n.tier_label("township", lang)),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.9)
    label = _label(rows, lang)
    fig.suptitle(f"{res.title}\n{i18n.text('map_title', lang, label=label)} ({standard})",
                 fontsize=11, y=0.985)
    if footer:
        _footer(fig, res, lang)
    return fig


def share_chart(res: Results, standard: str, language: str | None = None,
                footer: bool = True) -> Figure:
    """Draw bars of covered share by township against the target line (red: below target).

    The assumptions go in a strip below (``footer``).
    """
    lang = language or res.language
    rows = _rows(res, standard).sort_values("covered_share", na_position="first")
    n_all, rows = len(rows), rows.head(settings.FIGURE_MAX_TOWNSHIPS)  # the lowest shares
    fig = Figure(figsize=(8.27, 6.4), dpi=DPI)
    Canvas(fig)
    ax = fig.add_axes((0.14, 0.32, 0.66, 0.58))
    share = rows["covered_share"].astype(float).to_numpy() * 100
    target = float(rows["target_share"].iloc[0]) * 100
    ok = [not missing(v) and bool(v) for v in rows["meets_target"]]
    colours = [PASS_BAR if good else FAIL_OUTLINE_COLOUR for good in ok]
    y = np.arange(len(rows))
    ax.barh(y, np.nan_to_num(share), color=colours)
    ax.set_yticks(y, [str(t) for t in rows["township"]])
    targets = rows["target_share"].astype(float).to_numpy()
    for yi, s, tg in zip(y.tolist(), share.tolist(), targets.tolist(), strict=True):
        label = share_text(s / 100, tg)
        if np.isnan(s):
            ax.text(1, yi, i18n.text("not_applicable", lang), va="center", fontsize=8)
        elif s >= 20:  # inside the bar's end, clear of the target line
            ax.text(s - 1, yi, label, va="center", ha="right", fontsize=8, color="white")
        else:
            ax.text(s + 1, yi, label, va="center", fontsize=8)
    ax.axvline(target, color="#222", linestyle="--", linewidth=1.5)
    ax.set_xlim(0, 100)
    _na_note(ax, rows, lang)
    ax.set_xlabel(i18n.text("share_axis", lang))
    title = i18n.text("bar_title", lang, label=f"{_label(rows, lang)} ({standard})")
    if len(rows) < n_all:
        title += "\n" + i18n.text("lowest_shown", lang, shown=len(rows), n=n_all)
    ax.set_title(title, fontsize=11 if len(rows) == n_all else 9)
    target_line = Line2D([], [], color="#222", linestyle="--", linewidth=1.5,
                         label=f"{i18n.text('target', lang)} {target_text(target / 100)}")
    ax.legend(handles=[Patch(color=PASS_BAR, label=i18n.text("meets", lang)),
                       Patch(color=FAIL_OUTLINE_COLOUR, label=i18n.text("fails", lang)),
                       target_line],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if footer:
        _footer(fig, res, lang)
    return fig


#: line colours of the Lorenz figure's groups (the whole population first, in black)
_GROUP_COLOURS = ("#222222", "#d7191c", "#2c7bb6", "#fdae61", "#1a9641", "#7b3294",
                  "#a6611a", "#018571")


def lorenz_figure(res: Results, standard: str, language: str | None = None,
                  footer: bool = True) -> Figure:
    """Return the Lorenz curve of travel minutes to ``standard``'s nearest facility.

    One line per population group (:func:`geo.measures.equity.lorenz`), each with its Gini index,
    against the line of perfect equality; the assumptions in a strip below (``footer``).
    """
    lang = language or res.language
    demand = res.extra["demand"]
    minutes = demand[f"minutes_{standard}"].to_numpy(dtype=float)
    cov = res.groups.coverage
    labels = dict(zip(cov["group"].astype(str), cov["group_label"], strict=True))
    names = [g for g in labels if g != "all"]
    fig = Figure(figsize=(8.27, 6.4), dpi=DPI)
    Canvas(fig)
    ax = fig.add_axes((0.1, 0.12, 0.56, 0.76))
    ax.plot([0, 1], [0, 1], color="#999", linestyle="--", linewidth=1,
            label=i18n.text("equality", lang))
    for i, (name, w) in enumerate(group_people(demand, names).items()):
        p, m = lorenz(minutes, w)
        ax.plot(p, m, color=_GROUP_COLOURS[i % len(_GROUP_COLOURS)],
                linewidth=2 if name == "all" else 1.3,
                label=f"{group_label(name, labels.get(name), lang)}, "
                      f"G = {round_half_up(gini(minutes, w), 3):.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(i18n.text("lorenz_x", lang))
    ax.set_ylabel(i18n.text("lorenz_y", lang))
    ax.set_title(i18n.text("lorenz_title", lang,
                           label=f"{_label(_rows(res, standard), lang)} ({standard})"),
                 fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if footer:
        _footer(fig, res, lang)
    return fig


def render(fig: Figure, path: Path) -> Path:
    """Save ``fig`` as PNG at :data:`DPI` with the CJK font in force."""
    with cjk_context():
        fig.savefig(path, dpi=DPI, format="png")
    return path


_DRAW: dict[str, Any] = {"coverage": coverage_figure, "share": share_chart,
                         "lorenz": lorenz_figure}
#: the study whose figures forked processes draw (set before they are forked; never pickled)
_forked: Results | None = None


def write_figures(res: Results, folder: Path) -> dict[Path, bytes]:
    """Write the coverage figures of every standard.

    ``coverage_<standard>.png`` and ``share_<standard>.png`` for every standard (and
    ``lorenz_<standard>.png`` for each that applies when the study has population groups),
    each with the assumptions below it; returns each file's path with the same drawing without
    them (the footer's strip cut off), resampled to :data:`REPORT_DPI` (PNG), for the report,
    which lists them on a page of their own.

    The figures are drawn side by side in forked processes, one per core, where that
    is safe (``_processes``), else one after the other; their PNGs are encoded on two
    threads meanwhile (:class:`Canvas`). Either way the files are the same, byte for byte.
    """
    return start_figures(res, folder).result()


class Drawing:
    """Figures being drawn by :func:`start_figures`: :meth:`result` waits for them."""

    def __init__(self, folder: Path, order: list[str], pool: ProcessPoolExecutor | None,
                 parts: list[Future[dict[str, bytes]]], drawn: dict[str, bytes]) -> None:
        self._folder, self._order, self._pool, self._parts = folder, order, pool, parts
        self._drawn = drawn

    def result(self) -> dict[Path, bytes]:
        """Wait for every figure; return what :func:`write_figures` returns.

        A figure that failed raises here (after the others have ended: none is left drawing).
        """
        try:
            for part in self._parts:
                self._drawn |= part.result()
        finally:
            self.close()
        out = {self._folder / f"{name}.png": self._drawn[name] for name in self._order}
        log.info("%d figures written to %s", len(out), self._folder)
        return out

    def close(self) -> None:
        """Stop: figures not begun are dropped; this returns once no process draws any more."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def start_figures(res: Results, folder: Path) -> Drawing:
    """Begin :func:`write_figures`: where the figures are drawn in forked processes, return at once.

    The caller may write other outputs meanwhile (``geo run`` writes the GeoPackage, the map and
    the workbook while the figures are drawn) and must end with :meth:`Drawing.result` or, on
    failure, :meth:`Drawing.close` (the processes write into ``folder``). Where forking is not
    safe the figures are drawn here, before this returns.
    """
    global _forked
    folder.mkdir(parents=True, exist_ok=True)
    figs = [("coverage", s) for s in res.standards] + [("share", s) for s in res.standards]
    if not res.groups.coverage.empty and "demand" in res.extra:
        figs += [("lorenz", s) for s in res.standards
                 if f"minutes_{s}" in res.extra["demand"]]  # else not applicable: nothing to rank
    order = [f"{kind}_{std}" for std in res.standards for kind in ("coverage", "share")]
    order += [f"lorenz_{std}" for kind, std in figs if kind == "lorenz"]
    cjk_font()  # a missing font stops here, before any process starts
    pool = _processes(len(figs))
    if pool is None:
        return Drawing(folder, order, None, [], _draw(res, folder, figs))
    _forked = res
    # Ctrl-C and SIGTERM are held while the processes fork: one arriving inside the fork's
    # own handlers (logging's at-fork lock release) would be swallowed there ("Exception
    # ignored") and the run would go on to write everything; held, it arrives once the
    # fork is done, here, and stops the run (the processes unhold them: _unhold)
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        try:  # the first submit forks every process (fork context), before any thread starts
            parts = [pool.submit(_draw_forked, (folder, [f])) for f in figs]  # maps first
        finally:
            _forked = None
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held arrives now
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return Drawing(folder, order, pool, parts, {})


#: the signals that stop a run (Ctrl-C, and SIGTERM as ``geo`` turns it into a stop)
_STOPS = {signal.SIGINT, signal.SIGTERM}


def _unhold() -> None:
    """Let a forked drawing process be stopped again (it was forked with the stops held)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


def _processes(tasks: int) -> ProcessPoolExecutor | None:
    """Return a pool of forked processes to draw ``tasks`` in, or None where that is not safe.

    Forking is fast (the study is not copied) but only safe on Linux from a process with no other
    thread (a lock held by another thread at the fork would stay locked in the child: not in
    ``geo serve``) and not itself a daemon (a Dask worker of ``geo batch``, which runs areas side
    by side already); one core or one task: nothing to gain.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if (tasks < 2 or cpus < 2 or sys.platform != "linux"
            or "fork" not in mp.get_all_start_methods() or mp.current_process().daemon
            or threading.active_count() > 1):
        return None
    return ProcessPoolExecutor(min(tasks, cpus), mp_context=mp.get_context("fork"),
                               initializer=_unhold)


def _draw_forked(job: tuple[Path, list[tuple[str, str]]]) -> dict[str, bytes]:
    """Draw one task of :func:`write_figures` in a forked process (the study: ``_forked``)."""
    assert _forked is not None
    return _draw(_forked, *job)


def _draw(res: Results, folder: Path, task: list[tuple[str, str]]) -> dict[str, bytes]:
    """Write the figures of ``task`` (kind, standard) into ``folder``; return the report's PNGs."""
    drawn: list[tuple[str, io.BytesIO, list[Future[None]]]] = []
    # leaving the block waits for every write, also when drawing fails
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="png") as encoder, cjk_context():
        for kind, std in task:
            fig = _DRAW[kind](res, std, footer=False)
            drawn.append(_both(fig, res, folder / f"{kind}_{std}.png", encoder))
    out: dict[str, bytes] = {}
    for name, buf, futures in drawn:
        for f in futures:
            f.result()  # a write that failed (a full disk) raises here
        out[name] = buf.getvalue()
    return out


def _both(fig: Figure, res: Results, path: Path,
          encoder: Executor) -> tuple[str, io.BytesIO, list[Future[None]]]:
    """Save ``fig`` with its footer to ``path``, and the same drawing, smaller, for the report.

    The figure is drawn once, at :data:`DPI`, with the assumptions in a strip below
    (``_footer``), which grows the figure at the bottom and leaves everything above it where it
    was. The report's image (no footer: the report lists the assumptions on a page of its own)
    is the top of that drawing, the strip cut off, resampled to :data:`REPORT_DPI`
    (``_report_png``). Both PNGs are encoded by ``encoder``. Returns the figure's name, the
    report PNG's buffer (filled once its future is done) and the two futures.
    """
    canvas = fig.canvas
    assert isinstance(canvas, Canvas)
    canvas.encoder = encoder
    width, height = fig.get_size_inches()
    _footer(fig, res, res.language)
    fig.savefig(path, dpi=DPI, format="png")  # as render(), inside the caller's cjk_context
    assert canvas.encoded is not None and canvas.pixels is not None
    pixels, canvas.pixels = canvas.pixels, None
    strip = (fig.get_figheight() - height) * DPI  # the footer's rows at the bottom
    size = (int(width * REPORT_DPI), int(height * REPORT_DPI))  # as matplotlib sizes a canvas
    buf = io.BytesIO()
    report = encoder.submit(_report_png, pixels[:round(pixels.shape[0] - strip)], size, buf)
    return path.stem, buf, [canvas.encoded, report]


def _report_png(pixels: np.ndarray, size: tuple[int, int], buf: io.BytesIO) -> None:
    """Write ``pixels`` (RGBA, rows top down) resampled to ``size`` as PNG into ``buf``.

    Lanczos resampling (Pillow) to :data:`REPORT_DPI`: on screen it looks as a drawing at that
    resolution did, where the browser's own shrinking of the 200 dpi drawing left the small text
    ragged; the PNG is as large as the 200 dpi one would be. Written as the files are
    (``_save_png``), but at zlib level 6.
    """
    from PIL import Image

    with Image.fromarray(pixels) as img, img.resize(size, Image.Resampling.LANCZOS) as small:
        _save_png(buf, np.asarray(small.convert("RGBA")), REPORT_DPI, None,
                  {"compress_level": 6})  # smaller: it travels in report.html
