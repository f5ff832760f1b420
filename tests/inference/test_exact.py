"""The exact engine (ExactEngine) against the brute-force oracle, pgmpy and its own invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brute_force import BruteForceEngine, enumerate_posterior, random_network, random_states
from toeprob.errors import EvidenceError, ImpossibleEvidenceError
from toeprob.inference.compiled import CompiledModel, compile_arrays, compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.synthetic import sample_evidence, synthetic_model


@pytest.mark.parametrize("seed", range(40))
def test_matches_enumeration_on_tiny_networks(seed):
    rng = np.random.default_rng(seed)
    cm = random_network(rng, int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(0, 7)))
    eng = ExactEngine(cm)
    fss, rss = random_states(rng, 6, len(cm.findings)), random_states(rng, 6, len(cm.risk_factors))
    fss[0] = 1  # every finding present
    for fs, rs in zip(fss, rss, strict=True):
        want, log_want = enumerate_posterior(cm, fs, rs)
        assert np.abs(eng.posterior(fs, rs) - want).max() <= 1e-12
        assert abs(eng.log_evidence(fs, rs) - log_want) <= 1e-10


def test_tiny_model_matches_brute_force_oracle(tiny):
    eng, oracle = ExactEngine(compile_model(tiny)), BruteForceEngine(tiny)
    states = itertools.product([-1, 0, 1], repeat=len(tiny.findings))
    for k, fs in enumerate(states):
        fs = np.array(fs, dtype=np.int8)
        rs = np.array([(k % 3) - 1, ((k // 3) % 3) - 1, -1], dtype=np.int8)
        assert np.abs(eng.posterior(fs, rs) - oracle.posterior(fs, rs)).max() <= 1e-12


def test_fallback_agrees_with_enumeration():
    rng = np.random.default_rng(5)
    cm = random_network(rng, 5, 8, 4)
    fast, stable = ExactEngine(cm), ExactEngine(cm, max_present=0)
    fss, rss = random_states(rng, 30, 8), random_states(rng, 30, 4)
    for fs, rs in zip(fss, rss, strict=True):
        want, log_want = enumerate_posterior(cm, fs, rs)
        assert np.abs(stable.posterior(fs, rs) - want).max() <= 1e-12
        assert abs(stable.log_evidence(fs, rs) - log_want) <= 1e-10
        # Quickscore accepts up to CANCELLATION_LIMIT (1e5) of cancellation: error below ~1e-10
        assert np.abs(fast.posterior(fs, rs) - want).max() <= 1e-10


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default", "synthetic20"])
def test_matches_pgmpy(model, name):
    from toeprob.inference.pgmpy_bridge import PgmpyEngine

    net = model if name == "default" else synthetic_model(20, seed=3)
    cm = compile_model(net)
    fss, rss = sample_evidence(cm, 24, seed=11, reveal_present=0.4)
    eng, ref = ExactEngine(cm), PgmpyEngine(net)
    got = eng.posterior_batch(fss, rss)
    for k in range(len(fss)):
        assert np.abs(got[k] - ref.posterior(fss[k], rss[k])).max() <= 1e-9


def test_batch_is_bitwise_equal_to_single(default_engine):
    cm = default_engine.compiled
    fss, rss = sample_evidence(cm, 120, seed=2, reveal_present=0.5)
    rng = np.random.default_rng(0)
    fss[:20] = random_states(rng, 20, len(cm.findings)) * (rng.random((20, len(cm.findings))) < 0.2)
    single = np.array([default_engine.posterior(f, r) for f, r in zip(fss, rss, strict=True)])
    for chunk in (1, 7, 2048):
        assert np.array_equal(default_engine.posterior_batch(fss, rss, chunk_size=chunk), single)
    perm = rng.permutation(len(fss))
    assert np.array_equal(default_engine.posterior_batch(fss[perm], rss[perm]), single[perm])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_invariants(data):
    seed = data.draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    cm = random_network(rng, 4, 6, 3)
    fs = np.array(data.draw(st.lists(st.integers(-1, 1), min_size=6, max_size=6)), dtype=np.int8)
    rs = np.array(data.draw(st.lists(st.integers(-1, 1), min_size=3, max_size=3)), dtype=np.int8)
    post = ExactEngine(cm).posterior(fs, rs)
    assert np.all((post >= 0) & (post <= 1))
    # the order of the model's findings (hence of the evidence) does not matter
    order = rng.permutation(6)
    cm2 = _with_findings(cm, order)
    assert np.abs(ExactEngine(cm2).posterior(fs[order], rs) - post).max() <= 1e-12
    # an unknown finding is the same as a finding that is not in the model at all
    keep = np.flatnonzero(fs >= 0)
    cm3 = _with_findings(cm, keep)
    assert np.abs(ExactEngine(cm3).posterior(fs[keep], rs) - post).max() <= 1e-12


def _with_findings(cm, index):
    """The same network with only the findings ``index``, in that order."""
    return compile_arrays(
        cm.causes,
        [cm.findings[j] for j in index],
        cm.risk_factors,
        cm.rf_prevalence,
        cm.cause_leak,
        cm.rf_weight,
        cm.finding_leak[index],
        cm.finding_weight[index],
    )


@pytest.mark.slow
def test_all_red_flags_present(model, default_engine):
    from toeprob.inference.pgmpy_bridge import PgmpyEngine

    fs = np.full(len(model.findings), -1, dtype=np.int8)
    fs[[model.findings.index(f) for f in model.red_flags]] = 1
    rs = np.full(len(model.risk_factors), -1, dtype=np.int8)
    post = default_engine.posterior(fs, rs)
    assert default_engine.uses_fallback(fs, rs)
    assert np.abs(post - PgmpyEngine(model).posterior(fs, rs)).max() <= 1e-9


@pytest.mark.slow
def test_improbable_evidence_uses_fallback_and_agrees(model, default_engine):
    from toeprob.inference.pgmpy_bridge import PgmpyEngine

    cm = default_engine.compiled
    order = np.argsort(cm.finding_leak)  # the rarest findings, all present
    fs = np.full(len(cm.findings), -1, dtype=np.int8)
    fs[order[:8]] = 1
    rs = np.zeros(len(cm.risk_factors), dtype=np.int8)
    assert default_engine.log_evidence(fs, rs) < np.log(1e-12)
    assert default_engine.uses_fallback(fs, rs)
    post = default_engine.posterior(fs, rs)
    assert np.abs(post - PgmpyEngine(model).posterior(fs, rs)).max() <= 1e-9


@pytest.mark.slow
def test_all_findings_present_on_synthetic_model():
    net = synthetic_model(10, seed=4)
    cm = compile_model(net)
    eng = ExactEngine(cm)
    fs, rs = np.ones(len(cm.findings), np.int8), np.full(len(cm.risk_factors), -1, np.int8)
    assert eng.uses_fallback(fs, rs)
    from toeprob.inference.pgmpy_bridge import PgmpyEngine

    assert np.abs(eng.posterior(fs, rs) - PgmpyEngine(net).posterior(fs, rs)).max() <= 1e-9


def impossible_network() -> CompiledModel:
    # the finding has no leak and its only cause has no leak and a single risk factor
    return compile_arrays(["c"], ["f"], ["r"], [0.3], [0.0], [[0.5]], [0.0], [[0.9]])


def test_impossible_evidence_raises():
    eng = ExactEngine(impossible_network())
    fs, rs = np.array([1], np.int8), np.array([0], np.int8)
    for call in (eng.posterior, eng.log_evidence):
        with pytest.raises(ImpossibleEvidenceError, match="probability zero"):
            call(fs, rs)
    with pytest.raises(ImpossibleEvidenceError, match="row 1"):
        eng.posterior_batch(np.array([[1], [1]], np.int8), np.array([[1], [0]], np.int8))
    assert np.all(np.isfinite(eng.posterior(fs, np.array([1], np.int8))))


def test_bad_states_raise(default_engine):
    cm = default_engine.compiled
    fs, rs = np.full(len(cm.findings), -1, np.int8), np.full(len(cm.risk_factors), -1, np.int8)
    with pytest.raises(EvidenceError, match="shape"):
        default_engine.posterior(fs[:-1], rs)
    with pytest.raises(EvidenceError, match="-1 .unknown"):
        default_engine.posterior(fs + 3, rs)
    with pytest.raises(EvidenceError, match="same number of rows"):
        default_engine.posterior_batch(fs[None], np.vstack([rs, rs]))
    with pytest.raises(ValueError, match="chunk_size"):
        default_engine.posterior_batch(fs[None], rs[None], chunk_size=0)


def test_log_evidence_batch_is_bitwise_equal_to_single(default_engine):
    cm = default_engine.compiled
    fss, rss = sample_evidence(cm, 60, seed=4, reveal_present=0.6)
    single = np.array([default_engine.log_evidence(f, r) for f, r in zip(fss, rss, strict=True)])
    for chunk in (1, 2048):
        assert np.array_equal(default_engine.log_evidence_batch(fss, rss, chunk_size=chunk), single)
    with pytest.raises(ValueError, match="chunk_size"):
        default_engine.log_evidence_batch(fss, rss, chunk_size=0)


def test_posterior_evidence_batch_is_posterior_and_log_evidence(default_engine):
    cm = default_engine.compiled
    fss, rss = sample_evidence(cm, 80, seed=5, reveal_present=0.6)
    groups = np.arange(80) // 4
    post, log_ev, error = default_engine.posterior_evidence_batch(fss, rss, groups=groups)
    assert np.array_equal(post, default_engine.posterior_batch(fss, rss, groups=groups))
    assert np.array_equal(log_ev, default_engine.log_evidence_batch(fss, rss))
    assert not error.any()
    # rows marked approximate: exact (error 0) unless they cancel; then within their error
    loose = np.random.default_rng(0).random(80) < 0.5
    post2, log_ev2, error2 = default_engine.posterior_evidence_batch(
        fss, rss, groups=groups, approximate=loose
    )
    assert not error2[~loose].any()
    same = error2 == 0
    assert np.array_equal(post2[same], post[same]) and np.array_equal(log_ev2[same], log_ev[same])
    assert (np.abs(post2 - post).max(axis=1) <= error2).all()
    assert np.isnan(log_ev2[~same]).all()


def test_posterior_evidence_batch_raises(default_engine):
    cm = default_engine.compiled
    fs = np.full((2, len(cm.findings)), -1, np.int8)
    rs = np.full((2, len(cm.risk_factors)), -1, np.int8)
    with pytest.raises(ValueError, match="'approximate' parameter"):
        default_engine.posterior_evidence_batch(fs, rs, approximate=[1, 0])
    with pytest.raises(ValueError, match="'groups' parameter"):
        default_engine.posterior_evidence_batch(fs, rs, groups=[0.5, 1.0])
    with pytest.raises(ImpossibleEvidenceError, match="row 0"):
        impossible = ExactEngine(impossible_network())
        f = np.ones((2, len(impossible.compiled.findings)), np.int8)
        r = np.zeros((2, len(impossible.compiled.risk_factors)), np.int8)
        impossible.posterior_evidence_batch(f, r, approximate=np.ones(2, bool))


def test_identical_rows_of_different_families(default_engine):
    """Rows shared by several families go through Quickscore once; each family's result is that
    of the family alone, heavy rows (eliminated on the family's union) included."""
    cm = default_engine.compiled
    fss, rss = sample_evidence(cm, 24, seed=7, reveal_present=0.9)
    multi = ((fss == 1) & (cm.finding_parent_count >= 2)).sum(axis=1)
    assert (multi > default_engine.max_present).any()  # some rows are eliminated
    rng = np.random.default_rng(3)
    families = [rng.choice(24, size=6, replace=False) for _ in range(8)]  # overlapping families
    rows = np.concatenate(families)
    labels = np.repeat(np.arange(8), 6)
    loose = rng.random(len(rows)) < 0.7
    post, log_ev, error = default_engine.posterior_evidence_batch(
        fss[rows], rss[rows], groups=labels, approximate=loose
    )
    for k, members in enumerate(families):
        at = labels == k
        alone = default_engine.posterior_evidence_batch(
            fss[members], rss[members], groups=np.zeros(6, int), approximate=loose[at]
        )
        exact = (error[at] == 0) & (alone[2] == 0)
        assert np.array_equal(post[at][exact], alone[0][exact])
        assert np.array_equal(log_ev[at][exact], alone[1][exact])
        assert (np.abs(post[at] - alone[0]).max(axis=1) <= np.maximum(error[at], alone[2])).all()
    assert np.array_equal(
        default_engine.posterior_batch(fss[rows], rss[rows], groups=labels),
        np.concatenate(
            [default_engine.posterior_batch(fss[m], rss[m], groups=np.zeros(6, int)) for m in families]
        ),
    )
