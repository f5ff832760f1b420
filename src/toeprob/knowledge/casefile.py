"""Case files: the one schema and the one loader for the cases that ``evaluate`` and ``replay`` score.

A case file is UTF-8 JSON: a list of cases, or an object ``{"cases": [...]}``. Each case is an object
with the keys below (format: ``docs/case-format.md``); every case is checked against the model when it
is read, and an error names the file, the case (its ``id``, or its position) and the key.

=========== ======== ================================================================================
key         required value
=========== ======== ================================================================================
id          yes      a non-empty string, unique in the file
evidence    yes      finding or risk-factor identifier -> true / false (as for ``rank_causes``)
gold_cause  yes      a cause identifier of the model
acceptable  no       a list of cause identifiers also accepted as the top cause (default: none)
urgency_min yes      an urgency level, at most ``urgency_max``
urgency_max yes      an urgency level
story       no       a string: what the person says
basis       no       a string: where the answer comes from
kind        no       a string, e.g. ``typical``, ``tricky`` or ``red_flag``
=========== ======== ================================================================================

Examples
--------
>>> cases = parse_cases([{"id": "c1", "evidence": {"cramp": True}, "gold_cause": "dehydration",
...                       "urgency_min": "self_care", "urgency_max": "routine"}])
>>> cases[0].gold_cause, cases[0].urgency_max
('dehydration', <Urgency.ROUTINE: 1>)
>>> parse_cases([{"id": "c1", "evidence": {}, "gold_cause": "dehydration", "acceptable": "cramp",
...               "urgency_min": "self_care", "urgency_max": "routine"}])
Traceback (most recent call last):
...
toeprob.errors.CaseFileError: <cases>: case 'c1', key 'acceptable': must be a list of cause \
identifiers, got 'cramp' (str); write ["cramp"] for one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from toeprob.errors import CaseFileError, ToeprobError, shorten
from toeprob.knowledge.evidence import parse_evidence
from toeprob.knowledge.model import Model, resolve_model
from toeprob.knowledge.textfile import check_depth, check_max_bytes, decode, read_text
from toeprob.knowledge.urgency import Urgency
from toeprob.validation import closest_matches, describe, unknown_identifier_message

__all__ = [
    "MAX_CASE_BYTES",
    "MAX_CASE_NESTING",
    "Case",
    "as_cases",
    "loads_cases",
    "parse_cases",
    "read_cases",
]

#: Default limit on the size of a case file, in bytes (``read_cases(path, max_bytes=...)``).
MAX_CASE_BYTES = 16 * 2**20
#: How deeply objects and arrays may nest in a case file (a case file needs 4 levels).
MAX_CASE_NESTING = 16

_REQUIRED = ("id", "evidence", "gold_cause", "urgency_min", "urgency_max")
_OPTIONAL = ("acceptable", "story", "basis", "kind")
_KEYS = (*_REQUIRED, *_OPTIONAL)


@dataclass(frozen=True)
class Case:
    """One validated case.

    ``evidence`` keeps the file's order (the interview replay starts from the first findings) and
    drops values that mean unknown.
    """

    id: str
    evidence: Mapping[str, bool]
    gold_cause: str
    urgency_min: Urgency
    urgency_max: Urgency
    acceptable: tuple[str, ...] = ()
    story: str = ""
    basis: str = ""
    kind: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The case as a JSON-ready dictionary in the case-file format."""
        return {
            "id": self.id,
            "story": self.story,
            "evidence": dict(self.evidence),
            "gold_cause": self.gold_cause,
            "acceptable": list(self.acceptable),
            "urgency_min": self.urgency_min.label,
            "urgency_max": self.urgency_max.label,
            "basis": self.basis,
            "kind": self.kind,
            **dict(self.extra),
        }


