"""Scoring on case files, and the reach on the development cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from toeprob import CaseFileError, ParameterError, Urgency, datasets, evaluate

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


def test_calibration_metrics_are_their_definitions() -> None:
    import math

    from toeprob import rank_causes

    cases = [
        CASE,
        {**CASE, "id": "c2", "evidence": {"fasciculation": True}, "gold_cause": "benign_fasciculation"},
    ]
    report = evaluate(cases)
    posts = [{rc.cause: rc.probability for rc in rank_causes(c["evidence"]).ranked} for c in cases]
    sq = [
        (p - (cause == c["gold_cause"])) ** 2
        for c, post in zip(cases, posts, strict=True)
        for cause, p in post.items()
    ]
    assert report.brier == pytest.approx(sum(sq) / len(sq))
    gold = [post[c["gold_cause"]] for c, post in zip(cases, posts, strict=True)]
    assert report.log_loss == pytest.approx(-sum(math.log(p) for p in gold) / 2)
    assert report.cases[1].gold_probability == pytest.approx(gold[1])
    table = report.reliability(bins=4)
    assert sum(b.count for b in table) == len(sq)
    for b in table:
        inside = [
            (p, cause == c["gold_cause"])
            for c, post in zip(cases, posts, strict=True)
            for cause, p in post.items()
            if b.low <= p < b.high or (b.high == 1.0 and p == 1.0)
        ]
        assert b.count == len(inside)
        if inside:
            assert b.mean_forecast == pytest.approx(sum(p for p, _ in inside) / len(inside))
            assert b.observed == pytest.approx(sum(y for _, y in inside) / len(inside))
    with pytest.raises(
        ParameterError, match="The 'bins' parameter of EvaluationReport.reliability must be an int >= 1"
    ):
        report.reliability(bins=0)


def test_safe_triage_allows_one_level_under() -> None:
    one_under = {**CASE, "id": "u1", "urgency_min": "routine", "urgency_max": "soon"}
    two_under = {**CASE, "id": "u2", "urgency_min": "soon", "urgency_max": "urgent"}
    report = evaluate([CASE, one_under, two_under])
    assert [c.safe_triage for c in report.cases] == [True, True, False]
    assert report.safe_triage == pytest.approx(2 / 3)
    assert "safe triage" in report.to_text() and "Brier" in report.to_text()


def test_evaluate_raises_on_bad_cases(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="case 'x': missing required key"):
        evaluate([{"id": "x"}])
    with pytest.raises(CaseFileError, match="'flu' is not a cause"):
        evaluate([{**CASE, "gold_cause": "flu"}])
    with pytest.raises(CaseFileError, match="case 'c1', key 'evidence': 'numbnes'.*Closest: numbness"):
        evaluate([{**CASE, "evidence": {"numbnes": True}}])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CaseFileError, match="bad.json: not valid JSON"):
        evaluate(bad)


def test_reach_on_the_development_cases(dev_cases_path: Path) -> None:
    report = evaluate(dev_cases_path)
    assert report.under_triage == 0.0, report.to_text()
    assert report.top1 >= 0.80, report.to_text()
    assert report.top3 >= 0.95, report.to_text()
    assert report.triage_in_range >= 0.90, report.to_text()


@pytest.mark.parametrize("name", ["team", "blind"])
def test_reach_on_the_team_cases(name: str) -> None:
    """Cases the team wrote before looking at model output (shipped in toeprob.datasets)."""
    report = evaluate(datasets.load_cases(name))
    assert report.under_triage == 0.0, report.to_text()
    assert report.top1 >= 0.85, report.to_text()
    assert report.top3 >= 0.95, report.to_text()
    assert report.triage_in_range >= 0.90, report.to_text()
