"""Numeric helpers: log-odds that stay finite at probabilities 0 and 1."""

from __future__ import annotations

import numpy as np

from toeprob.numeric import logit


def test_logit_clips_to_finite_values() -> None:
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()
