"""Checks of function arguments shared by the public entry points (not of evidence, not of files).

A wrong argument raises :class:`~toeprob.errors.ParameterTypeError` (wrong type) or
:class:`~toeprob.errors.ParameterError` (a value outside what the parameter allows), with one template:
"The 'x' parameter of f must be ... Got ... instead."

Examples
--------
>>> resolve_model("x.toml", "rank_causes")
Traceback (most recent call last):
...
toeprob.errors.ParameterTypeError: The 'model' parameter of rank_causes must be a toeprob.Model or None \
(load a file with toeprob.load_model(path)). Got 'x.toml' (str) instead.
"""

from __future__ import annotations

import os
from typing import Any

from toeprob.errors import ParameterError, ParameterTypeError, shorten
from toeprob.model import Model, load_model

__all__ = ["ENGINE_NAMES", "check_engine", "check_type", "resolve_model"]

#: The inference engines of :func:`toeprob.api.get_engine`.
ENGINE_NAMES = ("fast", "pgmpy")


def _got(value: Any) -> str:
    return f"{shorten(value)} ({type(value).__name__})"


def check_type(value: Any, name: str, owner: str, types: type | tuple[type, ...], expected: str) -> None:
    """Raise :class:`~toeprob.errors.ParameterTypeError` unless ``value`` is one of ``types``.

    Examples
    --------
    >>> check_type(3, "k", "suggest_questions", int, "an int")
    """
    if not isinstance(value, types):
        raise ParameterTypeError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {_got(value)} instead."
        )


def resolve_model(model: Any, owner: str) -> Model:
    """``model`` if it is a :class:`~toeprob.Model`, the shipped model for ``None``, else raise."""
    if model is None:
        return load_model()
    if isinstance(model, Model):
        return model
    hint = " (load a file with toeprob.load_model(path))" if isinstance(model, str | os.PathLike) else ""
    raise ParameterTypeError(
        f"The 'model' parameter of {owner} must be a toeprob.Model or None{hint}. Got {_got(model)} instead."
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
            f"Got {_got(engine)} instead."
        )
    return engine
