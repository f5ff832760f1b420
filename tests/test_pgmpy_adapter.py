"""The pgmpy export is exactly the model: checked against brute-force enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from brute_force import BruteForceEngine

from toeprob import Model
from toeprob.pgmpy_adapter import STATES, noisy_or_table, to_pgmpy


def test_noisy_or_table_layout() -> None:
    table = noisy_or_table(0.1, [0.5, 0.2])
    # columns: (p1, p2) = 00, 01, 10, 11 with the first parent slowest
    expected_absent = 0.9 * np.array([1.0, 0.8, 0.5, 0.4])
    np.testing.assert_allclose(table[0], expected_absent)
    np.testing.assert_allclose(table.sum(axis=0), 1.0)


def test_default_network_is_valid(model: Model) -> None:
    net = model.to_pgmpy()
    assert net.check_model()
    for cpd in net.get_cpds():
        assert tuple(cpd.state_names[cpd.variable]) == STATES
    assert set(model.causes) | set(model.findings) | set(model.risk_factors) <= set(net.nodes())


@pytest.mark.parametrize("max_parents", [None, 2, 3])
def test_export_is_exact_on_the_tiny_model(tiny: Model, max_parents: int | None) -> None:
    from pgmpy.inference import VariableElimination

    net = to_pgmpy(tiny, max_table_parents=max_parents)
    assert net.check_model()
    oracle = BruteForceEngine(tiny)
    infer = VariableElimination(net)
    rng = np.random.default_rng(7)
    for _ in range(10):
        fs = rng.integers(-1, 2, len(tiny.findings)).astype(np.int8)
        rs = rng.integers(-1, 2, len(tiny.risk_factors)).astype(np.int8)
        ev = {f: STATES[s] for f, s in zip(tiny.findings, fs, strict=True) if s >= 0}
        ev |= {r: STATES[s] for r, s in zip(tiny.risk_factors, rs, strict=True) if s >= 0}
        expected = oracle.posterior(fs, rs)
        for i, cause in enumerate(tiny.causes):
            q = infer.query([cause], evidence=ev, show_progress=False)
            assert q.values[list(q.state_names[cause]).index("present")] == pytest.approx(
                expected[i], abs=1e-12
            )


def test_to_pgmpy_raises_on_bad_parent_limit(tiny: Model) -> None:
    with pytest.raises(ValueError, match="max_table_parents"):
        to_pgmpy(tiny, max_table_parents=1)
