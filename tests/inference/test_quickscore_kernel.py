"""The compiled float64 Quickscore program: exact against enumeration, independent of its batch."""

from __future__ import annotations

import numpy as np
import pytest

from tests.brute_force import enumerate_posterior, random_states
from toeprob.inference.compiled import compile_arrays
from toeprob.inference.exact import ExactEngine
from toeprob.inference.quickscore import CANCELLATION_LIMIT, EXTENDED, quickscore_rows
from toeprob.inference.synthetic import sample_evidence


def _wide_network(rng: np.random.Generator, n_shared: int):
    """Two causes that share ``n_shared`` risk factors: each cause's factor has ``2**n_shared``
    configurations (beyond 128 columns numpy's pairwise sums split in halves)."""
    w = rng.uniform(0.05, 0.9, (n_shared, 2))
    p = rng.uniform(0.1, 0.9, (3, 2))
    return compile_arrays(
        ["a", "b"],
        ["f0", "f1", "f2"],
        [f"r{k}" for k in range(n_shared)],
        rng.uniform(0.05, 0.5, n_shared),
        [0.01, 0.02],
        w,
        [0.01, 0.02, 0.03],
        p,
    )


@pytest.mark.parametrize("n_shared", [1, 3, 4, 8])
def test_wide_cause_factors_match_enumeration(n_shared):
    rng = np.random.default_rng(n_shared)
    cm = _wide_network(rng, n_shared)
    assert np.diff(cm.program.offsets).max() == 1 << n_shared
    eng = ExactEngine(cm)
    fss, rss = random_states(rng, 12, 3), random_states(rng, 12, n_shared)
    got = eng.posterior_batch(fss, rss)
    for k in range(len(fss)):
        want, log_want = enumerate_posterior(cm, fss[k], rss[k])
        assert np.abs(got[k] - want).max() <= 1e-12
        assert abs(eng.log_evidence(fss[k], rss[k]) - log_want) <= 1e-10


def _present(cm, fss):
    multi = (fss == 1) & (cm.finding_parent_count >= 2)
    counts = multi.sum(axis=1)
    present = np.argsort(~multi, axis=1, kind="stable")[:, : max(1, counts.max())]
    return present, counts


def test_rows_of_any_m_in_one_call_equal_each_row_alone(model):
    from toeprob.inference.compiled import compile_model

    cm = compile_model(model)
    fss, rss = sample_evidence(cm, 80, seed=4, reveal_present=0.5)
    present, counts = _present(cm, fss)
    keep = counts <= 6
    fss, rss, present, counts = fss[keep], rss[keep], present[keep], counts[keep]
    assert len(np.unique(counts)) >= 4  # the call mixes rows with different numbers of terms
    together = quickscore_rows(cm, fss, rss, present, counts)
    for k in range(len(fss)):
        alone = quickscore_rows(cm, fss[k : k + 1], rss[k : k + 1], present[k : k + 1], counts[k : k + 1])
        for a, b in zip(together, alone, strict=True):
            assert np.array_equal(a[k : k + 1], b)
    perm = np.random.default_rng(0).permutation(len(fss))
    shuffled = quickscore_rows(cm, fss[perm], rss[perm], present[perm], counts[perm])
    for a, b in zip(together, shuffled, strict=True):
        assert np.array_equal(a[perm], b)


@pytest.mark.skipif(not EXTENDED, reason="np.longdouble is float64 on this platform")
def test_float64_program_agrees_with_extended_precision(model):
    from toeprob.inference.compiled import compile_model

    cm = compile_model(model)
    fss, rss = sample_evidence(cm, 200, seed=8, reveal_present=0.5)
    present, counts = _present(cm, fss)
    checked = 0
    for m in range(0, 6):
        rows = np.flatnonzero(counts == m)
        if not len(rows):
            continue
        fast = quickscore_rows(cm, fss[rows], rss[rows], present[rows, :m], counts[rows])
        precise = quickscore_rows(cm, fss[rows], rss[rows], present[rows, :m], precise=True)
        ok = fast[2] <= CANCELLATION_LIMIT
        checked += int(ok.sum())
        assert np.abs(fast[0][ok] - precise[0][ok]).max(initial=0.0) <= 1e-10
        assert np.abs(fast[1][ok] - precise[1][ok]).max(initial=0.0) <= 1e-9
    assert checked >= 150


def test_compiled_functions_are_cached_on_disk():
    from toeprob.inference import quickscore_kernel as kernel

    compiled = (kernel._program, kernel._evidence, kernel._terms_into, kernel._signed_sums, kernel._pairwise)
    for function in compiled:
        assert function._cache.__class__.__name__ == "FunctionCache"
