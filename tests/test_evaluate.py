"""Scoring on case files, and the reach on the development cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toeprob import EvidenceError, Urgency, evaluate

CASE: dict[str, Any] = {
    "id": "c1",
    "evidence": {"cramp": True, "tight_footwear": True, "while_wearing_shoes": True},
    "gold_cause": "ill_fitting_footwear",
    "acceptable": [],
    "urgency_min": "self_care",
    "urgency_max": "routine",
}


def test_metrics_on_a_single_case() -> None:
    report = evaluate([CASE])
    assert report.top1 == 1.0 and report.top3 == 1.0 and report.triage_in_range == 1.0
    assert report.failures == ()


def test_under_and_over_triage_are_counted() -> None:
    high = {**CASE, "id": "c2", "urgency_min": "urgent", "urgency_max": "emergency"}
    low = {**CASE, "id": "c3", "evidence": {**CASE["evidence"], "foot_drop": True}}
    report = evaluate([high, low])
    assert report.under_triage == 0.5 and report.over_triage == 0.5 and report.triage_in_range == 0.0
    assert {c.id for c in report.failures} == {"c2", "c3"}
    assert report.cases[1].urgency >= Urgency.URGENT
    assert "under-triage" in report.to_text() and "c2" in report.to_text()


def test_evaluate_raises_on_bad_cases(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="needs the keys"):
        evaluate([{"id": "x"}])
    with pytest.raises(EvidenceError, match="'flu' is not a cause"):
        evaluate([{**CASE, "gold_cause": "flu"}])
    with pytest.raises(EvidenceError, match="case c1: 'numbnes'"):
        evaluate([{**CASE, "evidence": {"numbnes": True}}])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EvidenceError, match="cannot read the case file"):
        evaluate(bad)


def test_reach_on_the_development_cases(dev_cases_path: Path) -> None:
    report = evaluate(dev_cases_path)
    assert report.under_triage == 0.0, report.to_text()
    assert report.top1 >= 0.80, report.to_text()
    assert report.top3 >= 0.95, report.to_text()
    assert report.triage_in_range >= 0.90, report.to_text()


@pytest.mark.parametrize("name", ["cases_team.json", "cases_blind.json"])
def test_reach_on_the_team_cases(name: str) -> None:
    """Cases the team wrote before looking at model output (tests/data/)."""
    report = evaluate(Path(__file__).parent / "data" / name)
    assert report.under_triage == 0.0, report.to_text()
    assert report.top1 >= 0.85, report.to_text()
    assert report.top3 >= 0.95, report.to_text()
    assert report.triage_in_range >= 0.90, report.to_text()
