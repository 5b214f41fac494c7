"""Build the compiled Dijkstra kernels (geo/routing/_dijkstra.pyx, geo/routing/_peers.pyx);
everything else is in pyproject.toml."""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                f"geo.routing.{name}",
                [f"geo/routing/{name}.pyx"],
                include_dirs=[numpy.get_include()],
                language="c++",
                extra_compile_args=["-O3", "-pthread"],
                extra_link_args=["-pthread"],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            )
            for name in ("_dijkstra", "_peers")
        ],
        compiler_directives={"language_level": "3"},
    )
)
