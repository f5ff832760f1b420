"""Exact scores of candidate questions: answer probabilities, posteriors, urgency, gain and value.

The quantities are defined in :mod:`toeprob.reasoning.questioning`; this module computes them for a
batch of candidates in a few batched engine passes (one for the posteriors, one for the answer
probabilities, one for the urgency rule's rows), and does the one-step lookahead.

Examples
--------
>>> import numpy as np
>>> float(decision_value(0.5, np.array([0.6, 0.4]), np.array([0.9, 0.1]), np.array([0.3, 0.7]),
...                      0, np.array(0), np.array(0), 1.0))
0.2
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy.special import entr

from toeprob.inference.engines import PosteriorEngine
from toeprob.inference.exact import ExactEngine
from toeprob.knowledge.evidence import Evidence
from toeprob.reasoning.urgency_rule import evidence_and_urgencies, urgency_batch

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = [
    "Scores",
    "decision_value",
    "expected_information_gain",
    "red_flags_that_matter",
    "score_checklist",
    "score_questions",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int_]
_LN2 = math.log(2.0)


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


def decision_value(
    p_yes: FloatArray | float,
    base: FloatArray,
    post_yes: FloatArray,
    post_no: FloatArray,
    urgency: int,
    urgency_yes: IntArray,
    urgency_no: IntArray,
    urgency_weight: float,
) -> FloatArray:
    """Expected value of information on the decision (top cause and urgency) of questions.

    ``[E_a max_c P(c | E, a) - max_c P(c | E)] + urgency_weight * E_a |U(E, a) - U(E)|``: the
    expected gain in the probability that the named top cause is right (zero when no answer can
    change the top cause) plus the expected change of the urgency, in levels.

    Examples
    --------
    >>> import numpy as np
    >>> base = np.array([0.7, 0.2])
    >>> float(decision_value(0.5, base, np.array([0.9, 0.1]), np.array([0.5, 0.3]), 0,
    ...                      np.array(0), np.array(0), 1.0))
    0.0
    """
    p = np.asarray(p_yes, dtype=float)
    top = float(np.max(base))
    best = p * np.max(post_yes, axis=-1) + (1.0 - p) * np.max(post_no, axis=-1)
    shift = p * np.abs(np.asarray(urgency_yes) - urgency) + (1.0 - p) * np.abs(
        np.asarray(urgency_no) - urgency
    )
    return np.asarray(np.maximum(best - top, 0.0) + urgency_weight * shift)


@dataclass(frozen=True)
class Scores:
    """Exact scores of candidate questions for one evidence state (arrays aligned with ``ids``)."""

    ids: tuple[str, ...]
    kinds: tuple[str, ...]
    base: FloatArray
    urgency: int
    p_yes: FloatArray
    post_yes: FloatArray
    post_no: FloatArray
    urgency_yes: IntArray
    urgency_no: IntArray
    gain: FloatArray
    value: FloatArray


def red_flags_that_matter(
    s: Scores, floors: Mapping[str, int], *, decision: bool = True, top_cause_no: bool = False
) -> tuple[str, ...]:
    """The red flags among ``s.ids`` whose answer matters, highest floor first, then the most probable.

    A red flag matters for the urgency when its floor is above the current urgency ``U``, or when
    the urgency rule gives more than ``U`` after a yes (through the causes it points to). With
    ``decision`` it also matters when a yes would change the top cause (``top_cause_no``: or a
    no). ``floors`` maps each red flag to its floor; identifiers not in it are not red flags.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.zeros(2)
    >>> s = Scores(("a", "b", "c"), ("finding",) * 3, np.array([0.6, 0.4]), 1, np.array([0.1, 0.2, 0.3]),
    ...            np.array([[0.6, 0.4], [0.3, 0.7], [0.6, 0.4]]), np.array([[0.6, 0.4]] * 3),
    ...            np.array([1, 1, 2]), np.array([1, 1, 1]), z, z)
    >>> red_flags_that_matter(s, {"a": 1, "b": 1, "c": 1})
    ('c', 'b')
    >>> red_flags_that_matter(s, {"a": 1, "b": 1, "c": 1}, decision=False)
    ('c',)
    """
    top = int(np.argmax(s.base))
    keep = []
    for j, q in enumerate(s.ids):
        floor = floors.get(q)
        if floor is None:
            continue
        urgent = floor > s.urgency or int(s.urgency_yes[j]) > s.urgency
        moves = decision and (
            int(np.argmax(s.post_yes[j])) != top or (top_cause_no and int(np.argmax(s.post_no[j])) != top)
        )
        if urgent or moves:
            keep.append(j)
    keep.sort(key=lambda j: (-int(floors[s.ids[j]]), -float(s.p_yes[j]), s.ids[j]))
    return tuple(s.ids[j] for j in keep)


def _set(
    reasoner: Reasoner, fs: NDArray[np.int8], rs: NDArray[np.int8], row: int, q: str, state: int
) -> None:
    if q in reasoner.finding_index:
        fs[row, reasoner.finding_index[q]] = state
    else:
        rs[row, reasoner.risk_factor_index[q]] = state


def _urgency(reasoner: Reasoner, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> IntArray:
    engine = reasoner.engine
    fast = engine.posterior_evidence_batch if isinstance(engine, ExactEngine) else None
    return urgency_batch(fs, rs, reasoner.urgency_policy, engine.posterior_batch, fast)


def _answers(
    reasoner: Reasoner,
    engine: PosteriorEngine,
    ev: Evidence,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    with_urgency: bool,
) -> tuple[FloatArray, FloatArray, IntArray | None] | None:
    """Posteriors of the answer rows ``fs``/``rs``, the log evidence of ``ev`` followed by that
    of every row, and (``with_urgency``) every row's urgency, from one engine pass; None when
    ``engine`` has no such pass (then separate calls give the same numbers)."""
    if not isinstance(engine, ExactEngine) or (with_urgency and engine is not reasoner.engine):
        return None
    every_f = np.concatenate([ev.finding_state[None, :], fs]).astype(np.int8)
    every_r = np.concatenate([ev.rf_state[None, :], rs]).astype(np.int8)
    if not with_urgency:
        post, logs, _ = engine.posterior_evidence_batch(every_f, every_r)
        return post[1:], logs, None
    assess = np.ones(len(every_f), dtype=bool)
    assess[0] = False  # the evidence itself: its urgency is known
    post, logs, levels = evidence_and_urgencies(
        every_f,
        every_r,
        reasoner.urgency_policy,
        engine.posterior_batch,
        engine.posterior_evidence_batch,
        assess=assess,
    )
    return post[1:], logs, levels[1:]


def score_questions(
    reasoner: Reasoner,
    engine: PosteriorEngine,
    ev: Evidence,
    base: FloatArray,
    urgency: int,
    ids: tuple[str, ...],
    urgency_weight: float,
    with_urgency: bool = True,
    urgency_ids: Collection[str] = (),
) -> Scores:
    """Scores of the single questions ``ids`` under evidence ``ev`` (posterior ``base``, urgency).

    The urgency rule runs for both answers of every question when ``with_urgency`` is true, and
    otherwise only for the questions in ``urgency_ids`` (the others keep the current urgency).
    """
    n = len(ids)
    fs = np.repeat(ev.finding_state[None, :], 2 * n, axis=0)
    rs = np.repeat(ev.rf_state[None, :], 2 * n, axis=0)
    for j, q in enumerate(ids):
        _set(reasoner, fs, rs, 2 * j, q, 1)
        _set(reasoner, fs, rs, 2 * j + 1, q, 0)
    kinds = tuple("finding" if q in reasoner.finding_index else "risk_factor" for q in ids)
    if n == 0:
        empty = np.zeros((0, len(base)))
        none = np.zeros(0, dtype=int)
        return Scores(
            ids, kinds, base, urgency, np.zeros(0), empty, empty, none, none, np.zeros(0), np.zeros(0)
        )
    merged = _answers(reasoner, engine, ev, fs, rs, with_urgency)
    levels: IntArray | None
    if merged is not None:
        post, every_log, levels = merged
        logs = np.concatenate([every_log[:1], every_log[1::2]])  # the evidence, then the yes rows
    else:
        post = np.asarray(engine.posterior_batch(fs, rs), dtype=float)
        logs = np.asarray(
            engine.log_evidence_batch(
                np.concatenate([ev.finding_state[None, :], fs[0::2]]),
                np.concatenate([ev.rf_state[None, :], rs[0::2]]),
            ),
            dtype=float,
        )
        levels = _urgency(reasoner, fs, rs) if with_urgency else None
    p_yes = np.asarray(np.clip(np.exp(logs[1:] - logs[0]), 0.0, 1.0))
    if levels is not None:
        u_yes, u_no = levels[0::2], levels[1::2]
    else:
        u_yes, u_no = np.full(n, urgency, dtype=int), np.full(n, urgency, dtype=int)
        some = [j for j, q in enumerate(ids) if q in urgency_ids]
        if some:
            rows = np.array([r for j in some for r in (2 * j, 2 * j + 1)])
            levels = _urgency(reasoner, fs[rows], rs[rows])
            u_yes[some], u_no[some] = levels[0::2], levels[1::2]
    yes, no = post[0::2], post[1::2]
    gain = expected_information_gain(p_yes, base, yes, no)
    value = decision_value(p_yes, base, yes, no, urgency, u_yes, u_no, urgency_weight)
    return Scores(ids, kinds, base, urgency, p_yes, yes, no, u_yes, u_no, gain, value)


def score_checklist(
    reasoner: Reasoner,
    engine: PosteriorEngine,
    ev: Evidence,
    base: FloatArray,
    urgency: int,
    ids: tuple[str, ...],
    any_urgency: int,
    urgency_weight: float,
) -> tuple[float, float, float, FloatArray, FloatArray]:
    """``P(any item present)``, gain and value of the answer "any of these" / "none of these".

    Exact: ``P(none | E)`` and ``P(c | E, none)`` come from one engine row with every item absent,
    and ``P(c | E, any) = (P(c | E) - P(none | E) P(c | E, none)) / P(any | E)``. The urgency after
    "any" is taken as ``any_urgency`` (a lower bound the caller gives, such as the lowest floor of
    the items). Returns ``(p_any, gain, value, posterior_none, posterior_any)``.
    """
    fs = ev.finding_state[None, :].copy()
    rs = ev.rf_state[None, :].copy()
    for q in ids:
        _set(reasoner, fs, rs, 0, q, 0)
    merged = _answers(reasoner, engine, ev, fs, rs, with_urgency=False)
    if merged is not None:
        post_none, logs = merged[0][0], merged[1]
    else:
        post_none = np.asarray(engine.posterior_batch(fs, rs), dtype=float)[0]
        logs = np.asarray(
            engine.log_evidence_batch(
                np.concatenate([ev.finding_state[None, :], fs]), np.concatenate([ev.rf_state[None, :], rs])
            ),
            dtype=float,
        )
    p_none = float(np.clip(np.exp(logs[1] - logs[0]), 0.0, 1.0))
    p_any = 1.0 - p_none
    if p_any <= 1e-12:
        return 0.0, 0.0, 0.0, post_none, base
    post_any = np.clip((base - p_none * post_none) / p_any, 0.0, 1.0)
    u_none = int(_urgency(reasoner, fs, rs)[0])
    gain = float(expected_information_gain(p_any, base, post_any, post_none))
    value = float(
        decision_value(
            p_any, base, post_any, post_none, urgency, np.array(any_urgency), np.array(u_none), urgency_weight
        )
    )
    return p_any, gain, value, post_none, post_any


def lookahead_value(
    reasoner: Reasoner,
    engine: PosteriorEngine,
    ev: Evidence,
    scores: Scores,
    candidates: tuple[int, ...],
    urgency_weight: float,
) -> FloatArray:
    """Two-step value of each candidate ``j``: its value plus the expected best value of one more.

    ``value(Q) + E_a[max_Q' value(Q' | E, Q = a)]`` for ``Q = scores.ids[j]``; the second step counts
    the top cause only (the urgency part of the second question is left out to keep the cost at two
    engine passes per answer).
    """
    out = np.zeros(len(candidates))
    for k, j in enumerate(candidates):
        q = scores.ids[j]
        expected = 0.0
        for answer, p, post in (
            (1, scores.p_yes[j], scores.post_yes[j]),
            (0, 1.0 - scores.p_yes[j], scores.post_no[j]),
        ):
            if p <= 1e-12:
                continue
            fs = ev.finding_state.copy()
            rs = ev.rf_state.copy()
            if q in reasoner.finding_index:
                fs[reasoner.finding_index[q]] = answer
            else:
                rs[reasoner.risk_factor_index[q]] = answer
            after = Evidence({}, fs, rs)
            rest = tuple(x for x in scores.ids if x != q)
            second = score_questions(
                reasoner, engine, after, post, scores.urgency, rest, urgency_weight, with_urgency=False
            )
            expected += p * float(second.value.max(initial=0.0))
        out[k] = scores.value[j] + expected
    return out
