"""Type stubs of the compiled kernels (geo/_dijkstra.pyx)."""

import numpy as np
import numpy.typing as npt

_I = npt.NDArray[np.int64]
_F = npt.NDArray[np.float64]
_I32 = npt.NDArray[np.int32]

FOREIGN_SNAP: str  # the error text for a Snap made on another network
QUANTUM: float  # seconds: the grid every search time lies on (2^-24 s)

def snap_seeds(
    seg: _I, t: _F, access_m: _F, seg_u: _I, seg_v: _I, fw: _F, bw: _F, speed: float,
) -> tuple[_I, _F]: ...
def nearest(
    indptr: _I32, indices: _I32, weights: _F, seed_node: _I, seed_dist: _F, seed_label: _I,
    n_labels: int, limit: float, threads: int = ...,
) -> tuple[_F, _I]: ...
class NearestSearch:
    n_nodes: int
    def __init__(
        self, indptr: _I32, indices: _I32, weights: _F, seg_u: _I, seg_v: _I, fw: _F, bw: _F,
    ) -> None: ...
    def nearest(
        self, seg: _I, t: _F, access_m: _F, speed: float, limit: float, threads: int = ...,
        offset: _F | None = ...,
    ) -> tuple[_F, _I]: ...

def bounded_reach(
    indptr: _I32, indices: _I32, weights: _F, seed_ptr: _I, seed_node: _I, seed_dist: _F,
    first_source: int, last_source: int, limit: float, tgt_ptr: _I, tgt_idx: _I,
    tgt_cost: _F, n_targets: int, nodes_are_targets: bool = ...,
) -> tuple[_I, _I32, _F]: ...
def reach_visits(
    indptr: _I32, indices: _I32, weights: _F, seed_ptr: _I, seed_node: _I, seed_dist: _F,
    first_source: int, last_source: int, limits: _F, tgt_ptr: _I, tgt_idx: _I,
    tgt_cost: _F, threads: int = 1,
) -> tuple[_I, _I32, _F]: ...
def replay_reach(
    visit_ptr: _I, visit_tgt: _I32, visit_sec: _F, rows: _I, limit: float, n_targets: int,
) -> tuple[_I, _I32, _F]: ...
def replay_reach_extra(
    visit_ptr: _I, visit_tgt: _I32, visit_sec: _F, rows: _I, limit: float, n_targets: int,
    extra_ptr: _I, extra_col: _I, extra_sec: _F,
) -> tuple[_I, _I32, _F]: ...
def od_rows(
    indptr: _I32, indices: _I32, weights: _F, seed_ptr: _I, seed_node: _I, seed_dist: _F,
    first_source: int, last_source: int, limit: float, tgt_ptr: _I, tgt_idx: _I,
    tgt_cost: _F, out: _F,
) -> None: ...
def merge_min(
    indptr: npt.NDArray[np.int32] | _I, indices: npt.NDArray[np.int32] | _I, data: _F,
    extra_row: _I, extra_col: _I, extra_secs: _F, n_cols: int,
) -> tuple[npt.NDArray[np.int32] | _I, npt.NDArray[np.int32] | _I, _F]: ...
def grow(
    indptr: _I32, indices: _I32, weights: _F, seed_node: _I, seed_dist: _F, label: int,
    dist: _F, lab: _I,
) -> _I: ...
def repair(
    indptr: _I32, indices: _I32, weights: _F, t_indptr: _I32, t_indices: _I32,
    t_weights: _F, closed: int, seed_node: _I, seed_dist: _F, seed_label: _I, dist: _F,
    lab: _I,
) -> _I: ...
def piece_detours(
    indptr: _I32, indices: _I32, weights: _F, cut_ptr: _I, cut_edges: _I, src: _I, dst: _I,
    skip: npt.NDArray[np.uint8], limit: float,
) -> _F: ...
def repair_region(
    indptr: _I32, indices: _I32, weights: _F, t_indptr: _I32, t_indices: _I32,
    t_weights: _F, region: _I, seed_node: _I, seed_dist: _F, seed_label: _I, dist: _F,
    lab: _I, inside: npt.NDArray[np.uint8],
) -> None: ...
