"""The JSON contract: the header every JSON document carries, and plain values from result types.

Every ``to_dict()`` of a result and every ``--json`` output of the command line starts with the same
header (documented in ``docs/json.md``; JSON Schema files in ``toeprob/schemas/``)::

    {"schema_version": 1, "kind": "diagnosis", "toeprob_version": "0.1.0",
     "model": {"name": "default", "version": "2026.11"}, ...}

``schema_version`` changes only when a document changes in a way that breaks a reader (a key removed
or renamed, a type changed); new keys can appear without a new version.

Examples
--------
>>> header("diagnosis", "default", "2026.11")["model"]
{'name': 'default', 'version': '2026.11'}
"""

from __future__ import annotations

import dataclasses
import enum
import importlib.resources
import json
import math
from collections.abc import Mapping
from typing import Any

from toeprob._version import __version__
from toeprob.errors import ParameterKeyError
from toeprob.knowledge.urgency import Urgency
from toeprob.validation import unknown_identifier_message

__all__ = ["JSON_SCHEMA_VERSION", "KINDS", "header", "json_schema", "plain"]

#: The version of the JSON documents' shapes (see the module docstring).
JSON_SCHEMA_VERSION = 1

#: The kinds of JSON document, each with a schema file ``toeprob/schemas/<kind>.json``.
KINDS = (
    "diagnosis",
    "explanation",
    "evaluation",
    "replay",
    "interview",
    "vocabulary",
    "sources",
    "uncertainty",
    "sensitivity",
    "evaluation_sensitivity",
)


def header(kind: str, model_name: str, model_version: str) -> dict[str, Any]:
    """The keys every JSON document starts with."""
    return {
        "schema_version": JSON_SCHEMA_VERSION,
        "kind": kind,
        "toeprob_version": __version__,
        "model": {"name": model_name, "version": model_version},
    }


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses field by field, levels by label, tuples as lists.

    Dataclasses are serialized from their fields, so a field added to a result type appears in the
    JSON without further code. Non-finite floats become ``None``.

    Examples
    --------
    >>> from toeprob.results.diagnosis import UrgencyReason
    >>> plain(UrgencyReason("red_flag", "foot_drop", Urgency.URGENT, None, True))["level"]
    'urgent'
    """
    if isinstance(value, Urgency):
        return value.label
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return plain(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    raise TypeError(f"cannot write {type(value).__name__} as JSON: {value!r}")


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the documents of ``kind`` (one of :data:`KINDS`).

    Examples
    --------
    >>> json_schema("diagnosis")["properties"]["kind"]["const"]
    'diagnosis'
    """
    if kind not in KINDS:
        raise ParameterKeyError(unknown_identifier_message(kind, KINDS, "a kind of JSON document"))
    text = importlib.resources.files("toeprob").joinpath("schemas", f"{kind}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
