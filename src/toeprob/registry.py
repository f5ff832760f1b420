"""Hooks that a later layer fills in: how the lower layers reach display and export code.

The package reads one way (knowledge -> inference -> results -> reasoning -> display -> CLI): a
module never imports a layer after its own. Yet a :class:`~toeprob.Diagnosis` shows itself as HTML
in a notebook and draws its own bar chart, and a :class:`~toeprob.Model` exports itself to pgmpy.
Those methods look their function up here by *kind* (``"html"``, ``"markdown"``, ``"plot"``, ...)
and by the object's class; the module that implements the function registers it when it is imported
(``toeprob.display`` for views and plots, ``toeprob.inference.pgmpy_bridge`` for the pgmpy export).
``import toeprob`` imports both, so every hook is filled as soon as any part of the package is used.

Examples
--------
>>> import toeprob
>>> from toeprob.registry import lookup
>>> lookup("html", toeprob.Diagnosis).__name__
'diagnosis_html'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from toeprob.errors import ToeprobError

__all__ = ["MissingHookError", "call", "lookup", "register"]

F = TypeVar("F", bound=Callable[..., Any])

_HOOKS: dict[tuple[str, type], Callable[..., Any]] = {}


class MissingHookError(ToeprobError, LookupError):
    """No function is registered for this kind of hook and this class."""


def register(kind: str, cls: type) -> Callable[[F], F]:
    """Register the decorated function as the ``kind`` hook of ``cls`` (and its subclasses)."""

    def decorate(function: F) -> F:
        _HOOKS[(kind, cls)] = function
        return function

    return decorate


def lookup(kind: str, cls: type) -> Callable[..., Any]:
    """The function registered as ``kind`` for ``cls`` or its nearest base class."""
    for klass in cls.__mro__:
        function = _HOOKS.get((kind, klass))
        if function is not None:
            return function
    kinds = sorted({k for k, c in _HOOKS if issubclass(cls, c)})
    raise MissingHookError(
        f"Nothing is registered as {kind!r} for {cls.__name__}; registered for it: {kinds or 'nothing'}. "
        "Import toeprob (which imports toeprob.display) before asking for views or plots."
    )


def call(kind: str, obj: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the ``kind`` hook registered for ``type(obj)`` with ``obj`` first."""
    return lookup(kind, type(obj))(obj, *args, **kwargs)
