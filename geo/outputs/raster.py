"""Travel-time surfaces: minutes to the nearest eligible facility, one GeoTIFF per standard.

``travel_time/<standard>.tif`` is a Cloud-Optimized GeoTIFF (GDAL's COG driver, through
rasterio: tiled, DEFLATE with the floating-point predictor, overviews by nearest cell so
every pixel of an overview is a computed value) in the demand grid's own projected CRS
(the study area's UTM zone) and cells: one float32 pixel per grid cell holding the minutes
of the cell's demand point, exactly the minutes the bands, gaps and coverage rest on.
Pixels outside the study area are no data (:data:`NODATA`), and so are cells from which no
eligible facility can be reached; the file's metadata says how many, what the standard
is and every assumption of the run. QGIS and AccessMod users can load and reclassify it; a
``.qml`` beside it (QGIS reads it as the raster's default style) draws the map's
travel-time bands.

Where the demand is not the grid (village points, a population raster), the grid's points
are timed as the run times its bands (:meth:`geo.study.run.ComputedStudy.travel_from`).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import rasterio
import rasterio.transform
import shapely
from pyproj import CRS

from geo.coverage import population
from geo.coverage.bands import BREAKS, band_labels
from geo.outputs import i18n, qml
from geo.outputs.map.layers import BAND_COLOURS

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.study.run import ComputedStudy

__all__ = ["NODATA", "SURFACE_FOLDER", "GridGeometry", "grid_geometry", "grid_minutes",
           "write_surfaces"]

log = logging.getLogger(__name__)

#: the value of a pixel without minutes (outside the area, or no facility within reach)
NODATA = -9999.0
SURFACE_FOLDER = "travel_time"


class GridGeometry:
    """Where each grid cell lies in a raster.

    It holds the grid's CRS, transform, shape, and the row and column of every cell (in ``cell_id``
    order).
    """

    def __init__(self, crs: CRS, transform: rasterio.transform.Affine, shape: tuple[int, int],
                 rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64]) -> None:
        self.crs, self.transform, self.shape = crs, transform, shape
        self.rows, self.cols = rows, cols

    def raster(self, values: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Lay out ``values`` per cell as a float32 array of the grid's ``shape``.

        No value (NaN, inf) and pixels without a cell are :data:`NODATA`.
        """
        v = np.asarray(values, dtype=np.float64)
        out = np.full(self.shape, NODATA, dtype=np.float32)
        ok = np.isfinite(v)
        out[self.rows[ok], self.cols[ok]] = v[ok].astype(np.float32)
        return out


def grid_geometry(cells: gpd.GeoDataFrame) -> GridGeometry:
    """Return the raster of the demand grid's cells.

    The cells are those of :func:`geo.coverage.population.grid_cells`: squares aligned to
    multiples of the spacing in the area's UTM CRS, clipped to the area.

    A cell's row and column are those of the square its clipped part's bounding-box centre
    lies in (inside the square whatever the clipping).
    """
    spacing = float(cells.attrs.get("grid_spacing_m") or 0.0)
    crs_text = cells.attrs.get("metric_crs")
    if not spacing or not crs_text:
        raise ValueError("the cells carry no grid_spacing_m / metric_crs: make them with "
                         "geo.coverage.population.grid_cells")
    crs = CRS.from_user_input(crs_text)
    metric = cells.geometry.to_crs(crs)
    x0, y0, x1, y1 = shapely.bounds(metric.values).T
    col_all = np.floor((x0 + x1) / 2 / spacing).astype(np.int64)
    row_all = np.floor((y0 + y1) / 2 / spacing).astype(np.int64)
    west, north = int(col_all.min()), int(row_all.max()) + 1
    cols = col_all - west
    rows = north - 1 - row_all
    shape = (int(rows.max()) + 1, int(cols.max()) + 1)
    if len(set(zip(rows.tolist(), cols.tolist(), strict=True))) != len(cells):
        raise ValueError("two grid cells fall into one raster cell: the cells are not one "
                         "grid of the spacing they name")
    transform = rasterio.transform.Affine(spacing, 0.0, west * spacing,
                                          0.0, -spacing, north * spacing)
    return GridGeometry(crs, transform, shape, rows, cols)


