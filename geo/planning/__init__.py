"""Planning questions on a computed study: candidate sites, siting and designation,
scenarios and before/after comparison.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
