"""Score a model on case files: stories with evidence, a gold cause and an acceptable urgency range.

Metrics, over all cases:

* top-1: the top-ranked cause is the gold cause or one of its ``acceptable`` alternatives;
* top-3: the gold cause is among the three highest-ranked causes;
* triage in range: ``urgency_min <= urgency <= urgency_max``;
* under-triage: ``urgency < urgency_min`` (a safety failure); over-triage: ``urgency > urgency_max``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toeprob.api import EngineName, rank_causes
from toeprob.errors import EvidenceError
from toeprob.model import Model, load_model
from toeprob.urgency import Urgency

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CaseResult", "CaseScore", "EvaluationReport", "evaluate", "load_cases"]

_REQUIRED = ("id", "evidence", "gold_cause", "urgency_min", "urgency_max")


class CaseScore:
    """Scoring of one case against its gold cause and urgency range (shared by evaluation and replay).

    Subclasses provide ``gold_cause``, ``acceptable``, ``top3``, ``urgency``, ``urgency_min`` and
    ``urgency_max``.
    """

    gold_cause: str
    acceptable: tuple[str, ...]
    top3: tuple[str, ...]
    urgency: Urgency
    urgency_min: Urgency
    urgency_max: Urgency

    @property
    def top1_ok(self) -> bool:
        """The top cause is the gold cause or an acceptable one."""
        return self.top3[0] == self.gold_cause or self.top3[0] in self.acceptable

    @property
    def top3_ok(self) -> bool:
        """The gold cause is among the top three."""
        return self.gold_cause in self.top3

    @property
    def under_triage(self) -> bool:
        """Urgency below the case's minimum."""
        return self.urgency < self.urgency_min

    @property
    def over_triage(self) -> bool:
        """Urgency above the case's maximum."""
        return self.urgency > self.urgency_max


@dataclass(frozen=True)
class CaseResult(CaseScore):
    """The outcome of one case."""

    id: str
    gold_cause: str
    acceptable: tuple[str, ...]
    top3: tuple[str, ...]
    top_probability: float
    urgency: Urgency
    urgency_min: Urgency
    urgency_max: Urgency
    kind: str

    @property
    def passed(self) -> bool:
        """Top-1 right and urgency in range."""
        return self.top1_ok and not self.under_triage and not self.over_triage


@dataclass(frozen=True)
class EvaluationReport:
    """Per-case results and the summary metrics."""

    cases: tuple[CaseResult, ...]

    def _rate(self, attr: str) -> float:
        return sum(bool(getattr(c, attr)) for c in self.cases) / max(len(self.cases), 1)

    @property
    def top1(self) -> float:
        """Share of cases whose top cause is acceptable."""
        return self._rate("top1_ok")

    @property
    def top3(self) -> float:
        """Share of cases whose gold cause is in the top three."""
        return self._rate("top3_ok")

    @property
    def under_triage(self) -> float:
        """Share of cases under-triaged."""
        return self._rate("under_triage")

    @property
    def over_triage(self) -> float:
        """Share of cases over-triaged."""
        return self._rate("over_triage")

    @property
    def triage_in_range(self) -> float:
        """Share of cases whose urgency is within the case's range."""
        return 1.0 - self.under_triage - self.over_triage

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        """Cases with a wrong top-1, a missing top-3 or urgency out of range."""
        return tuple(c for c in self.cases if not (c.passed and c.top3_ok))

    def summary(self) -> dict[str, float]:
        """The metrics as a dictionary."""
        return {
            "cases": float(len(self.cases)),
            "top1": self.top1,
            "top3": self.top3,
            "triage_in_range": self.triage_in_range,
            "under_triage": self.under_triage,
            "over_triage": self.over_triage,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per case."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "gold_cause": c.gold_cause,
                    "top1": c.top3[0],
                    "top1_ok": c.top1_ok,
                    "top3_ok": c.top3_ok,
                    "urgency": c.urgency.label,
                    "urgency_min": c.urgency_min.label,
                    "urgency_max": c.urgency_max.label,
                }
                for c in self.cases
            ]
        )

    def to_text(self) -> str:
        """The metrics and the failing cases, as plain text."""
        s = self.summary()
        lines = [
            f"cases: {len(self.cases)}",
            f"top-1: {s['top1']:.3f}",
            f"top-3: {s['top3']:.3f}",
            f"triage in range: {s['triage_in_range']:.3f}",
            f"under-triage: {s['under_triage']:.3f}",
            f"over-triage: {s['over_triage']:.3f}",
        ]
        if self.failures:
            lines.append("failing cases:")
        for c in self.failures:
            problems = []
            if not c.top1_ok:
                problems.append(f"top-1 {c.top3[0]} (gold {c.gold_cause})")
            if not c.top3_ok:
                problems.append(f"gold not in top-3 {list(c.top3)}")
            if c.under_triage or c.over_triage:
                word = "under" if c.under_triage else "over"
                problems.append(
                    f"{word}-triage {c.urgency.label} (range {c.urgency_min.label}..{c.urgency_max.label})"
                )
            lines.append(f"  {c.id} [{c.kind}]: " + "; ".join(problems))
        return "\n".join(lines)


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read a case file (a JSON list of cases, or ``{"cases": [...]}``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EvidenceError(f"{path}: cannot read the case file: {exc}") from exc
    if isinstance(data, Mapping):
        data = data.get("cases")
    if not isinstance(data, list):
        raise EvidenceError(f"{path}: expected a JSON list of cases (or {{'cases': [...]}}).")
    return data


def evaluate(
    cases: str | Path | Iterable[Mapping[str, Any]],
    model: Model | None = None,
    *,
    engine: EngineName = "fast",
) -> EvaluationReport:
    """Score ``model`` on ``cases`` (a path to a case file, or the parsed cases).

    Examples
    --------
    >>> case = {"id": "x", "evidence": {"cramp": True, "tight_footwear": True,
    ...         "while_wearing_shoes": True}, "gold_cause": "ill_fitting_footwear",
    ...         "urgency_min": "self_care", "urgency_max": "routine"}
    >>> evaluate([case]).top1
    1.0
    """
    model = load_model() if model is None else model
    raw = load_cases(cases) if isinstance(cases, str | Path) else list(cases)
    results = []
    for n, case in enumerate(raw):
        if not isinstance(case, Mapping) or any(k not in case for k in _REQUIRED):
            raise EvidenceError(f"case #{n}: needs the keys {', '.join(_REQUIRED)}.")
        cid = str(case["id"])
        for key in ("gold_cause", *case.get("acceptable", ())):
            name = case[key] if key == "gold_cause" else key
            if name not in model.cause_specs:
                raise EvidenceError(f"case {cid}: {name!r} is not a cause of model {model.name!r}.")
        try:
            d = rank_causes(case["evidence"], model=model, engine=engine)
        except EvidenceError as exc:
            raise type(exc)(f"case {cid}: {exc}") from exc
        results.append(
            CaseResult(
                id=cid,
                gold_cause=str(case["gold_cause"]),
                acceptable=tuple(case.get("acceptable", ())),
                top3=tuple(rc.cause for rc in d.ranked[:3]),
                top_probability=d.ranked[0].probability,
                urgency=d.urgency,
                urgency_min=Urgency.parse(case["urgency_min"]),
                urgency_max=Urgency.parse(case["urgency_max"]),
                kind=str(case.get("kind", "")),
            )
        )
    return EvaluationReport(tuple(results))
