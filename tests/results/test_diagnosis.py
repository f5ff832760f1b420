"""Diagnosis: a JSON-ready dict, a repr and a text that show the top causes, urgency and the disclaimer."""

from __future__ import annotations

import json

from toeprob import Model, Urgency, rank_causes


def test_to_dict_is_json_ready(model: Model) -> None:
    d = rank_causes({"foot_drop": True})
    data = json.loads(json.dumps(d.to_dict()))
    assert data["urgency"] == d.urgency.label
    assert data["red_flags"] == [{"finding": "foot_drop", "floor": "urgent"}]
    assert "not a medical device" in data["disclaimer"]
    assert len(data["ranked"]) == len(model.causes)


def test_repr_and_text_show_top_causes_and_urgency(model: Model) -> None:
    d = rank_causes({"jaw_stiffness_body_spasms": True, "wound_without_tetanus_shot": True})
    assert d.urgency is Urgency.EMERGENCY
    assert d.top.cause in repr(d) and "emergency" in repr(d)
    text = d.to_text(top=3)
    assert "not a medical device" in text and "jaw_stiffness_body_spasms" in text


def test_text_names_unreported_warning_signs_as_not_reported() -> None:
    d = rank_causes({"cramp": True, "foot_drop": False})
    line = next(x for x in d.to_text().splitlines() if "taken as absent" in x)
    assert line.strip().startswith("Not reported")
    listed = line.split(":", 1)[1].split(", ")
    assert [s.strip() for s in listed] == list(d.assumed_absent)
    assert "foot_drop" not in d.assumed_absent and "sudden_cold_pale_foot" in d.assumed_absent
