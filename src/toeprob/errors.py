"""The exceptions toeprob raises.

Every class is also a standard exception (``ValueError``, ``KeyError``, ``TypeError``) so callers can
catch either the toeprob class or the built-in one.
"""

from __future__ import annotations

__all__ = [
    "CaseFileError",
    "CaseTableError",
    "CostLimitError",
    "EvidenceError",
    "EvidenceTypeError",
    "ImpossibleEvidenceError",
    "MissingDependencyError",
    "ModelFileError",
    "ParameterError",
    "ParameterKeyError",
    "ParameterTypeError",
    "ToeprobError",
    "UnknownIdentifierError",
    "shorten",
]

#: Longest text echoed back in an error message; longer values are cut with an ellipsis.
ECHO_LIMIT = 80


class ToeprobError(Exception):
    """Base class of every error toeprob raises on purpose."""


class ModelFileError(ToeprobError, ValueError):
    """A model file is malformed; the message names the file, the entry and the key."""


class CaseFileError(ToeprobError, ValueError):
    """A case file (or a list of cases) is malformed; the message names the file, the case and the key."""


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


class ParameterError(ToeprobError, ValueError):
    """A function argument outside what its parameter allows (``chunk_size=0``, an unknown engine).

    Not an :class:`EvidenceError`: the evidence may be fine while a parameter is not.
    """


class ParameterTypeError(ParameterError, TypeError):
    """A function argument of the wrong type (a path where a :class:`~toeprob.Model` is expected)."""


class ParameterKeyError(ParameterError, KeyError):
    """A function argument naming something that does not exist: a cause to explain, a node to draw,
    a shipped case set; the message lists the closest valid names.

    Not an :class:`UnknownIdentifierError` (that one is for evidence). ``KeyError`` quotes its
    message when printed, so ``__str__`` is overridden to print it plainly.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def shorten(value: object, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis, for echoing input in messages.

    Examples
    --------
    >>> shorten("cramp")
    "'cramp'"
    >>> shorten("x" * 1000)
    "'xxxxxxxxxx...… (1000 characters)"
    """
    if isinstance(value, str):
        text = repr(value[: 4 * limit])  # the repr of a huge string costs time and memory: cut first
        size = len(value)
    else:
        try:
            text = repr(value)
        except ValueError:  # an int too long to print
            text = f"<{type(value).__name__} of {value.bit_length() if isinstance(value, int) else '?'} bits>"
        size = len(text)
    if len(text) <= limit and size <= 4 * limit:
        return text
    return f"{text[: limit - 1]}… ({size} characters)"


class CaseTableError(ToeprobError, ValueError):
    """A case table that cannot be read or written; the message names the file, row and column."""


class MissingDependencyError(ToeprobError, ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


class CostLimitError(ToeprobError, RuntimeError):
    """A model or a query whose exact computation would exceed the :class:`~toeprob.inference.budget.Budget`.

    Raised before anything large is allocated; the message names what makes it expensive (the
    causes and risk factors of the widest table, its size), the estimate and the budget.
    """
