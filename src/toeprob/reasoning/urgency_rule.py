"""The urgency policy: red flags always raise urgency, denials and the posterior add care levels.

Policy is separate from inference: this module reads evidence and posteriors (through a callable that
returns posteriors for a batch of evidence rows) and never reaches into an engine.

The rule (version 2)
--------------------
Every red flag (a finding with a floor) is in one of three reported states, ordered
``absent < unknown < present``; ``r_E`` is the vector of these states in the evidence ``E``. Red flags
are of two kinds, declared in the model file (``[triage] unknown_when_unreported``):

* *warning signs* (weakness, foot drop, slurred speech, a cold pale foot, ...): a person who has one
  notices it, so when it is not reported the care part takes it as **absent**, exactly as if it had
  been denied; the neurologist's rule of article 000 (no sign of denervation, no work-up) is this;
* *course* flags (how long, how often, whether self-care helps, sleep): stories often leave them out,
  so an unreported one is weighed both ways, **unknown** and **absent**.

A *world* ``w`` gives each red flag a state; the non-red-flag evidence is always used as reported. The
worlds the rule may look at are a fixed set ``C = C_U | C_A`` (``m`` is the model's
``red_flag_combination_size``)::

    C_A = { w : every red flag absent or present,                       at most m present }
    C_U = { w : warning signs absent or present, course flags unknown or present, at most m present }

and the worlds of ``E`` are those of ``C`` below its reports, ``W(E) = {w in C : w <= r_E}``
(componentwise): a present red flag may be kept or set lower, an unknown one may be unknown or
absent, a denied one is absent. For evidence ``X`` let ``care(X)`` be the highest level ``L`` for which
some cause ``c`` whose care level is ``L`` or higher has ``P(c | X) >= t_L``, the model's threshold
for ``L`` (``self_care`` if none does). Then::

    urgency(E) = max( max(floor(F) for F present in E),
                      max(care(nonred(E) + w) for w in W(E)) )

``W(E)`` is never empty: the world with every red flag absent is in ``C_A`` and below every ``r_E``.

Why red flags can only raise it, and denials never do (by construction, whatever the numbers)
-----------------------------------------------------------------------------------------------
``C`` does not depend on ``E``; only the upper bound ``r_E`` does, and ``nonred(E)`` ignores every
red flag.

* Add a red flag ``F`` that is unknown or denied in ``E``: ``r_{E+F}`` equals ``r_E`` except that ``F``
  rises to *present*, so ``r_E <= r_{E+F}`` and ``W(E)`` is a subset of ``W(E+F)``; each world's term
  is unchanged because ``nonred(E+F) = nonred(E)``. The floors of ``E + F`` are those of ``E`` and
  ``floor(F)``. Hence ``urgency(E + F) >= max(urgency(E), floor(F))``.
* Deny a red flag ``F`` that was unknown: ``r`` falls at ``F``, so the worlds of the denial are a
  subset of the worlds of the silence, and the floors are the same. Hence a denial never gives a
  higher urgency than leaving the flag unknown.

No property of the posterior is used, so explaining away (a red flag making a benign cause more likely
and a serious one less likely) cannot lower the level.

The price, measured in ``benchmarks/bench_urgency.py``: (1) an unreported warning sign counts as
absent, so the urgency is the urgency *of the story as told* (the interview asks the warning signs
before it stops, and the report lists them); (2) the care part is the worst case over the worlds, so a
present red flag also counts through the worlds where it is set lower (a long course that argues
against an acute cause is also weighed as if it were not said); (3) with more than ``m`` red flags
present the full set is not a world (each still counts through its floor). The cost is at most
``2 * sum(C(n, k) for k <= m)`` posterior rows for ``n`` present red flags, in one batched engine pass;
no row is computed when the floors already reach the highest level, and identical rows are computed
once.

Examples
--------
>>> from toeprob import rank_causes
>>> rank_causes({"cramp": True}).urgency <= rank_causes({"cramp": True, "foot_drop": True}).urgency
True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import ImpossibleEvidenceError
from toeprob.knowledge.evidence import Evidence, distinct_rows
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import UrgencyReason

__all__ = [
    "EvidencePass",
    "PosteriorBatch",
    "UrgencyAssessment",
    "UrgencyPolicy",
    "assess_urgency",
    "care_level",
    "evidence_and_urgencies",
    "posterior_and_urgency",
    "posteriors_and_urgencies",
    "urgency_batch",
]


class PosteriorBatch(Protocol):
    """An engine's ``posterior_batch``; ``groups`` labels the rows of one case's worlds as one family
    (see :meth:`~toeprob.inference.engines.PosteriorEngine.posterior_batch`)."""

    def __call__(
        self,
        finding_states: NDArray[np.int8],
        rf_states: NDArray[np.int8],
        *,
        groups: NDArray[np.int_] | None = None,
    ) -> NDArray[np.float64]: ...


class EvidencePass(Protocol):
    """An engine's pass giving posteriors, log evidence and error bounds together
    (:meth:`~toeprob.inference.exact.ExactEngine.posterior_evidence_batch`): rows marked
    ``approximate`` may come back with a posterior within ``error`` of the exact pass's (and log
    evidence ``nan``); every other row is exact, with error 0."""

    def __call__(
        self,
        finding_states: NDArray[np.int8],
        rf_states: NDArray[np.int8],
        *,
        groups: NDArray[np.int_] | None = None,
        approximate: NDArray[np.bool_] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]: ...


_ABSENT, _UNKNOWN, _PRESENT = 0, -1, 1
_KEPT_WORLDS = 4096
"""Reported red-flag states whose worlds a policy keeps (a few KiB each at most)."""


@dataclass(frozen=True)
class UrgencyAssessment:
    """The urgency, its reasons, the red flags present with their floors, and what was assumed.

    ``assumed_absent`` lists the warning signs the person did not report, taken as absent by the
    rule, whose floor is above the urgency: reporting any of them would raise it.
    """

    urgency: Urgency
    reasons: tuple[UrgencyReason, ...]
    red_flags: Mapping[str, Urgency]
    posterior_level: Urgency
    assumed_absent: tuple[str, ...] = ()


def care_level(
    posterior: NDArray[np.float64], care: Sequence[Urgency], thresholds: Mapping[Urgency, float]
) -> Urgency:
    """The highest level ``L`` such that a cause with care level ``>= L`` has ``P(c) >= thresholds[L]``.

    Examples
    --------
    >>> import numpy as np
    >>> t = {Urgency.ROUTINE: 0.3, Urgency.SOON: 0.2, Urgency.URGENT: 0.1, Urgency.EMERGENCY: 0.05}
    >>> care_level(np.array([0.9, 0.3]), [Urgency.SELF_CARE, Urgency.SOON], t)
    <Urgency.SOON: 2>
    >>> care_level(np.array([0.9, 0.15, 0.15]), [Urgency.SELF_CARE, Urgency.SOON, Urgency.SOON], t)
    <Urgency.SELF_CARE: 0>
    """
    levels = _care_levels(np.asarray(posterior)[None, :], np.asarray([int(c) for c in care]), thresholds)
    return Urgency(int(levels[0]))


def _care_levels(
    posteriors: NDArray[np.float64], care: NDArray[np.int_], thresholds: Mapping[Urgency, float]
) -> NDArray[np.int_]:
    """Vectorized :func:`care_level` over rows of ``posteriors`` (N, C); returns int levels (N,)."""
    out = np.zeros(len(posteriors), dtype=int)
    for level, columns, threshold in _level_columns(care, thresholds):
        out[posteriors[:, columns].max(axis=1) >= threshold] = level
    return out


def _level_columns(
    care: NDArray[np.int_], thresholds: Mapping[Urgency, float]
) -> list[tuple[int, NDArray[np.intp], float]]:
    """Each level with a threshold, lowest first, with the columns of the causes at or above it
    and its threshold (levels no cause reaches left out)."""
    out = []
    for level in sorted(thresholds):
        columns = np.flatnonzero(care >= int(level))
        if len(columns):
            out.append((int(level), columns, thresholds[level]))
    return out


class UrgencyPolicy:
    """The model's urgency rule compiled to arrays once (red-flag columns and kinds, floors, care levels).

    Built once per model by its :class:`~toeprob.reasoning.reasoner.Reasoner`.

    Examples
    --------
    >>> from toeprob import load_model
    >>> policy = UrgencyPolicy(load_model())
    >>> len(policy.red_names) == len(policy.red_floors)
    True
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        red = model.red_flags
        self.red_names = tuple(red)
        self.red_columns = np.array([model.findings.index(f) for f in red], dtype=int)
        self.red_floors = np.array([int(red[f]) for f in red], dtype=int)
        course = set(model.triage.unknown_when_unreported)
        self.course = np.array([f in course for f in red], dtype=bool)
        self.care = np.array([int(model.cause_specs[c].care_level) for c in model.causes])
        self.top_care = int(self.care.max(initial=0))
        self.thresholds = model.triage.thresholds
        self.m = model.triage.red_flag_combination_size
        # the lowest world of each part: C_A (every red flag absent), C_U (course flags unknown)
        self.world_a = np.full(len(red), _ABSENT, dtype=np.int8)
        self.world_u = np.where(self.course, _UNKNOWN, _ABSENT).astype(np.int8)
        self._subset_cache: dict[int, NDArray[np.bool_]] = {}
        self._world_cache: dict[bytes, NDArray[np.int8]] = {}
        self._levels = _level_columns(self.care, self.thresholds)
        self._levels_for: Mapping[Urgency, float] = self.thresholds
        self._red_names = np.array(self.red_names, dtype=object)

    def care_levels(self, posteriors: NDArray[np.float64]) -> NDArray[np.int_]:
        """The care level of every row of ``posteriors`` (N, C) as ints: :func:`care_level` by rows."""
        if self._levels_for is not self.thresholds:  # columns per level, kept for these thresholds
            self._levels = _level_columns(self.care, self.thresholds)
            self._levels_for = self.thresholds
        out = np.zeros(len(posteriors), dtype=int)
        for level, columns, threshold in self._levels:
            out[posteriors[:, columns].max(axis=1) >= threshold] = level
        return out

    def floors(self, finding_states: NDArray[np.int8]) -> NDArray[np.int_]:
        """The highest red-flag floor present in each case (0 = self_care if none)."""
        present = finding_states[:, self.red_columns] == _PRESENT
        return np.asarray(np.where(present, self.red_floors, 0).max(axis=1, initial=0))

    def worlds(self, reported: NDArray[np.int8]) -> list[NDArray[np.int8]]:
        """The red-flag states of every world in ``W(E)`` for one case's reported red-flag states.

        Ordered from the lowest worlds to those closest to the report, without repeats.
        """
        parts = [self.world_a]
        if not np.any(self.course & (reported == _ABSENT)):
            parts.append(self.world_u)
        present = np.flatnonzero(reported == _PRESENT).tolist()
        seen: set[bytes] = set()
        out: list[NDArray[np.int8]] = []
        for k in range(min(self.m, len(present)) + 1):
            for subset in itertools.combinations(present, k):
                for low in parts:
                    world = low.copy()
                    world[list(subset)] = _PRESENT
                    key = world.tobytes()
                    if key not in seen:
                        seen.add(key)
                        out.append(world)
        return out

    def candidate_rows(
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int_]]:
        """The evidence rows ``nonred(E) + w`` of every case that needs them; ``owner[k]`` is the case.

        A case whose red-flag floors already reach the highest care level of any cause needs none.
        A single case's rows come in the order of :meth:`worlds`; in a batch, the rows of each case
        are its worlds in another order (only the highest level over them counts there).
        """
        finding_states = np.asarray(finding_states, dtype=np.int8)
        if len(finding_states) == 1:  # one case: its worlds in order, without array bookkeeping
            worlds = self._worlds_of(finding_states[0, self.red_columns])
            rows = np.repeat(finding_states, len(worlds), axis=0)
            if len(worlds):
                rows[:, self.red_columns] = worlds
            owner = np.zeros(len(worlds), dtype=int)
            return rows, np.repeat(rf_states, len(worlds), axis=0).astype(np.int8), owner
        reported = finding_states[:, self.red_columns]
        present = reported == _PRESENT
        needed = self.floors(finding_states) < self.top_care
        with_u = ~(self.course & (reported == _ABSENT)).any(axis=1)  # C_U has worlds below the report
        n_present = present.sum(axis=1)
        blocks, owners = [], []
        # cases grouped by their number k of present red flags: every subset of at most m of them,
        # set present in the lowest world of each part, for all the cases of the group at once
        for k in np.unique(n_present[needed]).tolist():
            subsets = self._subsets(k)  # (S, k) bool
            for low, part in ((self.world_a, needed), (self.world_u, needed & with_u)):
                cases = np.flatnonzero(part & (n_present == k))
                if not len(cases):
                    continue
                where = np.nonzero(present[cases])[1].reshape(len(cases), k)  # red-flag positions
                red = np.broadcast_to(low, (len(cases), len(subsets), len(low))).copy()
                case_at, subset_at, slot = np.nonzero(np.broadcast_to(subsets, (len(cases), *subsets.shape)))
                red[case_at, subset_at, where[case_at, slot]] = _PRESENT
                rows = np.repeat(finding_states[cases], len(subsets), axis=0)
                rows[:, self.red_columns] = red.reshape(-1, len(low))
                blocks.append(rows)
                owners.append(np.repeat(cases, len(subsets)))
        if not blocks:
            width = finding_states.shape[1]
            return np.zeros((0, width), dtype=np.int8), rf_states[:0].astype(np.int8), np.zeros(0, dtype=int)
        owner = np.concatenate(owners).astype(int)
        return np.concatenate(blocks), rf_states[owner].astype(np.int8), owner

    def _worlds_of(self, reported: NDArray[np.int8]) -> NDArray[np.int8]:
        """:meth:`worlds` of one case stacked (W, red flags), none when its floors reach the highest
        care level; remembered per reported red-flag state (at most :data:`_KEPT_WORLDS`)."""
        key = reported.tobytes()
        cached = self._world_cache.get(key)
        if cached is None:
            floor = int(np.where(reported == _PRESENT, self.red_floors, 0).max(initial=0))
            worlds = self.worlds(reported) if floor < self.top_care else []
            width = len(self.red_names)
            cached = np.stack(worlds) if worlds else np.zeros((0, width), dtype=np.int8)
            cached.flags.writeable = False
            if len(self._world_cache) >= _KEPT_WORLDS:
                self._world_cache.clear()
            self._world_cache[key] = cached
        return cached

    def _subsets(self, k: int) -> NDArray[np.bool_]:
        """Every subset of at most ``m`` of ``k`` items, as rows of a ``(S, k)`` boolean array."""
        if k in self._subset_cache:
            return self._subset_cache[k]
        rows = [np.zeros(k, dtype=bool)]
        for size in range(1, min(self.m, k) + 1):
            for subset in itertools.combinations(range(k), size):
                row = np.zeros(k, dtype=bool)
                row[list(subset)] = True
                rows.append(row)
        self._subset_cache[k] = np.array(rows, dtype=bool).reshape(len(rows), k)
        return self._subset_cache[k]


