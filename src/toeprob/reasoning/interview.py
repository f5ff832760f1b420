"""The next-question interview: a small state machine with no I/O, and its replay on case files.

:class:`Interview` holds the answers so far. :meth:`Interview.next_question` gives the question the
rules of :mod:`toeprob.reasoning.questioning` put first (pending red flags, then the largest
expected information gain), :meth:`Interview.answer` records yes, no or don't know, and
:attr:`Interview.should_stop` / :attr:`Interview.stop_reason` apply the stop rule and the final
red-flag check.

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

from toeprob import registry
from toeprob.errors import (
    EvidenceError,
    ImpossibleEvidenceError,
    ParameterError,
    ParameterTypeError,
    UnknownIdentifierError,
)
from toeprob.inference.engines import EngineName
from toeprob.knowledge.casefile import Case, as_cases
from toeprob.knowledge.evidence import parse_value
from toeprob.knowledge.model import Model, resolve_model
from toeprob.reasoning.questioning import InterviewPolicy, question_text
from toeprob.reasoning.reasoner import Reasoner
from toeprob.results.diagnosis import DISCLAIMER, Diagnosis
from toeprob.results.evaluation import ReplayCase, ReplayReport
from toeprob.results.questions import Question, QuestionRanking, StopReason
from toeprob.results.serialize import header, plain
from toeprob.validation import (
    check_engine,
    check_parameter,
    check_type,
    non_negative_int,
    parameter_message,
    unknown_identifier_message,
)

if TYPE_CHECKING:
    pass

__all__ = ["Answer", "Interview", "ReplayCase", "ReplayReport", "replay"]


@dataclass(frozen=True)
class Answer:
    """One answered question: ``value`` is True (yes), False (no) or None (don't know).

    ``final_check`` is true when the final red-flag check asked it (see :mod:`toeprob.reasoning.questioning`):
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
    reasoner : Reasoner, optional
        The reasoner to ask (its model is the interview's); defaults to
        :meth:`Reasoner.for_model(model) <toeprob.Reasoner.for_model>`.

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
        reasoner: Reasoner | None = None,
    ) -> None:
        if reasoner is None:
            reasoner = Reasoner.for_model(resolve_model(model, "Interview"))
        check_type(reasoner, "reasoner", "Interview", Reasoner, "a toeprob.Reasoner or None")
        if model is not None and model is not reasoner.model:
            raise ParameterError("The 'model' and 'reasoner' parameters of Interview name different models.")
        self.reasoner = reasoner
        self.model = reasoner.model
        self.policy = InterviewPolicy() if policy is None else policy
        check_type(self.policy, "policy", "Interview", InterviewPolicy, "an InterviewPolicy or None")
        self.engine: EngineName = check_engine(engine, "Interview")
        self._evidence: dict[str, bool] = dict(reasoner.parse(evidence).values)
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
        """The current :class:`~toeprob.results.questions.QuestionRanking` (computed once per state)."""
        if self._ranking is None:
            self._ranking = self.reasoner.suggest_questions(
                self._evidence,
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
        """Why the interview should stop, or ``None`` (the rule: :mod:`toeprob.reasoning.questioning`)."""
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
            allowed = (*model.findings, *model.risk_factors)
            raise UnknownIdentifierError(
                unknown_identifier_message(question, allowed, "a question", model=model.name)
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
        ParameterError
            If ``transcript`` is not an interview transcript (:class:`~toeprob.errors.ParameterTypeError`
            when it is not even a mapping), has an answer without a question, or was made with
            another model than ``model``.
        EvidenceError
            If an answer of the transcript is not accepted (as :meth:`answer`).

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
            error = ParameterError if isinstance(transcript, Mapping) else ParameterTypeError
            allowed = "an interview transcript (a mapping with kind 'interview', from Interview.to_dict)"
            raise error(parameter_message("transcript", "Interview.resume", allowed, transcript))
        saved = transcript.get("model", {})
        name = saved.get("name") if isinstance(saved, Mapping) else None
        if name != model.name:
            raise ParameterError(
                f"the transcript was made with model {name!r}; resume it with that model, "
                f"not {model.name!r} (toeprob --model FILE)."
            )
        if policy is None and isinstance(transcript.get("policy"), Mapping):
            policy = InterviewPolicy(**transcript["policy"])
        iv = cls(
            transcript.get("start", {}), reasoner=Reasoner.for_model(model), policy=policy, engine=engine
        )
        for n, item in enumerate(transcript.get("answers", ()), start=1):
            if not isinstance(item, Mapping) or "question" not in item:
                raise ParameterError(
                    f"The 'transcript' parameter of Interview.resume: answer #{n} has no 'question'."
                )
            iv.answer(item["question"], item.get("value"))
            if item.get("final_check") is True:  # as recorded when it was asked
                iv._history[-1] = replace(iv._history[-1], final_check=True)
        return iv

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def __repr__(self) -> str:
        # no inference here: the stop decision is shown only once it has been computed
        if self._ranking is None:
            state = "not ranked yet"
        else:
            state = self._ranking.stop_reason.value if self._ranking.stop_reason else "asking"
        return f"<Interview {len(self._history)} answers, {state}>"


def _replay_one(
    case: Case, reasoner: Reasoner, policy: InterviewPolicy, n_start: int, engine: EngineName
) -> ReplayCase:
    model = reasoner.model
    full = dict(case.evidence)
    findings = [f for f in full if f in model.finding_specs]
    start = {f: full[f] for f in findings[:n_start]}
    iv = Interview(start, reasoner=reasoner, policy=policy, engine=engine)
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
        A case file or the parsed cases, validated by :mod:`toeprob.knowledge.casefile` (format:
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
    >>> from toeprob.reasoning.interview import replay
    >>> case = {"id": "x", "evidence": {"cramp": True, "low_fluid_intake": True}, "gold_cause": "dehydration",
    ...         "urgency_min": "self_care", "urgency_max": "routine"}
    >>> replay([case]).cases[0].start
    ('cramp',)
    """
    check_parameter(start_findings, non_negative_int, name="start_findings", owner="replay")
    check_engine(engine, "replay")
    model = resolve_model(model, "replay")
    reasoner = Reasoner.for_model(model)
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
            out.append(_replay_one(case, reasoner, policy, start_findings, engine))
        except ImpossibleEvidenceError as exc:
            raise ImpossibleEvidenceError(f"case {case.id!r}: {exc}") from exc
    return ReplayReport(tuple(out), policy, model.name, model.version)


@registry.register("interview", Reasoner)
def _start_interview(
    reasoner: Reasoner,
    evidence: Mapping[str, Any] | None = None,
    *,
    policy: InterviewPolicy | None = None,
    engine: EngineName = "fast",
) -> Interview:
    """:meth:`Reasoner.interview <toeprob.Reasoner.interview>`: an interview on ``reasoner``."""
    return Interview(evidence, reasoner=reasoner, policy=policy, engine=engine)
