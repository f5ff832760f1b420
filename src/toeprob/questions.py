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

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import entr

from toeprob.api import EngineName, PosteriorEngine, get_engine, rank_causes
from toeprob.arguments import check_type, resolve_model
from toeprob.errors import ParameterError, UnknownIdentifierError, closest_matches, shorten
from toeprob.evidence import Evidence, parse_evidence
from toeprob.formatting import format_probability
from toeprob.model import Model
from toeprob.results import DISCLAIMER, Diagnosis
from toeprob.urgency import Urgency

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "InterviewPolicy",
    "Question",
    "QuestionRanking",
    "StopReason",
    "expected_information_gain",
    "suggest_questions",
]

FloatArray = NDArray[np.float64]
_LN2 = math.log(2.0)


class StopReason(enum.Enum):
    """Why an interview stops; ``text`` says it in plain language."""

    EMERGENCY = "emergency"
    NO_QUESTIONS_LEFT = "no_questions_left"
    CONFIDENT = "confident"
    NO_INFORMATIVE_QUESTION = "no_informative_question"
    MAX_QUESTIONS = "max_questions"

    @property
    def text(self) -> str:
        """A one-line statement of the reason."""
        return _STOP_TEXT[self]


_STOP_TEXT = {
    StopReason.EMERGENCY: "a red flag that needs emergency care is present: stop and seek care now",
    StopReason.NO_QUESTIONS_LEFT: "every question has been asked",
    StopReason.CONFIDENT: "the top cause has passed the confidence threshold",
    StopReason.NO_INFORMATIVE_QUESTION: "no remaining question is expected to change the ranking much",
    StopReason.MAX_QUESTIONS: "the maximum number of questions has been asked",
}