def _families(finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]) -> NDArray[np.int_]:
    """For every case, the index of the first identical case: the label of its worlds' family."""
    first, inverse = distinct_rows(np.asarray(finding_states, np.int8), np.asarray(rf_states, np.int8))
    return np.asarray(first[inverse], dtype=int)


def settled_levels(
    posts: NDArray[np.float64],
    error: NDArray[np.float64],
    policy: UrgencyPolicy,
    exact: Callable[[NDArray[np.intp]], NDArray[np.float64]],
) -> NDArray[np.int_]:
    """The care level of every row whose posterior is known within ``error`` (per row), equal to
    the level of the exact posterior.

    A care level never falls when a posterior rises, so the exact row's level lies between the
    levels of ``posts - error`` and ``posts + error``; where these differ (a threshold within the
    interval), ``exact(rows)`` recomputes those rows, in place in ``posts`` (their ``error`` set
    to 0).
    """
    levels = policy.care_levels(posts)
    loose = np.flatnonzero(error > 0)
    if len(loose):
        margin = error[loose, None]
        low = policy.care_levels(posts[loose] - margin)
        high = policy.care_levels(posts[loose] + margin)
        levels[loose] = low
        again = loose[low != high]
        if len(again):
            posts[again] = exact(again)
            error[again] = 0.0
            levels[again] = policy.care_levels(posts[again])
    return levels


