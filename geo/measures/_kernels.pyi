"""Type stubs of the compiled access-measure passes (geo/measures/_kernels.pyx)."""

import numpy as np
import numpy.typing as npt

_F = npt.NDArray[np.float64]
_Idx = npt.NDArray[np.int32] | npt.NDArray[np.int64]

TWO_STEP: int
COL_SUMS: int
ROW_SUMS: int

def fca(
    mode: int, indptr: _Idx, indices: _Idx, data: _F, n_cols: int, kind: int, params: _F,
    cutoff: float, squared: bool, supply: _F, population: _F, threads: int = ...,
    serial: bool = ...,
) -> tuple[_F | None, _F | None]: ...
