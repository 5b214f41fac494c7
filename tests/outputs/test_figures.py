"""Static figures: Chinese text drawn in a font that has it, print resolution, one per standard.

Rendering runs with warnings turned into errors: matplotlib warns "Glyph … missing from
font(s) …" for every character it draws as an empty box, so a figure with boxes fails here.
A control case shows the same check does catch boxes with matplotlib's default font.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from PIL import Image

from geo.outputs import figures
from geo.outputs.results import from_study
from tests.conftest import DATA

SEATS = pd.read_csv(DATA / "boundaries" / "luzhai_township_seats.csv")
TITLE = "鹿寨县医疗卫生设施可达性覆盖人口比例目标达标"
CHINESE = "".join(sorted(set("".join(SEATS["township"])) | set(TITLE)))


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def test_font_is_explicit_and_covers_the_chinese_we_draw() -> None:
    path, family = figures.cjk_font()
    charmap = FT2Font(str(path)).get_charmap()
    missing = [c for c in CHINESE if ord(c) not in charmap]
    assert not missing, missing
    assert family in {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}


def test_default_font_would_draw_boxes_and_the_check_sees_it(tmp_path: Path) -> None:
    """Control: without the CJK font, matplotlib warns of missing glyphs (here: an error)."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, "鹿寨县")
    with mpl.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}), \
            warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="missing from font"):
            fig.savefig(tmp_path / "boxes.png")


@pytest.mark.parametrize("standard", ["emergency_1h", "community_15min"])
@pytest.mark.parametrize("kind", ["coverage_figure", "share_chart"])
def test_figures_render_chinese_without_missing_glyphs(
    luzhai_demo: tuple[Any, Path], tmp_path: Path, standard: str, kind: str
) -> None:
    res = from_study(luzhai_demo[0])
    font, _ = figures.cjk_font()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph is a UserWarning: now an error
        with figures.cjk_context():
            fig = getattr(figures, kind)(res, standard)
            path = figures.render(fig, tmp_path / f"{kind}.png")
            texts = [t for t in fig.findobj(Text) if t.get_visible() and _has_cjk(t.get_text())]
            assert texts, "no Chinese text drawn"
            used = {font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
                    for t in texts}
    assert {Path(u) for u in used} == {font}  # every Chinese label is set in the CJK font
    drawn = "".join(t.get_text() for t in texts)
    assert any(name in drawn for name in SEATS["township"])  # township names are drawn
    with Image.open(path) as img:
        width, _ = img.size
        dpi = img.info["dpi"][0]
    assert round(dpi) == figures.DPI >= 200  # print quality
    assert width == round(fig.get_figwidth() * figures.DPI)


def test_demo_writes_a_map_and_a_chart_per_standard(luzhai_demo: tuple[Any, Path]) -> None:
    folder = luzhai_demo[1] / "figures"
    for std in ("emergency_1h", "primary_care_30min", "rescue_2h", "community_15min"):
        for kind in ("coverage", "share"):
            png = folder / f"{kind}_{std}.png"
            assert png.stat().st_size > 50_000, png  # a drawn figure, not a blank page
            with Image.open(png) as img:
                assert img.format == "PNG"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_map_figure_has_north_arrow_and_metric_scale_bar(
    luzhai_demo: tuple[Any, Path], language: str
) -> None:
    res = from_study(luzhai_demo[0])
    with figures.cjk_context():
        fig = figures.coverage_figure(res, "primary_care_30min", language)
        fig.canvas.draw()
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if t.get_gid() == "north-arrow"]
    assert len(arrows) == 1 and arrows[0].get_text() == ("北" if language == "zh" else "N")
    tail = np.array(arrows[0].xyann)
    head = np.array(arrows[0].xy)
    up = (head - tail) / np.linalg.norm(head - tail)
    # true north in UTM 49N at Luzhai (109.8 E, 24.5 N): the grid convergence is
    # (lon - 111) * sin(lat) = -0.5 degrees: west of the central meridian true north
    # leans towards it, so the arrow turns half a degree east of grid up
    angle = np.degrees(np.arctan2(up[0], up[1]))
    assert angle == pytest.approx(-(109.8 - 111) * np.sin(np.radians(24.5)), abs=0.2)
    bars = [p for p in ax.patches if p.get_gid() == "scale-bar"]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "scale-label"]
    assert len(bars) == 2 and labels[-1].endswith(" km") and "mi" not in " ".join(labels)
    km = float(labels[-1].split()[0])
    assert sum(b.get_width() for b in bars) == pytest.approx(km * 1000)  # metres in UTM
    assert labels[1] == f"{km / 2:g}"