def _settled_levels(
    posts: NDArray[np.float64],
    error: NDArray[np.float64],
    finding_states: NDArray[np.int8],
    rf_states: NDArray[np.int8],
    labels: NDArray[np.int_],
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
) -> NDArray[np.int_]:
    """:func:`settled_levels`, the unsettled rows recomputed by ``posterior_batch`` in their families."""
    return settled_levels(
        posts,
        error,
        policy,
        lambda rows: posterior_batch(finding_states[rows], rf_states[rows], groups=labels[rows]),
    )


def evidence_and_urgencies(
    finding_states: NDArray[np.int8],
    rf_states: NDArray[np.int8],
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
    evidence_pass: EvidencePass,
    *,
    assess: NDArray[np.bool_] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int_]]:
    """The posterior, log evidence and urgency of every case, from one pass of ``evidence_pass``.

    With ``assess`` (a boolean array, one per case), only those cases get their urgency; the
    others' urgency is their red-flag floor alone (their worlds are not computed).

    The same rows, families and results as :func:`posteriors_and_urgencies` (bit for bit), with
    the log evidence of every case as :meth:`~toeprob.inference.engines.PosteriorEngine.log_evidence_batch`
    gives it. The worlds' rows are passed as ``approximate``: only their care levels count, so a
    world whose inclusion-exclusion cancels (about 3% of them, otherwise recomputed in extended
    precision at 2-15 ms a row) keeps its float64 posterior and error bound when no threshold lies
    within that error (:func:`_settled_levels`), and is recomputed exactly when one does.
    """
    n = len(finding_states)
    if assess is None:
        rows, rfs, owner = policy.candidate_rows(finding_states, rf_states)
    else:
        chosen = np.flatnonzero(assess)
        rows, rfs, owner = policy.candidate_rows(finding_states[chosen], rf_states[chosen])
        owner = chosen[owner]
    every_f = np.concatenate([np.asarray(finding_states, dtype=np.int8), rows])
    every_r = np.concatenate([np.asarray(rf_states, dtype=np.int8), rfs])
    family = _families(finding_states, rf_states)
    labels = np.concatenate([-1 - family, family[owner]])  # case rows: a family of their own
    first, inverse = distinct_rows(every_f, every_r, labels)
    distinct_f, distinct_r, distinct_labels = every_f[first], every_r[first], labels[first]
    try:
        distinct, log_ev, error = evidence_pass(
            distinct_f, distinct_r, groups=distinct_labels, approximate=first >= n
        )
    except ImpossibleEvidenceError:
        posterior_batch(finding_states, rf_states)  # names the case's row, if it is a case
        raise
    levels = _settled_levels(
        distinct, error, distinct_f, distinct_r, distinct_labels, policy, posterior_batch
    )
    best = np.zeros(n, dtype=int)
    np.maximum.at(best, owner, levels[inverse[n:]])
    cases = inverse[:n]
    return distinct[cases], log_ev[cases], np.maximum(best, policy.floors(finding_states))


