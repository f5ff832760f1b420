"""rank_causes: ranking, validation of evidence, agreement with the pgmpy reference."""

from __future__ import annotations

import copy
import gc
import weakref

import numpy as np
import pytest

import toeprob
from tests.brute_force import BruteForceEngine
from toeprob import (
    EvidenceError,
    EvidenceTypeError,
    Model,
    UnknownIdentifierError,
    rank_causes,
)
from toeprob.knowledge.evidence import parse_evidence


def test_ranking_is_sorted_and_complete(model: Model) -> None:
    d = rank_causes({"numbness": "yes", "burning_pain": "yes", "diabetes": True})
    probs = [rc.probability for rc in d.ranked]
    keys = [(-float(np.round(rc.probability, 9)), rc.cause) for rc in d.ranked]
    assert keys == sorted(keys)  # probability first; equal to 9 decimals: by identifier
    assert sorted(rc.cause for rc in d.ranked) == sorted(model.causes)
    assert d.top.cause == "peripheral_neuropathy"
    assert all(0.0 <= p <= 1.0 for p in probs)


def test_no_evidence_gives_the_priors(model: Model) -> None:
    d = rank_causes({})
    for rc in d.ranked:
        assert rc.probability == pytest.approx(model.cause_specs[rc.cause].prior, abs=1e-12)


def test_ties_are_broken_by_identifier(tiny: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    class TiedEngine:
        def posterior(self, fs: object, rs: object) -> np.ndarray:
            return np.array([0.1, 0.5, 0.5])  # benign, middling, serious

        def posterior_batch(self, fs: np.ndarray, rs: object, groups: object = None) -> np.ndarray:
            return np.tile(self.posterior(fs, rs), (len(fs), 1))

    reasoner = toeprob.Reasoner(tiny)
    monkeypatch.setattr(reasoner, "engine", TiedEngine())
    d = reasoner.rank({})
    assert [rc.cause for rc in d.ranked] == ["middling", "serious", "benign"]


def test_matches_brute_force_on_tiny_model(tiny: Model) -> None:
    oracle = BruteForceEngine(tiny)
    ev = {"twitch": True, "ache": False, "shared": True}
    parsed = parse_evidence(ev, tiny)
    expected = oracle.posterior(parsed.finding_state, parsed.rf_state)
    d = rank_causes(ev, model=tiny)
    for i, cause in enumerate(tiny.causes):
        assert d.probability(cause) == pytest.approx(expected[i], abs=1e-12)


@pytest.mark.slow
def test_pgmpy_engine_agrees_with_the_fast_engine(model: Model) -> None:
    ev = {"cramp": True, "numbness": True, "diabetes": True, "tight_footwear": False}
    fast = rank_causes(ev)
    ref = rank_causes(ev, engine="pgmpy")
    for rc in fast.ranked:
        assert ref.probability(rc.cause) == pytest.approx(rc.probability, abs=1e-9)
    assert ref.urgency == fast.urgency


def test_strings_and_booleans_are_the_same(model: Model) -> None:
    a = rank_causes({"numbness": "yes", "cramp": "present", "diabetes": "no", "smoker": "absent"})
    b = rank_causes({"numbness": True, "cramp": True, "diabetes": False, "smoker": False})
    assert a.ranked == b.ranked and a.urgency == b.urgency


def test_unknown_values_equal_not_given(model: Model) -> None:
    a = rank_causes({"numbness": True, "cramp": None, "smoker": "unknown"})
    b = rank_causes({"numbness": True})
    assert a.ranked == b.ranked and a.evidence == b.evidence


def test_rank_causes_raises_on_unknown_identifier_with_close_matches() -> None:
    with pytest.raises(UnknownIdentifierError, match="'numbnes'.*Closest: numbness") as info:
        rank_causes({"numbnes": True})
    assert isinstance(info.value, ValueError) and isinstance(info.value, KeyError)


def test_rank_causes_raises_on_cause_as_evidence() -> None:
    with pytest.raises(EvidenceError, match="'tetanus' is a cause"):
        rank_causes({"tetanus": True})


@pytest.mark.parametrize("value", ["maybe", 3, 0.5, [True]])
def test_rank_causes_raises_on_bad_values(value: object) -> None:
    with pytest.raises(ValueError, match="numbness.*not an accepted value"):
        rank_causes({"numbness": value})


def test_rank_causes_raises_on_bad_names_and_types() -> None:
    with pytest.raises(EvidenceError, match="empty name"):
        rank_causes({" ": True})
    with pytest.raises(EvidenceTypeError, match="names must be strings"):
        rank_causes({1: True})  # type: ignore[dict-item]
    with pytest.raises(EvidenceTypeError, match="must be a mapping"):
        rank_causes(["numbness"])  # type: ignore[arg-type]
    with pytest.raises(toeprob.ParameterError, match="'engine' parameter of rank_causes must be one of"):
        rank_causes({}, engine="magic")  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize(
    "evidence", [{}, {"cramp": True}, {"numbness": True, "burning_pain": True, "diabetes": True}]
)
def test_tie_order_is_the_same_with_either_engine(evidence: dict[str, bool]) -> None:
    fast = rank_causes(evidence)
    slow = rank_causes(evidence, engine="pgmpy")
    probs = [rc.probability for rc in fast.ranked]
    assert len(set(np.round(probs, 9))) < len(probs)  # the case has ties (symmetric causes)
    assert [rc.cause for rc in slow.ranked] == [rc.cause for rc in fast.ranked]


def test_one_reasoner_per_model_and_budget_freed_with_its_model(tiny: Model) -> None:
    model = copy.deepcopy(tiny)  # a model of its own: nothing else holds it
    shared = toeprob.Reasoner.for_model(model)
    assert toeprob.Reasoner.for_model(model) is shared
    assert toeprob.Reasoner.for_model(model, budget=toeprob.Budget()) is not shared
    assert toeprob.Reasoner.for_model(copy.deepcopy(model)) is not shared  # a copy starts anew
    rank_causes({}, model=model)
    alive = weakref.ref(model), weakref.ref(shared)
    del model, shared
    gc.collect()
    assert [ref() for ref in alive] == [None, None]  # the reasoner does not keep its model alive
