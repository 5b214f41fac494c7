"""Location models on arrays (no geopandas): MCLP, LSCP and p-median over a sparse
candidate x demand coverage structure, exact on HiGHS or by greedy + swap with bounds.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
