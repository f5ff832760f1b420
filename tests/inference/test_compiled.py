"""Compiling models to arrays: shapes, index maps, structure, validation."""

from __future__ import annotations

import numpy as np
import pytest

from toeprob.inference.compiled import compile_arrays, compile_model


def test_compile_model_arrays(model):
    cm = compile_model(model)
    n_c, n_f, n_r = len(model.causes), len(model.findings), len(model.risk_factors)
    assert cm.causes == model.causes and cm.findings == model.findings
    assert cm.rf_weight.shape == (n_r, n_c) and cm.finding_weight.shape == (n_f, n_c)
    for lk in model.finding_links:
        assert cm.finding_weight[cm.finding_index[lk.child], cm.cause_index[lk.parent]] == lk.probability
    for lk in model.risk_links:
        assert cm.rf_weight[cm.risk_factor_index[lk.parent], cm.cause_index[lk.child]] == lk.probability
    assert np.allclose(cm.cause_leak, [model.cause_specs[c].leak for c in model.causes])
    assert not cm.rf_weight.flags.writeable


def test_compile_arrays_rejects_bad_input():
    good = dict(
        causes=["c"],
        findings=["f"],
        risk_factors=["r"],
        rf_prevalence=[0.1],
        cause_leak=[0.1],
        rf_weight=[[0.5]],
        finding_leak=[0.01],
        finding_weight=[[0.9]],
    )
    compile_arrays(**good)
    with pytest.raises(ValueError, match="shape"):
        compile_arrays(**{**good, "rf_weight": [[0.5, 0.2]]})
    with pytest.raises(ValueError, match="probabilities"):
        compile_arrays(**{**good, "finding_weight": [[1.5]]})
    with pytest.raises(ValueError, match="below 1"):
        compile_arrays(**{**good, "cause_leak": [1.0]})
    with pytest.raises(ValueError, match="duplicate"):
        compile_arrays(
            **{
                **good,
                "causes": ["c", "c"],
                "cause_leak": [0.1, 0.1],
                "rf_weight": [[0.5, 0.5]],
                "finding_weight": [[0.9, 0.9]],
            }
        )