def posteriors_and_urgencies(
    finding_states: NDArray[np.int8],
    rf_states: NDArray[np.int8],
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
    evidence_pass: EvidencePass | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.int_]]:
    """The posterior and the urgency (as ints, see :class:`Urgency`) of every case.

    The cases' rows and the rows of every case's worlds go to ``posterior_batch`` in one call,
    each distinct row once. Each case's worlds are one family (``groups``), as in
    :func:`posterior_and_urgency`, and the case rows are alone: a row's posterior depends on
    nothing but its family, so that they are those of :func:`posterior_and_urgency` case by case
    (identical cases share their family). The same rule as :func:`assess_urgency`. Given an
    ``evidence_pass``, by :func:`evidence_and_urgencies` (the same results, faster).
    """
    if evidence_pass is not None:
        post, _, urgency = evidence_and_urgencies(
            finding_states, rf_states, policy, posterior_batch, evidence_pass
        )
        return post, urgency
    n = len(finding_states)
    rows, rfs, owner = policy.candidate_rows(finding_states, rf_states)
    every_f = np.concatenate([np.asarray(finding_states, dtype=np.int8), rows])
    every_r = np.concatenate([np.asarray(rf_states, dtype=np.int8), rfs])
    family = _families(finding_states, rf_states)
    labels = np.concatenate([-1 - family, family[owner]])  # case rows: a family of their own
    first, inverse = distinct_rows(every_f, every_r, labels)
    try:
        distinct = posterior_batch(every_f[first], every_r[first], groups=labels[first])
    except ImpossibleEvidenceError:
        posterior_batch(finding_states, rf_states)  # names the case's row, if it is a case
        raise
    levels = policy.care_levels(distinct)
    best = np.zeros(n, dtype=int)
    np.maximum.at(best, owner, levels[inverse[n:]])
    return distinct[inverse[:n]], np.maximum(best, policy.floors(finding_states))


