"""The results of :func:`toeprob.evaluate` and of interview replays: per-case scores and the summary.

The metrics are defined in :mod:`toeprob.reasoning.scoring`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toeprob import registry
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import DISCLAIMER
from toeprob.results.questions import StopReason
from toeprob.results.serialize import header, plain
from toeprob.validation import check_parameter, positive_int

if TYPE_CHECKING:
    import pandas as pd

    from toeprob.reasoning.questioning import InterviewPolicy

__all__ = ["CaseResult", "CaseScore", "EvaluationReport", "ReliabilityBin", "ReplayCase", "ReplayReport"]


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

    def score_dict(self) -> dict[str, Any]:
        """The scoring fields as JSON-ready values (shared by evaluation and replay documents)."""
        return {
            "top3": list(self.top3),
            "top1_ok": self.top1_ok,
            "top3_ok": self.top3_ok,
            "urgency": self.urgency.label,
            "urgency_min": self.urgency_min.label,
            "urgency_max": self.urgency_max.label,
            "under_triage": self.under_triage,
        }

    @property
    def safe_triage(self) -> bool:
        """Urgency at most one level below the case's minimum (Gilbert et al. 2020)."""
        return int(self.urgency) >= int(self.urgency_min) - 1


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
    probabilities: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def gold_probability(self) -> float:
        """The posterior of the gold cause."""
        return self.probabilities.get(self.gold_cause, math.nan)

    @property
    def passed(self) -> bool:
        """Top-1 right and urgency in range."""
        return self.top1_ok and not self.under_triage and not self.over_triage


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reliability table: forecasts in ``[low, high)`` (the last bin includes 1)."""

    low: float
    high: float
    count: int
    mean_forecast: float
    observed: float


@dataclass(frozen=True)
class EvaluationReport:
    """Per-case results and the summary metrics."""

    cases: tuple[CaseResult, ...]
    model_name: str = ""
    model_version: str = ""

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
    def safe_triage(self) -> float:
        """Share of cases at most one level under their minimum (Gilbert et al. 2020)."""
        return self._rate("safe_triage")

    def _forecasts(self) -> list[tuple[float, float]]:
        return [
            (p, 1.0 if cause == c.gold_cause else 0.0)
            for c in self.cases
            for cause, p in c.probabilities.items()
        ]

    @property
    def brier(self) -> float:
        """Mean one-vs-rest Brier score over cases and causes (lower is better; NaN without posteriors)."""
        pairs = self._forecasts()
        return sum((p - y) ** 2 for p, y in pairs) / len(pairs) if pairs else math.nan

    @property
    def log_loss(self) -> float:
        """Mean ``-log p_gold`` over cases (lower is better; NaN without posteriors)."""
        golds = [c.gold_probability for c in self.cases if c.probabilities]
        return sum(-math.log(max(p, 1e-12)) for p in golds) / len(golds) if golds else math.nan

    def reliability(self, bins: int = 5) -> tuple[ReliabilityBin, ...]:
        """The reliability table: every cause's posterior in every case, in ``bins`` equal bins.

        Examples
        --------
        >>> from toeprob import evaluate
        >>> case = {"id": "x", "evidence": {"cramp": True}, "gold_cause": "muscle_fatigue",
        ...         "urgency_min": "self_care", "urgency_max": "routine"}
        >>> table = evaluate([case]).reliability(bins=2)
        >>> [(b.low, b.high) for b in table]
        [(0.0, 0.5), (0.5, 1.0)]
        >>> from toeprob import load_model
        >>> sum(b.count for b in table) == len(load_model().causes)
        True
        """
        check_parameter(bins, positive_int, name="bins", owner="EvaluationReport.reliability")
        grouped: list[list[tuple[float, float]]] = [[] for _ in range(bins)]
        for p, y in self._forecasts():
            grouped[min(int(p * bins), bins - 1)].append((p, y))
        return tuple(
            ReliabilityBin(
                low=k / bins,
                high=(k + 1) / bins,
                count=len(g),
                mean_forecast=sum(p for p, _ in g) / len(g) if g else math.nan,
                observed=sum(y for _, y in g) / len(g) if g else math.nan,
            )
            for k, g in enumerate(grouped)
        )

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
            "safe_triage": self.safe_triage,
            "brier": self.brier,
            "log_loss": self.log_loss,
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
                    "gold_probability": c.gold_probability,
                    "safe_triage": c.safe_triage,
                }
                for c in self.cases
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``kind = "evaluation"``; shape in ``docs/json.md``).

        ``summary`` holds every metric of :meth:`summary` (``cases`` as an integer), ``failing``
        the identifiers of :attr:`failures`, ``cases`` one object per case.
        """
        return {
            **header("evaluation", self.model_name, self.model_version),
            "summary": {**plain(self.summary()), "cases": len(self.cases)},
            "failing": [c.id for c in self.failures],
            "cases": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "gold_cause": c.gold_cause,
                    "acceptable": list(c.acceptable),
                    "top_probability": c.top_probability,
                    **c.score_dict(),
                    "over_triage": c.over_triage,
                }
                for c in self.cases
            ],
        }

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
            f"safe triage (at most one level under): {s['safe_triage']:.3f}",
            f"Brier score (one-vs-rest, all causes): {s['brier']:.4f}",
            f"log-loss of the gold cause: {s['log_loss']:.3f}",
            "reliability (forecast bin: count, mean forecast, share that was the gold cause):",
        ]
        for b in self.reliability():
            if b.count:
                lines.append(
                    f"  {b.low:.1f}-{b.high:.1f}: {b.count:5d}  {b.mean_forecast:.3f}  {b.observed:.3f}"
                )
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


