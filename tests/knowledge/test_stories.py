"""Whole classes of stories the knowledge base must get right (not evaluation cases, but the patterns
behind them): denied warning signs, long courses, rare priors, head injuries, generic causes, and the
stories the added vocabulary can now tell."""

from __future__ import annotations

from typing import Any

import pytest

from toeprob import Model, Urgency, rank_causes


def _top(evidence: dict[str, Any], k: int = 1) -> list[str]:
    return [rc.cause for rc in rank_causes(evidence).ranked[:k]]


def test_worried_twitching_with_denied_warning_signs_is_benign_and_not_urgent() -> None:
    story = {
        "fasciculation": True,
        "twitching_elsewhere": True,
        "increasing_frequency": True,
        "persists_weeks": True,
        "high_stress": True,
        "muscle_weakness": False,
        "muscle_wasting": False,
        "foot_drop": False,
    }
    d = rank_causes(story)
    assert d.top.cause == "benign_fasciculation"
    assert d.urgency <= Urgency.ROUTINE
    assert d.probability("motor_neuron_disease") < 0.01
    # the care part weighs the story as told: the denials calm it, never the other way round
    silent = {k: v for k, v in story.items() if v is not False}
    assert d.urgency <= rank_causes(silent).urgency


def test_a_long_course_without_a_wound_never_escalates_through_tetanus() -> None:
    d = rank_causes(
        {
            "speech_or_swallowing_trouble": True,
            "fasciculation": True,
            "muscle_weakness": True,
            "persists_weeks": True,
        }
    )
    assert d.top.cause == "motor_neuron_disease"
    assert d.probability("tetanus") < 1e-3
    assert all(r.identifier != "tetanus" for r in d.urgency_reasons)


def test_rare_priors_are_population_sized(model: Model) -> None:
    d = rank_causes({})
    assert d.probability("tetanus") < 1e-4 and d.probability("motor_neuron_disease") < 1e-3
    curled = rank_causes({"cramp": True, "toe_lock": True})
    assert curled.probability("multiple_sclerosis") < 0.05 and curled.probability("movement_disorder") < 0.1


def test_wound_and_lockjaw_is_tetanus_and_an_emergency() -> None:
    d = rank_causes({"wound_without_tetanus_shot": True, "jaw_stiffness_body_spasms": True, "cramp": True})
    assert d.top.cause == "tetanus" and d.urgency is Urgency.EMERGENCY


def test_new_speech_trouble_after_a_head_injury_is_an_emergency() -> None:
    d = rank_causes(
        {"age_over_60": True, "head_injury": True, "speech_or_swallowing_trouble": True, "sudden_onset": True}
    )
    assert d.urgency is Urgency.EMERGENCY
    assert d.top.cause == "acute_intracranial_event"
    assert any(r.identifier == "acute_intracranial_event" and r.sets_level for r in d.urgency_reasons)


@pytest.mark.parametrize(
    ("story", "expected"),
    [
        ({"takes_stimulant_medication": True, "fasciculation": True}, "medication_side_effect"),
        ({"heel_pain_first_steps": True, "cramp": True}, "muscle_injury"),
        (
            {"movements_in_sleep_seen_by_others": True, "interrupts_sleep": True},
            "periodic_limb_movement_disorder",
        ),
        ({"fluid_losses": True, "cramp": True}, "dehydration"),
        ({"pain_between_toe_bones": True, "tingling": True, "cramp": True}, "nerve_root_compression"),
        ({"joint_swelling": True, "fever": True, "foot_pain": True}, "gout_arthritis"),
    ],
)
def test_characteristic_findings_beat_generic_causes(story: dict[str, Any], expected: str) -> None:
    assert _top(story) == [expected]


def test_a_clot_from_an_irregular_heartbeat_is_an_emergency() -> None:
    d = rank_causes({"irregular_heartbeat": True, "sudden_cold_pale_foot": True, "sudden_onset": True})
    assert d.urgency is Urgency.EMERGENCY
    assert d.probability("acute_limb_ischaemia") > rank_causes({"sudden_cold_pale_foot": True}).probability(
        "acute_limb_ischaemia"
    )


def test_timing_alone_does_not_send_anyone_to_a_neuropathy_appointment() -> None:
    d = rank_causes({"at_rest_or_night": True, "increasing_frequency": True, "cramp": True})
    assert d.urgency <= Urgency.ROUTINE
    assert d.top.cause != "peripheral_neuropathy"
