"""explain: leave-one-out effects recompute exactly, unconfirmed evidence, citations, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toeprob
from tests.brute_force import BruteForceEngine
from toeprob.knowledge.evidence import parse_evidence
from toeprob.reasoning.explaining import explain_diagnosis

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


@SETTINGS
@given(data=st.data())
def test_effects_recompute_to_the_reported_posterior(tiny: toeprob.Model, data: st.DataObject) -> None:
    ids = [*tiny.findings, *tiny.risk_factors]
    ev = data.draw(st.dictionaries(st.sampled_from(ids), st.booleans(), min_size=1, max_size=5))
    cause = data.draw(st.sampled_from(tiny.causes))
    e = toeprob.explain(ev, cause, model=tiny)
    assert e.posterior == pytest.approx(toeprob.rank_causes(ev, model=tiny).probability(cause), abs=1e-12)
    assert e.prior == tiny.cause_specs[cause].prior
    assert {x.identifier for x in e.effects} == set(ev)
    for x in e.effects:
        assert x.present == ev[x.identifier]
        without = {k: v for k, v in ev.items() if k != x.identifier}
        p_without = toeprob.rank_causes(without, model=tiny).probability(cause)
        assert x.probability_without == pytest.approx(p_without, abs=1e-12)
        # the effect and the probability without it give back the reported posterior
        assert _logit(x.probability_without) + x.effect == pytest.approx(_logit(e.posterior), abs=1e-9)


def test_effects_match_brute_force(tiny: toeprob.Model) -> None:
    bf = BruteForceEngine(tiny)
    ev = {"twitch": True, "weak": True, "night": False, "other": True}
    c = tiny.causes.index("serious")

    def post(evidence: dict[str, bool]) -> float:
        e = parse_evidence(evidence, tiny)
        return float(bf.posterior(e.finding_state, e.rf_state)[c])

    e = toeprob.explain(ev, "serious", model=tiny)
    assert e.posterior == pytest.approx(post(ev), abs=1e-12)
    for x in e.effects:
        rest = {k: v for k, v in ev.items() if k != x.identifier}
        assert x.effect == pytest.approx(_logit(post(ev)) - _logit(post(rest)), abs=1e-9)
    for u in e.unconfirmed:
        assert u.probability_if_present == pytest.approx(post({**ev, u.identifier: True}), abs=1e-12)
        assert u.effect == pytest.approx(_logit(u.probability_if_present) - _logit(post(ev)), abs=1e-9)


def test_supporting_and_opposing_are_split_and_ordered(tiny: toeprob.Model) -> None:
    ev = {"twitch": True, "weak": True, "drop": False, "ache": False, "night": True, "other": True}
    e = toeprob.explain(ev, "serious", model=tiny)
    sup = [x.effect for x in e.supporting]
    opp = [x.effect for x in e.opposing]
    assert sup and opp
    assert all(v > 0 for v in sup) and sup == sorted(sup, reverse=True)
    assert all(v < 0 for v in opp) and opp == sorted(opp)
    assert e.effects[: len(sup)] == e.supporting  # supporting first, then opposing
    # weakness is a direct, cited link of the serious cause; denied foot drop opposes it
    weak = next(x for x in e.effects if x.identifier == "weak")
    assert weak.effect > 0 and weak.links and weak.sources == ("clinical",)
    assert weak.links[0].strength == "usually"
    drop = next(x for x in e.effects if x.identifier == "drop")
    assert drop.effect < 0
    # night is linked only to the benign cause: its effect on 'serious' is indirect (explaining away)
    night = next(x for x in e.effects if x.identifier == "night")
    assert night.links == () and night.sources == ()


def test_unconfirmed_evidence_lists_the_unasked_extremes(tiny: toeprob.Model) -> None:
    ev = {"twitch": True}
    e = toeprob.explain(ev, "serious", model=tiny, n_unconfirmed=2)
    assert len(e.would_raise) <= 2 and len(e.would_lower) <= 2
    assert all(u.identifier not in ev for u in e.unconfirmed)
    every = toeprob.explain(ev, "serious", model=tiny, n_unconfirmed=100)
    rises = sorted((u.effect for u in every.unconfirmed if u.effect > 0), reverse=True)
    assert [u.effect for u in e.would_raise] == rises[:2]
    assert e.would_raise[0].identifier == "drop"  # foot drop is the strongest sign of the serious cause
    assert e.would_raise[0].question == tiny.finding_specs["drop"].question
    assert toeprob.explain(ev, "serious", model=tiny, n_unconfirmed=0).unconfirmed == ()


def test_diagnosis_explain_delegates(tiny: toeprob.Model) -> None:
    ev = {"twitch": True, "night": True}
    d = toeprob.rank_causes(ev, model=tiny)
    assert d.explain("benign") == toeprob.explain(ev, "benign", model=tiny)
    reasoner = toeprob.Reasoner.for_model(tiny)
    assert explain_diagnosis(reasoner, d, "benign", n_unconfirmed=1) == d.explain("benign", n_unconfirmed=1)


def test_explain_raises(tiny: toeprob.Model) -> None:
    with pytest.raises(
        toeprob.ParameterKeyError, match="'serius' is not a cause of model 'tiny'. Closest: serious"
    ):
        toeprob.explain({}, "serius", model=tiny)
    with pytest.raises(KeyError):
        toeprob.explain({}, "nothing_like_it", model=tiny)
    with pytest.raises(toeprob.ParameterKeyError, match="'twitch' is not a cause.*It is evidence") as info:
        toeprob.explain({}, "twitch", model=tiny)
    assert isinstance(info.value, ValueError) and not isinstance(info.value, toeprob.EvidenceError)
    with pytest.raises(toeprob.ParameterTypeError, match="The 'cause' parameter of explain must be a cause"):
        toeprob.explain({}, 3, model=tiny)  # type: ignore[arg-type]
    with pytest.raises(toeprob.UnknownIdentifierError, match="twitch"):
        toeprob.explain({"twich": True}, "serious", model=tiny)
    with pytest.raises(toeprob.ParameterError, match="'n_unconfirmed' parameter"):
        toeprob.explain({}, "serious", model=tiny, n_unconfirmed=-1)
    with pytest.raises(toeprob.ParameterKeyError, match="Closest: benign"):
        toeprob.rank_causes({}, model=tiny).explain("benig")
