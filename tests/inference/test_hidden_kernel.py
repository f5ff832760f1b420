"""The compiled hidden-variable elimination against the array program (bitwise) and enumeration; the
compiled elimination order against the Python one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brute_force import enumerate_posterior, random_network, random_states
from tests.inference.test_hidden import heavy_rows
from toeprob.inference.compiled import compile_arrays, compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.hidden import Plan, every_finding_present, network, plan, program, solve
from toeprob.inference.hidden_kernel import compile_program, run
from toeprob.inference.ordering import bits, evaluate_order, greedy_order
from toeprob.inference.ordering_kernel import greedy_order_compiled


@pytest.fixture(scope="module")
def default_cm(model):
    return compile_model(model)


def assert_same_bits(net, order):
    """The compiled program gives the array program's float64 results bit for bit."""
    steps = program(net, order)
    log_z, marginals, cancellation, retry = run(compile_program(net, order), net)
    want = solve(net, order, steps=steps)
    assert not retry.any()
    for got, expected in zip((log_z, marginals, cancellation), want, strict=True):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected, equal_nan=True)


@pytest.mark.parametrize("size", [9, 14, 20])
def test_default_model_rows_match_the_array_program_bitwise(default_cm, size):
    fs, rs = next(heavy_rows(default_cm, (size,), seed=size))
    assert_same_bits(network(default_cm, fs, rs), plan(network(default_cm, fs, rs)))


def test_a_family_on_one_structure_matches_the_array_program_bitwise(default_cm):
    # worlds of one case: the same present findings, some of them absent or unknown in a row
    fs, rs = next(heavy_rows(default_cm, (12,), seed=3))
    present = np.flatnonzero((fs == 1) & (default_cm.finding_parent_count >= 2))
    rows = np.repeat(fs[None], 6, axis=0)
    rows[1, present[:2]] = 0
    rows[2, present[:2]] = -1
    rows[3, present[2:5]] = 0
    rows[4, present[-1]] = -1
    rows[5, present[::2]] = 0
    union = (fs == 1) & (default_cm.finding_parent_count >= 2)
    net = network(default_cm, rows, np.repeat(rs[None], 6, axis=0), union)
    assert_same_bits(net, plan(net))


@pytest.mark.parametrize("seed", range(10))
def test_random_networks_match_the_array_program_and_enumeration(seed):
    rng = np.random.default_rng(500 + seed)
    cm = random_network(rng, int(rng.integers(2, 7)), int(rng.integers(3, 9)), int(rng.integers(0, 6)))
    multi = cm.finding_parent_count >= 2
    rss = np.repeat(random_states(rng, 1, len(cm.risk_factors)), 5, axis=0)
    fss = random_states(rng, 5, len(cm.findings))
    union = multi & (fss == 1).any(axis=0)
    net = network(cm, fss, rss, union)
    order = plan(net)
    assert_same_bits(net, order)
    log_z, marginals, _, _ = run(compile_program(net, order), net)
    for k in range(len(fss)):
        want, log_want = enumerate_posterior(cm, fss[k], rss[k])
        assert np.abs(marginals[k, :, 1] - want).max() <= 1e-12
        assert abs(log_z[k] + net.log_const[k] - log_want) <= 1e-10


def test_rows_do_not_depend_on_each_other(default_cm):
    fs0, rs0 = next(heavy_rows(default_cm, (10,), seed=11))
    fs = np.repeat(fs0[None], 3, axis=0)
    unknown = np.flatnonzero(fs0 == -1)
    fs[1, unknown[:3]] = 0  # absent findings fold into the cause factors: the same structure
    fs[2, unknown[3:6]] = 0
    net = network(default_cm, fs, np.repeat(rs0[None], 3, axis=0))
    kernel = compile_program(net, plan(net))
    together = run(kernel, net)
    assert not np.array_equal(together[1][0], together[1][1])  # the rows differ
    for k in range(3):
        alone = run(kernel, net.take(np.array([k])))
        for a, b in zip(together[:3], alone[:3], strict=True):
            assert np.array_equal(a[k : k + 1], b, equal_nan=True)


