"""The urgency policy: red flags always raise urgency, and the posterior adds care levels.

Policy is separate from inference: this module reads evidence and posteriors (through a callable that
returns posteriors for a batch of evidence rows) and never reaches into an engine.

The rule
--------
Let ``R(E)`` be the red flags present in the evidence ``E`` (findings with a floor, reported present),
``base(E)`` the evidence with *every* red-flag finding removed (present or denied), and ``m`` the
model's ``red_flag_combination_size``. For evidence ``X`` let ``care(X)`` be the highest level ``L``
for which some cause ``c`` whose care level is ``L`` or higher has ``P(c | X) >= t_L``, the model's
threshold for ``L`` (``self_care`` if none does). Thresholds fall as levels rise: the worse a missed
cause, the less probability it takes to act on it. Then::

    urgency(E) = max( max(floor(F) for F in R(E)),
                      max(care(base(E) + {F: present for F in S}) for S subset of R(E), |S| <= m) )

Why red flags can only raise it (by construction, whatever the numbers)
--------------------------------------------------------------------------
Add a red flag ``F`` to ``E`` (``F`` not present in ``E``; it may have been unknown or denied).
``base(E + F) = base(E)``, because ``base`` drops every red-flag finding, whatever its value.
``R(E + F) = R(E) | {F}``, so the floors of ``E + F`` include every floor of ``E`` and ``floor(F)``,
and every subset ``S`` of ``R(E)`` with ``|S| <= m`` is also a subset of ``R(E + F)``: the maximum
for ``E + F`` runs over a superset of the terms for ``E``, each term unchanged. Hence
``urgency(E + F) >= max(urgency(E), floor(F))``. No property of the posterior is used, so explaining
away (a red flag making a benign cause more likely and a serious one less likely) cannot lower the
level. The price: a red-flag denial never lowers urgency, and when more than ``m`` red flags are
present the full-evidence posterior is replaced by its ``m``-subsets (each red flag still counts
through its floor).

Examples
--------
>>> from toeprob import rank_causes
>>> rank_causes({"cramp": True}).urgency <= rank_causes({"cramp": True, "foot_drop": True}).urgency
True
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from toeprob.evidence import Evidence
from toeprob.model import Model
from toeprob.urgency import Urgency

__all__ = [
    "PosteriorBatch",
    "UrgencyAssessment",
    "UrgencyReason",
    "assess_urgency",
    "care_level",
    "urgency_batch",
    "urgency_lines",
]

PosteriorBatch = Callable[[NDArray[np.int8], NDArray[np.int8]], NDArray[np.float64]]


@dataclass(frozen=True)
class UrgencyReason:
    """One thing that raises urgency: a red flag (with its floor) or a likely cause (its care level).

    ``kind`` is ``"red_flag"`` or ``"cause"``; ``probability`` is the cause's posterior in the
    deciding evidence (``None`` for red flags); ``sets_level`` is true when it alone reaches the
    final urgency.
    """

    kind: str
    identifier: str
    level: Urgency
    probability: float | None
    sets_level: bool

    @property
    def text(self) -> str:
        """A one-line plain-language statement."""
        if self.kind == "red_flag":
            return f"red flag {self.identifier}: at least {self.level}"
        return f"{self.identifier} (care level {self.level}) has probability {self.probability:.2f}"


@dataclass(frozen=True)
class UrgencyAssessment:
    """The urgency, its reasons, and the red flags present with their floors."""

    urgency: Urgency
    reasons: tuple[UrgencyReason, ...]
    red_flags: Mapping[str, Urgency]
    posterior_level: Urgency


def urgency_lines(urgency: Urgency, reasons: Sequence[UrgencyReason]) -> list[str]:
    """Plain-text lines: the urgency and its reasons (``*`` marks those that set the level)."""
    lines = [f"Urgency: {urgency.label} ({urgency.meaning})"]
    lines += [f"  {'*' if r.sets_level else '-'} {r.text}" for r in reasons]
    return lines


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
    for level in sorted(thresholds):
        columns = care >= int(level)
        if columns.any():
            out[posteriors[:, columns].max(axis=1) >= thresholds[level]] = int(level)
    return out


class _Policy:
    """The model's policy compiled to arrays once (red-flag columns, floors, care levels)."""

    def __init__(self, model: Model) -> None:
        red = model.red_flags
        self.red_columns = np.array([model.findings.index(f) for f in red], dtype=int)
        self.red_floors = np.array([int(red[f]) for f in red], dtype=int)
        self.care = np.array([int(model.cause_specs[c].care_level) for c in model.causes])
        self.thresholds = model.triage.thresholds
        self.m = model.triage.red_flag_combination_size

    def candidate_rows(
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int_], list[tuple[int, ...]]]:
        """The evidence rows ``base(E) + S`` of every case; ``owner[k]`` is the case of row ``k``."""
        base = finding_states.copy()
        base[:, self.red_columns] = -1
        present = finding_states[:, self.red_columns] == 1
        # every case has the row base(E) (S = {}); cases with red flags add one row per subset
        rows, owners = [base], [np.arange(len(base))]
        subsets: list[tuple[int, ...]] = [() for _ in range(len(base))]
        for case in np.flatnonzero(present.any(axis=1)):
            flags = np.flatnonzero(present[case]).tolist()
            extra = [
                subset
                for k in range(1, min(self.m, len(flags)) + 1)
                for subset in itertools.combinations(flags, k)
            ]
            block = np.repeat(base[case][None, :], len(extra), axis=0)
            for row, subset in zip(block, extra, strict=True):
                row[self.red_columns[list(subset)]] = 1
            rows.append(block)
            owners.append(np.full(len(extra), case))
            subsets.extend(extra)
        owner = np.concatenate(owners)
        return np.concatenate(rows).astype(np.int8), rf_states[owner], owner, subsets

    def floors(self, finding_states: NDArray[np.int8]) -> NDArray[np.int_]:
        """The highest red-flag floor present in each case (0 = self_care if none)."""
        present = finding_states[:, self.red_columns] == 1
        return np.asarray(np.where(present, self.red_floors, 0).max(axis=1, initial=0))


