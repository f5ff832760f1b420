"""Hidden-variable elimination (heavy evidence) against enumeration, pgmpy and the stable path."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from tests.brute_force import enumerate_posterior, random_network, random_states
from toeprob import load_model
from toeprob.inference.compiled import compile_model
from toeprob.inference.elimination import eliminate
from toeprob.inference.exact import ExactEngine
from toeprob.inference.hidden import HIDDEN_LIMIT, network, plan, solve, structure_keys
from toeprob.knowledge.model import Model


@pytest.fixture(scope="module")
def default_cm(model):
    return compile_model(model)


def heavy_rows(cm, sizes, seed=0):
    rng = np.random.default_rng(seed)
    for size in sizes:
        fs = np.full(len(cm.findings), -1, np.int8)
        fs[rng.choice(len(cm.findings), size, replace=False)] = 1
        fs[rng.choice(len(cm.findings), 4, replace=False)] = 0
        rs = np.where(rng.random(len(cm.risk_factors)) < 0.2, 0, -1).astype(np.int8)
        yield fs, rs


@pytest.mark.parametrize("seed", range(12))
def test_matches_enumeration_with_every_finding_present(seed):
    rng = np.random.default_rng(100 + seed)
    cm = random_network(rng, int(rng.integers(2, 7)), int(rng.integers(2, 9)), int(rng.integers(0, 6)))
    eng = ExactEngine(cm, max_present=0)  # every row with a multi-parent present finding: elimination
    fss, rss = random_states(rng, 5, len(cm.findings)), random_states(rng, 5, len(cm.risk_factors))
    fss[0] = 1
    for fs, rs in zip(fss, rss, strict=True):
        want, log_want = enumerate_posterior(cm, fs, rs)
        net = network(cm, fs, rs)
        log_z, marginals, cancellation = solve(net, plan(net))
        assert cancellation[0] <= HIDDEN_LIMIT
        assert np.abs(marginals[0, :, 1] - want).max() <= 1e-12
        assert abs(log_z[0] + net.log_const[0] - log_want) <= 1e-10
        assert np.abs(eng.posterior(fs, rs) - want).max() <= 1e-12


@pytest.mark.slow
def test_heavy_rows_of_the_default_model_agree_with_non_negative_elimination(default_cm):
    for fs, rs in heavy_rows(default_cm, (12, 18, 24)):
        net = network(default_cm, fs, rs)
        log_z, marginals, cancellation = solve(net, plan(net))
        want, log_want = eliminate(default_cm, fs, rs, hubs=False)
        assert cancellation[0] <= HIDDEN_LIMIT
        assert np.abs(marginals[0, :, 1] - want).max() <= 1e-10
        assert abs(log_z[0] + net.log_const[0] - log_want) <= 1e-9


def test_heavy_rows_batch_equals_single(default_cm):
    eng = ExactEngine(default_cm)
    fss, rss = (np.array(a) for a in zip(*heavy_rows(default_cm, (11, 16, 20)), strict=True))
    single = np.array([eng.posterior(f, r) for f, r in zip(fss, rss, strict=True)])
    assert np.array_equal(eng.posterior_batch(fss, rss), single)
    assert np.array_equal(eng.posterior_batch(fss[::-1], rss[::-1]), single[::-1])


def test_plan_estimates_the_cost_before_solving(default_cm):
    fs, rs = next(heavy_rows(default_cm, (20,)))
    net = network(default_cm, fs, rs)
    order = plan(net)
    assert sorted(order.order) == list(range(len(net.names)))
    assert 2**order.width <= order.elements and order.memory_bytes > 8 * order.elements
    assert all(name in net.names for name in (net.names[v] for v in order.widest))


def extreme_model(value: float) -> Model:
    """The default model with every risk-factor prevalence and finding leak set to ``value``."""
    data = copy.deepcopy(load_model().to_dict())
    data["scales"]["prevalence"].pop("ranges")  # the ranges are about the real values
    words = data["scales"]["prevalence"]["values"]
    for word in words:
        words[word] = value
    return Model.from_dict(data, f"<extreme {value}>")


@pytest.mark.parametrize("value", [1e-300, 5e-324])
def test_extreme_model_is_accurate_and_quiet(value):
    model = extreme_model(value)
    cm = compile_model(model)
    eng = ExactEngine(cm)
    rng = np.random.default_rng(0)
    n_f, n_r = len(cm.findings), len(cm.risk_factors)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning fails the test
        for _ in range(12):
            fs = np.full(n_f, -1, np.int8)
            n = int(rng.integers(1, 8))
            fs[rng.choice(n_f, n, replace=False)] = rng.integers(0, 2, n)
            rs = np.where(rng.random(n_r) < 0.3, rng.integers(0, 2, n_r), -1).astype(np.int8)
            got = eng.posterior(fs, rs)
            want, _ = eliminate(cm, fs, rs, hubs=False)
            assert np.abs(got - want).max() <= 1e-10


@pytest.mark.slow
def test_extreme_model_matches_pgmpy():
    from toeprob.inference.pgmpy_bridge import PgmpyEngine

    model = extreme_model(1e-300)
    cm = compile_model(model)
    eng, ref = ExactEngine(cm), PgmpyEngine(model)
    fs = np.full(len(cm.findings), -1, np.int8)
    # a row whose Quickscore terms cancel 8e4-fold (4e-10 off before the terms were computed
    # without their common log part)
    fs[[3, 21, 28]] = 1
    fs[[6, 9, 25]] = 0
    rs = np.full(len(cm.risk_factors), -1, np.int8)
    rs[[5, 8, 19]] = 1
    assert np.abs(eng.posterior(fs, rs) - ref.posterior(fs, rs)).max() <= 1e-9


@pytest.mark.parametrize("limits", [(1.0, 1e9), (1.0, 1.0)])
def test_rows_that_cancel_are_recomputed_in_extended_precision_or_without_signs(limits, monkeypatch):
    import toeprob.inference.exact as engine_module

    monkeypatch.setattr(engine_module, "HIDDEN_LIMIT", limits[0])  # every signed row "cancels"
    monkeypatch.setattr(engine_module, "PRECISE_HIDDEN_LIMIT", limits[1])
    rng = np.random.default_rng(7)
    cm = random_network(rng, 5, 7, 3)
    eng = ExactEngine(cm, max_present=0)
    for fs, rs in zip(random_states(rng, 8, 7), random_states(rng, 8, 3), strict=True):
        fs[:3] = 1
        want, log_want = enumerate_posterior(cm, fs, rs)
        assert np.abs(eng.posterior(fs, rs) - want).max() <= 1e-12
        assert abs(eng.log_evidence(fs, rs) - log_want) <= 1e-10


def test_extended_precision_elimination_agrees_with_float64(default_cm):
    fs, rs = next(heavy_rows(default_cm, (16,), seed=5))
    net = network(default_cm, fs, rs)
    order = plan(net)
    log64, m64, c64 = solve(net, order)
    log_ld, m_ld, c_ld = solve(net, order, dtype=np.longdouble)
    assert m_ld.dtype == np.float64 and c_ld[0] <= 2 * c64[0]
    # the float64 error is within the documented ~5e-17 per unit of cancellation
    assert np.abs(m64 - m_ld).max() <= 5e-17 * c64[0] + 1e-14 and abs(log64[0] - log_ld[0]) <= 1e-10


@pytest.mark.parametrize("seed", range(8))
def test_a_shared_structure_with_absent_and_unknown_hidden_findings_matches_enumeration(seed):
    rng = np.random.default_rng(300 + seed)
    cm = random_network(rng, int(rng.integers(2, 6)), int(rng.integers(3, 8)), int(rng.integers(0, 5)))
    multi = cm.finding_parent_count >= 2
    rss = np.repeat(random_states(rng, 1, len(cm.risk_factors)), 6, axis=0)
    fss = random_states(rng, 6, len(cm.findings))
    union = multi & (fss == 1).any(axis=0)
    net = network(cm, fss, rss, union)  # one structure, every row with its own hidden-variable factors
    log_z, marginals, cancellation = solve(net, plan(net))
    for k in range(len(fss)):
        want, log_want = enumerate_posterior(cm, fss[k], rss[k])
        assert cancellation[k] <= HIDDEN_LIMIT
        assert np.abs(marginals[k, :, 1] - want).max() <= 1e-12
        assert abs(log_z[k] + net.log_const[k] - log_want) <= 1e-10


def test_network_rejects_rows_of_different_structures(default_cm):
    fss = np.full((2, len(default_cm.findings)), -1, np.int8)
    fss[0, np.flatnonzero(default_cm.finding_parent_count >= 2)[:3]] = 1
    rss = np.full((2, len(default_cm.risk_factors)), -1, np.int8)
    with pytest.raises(ValueError, match="one structure"):
        network(default_cm, fss, rss)
    with pytest.raises(ValueError, match="cover"):
        network(default_cm, fss, rss, np.zeros(len(default_cm.findings), bool))


def worlds(cm, size, seed):
    """A heavy row and rows below it (some present findings set absent or unknown), as the urgency
    rule's worlds are."""
    fs, rs = next(heavy_rows(cm, (size,), seed=seed))
    rng = np.random.default_rng(seed)
    present = np.flatnonzero(fs == 1)
    rows = [fs]
    for _ in range(7):
        row = fs.copy()
        row[rng.choice(present, 3, replace=False)] = rng.choice([0, -1], 3)
        rows.append(row)
    return np.array(rows), np.repeat(rs[None], len(rows), axis=0)


