"""The junction-tree program over shared risk factors: structure and sums against enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from toeprob.inference.compiled import compile_model
from toeprob.inference.risk_factors import compile_program, risk_sums
from toeprob.inference.synthetic import synthetic_model


def _random_weights(rng: np.random.Generator, n_rf: int, n_c: int, density: float) -> np.ndarray:
    w = np.where(rng.random((n_rf, n_c)) < density, rng.uniform(0.05, 0.95, (n_rf, n_c)), 0.0)
    return w


@pytest.mark.parametrize("seed", range(4))
def test_program_structure_on_synthetic_models(seed):
    cm = compile_model(synthetic_model(80, seed=seed))
    prog = cm.program
    homes = np.zeros(len(cm.causes), dtype=int)
    for cl in prog.cliques:
        for c in cl.causes:
            homes[c] += 1
            assert set(prog.scopes[c]) <= set(cl.variables)
    with_shared = [c for c, s in enumerate(prog.scopes) if s]
    assert homes[with_shared].tolist() == [1] * len(with_shared)
    assert set(prog.column_cause[prog.free].tolist()) == {c for c, s in enumerate(prog.scopes) if not s}
    # every shared risk factor's prior is multiplied in exactly once
    homed = [int(r) for r in np.unique(prog.prior_var) if r < len(cm.risk_factors)]
    assert homed == sorted(cm.shared_rf.tolist())
    # running intersection: the cliques holding a risk factor form a connected subtree
    for r in cm.shared_rf.tolist():
        holding = [q for q, cl in enumerate(prog.cliques) if r in cl.variables]
        tops = [q for q in holding if prog.cliques[q].parent not in holding]
        assert len(tops) == 1


def _enumerate(w, rho, z0, e0, g):
    """Brute force: sum over every shared risk factor and cause state, for one row and term."""
    n_rf, n_c = w.shape
    shared = [r for r in range(n_rf) if (w[r] > 0).sum() >= 2]
    total, present = 0.0, np.zeros(n_c)
    for xs in itertools.product([0, 1], repeat=len(shared)):
        x = dict(zip(shared, xs, strict=True))
        weight = np.prod([rho[r] if x[r] else 1 - rho[r] for r in shared])
        z = z0 * np.prod([np.where(w[r] > 0, (1 - w[r]) ** x[r], 1.0) for r in shared], axis=0)
        t0, t1 = z * e0, (1 - z) * g
        prod = np.prod(t0 + t1)
        total += weight * prod
        with np.errstate(divide="ignore", invalid="ignore"):
            present += weight * np.where(t0 + t1 > 0, prod * t1 / (t0 + t1), 0.0)
    return total, present / total


@pytest.mark.parametrize("seed", range(12))
def test_risk_sums_match_enumeration(seed):
    rng = np.random.default_rng(seed)
    n_rf, n_c, n, n_t = int(rng.integers(1, 7)), int(rng.integers(1, 7)), 3, 4
    w = _random_weights(rng, n_rf, n_c, 0.5)
    prog = compile_program(w)
    rho = rng.random((n_rf, n))
    rho[:, 0] = rng.integers(0, 2, n_rf)  # observed risk factors give one-hot priors
    z0, e0 = rng.random((n_c, n)), rng.random((n_c, n))
    g = rng.random((n_c, n_t, n))
    g[:, 1, 1] = 0.0  # a factor of zero at C = 1
    log_rel, log_ref, ratio, tiny = risk_sums(prog, rho, z0, e0, g)
    log_sum = log_rel + log_ref
    assert not tiny.any()
    for row in range(n):
        for term in range(n_t):
            want, post = _enumerate(w, rho[:, row], z0[:, row], e0[:, row], g[:, term, row])
            assert np.log(want) == pytest.approx(log_sum[term, row], rel=1e-12, abs=1e-12)
            assert np.abs(ratio[:, term, row] - post).max() <= 1e-12


def test_compile_program_layout():
    w = np.array([[0.5, 0.4, 0.0], [0.3, 0.0, 0.2], [0.0, 0.0, 0.7]])  # risk factor 2 is private
    prog = compile_program(w)
    assert prog.scopes == ((0, 1), (0,), (1,))
    assert prog.offsets.tolist() == [0, 4, 6, 8]
    # cause 0, configurations (x0, x1) first slowest: 00, 01, 10, 11
    assert np.allclose(prog.multiplier[:4], [1.0, 0.7, 0.5, 0.35])
    assert prog.free.size == 0 and prog.width == 8


def test_risk_sums_in_extended_precision_match_float64():
    rng = np.random.default_rng(42)
    w = _random_weights(rng, 5, 6, 0.6)
    prog = compile_program(w)
    rho, z0, e0 = rng.random((5, 4)), rng.random((6, 4)), rng.random((6, 4))
    g = rng.random((6, 8, 4))
    log64, ref64, ratio64, _ = risk_sums(prog, rho, z0, e0, g)
    log64 = log64 + ref64
    ld = np.longdouble
    log_ld, ref_ld, ratio_ld, _ = risk_sums(prog, rho.astype(ld), z0.astype(ld), e0.astype(ld), g.astype(ld))
    log_ld = log_ld + ref_ld
    assert ratio_ld.dtype == ld and log_ld.dtype == ld
    assert np.abs(log_ld - log64).max() <= 1e-13 and np.abs(ratio_ld - ratio64).max() <= 1e-13


def test_tiny_component_sums_are_flagged():
    w = np.array([[0.5, 0.5]])  # one shared risk factor, two causes
    prog = compile_program(w)
    rho, z0, e0 = np.full((1, 2), 0.5), np.full((2, 2), 0.9), np.full((2, 2), 1e-140)
    g = np.full((2, 1, 2), 1e-140)
    g[:, :, 1] = 0.5
    e0[:, 1] = 0.5
    _, _, _, tiny = risk_sums(prog, rho, z0, e0, g)
    assert tiny.tolist() == [True, False]
