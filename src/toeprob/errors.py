"""The exceptions toeprob raises.

Every class is also a standard exception (``ValueError``, ``KeyError``, ``TypeError``) so callers can
catch either the toeprob class or the built-in one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CaseTableError",
    "EvidenceError",
    "EvidenceTypeError",
    "ImpossibleEvidenceError",
    "MissingDependencyError",
    "ModelFileError",
    "ToeprobError",
    "UnknownIdentifierError",
    "closest_matches",
]


class ToeprobError(Exception):
    """Base class of every error toeprob raises on purpose."""


class ModelFileError(ToeprobError, ValueError):
    """A model file is malformed; the message names the file, the entry and the key."""


class EvidenceError(ToeprobError, ValueError):
    """Evidence that cannot be used: a cause given as evidence, an empty name, a bad value."""


class EvidenceTypeError(ToeprobError, TypeError):
    """Evidence of the wrong type (not a mapping, a name that is not a string, ...)."""


class UnknownIdentifierError(EvidenceError, KeyError):
    """An identifier that is not in the model; the message lists the closest valid ones.

    ``KeyError`` quotes its message when printed, so ``__str__`` is overridden to print it plainly.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ImpossibleEvidenceError(ToeprobError, ValueError):
    """Evidence to which the model gives probability zero (or a probability that underflows)."""


class CaseTableError(ToeprobError, ValueError):
    """A case table that cannot be read or written; the message names the file, row and column."""


class MissingDependencyError(ToeprobError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def closest_matches(name: str, allowed: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` identifiers of ``allowed`` that look most like ``name``.

    Examples
    --------
    >>> closest_matches("numbnes", ["numbness", "tingling", "cramp"])
    ['numbness']
    """
    return difflib.get_close_matches(name, list(allowed), n=n, cutoff=0.6)
