"""Urgency worlds left in float64 with an error bound: the same care levels as the exact pass.

:func:`~toeprob.reasoning.urgency_rule.evidence_and_urgencies` asks the engine to skip the
extended-precision recomputation of the worlds whose inclusion-exclusion cancels, and recomputes
only those whose interval ``value +- error`` holds a threshold. These tests compare it with the
always-recompute path (:func:`posteriors_and_urgencies` with ``posterior_batch`` alone), with the
model's thresholds and with thresholds moved onto those worlds' posteriors.
"""

from __future__ import annotations

import numpy as np
import pytest

from toeprob import Urgency, datasets
from toeprob.inference.exact import SETTLE_ERROR
from toeprob.reasoning.reasoner import Reasoner
from toeprob.reasoning.urgency_rule import (
    UrgencyPolicy,
    evidence_and_urgencies,
    posteriors_and_urgencies,
)


@pytest.fixture(scope="module")
def reasoner() -> Reasoner:
    return Reasoner.for_model()


@pytest.fixture(scope="module")
def cases(reasoner: Reasoner) -> tuple[np.ndarray, np.ndarray]:
    """The shipped case sets as state arrays."""
    evs = [reasoner.parse(dict(c.evidence)) for name in ("team", "blind") for c in datasets.load_cases(name)]
    return np.stack([e.finding_state for e in evs]), np.stack([e.rf_state for e in evs])


