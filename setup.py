"""Build the compiled kernels (geo/routing/_dijkstra.pyx, geo/routing/_peers.pyx,
geo/routing/_hierarchy.pyx, geo/measures/_kernels.pyx).

Everything else is in pyproject.toml.
"""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup


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
    ext_modules=cythonize(
        [_kernel("routing/_dijkstra"), _kernel("routing/_peers"), _kernel("routing/_hierarchy"),
         _kernel("measures/_kernels")],
        compiler_directives={"language_level": "3"},
    )
)
