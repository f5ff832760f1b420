"""What to ask next: exact expected information gain, red flags first, and a stop rule.

Every unasked finding and risk factor is a candidate question. For a candidate ``Q`` and the current
evidence ``E``, toeprob computes exactly, over both answers:

* the predictive probability ``P(Q = yes | E) = exp(log P(E, Q = yes) - log P(E))`` (the engine's
  ``log_evidence``), or the same number solved from the law of total probability over the two
  answers' posteriors when some cause moves enough for that to be exact to rounding (faster);
* the cause posteriors ``P(c | E, Q = yes)`` and ``P(c | E, Q = no)`` for every cause ``c``;
* the expected information gain, in bits, about the causes::

      gain(Q) = sum over causes c of [ h(P(c | E)) - sum over answers a of P(a | E) h(P(c | E, a)) ]

  where ``h`` is the binary entropy. Each term is the mutual information ``I(c; Q | E)`` between the
  presence of cause ``c`` and the answer, so the gain is never negative and is zero exactly when no
  answer would move any cause (see :func:`expected_information_gain`).

Why the sum of binary entropies, not the entropy of one distribution over causes: toeprob's causes
are not mutually exclusive (each is present or absent, several can be present), so the posteriors do
not form a distribution over "which cause". Normalizing them into one would invent a quantity the
model does not define, and its expected entropy change can be negative. The sum of per-cause mutual
informations is a quantity of the model, is non-negative by construction, and costs one posterior
per answer (the joint entropy of all causes would need the joint posterior, which the engine does not
return).

The red-flag-first rule
-----------------------
A red flag is a finding with an urgency floor. Let ``U`` be the current urgency (from
:func:`toeprob.rank_causes`). An unasked red flag is **pending** when

* its predictive probability ``P(flag present | E)`` is at least ``policy.red_flag_threshold``
  (it is *plausible* given the evidence), and
* its floor is above ``U`` (a flag whose floor is not above the current urgency cannot raise it
  through its floor, so it is left to compete as an ordinary question).

Pending red flags are asked before every ordinary question: highest floor first, then the most
probable, then by identifier. A red flag that has been answered (yes, no or don't know) is never a
candidate again. Ordinary questions follow by expected gain, largest first (ties by identifier).

The stop rule and the final red-flag check
------------------------------------------
:attr:`QuestionRanking.stop_reason` is, in this order of precedence:

1. ``EMERGENCY`` when a red flag whose floor is ``emergency`` is present: stop and seek care now;
2. ``NO_QUESTIONS_LEFT`` when every finding and risk factor has been asked;
3. nothing (keep asking) while a red flag is pending;
4. ``CONFIDENT`` when the top cause's posterior reaches ``policy.stop_probability``;
5. ``NO_INFORMATIVE_QUESTION`` when no ordinary question's expected gain reaches ``policy.min_gain``;
6. ``MAX_QUESTIONS`` when ``questions_asked`` has reached ``policy.max_questions``.

**Final red-flag check** (``policy.final_red_flag_check``, on by default): when rule 4, 5 or 6 would
stop the interview while some unasked red flag still has a floor above ``U`` (however improbable),
those red flags are asked first (highest floor first) and the interview stops only once none is
left. Hence, by construction, an interview that ends other than by rule 1 or 2 has no unasked red
flag whose floor exceeds its final urgency: a red flag that is really present is either asked
(and then sets its floor) or could not have raised the urgency. The check is not cut by
``max_questions``; switch it off for shorter interviews that rely on plausibility alone.

Examples
--------
>>> from toeprob import suggest_questions
>>> ranking = suggest_questions({"cramp": "yes"}, k=3)
>>> len(ranking.questions)
3
>>> all(q.gain >= 0 for q in ranking.questions)
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import entr

from toeprob.errors import ParameterKeyError
from toeprob.inference.engines import EngineName, PosteriorEngine
from toeprob.knowledge.evidence import Evidence
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.results.questions import Question, QuestionRanking, StopReason
from toeprob.validation import (
    boolean,
    check_engine,
    check_parameter,
    check_type,
    non_negative_int,
    non_negative_number,
    positive_int,
    probability,
    unknown_identifier_message,
)

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = [
    "InterviewPolicy",
    "Question",
    "QuestionRanking",
    "StopReason",
    "expected_information_gain",
    "suggest",
]

FloatArray = NDArray[np.float64]
_LN2 = math.log(2.0)


@dataclass(frozen=True, kw_only=True)
class InterviewPolicy:
    """The documented parameters of the red-flag-first and stop rules (see the module docstring).

    Parameters
    ----------
    red_flag_threshold : float, default 0.15
        A red flag is plausible when ``P(flag present | evidence)`` is at least this (about one in
        seven). Lower values let nearly every red flag jump the queue (many have several causes and
        sit at 5-10% before any answer), so the question budget goes on alarm questions that the
        final red-flag check asks anyway; replaying the development cases, 0.15 and 0.25 gave the
        same top-1 at the stop, 0.05 a much lower one, with no red-flag case ending under-triaged.
    stop_probability : float, default 0.8
        Stop when the top cause's posterior reaches this.
    min_gain : float, default 0.05
        Stop when no ordinary question's expected information gain (bits) reaches this.
    max_questions : int, default 15
        An interview stops after this many answers (apart from the final red-flag check); "don't
        know" answers count too.
    final_red_flag_check : bool, default True
        Before stopping for rules 4-6, ask every unasked red flag whose floor exceeds the urgency
        (this is what guarantees that a present red flag is never missed; off, interviews are
        shorter and rely on ``red_flag_threshold`` alone).

    Examples
    --------
    >>> InterviewPolicy(stop_probability=0.9).stop_probability
    0.9
    >>> InterviewPolicy(max_questions=0)
    Traceback (most recent call last):
    ...
    toeprob.errors.ParameterError: The 'max_questions' parameter of InterviewPolicy must be an int >= 1. \
