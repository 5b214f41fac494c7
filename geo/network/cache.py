"""Network cache: build a network once, save it as compact arrays, reload it in a blink.

A cache file (``.npz``, uncompressed NumPy arrays, no pickles) holds one network per
travel mode: node coordinates (metric CRS) and source node ids, segment end nodes (the
segments are the straight pieces between consecutive way vertices, so the node
coordinates *are* the edge geometry), seconds each way, road class codes, the CRS as
WKT, the build report, and what it was built from, and, where the network has one, its
contraction hierarchy (:mod:`geo.routing.hierarchy`: arrays under ``MODE/hierarchy/``,
saved with a fingerprint of the segments it was built from and used only on a network
with the same fingerprint). ``geo network build`` writes one; a study names it as its
``[roads] path``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS

from geo._atomic import atomic_path
from geo._files import input_file
from geo.errors import InputFileError
from geo.network.graph import Network, NetworkReport

__all__ = ["FORMAT", "HIERARCHY", "cache_source", "load_networks", "network_fingerprint",
           "recorded_source", "save_networks"]

# /2: maxspeed values that are not a speed or above settings.MAX_MAXSPEED_KMH are no
# longer used (a /1 cache may hold such speeds), and the report counts them.
# /3: the contraction hierarchy is saved with each network (an older cache is rebuilt, so
# that origin-destination queries on it do not contract the network at every run).
FORMAT = "geo-access-network/3"

#: ``Network._kernels`` key of a network's contraction hierarchy: ``(fingerprint, arrays)``
#: (:mod:`geo.routing.hierarchy` makes it; this module saves and loads it)
HIERARCHY = "hierarchy"


def network_fingerprint(net: Network) -> str:
    """Digest what routing reads of a network (node count, segment ends, seconds each way).

    A hierarchy is used only on a network with its fingerprint.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(np.int64(net.n_nodes).tobytes())
    for a, dtype in ((net.seg_u, np.int64), (net.seg_v, np.int64), (net.seg_fw_s, np.float64),
                     (net.seg_bw_s, np.float64)):
        h.update(np.ascontiguousarray(a, dtype=dtype).tobytes())
    return h.hexdigest()


def _hierarchy_arrays(net: Network) -> tuple[str, dict[str, Any]] | None:
    """Return the network's hierarchy, when it has one made for it."""
    kept = net._kernels.get(HIERARCHY)
    if kept is None or kept[0] != network_fingerprint(net):
        return None
    return kept[0], kept[1]


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
        kept = _hierarchy_arrays(net)
        if kept is not None:
            meta[mode]["hierarchy"] = {"fingerprint": kept[0], "arrays": sorted(kept[1])}
            arrays |= {f"{mode}/hierarchy/{k}": v for k, v in kept[1].items()}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    with atomic_path(p, ".npz") as tmp:
        np.savez(tmp, **arrays)
    return p


def _rebuild(p: Path, meta: Mapping[str, Any] | None = None) -> str:
    """Return the command that rebuilds cache ``p``, from the source it records when it can."""
    src = (meta or {}).get("source", {}) if isinstance(meta, Mapping) else {}
    src = src if isinstance(src, Mapping) else {}
    if src.get("osmnx_download"):  # made by `geo network download BOUNDARY`
        return (f"`geo network download {src['osmnx_download']} --out {p} --buffer-km "
                f"{src.get('buffer_km', 'KM')}`")
    return f"`geo network build {src.get('path') or 'SOURCE'} --out {p}`"


def _meta(data: Any, p: Path) -> dict[str, Any]:
    if "meta" not in data.files:
        raise InputFileError(f"{p} is not a network cache (no metadata): build one with "
                             "`geo network build SOURCE --out FILE`")
    meta = json.loads(bytes(data["meta"]).decode())
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise InputFileError(f"{p} is a network cache of format {found!r}, this version "
                             f"reads {FORMAT!r}: rebuild it with {_rebuild(p, meta)}")
    return meta