def test_families_share_one_structure_and_agree_with_rows_alone(default_cm):
    fss, rss = worlds(default_cm, 13, seed=3)
    eng = ExactEngine(default_cm)
    alone = np.array([eng.posterior(f, r) for f, r in zip(fss, rss, strict=True)])
    assert np.array_equal(eng.posterior_batch(fss, rss), alone)  # no groups: bitwise
    plans = len(eng._plans)
    fresh = ExactEngine(default_cm)
    together = fresh.posterior_batch(fss, rss, groups=np.zeros(len(fss), int))
    assert len(fresh._plans) == 1 < plans  # one structure (the union: the first row's) for all
    assert np.array_equal(together[0], alone[0])  # the row whose structure is the union: bitwise
    assert np.abs(together - alone).max() <= 1e-11
    for k in (1, 4):
        want, _ = eliminate(default_cm, fss[k], rss[k], hubs=False)
        assert np.abs(together[k] - want).max() <= 1e-10
    # a row's result depends on its family only: other families and their order do not matter
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    split = fresh.posterior_batch(fss, rss, groups=labels)
    perm = np.random.default_rng(0).permutation(len(fss))
    again = fresh.posterior_batch(fss[perm], rss[perm], groups=labels[perm])
    assert np.array_equal(again, split[perm])
    with pytest.raises(ValueError, match="groups"):
        eng.posterior_batch(fss, rss, groups=np.zeros(3, int))


