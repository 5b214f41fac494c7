"""Type stubs of the compiled contraction hierarchy (geo/routing/_hierarchy.pyx)."""

import numpy as np
import numpy.typing as npt

_I = npt.NDArray[np.int64]
_I32 = npt.NDArray[np.int32]
_F = npt.NDArray[np.float64]

ARRAYS: tuple[str, ...]  # the arrays contract() returns and Hierarchy() takes, in order

def contract(
    indptr: _I32, indices: _I32, weights: _F, max_pops: int = ..., rate_pops: int = ...,
    threads: int = ..., batch: int = ...,
) -> dict[str, npt.NDArray[np.generic]]: ...

class Hierarchy:
    n_nodes: int
    n_arcs: int
    def __init__(
        self, rank: npt.NDArray[np.generic], up_ptr: npt.NDArray[np.generic],
        up_head: npt.NDArray[np.generic], up_w: npt.NDArray[np.generic],
        dn_ptr: npt.NDArray[np.generic], dn_head: npt.NDArray[np.generic],
        dn_w: npt.NDArray[np.generic],
    ) -> None: ...
    def select(self, nodes: _I, reverse: bool = ...) -> tuple[_I32, _I, _I32, _F, _I32]: ...
    def many_to_many(
        self, seed_ptr: _I, seed_node: _I, seed_secs: _F, local: _I32, rptr: _I, rhead: _I32,
        rw: _F, tn_local: _I32, tn_ptr: _I, tn_tgt: _I, tn_cost: _F, limit: float, out: _F,
        reverse: bool = ..., threads: int = ...,
    ) -> None: ...
