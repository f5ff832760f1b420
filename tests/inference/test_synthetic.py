"""Synthetic networks: reproducible from their seed, valid, every cause with a finding."""

from __future__ import annotations

import pytest

from toeprob.inference.compiled import compile_model
from toeprob.inference.synthetic import synthetic_model


def test_synthetic_model_is_reproducible_and_valid():
    a, b = synthetic_model(20, seed=7), synthetic_model(20, seed=7)
    assert a.to_dict() == b.to_dict()
    assert synthetic_model(20, seed=8).to_dict() != a.to_dict()
    cm = compile_model(a)
    assert (cm.finding_weight > 0).any(axis=0).all()  # every cause has a finding
    with pytest.raises(ValueError, match="n_causes"):
        synthetic_model(0)
