"""The urgency policy: red flags never lower urgency, for every evidence set (property tests)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toeprob
from toeprob import Model, Urgency, rank_causes
from toeprob.reasoning.urgency_rule import care_level

DEFAULT = toeprob.load_model()
IDS = [*DEFAULT.findings, *DEFAULT.risk_factors]
RED = sorted(DEFAULT.red_flags)

evidence_sets = st.dictionaries(
    st.sampled_from(IDS), st.sampled_from([True, False, None, "yes", "no"]), max_size=12
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(evidence=evidence_sets, flag=st.sampled_from(RED))
def test_adding_a_red_flag_never_lowers_urgency(evidence: dict[str, Any], flag: str) -> None:
    # the flag may be unknown or denied before it is reported present
    if evidence.get(flag) in (True, "yes"):
        evidence = {k: v for k, v in evidence.items() if k != flag}
    before = rank_causes(evidence).urgency
    after = rank_causes({**evidence, flag: True}).urgency
    assert after >= max(before, DEFAULT.red_flags[flag])


@SETTINGS
@given(evidence=evidence_sets, flag=st.sampled_from(RED))
def test_denying_a_red_flag_never_raises_urgency_above_silence(evidence: dict[str, Any], flag: str) -> None:
    silent = {k: v for k, v in evidence.items() if k != flag}
    assert rank_causes({**silent, flag: False}).urgency <= rank_causes(silent).urgency


@SETTINGS
@given(evidence=evidence_sets, data=st.data())
def test_evidence_order_does_not_matter(evidence: dict[str, Any], data: st.DataObject) -> None:
    items = list(evidence.items())
    shuffled = dict(data.draw(st.permutations(items)))
    a, b = rank_causes(evidence), rank_causes(shuffled)
    assert a.ranked == b.ranked and a.urgency == b.urgency


@SETTINGS
@given(evidence=evidence_sets)
def test_posteriors_are_probabilities_and_sorted(evidence: dict[str, Any]) -> None:
    d = rank_causes(evidence)
    probs = np.array([rc.probability for rc in d.ranked])
    assert np.all((probs >= 0) & (probs <= 1))
    assert np.all(np.diff(np.round(probs, 9)) <= 0)  # equal to 9 decimals counts as a tie
    assert d.urgency >= max((rf.floor for rf in d.red_flags), default=Urgency.SELF_CARE)


@SETTINGS
@given(evidence=evidence_sets, unknown=st.lists(st.sampled_from(IDS), max_size=5))
def test_unknown_equals_not_given(evidence: dict[str, Any], unknown: list[str]) -> None:
    extra = {k: None for k in unknown if k not in evidence}
    a, b = rank_causes(evidence), rank_causes({**evidence, **extra})
    assert a.ranked == b.ranked and a.urgency == b.urgency


def test_urgency_reasons_name_the_deciding_red_flag() -> None:
    d = rank_causes({"foot_drop": True, "numbness": True})
    flags = {r.identifier: r for r in d.urgency_reasons if r.kind == "red_flag"}
    assert flags["foot_drop"].level is Urgency.URGENT and flags["numbness"].level is Urgency.ROUTINE
    assert d.urgency >= Urgency.URGENT
    assert flags["foot_drop"].sets_level == (d.urgency == Urgency.URGENT)


def test_urgency_reasons_name_likely_causes() -> None:
    d = rank_causes({"cramp_on_walking": True, "smoker": True, "age_over_60": True, "cramp": True})
    causes = [r for r in d.urgency_reasons if r.kind == "cause"]
    assert causes, d.urgency_reasons
    assert all(r.level >= Urgency.ROUTINE and r.probability is not None for r in causes)


def test_unreported_warning_signs_are_listed_as_assumed_absent(model: Model) -> None:
    from toeprob.knowledge.evidence import parse_evidence
    from toeprob.reasoning.urgency_rule import assess_urgency

    reasoner = toeprob.Reasoner.for_model(model)
    ev = parse_evidence({"cramp": True}, model)
    a = assess_urgency(ev, reasoner.urgency_policy, reasoner.engine.posterior_batch)
    assert "foot_drop" in a.assumed_absent and "sudden_cold_pale_foot" in a.assumed_absent
    # course flags are weighed both ways, never assumed absent; reported ones are not listed
    assert not set(a.assumed_absent) & set(model.triage.unknown_when_unreported)
    ev = parse_evidence({"cramp": True, "foot_drop": False}, model)
    assessment = assess_urgency(ev, reasoner.urgency_policy, reasoner.engine.posterior_batch)
    assert "foot_drop" not in assessment.assumed_absent


def _worlds_by_definition(policy: Any, reported: np.ndarray) -> set[bytes]:
    """W(E) = {w in C : w <= r_E}, enumerated from the definition (order absent < unknown < present)."""
    rank = {0: 0, -1: 1, 1: 2}
    out = set()
    for w in itertools.product((0, -1, 1), repeat=len(reported)):
        arr = np.array(w, dtype=np.int8)
        above = any(rank[a] > rank[int(r)] for a, r in zip(w, reported, strict=True))
        if (arr == 1).sum() > policy.m or above:
            continue
        in_a = bool(np.all(arr != -1))
        in_u = bool(np.all(np.where(policy.course, arr != 0, arr != -1)))
        if in_a or in_u:
            out.add(arr.tobytes())
    return out


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_worlds_are_the_definition(data: st.DataObject) -> None:
    from toeprob.reasoning.urgency_rule import UrgencyPolicy

    policy = UrgencyPolicy(DEFAULT)
    k = 7  # a sub-vector of the red flags keeps the brute force small
    chosen = data.draw(st.lists(st.integers(0, len(RED) - 1), min_size=k, max_size=k, unique=True))
    policy.course = policy.course[chosen]
    policy.world_a, policy.world_u = policy.world_a[chosen], policy.world_u[chosen]
    reported = np.array(data.draw(st.lists(st.sampled_from([0, -1, 1]), min_size=k, max_size=k)), np.int8)
    got = [w.tobytes() for w in policy.worlds(reported)]
    assert len(got) == len(set(got))
    assert set(got) == _worlds_by_definition(policy, reported)


def test_care_level_thresholds() -> None:
    t = {Urgency.ROUTINE: 0.3, Urgency.SOON: 0.2, Urgency.URGENT: 0.1, Urgency.EMERGENCY: 0.05}
    care = [Urgency.SELF_CARE, Urgency.ROUTINE, Urgency.SOON, Urgency.EMERGENCY]
    assert care_level(np.array([0.9, 0.1, 0.0, 0.0]), care, t) is Urgency.SELF_CARE
    assert care_level(np.array([0.9, 0.3, 0.0, 0.0]), care, t) is Urgency.ROUTINE
    # single causes count, not their sum: two soon causes at 0.15 stay below the soon threshold
    assert care_level(np.array([0.0, 0.0, 0.15, 0.0]), care, t) is Urgency.SELF_CARE
    assert care_level(np.array([0.0, 0.0, 0.2, 0.0]), care, t) is Urgency.SOON
    # a serious cause reaches lower levels too: P = 0.06 for an emergency cause
    assert care_level(np.array([0.9, 0.0, 0.0, 0.06]), care, t) is Urgency.EMERGENCY
    assert care_level(np.array([0.0, 0.0, 0.0, 0.04]), care, t) is Urgency.SELF_CARE


def _random_cases(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Finding and risk-factor states with 0 to 5 red flags present, some rows repeated."""
    fs = np.where(
        rng.random((n, len(DEFAULT.findings))) < 0.3, rng.integers(0, 2, (n, len(DEFAULT.findings))), -1
    )
    rs = np.where(
        rng.random((n, len(DEFAULT.risk_factors))) < 0.2,
        rng.integers(0, 2, (n, len(DEFAULT.risk_factors))),
        -1,
    )
    red = np.array([DEFAULT.findings.index(f) for f in RED])
    for k in range(n):
        fs[k, red] = np.where(rng.random(len(red)) < 0.5, -1, 0)
        fs[k, rng.choice(red, size=int(rng.integers(0, 6)), replace=False)] = 1
    repeat = rng.integers(0, n, n // 4)
    fs[: len(repeat)], rs[: len(repeat)] = fs[repeat], rs[repeat]
    return fs.astype(np.int8), rs.astype(np.int8)


def test_batch_worlds_are_each_cases_worlds() -> None:
    from toeprob.reasoning.urgency_rule import UrgencyPolicy

    policy = UrgencyPolicy(DEFAULT)
    fs, rs = _random_cases(np.random.default_rng(1), 60)
    rows, rfs, owner = policy.candidate_rows(fs, rs)
    needed = policy.floors(fs) < policy.top_care
    assert set(owner.tolist()) == set(np.flatnonzero(needed).tolist())
    others = np.ones(fs.shape[1], dtype=bool)
    others[policy.red_columns] = False
    for case in range(len(fs)):
        mine = owner == case
        assert np.array_equal(rows[mine][:, others], np.repeat(fs[case : case + 1, others], mine.sum(), 0))
        assert (rfs[mine] == rs[case]).all()
        got = {w.tobytes() for w in rows[mine][:, policy.red_columns]}
        want = {w.tobytes() for w in policy.worlds(fs[case, policy.red_columns])} if needed[case] else set()
        assert got == want


def test_batch_posteriors_and_urgencies_equal_single_calls() -> None:
    from toeprob.reasoning.reasoner import Reasoner
    from toeprob.reasoning.urgency_rule import posteriors_and_urgencies

    reasoner = Reasoner.for_model(DEFAULT)
    engine = reasoner.engine
    fs, rs = _random_cases(np.random.default_rng(2), 40)
    posts, urgencies = posteriors_and_urgencies(fs, rs, reasoner.urgency_policy, engine.posterior_batch)
    for k in range(len(fs)):
        evidence = {DEFAULT.findings[j]: bool(fs[k, j]) for j in np.flatnonzero(fs[k] >= 0)}
        evidence |= {DEFAULT.risk_factors[j]: bool(rs[k, j]) for j in np.flatnonzero(rs[k] >= 0)}
        d = rank_causes(evidence)
        assert np.array_equal(posts[k], engine.posterior(fs[k], rs[k]))  # bitwise
        assert urgencies[k] == int(d.urgency)