@pytest.fixture(scope="module")
def loose(reasoner: Reasoner, cases: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """The worlds of the case sets that the engine leaves in float64, with their exact posteriors."""
    fs, rs = cases
    rows, rfs, owner = reasoner.urgency_policy.candidate_rows(fs, rs)
    engine = reasoner.engine
    post, log_ev, error = engine.posterior_evidence_batch(rows, rfs, approximate=np.ones(len(rows), bool))
    k = np.flatnonzero(error > 0)
    assert len(k) >= 5, "the case sets have worlds that cancel beyond the float64 limit"
    assert np.isnan(log_ev[k]).all() and np.isfinite(log_ev[error == 0]).all()
    return {
        "rows": rows[k],
        "rfs": rfs[k],
        "owner": owner[k],
        "post": post[k],
        "error": error[k],
        "exact": engine.posterior_batch(rows[k], rfs[k]),
    }


def test_error_bound_holds_with_a_wide_margin(loose: dict[str, np.ndarray]) -> None:
    # measured: about 1e-4 of the bound (the float64 error is about eps * ratio)
    diff = np.abs(loose["post"] - loose["exact"]).max(axis=1)
    assert (diff <= loose["error"] / 100).all()
    assert (loose["error"] <= SETTLE_ERROR * 5e7).all()


def test_same_results_as_the_exact_pass(reasoner: Reasoner, cases: tuple[np.ndarray, np.ndarray]) -> None:
    fs, rs = cases
    engine, policy = reasoner.engine, reasoner.urgency_policy
    want_post, want_urgency = posteriors_and_urgencies(fs, rs, policy, engine.posterior_batch)
    post, log_ev, urgency = evidence_and_urgencies(
        fs, rs, policy, engine.posterior_batch, engine.posterior_evidence_batch
    )
    assert np.array_equal(post, want_post)  # bitwise
    assert np.array_equal(urgency, want_urgency)
    assert np.array_equal(log_ev, engine.log_evidence_batch(fs, rs))


def _moved(policy: UrgencyPolicy, level: Urgency, value: float) -> UrgencyPolicy:
    moved = UrgencyPolicy(policy.model)
    moved.thresholds = {**policy.thresholds, level: value}
    return moved


def test_thresholds_near_float64_worlds_are_recomputed(
    reasoner: Reasoner, cases: tuple[np.ndarray, np.ndarray]
) -> None:
    """Thresholds placed on a loose world's exact posterior, just above and just below it, and
    half its error away: every urgency equals the always-recompute path's, and the rows whose
    interval holds the threshold are recomputed exactly."""
    fs, rs = cases
    engine, policy = reasoner.engine, reasoner.urgency_policy
    rows, rfs, owner = policy.candidate_rows(fs, rs)
    _, _, error = engine.posterior_evidence_batch(rows, rfs, approximate=np.ones(len(rows), bool))
    exact = engine.posterior_batch(rows, rfs)
    recomputed: list[int] = []

    def counting(f: np.ndarray, r: np.ndarray, *, groups: np.ndarray | None = None) -> np.ndarray:
        recomputed.append(len(f))
        return engine.posterior_batch(f, r, groups=groups)

    checked = 0
    for k in np.flatnonzero(error > 0)[:4].tolist():
        case = int(owner[k])
        serious = np.flatnonzero(policy.care >= int(Urgency.SOON))
        cause = int(serious[np.argmax(exact[k, serious])])
        level = Urgency(int(policy.care[cause]))
        p = float(exact[k, cause])
        for threshold in (p, np.nextafter(p, 2.0), p - error[k] / 2, p + error[k] / 2):
            moved = _moved(policy, level, float(threshold))
            one_f, one_r = fs[case : case + 1], rs[case : case + 1]
            _, want = posteriors_and_urgencies(one_f, one_r, moved, engine.posterior_batch)
            recomputed.clear()
            _, _, got = evidence_and_urgencies(one_f, one_r, moved, counting, engine.posterior_evidence_batch)
            assert got[0] == want[0], (case, level, threshold)
            assert sum(recomputed) >= 1  # the threshold is within this world's error: recomputed
            checked += 1
    assert checked >= 8
    # and far from every threshold, nothing is recomputed
    recomputed.clear()
    evidence_and_urgencies(fs, rs, policy, counting, engine.posterior_evidence_batch)
    assert recomputed == []


def test_recomputed_levels_match_exact_rows(reasoner: Reasoner, loose: dict[str, np.ndarray]) -> None:
    """Per row: the settled level equals the level of the exact posterior for thresholds swept
    across every loose world's interval."""
    from toeprob.reasoning.urgency_rule import _care_levels, _settled_levels

    engine, policy = reasoner.engine, reasoner.urgency_policy
    n = len(loose["rows"])
    labels = np.arange(n)
    for offset in np.linspace(-1.5, 1.5, 7):
        for level in (Urgency.SOON, Urgency.URGENT):
            for k in range(n):
                column = policy.care >= int(level)
                value = float(loose["exact"][k, column].max() + offset * loose["error"][k])
                moved = _moved(policy, level, value)
                posts, error = loose["post"].copy(), loose["error"].copy()
                got = _settled_levels(
                    posts, error, loose["rows"], loose["rfs"], labels, moved, engine.posterior_batch
                )
                want = _care_levels(loose["exact"], moved.care, moved.thresholds)
                assert np.array_equal(got, want), (offset, level, k)
                # recomputed rows are the exact ones, bit for bit
                assert np.array_equal(posts[error == 0], loose["exact"][error == 0])


def test_single_case_reasons_from_the_exact_deciding_world(
    reasoner: Reasoner, cases: tuple[np.ndarray, np.ndarray]
) -> None:
    """rank_causes' path: the same posterior, urgency and reasons (with their probabilities) as the
    always-recompute path, also when the deciding world was left in float64 (thresholds moved
    below its posteriors so that it decides) and must be recomputed for the reasons."""
    from toeprob.knowledge.evidence import Evidence
    from toeprob.reasoning.urgency_rule import posterior_and_urgency

    fs, rs = cases
    engine, policy = reasoner.engine, reasoner.urgency_policy
    rows, rfs, owner = policy.candidate_rows(fs, rs)
    post, _, error = engine.posterior_evidence_batch(rows, rfs, approximate=np.ones(len(rows), bool))
    calls: list[int] = []

    def counting(f: np.ndarray, r: np.ndarray, *, groups: np.ndarray | None = None) -> np.ndarray:
        calls.append(len(f))
        return engine.posterior_batch(f, r, groups=groups)

    policies = [policy]
    for k in np.flatnonzero(error > 0)[:4].tolist():
        # the world's largest posterior among causes of the highest care level decides that level
        level = Urgency(int(policy.care.max()))
        top = float(post[k, policy.care >= int(level)].max())
        policies.append(_moved(policy, level, top - 100 * error[k]))
    for moved in policies:
        for case in sorted(set(owner[error > 0].tolist())):
            ev = Evidence({}, fs[case], rs[case])
            want_post, want = posterior_and_urgency(ev, moved, engine.posterior_batch)
            got_post, got = posterior_and_urgency(ev, moved, counting, engine.posterior_evidence_batch)
            assert np.array_equal(got_post, want_post)
            assert got == want
    assert 1 in calls  # a deciding world left in float64 was recomputed for its reasons
