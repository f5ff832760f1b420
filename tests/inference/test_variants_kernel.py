"""The compiled program for pairs of a distinct row and a variant: bitwise the row program's numbers."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.brute_force import random_network
from toeprob import Model, load_model
from toeprob.inference.compiled import compile_model
from toeprob.inference.quickscore import quickscore_rows
from toeprob.inference.variants import VariantEngine, compile_parameter_variants, compile_variants
from toeprob.inference.variants_kernel import row_lists, variant_pairs_kernel
from toeprob.knowledge.parameters import ModelParameters


def _variants(cm, rng: np.random.Generator, k: int):
    def jitter(a: np.ndarray) -> np.ndarray:
        return np.where(a > 0, rng.uniform(0.02, 0.95, (k, *a.shape)), 0.0)

    return compile_variants(
        cm,
        rng.uniform(0.01, 0.6, (k, len(cm.risk_factors))),
        rng.uniform(0.001, 0.3, (k, len(cm.causes))),
        jitter(cm.rf_weight),
        rng.uniform(0.001, 0.2, (k, len(cm.findings))),
        jitter(cm.finding_weight),
    )


def _pairs_against_rows(cm, cv, fs, rs, rng: np.random.Generator, n_pairs: int) -> None:
    """Random pairs (distinct row, variant) in one call equal the row program's, row by row."""
    multi = (fs == 1) & (cm.finding_parent_count >= 2)
    counts_of = multi.sum(axis=1)
    order = np.argsort(~multi, axis=1, kind="stable")
    rows = rng.integers(0, len(fs), n_pairs)
    variant = rng.integers(0, cv.variants, n_pairs)
    counts = counts_of[rows]
    present = order[rows, : max(1, int(counts.max()))]
    q_findings = np.flatnonzero(multi.any(axis=0))
    q_at = np.zeros(len(cm.findings), dtype=np.intp)
    q_at[q_findings] = np.arange(len(q_findings))
    log1m = np.take(cv.log1m_finding_leak, q_findings, axis=1)
    got = variant_pairs_kernel(
        cv, row_lists(cv, fs, rs), rows, variant, q_at[present], counts, cv.finding_q_of(q_findings), log1m
    )
    want = quickscore_rows(cm, fs[rows], rs[rows], present, counts, variants=cv, variant=variant)
    assert got[0].tobytes() == want[0].tobytes()  # posteriors
    assert got[2].tobytes() == want[2].tobytes()  # cancellation ratios
    assert np.array_equal(got[1], want[1])  # log evidence: equal (a zero's sign aside)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_pairs_equal_the_row_program_bitwise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    cm = random_network(rng, int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(0, 7)))
    if cm.program is None:
        return
    cv = _variants(cm, rng, int(rng.integers(1, 6)))
    n_rows = int(rng.integers(1, 6))
    fs = rng.integers(-1, 2, (n_rows, len(cm.findings))).astype(np.int8)
    rs = rng.integers(-1, 2, (n_rows, len(cm.risk_factors))).astype(np.int8)
    if n_rows > 1 and rng.random() < 0.5:  # rows that share their risk-factor states share priors
        rs[1:] = rs[0]
    _pairs_against_rows(cm, cv, fs, rs, rng, int(rng.integers(1, 40)))


def test_pairs_of_the_default_model_equal_the_row_program(model: Model) -> None:
    rng = np.random.default_rng(5)
    cm = compile_model(model)
    params = ModelParameters(model)
    cv = compile_parameter_variants(cm, params.links(params.sample(40, rng)))
    fs = rng.choice([-1, -1, -1, 0, 1], (6, len(cm.findings))).astype(np.int8)
    rs = np.tile(rng.choice([-1, -1, 0, 1], len(cm.risk_factors)).astype(np.int8), (6, 1))
    rs[5] = -1
    _pairs_against_rows(cm, cv, fs, rs, rng, 300)


@functools.cache
def _default() -> tuple[Model, ModelParameters, object]:
    model = load_model()
    return model, ModelParameters(model), compile_model(model)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 30))
def test_parameter_variants_equal_those_of_the_dense_arrays(seed: int, draws: int) -> None:
    model, params, cm = _default()
    rng = np.random.default_rng(seed)
    observed = rng.random(len(model.findings)) < 0.5
    relevant = params.relevant(observed)
    values = params.sample(draws, rng, relevant)
    compact = compile_parameter_variants(cm, params.links(values, relevant))
    arrays = params.arrays(values, relevant)
    dense = compile_variants(
        cm,
        arrays.rf_prevalence,
        arrays.cause_leak,
        arrays.rf_weight,
        arrays.finding_leak,
        arrays.finding_weight,
    )
    for name in (
        "rf_prevalence",
        "cause_leak",
        "risk_link",
        "finding_leak",
        "finding_link",
        "lookup_values",
        "log1m_finding_leak",
        "multiplier",
        "rf_weight",
        "finding_weight",
        "finding_q",
    ):
        assert getattr(compact, name).tobytes() == getattr(dense, name).tobytes(), name
    assert compact.rf_weight.tobytes() == arrays.rf_weight.tobytes()
    assert compact.finding_weight.tobytes() == arrays.finding_weight.tobytes()
    some = np.flatnonzero(observed)
    assert compact.finding_q_of(some).tobytes() == np.ascontiguousarray(compact.finding_q[:, some]).tobytes()


def test_parameter_variants_refuse_links_of_another_model(model: Model) -> None:
    params = ModelParameters(model)
    rng = np.random.default_rng(0)
    other = random_network(rng, 3, 4, 2)
    with pytest.raises(ValueError, match="links are not those of the base model"):
        compile_parameter_variants(other, params.links(params.value[None, :]))


def test_the_engine_on_the_pair_program_equals_one_model_at_a_time(model: Model) -> None:
    # many variants of the default model, pairs of a few rows: each pair as ExactEngine alone gives it
    from toeprob.inference.exact import ExactEngine

    cm = compile_model(model)
    params = ModelParameters(model)
    cv = compile_parameter_variants(cm, params.links(params.sample(6, np.random.default_rng(3))))
    rng = np.random.default_rng(4)
    fs = rng.choice([-1, -1, -1, 0, 1], (4, len(cm.findings))).astype(np.int8)
    rs = rng.choice([-1, -1, 0, 1], (4, len(cm.risk_factors))).astype(np.int8)
    got = VariantEngine(cv).posterior(fs, rs)
    for k in range(cv.variants):
        alone = ExactEngine(cv.variant(k))
        for n in range(len(fs)):
            assert got[n, k].tobytes() == alone.posterior(fs[n], rs[n]).tobytes(), (n, k)