def test_many_townships_lowest_shares_and_no_names(
        luzhai_demo: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Above settings.FIGURE_MAX_TOWNSHIPS (here lowered to 4 of Luzhai's townships) the
    chart shows the lowest shares and says so, and the map names no township."""
    from matplotlib.patches import Rectangle

    from geo import settings

    monkeypatch.setattr(settings, "FIGURE_MAX_TOWNSHIPS", 4)
    res = from_study(luzhai_demo[0])
    rows = res.coverage[res.coverage["standard"] == "emergency_1h"]
    with figures.cjk_context():
        chart = figures.share_chart(res, "emergency_1h", "en")
        fig = figures.coverage_figure(res, "emergency_1h", "en")
    ax = chart.axes[0]
    bars = sorted(p.get_width() for p in ax.patches if isinstance(p, Rectangle))
    want = sorted(rows["covered_share"].astype(float) * 100)[:4]
    assert bars == pytest.approx(want)
    assert f"the 4 of {len(rows)} townships with the lowest share" in ax.get_title()
    drawn = " ".join(t.get_text() for t in fig.findobj(Text))
    assert not any(name in drawn for name in SEATS["township"])
    assert f"{len(rows)} townships: names not drawn" in drawn


def test_figures_drawn_side_by_side_are_those_drawn_one_by_one(
    luzhai_demo: tuple[Any, Path], tmp_path: Path
) -> None:
    """Forked processes (``geo run``) and one thread (a server, a Dask worker) write the same bytes.

    From a thread of its own the process has two threads, so write_figures does not fork (a
    lock held at the fork would stay held in the child) and draws every figure itself.
    """
    import os
    import threading
    from concurrent.futures import ThreadPoolExecutor

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: figures are never drawn side by side")
    if threading.active_count() > 1:  # this process may not fork: a fresh one runs it
        _in_fresh_process(test_figures_drawn_side_by_side_are_those_drawn_one_by_one.__name__)
        return
    res = from_study(luzhai_demo[0])
    pool = figures._processes(len(res.standards))
    assert pool is not None  # this thread may fork
    pool.shutdown()
    forked = figures.write_figures(res, tmp_path / "forked")
    with ThreadPoolExecutor(1) as other:
        assert other.submit(figures._processes, len(res.standards)).result() is None
        alone = other.submit(figures.write_figures, res, tmp_path / "alone").result()
    assert [p.name for p in forked] == [p.name for p in alone]
    assert len(forked) == 2 * len(res.standards)
    for (p, report_png), (q, report_png_alone) in zip(forked.items(), alone.items(), strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
        assert report_png == report_png_alone, p.name
        with Image.open(io.BytesIO(report_png)) as img:  # the report's copy: smaller, no footer
            assert img.size[0] < Image.open(p).size[0]
    for p, report_png in forked.items():  # the file's drawing, its footer cut off, resized
        same, others = _unlike(report_png, p), [_unlike(report_png, q) for q in forked if q != p]
        assert same is not None, p.name
        assert same < 1.5 < min(d for d in others if d is not None), (p.name, same, others)


def _pixels(fig: Figure, canvas: type[FigureCanvasAgg]) -> np.ndarray:
    """Draw ``fig`` on a new ``canvas`` (in the CJK font) and return a copy of its pixels."""
    canvas(fig)
    with figures.cjk_context():
        fig.canvas.draw()
    return np.array(fig.canvas.buffer_rgba())  # type: ignore[attr-defined]


def _text_figure() -> Figure:
    """Text of every kind the kept layouts and glyph pictures must draw as matplotlib does.

    Chinese, Latin and digits at many fractions of a pixel, turned, several lines, not
    antialiased, in several sizes, the same strings again elsewhere.
    """
    fig = Figure(figsize=(4, 3), dpi=figures.DPI)
    rng = np.random.default_rng(5)
    for i, (x, y) in enumerate(rng.uniform(0.02, 0.9, size=(40, 2)).tolist()):
        fig.text(x, y, ["鹿寨县 95.5%", "中渡镇\n100%", "Gini 0.123", "北"][i % 4],
                 fontsize=[6.5, 8, 11][i % 3], rotation=[0, 0, 90, 33][i % 4],
                 antialiased=i % 5 != 0)
    return fig


def test_text_drawn_from_kept_layouts_and_glyphs_is_matplotlibs_drawing(
    luzhai_demo: tuple[Any, Path]
) -> None:
    """The figures' renderer (each text laid out once, each glyph picture kept) draws the pixels
    matplotlib's own Agg renderer draws, on the study's figures with their footers and on text
    turned, not antialiased and at many fractions of a pixel; drawn twice, the second time from
    what the first kept.
    """
    if not figures._LAYOUT:
        pytest.skip(f"matplotlib {mpl.__version__} lays text out itself: nothing kept")
    res = from_study(luzhai_demo[0])
    std = res.standards[0]
    drawings = [figures.coverage_figure(res, std), figures.share_chart(res, std), _text_figure()]
    for fig in drawings:
        matplotlibs = _pixels(fig, FigureCanvasAgg)
        first = _pixels(fig, figures.Canvas)
        kept = len(figures._text_cache())
        again = _pixels(fig, figures.Canvas)
        assert len(figures._text_cache()) == kept  # all of it drawn from what was kept
        assert any(k[0] == "glyph" for k in figures._text_cache())
        assert matplotlibs.shape == first.shape
        assert (first == matplotlibs).all() and (again == matplotlibs).all()


def _in_fresh_process(test: str) -> None:
    """Run the test ``test`` of this file in a fresh pytest process, and fail if it fails.

    An earlier test left a thread running here, so this process may not fork (a lock held at
    the fork would stay held in the child): the test is run where it can, never skipped.
    """
    import os
    import subprocess
    import sys

    assert not os.environ.get("GEO_FORK_TEST_CHILD"), "a fresh process had threads running"
    here = Path(__file__).resolve()
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          f"{here}::{test}"], capture_output=True, text=True,
                         env={**os.environ, "GEO_FORK_TEST_CHILD": "1"}, cwd=here.parents[2],
                         timeout=600)
    assert run.returncode == 0 and " passed" in run.stdout, run.stdout[-3000:]


def _unlike(report_png: bytes, path: Path) -> float | None:
    """Return how far the report's PNG is from the top of the figure file ``path``, shrunk to it.

    The mean difference of the colour channels (0-255) after shrinking the file's top rows,
    as many as the report's image shows at the file's resolution, bilinearly to the report's
    size; None where the file is shorter than that (another kind of figure).
    """
    with Image.open(io.BytesIO(report_png)) as small, Image.open(path) as big:
        rows = round(small.size[1] * figures.DPI / figures.REPORT_DPI)
        if rows > big.size[1]:
            return None
        top = big.convert("RGB").crop((0, 0, big.size[0], rows)).resize(
            small.size, Image.Resampling.BILINEAR)
        return float(np.abs(np.asarray(top, dtype=float)
                            - np.asarray(small.convert("RGB"), dtype=float)).mean())


def test_a_writer_failing_while_the_figures_are_drawn_leaves_nothing_behind(
    luzhai_demo: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``geo run`` draws the figures in forked processes while it writes the other outputs.

    When one of those fails (here the GeoPackage, as on a full disk), the drawing processes are
    stopped before the staging folder is removed: the output folder is as it was, no staging
    folder or figure is left next to it and no process is left drawing.
    """
    import errno
    import multiprocessing
    import os
    import threading

    from geo.errors import OutputError
    from geo.outputs import write

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: figures are never drawn side by side")
    if threading.active_count() > 1:
        _in_fresh_process(
            test_a_writer_failing_while_the_figures_are_drawn_leaves_nothing_behind.__name__)
        return
    started: list[figures.Drawing] = []
    start = figures.start_figures

    def spy(res: Any, folder: Path) -> figures.Drawing:
        started.append(start(res, folder))
        return started[-1]

    def full_disk(*_args: Any) -> None:
        assert started and started[0]._pool is not None  # the figures are being drawn
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(figures, "start_figures", spy)
    monkeypatch.setattr(write, "write_gpkg", full_disk)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old", encoding="utf-8")
    with pytest.raises(OutputError):
        write.write_outputs(luzhai_demo[0], out)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert multiprocessing.active_children() == []