def _is_grid(result: ComputedStudy) -> bool:
    dem, cells = result.demand, result.cells
    return len(cells) == len(dem) and bool(
        (cells["cell_id"].to_numpy() == dem["demand_id"].to_numpy()).all())


def grid_minutes(result: ComputedStudy) -> dict[str, npt.NDArray[np.float64]]:
    """Return the minutes per grid cell and standard.

    They are the demand's own where the demand is the grid, else the grid's points timed as the run
    times its bands (not-applicable standards have none).
    """
    if _is_grid(result):
        return dict(result.travel.minutes)
    spacing = float(result.cells.attrs.get("grid_spacing_m") or
                    result.study.population.grid_spacing_m)
    _, points = population.grid_cells(result.area, spacing)
    return dict(result.travel_from(points).minutes)


def _style(lang: str) -> str:
    """Return the map's travel-time bands as a QGIS raster style (a ``.qml`` beside the file)."""
    uppers = [*BREAKS, math.inf]
    classes = [(hi, colour, i18n.text("gis_minutes_band", lang, band=label))
               for hi, colour, label in zip(uppers, BAND_COLOURS, band_labels(), strict=False)]
    return qml.raster_document(classes)


def _tags(result: ComputedStudy, code: str, pixels: npt.NDArray[np.float32],
          unreachable: int) -> dict[str, str]:
    std = result.standard(code)
    lang = result.study.language
    tags = {
        "STUDY": result.study.name, "TITLE": result.study.title,
        "STANDARD": code, "LABEL": i18n.standard_label(std.label, std.label_zh, lang),
        "THRESHOLD_MINUTES": f"{std.minutes:g}", "MODE": std.mode,
        "UNITS": "minutes", "CITATION": std.citation,
        "DESCRIPTION": i18n.text("gis_surface_about", lang),
        "CELLS_WITH_MINUTES": str(int((pixels != NODATA).sum())),
        "CELLS_UNREACHABLE": str(unreachable),
        "NODATA_MEANS": "outside the study area, or no eligible facility within reach "
                        f"({unreachable} cells of the area)" + (
                            ", or in a township the standard does not apply to "
                            f"({result.scopes[code].statement()})"
                            if code in result.scopes else ""),
    }
    tags |= {f"ASSUMPTION_{i + 1}": a for i, a in enumerate(result.assumptions)}
    return tags


def write_surfaces(result: ComputedStudy, folder: Path) -> list[Path]:
    """Write ``<standard>.tif`` and its ``.qml`` style in ``folder``; return the GeoTIFFs.

    There is one for every standard with minutes (see module docs).
    """
    folder.mkdir(parents=True, exist_ok=True)
    geom = grid_geometry(result.cells)
    lang = result.study.language
    out = []
    for code, minutes in grid_minutes(result).items():
        m = np.asarray(minutes, dtype=np.float64)
        pixels = geom.raster(m)
        unreachable = int(np.isinf(m).sum())  # NaN: a township the standard does not apply to
        path = folder / f"{code}.tif"
        height, width = geom.shape
        with rasterio.open(
            path, "w", driver="COG", width=width, height=height, count=1, dtype="float32",
            crs=geom.crs.to_wkt(), transform=geom.transform, nodata=NODATA,
            compress="DEFLATE", predictor=3, overview_resampling="NEAREST",
        ) as dst:
            dst.write(pixels, 1)
            dst.update_tags(**_tags(result, code, pixels, unreachable))
            dst.set_band_description(1, f"minutes to the nearest facility ({code})")
            dst.update_tags(1, UNITS="minutes")
        path.with_suffix(".qml").write_text(_style(lang), encoding="utf-8")
        out.append(path)
    log.info("%d travel-time surfaces written to %s", len(out), folder)
    return out