class _Checker:
    """Validates parsed cases against a model; every error names the source, the case and the key."""

    def __init__(self, model: Model, source: str) -> None:
        self.model = model
        self.source = source
        self.where = ""

    def fail(self, key: str | None, message: str) -> CaseFileError:
        place = f"{self.where}, key {key!r}" if key else self.where
        return CaseFileError(f"{self.source}: {place}: {message}")

    def cause(self, value: Any, key: str) -> str:
        model = self.model
        if not isinstance(value, str):
            raise self.fail(
                key, f"must be a cause identifier (a string), got {describe(value, syntax='json')}."
            )
        if value in model.cause_specs:
            return value
        if value in model.finding_specs or value in model.risk_factor_specs:
            raise self.fail(key, f"{shorten(value)} is evidence, not a cause of model {model.name!r}.")
        raise self.fail(key, unknown_identifier_message(value, model.causes, "a cause", model=model.name))

    def level(self, case: Mapping[str, Any], key: str) -> Urgency:
        value = case[key]
        if not isinstance(value, str):
            raise self.fail(
                key, f"must be an urgency level (a string), got {describe(value, syntax='json')}."
            )
        try:
            return Urgency.parse(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def text(self, case: Mapping[str, Any], key: str) -> str:
        value = case.get(key, "")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {describe(value, syntax='json')}.")
        return value

    def case(self, n: int, case: Any, seen: dict[str, int]) -> Case:
        self.where = f"case #{n}"
        if isinstance(case, Case):
            case = case.to_dict()
        if not isinstance(case, Mapping):
            raise self.fail(None, f"a case must be an object (mapping), got {describe(case, syntax='json')}.")
        cid = case.get("id")
        if isinstance(cid, str) and cid.strip():
            self.where = f"case {shorten(cid)}" if cid not in seen else f"case {shorten(cid)} (#{n})"
        # keys of other case sets (notes, authors, ...) are kept, not refused: nothing is lost
        unknown = [key for key in case if key not in _KEYS]
        for key in unknown:
            if not isinstance(key, str):
                raise self.fail(None, f"keys must be strings, got {describe(key, syntax='json')}.")
        missing = [k for k in _REQUIRED if k not in case]
        if missing:
            hints = [k for k in unknown if closest_matches(k, missing)]
            extra = f" {unknown_identifier_message(hints[0], _KEYS, 'a key of a case')}" if hints else ""
            raise self.fail(None, f"missing required key(s) {', '.join(map(repr, missing))}.{extra}")
        if not isinstance(cid, str) or not cid.strip():
            raise self.fail("id", f"must be a non-empty string, got {describe(cid, syntax='json')}.")
        if cid in seen:
            raise self.fail("id", f"{shorten(cid)} is also the id of case #{seen[cid]}; ids must be unique.")
        seen[cid] = n
        raw = case["evidence"]
        if not isinstance(raw, Mapping):
            raise self.fail(
                "evidence",
                f"must be an object of identifier -> true/false, got {describe(raw, syntax='json')}.",
            )
        try:
            values = parse_evidence(raw, self.model).values
        except ToeprobError as exc:
            raise self.fail("evidence", str(exc)) from None
        evidence = {}
        for name in raw:
            key = name.strip()
            if key in values:
                evidence[key] = values[key]
        gold = self.cause(case["gold_cause"], "gold_cause")
        acceptable = case.get("acceptable", [])
        if not isinstance(acceptable, list | tuple):
            short = isinstance(acceptable, str) and len(acceptable) < 80
            one = f'; write ["{acceptable}"] for one' if short else ""
            raise self.fail(
                "acceptable",
                f"must be a list of cause identifiers, got {describe(acceptable, syntax='json')}{one}.",
            )
        accepted = tuple(self.cause(a, "acceptable") for a in acceptable)
        low, high = self.level(case, "urgency_min"), self.level(case, "urgency_max")
        if low > high:
            raise self.fail(
                "urgency_min", f"{low.label} is above urgency_max {high.label}; the range must not be empty."
            )
        return Case(
            id=cid,
            evidence=evidence,
            gold_cause=gold,
            urgency_min=low,
            urgency_max=high,
            acceptable=accepted,
            story=self.text(case, "story"),
            basis=self.text(case, "basis"),
            kind=self.text(case, "kind"),
            extra={key: case[key] for key in unknown},
        )


def parse_cases(data: Any, *, model: Model | None = None, source: str = "<cases>") -> tuple[Case, ...]:
    """Validate parsed cases: a list (or iterable) of case objects, or ``{"cases": [...]}``.

    Parameters
    ----------
    data : list, mapping or iterable
        The JSON structure of a case file, or cases built in Python (mappings or :class:`Case`).
    model : Model, optional
        The model whose identifiers the cases must use (default: the shipped model).
    source : str
        Names the cases in error messages (a file name).

    Raises
    ------
    CaseFileError
        For anything that does not follow the schema; the message names the source, case and key.
    """
    model = resolve_model(model, "parse_cases")
    if isinstance(data, Mapping):
        extra = [k for k in data if k != "cases"]
        if extra or "cases" not in data:
            raise CaseFileError(
                f"{source}: a case file is a list of cases or an object with the one key 'cases'; "
                f"got the keys {', '.join(shorten(k) for k in data) or '(none)'}."
            )
        data = data["cases"]
    if isinstance(data, str | bytes) or not isinstance(data, Iterable):
        raise CaseFileError(f"{source}: expected a list of cases, got {describe(data, syntax='json')}.")
    data = list(data)
    check_depth(data, MAX_CASE_NESTING, error=CaseFileError, where=source)
    checker = _Checker(model, source)
    seen: dict[str, int] = {}
    return tuple(checker.case(n, case, seen) for n, case in enumerate(data))


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"the key {shorten(key)} appears twice in one object")
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (use null for unknown)")


