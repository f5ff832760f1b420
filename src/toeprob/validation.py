"""Checks of function arguments shared by the public entry points (not of evidence, not of files).

A wrong argument raises :class:`~toeprob.errors.ParameterTypeError` (wrong type) or
:class:`~toeprob.errors.ParameterError` (a value outside what the parameter allows), with one template:
"The 'x' parameter of f must be ... Got ... instead."

Examples
--------
>>> check_type("3", "k", "suggest_questions", int, "an int")
Traceback (most recent call last):
...
toeprob.errors.ParameterTypeError: The 'k' parameter of suggest_questions must be an int. \
Got '3' (str) instead.
"""

from __future__ import annotations

from typing import Any

from toeprob.errors import ParameterError, ParameterTypeError, shorten

__all__ = ["ENGINE_NAMES", "check_engine", "check_type", "describe"]

#: The inference engines (:data:`toeprob.inference.engines.BACKENDS`).
ENGINE_NAMES = ("fast", "pgmpy")


def describe(value: Any) -> str:
    """A value for an error message: its (shortened) repr and its type."""
    return f"{shorten(value)} ({type(value).__name__})"


def check_type(value: Any, name: str, owner: str, types: type | tuple[type, ...], expected: str) -> None:
    """Raise :class:`~toeprob.errors.ParameterTypeError` unless ``value`` is one of ``types``.

    Examples
    --------
    >>> check_type(3, "k", "suggest_questions", int, "an int")
    """
    if not isinstance(value, types):
        raise ParameterTypeError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {describe(value)} instead."
        )


def check_engine(engine: Any, owner: str) -> Any:
    """Return ``engine`` if it names an engine (``"fast"`` or ``"pgmpy"``), else raise.

    Examples
    --------
    >>> check_engine("exact", "rank_causes")
    Traceback (most recent call last):
    ...
    toeprob.errors.ParameterError: The 'engine' parameter of rank_causes must be one of 'fast', 'pgmpy'. \
Got 'exact' (str) instead.
    """
    if not isinstance(engine, str) or engine not in ENGINE_NAMES:
        error = ParameterError if isinstance(engine, str) else ParameterTypeError
        raise error(
            f"The 'engine' parameter of {owner} must be one of {', '.join(map(repr, ENGINE_NAMES))}. "
            f"Got {describe(engine)} instead."
        )
    return engine
