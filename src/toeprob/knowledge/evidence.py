"""Validate user evidence once, at the edge, and encode it as state arrays for the engines.

Evidence is a mapping of finding or risk-factor identifier -> ``True`` (present) / ``False`` (absent),
or the strings ``"yes"``/``"no"``/``"present"``/``"absent"`` (also ``"true"``/``"false"``,
``"y"``/``"n"``). ``None``, ``"unknown"`` or a missing value of a table (``NaN``, ``pandas.NA``) means
unknown, the same as not giving the identifier. Numbers are refused (``1`` is not ``True``), so that
single and batch calls accept exactly the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import EvidenceError, EvidenceTypeError, UnknownIdentifierError, shorten
from toeprob.knowledge.model import Model
from toeprob.validation import describe, unknown_identifier_message

__all__ = ["Evidence", "check_name", "distinct_rows", "is_missing", "parse_evidence", "parse_value"]

_TRUE = frozenset({"yes", "y", "present", "true"})
_FALSE = frozenset({"no", "n", "absent", "false"})
_UNKNOWN = frozenset({"unknown", "?", "dont_know", "don't know", ""})
ACCEPTED = "True/False, 'yes'/'no', 'present'/'absent' (or None / 'unknown' for unknown)"


@dataclass(frozen=True)
class Evidence:
    """Validated evidence: ``values`` maps identifier -> bool (unknowns dropped), sorted by id."""

    values: Mapping[str, bool]
    finding_state: NDArray[np.int8]
    rf_state: NDArray[np.int8]

    def present(self) -> tuple[str, ...]:
        """Identifiers reported present."""
        return tuple(k for k, v in self.values.items() if v)


def is_missing(value: Any) -> bool:
    """True for ``None`` and the missing values of a table: a float ``NaN`` and ``pandas.NA``.

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(None), is_missing(0.0), is_missing("")
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    kind = type(value)
    return kind.__name__ == "NAType" and kind.__module__.startswith("pandas")


def parse_value(name: str, value: Any) -> bool | None:
    """Return ``True``/``False``/``None`` (unknown) for one evidence value, or raise.

    Examples
    --------
    >>> parse_value("numbness", "yes"), parse_value("numbness", False), parse_value("numbness", None)
    (True, False, None)
    """
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        if key in _UNKNOWN:
            return None
    raise EvidenceError(
        f"evidence {shorten(name)}: {describe(value)} is not an accepted value; use {ACCEPTED}."
    )


def check_name(name: Any, model: Model) -> str:
    """Return the identifier that the evidence name ``name`` gives (stripped), or raise.

    Raises
    ------
    EvidenceTypeError
        If ``name`` is not a string.
    EvidenceError
        For an empty name or a cause.
    UnknownIdentifierError
        For a name that is no finding or risk factor of ``model`` (with the closest ones).
    """
    if not isinstance(name, str):
        raise EvidenceTypeError(f"evidence names must be strings, got {describe(name)}.")
    key = name.strip()
    if not key:
        raise EvidenceError("evidence has an empty name; use a finding or risk-factor identifier.")
    if key in model.cause_specs:
        raise EvidenceError(
            f"{key!r} is a cause, not evidence: causes are what toeprob infers. Give findings "
            "or risk factors (see `toeprob vocabulary`)."
        )
    if key not in model.finding_specs and key not in model.risk_factor_specs:
        allowed = (*model.findings, *model.risk_factors)
        kind = "a finding or risk factor"
        raise UnknownIdentifierError(
            f"{unknown_identifier_message(key, allowed, kind, model=model.name)} "
            "See `toeprob vocabulary` for the identifiers."
        )
    return key


def parse_evidence(evidence: Mapping[str, Any] | None, model: Model) -> Evidence:
    """Validate ``evidence`` against ``model`` and encode it.

    Raises
    ------
    UnknownIdentifierError
        For an identifier the model does not know (the message lists the closest valid ones).
    EvidenceError
        For a cause given as evidence, an empty name or an unaccepted value.
    EvidenceTypeError
        If ``evidence`` is not a mapping or a name is not a string.

    Examples
    --------
    >>> from toeprob import load_model
    >>> ev = parse_evidence({"numbness": "yes", "diabetes": True}, load_model())
    >>> dict(ev.values)
    {'diabetes': True, 'numbness': True}
    """
    if evidence is None:
        evidence = {}
    if not isinstance(evidence, Mapping):
        raise EvidenceTypeError(
            f"evidence must be a mapping of identifier -> value, got {type(evidence).__name__}."
        )
    f_index = model.finding_index
    r_index = model.risk_factor_index
    fs = np.full(len(f_index), -1, dtype=np.int8)
    rs = np.full(len(r_index), -1, dtype=np.int8)
    values: dict[str, bool] = {}
    for name, raw in evidence.items():
        key = check_name(name, model)
        value = parse_value(key, raw)
        if value is None:
            continue
        if key in values and values[key] != value:
            raise EvidenceError(f"evidence {key!r} is given twice with different values.")
        values[key] = value
        if key in f_index:
            fs[f_index[key]] = int(value)
        else:
            rs[r_index[key]] = int(value)
    return Evidence(dict(sorted(values.items())), fs, rs)


def distinct_rows(
    finding_states: NDArray[np.int8], rf_states: NDArray[np.int8], labels: NDArray[np.int_] | None = None
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Indices of the distinct evidence rows (with their ``labels``, if given), and for every row
    the index of its copy among them.

    Rows are compared as bytes (one key per row, no structured sort); the distinct rows come in
    the order of their keys.

    Examples
    --------
    >>> fs = np.array([[1, -1], [0, 1], [1, -1]], dtype=np.int8)
    >>> first, inverse = distinct_rows(fs, np.zeros((3, 0), dtype=np.int8))
    >>> [int(k) for k in first[inverse]]
    [0, 1, 0]
    """
    parts = [finding_states, rf_states]
    if labels is not None:
        parts.append(np.asarray(labels, dtype=np.int64)[:, None].view(np.int8))
    packed = np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.int8)
    keys = packed.view(np.dtype((np.void, max(packed.shape[1], 1)))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.ravel()