def loads_cases(
    text: str | bytes, *, model: Model | None = None, source: str = "<cases>"
) -> tuple[Case, ...]:
    """Parse and validate the JSON text of a case file (``bytes`` must be UTF-8).

    Raises
    ------
    CaseFileError
        If the text is not UTF-8 JSON, repeats a key in an object, nests more than
        :data:`MAX_CASE_NESTING` levels or does not follow the schema.
    """
    if isinstance(text, bytes | bytearray):
        text = decode(bytes(text), source, error=CaseFileError, what="case file", encoding="utf-8-sig")
    elif not isinstance(text, str):
        raise CaseFileError(f"{source}: expected JSON text, got {describe(text, syntax='json')}.")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except RecursionError:
        raise CaseFileError(
            f"{source}: not valid JSON: objects and arrays nest more than {MAX_CASE_NESTING} levels deep."
        ) from None
    except ValueError as exc:  # JSONDecodeError, duplicate keys, NaN, too many digits
        message = str(exc) if len(str(exc)) <= 300 else str(exc)[:299] + "…"
        raise CaseFileError(f"{source}: not valid JSON: {message}.") from None
    return parse_cases(data, model=model, source=source)


def read_cases(
    path: str | os.PathLike[str], *, model: Model | None = None, max_bytes: int = MAX_CASE_BYTES
) -> tuple[Case, ...]:
    """Read and validate a case file (UTF-8 JSON; see the module docstring for the schema).

    Parameters
    ----------
    path : str or PathLike
        A regular file of at most ``max_bytes`` bytes.
    model : Model, optional
        The model whose identifiers the cases must use (default: the shipped model).
    max_bytes : int
        A larger file is refused before it is read (default :data:`MAX_CASE_BYTES`, 16 MiB).

    Raises
    ------
    CaseFileError
        If the file cannot be read, is not a regular file, is too large, is not UTF-8 JSON or does
        not follow the schema; the message names the file, the case and the key.
    """
    check_max_bytes(max_bytes, "read_cases")
    text = read_text(path, max_bytes=max_bytes, error=CaseFileError, what="case file", encoding="utf-8-sig")
    return loads_cases(text, model=model, source=os.fspath(path))


def as_cases(cases: Any, model: Model, owner: str) -> tuple[Case, ...]:
    """Cases from a path (read with :func:`read_cases`) or from parsed cases (:func:`parse_cases`)."""
    if isinstance(cases, str | os.PathLike):
        return read_cases(cases, model=model)
    return parse_cases(cases, model=model, source=f"cases given to {owner}")
