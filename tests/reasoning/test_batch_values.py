"""rank_batch accepts and refuses exactly the cells that rank_causes accepts and refuses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toeprob import EvidenceError, Model, ToeprobError, UnknownIdentifierError, rank_batch, rank_causes

# Each value in several types: True, 1 and 1.0 are equal as dict keys but not as evidence.
VALUES: list[Any] = [
    True,
    False,
    np.True_,
    np.False_,
    None,
    np.nan,
    pd.NA,
    "yes",
    "no",
    " Present ",
    "absent",
    "unknown",
    "",
    "?",
    1,
    0,
    1.0,
    0.0,
    np.int64(1),
    np.float64(0.0),
    "maybe",
    [True],
    {"yes": 1},
    (True,),
]
ACCEPTED = VALUES[:14]
COLUMNS = ["cramp", "numbness", "diabetes", " cramp", "tetanus", "numbnes"]


def _single(rows: list[dict[str, Any]]) -> list[dict[str, float]] | type[Exception]:
    out = []
    for row in rows:
        try:
            d = rank_causes(row)
        except ToeprobError as exc:
            return type(exc)
        out.append({rc.cause: rc.probability for rc in d.ranked} | {"urgency": d.urgency.label})
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.lists(st.sampled_from(COLUMNS[:4]), min_size=1, max_size=3, unique=True),
    data=st.data(),
    extra=st.sampled_from([None, None, None, "tetanus", "numbnes"]),
)
def test_batch_and_single_calls_agree_on_every_value(
    columns: list[str], data: Any, extra: str | None
) -> None:
    if extra is not None:
        columns = [*columns, extra]
    clean = data.draw(st.booleans())  # half the examples hold accepted values only
    pool = ACCEPTED if clean and extra is None else VALUES
    n_rows = data.draw(st.integers(1, 4))
    rows = [{c: data.draw(st.sampled_from(pool)) for c in columns} for _ in range(n_rows)]
    frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})
    single = _single(rows)
    if isinstance(single, type):
        with pytest.raises(ToeprobError) as info:
            rank_batch(frame)
        assert isinstance(info.value, EvidenceError | UnknownIdentifierError) or issubclass(
            single, type(info.value)
        )
        # the iterable form is validated row by row, as rank_causes: the same error class
        with pytest.raises(single):
            rank_batch(rows)
        return
    for out in (rank_batch(frame), rank_batch(rows)):
        for i, expected in enumerate(single):
            assert out.iloc[i]["urgency"] == expected.pop("urgency")
            assert out.iloc[i][list(expected)].to_dict() == expected  # exactly equal
            expected["urgency"] = out.iloc[i]["urgency"]


def test_true_one_and_one_point_zero_are_not_one_key() -> None:
    for cells in ([True, 1.0], [1.0, True], [True, 1], [False, 0]):
        with pytest.raises(EvidenceError, match=r"column 'cramp'.*is not an accepted value"):
            rank_batch(pd.DataFrame({"cramp": cells}))
    with pytest.raises(EvidenceError, match=r"row 1, column 'cramp': evidence 'cramp': 1\.0 \(float\)"):
        rank_batch(pd.DataFrame({"cramp": [True, 1.0]}))


@pytest.mark.parametrize("dtype", ["boolean", "string"])
def test_nullable_columns_with_na_mean_unknown(model: Model, dtype: str) -> None:
    cells = [True, None, False] if dtype == "boolean" else ["yes", None, "no"]
    frame = pd.DataFrame(
        {"cramp": pd.array(cells, dtype=dtype), "diabetes": pd.array(cells[::-1], dtype=dtype)}
    )
    out = rank_batch(frame)
    for i in range(3):
        d = rank_causes({"cramp": cells[i], "diabetes": cells[2 - i]})
        assert out.loc[i, "top_cause"] == d.top.cause
        assert out.loc[i, list(model.causes)].tolist() == [d.probability(c) for c in model.causes]


def test_a_list_cell_names_row_and_column() -> None:
    frame = pd.DataFrame({"cramp": [True, [True, False]]}, index=["a", "b"])
    with pytest.raises(
        EvidenceError, match=r"row 'b', column 'cramp': evidence 'cramp': \[True, False\] \(list\)"
    ):
        rank_batch(frame)


def test_duplicate_and_clashing_columns() -> None:
    with pytest.raises(EvidenceError, match="duplicate column names: 'cramp'"):
        rank_batch(pd.DataFrame([[True, True]], columns=["cramp", "cramp"]))
    clash = pd.DataFrame({"cramp": [True, True], " cramp": [None, False]})
    with pytest.raises(EvidenceError, match="row 1: columns 'cramp' and ' cramp' both give evidence 'cramp'"):
        rank_batch(clash)
    with pytest.raises(EvidenceError, match="given twice with different values"):
        rank_causes({"cramp": True, " cramp": False})
    agree = rank_batch(pd.DataFrame({"cramp": [True, None], " cramp": [None, False]}))
    assert agree.loc[1, "top_cause"] == rank_causes({"cramp": False}).top.cause
    assert agree.loc[0, "top_cause"] == rank_causes({"cramp": True}).top.cause


def test_two_names_for_one_identifier_in_mappings() -> None:
    rows = [{"cramp": True}, {"cramp": True, " cramp": True}, {" cramp": False, "diabetes": True}]
    out = rank_batch(rows)
    for k, row in enumerate(rows):
        assert out.loc[k, "top_probability"] == rank_causes(row).top.probability
    with pytest.raises(EvidenceError, match="row 1: .*given twice with different values"):
        rank_batch([{"cramp": True}, {"cramp": True, " cramp": False}])


def test_nan_and_na_mean_unknown_in_single_calls_too() -> None:
    base = rank_causes({}).probability("dehydration")
    for value in (np.nan, pd.NA, None, np.float32("nan")):
        assert rank_causes({"cramp": value}).probability("dehydration") == base
