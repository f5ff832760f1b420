"""Urgency levels: labels parse back to their level; a misspelt label names the closest one."""

from __future__ import annotations

import pytest

import toeprob
from toeprob import Urgency


@pytest.mark.parametrize("label", ["self_care", "routine", "soon", "urgent", "emergency"])
def test_urgency_parse_round_trip(label: str) -> None:
    assert Urgency.parse(label).label == label


def test_urgency_parse_raises_with_close_match() -> None:
    with pytest.raises(ValueError, match="'urgnt' is not an urgency level. Closest: urgent.") as info:
        Urgency.parse("urgnt")
    assert isinstance(info.value, toeprob.ParameterKeyError) and isinstance(info.value, KeyError)
    assert "Allowed: self_care, routine, soon, urgent, emergency." in str(info.value)
    with pytest.raises(toeprob.ParameterTypeError, match="3 is not an urgency level"):
        Urgency.parse(3)  # type: ignore[arg-type]
