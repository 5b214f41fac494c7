"""Running the QGIS check (:mod:`tests.outputs.qgis_check`) from the tests, where QGIS is
installed: its Python is Debian's ``/usr/bin/python3`` with ``python3-qgis``, never the
project's virtual environment. The pictures go to ``maps/screenshots/``. (Not named
``qgis.py``: beside ``qgis_check.py`` it would stand in for QGIS's own package.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

QGIS_PYTHON = Path("/usr/bin/python3")
QGIS_CHECK = Path(__file__).with_name("qgis_check.py")
SHOTS = ROOT / "maps" / "screenshots"


def has_qgis() -> bool:
    if not QGIS_PYTHON.is_file():
        return False
    probe = subprocess.run([str(QGIS_PYTHON), "-c", "import qgis.core"], capture_output=True,
                           check=False)
    return probe.returncode == 0


needs_qgis = pytest.mark.skipif(not has_qgis(), reason="QGIS is not installed (Debian: "
                                "apt-get install python3-qgis qgis-providers)")


def run_qgis(gpkgs: list[Path], tifs: list[Path], renders: dict[str, list[str]],
             home: Path) -> dict[str, Any]:
    """Run :mod:`tests.outputs.qgis_check` in QGIS's Python; its report. The pictures go to
    ``maps/screenshots/``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    specs = [f"{SHOTS / name}={','.join(layers)}" for name, layers in renders.items()]
    proc = subprocess.run(
        [str(QGIS_PYTHON), str(QGIS_CHECK), *map(str, gpkgs), "--tif", *map(str, tifs),
         "--render", *specs],
        capture_output=True, text=True, timeout=600, check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "partially supported" not in proc.stderr  # GDAL 3.6 reads GeoPackage 1.3 quietly
    from matplotlib.image import imread

    for name in renders:
        image = imread(SHOTS / name)
        drawn = (image[..., :3] < 0.97).any(axis=2).mean()
        assert drawn > 0.03, name  # outlines and areas drawn, not a blank canvas
    return dict(json.loads(proc.stdout))
