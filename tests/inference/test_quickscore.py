"""Quickscore: rows that cancel beyond its limit are recomputed in extended precision, and agree."""

from __future__ import annotations

import numpy as np
import pytest

from toeprob.inference.exact import ExactEngine
from toeprob.inference.synthetic import sample_evidence


@pytest.mark.slow
def test_extended_precision_rows_agree_with_elimination(default_engine):
    from toeprob.inference.quickscore import (
        CANCELLATION_LIMIT,
        EXTENDED,
        PRECISE_MAX_PRESENT,
        quickscore_rows,
    )

    if not EXTENDED:
        pytest.skip("np.longdouble is float64 on this platform")
    cm = default_engine.compiled
    stable = ExactEngine(cm, max_present=0)
    fss, rss = sample_evidence(cm, 600, seed=9)
    multi = (fss == 1) & (cm.finding_parent_count >= 2)
    checked = 0
    for k in np.flatnonzero((multi.sum(axis=1) >= 4) & (multi.sum(axis=1) <= PRECISE_MAX_PRESENT)):
        present = np.flatnonzero(multi[k])[None]
        cancel = quickscore_rows(cm, fss[k : k + 1], rss[k : k + 1], present)[2][0]
        if cancel <= CANCELLATION_LIMIT or default_engine.uses_fallback(fss[k], rss[k]):
            continue
        want = stable.posterior(fss[k], rss[k])
        assert np.abs(default_engine.posterior(fss[k], rss[k]) - want).max() <= 1e-10
        assert abs(default_engine.log_evidence(fss[k], rss[k]) - stable.log_evidence(fss[k], rss[k])) <= 1e-10
        checked += 1
        if checked == 8:
            break
    assert checked >= 3  # realistic rows do reach the extended-precision path
