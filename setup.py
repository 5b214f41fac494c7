"""Build the compiled kernels (geo/routing/_dijkstra.pyx, geo/routing/_peers.pyx,
geo/routing/_hierarchy.pyx, geo/measures/_kernels.pyx), and put the files geo reads at run time into
the package.

Everything else is in pyproject.toml.
"""

from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: files geo reads at run time that the repository keeps at its top level, the one copy
#: anyone edits (geo.settings.shipped finds them): the facility-type table, the standards, the
#: embedded studies and scenarios, and their data with its provenance
SHIPPED = (
    "analysis/*.toml",
    "analysis/scenarios/*.toml",
    "data/*.md",
    "data/boundaries/*",
    "data/facilities/*",
    "data/roads/*",
)


class BuildPy(build_py):
    """The package, plus a copy of the shipped files under ``geo/_shipped/`` (a wheel
    installs anywhere). An editable install skips the copy: it reads the checkout's files."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = sorted(p for pattern in SHIPPED for p in HERE.glob(pattern) if p.is_file())
        if not files:
            raise SystemExit(f"none of {SHIPPED} found under {HERE}: the sdist lacks them "
                             "(MANIFEST.in)")
        for src in files:
            dest = Path(self.build_lib, "geo", "_shipped", src.relative_to(HERE))
            self.mkpath(str(dest.parent))
            self.copy_file(str(src), str(dest))


def _kernel(name: str) -> Extension:
    """A C++ extension from ``geo/<name>.pyx`` (threads through std::thread)."""
    return Extension(
        "geo." + name.replace("/", "."),
        [f"geo/{name}.pyx"],
        include_dirs=[numpy.get_include(), "geo/routing"],  # _heap.hpp
        language="c++",
        extra_compile_args=["-O3", "-pthread"],
        extra_link_args=["-pthread"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )


setup(
    cmdclass={"build_py": BuildPy},
    ext_modules=cythonize(
        [_kernel("routing/_dijkstra"), _kernel("routing/_peers"), _kernel("routing/_hierarchy"),
         _kernel("measures/_kernels")],
        compiler_directives={"language_level": "3"},
    ),
)
