"""What to ask next: a safety checklist, a background checklist, then the question worth most.

The unit of an interview is a *step*: one single question (a finding or a risk factor), or one
*checklist* of several identifiers answered together (each item yes, no or don't know). A checklist
is a :class:`~toeprob.results.questions.Question` with ``kind == "checklist"`` and ``ids``; it
counts as one question towards the budget. There are two checklists:

* the **red-flag checklist** (:data:`~toeprob.results.questions.RED_FLAG_CHECKLIST`, "Do you have
  any of these?"): every unasked red flag whose answer matters for the decision, highest floor
  first, then the most probable. A red flag matters for the urgency when its floor is above the
  current urgency ``U`` or when the urgency rule gives more than ``U`` after a yes (through the
  causes it points to: new balance trouble after a head injury points to bleeding in the brain
  although its own floor is only "soon"); with ``policy.red_flag_scope == "decision"`` (the
  default) it also matters when a yes would change the top cause. The checklist counts once
  whatever its length, so a red flag that could change the named cause is asked with the others
  rather than left to compete with single questions;
* the **background checklist** (:data:`~toeprob.results.questions.BACKGROUND_CHECKLIST`, "Do any of
  these apply to you?"): the unasked risk factors (medicines, conditions, habits, recent events)
  whose answer moves some cause: those whose information gain (below) reaches
  ``policy.background_min_gain`` or whose answer would change the top cause or the urgency, most
  valuable first. Which items it holds depends on what was given: a cramp story and a twitch story
  get different lists in a different order.

Exact scores of a single question
---------------------------------
For a candidate ``Q`` and the current evidence ``E``, toeprob computes exactly, over both answers,
the predictive probability ``P(Q = yes | E) = exp(log P(E, Q = yes) - log P(E))``, the cause
posteriors ``P(c | E, Q = a)`` and the urgency ``U(E, Q = a)`` by the urgency rule. From them:

* the **expected value of information on the decision** (``Question.value``)::

      value(Q) = [ sum_a P(a | E) max_c P(c | E, a) - max_c P(c | E) ]
                 + urgency_weight * sum_a P(a | E) |U(E, Q = a) - U(E)|

  The first part is the expected gain in the probability that the named top cause is right (the
  value of information under a 0-1 loss on naming the top cause); it is never negative and it is
  zero exactly when no answer can change the top cause. The second part is the expected change of
  the urgency, in levels; it is zero when no answer changes the urgency. A question whose value is
  small is unlikely to change the decision, whatever it does to the other causes.
* the **expected information gain** in bits (``Question.gain``), the sum over causes of the mutual
  information between the cause and the answer (see :func:`expected_information_gain`). It breaks
  ties between questions of equal value and is reported for comparison.

For a checklist, ``p_yes``, ``gain`` and ``value`` are those of the coarser answer "any of these" /
"none of these" (exact from one engine row with every item absent); the full answer is worth at
least as much.

``why`` says why a question is asked: for a single question, the two causes it separates most (the
one a yes raises most against the one a no raises most), or that it could change the urgency; for
the red-flag checklist, that it is a safety check; for the background checklist, which causes the
answers move.

The asking order
----------------
1. The red-flag checklist, when it has not been asked yet and one of its items is **plausible**:
   ``P(flag | E) >= policy.red_flag_threshold`` (the plausible items are its ``pending_red_flags``).
2. The background checklist, when ``policy.background_checklist`` is on, it has not been asked yet
   and it has items.
3. The red-flag checklist, when it has not been asked yet and has items (so it always comes within
   the first two steps: the interview never stops before it has been answered).
4. Single questions by value, largest first (ties by gain, then identifier). With
   ``policy.lookahead == 2``, when no single question reaches ``min_value`` the pairs are examined
   (below) and the first question of the best pair is asked first.

The ranking lists the due checklist first, then every single question (the checklist's items
too, for a caller who prefers to ask them one by one). Each checklist is asked once; its items
answered "don't know" are not asked again. Risk factors left
out of the background checklist, and red flags left out of the red-flag checklist, remain single
questions.

The stop rule
-------------
:attr:`QuestionRanking.stop_reason` is, in this order of precedence:

1. ``EMERGENCY`` when a red flag whose floor is ``emergency`` is present: stop and seek care now;
2. nothing (keep asking) while a checklist of the asking order is due;
3. ``NO_QUESTIONS_LEFT`` when every finding and risk factor has been asked;
4. ``CONFIDENT`` when ``policy.stop_probability`` is set and the top cause's posterior reaches it
   (off by default);
5. ``NO_INFORMATIVE_QUESTION`` when no remaining question is likely to change the decision: no
   single question's value reaches ``policy.min_value`` and, with ``policy.lookahead == 2``, no pair
   of questions is worth ``2 * min_value``: for each of the ``policy.lookahead_candidates`` questions
   of largest gain ``Q``, ``value(Q) + sum_a P(a | E) max_Q' value_top(Q' | E, Q = a)`` (the second
   question's value on the top cause), which finds pairs that change the top cause together
   although neither does alone;
6. ``MAX_QUESTIONS`` when ``questions_asked`` (steps, a checklist counting once) has reached
   ``policy.max_questions``, the budget that backs the rule up.

**Final red-flag check** (``policy.final_red_flag_check``, on by default): when rule 3 to 6 would
stop the interview while some unasked red flag matters for the urgency (its floor is above ``U``,
or the urgency rule gives more than ``U`` after a yes; possible when later answers changed the
urgency or the causes after the red-flag checklist), a red-flag checklist of those flags (marked
``final_check``) is asked first, and it counts as a question (it may go one step beyond the budget).
The final check is a safety check: it does not ask red flags only for the top cause. Hence, by
construction, an interview that ends other than by rule 1 has no unasked red flag whose answer yes
would raise its final urgency: a red flag that is really present is either asked (and then
counts) or could not have raised the urgency.

The parameters, their defaults and what they were measured against are in
:class:`InterviewPolicy`; the replay figures are in ``docs/interview.md``.

Examples
--------
>>> from toeprob import suggest_questions
>>> ranking = suggest_questions({"cramp": "yes"}, k=3)
>>> ranking.questions[0].kind
'checklist'
>>> all(q.gain >= 0 and q.value >= 0 for q in ranking.questions)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import ParameterKeyError
from toeprob.inference.engines import EngineName
from toeprob.knowledge.evidence import Evidence
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.reasoning.question_values import (
    Scores,
    expected_information_gain,
    lookahead_value,
    red_flags_that_matter,
    score_checklist,
    score_questions,
)
from toeprob.results.diagnosis import Diagnosis
from toeprob.results.questions import (
    BACKGROUND_CHECKLIST,
    CHECKLISTS,
    RED_FLAG_CHECKLIST,
    Question,
    QuestionRanking,
    StopReason,
)
from toeprob.validation import (
    Constraint,
    boolean,
    check_engine,
    check_parameter,
    check_type,
    non_negative_int,
    non_negative_number,
    optional,
    positive_int,
    probability,
    unknown_identifier_message,
)

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = [
    "BACKGROUND_CHECKLIST",
    "RED_FLAG_CHECKLIST",
    "InterviewPolicy",
    "Question",
    "QuestionRanking",
    "StopReason",
    "expected_information_gain",
    "suggest",
]

FloatArray = NDArray[np.float64]

#: The heading of each checklist (its items are the model file's plain-language questions).
CHECKLIST_TEXT = {
    RED_FLAG_CHECKLIST: "Do you have any of these? Answer each one yes, no or don't know.",
    BACKGROUND_CHECKLIST: "Do any of these apply to you? Answer each one yes, no or don't know.",
}


#: ``red_flag_scope`` of :class:`InterviewPolicy`: which red flags the checklists hold.
_SCOPE = Constraint(
    "'decision' or 'urgency'", lambda v: isinstance(v, str), lambda v: v in ("decision", "urgency")
)

#: ``lookahead`` of :class:`InterviewPolicy`: one step or two.
_LOOKAHEAD = Constraint("1 or 2", positive_int.is_type, lambda v: v in (1, 2))


@dataclass(frozen=True, kw_only=True)
class InterviewPolicy:
    """The documented parameters of the asking order and the stop rule (see the module docstring).

    Parameters
    ----------
    red_flag_threshold : float, default 0.15
        A red flag is plausible when ``P(flag present | evidence)`` is at least this; a plausible red
        flag brings the red-flag checklist to the front.
    min_value : float, default 0.02
        Stop when no question's expected value of information on the decision reaches this (and,
        with ``lookahead == 2``, no pair reaches twice this): an answer expected to raise the
        probability that the named top cause is right by less than two percentage points, or to
        move the urgency by less than 0.08 of a level, is not worth a question.
    urgency_weight : float, default 0.25
        Weight of the expected urgency change (in levels) against the top-cause part of the value:
        a 10% chance of moving the urgency by one level is worth 0.025 on the top cause. Red flags
        do not depend on it (the checklists ask them); it weighs how a single answer moves the
        care level through the causes. Computing it runs the urgency rule for both answers of every
        candidate, about two thirds of the time of a ranking of questions; 0 skips it.
    lookahead : {1, 2}, default 2
        1: stop on single questions' values alone (myopic). 2: also look at pairs before stopping.
    lookahead_candidates : int, default 6
        How many first questions (those of largest gain) the two-step lookahead examines.
    max_questions : int, default 10
        The budget: the interview stops after this many steps (a checklist counts as one; "don't
        know" answers count too). A backstop; the value rule usually stops well before it.
    background_checklist : bool, default True
        Ask the risk factors that matter as one checklist (off: they are single questions).
    background_min_gain : float, default 0.001
        A risk factor goes on the background checklist when its expected information gain (bits)
        reaches this, or when one of its answers would change the top cause or the urgency: every
        risk factor whose answer moves some cause more than negligibly. (Its value on the decision
        is no filter: a risk factor that moves a cause from 5% to 20% may not change the decision
        alone, yet decide it with the next answer.)
    final_red_flag_check : bool, default True
        Before stopping, ask (as a checklist) every unasked red flag whose floor exceeds the urgency;
        this is what guarantees that a present red flag is never missed.
    stop_probability : float or None, default None
        When set, also stop once the top cause's posterior reaches it (after the checklists).
    red_flag_scope : {"decision", "urgency"}, default "decision"
        Which unasked red flags the red-flag checklist holds: ``"urgency"``, those that could raise
        the urgency (floor above it, or a higher urgency by the rule after a yes); ``"decision"``,
        also those whose yes would change the top cause. The final check always uses
        ``"urgency"``.

    Notes
    -----
    The defaults were chosen on the development case file replayed from two findings, looking at
    the mean number of steps, top-1/top-3 at the stop and under-triage together (``docs/interview.md``);
    the external case file was replayed with the same defaults. ``red_flag_scope="decision"`` was
    then compared with ``"urgency"`` on four case files: it asked fewer steps on each, for the same
    top-1, top-3 and triage.

    Examples
    --------
    >>> InterviewPolicy(min_value=0.05).min_value
    0.05
    >>> InterviewPolicy(max_questions=0)
    Traceback (most recent call last):
    ...
    toeprob.errors.ParameterError: The 'max_questions' parameter of InterviewPolicy must be an int >= 1. \
Got 0 (int) instead.
    """

    red_flag_threshold: float = 0.15
    min_value: float = 0.02
    urgency_weight: float = 0.25
    lookahead: int = 2
    lookahead_candidates: int = 6
    max_questions: int = 10
    background_checklist: bool = True
    background_min_gain: float = 0.001
    final_red_flag_check: bool = True
    stop_probability: float | None = None
    red_flag_scope: str = "decision"

    def __post_init__(self) -> None:
        owner = "InterviewPolicy"
        check_parameter(self.red_flag_threshold, probability, name="red_flag_threshold", owner=owner)
        check_parameter(self.stop_probability, optional(probability), name="stop_probability", owner=owner)
        for name in ("min_value", "urgency_weight", "background_min_gain"):
            check_parameter(getattr(self, name), non_negative_number, name=name, owner=owner)
        check_parameter(self.lookahead, _LOOKAHEAD, name="lookahead", owner=owner)
        check_parameter(self.lookahead_candidates, positive_int, name="lookahead_candidates", owner=owner)
        check_parameter(self.max_questions, positive_int, name="max_questions", owner=owner)
        for name in ("background_checklist", "final_red_flag_check"):
            check_parameter(getattr(self, name), boolean, name=name, owner=owner)
        check_parameter(self.red_flag_scope, _SCOPE, name="red_flag_scope", owner=owner)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InterviewPolicy:
        """The policy saved by :meth:`to_dict`; keys of older versions that no longer exist are ignored.

        Examples
        --------
        >>> InterviewPolicy.from_dict({"max_questions": 4, "min_gain": 0.05}).max_questions
        4
        """
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        """The parameters as a JSON-ready dictionary."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _validate_ids(names: Iterable[str], model: Model, what: str) -> set[str]:
    allowed = (*model.findings, *model.risk_factors)
    out = set()
    for name in names:
        if name not in model.finding_specs and name not in model.risk_factor_specs:
            message = unknown_identifier_message(name, allowed, "a finding or risk factor", model=model.name)
            raise ParameterKeyError(f"{what}: {message}")
        out.add(name)
    return out


def question_text(model: Model, identifier: str) -> tuple[str, str]:
    """The kind (``"finding"``/``"risk_factor"``) and plain-language question of ``identifier``."""
    if identifier in model.finding_specs:
        return "finding", model.finding_specs[identifier].question
    return "risk_factor", model.risk_factor_specs[identifier].question


def _label(model: Model, cause: str) -> str:
    return model.cause_specs[cause].label


def _separating(s: Scores) -> tuple[list[int], list[int]]:
    """For every candidate, the cause a yes raises most and the cause a no raises most (among
    causes that matter), as cause indices."""
    if not len(s.ids):
        return [], []
    yes, no = s.post_yes, s.post_no
    weight = np.maximum(s.base, np.maximum(yes, no))
    up, down = (yes - no) * weight, (no - yes) * weight
    return np.argmax(up, axis=1).tolist(), np.argmax(down, axis=1).tolist()


def _why_single(model: Model, s: Scores, j: int, weight: float, causes: tuple[int, int]) -> str:
    """Why single question ``j`` is asked; ``causes``: the two it separates (:func:`_separating`)."""
    p = s.p_yes[j]
    shift = p * abs(int(s.urgency_yes[j]) - s.urgency) + (1 - p) * abs(int(s.urgency_no[j]) - s.urgency)
    a, b = model.causes[causes[0]], model.causes[causes[1]]
    text = f"separates {_label(model, a)} from {_label(model, b)}" if a != b else f"tests {_label(model, a)}"
    if weight * shift > 0.5 * s.value[j] and shift > 0:
        return f"it could change how soon to seek care; it also {text}"
    return f"it {text}"


def _moved(model: Model, base: FloatArray, none: FloatArray, any_: FloatArray, n: int = 3) -> list[str]:
    move = np.maximum(np.abs(any_ - base), np.abs(none - base))
    return [_label(model, model.causes[i]) for i in np.argsort(-move, kind="stable")[:n] if move[i] > 1e-3]


def _checklist(
    reasoner: Reasoner,
    ev: Evidence,
    diagnosis: Diagnosis,
    name: str,
    ids: tuple[str, ...],
    policy: InterviewPolicy,
    *,
    pending: bool = False,
    final: bool = False,
    names_cause: bool = False,
) -> Question:
    model = reasoner.model
    red = model.red_flags
    base = np.asarray(diagnosis.posterior)
    urgency = int(diagnosis.urgency)
    floors = [red[q] for q in ids if q in red]
    any_urgency = max(urgency, min((int(f) for f in floors), default=urgency))
    p_any, gain, value, none, any_ = score_checklist(
        reasoner, reasoner.engine, ev, base, urgency, ids, any_urgency, policy.urgency_weight
    )
    if name == RED_FLAG_CHECKLIST:
        top = max(floors)
        why = (
            "a safety check: each of these is a warning sign; any of them would mean seeking care "
            f"({min(floors).label} or sooner, up to {top.label})"
        ) + ("; some of them would also change which cause is most likely" if names_cause else "")
    else:
        top = None
        moved = _moved(model, base, none, any_)
        why = "your background changes how likely some causes are" + (
            f": {', '.join(moved)}" if moved else ""
        )
    return Question(
        name,
        "checklist",
        CHECKLIST_TEXT[name],
        p_any,
        gain,
        top,
        pending,
        final,
        value,
        why,
        ids,
        tuple(question_text(model, q)[1] for q in ids),
    )


def suggest(
    reasoner: Reasoner,
    evidence: Mapping[str, Any] | Evidence | None = None,
    *,
    k: int = 5,
    policy: InterviewPolicy | None = None,
    exclude: Iterable[str] = (),
    questions_asked: int = 0,
    engine: EngineName = "fast",
    checklists_asked: Iterable[str] = (),
) -> QuestionRanking:
    """:func:`toeprob.suggest_questions` with ``reasoner``'s model, engine and urgency rule."""
    check_parameter(k, positive_int, name="k", owner="suggest_questions")
    check_parameter(questions_asked, non_negative_int, name="questions_asked", owner="suggest_questions")
    check_engine(engine, "suggest_questions")
    model = reasoner.model
    policy = InterviewPolicy() if policy is None else policy
    check_type(policy, "policy", "suggest_questions", InterviewPolicy, "an InterviewPolicy or None")
    done = set()
    for name in checklists_asked:
        if name not in CHECKLISTS:
            message = unknown_identifier_message(name, CHECKLISTS, "a checklist")
            raise ParameterKeyError(f"checklists_asked: {message}")
        done.add(name)
    ev = reasoner.parse(evidence)
    skip = _validate_ids(exclude, model, "exclude") | set(ev.values)
    diagnosis = reasoner.rank(ev, engine=engine)
    assert diagnosis.posterior is not None
    base = np.asarray(diagnosis.posterior)
    urgency = int(diagnosis.urgency)
    ids = tuple(q for q in (*model.findings, *model.risk_factors) if q not in skip)
    # the urgency rule for both answers of every candidate is most of the cost (about two thirds):
    # skipped when it carries no weight
    red = model.red_flags
    s = score_questions(
        reasoner,
        reasoner.engine_named(engine),
        ev,
        base,
        urgency,
        ids,
        policy.urgency_weight,
        with_urgency=policy.urgency_weight > 0,
        urgency_ids=red,  # the red-flag checklist needs the urgency after each flag
    )
    # red flags whose answer matters (urgency, or also the top cause), highest floor first
    flag_ids = red_flags_that_matter(s, red, decision=policy.red_flag_scope == "decision")
    top_now = int(np.argmax(base))
    names_cause = any(int(np.argmax(s.post_yes[ids.index(q)])) != top_now for q in flag_ids)
    plausible = {q for j, q in enumerate(ids) if s.p_yes[j] >= policy.red_flag_threshold} & set(flag_ids)
    singles = []
    raised_by_yes, raised_by_no = _separating(s)
    for j, q in enumerate(ids):
        kind, text = question_text(model, q)
        singles.append(
            Question(
                q,
                kind,
                text,
                float(s.p_yes[j]),
                float(s.gain[j]),
                red.get(q),
                q in plausible,
                value=float(s.value[j]),
                why=_why_single(model, s, j, policy.urgency_weight, (raised_by_yes[j], raised_by_no[j])),
            )
        )
    pending = tuple(q for q in flag_ids if q in plausible) if RED_FLAG_CHECKLIST not in done else ()
    background: tuple[str, ...] = ()
    if policy.background_checklist and BACKGROUND_CHECKLIST not in done:
        top = int(np.argmax(base))
        chosen = [
            j
            for j, q in enumerate(ids)
            if q in model.risk_factor_specs
            and (
                s.gain[j] >= policy.background_min_gain
                or int(np.argmax(s.post_yes[j])) != top
                or int(np.argmax(s.post_no[j])) != top
                or s.urgency_yes[j] != urgency
                or s.urgency_no[j] != urgency
            )
        ]
        chosen.sort(key=lambda j: (-round(float(s.value[j]), 9), -round(float(s.gain[j]), 9), ids[j]))
        background = tuple(ids[j] for j in chosen)

    emergency = any(v and red.get(f) == Urgency.EMERGENCY for f, v in ev.values.items())
    first: list[Question] = []
    if not emergency:
        if flag_ids and RED_FLAG_CHECKLIST not in done and pending:
            first.append(
                _checklist(
                    reasoner,
                    ev,
                    diagnosis,
                    RED_FLAG_CHECKLIST,
                    flag_ids,
                    policy,
                    pending=True,
                    names_cause=names_cause,
                )
            )
        elif background:
            first.append(_checklist(reasoner, ev, diagnosis, BACKGROUND_CHECKLIST, background, policy))
        elif flag_ids and RED_FLAG_CHECKLIST not in done:
            first.append(
                _checklist(
                    reasoner, ev, diagnosis, RED_FLAG_CHECKLIST, flag_ids, policy, names_cause=names_cause
                )
            )
    ordinary = list(singles)  # items of a due checklist stay candidates (a caller may ask them singly)
    # values and gains equal to 9 decimals are ties (the engines agree to 1e-9), broken by identifier
    ordinary.sort(key=lambda q: (-round(q.value, 9), -round(q.gain, 9), q.id))
    best_gain = max((q.gain for q in ordinary), default=0.0)

    reason: StopReason | None = None
    check: tuple[str, ...] = ()
    if emergency:
        reason = StopReason.EMERGENCY
    elif not first:
        best = ordinary[0].value if ordinary else 0.0
        if not ordinary:
            reason = StopReason.NO_QUESTIONS_LEFT
        elif policy.stop_probability is not None and diagnosis.top.probability >= policy.stop_probability:
            reason = StopReason.CONFIDENT
        elif best < policy.min_value:
            reason = StopReason.NO_INFORMATIVE_QUESTION
            if policy.lookahead == 2:
                by_gain = sorted(range(len(ids)), key=lambda j: (-s.gain[j], ids[j]))
                cand = tuple(by_gain[: policy.lookahead_candidates])
                # the fast engine (it agrees with the reference to 1e-9): a stop heuristic, not a ranking
                pairs = lookahead_value(reasoner, reasoner.engine, ev, s, cand, policy.urgency_weight)
                if len(pairs) and pairs.max() >= 2 * policy.min_value:
                    reason = None
                    lead = ids[cand[int(np.argmax(pairs))]]
                    ordinary.sort(key=lambda q: q.id != lead)  # stable: the pair's first question first
        if reason is None and questions_asked >= policy.max_questions:
            reason = StopReason.MAX_QUESTIONS
        if reason is not None and policy.final_red_flag_check:
            # the final check is about safety: the red flags that could still raise the urgency
            check = red_flags_that_matter(s, red, decision=False)
        if check:
            first = [_checklist(reasoner, ev, diagnosis, RED_FLAG_CHECKLIST, check, policy, final=True)]
            reason = None
    questions = first + ordinary
    return QuestionRanking(tuple(questions[:k]), best_gain, pending, check, reason, diagnosis, policy)