def _network(data: Any, meta: Mapping[str, Any], mode: str) -> Network:
    """Rebuild one mode's network, its arrays checked to fit together.

    A damaged file would otherwise give wrong times or a crash deep in a search.
    """
    m = meta[mode]
    classes = np.asarray(m["classes"], dtype=object)
    a = {k: data[f"{mode}/{k}"] for k in ("node_xy", "seg_u", "seg_v", "seg_fw_s", "seg_bw_s",
                                          "seg_class_code")}
    ids = data[f"{mode}/node_ids"] if f"{mode}/node_ids" in data.files else None
    n, s = len(a["node_xy"]), len(a["seg_u"])
    problems = [
        a["node_xy"].ndim != 2 or a["node_xy"].shape[1:] != (2,),
        any(len(a[k]) != s for k in ("seg_v", "seg_fw_s", "seg_bw_s", "seg_class_code")),
        ids is not None and len(ids) != n,
        s > 0 and (min(a["seg_u"].min(), a["seg_v"].min()) < 0
                   or max(a["seg_u"].max(), a["seg_v"].max()) >= n),
        s > 0 and (a["seg_class_code"].min() < 0 or a["seg_class_code"].max() >= len(classes)),
        bool(np.isnan(a["seg_fw_s"]).any() or np.isnan(a["seg_bw_s"]).any()),
        bool((a["seg_fw_s"] < 0).any() or (a["seg_bw_s"] < 0).any()),
        not np.isfinite(a["node_xy"]).all(),
    ]
    if any(problems):
        raise ValueError(f"the {mode!r} arrays do not fit together")
    net = Network(CRS.from_wkt(m["crs"]), a["node_xy"], a["seg_u"], a["seg_v"], a["seg_fw_s"],
                  a["seg_bw_s"], classes[a["seg_class_code"]], m["mode"],
                  NetworkReport(**m["report"]), ids)
    h = m.get("hierarchy")
    if h is not None:
        if h["fingerprint"] != network_fingerprint(net):
            raise ValueError(f"the {mode!r} hierarchy was made for another network")
        # the arrays themselves are checked when a query first uses them
        net._kernels[HIERARCHY] = (h["fingerprint"],
                                   {k: data[f"{mode}/hierarchy/{k}"] for k in h["arrays"]})
    return net


def load_networks(path: str | Path, modes: list[str] | None = None) -> dict[str, Network]:
    """Read the networks of a cache file (all modes, or those named).

    Raises
    ------
    geo.errors.InputFileError
        The file is missing, not a network cache, of another format version, lacks a mode,
        or is damaged (truncated, overwritten, arrays that do not fit together); the
        message names the ``geo network build`` command that rebuilds it.
    """
    p = input_file(path, "network cache", "build it with `geo network build SOURCE --out FILE`")
    meta: dict[str, Any] | None = None
    try:
        data = np.load(p, allow_pickle=False)
        if not hasattr(data, "files"):  # a single .npy array, not an .npz archive
            raise ValueError("a single array, not an .npz archive")
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as e:
        raise InputFileError(f"{p} is not a network cache (not a readable .npz archive: "
                             f"it may be truncated or another file): rebuild it with "
                             f"{_rebuild(p)}") from e
    try:
        with data:
            meta = _meta(data, p)
            want = modes if modes is not None else list(meta["modes"])
            missing = sorted(set(want) - set(meta["modes"]))
            if missing:
                src = (meta.get("source") or {}).get("path") if isinstance(
                    meta.get("source"), dict) else None
                raise InputFileError(
                    f"network cache {p} has modes {meta['modes']}, not {missing}: rebuild it "
                    f"with `geo network build {src or 'SOURCE'} --out {p.name} --modes "
                    f"{','.join(sorted(set(want) | set(meta['modes'])))}`"
                )
            return {mode: _network(data, meta, mode) for mode in want}
    except InputFileError:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError,
            zipfile.BadZipFile) as e:
        raise InputFileError(
            f"network cache {p} is damaged or not a network cache ({type(e).__name__}: {e}): "
            f"rebuild it with {_rebuild(p, meta)}"
        ) from e


def recorded_source(path: str | Path) -> str | None:
    """Return the road source a cache records it was built from.

    A file, or the boundary of an osmnx download; None when it records none or cannot be
    read.
    """
    try:
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
        src = meta.get("source", {})
        where = src.get("path") or src.get("osmnx_download")
    except (OSError, EOFError, ValueError, KeyError, AttributeError, TypeError,
            zipfile.BadZipFile):
        return None
    return str(where) if where else None


def cache_source(path: str | Path) -> dict[str, Any]:
    """Describe what a cache was built from: the source file's name, size and modification time."""
    p = Path(path)
    st = p.stat()
    return {"path": str(p.resolve()), "bytes": st.st_size, "mtime": st.st_mtime}
