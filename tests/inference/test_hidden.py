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
from toeprob.inference.hidden import HIDDEN_LIMIT, network, plan, solve
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
