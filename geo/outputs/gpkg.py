"""GeoPackages that open styled in QGIS: every GeoPackage ``geo`` writes goes through here.

:func:`write_gpkg` writes layers (:class:`GisLayer`) into a new GeoPackage with:

- each layer's title and description in ``gpkg_contents`` (``identifier`` and
  ``description``: Chinese for Chinese studies), tables without geometry as ``attributes``
  tables (not as layers of unknown geometry);
- its QML styles (:mod:`geo.outputs.qml`) in a ``layer_styles`` table laid out as QGIS
  writes it (the GeoPackage extension QGIS reads: ``f_table_catalog``, ``f_table_schema``,
  ``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``,
  ``useAsDefault``, ``description``, ``owner``, ``ui``, ``update_time``); QGIS applies the
  default style (the first of a layer) when the layer is opened and offers the others under
  Layer Properties → Style;
- what every layer rests on (the study's assumptions and data rights) once, as QGIS layer
  metadata in ``gpkg_metadata`` (the GeoPackage metadata extension), referenced by every
  table: QGIS shows it under Layer Properties → Metadata, GDAL as ``GPKG_METADATA_ITEM_1``;
- GeoPackage version 1.3 (``application_id`` GPKG, ``user_version`` 10300): the GDAL of
  QGIS 3.22 LTR and 3.28 LTR builds on GDAL < 3.7.1 (3.6 on Debian 12) warns that a 1.4 file
  "may only be partially supported", and 1.4 brings nothing these files use.
"""

from __future__ import annotations

import contextlib
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.outputs import qml

__all__ = ["GPKG_VERSION", "About", "GisLayer", "write_gpkg"]

GPKG_VERSION = "1.3"
_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"
_QGIS_MD = "http://mrcc.com/qgis.dtd"


@dataclass
class GisLayer:
    """One table of a GeoPackage: its name, rows, title, description and styles.

    ``frame`` is a GeoDataFrame (a spatial layer) or a DataFrame (a table; a GeoDataFrame
    without any geometry is written as a table too). ``styles`` are (name, style) pairs;
    the first is the layer's default style.
    """

    name: str
    frame: pd.DataFrame
    title: str
    description: str = ""
    styles: Sequence[tuple[str, qml.Style]] = ()


@dataclass
class About:
    """What every layer of a GeoPackage rests on: its title, language, assumptions and
    data rights (one ``gpkg_metadata`` entry, see module docs)."""

    name: str
    title: str
    language: str
    assumptions: Sequence[str] = ()
    rights: Sequence[str] = field(default_factory=list)
    #: the run's date (YYYY-MM-DD), the styles' ``update_time``: a file written twice from
    #: one run is the same file
    created: str = ""