@dataclass(frozen=True)
class ReplayCase(CaseScore):
    """The outcome of replaying the interview on one case.

    ``steps`` is the number of questions asked, a checklist counting once (``checklists`` of them were
    checklists, ``final_check_questions`` final red-flag checks); ``asked`` lists every identifier
    answered. ``questions_to_final`` is the number of steps after which the top cause was already the
    one at the stop and stayed so. ``top1_by_step[k]`` and ``under_triage_by_step[k]`` say whether the
    top cause was acceptable and the urgency under the case's minimum after ``k`` steps (``k = 0``:
    the start). ``safety_applies`` is true when the case reports a red flag whose floor reaches its
    ``urgency_min``; ``safe`` is ``urgency >= urgency_min`` for those cases.
    """

    id: str
    kind: str
    gold_cause: str
    acceptable: tuple[str, ...]
    start: tuple[str, ...]
    asked: tuple[str, ...]
    stop_reason: StopReason | None
    questions_to_final: int
    top3: tuple[str, ...]
    urgency: Urgency
    urgency_min: Urgency
    urgency_max: Urgency
    red_flags: tuple[str, ...]
    final_check_questions: int = 0
    steps: int = 0
    checklists: int = 0
    top1_by_step: tuple[bool, ...] = ()
    under_triage_by_step: tuple[bool, ...] = ()

    @property
    def questions(self) -> int:
        """Questions asked until the stop, a checklist counting once."""
        return self.steps

    @property
    def safety_applies(self) -> bool:
        """The case reports a red flag whose floor reaches ``urgency_min``."""
        return bool(self.red_flags)

    @property
    def safe(self) -> bool:
        """Not under-triaged (only a requirement when :attr:`safety_applies`)."""
        return not self.under_triage


