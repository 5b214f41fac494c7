"""A study: its typed file (schema), inputs read and checked, the stages before routing,
the computed study (``run_study``), resource measures and ``geo init``.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
