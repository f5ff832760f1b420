"""Explanation: its table, text and JSON-ready dict."""

from __future__ import annotations

import json

import pytest

import toeprob


def test_text_table_and_dict(tiny: toeprob.Model) -> None:
    ev = {"twitch": True, "weak": True, "night": False}
    d = toeprob.rank_causes(ev, model=tiny)
    e = d.explain("serious")
    frame = e.to_frame()
    assert frame.columns.tolist() == [
        "role",
        "identifier",
        "kind",
        "answer",
        "log_odds_change",
        "times_as_likely",
        "counterfactual_probability",
        "direct",
        "link_strength",
        "sources",
    ]
    assert len(frame) == len(e.effects) + len(e.unconfirmed)
    for row in frame.itertuples(index=False):
        if row.answer == "unasked":  # a yes would make it this many times as likely
            assert row.times_as_likely == pytest.approx(row.counterfactual_probability / e.posterior)
        else:  # the answer made it this many times as likely as without it
            assert row.times_as_likely == pytest.approx(e.posterior / row.counterfactual_probability)
        assert (row.times_as_likely > 1) == (row.log_odds_change > 0) or row.log_odds_change == 0
    assert set(frame["role"]) <= {"supporting", "opposing", "no_effect", "would_raise", "would_lower"}
    text = e.to_text()
    assert "Why serious" in text and "Urgency:" in text and toeprob.DISCLAIMER in text
    for reason in d.urgency_reasons:
        assert reason.text in text
    assert "as likely" in text and "((" not in text and "))" not in text
    data = json.loads(json.dumps(e.to_dict()))
    assert data["cause"] == "serious" and data["posterior"] == e.posterior
    assert all(isinstance(row["sources"], list) for row in data["effects"])
