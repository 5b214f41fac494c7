"""Network cache: build a network once, save it as compact arrays, reload it in a blink.

A cache file (``.npz``, uncompressed NumPy arrays, no pickles) holds one network per
travel mode: node coordinates (metric CRS) and source node ids, segment end nodes (the
segments are the straight pieces between consecutive way vertices, so the node
coordinates *are* the edge geometry), seconds each way, road class codes, the CRS as
WKT, the build report, and what it was built from. ``geo network build`` writes one;
a study names it as its ``[roads] path``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS

from geo._atomic import atomic_path
from geo.errors import InputFileError
from geo.network.graph import Network, NetworkReport

__all__ = ["FORMAT", "load_networks", "save_networks"]

FORMAT = "geo-access-network/1"


def save_networks(path: str | Path, networks: Mapping[str, Network],
                  source: Mapping[str, Any] | None = None) -> Path:
    """Write ``networks`` (mode -> Network) to ``path`` atomically (temp file, then rename)."""
    p = Path(path)
    arrays: dict[str, Any] = {}
    meta: dict[str, Any] = {"format": FORMAT, "modes": sorted(networks), "source": source or {}}
    for mode, net in networks.items():
        classes, codes = np.unique(net.seg_class.astype(str), return_inverse=True)
        arrays |= {
            f"{mode}/node_xy": net.node_xy,
            f"{mode}/seg_u": net.seg_u.astype(np.int64),
            f"{mode}/seg_v": net.seg_v.astype(np.int64),
            f"{mode}/seg_fw_s": net.seg_fw_s,
            f"{mode}/seg_bw_s": net.seg_bw_s,
            f"{mode}/seg_class_code": codes.astype(np.int32),
        }
        if net.node_ids is not None:
            arrays[f"{mode}/node_ids"] = net.node_ids
        meta[mode] = {"crs": net.crs.to_wkt(), "classes": classes.tolist(),
                      "report": dataclasses.asdict(net.report), "mode": net.mode}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    with atomic_path(p, ".npz") as tmp:
        np.savez(tmp, **arrays)
    return p


def _meta(data: Any, p: Path) -> dict[str, Any]:
    if "meta" not in data.files:
        raise InputFileError(f"{p} is not a network cache (no metadata): build one with "
                             "`geo network build SOURCE --out FILE`")
    meta: dict[str, Any] = json.loads(bytes(data["meta"]).decode())
    if meta.get("format") != FORMAT:
        raise InputFileError(f"{p} is a network cache of format {meta.get('format')!r}, this "
                             f"version reads {FORMAT!r}: rebuild it with `geo network build`")
    return meta


def load_networks(path: str | Path, modes: list[str] | None = None) -> dict[str, Network]:
    """Read the networks of a cache file (all modes, or those named)."""
    p = Path(path)
    if not p.is_file():
        raise InputFileError(f"network cache {p} not found: build it with "
                             "`geo network build SOURCE --out FILE`")
    try:
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise InputFileError(f"{p} is not a readable network cache: {e}") from e
    with data:
        meta = _meta(data, p)
        want = modes if modes is not None else meta["modes"]
        missing = sorted(set(want) - set(meta["modes"]))
        if missing:
            raise InputFileError(
                f"network cache {p} has modes {meta['modes']}, not {missing}: rebuild it with "
                f"`geo network build SOURCE --out {p.name} --modes {','.join(sorted(want))}`"
            )
        out = {}
        for mode in want:
            m = meta[mode]
            classes = np.asarray(m["classes"], dtype=object)
            ids = data[f"{mode}/node_ids"] if f"{mode}/node_ids" in data.files else None
            out[mode] = Network(
                CRS.from_wkt(m["crs"]), data[f"{mode}/node_xy"], data[f"{mode}/seg_u"],
                data[f"{mode}/seg_v"], data[f"{mode}/seg_fw_s"], data[f"{mode}/seg_bw_s"],
                classes[data[f"{mode}/seg_class_code"]], m["mode"],
                NetworkReport(**m["report"]), ids,
            )
    return out


def cache_source(path: str | Path) -> dict[str, Any]:
    """What a cache was built from: the source file's name, size and modification time."""
    p = Path(path)
    st = p.stat()
    return {"path": str(p.resolve()), "bytes": st.st_size, "mtime": st.st_mtime}
