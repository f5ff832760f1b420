"""suggest_questions: exact gains (recomputed by brute force), red flags first, the stop rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toeprob
from tests.brute_force import BruteForceEngine
from toeprob.knowledge.evidence import parse_evidence
from toeprob.knowledge.urgency import Urgency
from toeprob.reasoning.questioning import InterviewPolicy, expected_information_gain
from toeprob.reasoning.reasoner import suggest_questions
from toeprob.results.questions import BACKGROUND_CHECKLIST, RED_FLAG_CHECKLIST, StopReason

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _evidence(model: toeprob.Model) -> st.SearchStrategy[dict[str, bool]]:
    ids = [*model.findings, *model.risk_factors]
    return st.dictionaries(st.sampled_from(ids), st.booleans(), max_size=5)


def _h(p: float) -> float:
    return 0.0 if p <= 0.0 or p >= 1.0 else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def _brute_gain(
    bf: BruteForceEngine, model: toeprob.Model, ev: dict[str, bool], q: str
) -> tuple[float, float]:
    """P(yes | E) and the gain, from enumeration of the joint (independent of the engine)."""
    e = parse_evidence(ev, model)
    le = bf.log_evidence(e.finding_state, e.rf_state)
    base = bf.posterior(e.finding_state, e.rf_state)
    post = {}
    for value in (True, False):
        e2 = parse_evidence({**ev, q: value}, model)
        post[value] = bf.posterior(e2.finding_state, e2.rf_state)
        if value:
            p_yes = math.exp(bf.log_evidence(e2.finding_state, e2.rf_state) - le)
    gain = sum(
        _h(base[c]) - p_yes * _h(post[True][c]) - (1 - p_yes) * _h(post[False][c]) for c in range(len(base))
    )
    return p_yes, gain


@pytest.fixture(scope="module")
def bf(tiny: toeprob.Model) -> BruteForceEngine:
    return BruteForceEngine(tiny)


def test_gains_and_answer_probabilities_match_brute_force(tiny: toeprob.Model, bf: BruteForceEngine) -> None:
    ev = {"twitch": True, "shared": False}
    ranking = suggest_questions(ev, model=tiny, k=100)
    singles = [q for q in ranking.questions if not q.is_checklist]
    assert {q.id for q in singles} == ({*tiny.findings, *tiny.risk_factors} - set(ev))
    for q in singles:
        assert q.ids == (q.id,)
        p_yes, gain = _brute_gain(bf, tiny, ev, q.id)
        assert q.p_yes == pytest.approx(p_yes, abs=1e-9)
        assert q.gain == pytest.approx(gain, abs=1e-9)
        assert q.text == (
            tiny.finding_specs[q.id].question
            if q.kind == "finding"
            else tiny.risk_factor_specs[q.id].question
        )


@SETTINGS
@given(data=st.data())
def test_gain_is_non_negative_and_posteriors_are_a_martingale(
    tiny: toeprob.Model, data: st.DataObject
) -> None:
    ev = data.draw(_evidence(tiny))
    ranking = suggest_questions(ev, model=tiny, k=100)
    base = np.array([ranking.diagnosis.probability(c) for c in tiny.causes])
    for q in ranking.questions:
        assert q.gain >= 0.0 and q.value >= 0.0
        if q.is_checklist:
            continue
        assert 0.0 <= q.p_yes <= 1.0
        yes = toeprob.rank_causes({**ev, q.id: True}, model=tiny)
        no = toeprob.rank_causes({**ev, q.id: False}, model=tiny)
        mix = [q.p_yes * yes.probability(c) + (1 - q.p_yes) * no.probability(c) for c in tiny.causes]
        np.testing.assert_allclose(mix, base, atol=1e-9)  # asking changes nothing in expectation


@SETTINGS
@given(data=st.data())
def test_an_answer_that_is_certain_changes_nothing(
    tiny: toeprob.Model, bf: BruteForceEngine, data: st.DataObject
) -> None:
    # Asking again a question already answered: the model is certain of the answer (P = 1), the
    # posterior after that answer is the current one, and the expected gain is exactly zero.
    ev = data.draw(_evidence(tiny).filter(bool))
    q = data.draw(st.sampled_from(sorted(ev)))
    e = parse_evidence(ev, tiny)
    again = parse_evidence({**ev, q: ev[q]}, tiny)
    p_same = math.exp(
        bf.log_evidence(again.finding_state, again.rf_state) - bf.log_evidence(e.finding_state, e.rf_state)
    )
    assert p_same == 1.0
    base = bf.posterior(e.finding_state, e.rf_state)
    np.testing.assert_array_equal(bf.posterior(again.finding_state, again.rf_state), base)
    other = np.full_like(base, 0.5)  # the impossible answer's posterior is irrelevant: weight 0
    yes, no = (base, other) if ev[q] else (other, base)
    assert float(expected_information_gain(1.0 if ev[q] else 0.0, base, yes, no)) == 0.0
    assert all(q not in x.ids for x in suggest_questions(ev, model=tiny, k=100).questions)


def test_a_nearly_certain_finding_has_nearly_no_gain(tiny_data: dict[str, Any]) -> None:
    tiny_data["scales"]["prevalence"]["values"]["almost_always"] = 0.999999
    tiny_data["findings"]["night"]["leak"] = "almost_always"
    model = toeprob.Model.from_dict(tiny_data)
    night = next(q for q in suggest_questions({}, model=model, k=100).questions if q.id == "night")
    assert night.p_yes > 0.999999
    assert night.gain < 1e-5
    before, after = toeprob.rank_causes({}, model=model), toeprob.rank_causes({"night": True}, model=model)
    for c in model.causes:
        assert after.probability(c) == pytest.approx(before.probability(c), abs=1e-5)


def test_expected_information_gain_of_a_perfect_test_is_the_entropy() -> None:
    got = expected_information_gain(
        np.array([0.2]), np.array([0.2, 0.5]), np.array([[1.0, 0.5]]), np.array([[0.0, 0.5]])
    )
    assert got[0] == pytest.approx(_h(0.2))


def _flags_that_matter(model: toeprob.Model, ev: dict[str, bool], decision: bool) -> set[str]:
    """The unasked red flags whose yes raises the urgency or (``decision``) changes the top cause,
    each found by ranking the evidence with that flag answered yes."""
    now = toeprob.rank_causes(ev, model=model)
    top = int(np.argmax(np.asarray(now.posterior)))
    out = set()
    for flag, floor in model.red_flags.items():
        if flag in ev:
            continue
        yes = toeprob.rank_causes({**ev, flag: True}, model=model)
        moves = int(np.argmax(np.asarray(yes.posterior))) != top
        if floor > now.urgency or yes.urgency > now.urgency or (decision and moves):
            out.add(flag)
    return out


@SETTINGS
@given(data=st.data())
def test_the_red_flag_checklist_holds_every_flag_that_matters_for_the_decision(
    tiny: toeprob.Model, data: st.DataObject
) -> None:
    ev = data.draw(_evidence(tiny))
    threshold = data.draw(st.sampled_from([0.0, 0.01, 0.05, 0.2]))
    scope = data.draw(st.sampled_from(["decision", "urgency"]))
    policy = InterviewPolicy(red_flag_threshold=threshold, background_checklist=False, red_flag_scope=scope)
    ranking = suggest_questions(ev, model=tiny, k=100, policy=policy)
    urgency = ranking.diagnosis.urgency
    matter = _flags_that_matter(tiny, ev, decision=scope == "decision")
    above = {f for f, floor in tiny.red_flags.items() if floor > urgency and f not in ev}
    assert above <= matter  # every flag that could raise the urgency by its floor is in
    checklists = [q for q in ranking.questions if q.is_checklist]
    if ranking.stop_reason is StopReason.EMERGENCY:
        assert checklists == []
        return
    if not matter:
        assert checklists == []
        return
    assert len(checklists) == 1 and ranking.questions[0] is checklists[0]
    first = checklists[0]
    assert first.id == RED_FLAG_CHECKLIST and set(first.ids) == matter
    keys = [(-int(tiny.red_flags[f]), -ranking_p(ranking, f)) for f in first.ids]
    assert keys == sorted(keys)  # highest floor first, then the most probable
    plausible = [f for f in matter if ranking_p(ranking, f) >= threshold]
    assert first.pending_red_flag == bool(plausible)
    assert ranking.pending_red_flags == tuple(f for f in first.ids if f in plausible)
    assert ranking.stop_reason is None  # never stops before the checklist
    assert first.item_texts == tuple(tiny.finding_specs[f].question for f in first.ids)
    assert "safety" in first.why
    # once answered, the checklist is not asked again (unless as the final check, for safety)
    after = suggest_questions(
        ev, model=tiny, k=100, policy=policy, exclude=first.ids, checklists_asked=[RED_FLAG_CHECKLIST]
    )
    assert not any(q.is_checklist for q in after.questions)
    singles = [q for q in after.questions if not q.is_checklist]
    keys2 = [(-round(q.value, 9), -round(q.gain, 9)) for q in singles]
    assert keys2[1:] == sorted(keys2[1:])  # by value (the lookahead may bring one question first)


def test_a_red_flag_that_changes_the_top_cause_is_on_the_checklist(model: toeprob.Model) -> None:
    # after a head injury, new balance trouble is a red flag whose own floor (soon) is not above the
    # urgency, yet a yes changes the top cause (and, by the rule, the urgency): it is asked with the
    # other red flags in one step, not left to compete with single questions
    ev = {"myoclonic_jerk": True, "persists_weeks": True, "head_injury": True}
    now = toeprob.rank_causes(ev, model=model)
    yes = toeprob.rank_causes({**ev, "vision_balance_problems": True}, model=model)
    assert model.red_flags["vision_balance_problems"] <= now.urgency
    assert yes.top.cause != now.top.cause
    for scope, expected in (("decision", True), ("urgency", yes.urgency > now.urgency)):
        policy = InterviewPolicy(background_checklist=False, red_flag_scope=scope)
        first = suggest_questions(ev, model=model, policy=policy).questions[0]
        assert first.id == RED_FLAG_CHECKLIST
        assert ("vision_balance_problems" in first.ids) is expected
        assert first.why.startswith("a safety check")
        if scope == "decision":
            assert "change which cause is most likely" in first.why


def ranking_p(ranking: toeprob.QuestionRanking, identifier: str) -> float:
    return next(q.p_yes for q in ranking.questions if q.id == identifier)


def test_checklist_probability_and_value_are_exact(tiny: toeprob.Model, bf: BruteForceEngine) -> None:
    ranking = suggest_questions({"twitch": True}, model=tiny, k=100)
    first = ranking.questions[0]
    assert first.is_checklist
    e = parse_evidence({"twitch": True}, tiny)
    none = parse_evidence({"twitch": True, **dict.fromkeys(first.ids, False)}, tiny)
    p_none = math.exp(
        bf.log_evidence(none.finding_state, none.rf_state) - bf.log_evidence(e.finding_state, e.rf_state)
    )
    assert first.p_yes == pytest.approx(1.0 - p_none, abs=1e-9)
    assert first.value >= 0.0 and first.gain >= 0.0


def test_background_checklist_depends_on_what_was_given(model: toeprob.Model) -> None:
    cramp = suggest_questions({"cramp": True, "relieved_by_stretching": True}, model=model, k=3)
    twitch = suggest_questions({"fasciculation": True, "twitching_elsewhere": True}, model=model, k=3)
    firsts = [r.questions[0] for r in (cramp, twitch)]
    assert all(q.is_checklist for q in firsts)
    assert firsts[0].ids != firsts[1].ids  # other risk factors, or the same in another order
    for r in (cramp, twitch):
        background = next((q for q in r.questions if q.id == BACKGROUND_CHECKLIST), None)
        if background is not None:
            assert all(i in model.risk_factor_specs for i in background.ids)
            assert background.why.startswith("your background")


def test_pending_red_flags_hold_off_the_stop_rule(tiny: toeprob.Model) -> None:
    eager = InterviewPolicy(red_flag_threshold=0.0, stop_probability=0.0)
    ranking = suggest_questions({}, model=tiny, policy=eager)
    assert ranking.pending_red_flags == ("drop", "weak")  # urgent floor first, then soon
    assert ranking.questions[0].id == RED_FLAG_CHECKLIST
    assert ranking.questions[0].ids == ("drop", "weak")
    assert ranking.stop_reason is None
    answered = suggest_questions(
        {"drop": False, "weak": False},
        model=tiny,
        policy=InterviewPolicy(stop_probability=0.0, background_checklist=False),
        checklists_asked=[RED_FLAG_CHECKLIST],
    )
    assert answered.pending_red_flags == ()
    assert answered.stop_reason is StopReason.CONFIDENT


def test_stop_reasons(tiny: toeprob.Model, model: toeprob.Model) -> None:
    both = [RED_FLAG_CHECKLIST, BACKGROUND_CHECKLIST]
    quiet = InterviewPolicy(red_flag_threshold=1.0, min_value=0.0, lookahead=1)
    assert suggest_questions({}, model=tiny, policy=quiet, checklists_asked=both).stop_reason is None
    greedy = InterviewPolicy(red_flag_threshold=1.0, min_value=100.0, final_red_flag_check=False)
    assert (
        suggest_questions({}, model=tiny, policy=greedy, checklists_asked=both).stop_reason
        is StopReason.NO_INFORMATIVE_QUESTION
    )
    capped = InterviewPolicy(
        red_flag_threshold=1.0, min_value=0.0, max_questions=3, final_red_flag_check=False
    )
    assert (
        suggest_questions({}, model=tiny, policy=capped, questions_asked=3, checklists_asked=both).stop_reason
        is StopReason.MAX_QUESTIONS
    )
    assert (
        suggest_questions({}, model=tiny, policy=capped, questions_asked=2, checklists_asked=both).stop_reason
        is None
    )
    everything = dict.fromkeys([*tiny.findings, *tiny.risk_factors], False)
    done = suggest_questions(everything, model=tiny)
    assert done.stop_reason is StopReason.NO_QUESTIONS_LEFT and done.questions == ()
    emergency = [f for f, floor in model.red_flags.items() if floor is Urgency.EMERGENCY]
    assert emergency
    r = suggest_questions({emergency[0]: True}, model=model)
    assert r.should_stop and r.stop_reason is StopReason.EMERGENCY
    assert "emergency" in r.to_text()
    with pytest.raises(toeprob.ParameterError, match="red_flag_checklst.*red_flag_checklist"):
        suggest_questions({}, model=tiny, checklists_asked=["red_flag_checklst"])


def test_final_red_flag_check_asks_every_flag_above_the_urgency_before_stopping(tiny: toeprob.Model) -> None:
    policy = InterviewPolicy(red_flag_threshold=1.0, min_value=100.0)  # nothing is worth asking
    both = [RED_FLAG_CHECKLIST, BACKGROUND_CHECKLIST]
    ranking = suggest_questions({"twitch": True}, model=tiny, policy=policy, k=10, checklists_asked=both)
    urgency = ranking.diagnosis.urgency
    above = {f for f, floor in tiny.red_flags.items() if floor > urgency}
    assert above and ranking.pending_red_flags == ()
    assert set(ranking.final_check) == above and ranking.stop_reason is None
    first = ranking.questions[0]
    assert first.is_checklist and first.final_check and first.ids == ranking.final_check
    floors = [int(tiny.red_flags[f]) for f in ranking.final_check]
    assert floors == sorted(floors, reverse=True)
    done = suggest_questions(
        {"twitch": True, **dict.fromkeys(above, False)}, model=tiny, policy=policy, checklists_asked=both
    )
    assert done.final_check == () and done.stop_reason is StopReason.NO_INFORMATIVE_QUESTION


def test_lookahead_finds_pairs_the_single_step_misses(tiny: toeprob.Model) -> None:
    both = [RED_FLAG_CHECKLIST, BACKGROUND_CHECKLIST]
    for lookahead in (1, 2):
        policy = InterviewPolicy(min_value=0.5, lookahead=lookahead, final_red_flag_check=False)
        r = suggest_questions({"twitch": True}, model=tiny, policy=policy, checklists_asked=both, k=100)
        best = max(q.value for q in r.questions)
        if lookahead == 1:
            assert (r.stop_reason is None) == (best >= 0.5)
        else:
            assert r.stop_reason in (None, StopReason.NO_INFORMATIVE_QUESTION)


def test_suggest_questions_raises(tiny: toeprob.Model) -> None:
    with pytest.raises(toeprob.UnknownIdentifierError, match="twitch"):
        suggest_questions({"twitchh": True}, model=tiny)
    with pytest.raises(
        toeprob.ParameterKeyError, match="exclude: 'ach' is not a finding or risk factor.*Closest: ache"
    ):
        suggest_questions({}, model=tiny, exclude=["ach"])
    with pytest.raises(toeprob.ParameterError, match="'k' parameter"):
        suggest_questions({}, model=tiny, k=0)
    with pytest.raises(
        toeprob.ParameterTypeError, match="'k' parameter of suggest_questions.*Got True [(]bool[)]"
    ):
        suggest_questions({}, model=tiny, k=True)  # type: ignore[arg-type]
    with pytest.raises(toeprob.EvidenceError, match="not an accepted value"):
        suggest_questions({"twitch": "maybe"}, model=tiny)
    with pytest.raises(toeprob.ParameterError, match="'questions_asked' parameter"):
        suggest_questions({}, model=tiny, questions_asked=-1)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"red_flag_threshold": 1.5}, "red_flag_threshold"),
        ({"stop_probability": -0.1}, "stop_probability"),
        ({"min_value": -1.0}, "min_value"),
        ({"min_value": float("nan")}, "min_value"),
        ({"lookahead": 3}, "lookahead"),
        ({"urgency_weight": -1}, "urgency_weight"),
        ({"background_checklist": 1}, "background_checklist"),
        ({"max_questions": 0}, "max_questions"),
        ({"max_questions": 2.5}, "max_questions"),
        ({"final_red_flag_check": "yes"}, "final_red_flag_check"),
        ({"red_flag_scope": "floor"}, "red_flag_scope"),
    ],
)
def test_interview_policy_raises(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        InterviewPolicy(**kwargs)


@pytest.mark.slow
def test_the_pgmpy_reference_gives_the_same_ranking(tiny: toeprob.Model) -> None:
    # pgmpy has no log_evidence: P(yes | E) is solved from the law of total probability instead
    ev = {"twitch": True, "other": True}
    fast = suggest_questions(ev, model=tiny, k=100)
    ref = suggest_questions(ev, model=tiny, k=100, engine="pgmpy")
    assert [q.id for q in ref.questions] == [q.id for q in fast.questions]
    for a, b in zip(fast.questions, ref.questions, strict=True):
        assert b.p_yes == pytest.approx(a.p_yes, abs=1e-9)
        assert b.gain == pytest.approx(a.gain, abs=1e-9)