def _check(name: str, value: Any, ok: bool, allowed: str) -> None:
    if not ok:
        raise ParameterError(f"The {name!r} parameter must be {allowed}. Got {shorten(value)} instead.")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    toeprob.errors.ParameterError: The 'max_questions' parameter must be an int >= 1. Got 0 instead.
    """

    red_flag_threshold: float = 0.15
    stop_probability: float = 0.8
    min_gain: float = 0.05
    max_questions: int = 15
    final_red_flag_check: bool = True

    def __post_init__(self) -> None:
        for name in ("red_flag_threshold", "stop_probability"):
            value = getattr(self, name)
            _check(name, value, _is_number(value) and 0.0 <= value <= 1.0, "a float in [0, 1]")
        _check("min_gain", self.min_gain, _is_number(self.min_gain) and self.min_gain >= 0, "a float >= 0")
        mq = self.max_questions
        _check(
            "max_questions", mq, isinstance(mq, int) and not isinstance(mq, bool) and mq >= 1, "an int >= 1"
        )
        check = self.final_red_flag_check
        _check("final_red_flag_check", check, isinstance(check, bool), "a bool")


@dataclass(frozen=True)
class Question:
    """A candidate question with its exact scores.

    Attributes
    ----------
    id : str
        The finding or risk-factor identifier.
    kind : str
        ``"finding"`` or ``"risk_factor"``.
    text : str
        The plain-language question from the model file.
    p_yes : float
        ``P(answer yes | evidence)``.
    gain : float
        Expected information gain in bits (sum over causes of the mutual information).
    red_flag_floor : Urgency or None
        The floor, for a red flag.
    pending_red_flag : bool
        True when the red-flag-first rule puts it before ordinary questions.
    final_check : bool
        True when the final red-flag check puts it first (the stop rule would otherwise fire).
    """

    id: str
    kind: str
    text: str
    p_yes: float
    gain: float
    red_flag_floor: Urgency | None
    pending_red_flag: bool
    final_check: bool = False


@dataclass(frozen=True)
class QuestionRanking:
    """What :func:`suggest_questions` returns: the next questions, best first, and the stop decision.

    Attributes
    ----------
    questions : tuple of Question
        The ``k`` best questions in asking order (pending red flags first, then by gain).
    best_gain : float
        The largest expected gain of any ordinary (not pending red-flag) candidate; 0 if none.
    pending_red_flags : tuple of str
        Every pending red flag, in asking order.
    final_check : tuple of str
        The red flags of the final check, in asking order (empty unless the check is under way).
    stop_reason : StopReason or None
        The reason to stop by the module's rule, or ``None`` to keep asking.
    diagnosis : Diagnosis
        The ranking and urgency for the current evidence.
    """

    questions: tuple[Question, ...]
    best_gain: float
    pending_red_flags: tuple[str, ...]
    final_check: tuple[str, ...]
    stop_reason: StopReason | None
    diagnosis: Diagnosis = field(repr=False)
    policy: InterviewPolicy = field(repr=False)
    disclaimer: str = DISCLAIMER

    @property
    def should_stop(self) -> bool:
        """True when the stop rule says the questions are done."""
        return self.stop_reason is not None

    def __repr__(self) -> str:
        asked = ", ".join(
            q.id + (" (red flag)" if q.pending_red_flag or q.final_check else "") for q in self.questions
        )
        stop = f"; stop: {self.stop_reason.name.lower()}" if self.stop_reason is not None else ""
        return f"<QuestionRanking {asked}{stop}>"

    def to_frame(self) -> pd.DataFrame:
        """One row per suggested question, in asking order.

        Columns: ``rank, question, kind, text, p_yes, gain_bits, red_flag_floor, pending_red_flag,
        final_check``.
        """
        import pandas as pd

        columns = [
            "rank",
            "question",
            "kind",
            "text",
            "p_yes",
            "gain_bits",
            "red_flag_floor",
            "pending_red_flag",
            "final_check",
        ]
        rows = [
            {
                "rank": i,
                "question": q.id,
                "kind": q.kind,
                "text": q.text,
                "p_yes": q.p_yes,
                "gain_bits": q.gain,
                "red_flag_floor": q.red_flag_floor.label if q.red_flag_floor is not None else None,
                "pending_red_flag": q.pending_red_flag,
                "final_check": q.final_check,
            }
            for i, q in enumerate(self.questions, start=1)
        ]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "questions": self.to_frame().to_dict(orient="records"),
            "best_gain_bits": self.best_gain,
            "pending_red_flags": list(self.pending_red_flags),
            "final_check": list(self.final_check),
            "should_stop": self.should_stop,
            "stop_reason": None if self.stop_reason is None else self.stop_reason.value,
            "top_cause": self.diagnosis.top.cause,
            "top_probability": self.diagnosis.top.probability,
            "urgency": self.diagnosis.urgency.label,
            "disclaimer": self.disclaimer,
        }

    def to_text(self) -> str:
        """A plain-text list of the questions and the stop decision."""
        lines = ["Next questions:"]
        for row in self.to_frame().to_dict("records"):
            first = row["pending_red_flag"] or row["final_check"]
            flag = f"  [red flag: {row['red_flag_floor']}]" if first else ""
            lines.append(
                f"  {row['rank']}. {row['text']}  P(yes) {format_probability(row['p_yes'])}, "
                f"gain {row['gain_bits']:.3f} bits{flag}"
            )
        if self.stop_reason is not None:
            lines.append(f"Stop: {self.stop_reason.text}.")
        lines.append(self.disclaimer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from toeprob.display_reasoning import questions_html

        return questions_html(self)

    def _repr_markdown_(self) -> str:
        from toeprob.display_reasoning import questions_markdown

        return questions_markdown(self)


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
    model: Model, ev: Evidence, ids: tuple[str, ...]
) -> tuple[NDArray[np.int8], NDArray[np.int8], tuple[str, ...]]:
    """Rows ``[E, E + q1 = yes, E + q1 = no, E + q2 = yes, ...]`` and the kind of each question."""
    f_index = {f: i for i, f in enumerate(model.findings)}
    r_index = {r: i for i, r in enumerate(model.risk_factors)}
    n = 1 + 2 * len(ids)
    fs = np.repeat(ev.finding_state[None, :], n, axis=0)
    rs = np.repeat(ev.rf_state[None, :], n, axis=0)
    kinds = []
    for j, q in enumerate(ids):
        if q in f_index:
            fs[1 + 2 * j, f_index[q]], fs[2 + 2 * j, f_index[q]] = 1, 0
            kinds.append("finding")
        else:
            rs[1 + 2 * j, r_index[q]], rs[2 + 2 * j, r_index[q]] = 1, 0
            kinds.append("risk_factor")
    return fs, rs, tuple(kinds)


_MIN_SHIFT = 0.05
"""Smallest posterior shift for which P(yes | E) is solved from the law of total probability."""


def _answer_probability(
    engine: PosteriorEngine,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    base: FloatArray,
    yes: FloatArray,
    no: FloatArray,
) -> FloatArray:
    """``P(yes | E)`` per question, exactly.

    With an engine that has ``log_evidence_batch``: ``exp(log P(E, yes) - log P(E))`` for every row.
    Otherwise the law of total probability, ``P(c|E) = p P(c|E,yes) + (1 - p) P(c|E,no)``, is solved
    for ``p`` with the cause whose posterior the answer moves most; where that shift is below
    ``_MIN_SHIFT`` (so the division would amplify rounding errors), ``p`` comes from the engine's
    single-row ``log_evidence``. The solved value differs from the ``log_evidence`` one only by
    rounding (relative error about ``1e-16 / shift``). An engine with neither (the pgmpy reference)
    gets the solved value everywhere, and 0.5 where no posterior moves at all (the gain is 0 then).
    """
    batch = getattr(engine, "log_evidence_batch", None)
    if batch is not None:
        rows = np.concatenate([fs[:1], fs[1::2]]), np.concatenate([rs[:1], rs[1::2]])
        logs = np.asarray(batch(*rows), dtype=float)
        return np.asarray(np.clip(np.exp(logs[1:] - logs[0]), 0.0, 1.0))
    diff = yes - no
    best = np.argmax(np.abs(diff), axis=1)
    d = np.take_along_axis(diff, best[:, None], axis=1)[:, 0]
    num = base[best] - np.take_along_axis(no, best[:, None], axis=1)[:, 0]
    moves = np.abs(d) > 0.0
    p = np.where(moves, num / np.where(moves, d, 1.0), 0.5)
    single = getattr(engine, "log_evidence", None)
    small = np.flatnonzero(np.abs(d) < _MIN_SHIFT)
    if single is not None and small.size:
        log_e = float(single(fs[0], rs[0]))
        for j in small:
            p[j] = np.exp(float(single(fs[1 + 2 * j], rs[1 + 2 * j])) - log_e)
    return np.asarray(np.clip(p, 0.0, 1.0))


def _score(model: Model, engine: PosteriorEngine, ev: Evidence, ids: tuple[str, ...]) -> _Scores:
    fs, rs, kinds = _candidate_rows(model, ev, ids)
    post = np.asarray(engine.posterior_batch(fs, rs), dtype=float)
    base, yes, no = post[0], post[1::2], post[2::2]
    p_yes = _answer_probability(engine, fs, rs, base, yes, no) if ids else np.zeros(0)
    return _Scores(ids, kinds, base, p_yes, yes, no)


def _validate_ids(names: Iterable[str], model: Model, what: str) -> set[str]:
    allowed = (*model.findings, *model.risk_factors)
    out = set()
    for name in names:
        if name not in model.finding_specs and name not in model.risk_factor_specs:
            hint = closest_matches(name, allowed)
            extra = f" Closest: {', '.join(hint)}." if hint else ""
            raise UnknownIdentifierError(
                f"{what}: {shorten(name)} is not a finding or risk factor of model {model.name!r}.{extra}"
            )
        out.add(name)
    return out


def question_text(model: Model, identifier: str) -> tuple[str, str]:
    """The kind (``"finding"``/``"risk_factor"``) and plain-language question of ``identifier``."""
    if identifier in model.finding_specs:
        return "finding", model.finding_specs[identifier].question
    return "risk_factor", model.risk_factor_specs[identifier].question


def suggest_questions(
    evidence: Mapping[str, Any] | None = None,
    *,
    model: Model | None = None,
    k: int = 5,
    policy: InterviewPolicy | None = None,
    exclude: Iterable[str] = (),
    questions_asked: int = 0,
    engine: EngineName = "fast",
) -> QuestionRanking:
    """Rank the unasked findings and risk factors: pending red flags first, then by expected gain.

    Parameters
    ----------
    evidence : mapping, optional
        As for :func:`toeprob.rank_causes`; the answered questions are not candidates.
    model : Model, optional
        Defaults to the shipped model.
    k : int
        How many questions to return.
    policy : InterviewPolicy, optional
        The red-flag-first and stop-rule parameters.
    exclude : iterable of str
        Identifiers already asked without an answer ("don't know"); they are not asked again.
    questions_asked : int
        How many questions the interview has asked so far (for ``policy.max_questions``).
    engine : {"fast", "pgmpy"}
        The inference engine.

    Returns
    -------
    QuestionRanking

    Raises
    ------
    UnknownIdentifierError
        For an identifier in ``evidence`` or ``exclude`` that the model does not know.
    EvidenceError
        For a bad evidence value.
    ParameterError
        For a ``k`` that is not a positive integer, a negative ``questions_asked``, or a ``model`` or
        ``policy`` of the wrong type.

    Examples
    --------
    >>> from toeprob import suggest_questions
    >>> r = suggest_questions({"numbness": "yes", "burning_pain": "yes"}, k=2)
    >>> r.questions[0].id in r.diagnosis.evidence
    False
    >>> r.to_frame().columns.tolist()[:4]
    ['rank', 'question', 'kind', 'text']
    """
    _check("k", k, isinstance(k, int) and not isinstance(k, bool) and k >= 1, "an int >= 1")
    n = questions_asked
    _check("questions_asked", n, isinstance(n, int) and not isinstance(n, bool) and n >= 0, "an int >= 0")
    model = resolve_model(model, "suggest_questions")
    policy = InterviewPolicy() if policy is None else policy
    check_type(policy, "policy", "suggest_questions", InterviewPolicy, "an InterviewPolicy or None")
    ev = parse_evidence(evidence, model)
    skip = _validate_ids(exclude, model, "exclude") | set(ev.values)
    diagnosis = rank_causes(ev.values, model=model, engine=engine)
    ids = tuple(q for q in (*model.findings, *model.risk_factors) if q not in skip)
    scores = _score(model, get_engine(model, engine), ev, ids)
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
