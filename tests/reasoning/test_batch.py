"""rank_batch: the same numbers as rank_causes, case by case; validation names row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toeprob import EvidenceError, Model, UnknownIdentifierError, rank_batch, rank_causes
from toeprob.errors import ParameterError, ParameterTypeError


def _random_cases(model: Model, n: int, seed: int) -> list[dict[str, bool]]:
    rng = np.random.default_rng(seed)
    ids = [*model.findings, *model.risk_factors]
    cases = []
    for _ in range(n):
        chosen = rng.choice(ids, size=rng.integers(0, 8), replace=False)
        cases.append({str(k): bool(rng.integers(0, 2)) for k in chosen})
    return cases


def test_batch_equals_single_calls(model: Model) -> None:
    cases = _random_cases(model, 40, seed=3)
    out = rank_batch(cases, chunk_size=7)
    assert list(out.index) == list(range(40))
    for i, case in enumerate(cases):
        d = rank_causes(case)
        assert out.loc[i, "top_cause"] == d.top.cause
        assert out.loc[i, "urgency"] == d.urgency.label
        for rc in d.ranked:
            assert out.loc[i, rc.cause] == rc.probability  # exactly equal


def test_dataframe_input_with_missing_values(model: Model) -> None:
    frame = pd.DataFrame(
        {"cramp": [True, None, "yes"], "numbness": [np.nan, False, True]}, index=["a", "b", "c"]
    )
    out = rank_batch(frame)
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["b", "peripheral_neuropathy"] == rank_causes({"numbness": False}).probability(
        "peripheral_neuropathy"
    )
    assert out["urgency"].cat.ordered


def test_rank_batch_raises_naming_row_and_column() -> None:
    with pytest.raises(EvidenceError, match="row 'y', column 'cramp'.*'often'"):
        rank_batch(pd.DataFrame({"cramp": [True, "often"]}, index=["x", "y"]))
    with pytest.raises(UnknownIdentifierError, match="column 'cramps'.*Closest: cramp"):
        rank_batch(pd.DataFrame({"cramps": [True]}))
    with pytest.raises(EvidenceError, match="column 'tetanus': 'tetanus' is a cause"):
        rank_batch(pd.DataFrame({"tetanus": [True]}))
    with pytest.raises(UnknownIdentifierError, match="row 1: 'cramps'"):
        rank_batch([{"cramp": True}, {"cramps": True}])
    with pytest.raises(ParameterTypeError, match="DataFrame or an iterable"):
        rank_batch({"cramp": True})  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="chunk_size"):
        rank_batch([], chunk_size=0)


def test_empty_batch(model: Model) -> None:
    out = rank_batch([])
    assert len(out) == 0 and list(out.columns[: len(model.causes)]) == list(model.causes)


def test_progress_bar_is_opt_in(capsys: pytest.CaptureFixture[str], model: Model) -> None:
    rank_batch(_random_cases(model, 5, seed=1))
    assert capsys.readouterr().err == ""
    rank_batch(_random_cases(model, 5, seed=1), progress=True, chunk_size=2)
    assert "toeprob" in capsys.readouterr().err
