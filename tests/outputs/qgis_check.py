"""Open GeoPackages and GeoTIFFs in real QGIS and report what QGIS sees; render a PNG.

Run with the Python that has QGIS (Debian: ``apt-get install python3-qgis qgis-providers``,
then ``/usr/bin/python3``), never with the project's virtual environment:

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/outputs/qgis_check.py \\
        results.gpkg [more.gpkg ...] [--tif travel_time/emergency_1h.tif ...] \\
        [--render out.png=facilities,townships@7,bands_emergency_1h,area ...]

Prints JSON: per layer whether QGIS opened it, its CRS, the default style QGIS applied
from the GeoPackage's ``layer_styles`` (renderer type, legend texts, labels on or off),
the styles stored for it, its title, the field aliases and value maps, the metadata
abstract; per raster its CRS, size, nodata and band statistics. Each ``--render`` draws
the named layers (first on top) with their default styles, as QGIS would on opening, or
with the K-th style stored for them (``layer@K``).
``tests/outputs/test_gis_outputs.py`` runs it where QGIS is installed. This file imports
nothing of ``geo``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from osgeo import ogr  # QGIS's own GDAL
from qgis.core import (
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtXml import QDomDocument


def _legend(layer: QgsVectorLayer) -> list[str]:
    r = layer.renderer()
    if r is None:
        return []
    return [item.label() for item in r.legendSymbolItems()]


def vector_report(path: str, name: str) -> dict[str, object]:
    """What QGIS sees of one layer of a GeoPackage."""
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    out: dict[str, object] = {"valid": layer.isValid()}
    if not layer.isValid():
        return out
    n, _ids, names, _descr, err = layer.listStylesInDatabase()
    fields = layer.fields()
    renderer = layer.renderer()
    out.update({
        "crs": layer.crs().authid(),
        "features": layer.featureCount(),
        "geometry": layer.geometryType(),
        "renderer": renderer.type() if renderer is not None else None,
        "legend": _legend(layer),
        "labels": layer.labelsEnabled(),
        "opacity": layer.opacity(),
        "styles": list(names)[:n] if n else [],
        "styles_error": err,
        "aliases": {f.name(): f.alias() for f in fields if f.alias()},
        "value_maps": {f.name(): layer.editorWidgetSetup(i).config()
                       for i, f in enumerate(fields)
                       if layer.editorWidgetSetup(i).type() == "ValueMap"},
        "abstract": layer.metadata().abstract(),
        "title": layer.metadata().title(),
    })
    return out


def raster_report(path: str) -> dict[str, object]:
    """What QGIS sees of a GeoTIFF."""
    layer = QgsRasterLayer(path, Path(path).name)
    out: dict[str, object] = {"valid": layer.isValid()}
    if not layer.isValid():
        return out
    prov = layer.dataProvider()
    stats = prov.bandStatistics(1)
    out.update({
        "crs": layer.crs().authid(), "width": layer.width(), "height": layer.height(),
        "nodata": prov.sourceNoDataValue(1) if prov.sourceHasNoDataValue(1) else None,
        "min": stats.minimumValue, "max": stats.maximumValue,
        "renderer": layer.renderer().type() if layer.renderer() else None,
    })
    return out


def _with_style(layer: QgsVectorLayer, k: int) -> QgsVectorLayer:
    """``layer`` with the ``k``-th style stored for it in its GeoPackage."""
    n, ids, _names, _descr, err = layer.listStylesInDatabase()
    if k >= n:
        raise SystemExit(f"{layer.name()} has {n} stored styles, not {k + 1} {err}")
    text, err = layer.getStyleFromDatabase(ids[k])
    doc = QDomDocument()
    doc.setContent(text)
    ok, err = layer.importNamedStyle(doc)
    if not ok:
        raise SystemExit(f"QGIS could not apply style {k + 1} of {layer.name()}: {err}")
    return layer


def render(paths: list[str], names: list[str], png: str,
           size: tuple[int, int] = (1400, 1100)) -> None:
    """Draw ``names`` (``path|layer`` or a layer of the first path, ``@K`` for its K-th
    stored style instead of the default; a .tif; first on top) over the extent of the
    last vector layer (the area, the townships), in its CRS."""
    layers = []
    for n in names:
        if n.endswith(".tif"):
            layers.append(QgsRasterLayer(n, Path(n).name))
            continue
        n, _, k = n.partition("@")
        path, _, layer = n.rpartition("|") if "|" in n else (paths[0], "", n)
        vector = QgsVectorLayer(f"{path}|layername={layer}", layer, "ogr")
        layers.append(_with_style(vector, int(k) - 1) if k and vector.isValid() else vector)
    bad = [n for n, la in zip(names, layers, strict=True) if not la.isValid()]
    if bad:
        raise SystemExit(f"QGIS could not open {bad}")
    frame = [la for la in layers if isinstance(la, QgsVectorLayer)][-1]
    ext = frame.extent()
    pad = max(ext.width(), ext.height()) * 0.03
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(frame.crs())
    settings.setExtent(QgsRectangle(ext.xMinimum() - pad, ext.yMinimum() - pad,
                                    ext.xMaximum() + pad, ext.yMaximum() + pad))
    settings.setOutputSize(QSize(*size))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "PNG")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("gpkg", nargs="*")
    ap.add_argument("--tif", nargs="*", default=[])
    ap.add_argument("--render", nargs="*", default=[],
                    help="OUT.png=LAYER,LAYER,... (first on top), one picture each")
    args = ap.parse_args(argv)
    app = QgsApplication([], False)
    app.initQgis()
    report: dict[str, object] = {"qgis": __import__("qgis.core").core.Qgis.version()}
    for path in args.gpkg:
        ds = ogr.Open(path)
        names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
        ds = None
        report[path] = {n: vector_report(path, n) for n in names if n != "layer_styles"}
    for path in args.tif:
        report[path] = raster_report(path)
    for spec in args.render:
        png, _, names = spec.partition("=")
        render(args.gpkg, [n for n in names.split(",") if n], png)
        report.setdefault("rendered", []).append(png)
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1, default=str)
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
