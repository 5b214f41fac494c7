"""The region's road network built once and cut per area: a partitioned network cache.

:func:`prepare_network` builds the region's networks from the template's road source (a
line layer, an OSM extract or a ``geo network build`` cache) once and writes them as a
folder of plain ``.npy`` arrays, nodes sorted by square tile (:data:`geo.settings.BATCH_TILE_KM`)
and segments by the tile of their first node, with the offsets of every tile. Its
``meta.json`` keeps a fingerprint of the source and the road options; a later batch with
the same ones reuses it without reading the source again.

:func:`cut_networks` (run by each area's task, on a worker) memory-maps those arrays and
reads only the tiles under the area's buffered zone: a worker holds one area and its
buffer, never the region. It keeps the nodes inside the zone and the segments with both
ends kept, then the largest strongly connected part (what it drops is reported, as for any
network), and states the cut in the network's assumptions, so every output of the area says
it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from geo import __version__
from geo._types import IntArray
from geo.errors import NetworkError
from geo.network.cache import FORMAT as NETWORK_FORMAT
from geo.network.graph import Network, NetworkReport, keep_largest_component
from geo.study import inputs
from geo.study.schema import Study

__all__ = ["FORMAT", "cut_networks", "prepare_network", "region_segments", "source_key"]

log = logging.getLogger(__name__)

# /2: each mode's meta holds the longest segment and the top speed (the buffer check)
FORMAT = "geo-batch-network/2"
_ARRAYS = ("node_xy", "seg_u", "seg_v", "seg_fw_s", "seg_bw_s", "seg_class_code", "node_ptr",
           "seg_ptr")


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    parts = [path] + ([q for ext in (".dbf", ".shx", ".prj", ".cpg")
                       if (q := path.with_suffix(ext)).is_file()]
                      if path.suffix.lower() == ".shp" else [])
    for part in parts:
        with part.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def source_key(template: Study, modes: Iterable[str], tile_m: float) -> str:
    """Fingerprint what the partitioned cache is built from.

    That is the road source's bytes, the road options, the modes, the tile size, its format and the
    network cache format.
    """
    options = dataclasses.asdict(inputs.road_options(template))
    # the network cache format names the rules the networks are built by (maxspeed, one-way):
    # a partition built under older rules is rebuilt, as a cache of an older format is
    blob = json.dumps({"format": FORMAT, "network_format": NETWORK_FORMAT,
                       "source": _file_digest(template.roads.path),
                       "options": options, "modes": sorted(modes), "tile_m": tile_m},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _write_mode(net: Network, folder: Path, tile_m: float) -> dict[str, Any]:
    """Return one mode's arrays sorted by tile, and the metadata to read them."""
    xy = net.node_xy
    x0, y0 = (float(v) for v in xy.min(axis=0))
    nx = int((xy[:, 0].max() - x0) // tile_m) + 1
    ny = int((xy[:, 1].max() - y0) // tile_m) + 1
    tile = ((xy[:, 1] - y0) // tile_m).astype(np.int64) * nx + ((xy[:, 0] - x0) // tile_m
                                                                ).astype(np.int64)
    order = np.argsort(tile, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    tile_sorted = tile[order]
    u, v = rank[net.seg_u], rank[net.seg_v]
    seg_order = np.argsort(tile_sorted[u], kind="stable")
    classes, codes = np.unique(net.seg_class.astype(str), return_inverse=True)
    arrays = {
        "node_xy": xy[order], "seg_u": u[seg_order], "seg_v": v[seg_order],
        "seg_fw_s": net.seg_fw_s[seg_order], "seg_bw_s": net.seg_bw_s[seg_order],
        "seg_class_code": codes.astype(np.int32)[seg_order],
        "node_ptr": np.searchsorted(tile_sorted, np.arange(nx * ny + 1)),
        "seg_ptr": np.searchsorted(tile_sorted[u][seg_order], np.arange(nx * ny + 1)),
    }
    if net.node_ids is not None:
        arrays["node_ids"] = net.node_ids[order]
    folder.mkdir(parents=True)
    for name, arr in arrays.items():
        np.save(folder / f"{name}.npy", np.ascontiguousarray(arr))
    length = net.seg_length_m
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = length / np.minimum(net.seg_fw_s, net.seg_bw_s)
    speed = speed[np.isfinite(speed)]
    return {"crs": net.crs.to_wkt(), "x0": x0, "y0": y0, "nx": nx, "ny": ny,
            "tile_m": tile_m, "classes": classes.tolist(), "mode": net.mode,
            "max_seg_m": float(length.max()) if len(length) else 0.0,
            "max_speed_ms": float(speed.max()) if len(speed) else 0.0,
            "nodes": net.n_nodes, "segments": len(net.seg_u),
            "report": dataclasses.asdict(net.report), "node_ids": net.node_ids is not None}


def _swap_in(stage: Path, dest: Path) -> None:
    old = dest.with_name(f".old-{dest.name}")
    if dest.exists():
        shutil.rmtree(old, ignore_errors=True)
        dest.replace(old)
    stage.replace(dest)
    shutil.rmtree(old, ignore_errors=True)


def _clean_leftovers(dest: Path) -> None:
    """Remove what a killed build of ``dest`` left beside it.

    Its staging folders and the previous copy it was swapping out (the caller holds the batch
    folder's lock, so no other build is running).
    """
    name = re.compile(rf"\.{re.escape(dest.name)}\.staging-[a-z0-9_]{{8}}|"
                      rf"\.old-{re.escape(dest.name)}")
    for p in dest.parent.iterdir():
        if name.fullmatch(p.name) and p.is_dir() and not p.is_symlink():
            log.warning("removed %s, left by an interrupted build of %s", p, dest)
            shutil.rmtree(p, ignore_errors=True)


def prepare_network(template: Study, modes: Iterable[str], dest: Path, tile_m: float,
                    progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Build the partitioned cache of the template's roads in ``dest`` and return its metadata.

    A cache whose fingerprint matches is reused.
    """
    modes = sorted(set(modes))
    key = source_key(template, modes, tile_m)
    meta_path = dest / "meta.json"
    if meta_path.is_file():
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") == key:
            log.info("reusing the partitioned network in %s", dest)
            return meta
    if progress:
        progress(f"build the road network of {template.roads.path.name} (once)")
    nets = inputs.networks(template, modes)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(dest)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staging-", dir=dest.parent))
    try:
        meta = {"format": FORMAT, "key": key, "geo": __version__,
                "source": os.fspath(template.roads.path), "modes": modes}
        for mode in modes:
            meta[mode] = _write_mode(nets[mode], stage / mode, tile_m)
        (stage / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
        _swap_in(stage, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return meta


def _ranges(ptr: npt.NDArray[Any], m: Mapping[str, Any], bounds: tuple[float, ...]
            ) -> list[tuple[int, int]]:
    """Return (start, stop) of the rows of the tiles under ``bounds`` (one run per tile row)."""
    t, nx, ny = float(m["tile_m"]), int(m["nx"]), int(m["ny"])
    minx, miny, maxx, maxy = bounds
    tx0 = max(int((minx - m["x0"]) // t), 0)
    tx1 = min(int((maxx - m["x0"]) // t), nx - 1)
    ty0 = max(int((miny - m["y0"]) // t), 0)
    ty1 = min(int((maxy - m["y0"]) // t), ny - 1)
    if tx0 > tx1 or ty0 > ty1:
        return []
    return [(int(ptr[ty * nx + tx0]), int(ptr[ty * nx + tx1 + 1])) for ty in range(ty0, ty1 + 1)]


def _take(arr: npt.NDArray[Any], ranges: list[tuple[int, int]]) -> npt.NDArray[Any]:
    parts = [np.asarray(arr[a:b]) for a, b in ranges if b > a]
    return np.concatenate(parts) if parts else np.asarray(arr[0:0])


def _cut_mode(folder: Path, m: Mapping[str, Any], zone: BaseGeometry, buffer_km: float,
              area_name: str) -> Network:
    crs = CRS.from_wkt(m["crs"])
    zone_m = gpd.GeoSeries([zone], crs=4326).to_crs(crs).iloc[0]
    shapely.prepare(zone_m)
    load = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in _ARRAYS}
    nodes = _ranges(load["node_ptr"], m, zone_m.bounds)
    ids = np.concatenate([np.arange(a, b) for a, b in nodes]) if nodes else np.zeros(0, int)
    xy = _take(load["node_xy"], nodes)
    inside = shapely.contains_xy(zone_m, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
    kept = ids[inside]  # ascending: tiles are numbered row by row
    segs = _ranges(load["seg_ptr"], m, zone_m.bounds)
    u, v = _take(load["seg_u"], segs), _take(load["seg_v"], segs)
    lu, lv = _local(kept, u), _local(kept, v)
    keep = (lu >= 0) & (lv >= 0)
    classes = np.asarray(m["classes"], dtype=object)
    report = NetworkReport(**{**m["report"], "assumptions": [
        *m["report"].get("assumptions", []),
        f"{m['mode']} roads cut to {area_name} and {buffer_km:g} km around it by geo batch "
        f"({int(inside.sum()):,} of {m['nodes']:,} nodes of the region's network): routes "
        "and facilities beyond that are not seen"]})
    node_ids = _take(np.load(folder / "node_ids.npy", mmap_mode="r"), nodes)[inside] \
        if m.get("node_ids") else None
    net = Network(crs, xy[inside], lu[keep], lv[keep], _take(load["seg_fw_s"], segs)[keep],
                  _take(load["seg_bw_s"], segs)[keep],
                  classes[_take(load["seg_class_code"], segs)[keep]], m["mode"], report,
                  node_ids)
    if net.n_nodes < 2 or len(net.seg_u) == 0:
        raise NetworkError(f"no {m['mode']} roads of the region lie within {buffer_km:g} km of "
                           f"{area_name}: check that the areas layer and the road source "
                           "cover the same region, or raise [batch] buffer_km")
    return net


def region_segments(folder: Path, mode: str, bounds: tuple[float, ...]
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64],
                               npt.NDArray[np.object_]]:
    """Read the region's ``mode`` segments whose first node lies in a tile under ``bounds``.

    ``bounds`` is metric, in the partition's CRS. Returns their end points (two (n, 2)
    arrays) and classes, read from the memory-mapped tiles as :func:`cut_networks` reads
    them.
    """
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))[mode]
    base = folder / mode
    load = {n: np.load(base / f"{n}.npy", mmap_mode="r") for n in
            ("seg_u", "seg_v", "seg_ptr", "seg_class_code", "node_xy")}
    segs = _ranges(load["seg_ptr"], meta, bounds)
    u, v = _take(load["seg_u"], segs), _take(load["seg_v"], segs)
    xy = load["node_xy"]
    classes = np.asarray(meta["classes"], dtype=object)
    return (np.asarray(xy[u], dtype=float).reshape(-1, 2),
            np.asarray(xy[v], dtype=float).reshape(-1, 2),
            classes[_take(load["seg_class_code"], segs)])


def _local(kept: IntArray, ids: npt.NDArray[Any]) -> IntArray:
    """Return position of each of ``ids`` in the sorted ``kept``, -1 where absent."""
    pos = np.searchsorted(kept, ids)
    pos = np.minimum(pos, max(len(kept) - 1, 0))
    hit = (kept[pos] == ids) if len(kept) else np.zeros(len(ids), bool)
    return np.where(hit, pos, -1).astype(np.int64)


def cut_networks(folder: Path, zone: BaseGeometry, modes: Iterable[str], *,
                 min_component_share: float, buffer_km: float,
                 area_name: str) -> dict[str, Network]:
    """Return the networks of ``modes`` inside ``zone`` (WGS84).

    Each is its largest strongly connected part (see the module docs).
    """
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    fix = (f"raise [batch] buffer_km (now {buffer_km:g}) so that the roads around "
           f"{area_name} stay connected, or lower [roads] min_component_share in the template")
    return {mode: keep_largest_component(
        _cut_mode(folder / mode, meta[mode], zone, buffer_km, area_name),
        min_component_share, fix) for mode in sorted(set(modes))}
