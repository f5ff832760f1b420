"""Cost limits: estimated before allocating, answered within them or refused at once."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import toeprob
from toeprob import Budget, CostLimitError, ToeprobError, rank_causes
from toeprob.inference.compiled import compile_arrays, compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.synthetic import synthetic_model


@contextlib.contextmanager
def _peak_memory() -> Iterator[Callable[[], int]]:
    """Measure the peak of Python and numpy allocations (tracemalloc) inside the block.

    Cost is checked by what was allocated, not by wall-clock time, which a shared machine makes noisy.
    """
    tracemalloc.start()
    tracemalloc.reset_peak()
    peak = [0]
    try:
        yield lambda: peak[0]
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def dense_network(n_causes: int, n_rf: int = 30, per_cause: int = 6, seed: int = 0):
    """Causes that each share ``per_cause`` of ``n_rf`` risk factors (the costly shape)."""
    rng = np.random.default_rng(seed)
    w = np.zeros((n_rf, n_causes))
    for c in range(n_causes):
        w[rng.choice(n_rf, per_cause, replace=False), c] = rng.uniform(0.05, 0.5, per_cause)
    p = np.zeros((n_causes, n_causes))
    for j in range(n_causes):
        p[j, rng.choice(n_causes, 3, replace=False)] = rng.uniform(0.1, 0.9, 3)
    return compile_arrays(
        [f"c{i}" for i in range(n_causes)],
        [f"f{j}" for j in range(n_causes)],
        [f"r{k}" for k in range(n_rf)],
        rng.uniform(0.01, 0.3, n_rf),
        rng.uniform(0.001, 0.05, n_causes),
        w,
        rng.uniform(0.001, 0.05, n_causes),
        p,
    )


def test_budget_validates_its_parameters():
    assert Budget(memory_bytes=2**20, operations=10).operations == 10.0
    with pytest.raises(TypeError, match="memory_bytes"):
        Budget(memory_bytes=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="operations"):
        Budget(operations=0)
    with pytest.raises(TypeError, match="operations"):
        Budget(operations="many")  # type: ignore[arg-type]
    assert Budget(memory_bytes=100).fits(memory=100, operations=1)
    assert not Budget(memory_bytes=100).fits(memory=101, operations=1)


def test_cost_limit_error_is_a_toeprob_and_a_standard_error():
    assert issubclass(CostLimitError, ToeprobError) and issubclass(CostLimitError, RuntimeError)
    assert "Budget" in toeprob.__all__ and "CostLimitError" in toeprob.__all__


def test_many_causes_sharing_many_risk_factors_are_refused_at_once():
    with _peak_memory() as peak, pytest.raises(CostLimitError) as info:
        dense_network(100)
    assert peak() < 64 * 2**20  # refused from its estimate, before the tables are allocated
    message = str(info.value)
    assert "risk factors" in message and "2**" in message and "GiB" in message
    assert "r0" in message and "c0" in message and "budget of 8 GiB" in message


def test_a_program_too_large_for_quickscore_is_not_built_and_queries_still_answer():
    cm = dense_network(20)
    assert cm.program is None  # one Quickscore term would exceed MAX_TERM_ELEMENTS
    eng = ExactEngine(cm)
    fs = np.full(20, -1, np.int8)
    fs[:2] = 1
    rs = np.full(30, -1, np.int8)
    rs[:22] = 0  # most risk factors answered: a narrow network
    post = eng.posterior(fs, rs)
    assert eng.uses_fallback(fs, rs) and np.all((post >= 0) & (post <= 1))
    tight = ExactEngine(cm, budget=Budget(memory_bytes=2**20))
    with _peak_memory() as peak, pytest.raises(CostLimitError, match="widest table joins"):
        tight.posterior(fs, np.full(30, -1, np.int8))
    assert peak() < 2**20 + 16 * 2**20  # planned and costed first: nothing beyond the budget allocated


def test_a_small_budget_refuses_heavy_evidence_by_name(model):
    heavy = dict.fromkeys(model.findings[:30], True)
    with pytest.raises(CostLimitError, match=r"beyond the budget of 1 MiB") as info:
        rank_causes(heavy, budget=Budget(memory_bytes=2**20))
    assert "hidden(" in str(info.value)  # names the variables of the widest table
    with pytest.raises(TypeError, match="budget"):
        rank_causes({}, budget="small")  # type: ignore[arg-type]


def test_a_tight_budget_refuses_the_risk_factor_program(model):
    with pytest.raises(CostLimitError, match="risk factors"):
        compile_model(model, budget=Budget(memory_bytes=2**10))


@pytest.mark.slow
def test_two_thousand_causes_answer_or_refuse_within_seconds():
    cm = compile_model(synthetic_model(2000, seed=1))
    eng = ExactEngine(cm)
    multi = np.flatnonzero(cm.finding_parent_count >= 2)
    rng = np.random.default_rng(0)
    fs = np.full(len(cm.findings), -1, np.int8)
    fs[rng.choice(multi, 11, replace=False)] = 1
    rs = np.full(len(cm.risk_factors), -1, np.int8)
    with _peak_memory() as peak:
        try:
            post = eng.posterior(fs, rs)
        except CostLimitError:
            pass
        else:
            assert np.all((post >= 0) & (post <= 1))
    assert peak() < 2**30  # within the default budget's memory (8 GiB), far below it in fact