def test_rows_of_one_structure_are_computed_together_bitwise_as_alone(default_cm):
    fs, rs = next(heavy_rows(default_cm, (14,), seed=9))
    single = default_cm.finding_parent_count == 1
    fss = np.repeat(fs[None], 6, axis=0)
    # the same hidden variables, different folded evidence: one structure, different tables
    rng = np.random.default_rng(9)
    free = np.flatnonzero(fs != 1)
    fss[1:, free] = rng.integers(-1, 1, size=(5, len(free)))  # absent or unknown
    singles = np.flatnonzero(single & (fs != 1))
    fss[1:, singles] = rng.integers(-1, 2, size=(5, len(singles)))  # present too: folded
    rss = np.repeat(rs[None], 6, axis=0)
    rss[2:, np.flatnonzero(rs < 0)[:1]] = 1  # not a shared one of every row: maybe another structure
    assert len(set(structure_keys(default_cm, fss, rss))) < len(fss)
    eng = ExactEngine(default_cm)
    batch = eng.posterior_batch(fss, rss)
    alone = np.array([ExactEngine(default_cm).posterior(f, r) for f, r in zip(fss, rss, strict=True)])
    assert np.array_equal(batch, alone)


def test_heavy_cases_get_the_same_urgency_alone_and_in_a_batch(model, default_cm):
    """The urgency rule's worlds of a heavy case are one family in both paths (rank_causes: the
    evidence row alone, its worlds together; rank_batch: each case's worlds together)."""
    from toeprob import rank_batch, rank_causes

    rng = np.random.default_rng(0)
    n_f = len(default_cm.findings)
    cases = []
    for size in (10, 13, 15):
        present = rng.choice(n_f, size, replace=False)
        cases.append({default_cm.findings[j]: True for j in present})
    from toeprob.knowledge.evidence import parse_evidence
    from toeprob.reasoning.reasoner import Reasoner

    policy = Reasoner.for_model(model).urgency_policy
    heavy = 0
    for case in cases:
        ev = parse_evidence(case, model)
        rows, _, _ = policy.candidate_rows(ev.finding_state[None], ev.rf_state[None])
        heavy += int((((rows == 1) & (default_cm.finding_parent_count >= 2)).sum(axis=1) > 7).sum())
    assert heavy >= 2  # worlds that take elimination, as a family
    frame = rank_batch(cases, model=model)
    for k, case in enumerate(cases):
        diagnosis = rank_causes(case, model=model)
        assert frame["urgency"].iloc[k] == diagnosis.urgency.label
