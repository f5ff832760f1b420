"""The interview: a small state machine with no I/O, and its replay on case files.

:class:`Interview` holds the answers so far. :meth:`Interview.next_question` gives the step the
rules of :mod:`toeprob.reasoning.questioning` put first: a checklist (``kind == "checklist"``, its
identifiers in ``ids``) or a single question. :meth:`Interview.answer_many` answers a checklist (or
any set of identifiers) in one step; :meth:`Interview.answer` answers one identifier, or a whole
checklist with "no" / "don't know". :attr:`Interview.should_stop` / :attr:`Interview.stop_reason`
apply the stop rule. :meth:`Interview.to_dict` and :meth:`Interview.from_dict` save and resume.

:func:`replay` runs the interview on case files: it starts from each case's first findings, answers
every later question from the case's evidence (don't know when the case does not say), and records
the number of steps (a checklist counts once), the top cause and urgency after every step, and how
the stop compares with the case's answer and urgency range.

Examples
--------
>>> from toeprob import Interview
>>> iv = Interview({"cramp": "yes"})
>>> q = iv.next_question()
>>> q.kind, len(q.ids) > 1
('checklist', True)
>>> iv.answer_many({q.ids[0]: "yes"} | {i: "no" for i in q.ids[1:]})
>>> iv.steps, len(iv.history) == len(q.ids)
(1, True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from toeprob.results.questions import CHECKLISTS, Question, QuestionRanking, StopReason
from toeprob.results.serialize import header
from toeprob.validation import (
    Constraint,
    check_engine,
    check_parameter,
    check_type,
    non_negative_int,
    parameter_message,
    unknown_identifier_message,
)

__all__ = ["Answer", "Interview", "ReplayCase", "ReplayReport", "replay"]

#: What :meth:`Interview.answer_many` takes.
_ANSWERS = Constraint(
    "a non-empty mapping of identifier -> yes/no/don't know",
    lambda v: isinstance(v, Mapping),
    lambda v: len(v) > 0,
)


@dataclass(frozen=True)
class Answer:
    """One answered identifier: ``value`` is True (yes), False (no) or None (don't know).

    ``step`` is the number of the step that answered it (the items of one checklist share a step);
    ``checklist`` names the checklist it was answered in, if any; ``final_check`` is true when the
    final red-flag check asked it (see :mod:`toeprob.reasoning.questioning`).
    """

    question: str
    kind: str
    text: str
    value: bool | None
    final_check: bool = False
    step: int = 0
    checklist: str | None = None

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
        self._steps = 0
        self._checklists: list[str] = []
        self._ranking: QuestionRanking | None = None

    @property
    def evidence(self) -> Mapping[str, bool]:
        """The known answers (starting evidence and yes/no answers)."""
        return dict(self._evidence)

    @property
    def history(self) -> tuple[Answer, ...]:
        """Every identifier answered through :meth:`answer` or :meth:`answer_many`, in order."""
        return tuple(self._history)

    @property
    def steps(self) -> int:
        """The number of steps taken: questions asked, a checklist counting once."""
        return self._steps

    @property
    def checklists_asked(self) -> tuple[str, ...]:
        """The checklists answered so far, in order."""
        return tuple(self._checklists)

    @property
    def ranking(self) -> QuestionRanking:
        """The current :class:`~toeprob.results.questions.QuestionRanking` (computed once per state)."""
        if self._ranking is None:
            self._ranking = self.reasoner.suggest_questions(
                self._evidence,
                k=5,
                policy=self.policy,
                exclude=self._unknown,
                questions_asked=self._steps,
                engine=self.engine,
                checklists_asked=self._checklists,
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
        """The step to take now (a checklist or a single question), or ``None`` when it should stop."""
        if self.should_stop or not self.ranking.questions:
            return None
        return self.ranking.questions[0]

    def _check_id(self, question: Any) -> str:
        model = self.model
        if not isinstance(question, str) or (
            question not in model.finding_specs and question not in model.risk_factor_specs
        ):
            allowed = (*model.findings, *model.risk_factors, *CHECKLISTS)
            raise UnknownIdentifierError(
                unknown_identifier_message(question, allowed, "a question", model=model.name)
            )
        if question in self._evidence:
            said = "yes" if self._evidence[question] else "no"
            raise EvidenceError(f"{question!r} has already been answered ({said}).")
        return question

    def _current_checklist(self, name: str) -> Question:
        current = self.next_question()
        if current is None or current.id != name:
            now = "nothing (the interview should stop)" if current is None else repr(current.id)
            raise EvidenceError(f"{name!r} is not the question being asked; the current question is {now}.")
        return current

    def answer(self, question: str, value: Any) -> None:
        """Record one answer: yes, no or don't know (``None``, ``"?"``, ``"unknown"``); one step.

        ``question`` is a finding or risk factor (any unanswered one, not only the suggested one), or
        the ``id`` of the checklist being asked, answered "no" (none of these) or "don't know" for
        every item; a checklist with some items present is answered with :meth:`answer_many`.

        Raises
        ------
        UnknownIdentifierError
            If ``question`` is not a finding or risk factor of the model (with the closest ones).
        EvidenceError
            If ``question`` has already been answered yes or no, ``value`` is not accepted, or a
            checklist is answered "yes" (say which items with :meth:`answer_many`).

        Examples
        --------
        >>> from toeprob import Interview
        >>> iv = Interview({"cramp": "yes"})
        >>> iv.answer("low_fluid_intake", "yes")
        >>> iv.evidence["low_fluid_intake"], iv.steps
        (True, 1)
        """
        if isinstance(question, str) and question in CHECKLISTS:
            current = self._current_checklist(question)
            parsed = parse_value(question, value)
            if parsed:
                raise EvidenceError(
                    f"{question!r} cannot be answered 'yes' as a whole: say which items are present "
                    f"with answer_many({{identifier: value}}); its items: {', '.join(current.ids)}."
                )
            self.answer_many(dict.fromkeys(current.ids, parsed))
            return
        self._apply({self._check_id(question): parse_value(question, value)}, None, False)

    def answer_many(self, answers: Mapping[str, Any]) -> None:
        """Answer several identifiers in one step (a checklist, or any set); all are checked first.

        When the question being asked is a checklist and ``answers`` covers some of its items, the
        checklist counts as asked (items left out stay unanswered and may be asked again).

        Raises
        ------
        UnknownIdentifierError, EvidenceError
            As :meth:`answer`, for any item; nothing is recorded then.
        ParameterError
            If ``answers`` is not a non-empty mapping.

        Examples
        --------
        >>> from toeprob import Interview
        >>> iv = Interview({"fasciculation": "yes"})
        >>> iv.answer_many({"high_stress": "yes", "caffeine_or_nicotine": "no", "takes_ssri": None})
        >>> iv.steps, [a.label for a in iv.history]
        (1, ['yes', 'no', "don't know"])
        """
        check_parameter(answers, _ANSWERS, name="answers", owner="Interview.answer_many")
        parsed = {self._check_id(q): parse_value(q, v) for q, v in answers.items()}
        current = self.next_question() if self._ranking is not None else None
        checklist = None
        final = False
        if current is not None and current.is_checklist and set(current.ids) & set(parsed):
            checklist, final = current.id, current.final_check
        self._apply(parsed, checklist, final)

    def _apply(self, parsed: Mapping[str, bool | None], checklist: str | None, final: bool) -> None:
        self._steps += 1
        for question, value in parsed.items():
            kind, text = question_text(self.model, question)
            self._history.append(Answer(question, kind, text, value, final, self._steps, checklist))
            if value is None:
                self._unknown.add(question)
            else:
                self._evidence[question] = value
                self._unknown.discard(question)
        if checklist is not None and checklist not in self._checklists:
            self._checklists.append(checklist)
        self._ranking = None

    def to_dict(self, top: int | None = 5) -> dict[str, Any]:
        """The transcript as a JSON document (``kind = "interview"``; shape in ``docs/json.md``).

        It holds the starting evidence, every answer in order with its step (yes, no or don't
        know), the checklists asked, the policy, the stop decision and the current diagnosis;
        :meth:`from_dict` continues from it.

        Examples
        --------
        >>> from toeprob import Interview
        >>> iv = Interview({"cramp": "yes"})
        >>> iv.answer("low_fluid_intake", "yes")
        >>> data = iv.to_dict()
        >>> data["kind"], data["start"], data["answers"][0]["answer"], data["questions_counted"]
        ('interview', {'cramp': True}, 'yes', 1)
        """
        stop = self.stop_reason
        return {
            **header("interview", self.model.name, self.model.version),
            "start": dict(self._start),
            "answers": [
                {
                    "number": n,
                    "step": a.step,
                    "question": a.question,
                    "kind": a.kind,
                    "text": a.text,
                    "answer": a.label,
                    "value": a.value,
                    "checklist": a.checklist,
                    "final_check": a.final_check,
                }
                for n, a in enumerate(self._history, start=1)
            ],
            "questions_counted": self._steps,
            "checklists_asked": list(self._checklists),
            "policy": self.policy.to_dict(),
            "stopped": stop is not None,
            "stop_reason": None if stop is None else stop.value,
            "stop_reason_text": None if stop is None else stop.text,
            "diagnosis": self.diagnosis.to_dict(top=top),
            "disclaimer": DISCLAIMER,
        }

    @classmethod
    def from_dict(
        cls,
        transcript: Mapping[str, Any],
        *,
        model: Model | None = None,
        policy: InterviewPolicy | None = None,
        engine: EngineName = "fast",
    ) -> Interview:
        """Continue an interview saved with :meth:`to_dict` (or ``toeprob interview --json/--save``).

        The starting evidence and the answers are replayed step by step. ``policy`` defaults to the
        one saved in the transcript (keys of older versions that no longer exist are ignored).

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
        >>> again = Interview.from_dict(iv.to_dict())
        >>> again.evidence == iv.evidence and again.history == iv.history
        True
        """
        model = resolve_model(model, "Interview.from_dict")
        if not isinstance(transcript, Mapping) or transcript.get("kind") != "interview":
            error = ParameterError if isinstance(transcript, Mapping) else ParameterTypeError
            allowed = "an interview transcript (a mapping with kind 'interview', from Interview.to_dict)"
            raise error(parameter_message("transcript", "Interview.from_dict", allowed, transcript))
        saved = transcript.get("model", {})
        name = saved.get("name") if isinstance(saved, Mapping) else None
        if name != model.name:
            raise ParameterError(
                f"the transcript was made with model {name!r}; resume it with that model, "
                f"not {model.name!r} (toeprob --model FILE)."
            )
        if policy is None and isinstance(transcript.get("policy"), Mapping):
            policy = InterviewPolicy.from_dict(transcript["policy"])
        iv = cls(
            transcript.get("start", {}), reasoner=Reasoner.for_model(model), policy=policy, engine=engine
        )
        steps: list[tuple[Any, dict[str, Any], str | None, bool]] = []
        for n, item in enumerate(transcript.get("answers", ()), start=1):
            if not isinstance(item, Mapping) or "question" not in item:
                raise ParameterError(
                    f"The 'transcript' parameter of Interview.from_dict: answer #{n} has no 'question'."
                )
            step = item.get("step", f"#{n}")  # older transcripts: one answer per step
            if not steps or steps[-1][0] != step:
                checklist = item.get("checklist")
                if checklist is not None and checklist not in CHECKLISTS:
                    raise ParameterError(
                        f"The 'transcript' parameter of Interview.from_dict: answer #{n}: "
                        + unknown_identifier_message(checklist, CHECKLISTS, "a checklist")
                    )
                steps.append((step, {}, checklist, item.get("final_check") is True))
            steps[-1][1][iv._check_id(item["question"])] = item.get("value")
        for _, answers, checklist, final in steps:
            iv._apply({q: parse_value(q, v) for q, v in answers.items()}, checklist, final)
        return iv

    @classmethod
    def resume(
        cls,
        transcript: Mapping[str, Any],
        *,
        model: Model | None = None,
        policy: InterviewPolicy | None = None,
        engine: EngineName = "fast",
    ) -> Interview:
        """The same as :meth:`from_dict` (kept for code written before it)."""
        return cls.from_dict(transcript, model=model, policy=policy, engine=engine)

    def widget(self, top: int = 5) -> Any:
        """An interactive Jupyter view that answers this interview as buttons are clicked.

        Needs ipywidgets (``pip install "toeprob[widgets]"``); see
        :class:`toeprob.display.interview_widget.InterviewWidget`.
        """
        return registry.call("widget", self, top=top)

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def __repr__(self) -> str:
        # no inference here: the stop decision is shown only once it has been computed
        if self._ranking is None:
            state = "not ranked yet"
        else:
            state = self._ranking.stop_reason.value if self._ranking.stop_reason else "asking"
        return f"<Interview {self._steps} steps, {len(self._history)} answers, {state}>"


def _replay_one(
    case: Case, reasoner: Reasoner, policy: InterviewPolicy, n_start: int, engine: EngineName
) -> ReplayCase:
    model = reasoner.model
    full = dict(case.evidence)
    findings = [f for f in full if f in model.finding_specs]
    start = {f: full[f] for f in findings[:n_start]}
    iv = Interview(start, reasoner=reasoner, policy=policy, engine=engine)
    umin = case.urgency_min

    def state() -> tuple[str, bool, bool]:
        d = iv.diagnosis
        top = d.top.cause
        return top, top == case.gold_cause or top in case.acceptable, d.urgency < umin

    trail = [state()]
    while (q := iv.next_question()) is not None:
        if q.is_checklist:
            iv.answer_many({i: full.get(i) for i in q.ids})
        else:
            iv.answer(q.id, full.get(q.id))
        trail.append(state())
    tops = [t for t, _, _ in trail]
    final_check = len({a.step for a in iv.history if a.final_check})
    final = tops[-1]
    settled = len(tops) - 1
    while settled > 0 and tops[settled - 1] == final:
        settled -= 1
    d = iv.diagnosis
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
        steps=iv.steps,
        checklists=len({a.step for a in iv.history if a.checklist is not None}),
        top1_by_step=tuple(ok for _, ok, _ in trail),
        under_triage_by_step=tuple(under for _, _, under in trail),
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
