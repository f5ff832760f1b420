"""Score a model on case files: stories with evidence, a gold cause and an acceptable urgency range.

Metrics, over all cases:

* top-1: the top-ranked cause is the gold cause or one of its ``acceptable`` alternatives;
* top-3: the gold cause is among the three highest-ranked causes;
* triage in range: ``urgency_min <= urgency <= urgency_max``;
* under-triage: ``urgency < urgency_min`` (a safety failure); over-triage: ``urgency > urgency_max``;
* safe triage: ``urgency >= urgency_min - 1`` (at most one level under; Gilbert et al., BMJ Open 2020).

Calibration, over all cases (each cause's posterior is a forecast of "this cause is the gold cause"):

* Brier score: the mean over cases and causes of ``(p_c - y_c) ** 2``, ``y_c = 1`` for the gold cause
  and 0 for every other cause (one-vs-rest; 0 is perfect);
* log-loss: the mean of ``-log p_gold`` (natural log, ``p_gold`` clipped at 1e-12);
* a reliability table: the forecasts binned by probability, with the mean forecast and the share that
  were the gold cause in each bin (a calibrated model has the two close).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toeprob.errors import ImpossibleEvidenceError
from toeprob.inference.engines import EngineName
from toeprob.knowledge.casefile import Case, as_cases
from toeprob.results.evaluation import CaseResult, EvaluationReport

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = ["evaluate_cases"]


def evaluate_cases(
    reasoner: Reasoner, cases: str | Path | Iterable[Mapping[str, Any] | Case], *, engine: EngineName = "fast"
) -> EvaluationReport:
    """:func:`toeprob.evaluate` with ``reasoner``'s model and engine."""
    model = reasoner.model
    results = []
    for case in as_cases(cases, model, "evaluate"):
        try:
            d = reasoner.rank(case.evidence, engine=engine)
        except ImpossibleEvidenceError as exc:
            raise ImpossibleEvidenceError(f"case {case.id!r}: {exc}") from exc
        results.append(
            CaseResult(
                id=case.id,
                gold_cause=case.gold_cause,
                acceptable=case.acceptable,
                top3=tuple(rc.cause for rc in d.ranked[:3]),
                top_probability=d.ranked[0].probability,
                urgency=d.urgency,
                urgency_min=case.urgency_min,
                urgency_max=case.urgency_max,
                kind=case.kind,
                probabilities={rc.cause: rc.probability for rc in d.ranked},
            )
        )
    return EvaluationReport(tuple(results), model.name, model.version)
