"""Everything a run writes: tables, results.gpkg, the offline map, figures, report,
workbook, and the siting / designation / comparison outputs, each folder all or nothing.
"""

import lazy_loader

#: the public names, imported on first use (lazy_loader, SPEC 1): __init__.pyi lists them
__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