Got 0 (int) instead.
    """

    red_flag_threshold: float = 0.15
    stop_probability: float = 0.8
    min_gain: float = 0.05
    max_questions: int = 15
    final_red_flag_check: bool = True

    def __post_init__(self) -> None:
        owner = "InterviewPolicy"
        check_parameter(self.red_flag_threshold, probability, name="red_flag_threshold", owner=owner)
        check_parameter(self.stop_probability, probability, name="stop_probability", owner=owner)
        check_parameter(self.min_gain, non_negative_number, name="min_gain", owner=owner)
        check_parameter(self.max_questions, positive_int, name="max_questions", owner=owner)
        check_parameter(self.final_red_flag_check, boolean, name="final_red_flag_check", owner=owner)


def _entropy_bits(p: FloatArray) -> FloatArray:
    """Binary entropy in bits, elementwise (``0 log 0 = 0``)."""
    q = np.clip(p, 0.0, 1.0)
    return np.asarray((entr(q) + entr(1.0 - q)) / _LN2)


def expected_information_gain(
    p_yes: FloatArray | float, base: FloatArray, post_yes: FloatArray, post_no: FloatArray
) -> FloatArray:
    """Expected information gain (bits) of questions, from exact posteriors and answer probabilities.

    Parameters
    ----------
    p_yes : array of shape (Q,) or float
        ``P(yes | E)`` per question.
    base : array of shape (C,)
        ``P(c | E)``.
    post_yes, post_no : arrays of shape (Q, C) or (C,)
        ``P(c | E, yes)`` and ``P(c | E, no)``.

    Returns
    -------
    ndarray of shape (Q,) (or a 0-d array)
        ``sum_c [h(base_c) - p h(yes_c) - (1 - p) h(no_c)]``. Mathematically non-negative (each
        term is a mutual information); rounding errors below zero are clipped to 0.

    Examples
    --------
    >>> import numpy as np
    >>> float(expected_information_gain(0.5, np.array([0.5]), np.array([1.0]), np.array([0.0])))
    1.0
    >>> float(expected_information_gain(1.0, np.array([0.3]), np.array([0.3]), np.array([0.9])))
    0.0
    """
    p = np.asarray(p_yes, dtype=float)
    h0 = _entropy_bits(np.asarray(base, dtype=float)).sum(axis=-1)
    hy = _entropy_bits(np.asarray(post_yes, dtype=float)).sum(axis=-1)
    hn = _entropy_bits(np.asarray(post_no, dtype=float)).sum(axis=-1)
    return np.asarray(np.maximum(h0 - p * hy - (1.0 - p) * hn, 0.0))


@dataclass(frozen=True)
class _Scores:
    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    base: FloatArray
    p_yes: FloatArray
    post_yes: FloatArray
    post_no: FloatArray


def _candidate_rows(
    reasoner: Reasoner, ev: Evidence, ids: tuple[str, ...]
) -> tuple[NDArray[np.int8], NDArray[np.int8], tuple[str, ...]]:
    """Rows ``[E + q1 = yes, E + q1 = no, E + q2 = yes, ...]`` and the kind of each question."""
    f_index = reasoner.finding_index
    r_index = reasoner.risk_factor_index
    n = 2 * len(ids)
    fs = np.repeat(ev.finding_state[None, :], n, axis=0)
    rs = np.repeat(ev.rf_state[None, :], n, axis=0)
    kinds = []
    for j, q in enumerate(ids):
        if q in f_index:
            fs[2 * j, f_index[q]], fs[2 * j + 1, f_index[q]] = 1, 0
            kinds.append("finding")
        else:
            rs[2 * j, r_index[q]], rs[2 * j + 1, r_index[q]] = 1, 0
            kinds.append("risk_factor")
    return fs, rs, tuple(kinds)


def _answer_probability(
    engine: PosteriorEngine, ev: Evidence, fs: NDArray[np.int8], rs: NDArray[np.int8]
) -> FloatArray:
    """``P(yes | E)`` per question, exactly: ``exp(log P(E, yes) - log P(E))``."""
    rows = (
        np.concatenate([ev.finding_state[None, :], fs[0::2]]),
        np.concatenate([ev.rf_state[None, :], rs[0::2]]),
    )
    logs = np.asarray(engine.log_evidence_batch(*rows), dtype=float)
    return np.asarray(np.clip(np.exp(logs[1:] - logs[0]), 0.0, 1.0))


def _score(
    reasoner: Reasoner, engine: PosteriorEngine, ev: Evidence, base: FloatArray, ids: tuple[str, ...]
) -> _Scores:
    fs, rs, kinds = _candidate_rows(reasoner, ev, ids)
    if not ids:
        empty = np.zeros((0, len(base)))
        return _Scores(ids, kinds, base, np.zeros(0), empty, empty)
    post = np.asarray(engine.posterior_batch(fs, rs), dtype=float)
    yes, no = post[0::2], post[1::2]
    return _Scores(ids, kinds, base, _answer_probability(engine, ev, fs, rs), yes, no)


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


def suggest(
    reasoner: Reasoner,
    evidence: Mapping[str, Any] | Evidence | None = None,
    *,
    k: int = 5,
    policy: InterviewPolicy | None = None,
    exclude: Iterable[str] = (),
    questions_asked: int = 0,
    engine: EngineName = "fast",
) -> QuestionRanking:
    """:func:`toeprob.suggest_questions` with ``reasoner``'s model, engine and urgency rule."""
    check_parameter(k, positive_int, name="k", owner="suggest_questions")
    check_parameter(questions_asked, non_negative_int, name="questions_asked", owner="suggest_questions")
    check_engine(engine, "suggest_questions")
    model = reasoner.model
    policy = InterviewPolicy() if policy is None else policy
    check_type(policy, "policy", "suggest_questions", InterviewPolicy, "an InterviewPolicy or None")
    ev = reasoner.parse(evidence)
    skip = _validate_ids(exclude, model, "exclude") | set(ev.values)
    diagnosis = reasoner.rank(ev, engine=engine)
    ids = tuple(q for q in (*model.findings, *model.risk_factors) if q not in skip)
    assert diagnosis.posterior is not None
    scores = _score(reasoner, reasoner.engine_named(engine), ev, np.asarray(diagnosis.posterior), ids)
    gains = expected_information_gain(scores.p_yes, scores.base, scores.post_yes, scores.post_no)

    red = model.red_flags
    questions = []
    for j, q in enumerate(ids):
        floor = red.get(q)
        plausible = bool(
            floor is not None and floor > diagnosis.urgency and scores.p_yes[j] >= policy.red_flag_threshold
        )
        kind, text = question_text(model, q)
        questions.append(Question(q, kind, text, float(scores.p_yes[j]), float(gains[j]), floor, plausible))

    def order(q: Question) -> tuple[int, int, float, float, str]:
        if q.pending_red_flag:
            return (0, -int(q.red_flag_floor or 0), -q.p_yes, 0.0, q.id)
        return (1, 0, 0.0, -q.gain, q.id)

    questions.sort(key=order)
    pending = tuple(q.id for q in questions if q.pending_red_flag)
    best_gain = max((q.gain for q in questions if not q.pending_red_flag), default=0.0)
    emergency = any(v and red.get(f) == Urgency.EMERGENCY for f, v in ev.values.items())
    reason: StopReason | None = None
    check: tuple[str, ...] = ()
    if emergency:
        reason = StopReason.EMERGENCY
    elif not questions:
        reason = StopReason.NO_QUESTIONS_LEFT
    elif not pending:
        if diagnosis.top.probability >= policy.stop_probability:
            reason = StopReason.CONFIDENT
        elif best_gain < policy.min_gain:
            reason = StopReason.NO_INFORMATIVE_QUESTION
        elif questions_asked >= policy.max_questions:
            reason = StopReason.MAX_QUESTIONS
        flags = [
            q for q in questions if q.red_flag_floor is not None and q.red_flag_floor > diagnosis.urgency
        ]
        if reason is not None and policy.final_red_flag_check and flags:
            flags.sort(key=lambda q: (-int(q.red_flag_floor or 0), -q.p_yes, q.id))
            check = tuple(q.id for q in flags)
            first = [replace(q, final_check=True) for q in flags]
            questions = first + [q for q in questions if q.id not in check]
            reason = None
    return QuestionRanking(tuple(questions[:k]), best_gain, pending, check, reason, diagnosis, policy)
