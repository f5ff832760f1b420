"""Variable elimination (the stable path): calibrated and clamped variants, hub expansion, vs the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brute_force import enumerate_posterior, random_network, random_states
from toeprob.inference.synthetic import sample_evidence


@pytest.mark.parametrize("seed", range(6))
def test_calibrated_elimination_matches_clamped_variants(seed, monkeypatch):
    import toeprob.inference.junction_tree
    from toeprob.inference.elimination import eliminate

    rng = np.random.default_rng(100 + seed)
    cm = random_network(rng, 6, 9, 5)
    fss, rss = random_states(rng, 8, 9), random_states(rng, 8, 5)
    fss[0] = 1
    orders: dict[bytes, tuple[list[int], int]] = {}
    calibrated = [eliminate(cm, f, r, orders) for f, r in zip(fss, rss, strict=True)]
    again = [eliminate(cm, f, r, orders) for f, r in zip(fss, rss, strict=True)]  # cached orders
    uncached = [eliminate(cm, f, r) for f, r in zip(fss, rss, strict=True)]
    for (p1, l1), (p2, l2), (p3, l3) in zip(calibrated, again, uncached, strict=True):
        assert np.array_equal(p1, p2) and np.array_equal(p1, p3) and l1 == l2 == l3
    monkeypatch.setattr(toeprob.inference.junction_tree, "MAX_STORED", 0)  # forces the clamped-variant method
    for (post, log_ev), f, r in zip(calibrated, fss, rss, strict=True):
        post2, log_ev2 = eliminate(cm, f, r)
        want, log_want = enumerate_posterior(cm, f, r)
        assert np.abs(post - post2).max() <= 1e-12 and np.abs(post - want).max() <= 1e-12
        assert abs(log_ev - log_ev2) <= 1e-10 and abs(log_ev - log_want) <= 1e-10


@pytest.mark.parametrize("seed", range(8))
def test_hub_expansion_matches_enumeration(seed, monkeypatch):
    import toeprob.inference.elimination as elimination

    # on these small networks every present finding with 2+ parents counts as a hub
    monkeypatch.setattr(elimination, "HUB_PARENTS", 2)
    monkeypatch.setattr(elimination, "MAX_HUBS", 3)
    rng = np.random.default_rng(300 + seed)
    cm = random_network(rng, 6, 9, 4)
    fss, rss = random_states(rng, 10, 9), random_states(rng, 10, 4)
    fss[0] = 1
    expanded = 0
    for f, r in zip(fss, rss, strict=True):
        key = np.zeros(1, dtype=bool).tobytes()
        expanded += elimination._expanded(cm, f, r, key, None) is not None
        post, log_ev = elimination.eliminate(cm, f, r)
        want, log_want = enumerate_posterior(cm, f, r)
        assert np.abs(post - want).max() <= 1e-11
        assert abs(log_ev - log_want) <= 1e-10
    assert expanded >= 3  # the expansion was used, not only its fallback


def test_hub_expansion_falls_back_when_it_cancels(monkeypatch):
    import toeprob.inference.elimination as elimination

    monkeypatch.setattr(elimination, "HUB_PARENTS", 2)
    rng = np.random.default_rng(7)
    cm = random_network(rng, 5, 8, 3)
    f = np.ones(8, dtype=np.int8)
    r = np.full(3, -1, dtype=np.int8)
    key = np.zeros(1, dtype=bool).tobytes()
    assert elimination._expanded(cm, f, r, key, None) is not None
    monkeypatch.setattr(elimination, "HUB_LIMIT", 1.0)  # any cancellation is refused
    assert elimination._expanded(cm, f, r, key, None) is None
    post, log_ev = elimination.eliminate(cm, f, r)
    want, log_want = enumerate_posterior(cm, f, r)
    assert np.abs(post - want).max() <= 1e-12 and abs(log_ev - log_want) <= 1e-10


def test_fallback_rows_of_the_default_model_agree_with_and_without_hubs(default_engine):
    from toeprob.inference.elimination import eliminate

    cm = default_engine.compiled
    fss, rss = sample_evidence(cm, 400, seed=21)
    many = np.flatnonzero(((fss == 1) & (cm.finding_parent_count >= 2)).sum(axis=1) >= 10)[:4]
    assert len(many) >= 2
    for k in many:
        with_hubs, log_hubs = eliminate(cm, fss[k], rss[k])
        plain, log_plain = eliminate(cm, fss[k], rss[k], hubs=False)
        assert np.abs(with_hubs - plain).max() <= 1e-11 and abs(log_hubs - log_plain) <= 1e-10


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_cause_factors_multiply_to_the_joint_of_the_folded_evidence(seed):
    """Without present findings of two or more parents, the evidence folds entirely into the cause
    factors: their product with the free risk factors' priors, summed by brute force over every
    state, is ``P(e)`` (enumeration), and its marginals are the posteriors. Causes with 0, 1 or
    several free parents are computed in groups; each row as alone."""
    import itertools

    from toeprob.inference.elimination import cause_factors

    rng = np.random.default_rng(seed)
    n_c, n_r = int(rng.integers(1, 6)), int(rng.integers(0, 6))
    cm = random_network(rng, n_c, int(rng.integers(1, 7)), n_r)
    fss = random_states(rng, 3, len(cm.findings))
    fss[:, cm.finding_parent_count >= 2] = np.where(fss[:, cm.finding_parent_count >= 2] == 1, 0, -1)
    rss = np.repeat(random_states(rng, 1, n_r), 3, axis=0)
    free = [int(r) for r in cm.shared_rf if rss[0, r] < 0]
    factors, log_const = cause_factors(cm, fss, rss, free)
    assert [vs[0] for vs, _ in factors] == list(range(n_c))
    n_vars = n_c + len(free)
    for k in range(3):
        alone, log_alone = cause_factors(cm, fss[k : k + 1], rss[k : k + 1], free)
        assert log_alone[0] == log_const[k]
        assert all(np.array_equal(a[1][0], b[1][k]) for a, b in zip(alone, factors, strict=True))
        total, marginal = 0.0, np.zeros(n_c)
        for states in itertools.product((0, 1), repeat=n_vars):
            weight = np.prod([table[(k, *(states[v] for v in vs))] for vs, table in factors])
            for j, r in enumerate(free):
                weight *= cm.rf_prevalence[r] if states[n_c + j] else 1.0 - cm.rf_prevalence[r]
            total += weight
            marginal += weight * np.array(states[:n_c])
        want, log_want = enumerate_posterior(cm, fss[k], rss[k])
        assert abs(np.log(total) + log_const[k] - log_want) <= 1e-10
        assert np.abs(marginal / total - want).max() <= 1e-12
