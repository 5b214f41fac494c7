"""Build the compiled kernels (geo/routing/_dijkstra.pyx, geo/measures/_kernels.pyx); everything else is in pyproject.toml."""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "geo.routing._dijkstra",
                ["geo/routing/_dijkstra.pyx"],
                include_dirs=[numpy.get_include()],
                language="c++",
                extra_compile_args=["-O3", "-pthread"],
                extra_link_args=["-pthread"],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            ),
            Extension(
                "geo.measures._kernels",
                ["geo/measures/_kernels.pyx"],
                include_dirs=[numpy.get_include()],
                language="c++",
                extra_compile_args=["-O3", "-pthread"],
                extra_link_args=["-pthread"],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            ),
        ],
        compiler_directives={"language_level": "3"},
    )
)
