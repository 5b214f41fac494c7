"""The planner's workbench: ``geo serve STUDY``, what-if siting in the browser.

A local web app (:mod:`geo.serve.app`, FastAPI on uvicorn) that loads a computed study
once and serves one page (vendored Leaflet, works offline) on a :class:`Session`: the
incremental engine (:mod:`geo.whatif`) with its coverage table, undo and redo, site
suggestions (:mod:`geo.planning.sites`), and the round trip with scenario files and
``geo compare`` folders. :class:`Workbench` binds and runs it.
"""

from geo.serve.app import allowed_hosts, create_app
from geo.serve.server import Workbench
from geo.serve.session import Session

__all__ = ["Session", "Workbench", "allowed_hosts", "create_app"]
