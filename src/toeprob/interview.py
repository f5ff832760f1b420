"""The next-question interview: a small state machine with no I/O, and its replay on case files.

:class:`Interview` holds the answers so far. :meth:`Interview.next_question` gives the question the
rules of :mod:`toeprob.questions` put first (pending red flags, then the largest expected information
gain), :meth:`Interview.answer` records yes, no or don't know, and :attr:`Interview.should_stop`
/ :attr:`Interview.stop_reason` apply the stop rule and the final red-flag check.

:func:`replay` runs the interview on case files: it starts from each case's first findings, answers
every later question from the case's evidence (don't know when the case does not say) and records how
many questions were needed and how the stop compares with the case's answer and urgency range.

Examples
--------
>>> from toeprob import Interview
>>> iv = Interview({"cramp": "yes"})
>>> q = iv.next_question()
>>> isinstance(q.text, str)
True
>>> iv.answer(q.id, "no")
>>> len(iv.history)
1
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toeprob.api import EngineName
from toeprob.arguments import check_engine, check_type, resolve_model
from toeprob.casefile import Case, as_cases
from toeprob.errors import (
    EvidenceError,
    ImpossibleEvidenceError,
    ParameterError,
    UnknownIdentifierError,
    closest_matches,
    shorten,
)
from toeprob.evaluate import CaseScore
from toeprob.evidence import parse_evidence, parse_value
from toeprob.model import Model
from toeprob.questions import (
    InterviewPolicy,
    Question,
    QuestionRanking,
    StopReason,
    question_text,
    suggest_questions,
)
from toeprob.results import DISCLAIMER, Diagnosis
from toeprob.serialize import header, plain
from toeprob.urgency import Urgency

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Answer", "Interview", "ReplayCase", "ReplayReport", "replay"]


@dataclass(frozen=True)
class Answer:
    """One answered question: ``value`` is True (yes), False (no) or None (don't know).

    ``final_check`` is true when the final red-flag check asked it (see :mod:`toeprob.questions`):
    such questions come after the stop rule would have fired and do not count towards
    ``max_questions``.
    """

    question: str
    kind: str
    text: str
    value: bool | None
    final_check: bool = False

    @property
    def label(self) -> str:
        """``"yes"``, ``"no"`` or ``"don't know"``."""
        return "don't know" if self.value is None else "yes" if self.value else "no"


class Interview:
    """Ask one question at a time until the stop rule says enough (no I/O).

    Parameters
    ----------
    evidence : mapping, optional
        Answers known at the start (as for :func:`toeprob.rank_causes`); not part of ``history``.
    model : Model, optional
        Defaults to the shipped model.
    policy : InterviewPolicy, optional
        Red-flag-first and stop-rule parameters.
    engine : {"fast", "pgmpy"}

    Raises
    ------
    UnknownIdentifierError, EvidenceError
        For bad starting evidence.

    Examples
    --------
    >>> from toeprob import Interview
    >>> iv = Interview({"jaw_stiffness_body_spasms": "yes"})
    >>> iv.should_stop, iv.stop_reason
    (True, <StopReason.EMERGENCY: 'emergency'>)
    >>> iv.next_question() is None
    True
    """

    def __init__(
        self,
        evidence: Mapping[str, Any] | None = None,
        *,
        model: Model | None = None,
        policy: InterviewPolicy | None = None,
        engine: EngineName = "fast",
    ) -> None:
        self.model = resolve_model(model, "Interview")
        self.policy = InterviewPolicy() if policy is None else policy
        check_type(self.policy, "policy", "Interview", InterviewPolicy, "an InterviewPolicy or None")
        self.engine: EngineName = check_engine(engine, "Interview")
        self._evidence: dict[str, bool] = dict(parse_evidence(evidence, self.model).values)
        self._start: dict[str, bool] = dict(self._evidence)
        self._history: list[Answer] = []
        self._unknown: set[str] = set()
        self._ranking: QuestionRanking | None = None

    @property
    def evidence(self) -> Mapping[str, bool]:
        """The known answers (starting evidence and yes/no answers)."""
        return dict(self._evidence)

    @property
    def history(self) -> tuple[Answer, ...]:
        """The questions answered through :meth:`answer`, in order."""
        return tuple(self._history)

    @property
    def ranking(self) -> QuestionRanking:
        """The current :class:`~toeprob.questions.QuestionRanking` (computed once per state)."""
        if self._ranking is None:
            self._ranking = suggest_questions(
                self._evidence,
                model=self.model,
                k=5,
                policy=self.policy,
                exclude=self._unknown,
                questions_asked=len(self._history),
                engine=self.engine,
            )
        return self._ranking

    @property
    def diagnosis(self) -> Diagnosis:
        """The ranking of causes and the urgency for the answers so far."""
        return self.ranking.diagnosis

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the interview should stop, or ``None`` (the rule is in :mod:`toeprob.questions`)."""
        return self.ranking.stop_reason

    @property
    def should_stop(self) -> bool:
        """True when the stop rule says the interview is done."""
        return self.stop_reason is not None

    def next_question(self) -> Question | None:
        """The question to ask now, or ``None`` when the interview should stop."""
        if self.should_stop or not self.ranking.questions:
            return None
        return self.ranking.questions[0]

    def answer(self, question: str, value: Any) -> None:
        """Record the answer to ``question``: yes, no or don't know (``None``, ``"?"``, ``"unknown"``).

        Any unanswered finding or risk factor can be answered, not only the suggested one.

        Raises
        ------
        UnknownIdentifierError
            If ``question`` is not a finding or risk factor of the model (with the closest ones).
        EvidenceError
            If ``question`` has already been answered yes or no, or ``value`` is not accepted.
        """
        model = self.model
        if not isinstance(question, str) or (
            question not in model.finding_specs and question not in model.risk_factor_specs
        ):
            hint = closest_matches(question, (*model.findings, *model.risk_factors))
            extra = f" Closest: {', '.join(hint)}." if hint else ""
            raise UnknownIdentifierError(
                f"{shorten(question)} is not a question of model {model.name!r}.{extra}"
            )
        if question in self._evidence:
            said = "yes" if self._evidence[question] else "no"
            raise EvidenceError(f"{question!r} has already been answered ({said}).")
        parsed = parse_value(question, value)
        kind, text = question_text(model, question)
        # asked by the final red-flag check: it is among the check's questions of the current state
        final = self._ranking is not None and question in self._ranking.final_check
        self._history.append(Answer(question, kind, text, parsed, final))
        if parsed is None:
            self._unknown.add(question)
        else:
            self._evidence[question] = parsed
            self._unknown.discard(question)
        self._ranking = None

    def to_dict(self, top: int | None = 5) -> dict[str, Any]:
        """The transcript as a JSON document (``kind = "interview"``; shape in ``docs/json.md``).

        It holds the starting evidence, every answer in order (yes, no or don't know), the stop
        decision and the current diagnosis; :meth:`resume` continues from it.

        Examples
        --------
        >>> from toeprob import Interview
        >>> iv = Interview({"cramp": "yes"})
        >>> iv.answer("low_fluid_intake", "yes")
        >>> data = iv.to_dict()
        >>> data["kind"], data["start"], data["answers"][0]["answer"]
        ('interview', {'cramp': True}, 'yes')
        """
        stop = self.stop_reason
        return {
            **header("interview", self.model.name, self.model.version),
            "start": dict(self._start),
            "answers": [
                {
                    "number": n,
                    "question": a.question,
                    "kind": a.kind,
                    "text": a.text,
                    "answer": a.label,
                    "value": a.value,
                    "final_check": a.final_check,
                }
                for n, a in enumerate(self._history, start=1)
            ],
            "questions_counted": sum(not a.final_check for a in self._history),
            "policy": plain(self.policy),
            "stopped": stop is not None,
            "stop_reason": None if stop is None else stop.value,
            "stop_reason_text": None if stop is None else stop.text,
            "diagnosis": self.diagnosis.to_dict(top=top),
            "disclaimer": DISCLAIMER,
        }

    @classmethod
    def resume(
        cls,
        transcript: Mapping[str, Any],
        *,
        model: Model | None = None,
        policy: InterviewPolicy | None = None,
        engine: EngineName = "fast",
    ) -> Interview:
        """Continue an interview saved with :meth:`to_dict` (or ``toeprob interview --json``).

        The starting evidence and the answers are replayed in order. ``policy`` defaults to the one
        saved in the transcript.

        Raises
        ------
        EvidenceError
            If the transcript is not an interview document or was made with another model.

        Examples
        --------
        >>> from toeprob import Interview
        >>> iv = Interview({"cramp": "yes"})
        >>> iv.answer("low_fluid_intake", "no")
        >>> again = Interview.resume(iv.to_dict())
        >>> again.evidence == iv.evidence and again.history == iv.history
        True
        """
        model = resolve_model(model, "Interview.resume")
        if not isinstance(transcript, Mapping) or transcript.get("kind") != "interview":
            raise EvidenceError("not an interview transcript: expected a JSON object with kind 'interview'.")
        saved = transcript.get("model", {})
        name = saved.get("name") if isinstance(saved, Mapping) else None
        if name != model.name:
            raise EvidenceError(
                f"the transcript was made with model {name!r}; resume it with that model, "
                f"not {model.name!r} (toeprob --model FILE)."
            )
        if policy is None and isinstance(transcript.get("policy"), Mapping):
            policy = InterviewPolicy(**transcript["policy"])
        iv = cls(transcript.get("start", {}), model=model, policy=policy, engine=engine)
        for n, item in enumerate(transcript.get("answers", ()), start=1):
            if not isinstance(item, Mapping) or "question" not in item:
                raise EvidenceError(f"answer #{n} of the transcript has no 'question'.")
            iv.answer(item["question"], item.get("value"))
            if item.get("final_check") is True:  # as recorded when it was asked
                iv._history[-1] = replace(iv._history[-1], final_check=True)
        return iv

    def _repr_html_(self) -> str:
        from toeprob.display_reasoning import interview_html

        return interview_html(self)

    def __repr__(self) -> str:
        state = self.stop_reason.value if self.stop_reason else "asking"
        return f"<Interview {len(self._history)} answers, {state}>"


@dataclass(frozen=True)
class ReplayCase(CaseScore):
    """The outcome of replaying the interview on one case.

    ``questions_to_final`` is the number of questions after which the top cause was already the
    one at the stop and stayed so; ``final_check_questions`` of the questions were asked by the final
    red-flag check (they do not count towards ``max_questions``). ``safety_applies`` is true when the
    case reports a red flag whose floor reaches its ``urgency_min``; ``safe`` is ``urgency >=
    urgency_min`` for those cases.
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

    @property
    def questions(self) -> int:
        """Questions asked until the stop, the final red-flag check included."""
        return len(self.asked)

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
        """Mean questions asked and to the final top-1, top-1/top-3 at the stop, safety counts.

        Counts are integers; ``under_triage`` counts every under-triaged case and
        ``red_flag_cases_unsafe`` those of them that report a red flag reaching their minimum.
        """
        n = max(len(self.cases), 1)
        applies = [c for c in self.cases if c.safety_applies]
        return {
            "cases": len(self.cases),
            "mean_questions": sum(c.questions for c in self.cases) / n,
            "mean_final_check_questions": sum(c.final_check_questions for c in self.cases) / n,
            "max_questions": self.policy.max_questions,
            "mean_questions_to_final_top1": sum(c.questions_to_final for c in self.cases) / n,
            "top1": sum(c.top1_ok for c in self.cases) / n,
            "top3": sum(c.top3_ok for c in self.cases) / n,
            "under_triage": len(self.under_triaged),
            "red_flag_cases": len(applies),
            "red_flag_cases_unsafe": sum(not c.safe for c in applies),
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
                    "start": ", ".join(c.start),
                    "questions": c.questions,
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
            f"mean questions asked: {s['mean_questions']:.2f}, of which "
            f"{s['mean_final_check_questions']:.2f} in the final red-flag check; budget "
            f"{s['max_questions']}, which plausible red flags and the final check may exceed",
            f"mean questions to the final top-1: {s['mean_questions_to_final_top1']:.2f}",
            f"top-1 at stop: {s['top1']:.3f}",
            f"top-3 at stop: {s['top3']:.3f}",
            f"under-triaged at stop: {s['under_triage']} of {s['cases']}",
        ]
        for c in self.under_triaged:
            flags = f"red flags {', '.join(c.red_flags)}" if c.red_flags else "no red flag reaching it"
            lines.append(f"  {c.id}: {c.urgency.label} < {c.urgency_min.label}; {flags}")
        lines.append(
            f"under-triaged among the {s['red_flag_cases']} cases with a red flag reaching their "
            f"minimum: {s['red_flag_cases_unsafe']}"
        )
        lines.append(DISCLAIMER)
        return "\n".join(lines)


def _replay_one(
    case: Case, model: Model, policy: InterviewPolicy, n_start: int, engine: EngineName
) -> ReplayCase:
    full = dict(case.evidence)
    findings = [f for f in full if f in model.finding_specs]
    start = {f: full[f] for f in findings[:n_start]}
    iv = Interview(start, model=model, policy=policy, engine=engine)
    tops = [iv.diagnosis.top.cause]
    while (q := iv.next_question()) is not None:
        iv.answer(q.id, full.get(q.id))
        tops.append(iv.diagnosis.top.cause)
    final_check = sum(a.final_check for a in iv.history)
    final = tops[-1]
    settled = len(tops) - 1
    while settled > 0 and tops[settled - 1] == final:
        settled -= 1
    d = iv.diagnosis
    umin = case.urgency_min
    red = model.red_flags
    flags = tuple(f for f, v in full.items() if v and f in red and red[f] >= umin)
    return ReplayCase(
        id=case.id,
        kind=case.kind,
        gold_cause=case.gold_cause,
        acceptable=case.acceptable,
        start=tuple(start),
        asked=tuple(a.question for a in iv.history),
        stop_reason=iv.stop_reason,
        questions_to_final=settled,
        top3=tuple(rc.cause for rc in d.ranked[:3]),
        urgency=d.urgency,
        urgency_min=umin,
        urgency_max=case.urgency_max,
        red_flags=flags,
        final_check_questions=final_check,
    )


def replay(
    cases: str | Path | Iterable[Mapping[str, Any] | Case],
    *,
    model: Model | None = None,
    policy: InterviewPolicy | None = None,
    start_findings: int = 2,
    engine: EngineName = "fast",
    progress: bool = False,
) -> ReplayReport:
    """Replay the interview on every case (see the module docstring).

    Parameters
    ----------
    cases : path or iterable of mappings
        A case file or the parsed cases, validated by :mod:`toeprob.casefile` (format:
        ``docs/case-format.md``); example case files ship in :mod:`toeprob.datasets`.
    model : Model, optional
    policy : InterviewPolicy, optional
    start_findings : int
        The interview starts from this many of the case's findings, in the order the case lists
        them (with their values); everything else must be asked.
    engine : {"fast", "pgmpy"}
    progress : bool
        Show a progress bar (tqdm, on standard error) over the cases.

    Returns
    -------
    ReplayReport

    Examples
    --------
    >>> from toeprob.interview import replay
    >>> case = {"id": "x", "evidence": {"cramp": True, "low_fluid_intake": True}, "gold_cause": "dehydration",
    ...         "urgency_min": "self_care", "urgency_max": "routine"}
    >>> replay([case]).cases[0].start
    ('cramp',)
    """
    ok = isinstance(start_findings, int) and not isinstance(start_findings, bool) and start_findings >= 0
    if not ok:
        raise ParameterError(
            f"The 'start_findings' parameter of replay must be an int >= 0. Got {start_findings!r} instead."
        )
    model = resolve_model(model, "replay")
    policy = InterviewPolicy() if policy is None else policy
    check_type(policy, "policy", "replay", InterviewPolicy, "an InterviewPolicy or None")
    cases_list = list(as_cases(cases, model, "replay"))
    rows: Iterable[Case] = cases_list
    if progress:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        rows = tqdm(cases_list, desc="replay", unit="case", file=sys.stderr)
    out = []
    for case in rows:
        try:
            out.append(_replay_one(case, model, policy, start_findings, engine))
        except ImpossibleEvidenceError as exc:
            raise ImpossibleEvidenceError(f"case {case.id!r}: {exc}") from exc
    return ReplayReport(tuple(out), policy, model.name, model.version)
