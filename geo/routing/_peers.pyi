"""Type stubs of the compiled two-label search (geo/routing/_peers.pyx)."""

import numpy as np
import numpy.typing as npt

_I = npt.NDArray[np.int64]
_F = npt.NDArray[np.float64]
_I32 = npt.NDArray[np.int32]

def two_nearest(
    indptr: _I32, indices: _I32, weights: _F, seed_node: _I, seed_dist: _F, seed_label: _I,
    limit: float,
) -> tuple[_F, _I, _F, _I]: ...