def _spatial(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and bool(frame.geometry.notna().any())


def _frame(layer: GisLayer) -> pd.DataFrame:
    if _spatial(layer.frame):
        return layer.frame
    out = pd.DataFrame(layer.frame)
    return out.drop(columns=[c for c in out.columns if isinstance(out[c].dtype,
                                                                  gpd.array.GeometryDtype)])


def _check(layers: Sequence[GisLayer]) -> None:
    names = [la.name.lower() for la in layers]
    titles = [la.title for la in layers]
    for what, values in (("name", names), ("title", titles)):
        if twice := sorted({v for v in values if values.count(v) > 1}):
            raise ValueError(f"two GeoPackage layers with the same {what}: {twice}")
    if "layer_styles" in names:
        raise ValueError("layer_styles is the styles table: name the layer otherwise")


@contextlib.contextmanager
def _unsynced() -> Iterator[None]:
    """SQLite without an fsync per layer while a new file is written: the writers write into
    a staging folder and move the finished file in (:mod:`geo.outputs.folder`), so a crash
    loses only the staging copy; it halves the time of a file of twenty layers."""
    key = "OGR_SQLITE_SYNCHRONOUS"
    before = pyogrio.get_gdal_config_option(key)
    pyogrio.set_gdal_config_options({key: "OFF"})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({key: before})


def write_gpkg(path: Path, layers: Sequence[GisLayer], about: About) -> None:
    """Write ``layers`` into a new GeoPackage at ``path`` (see module docs).

    ``path`` must not exist (the output writers give a fresh staging path).
    """
    _check(layers)
    with _unsynced():
        _write(path, layers, about.created)
    _metadata(path, [la.name for la in layers], about)


def _write(path: Path, layers: Sequence[GisLayer], created: str) -> None:
    styles: list[dict[str, object]] = []
    when = pd.Timestamp(created, tz="UTC") if created else pd.NaT
    for i, layer in enumerate(layers):
        frame = _frame(layer)
        spatial = isinstance(frame, gpd.GeoDataFrame)
        opts = {"IDENTIFIER": layer.title, "DESCRIPTION": layer.description}
        create = {"VERSION": GPKG_VERSION} if i == 0 else None
        pyogrio.write_dataframe(frame, path, layer=layer.name, driver="GPKG",
                                layer_options=opts, dataset_options=create)
        columns = [str(c) for c in frame.columns if c != getattr(frame, "_geometry_column_name",
                                                                  None)]
        for k, (name, style) in enumerate(layer.styles):
            styles.append({
                "f_table_catalog": "", "f_table_schema": "", "f_table_name": layer.name,
                "f_geometry_column": "geom" if spatial else "", "styleName": name,
                "styleQML": qml.document(style, columns), "styleSLD": "",
                "useAsDefault": k == 0, "description": layer.title, "owner": "", "ui": "",
                "update_time": when})
    if styles:
        pyogrio.write_dataframe(pd.DataFrame(styles), path, layer="layer_styles",
                                driver="GPKG", layer_options={"FID": "id"})


def _metadata_xml(about: About) -> str:
    """QGIS layer metadata (the ``qgis.dtd`` layout QGIS writes into ``gpkg_metadata``)."""
    root = ET.Element("qgis", version=qml.QGIS_VERSION)
    for tag, text in (("identifier", about.name), ("parentidentifier", ""),
                      ("language", about.language), ("type", "dataset"),
                      ("title", about.title),
                      ("abstract", "\n".join(f"{i + 1}. {a}"
                                             for i, a in enumerate(about.assumptions)))):
        ET.SubElement(root, tag).text = text
    ET.SubElement(root, "links")
    ET.SubElement(root, "fees").text = ""
    for right in about.rights:
        ET.SubElement(root, "rights").text = right
    ET.SubElement(root, "encoding").text = ""
    ET.SubElement(root, "extent")
    ET.indent(root, "  ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def _metadata(path: Path, tables: Sequence[str], about: About) -> None:
    """One ``gpkg_metadata`` entry (:func:`_metadata_xml`), referenced by every table."""
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE IF NOT EXISTS gpkg_metadata (
              id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
              md_scope TEXT NOT NULL DEFAULT 'dataset',
              md_standard_uri TEXT NOT NULL,
              mime_type TEXT NOT NULL DEFAULT 'text/xml',
              metadata TEXT NOT NULL DEFAULT '');
            CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (
              reference_scope TEXT NOT NULL,
              table_name TEXT,
              column_name TEXT,
              row_id_value INTEGER,
              timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              md_file_id INTEGER NOT NULL,
              md_parent_id INTEGER,
              CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
              CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
            CREATE TABLE IF NOT EXISTS gpkg_extensions (
              table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
              definition TEXT NOT NULL, scope TEXT NOT NULL,
              CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
        """)
        for table in ("gpkg_metadata", "gpkg_metadata_reference"):
            con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, "
                        "'gpkg_metadata', ?, 'read-write')", (table, _EXTENSION))
        cur = con.execute("INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, "
                          "metadata) VALUES ('dataset', ?, 'text/xml', ?)",
                          (_QGIS_MD, _metadata_xml(about)))
        md = cur.lastrowid
        con.executemany("INSERT INTO gpkg_metadata_reference (reference_scope, table_name, "
                        "md_file_id) VALUES ('table', ?, ?)", [(t, md) for t in tables])
