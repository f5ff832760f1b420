"""QuestionRanking: its table, text and JSON-ready dict."""

from __future__ import annotations

import json

import toeprob
from toeprob.reasoning.reasoner import suggest_questions


def test_results_table_and_dict(tiny: toeprob.Model) -> None:
    r = suggest_questions({"twitch": "yes"}, model=tiny, k=3)
    frame = r.to_frame()
    assert frame.columns.tolist() == [
        "rank",
        "question",
        "kind",
        "text",
        "p_yes",
        "gain_bits",
        "red_flag_floor",
        "pending_red_flag",
        "final_check",
        "value",
        "why",
        "ids",
    ]
    assert frame["question"].tolist() == [q.id for q in r.questions]
    data = json.loads(json.dumps(r.to_dict()))
    assert data["questions"][0]["question"] == r.questions[0].id
    assert r.questions[0].text in r.to_text() and toeprob.DISCLAIMER in r.to_text()