def urgency_batch(
    finding_states: NDArray[np.int8],
    rf_states: NDArray[np.int8],
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
    evidence_pass: EvidencePass | None = None,
) -> NDArray[np.int_]:
    """The urgency (as ints, see :class:`Urgency`) of every case; the same rule as :func:`assess_urgency`.

    Given an ``evidence_pass``, the worlds are passed as ``approximate`` and settled as in
    :func:`evidence_and_urgencies` (the same levels).
    """
    rows, rfs, owner = policy.candidate_rows(finding_states, rf_states)
    best = np.zeros(len(finding_states), dtype=int)
    if len(rows):
        labels = _families(finding_states, rf_states)[owner]  # each case's worlds: one family
        first, inverse = distinct_rows(rows, rfs, labels)
        distinct_f, distinct_r, distinct_labels = rows[first], rfs[first], labels[first]
        if evidence_pass is None:
            posts = posterior_batch(distinct_f, distinct_r, groups=distinct_labels)
            levels = policy.care_levels(posts)
        else:
            posts, _, error = evidence_pass(
                distinct_f, distinct_r, groups=distinct_labels, approximate=np.ones(len(first), dtype=bool)
            )
            levels = _settled_levels(
                posts, error, distinct_f, distinct_r, distinct_labels, policy, posterior_batch
            )
        np.maximum.at(best, owner, levels[inverse])
    return np.maximum(best, policy.floors(finding_states))


