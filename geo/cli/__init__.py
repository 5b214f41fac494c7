"""The ``geo`` command."""

from geo.cli.main import main

__all__ = ["main"]
