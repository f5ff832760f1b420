"""Checks of function arguments, and the wording of every "wrong value" message.

This module holds the three pieces every error message is built from:

- :func:`describe`, the one way a bad value is echoed: ``'3' (str)``, cut when long;
- one template for a bad **parameter** (a function argument, not evidence, not a file):
  "The 'x' parameter of f must be <allowed>. Got <value> (<type>) instead.", raised by
  :func:`check_parameter` against a declared :class:`Constraint` (:data:`positive_int`,
  :data:`non_negative_int`, :data:`probability`, :data:`non_negative_number`,
  :data:`positive_number`, :data:`boolean`, :func:`int_at_least`, :func:`one_of`, :func:`instance_of`,
  :func:`optional`) as :class:`~toeprob.errors.ParameterTypeError` (wrong type)
  or :class:`~toeprob.errors.ParameterError` (a value the parameter does not allow);
- one wording for an identifier that does not exist, with the close matches:
  "<value> is not a <kind> of model <name>. Closest: a, b, c." (:func:`unknown_identifier_message`),
  the same cut-off and limits wherever an identifier is looked up.

Examples
--------
>>> check_parameter("3", positive_int, name="k", owner="suggest_questions")
Traceback (most recent call last):
...
toeprob.errors.ParameterTypeError: The 'k' parameter of suggest_questions must be an int >= 1. \
Got '3' (str) instead.
>>> unknown_identifier_message("numbnes", ["numbness", "cramp"], "a finding", model="default")
"'numbnes' is not a finding of model 'default'. Closest: numbness. Allowed: numbness, cramp."
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from toeprob.errors import ParameterError, ParameterTypeError, shorten

__all__ = [
    "ALLOWED_LIMIT",
    "CLOSEST_LIMIT",
    "ENGINE_NAMES",
    "Constraint",
    "boolean",
    "check_engine",
    "check_parameter",
    "check_type",
    "closest_matches",
    "describe",
    "instance_of",
    "int_at_least",
    "non_negative_int",
    "non_negative_number",
    "one_of",
    "optional",
    "parameter_message",
    "positive_int",
    "positive_number",
    "probability",
    "unknown_identifier_message",
]

#: The inference engines (:data:`toeprob.inference.engines.BACKENDS`).
ENGINE_NAMES = ("fast", "pgmpy")

#: At most this many close matches are suggested for a misspelt identifier.
CLOSEST_LIMIT = 3

#: When a set of valid identifiers has at most this many members, a message lists them all.
ALLOWED_LIMIT = 10

#: How alike (difflib's ratio) a valid identifier must be to be suggested.
_CUTOFF = 0.6

_FILE_WORDS = {"toml": "a table", "json": "an object"}


def describe(value: object, *, syntax: Literal["python", "toml", "json"] = "python") -> str:
    """A value for an error message: its (shortened) repr and its type.

    Parameters
    ----------
    value : object
        What was given.
    syntax : {"python", "toml", "json"}
        ``"toml"`` and ``"json"`` describe a value read from such a file in the file's own words
        (``true``, ``a table``/``an object``, ``null``).

    Examples
    --------
    >>> describe("3")
    "'3' (str)"
    >>> describe(True, syntax="toml"), describe({"a": 1}, syntax="json"), describe(None, syntax="json")
    ('true (bool)', 'an object', 'null')
    """
    if syntax != "python":
        if isinstance(value, Mapping):
            return _FILE_WORDS[syntax]
        if isinstance(value, bool):
            return f"{str(value).lower()} (bool)"
        if value is None and syntax == "json":
            return "null"
    return f"{shorten(value)} ({type(value).__name__})"


def parameter_message(name: str, owner: str, allowed: str, value: object) -> str:
    """The one template for a bad parameter.

    Examples
    --------
    >>> parameter_message("k", "suggest_questions", "an int >= 1", 0)
    "The 'k' parameter of suggest_questions must be an int >= 1. Got 0 (int) instead."
    """
    return f"The {name!r} parameter of {owner} must be {allowed}. Got {describe(value)} instead."


def _anything(value: object) -> bool:
    return True


@dataclass(frozen=True)
class Constraint:
    """What a parameter allows, declared once: a phrase for messages and two tests.

    A value that fails ``is_type`` raises :class:`~toeprob.errors.ParameterTypeError`; one of the
    right type that fails ``is_value`` raises :class:`~toeprob.errors.ParameterError`.

    Examples
    --------
    >>> positive_int.allows(3), positive_int.allows(0), positive_int.allows(True)
    (True, False, False)
    """

    allowed: str
    is_type: Callable[[Any], bool]
    is_value: Callable[[Any], bool] = _anything

    def allows(self, value: object) -> bool:
        """Whether ``value`` meets the constraint."""
        return self.is_type(value) and self.is_value(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: float) -> bool:
    return math.isfinite(value) if isinstance(value, float) else True


def int_at_least(low: int) -> Constraint:
    """An ``int`` (not a ``bool``) that is at least ``low``.

    Examples
    --------
    >>> int_at_least(2).allowed, int_at_least(2).allows(1)
    ('an int >= 2', False)
    """
    return Constraint(f"an int >= {low}", _is_int, lambda v: v >= low)


def optional(rule: Constraint) -> Constraint:
    """``None`` or what ``rule`` allows.

    Examples
    --------
    >>> optional(positive_int).allowed, optional(positive_int).allows(None)
    ('an int >= 1 or None', True)
    """
    return Constraint(
        f"{rule.allowed} or None",
        lambda v: v is None or rule.is_type(v),
        lambda v: v is None or rule.is_value(v),
    )


#: An ``int`` (not a ``bool``) that is at least 1.
positive_int = int_at_least(1)
#: An ``int`` (not a ``bool``) that is at least 0.
non_negative_int = int_at_least(0)
#: A finite number (``int`` or ``float``, not a ``bool``) in [0, 1].
probability = Constraint("a number in [0, 1]", _is_number, lambda v: _finite(v) and 0 <= v <= 1)
#: A finite number (``int`` or ``float``, not a ``bool``) that is at least 0.
non_negative_number = Constraint("a number >= 0", _is_number, lambda v: _finite(v) and v >= 0)
#: A number (``int`` or ``float``, not a ``bool``) above 0 (infinity allowed: no limit).
positive_number = Constraint("a number > 0", _is_number, lambda v: v > 0)
#: ``True`` or ``False``.
boolean = Constraint("a bool", lambda v: isinstance(v, bool))


def one_of(*choices: object) -> Constraint:
    """One of ``choices`` (a value of another type than theirs is a type error).

    Examples
    --------
    >>> one_of("fast", "pgmpy").allowed
    "one of 'fast', 'pgmpy'"
    """
    types = tuple({type(c) for c in choices})
    return Constraint(
        f"one of {', '.join(map(repr, choices))}",
        lambda v: isinstance(v, types),
        lambda v: any(v == c for c in choices),
    )


def instance_of(types: type | tuple[type, ...], allowed: str) -> Constraint:
    """An instance of ``types``, described as ``allowed`` (``"a toeprob.Budget or None"``).

    Examples
    --------
    >>> instance_of((int, type(None)), "an int or None").allows(None)
    True
    """
    return Constraint(allowed, lambda v: isinstance(v, types))


def check_parameter(value: Any, rule: Constraint, *, name: str, owner: str) -> Any:
    """Return ``value`` if it meets ``rule``, else raise with the one template.

    Parameters
    ----------
    value : object
        The argument given.
    rule : Constraint
        What the parameter allows.
    name : str
        The parameter's name.
    owner : str
        The public function or class that takes it, as users call it.

    Raises
    ------
    ParameterTypeError
        If ``value`` is of a type the parameter does not take.
    ParameterError
        If ``value`` is of the right type but outside what the parameter allows.

    Examples
    --------
    >>> check_parameter(3, positive_int, name="k", owner="suggest_questions")
    3
    >>> check_parameter(0, positive_int, name="k", owner="suggest_questions")
    Traceback (most recent call last):
    ...
    toeprob.errors.ParameterError: The 'k' parameter of suggest_questions must be an int >= 1. \