def test_vanishing_messages_are_left_to_the_array_program(monkeypatch):
    """Finding ``g`` (present, leak 1e-250) has cause ``a`` only: with ``a`` absent its
    probability is 1e-250. Eliminating the shared risk factor ``r`` first sends a message over
    ``(a, b)`` whose entries for ``a`` absent are about 1e-250 times its largest: too small to
    divide by in the downward pass. The compiled program flags the row; the engine answers it by
    the array program (which rebuilds that quotient without dividing)."""
    import toeprob.inference.exact as engine_module

    cm = compile_arrays(
        ["a", "b"], ["f", "g"], ["r"], [0.3], [0.1, 0.2], [[0.4, 0.5]], [0.01, 1e-250], [[0.9, 0.5], [0.9, 0]]
    )
    fs, rs = np.array([1, 1], dtype=np.int8), np.array([-1], dtype=np.int8)
    net = network(cm, fs, rs)
    assert net.names == ("a", "b", "r", "hidden(f)")
    first = evaluate_order(net.key, 4, [2, 3, 0, 1])  # r, then hidden(f), a, b
    rf_first = Plan(tuple(first.order), first.elements, tuple(bits(first.widest)), net.names)
    steps = program(net, rf_first)
    retry = run(compile_program(net, rf_first), net)[3]
    assert retry.tolist() == [True]
    monkeypatch.setattr(engine_module, "plan", lambda net, **_: rf_first)
    engine = ExactEngine(cm, max_present=0)
    want, log_want = enumerate_posterior(cm, fs, rs)
    got = engine.posterior(fs, rs)
    assert np.array_equal(got, np.clip(solve(net, rf_first, steps=steps)[1][0, :, 1], 0.0, 1.0))
    assert np.abs(got - want).max() <= 1e-12
    assert abs(engine.log_evidence(fs, rs) - log_want) <= 1e-10


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    data=st.data(),
    by_fill=st.booleans(),
    jitter=st.sampled_from([0.0, 0.5, 1.5, 6.0]),
    seed=st.integers(0, 50),
)
def test_compiled_order_is_the_python_order(n, data, by_fill, jitter, seed):
    scopes = data.draw(
        st.lists(
            st.lists(st.integers(0, n - 1), min_size=1, max_size=5, unique=True), min_size=1, max_size=3 * n
        )
    )
    a = greedy_order(scopes, n, by_fill=by_fill, jitter=jitter, seed=seed)
    b = greedy_order_compiled(scopes, n, by_fill=by_fill, jitter=jitter, seed=seed)
    assert (a.order, a.cliques, a.elements) == (b.order, b.cliques, b.elements)


def test_compiled_order_on_the_default_model_with_every_finding_present(default_cm):
    net = every_finding_present(default_cm)
    for jitter, seed in ((0.0, 0), (3.0, 5)):
        a = greedy_order(net.key, len(net.names), jitter=jitter, seed=seed)
        b = greedy_order_compiled(net.key, len(net.names), jitter=jitter, seed=seed)
        assert (a.order, a.cliques, a.elements) == (b.order, b.cliques, b.elements)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n_rows=st.integers(1, 3), shuffled=st.booleans())
def test_programs_built_for_any_order_match_the_array_program_and_enumeration(seed, n_rows, shuffled):
    """:func:`compile_program` builds the kernel program from the network's structure and an
    order: for a greedy order or any permutation (more children per step, merged factors, several
    roots), the compiled elimination gives the array program's bits (whose steps come from
    :func:`~toeprob.inference.hidden.program`) and the posteriors of enumeration."""
    rng = np.random.default_rng(seed)
    cm = random_network(rng, int(rng.integers(1, 7)), int(rng.integers(1, 8)), int(rng.integers(0, 5)))
    multi = cm.finding_parent_count >= 2
    rss = np.repeat(random_states(rng, 1, len(cm.risk_factors)), n_rows, axis=0)
    fss = random_states(rng, n_rows, len(cm.findings))
    net = network(cm, fss, rss, multi & (fss == 1).any(axis=0))
    n_vars = len(net.names)
    if shuffled:
        chosen = evaluate_order(net.key, n_vars, rng.permutation(n_vars).tolist())
        order = Plan(tuple(chosen.order), chosen.elements, tuple(bits(chosen.widest)), net.names)
    else:
        order = plan(net)
    assert_same_bits(net, order)
    log_z, marginals, cancellation, _ = run(compile_program(net, order), net)
    for k in range(n_rows):
        want, log_want = enumerate_posterior(cm, fss[k], rss[k])
        if cancellation[k] <= 1e3:
            assert np.abs(marginals[k, :, 1] - want).max() <= 1e-12
            assert abs(log_z[k] + net.log_const[k] - log_want) <= 1e-10


def test_synthetic_network_rows_agree_with_non_negative_elimination():
    """On the 160-cause synthetic network (many causes, unobserved shared risk factors, 8-28
    present findings), the engine's compiled elimination agrees with the non-negative elimination
    of :mod:`toeprob.inference.elimination`, an independent exact method."""
    from toeprob.inference.elimination import eliminate
    from toeprob.inference.synthetic import sample_evidence, synthetic_model

    cm = compile_model(synthetic_model(160))
    fs, rs = sample_evidence(cm, 6, seed=1)
    engine = ExactEngine(cm)
    post = engine.posterior_batch(fs, rs)
    log_ev = engine.log_evidence_batch(fs, rs)
    for k in range(len(fs)):
        assert engine.uses_fallback(fs[k], rs[k])
        want, log_want = eliminate(cm, fs[k], rs[k], hubs=False)
        assert np.abs(post[k] - want).max() <= 1e-11
        assert abs(log_ev[k] - log_want) <= 1e-9
