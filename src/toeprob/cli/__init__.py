"""The ``toeprob`` command line (the top layer)."""

from toeprob.cli.commands import main

__all__ = ["main"]