@dataclass(frozen=True)
class ReplayReport:
    """Every replayed case and the summary figures."""

    cases: tuple[ReplayCase, ...]
    policy: InterviewPolicy
    model_name: str = ""
    model_version: str = ""

    @property
    def under_triaged(self) -> tuple[ReplayCase, ...]:
        """The cases whose urgency at the stop is below their ``urgency_min``."""
        return tuple(c for c in self.cases if c.under_triage)

    def summary(self) -> dict[str, float]:
        """Mean questions asked (a checklist counting once) and to the final top-1, scores at the stop.

        Counts are integers; ``under_triage`` counts every under-triaged case and
        ``red_flag_cases_unsafe`` those of them that report a red flag reaching their minimum.
        """
        n = max(len(self.cases), 1)
        applies = [c for c in self.cases if c.safety_applies]
        return {
            "cases": len(self.cases),
            "mean_questions": sum(c.questions for c in self.cases) / n,
            "max_questions_asked": max((c.questions for c in self.cases), default=0),
            "mean_checklists": sum(c.checklists for c in self.cases) / n,
            "mean_identifiers_answered": sum(len(c.asked) for c in self.cases) / n,
            "mean_final_check_questions": sum(c.final_check_questions for c in self.cases) / n,
            "max_questions": self.policy.max_questions,
            "mean_questions_to_final_top1": sum(c.questions_to_final for c in self.cases) / n,
            "top1": sum(c.top1_ok for c in self.cases) / n,
            "top3": sum(c.top3_ok for c in self.cases) / n,
            "triage_in_range": sum(not (c.under_triage or c.over_triage) for c in self.cases) / n,
            "under_triage": len(self.under_triaged),
            "over_triage": sum(c.over_triage for c in self.cases),
            "red_flag_cases": len(applies),
            "red_flag_cases_unsafe": sum(not c.safe for c in applies),
        }

    def curve(self) -> pd.DataFrame:
        """Top-1 and under-triage against the number of questions asked (a checklist counting once).

        Row ``k`` holds, over all cases, the share whose top cause is acceptable and the share under
        their urgency minimum after ``k`` questions, a case that stopped earlier counting with its
        state at the stop; ``still_asking`` is the share of cases that asked more than ``k``.
        Columns: ``questions, top1, under_triage, still_asking``.

        Examples
        --------
        >>> from toeprob.reasoning.interview import replay
        >>> case = {"id": "x", "evidence": {"cramp": True, "low_fluid_intake": True},
        ...         "gold_cause": "dehydration", "urgency_min": "self_care", "urgency_max": "routine"}
        >>> replay([case]).curve().columns.tolist()
        ['questions', 'top1', 'under_triage', 'still_asking']
        """
        import pandas as pd

        longest = max((c.steps for c in self.cases), default=0)
        n = max(len(self.cases), 1)
        rows = []
        for k in range(longest + 1):
            at = [min(k, len(c.top1_by_step) - 1) for c in self.cases]
            rows.append(
                {
                    "questions": k,
                    "top1": sum(
                        c.top1_by_step[i] for c, i in zip(self.cases, at, strict=True) if c.top1_by_step
                    )
                    / n,
                    "under_triage": sum(
                        c.under_triage_by_step[i]
                        for c, i in zip(self.cases, at, strict=True)
                        if c.top1_by_step
                    )
                    / n,
                    "still_asking": sum(c.steps > k for c in self.cases) / n,
                }
            )
        return pd.DataFrame(rows, columns=["questions", "top1", "under_triage", "still_asking"])

    def plot(self, ax: Any = None) -> Any:
        """Plot :meth:`curve` (top-1 and under-triage against questions asked); needs matplotlib."""
        return registry.call("plot", self, ax=ax)

    def to_frame(self) -> pd.DataFrame:
        """One row per case."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "gold_cause": c.gold_cause,
                    "start": ", ".join(c.start),
                    "questions": c.questions,
                    "checklists": c.checklists,
                    "identifiers_answered": len(c.asked),
                    "final_check_questions": c.final_check_questions,
                    "questions_to_final_top1": c.questions_to_final,
                    "stop_reason": c.stop_reason.value if c.stop_reason else None,
                    "top1": c.top3[0],
                    "top1_ok": c.top1_ok,
                    "top3_ok": c.top3_ok,
                    "urgency": c.urgency.label,
                    "urgency_min": c.urgency_min.label,
                    "red_flags": ", ".join(c.red_flags),
                    "safe": c.safe,
                    "asked": ", ".join(c.asked),
                }
                for c in self.cases
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``kind = "replay"``; shape in ``docs/json.md``): summary and cases."""
        return {
            **header("replay", self.model_name, self.model_version),
            "policy": plain(self.policy),
            "summary": self.summary(),
            "curve": self.curve().to_dict(orient="records"),
            "under_triaged": [c.id for c in self.under_triaged],
            "cases": [
                {
                    "id": c.id,
                    "kind": c.kind,
                    "gold_cause": c.gold_cause,
                    "acceptable": list(c.acceptable),
                    "start": list(c.start),
                    "asked": list(c.asked),
                    "questions": c.questions,
                    "checklists": c.checklists,
                    "final_check_questions": c.final_check_questions,
                    "questions_to_final_top1": c.questions_to_final,
                    "stop_reason": c.stop_reason.value if c.stop_reason else None,
                    **c.score_dict(),
                    "red_flags": list(c.red_flags),
                    "safety_applies": c.safety_applies,
                    "safe": c.safe,
                }
                for c in self.cases
            ],
            "disclaimer": DISCLAIMER,
        }

    def to_text(self) -> str:
        """The summary, then every under-triaged case, then the red-flag safety line."""
        s = self.summary()
        lines = [
            f"cases: {s['cases']}",
            f"mean questions asked: {s['mean_questions']:.2f} (a checklist counts once; "
            f"{s['mean_checklists']:.2f} checklists, {s['mean_identifiers_answered']:.1f} identifiers "
            f"answered per case); most in one case: {s['max_questions_asked']}; budget "
            f"{s['max_questions']}, which the final red-flag check may exceed by one",
            f"mean questions to the final top-1: {s['mean_questions_to_final_top1']:.2f}",
            f"top-1 at stop: {s['top1']:.3f}",
            f"top-3 at stop: {s['top3']:.3f}",
            f"triage in range at stop: {s['triage_in_range']:.3f} "
            f"(over-triaged: {s['over_triage']} of {s['cases']})",
            f"under-triaged at stop: {s['under_triage']} of {s['cases']}",
        ]
        for c in self.under_triaged:
            flags = f"red flags {', '.join(c.red_flags)}" if c.red_flags else "no red flag reaching it"
            lines.append(f"  {c.id}: {c.urgency.label} < {c.urgency_min.label}; {flags}")
        lines.append(
            f"under-triaged among the {s['red_flag_cases']} cases with a red flag reaching their "
            f"minimum: {s['red_flag_cases_unsafe']}"
        )
        curve = self.curve().to_dict("records")
        for column, title in (
            ("top1", "top-1"),
            ("under_triage", "under-triage"),
            ("still_asking", "still asking"),
        ):
            points = " ".join(f"{row['questions']}:{row[column]:.2f}" for row in curve)
            lines.append(f"{title} after k questions (k:share): {points}")
        lines.append("questions per case: " + ", ".join(f"{c.id} {c.questions}" for c in self.cases))
        lines.append(DISCLAIMER)
        return "\n".join(lines)
