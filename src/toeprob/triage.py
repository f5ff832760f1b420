"""The urgency policy: red flags always raise urgency, and the posterior adds care levels.

Policy is separate from inference: this module reads evidence and posteriors (through a callable that
returns posteriors for a batch of evidence rows) and never reaches into an engine.

The rule
--------
Let ``R(E)`` be the red flags present in the evidence ``E`` (findings with a floor, reported present),
``base(E)`` the evidence with *every* red-flag finding removed (present or denied), and ``m`` the
model's ``red_flag_combination_size``. For evidence ``X`` let ``care(X)`` be the highest level ``L``
for which the posterior mass of the causes whose care level is ``L`` or higher,
``sum(P(c | X) for c with care_level(c) >= L)``, reaches the model's threshold ``t_L``
(``self_care`` if none does). Then::

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from toeprob.evidence import Evidence
from toeprob.model import Model
from toeprob.urgency import Urgency

__all__ = ["PosteriorBatch", "UrgencyAssessment", "UrgencyReason", "assess_urgency", "care_level"]

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


def care_level(
    posterior: NDArray[np.float64], care: Sequence[Urgency], thresholds: Mapping[Urgency, float]
) -> Urgency:
    """The highest level whose cause mass ``sum(P(c) for care(c) >= L)`` reaches ``thresholds[L]``.

    Examples
    --------
    >>> import numpy as np
    >>> t = {Urgency.ROUTINE: 0.4, Urgency.SOON: 0.25, Urgency.URGENT: 0.1, Urgency.EMERGENCY: 0.05}
    >>> care_level(np.array([0.9, 0.3]), [Urgency.SELF_CARE, Urgency.SOON], t)
    <Urgency.SOON: 2>
    """
    levels = np.asarray([int(c) for c in care])
    result = Urgency.SELF_CARE
    for level in sorted(thresholds):
        if float(posterior[levels >= int(level)].sum()) >= thresholds[level]:
            result = level
    return result


def assess_urgency(evidence: Evidence, model: Model, posterior_batch: PosteriorBatch) -> UrgencyAssessment:
    """Apply the rule of the module docstring to validated ``evidence``."""
    red = model.red_flags
    present = [f for f, v in evidence.values.items() if v and f in red]
    f_index = {f: i for i, f in enumerate(model.findings)}
    base = evidence.finding_state.copy()
    for f in red:
        base[f_index[f]] = -1
    m = model.triage.red_flag_combination_size
    subsets = [s for k in range(min(m, len(present)) + 1) for s in itertools.combinations(present, k)]
    rows = np.repeat(base[None, :], len(subsets), axis=0)
    for row, subset in zip(rows, subsets, strict=True):
        for f in subset:
            row[f_index[f]] = 1
    rfs = np.repeat(evidence.rf_state[None, :], len(subsets), axis=0)
    posts = posterior_batch(rows, rfs)
    care = [model.cause_specs[c].care_level for c in model.causes]
    levels = [care_level(p, care, model.triage.thresholds) for p in posts]
    best = int(np.argmax([int(lv) for lv in levels]))
    posterior_level = levels[best]
    floors = {f: red[f] for f in present}
    urgency = max([posterior_level, *floors.values()])

    reasons = [
        UrgencyReason("red_flag", f, floor, None, floor == urgency)
        for f, floor in sorted(floors.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    ]
    if posterior_level > Urgency.SELF_CARE:
        # the most probable causes at or above the level, until their mass reaches the threshold
        deciding = posts[best]
        needed, mass = model.triage.thresholds[posterior_level], 0.0
        for i in np.argsort(-deciding, kind="stable"):
            level = care[int(i)]
            if level < posterior_level:
                continue
            reasons.append(
                UrgencyReason(
                    "cause",
                    model.causes[int(i)],
                    level,
                    float(deciding[i]),
                    posterior_level == urgency,
                )
            )
            mass += float(deciding[i])
            if mass >= needed:
                break
    return UrgencyAssessment(urgency, tuple(reasons), floors, posterior_level)
