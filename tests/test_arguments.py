"""Wrong arguments get clear errors naming the parameter and the type; huge inputs stay cheap."""

from __future__ import annotations

from typing import Any

import pytest

import toeprob
from toeprob import (
    EvidenceError,
    Interview,
    ParameterError,
    ParameterKeyError,
    ParameterTypeError,
    rank_batch,
    rank_causes,
)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda: rank_causes({}, model="x.toml"),
            "The 'model' parameter of rank_causes must be a toeprob.Model",
        ),
        (lambda: rank_batch([], model="x"), "The 'model' parameter of rank_batch must be a toeprob.Model"),
        (lambda: Interview(policy="x"), "The 'policy' parameter of Interview must be an InterviewPolicy"),
        (
            lambda: Interview(model=3),
            "The 'model' parameter of Interview must be a toeprob.Model or None. Got 3",
        ),
        (lambda: toeprob.explain({}, "dehydration", model={}), "The 'model' parameter of explain"),
        (lambda: toeprob.suggest_questions({}, policy=1), "The 'policy' parameter of suggest_questions"),
        (lambda: toeprob.evaluate([], model="m.toml"), "The 'model' parameter of evaluate"),
        (
            lambda: rank_causes({}, engine=None),
            "The 'engine' parameter of rank_causes must be one of 'fast', 'pgmpy'",
        ),
        (
            lambda: rank_batch({"cramp": True}),
            "DataFrame or an iterable of mappings. Got {'cramp': True} (dict)",
        ),
        (lambda: rank_batch("cramp"), "DataFrame or an iterable of mappings. Got 'cramp' (str)"),
        (lambda: rank_batch([], progress="yes"), "The 'progress' parameter of rank_batch must be a bool"),
    ],
)
def test_wrong_types_name_parameter_and_type(call: Any, expected: str) -> None:
    with pytest.raises(ParameterTypeError) as info:
        call()
    assert expected in str(info.value)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)
    assert not isinstance(info.value, EvidenceError)


def test_parameter_values_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="The 'chunk_size' parameter of rank_batch must be an int >= 1"):
        rank_batch([], chunk_size=True)
    with pytest.raises(ParameterError, match="'engine' parameter of rank_causes.*Got 'exact'"):
        rank_causes({}, engine="exact")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="'k' parameter"):
        toeprob.suggest_questions({}, k=0)


def test_probability_of_an_unknown_cause() -> None:
    d = rank_causes({"cramp": True})
    with pytest.raises(
        ParameterKeyError, match="'dehydratoin' is not a cause of model 'default'. Closest: dehydration"
    ) as info:
        d.probability("dehydratoin")
    assert not isinstance(info.value, EvidenceError)
    with pytest.raises(KeyError):
        d.probability("bogus")
    message = r"The 'cause' parameter of Diagnosis.probability must be a cause \(a str\). Got 3 \(int\)"
    with pytest.raises(ParameterTypeError, match=message):
        d.probability(3)  # type: ignore[arg-type]


def test_huge_identifier_is_fast_and_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10 MB name is never compared character by character (difflib's cost grows with the product
    of the lengths), and the message echoes only its beginning. Checked by what is called, not by time."""
    import difflib

    compared: list[int] = []
    real = difflib.SequenceMatcher.set_seq2

    def spy(self: difflib.SequenceMatcher[str], b: str) -> None:
        compared.append(len(b))
        real(self, b)

    monkeypatch.setattr(difflib.SequenceMatcher, "set_seq2", spy)
    name = "cramp" * 2_000_000  # 10 MB
    for call in (
        lambda: rank_causes({name: True}),
        lambda: rank_batch([{name: True}]),
        lambda: rank_causes({"cramp": name}),
        lambda: rank_causes({}).probability(name),
        lambda: toeprob.Urgency.parse(name),
        lambda: Interview().answer(name, True),
    ):
        with pytest.raises(toeprob.ToeprobError) as info:
            call()
        assert len(str(info.value)) < 400, str(info.value)[:500]
    assert max(compared, default=0) < 1_000  # the huge name never reached difflib