_POLICIES: weakref.WeakKeyDictionary[Model, _Policy] = weakref.WeakKeyDictionary()


def _policy(model: Model) -> _Policy:
    if model not in _POLICIES:
        _POLICIES[model] = _Policy(model)
    return _POLICIES[model]


def urgency_batch(
    finding_states: NDArray[np.int8],
    rf_states: NDArray[np.int8],
    model: Model,
    posterior_batch: PosteriorBatch,
) -> NDArray[np.int_]:
    """The urgency (as ints, see :class:`Urgency`) of every case; the same rule as :func:`assess_urgency`."""
    policy = _policy(model)
    rows, rfs, owner, _ = policy.candidate_rows(finding_states, rf_states)
    levels = _care_levels(posterior_batch(rows, rfs), policy.care, policy.thresholds)
    best = np.zeros(len(finding_states), dtype=int)
    np.maximum.at(best, owner, levels)
    return np.maximum(best, policy.floors(finding_states))


def assess_urgency(evidence: Evidence, model: Model, posterior_batch: PosteriorBatch) -> UrgencyAssessment:
    """Apply the rule of the module docstring to validated ``evidence``, with the reasons."""
    policy = _policy(model)
    rows, rfs, _, _ = policy.candidate_rows(evidence.finding_state[None, :], evidence.rf_state[None, :])
    posts = posterior_batch(rows, rfs)
    levels = _care_levels(posts, policy.care, policy.thresholds)
    # among the rows reaching the highest level, report the one with the most red flags (the last
    # row; it is the full evidence when no more than m red flags are present)
    best = len(levels) - 1 - int(np.argmax(levels[::-1]))
    posterior_level = Urgency(int(levels[best]))
    red = model.red_flags
    floors = {f: red[f] for f, v in evidence.values.items() if v and f in red}
    urgency = max([posterior_level, *floors.values()])

    reasons = [
        UrgencyReason("red_flag", f, floor, None, floor == urgency)
        for f, floor in sorted(floors.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    ]
    if posterior_level > Urgency.SELF_CARE:
        # every cause at or above the level whose posterior reaches that level's threshold
        deciding = posts[best]
        for i in np.argsort(-deciding, kind="stable"):
            level = Urgency(int(policy.care[i]))
            if level >= posterior_level and deciding[i] >= model.triage.thresholds[posterior_level]:
                cause = model.causes[int(i)]
                reasons.append(
                    UrgencyReason("cause", cause, level, float(deciding[i]), posterior_level == urgency)
                )
    return UrgencyAssessment(urgency, tuple(reasons), floors, posterior_level)
