"""The public facade: a short list of entry points, loaded on first use."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import geo


def test_every_public_name_resolves() -> None:
    assert set(geo.__all__) == {"__version__", *geo._EXPORTS}
    for name in geo._EXPORTS:
        obj = getattr(geo, name)
        assert getattr(obj, "__name__", name) == name


def test_version_comes_from_the_installed_metadata() -> None:
    assert geo.__version__ == version("geo-access")


def test_import_geo_stays_light() -> None:
    code = "import sys, geo; print('geopandas' in sys.modules, 'folium' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