def assess_urgency(
    evidence: Evidence,
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
    evidence_pass: EvidencePass | None = None,
) -> UrgencyAssessment:
    """Apply the rule of the module docstring to validated ``evidence``, with the reasons."""
    return posterior_and_urgency(evidence, policy, posterior_batch, evidence_pass)[1]


def posterior_and_urgency(
    evidence: Evidence,
    policy: UrgencyPolicy,
    posterior_batch: PosteriorBatch,
    evidence_pass: EvidencePass | None = None,
) -> tuple[NDArray[np.float64], UrgencyAssessment]:
    """The posterior of ``evidence`` and its urgency, from one batched engine pass.

    The evidence row and the rows of the urgency rule's worlds go to ``posterior_batch`` together;
    the first row of the result is the posterior of the evidence itself. Given an
    ``evidence_pass``, the worlds are passed as ``approximate`` and settled as in
    :func:`evidence_and_urgencies`, and the deciding world (whose posteriors the reasons give) is
    recomputed exactly if it was left in float64: the same results, bit for bit.
    """
    model = policy.model
    states = evidence.finding_state[None, :]
    rows, rfs, _ = policy.candidate_rows(states, evidence.rf_state[None, :])
    every_f = np.concatenate([states.astype(np.int8), rows])
    every_r = np.concatenate([evidence.rf_state[None, :].astype(np.int8), rfs])
    groups = np.minimum(np.arange(len(rows) + 1), 1)  # the evidence alone, its worlds one family
    if evidence_pass is None:
        everything = posterior_batch(every_f, every_r, groups=groups)
        posterior, posts = everything[0], everything[1:]
        levels = policy.care_levels(posts)
        error = np.zeros(len(posts))
    else:
        everything, _, errors = evidence_pass(every_f, every_r, groups=groups, approximate=groups > 0)
        posterior, posts, error = everything[0], everything[1:], errors[1:]
        levels = _settled_levels(posts, error, rows, rfs, groups[1:], policy, posterior_batch)
    red = model.red_flags
    floors = {f: red[f] for f, v in evidence.values.items() if v and f in red}
    # among the worlds reaching the highest level, report the one closest to the report (the last)
    best = len(levels) - 1 - int(np.argmax(levels[::-1])) if len(levels) else -1
    posterior_level = Urgency(int(levels[best])) if len(levels) else Urgency.SELF_CARE
    urgency = max([posterior_level, *floors.values()])

    reasons = [
        UrgencyReason("red_flag", f, floor, None, floor == urgency)
        for f, floor in sorted(floors.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    ]
    if posterior_level > Urgency.SELF_CARE:
        if error[best] > 0:  # its posteriors are reported: exactly
            posts[best] = posterior_batch(rows[best : best + 1], rfs[best : best + 1], groups=groups[:1])[0]
        # every cause at or above the level whose posterior reaches that level's threshold
        deciding = posts[best]
        order = np.argsort(-deciding, kind="stable")
        chosen = (policy.care[order] >= int(posterior_level)) & (
            deciding[order] >= model.triage.thresholds[posterior_level]
        )
        decides = posterior_level == urgency
        reasons.extend(
            UrgencyReason("cause", model.causes[i], Urgency(int(policy.care[i])), p, decides)
            for i, p in zip(order[chosen].tolist(), deciding[order[chosen]].tolist(), strict=True)
        )
    reported = states[0, policy.red_columns]
    unreported = (reported == _UNKNOWN) & ~policy.course & (policy.red_floors > int(urgency))
    assumed = tuple(policy._red_names[unreported].tolist())
    return posterior, UrgencyAssessment(urgency, tuple(reasons), floors, posterior_level, assumed)