Got 0 (int) instead.
    """
    if not rule.is_type(value):
        raise ParameterTypeError(parameter_message(name, owner, rule.allowed, value))
    if not rule.is_value(value):
        raise ParameterError(parameter_message(name, owner, rule.allowed, value))
    return value


def check_type(value: Any, name: str, owner: str, types: type | tuple[type, ...], expected: str) -> None:
    """Shorthand for ``check_parameter(value, instance_of(types, expected), name=name, owner=owner)``.

    Examples
    --------
    >>> check_type(3, "k", "suggest_questions", int, "an int")
    """
    check_parameter(value, instance_of(types, expected), name=name, owner=owner)


_ENGINE = one_of(*ENGINE_NAMES)


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
    return check_parameter(engine, _ENGINE, name="engine", owner=owner)


def closest_matches(name: object, allowed: Iterable[object], n: int = CLOSEST_LIMIT) -> list[str]:
    """Return up to ``n`` identifiers of ``allowed`` that look most like ``name``.

    Examples
    --------
    >>> closest_matches("numbnes", ["numbness", "tingling", "cramp"])
    ['numbness']

    The search takes time proportional to the lengths compared; a name much longer than every
    allowed identifier cannot reach the similarity cutoff and is not compared at all.
    """
    if not isinstance(name, str):
        return []
    candidates = [a for a in allowed if isinstance(a, str)]
    # difflib's ratio is at most 2 * min(len) / (len(a) + len(b)); with the cutoff 0.6 a match needs
    # len(name) <= len(candidate) * (2 / 0.6 - 1), so longer names are skipped without losing a match.
    candidates = [a for a in candidates if 3 * len(name) <= 7 * len(a)]
    if not candidates:
        return []
    return difflib.get_close_matches(name, candidates, n=n, cutoff=_CUTOFF)


def unknown_identifier_message(
    value: object, allowed: Iterable[object], kind: str, *, model: str | None = None
) -> str:
    """The one wording for an identifier that is not among ``allowed``, with the close matches.

    Parameters
    ----------
    value : object
        What was given (echoed shortened).
    allowed : iterable of str
        The valid identifiers.
    kind : str
        What ``value`` should have been, with its article (``"a cause"``, ``"an urgency level"``).
    model : str, optional
        The model's name, for identifiers of a model.

    Returns
    -------
    str
        "<value> is not <kind> [of model <name>]." then "Closest: ..." (at most :data:`CLOSEST_LIMIT`
        names) when some look alike, and "Allowed: ..." when there are at most :data:`ALLOWED_LIMIT`
        valid identifiers.

    Examples
    --------
    >>> unknown_identifier_message("soonish", ["routine", "soon", "urgent"], "an urgency level")
    "'soonish' is not an urgency level. Closest: soon. Allowed: routine, soon, urgent."
    """
    names = [str(a) for a in allowed]
    text = f"{shorten(value)} is not {kind}{'' if model is None else f' of model {model!r}'}."
    hint = closest_matches(value, names)
    if hint:
        text += f" Closest: {', '.join(hint)}."
    if names and len(names) <= ALLOWED_LIMIT:
        text += f" Allowed: {', '.join(names)}."
    return text
