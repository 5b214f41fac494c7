"""Make a folium page self-contained: vendored scripts and stylesheets inlined.

folium pages load Leaflet and plugins from CDNs when opened. :func:`trim_defaults` drops the
defaults ``geo`` maps do not use (Bootstrap, Font Awesome, awesome-markers) and
:func:`inline_assets` replaces every remaining ``<script src>`` / ``<link rel=stylesheet>`` by
the file of the same name in ``geo/outputs/map/_vendor`` (see its README for versions and
licences), with the images a stylesheet names turned into ``data:`` URIs. A page that would
still load a script or stylesheet from the network is refused. Base-map *tiles* stay online:
they are a layer the user may switch to, and the map draws without them.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from geo.errors import OfflineError

__all__ = ["VENDOR", "OfflineError", "inline_assets", "trim_defaults"]

VENDOR = Path(str(resources.files("geo.outputs.map") / "_vendor"))

#: file name in a CDN URL -> vendored file (relative to VENDOR)
_FILES = {
    "leaflet.js": "leaflet/leaflet.js",
    "jquery-3.7.1.min.js": "jquery/jquery.min.js",
    "leaflet.css": "leaflet/leaflet.css",
    "Control.FullScreen.min.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-measure.min.js": "leaflet-measure/leaflet-measure.min.js",
    "leaflet-measure.min.css": "leaflet-measure/leaflet-measure.css",
    "leaflet-measure.css": "leaflet-measure/leaflet-measure.css",
    "leaflet.markercluster.js": "leaflet.markercluster/leaflet.markercluster.js",
    "MarkerCluster.css": "leaflet.markercluster/MarkerCluster.css",
    "MarkerCluster.Default.css": "leaflet.markercluster/MarkerCluster.Default.css",
}
_LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
_LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
_JQUERY = "https://code.jquery.com/jquery-3.7.1.min.js"  # folium's popups parse HTML with $()
_SCRIPT = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>')
_LINK = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>')
_CSS_URL = re.compile(r"url\((['\"]?)([^)'\"#]+)\1\)")


def trim_defaults(m: Any) -> None:
    """Keep only Leaflet and jQuery among the map's default scripts and stylesheets."""
    m.default_js = [("leaflet", _LEAFLET_JS), ("jquery", _JQUERY)]
    m.default_css = [("leaflet_css", _LEAFLET_CSS)]


def _vendored(url: str) -> Path:
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if name not in _FILES:
        raise OfflineError(
            f"the map loads {url}, which is not vendored in geo/outputs/map/_vendor: vendor it "
            "(see geo/outputs/map/_vendor/README.md) or drop the plugin that needs it"
        )
    return VENDOR / _FILES[name]


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


@cache
def _css(path: Path) -> str:
    text = path.read_text(encoding="utf-8")

    def embed(match: re.Match[str]) -> str:
        ref = match.group(2)
        target = (path.parent / ref).resolve()
        if ref.startswith("data:") or not target.is_file():
            return match.group(0)
        return f'url("{_data_uri(target)}")'

    return _CSS_URL.sub(embed, text)


@cache
def _js(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("</script", "<\\/script")


def inline_assets(page: str) -> str:
    """Return ``page`` with every external script and stylesheet inlined.

    Raises
    ------
    OfflineError
        A script or stylesheet is not vendored (the message names it).
    """
    page = _SCRIPT.sub(lambda mt: f"<script>{_js(_vendored(mt.group(1)))}</script>", page)
    page = _LINK.sub(lambda mt: f"<style>{_css(_vendored(mt.group(1)))}</style>", page)
    if left := re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', page):
        raise OfflineError(f"the map still loads {left} from the network: vendor them")
    return page
