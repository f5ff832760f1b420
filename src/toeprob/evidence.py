"""Validate user evidence once, at the edge, and encode it as state arrays for the engines.

Evidence is a mapping of finding or risk-factor identifier -> ``True`` (present) / ``False`` (absent),
or the strings ``"yes"``/``"no"``/``"present"``/``"absent"`` (also ``"true"``/``"false"``,
``"y"``/``"n"``). ``None`` or ``"unknown"`` means unknown, the same as not giving the identifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import EvidenceError, EvidenceTypeError, UnknownIdentifierError, closest_matches
from toeprob.model import Model

__all__ = ["Evidence", "parse_evidence", "parse_value"]

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


def parse_value(name: str, value: Any) -> bool | None:
    """Return ``True``/``False``/``None`` (unknown) for one evidence value, or raise.

    Examples
    --------
    >>> parse_value("numbness", "yes"), parse_value("numbness", False), parse_value("numbness", None)
    (True, False, None)
    """
    if value is None:
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
    raise EvidenceError(f"evidence {name!r}: {value!r} is not an accepted value; use {ACCEPTED}.")


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
    f_index = {f: i for i, f in enumerate(model.findings)}
    r_index = {r: i for i, r in enumerate(model.risk_factors)}
    fs = np.full(len(f_index), -1, dtype=np.int8)
    rs = np.full(len(r_index), -1, dtype=np.int8)
    values: dict[str, bool] = {}
    for name, raw in evidence.items():
        if not isinstance(name, str):
            raise EvidenceTypeError(f"evidence names must be strings, got {name!r}.")
        key = name.strip()
        if not key:
            raise EvidenceError("evidence has an empty name; use a finding or risk-factor identifier.")
        if key in model.cause_specs:
            raise EvidenceError(
                f"{key!r} is a cause, not evidence: causes are what toeprob infers. Give findings "
                "or risk factors (see `toeprob vocabulary`)."
            )
        if key not in f_index and key not in r_index:
            hint = closest_matches(key, [*model.findings, *model.risk_factors])
            extra = f" Closest: {', '.join(hint)}." if hint else ""
            raise UnknownIdentifierError(
                f"{key!r} is not a finding or risk factor of model {model.name!r}.{extra} "
                "See `toeprob vocabulary` for the identifiers."
            )
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
