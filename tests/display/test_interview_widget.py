"""The Jupyter interview widget, driven from code as a person would click it."""

from __future__ import annotations

import sys

import pytest

import toeprob
from toeprob.display.interview_widget import InterviewWidget
from toeprob.reasoning.interview import Interview


def test_without_ipywidgets_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    with pytest.raises(toeprob.MissingDependencyError, match=r"toeprob\[widgets\]"):
        InterviewWidget(Interview({"cramp": True}))
    with pytest.raises(ImportError):
        Interview({"cramp": True}).widget()


@pytest.mark.slow  # imports ipywidgets and runs a whole interview on the shipped model (about 2 s)
def test_clicking_through_an_interview(model: toeprob.Model) -> None:
    pytest.importorskip("ipywidgets")
    iv = Interview({"cramp": True, "relieved_by_stretching": True}, model=model)
    w = iv.widget(top=3)
    assert isinstance(w, InterviewWidget) and w.interview is iv
    q = iv.next_question()
    assert q is not None and q.is_checklist
    assert set(w.items) == set(q.ids) and {"submit", "none"} <= set(w.buttons)
    assert q.text in w._question.value and "Why:" in w._question.value
    # tick one item yes, one no, leave the rest "don't know", then submit
    w.items[q.ids[-1]].value = "yes"
    w.items[q.ids[0]].value = "no"
    w.buttons["submit"].click()
    assert iv.steps == 1 and iv.checklists_asked == (q.id,)
    assert iv.evidence[q.ids[-1]] is True and iv.evidence[q.ids[0]] is False
    assert all(a.value is None for a in iv.history if a.question not in (q.ids[0], q.ids[-1]))
    # the view follows the interview: ranking and urgency of the current state
    assert iv.diagnosis.top.cause in w._state.value and iv.diagnosis.urgency.label in w._state.value
    clicks = 0
    while (nxt := iv.next_question()) is not None and clicks < 20:
        clicks += 1
        if nxt.is_checklist:
            w.buttons["none"].click()
            assert all(iv.evidence.get(i) is False for i in nxt.ids)
        else:
            assert set(w.buttons) == {"yes", "no", "don't know"}
            w.buttons["no"].click()
            assert iv.evidence[nxt.id] is False
    assert iv.should_stop
    assert "Interview finished" in w._question.value and w._controls.children == ()
    assert toeprob.DISCLAIMER in w._note.value


def test_widget_raises_on_bad_arguments() -> None:
    pytest.importorskip("ipywidgets")
    with pytest.raises(toeprob.ParameterError, match="'interview' parameter"):
        InterviewWidget({"cramp": True})  # type: ignore[arg-type]
    with pytest.raises(toeprob.ParameterError, match="'top' parameter"):
        InterviewWidget(evidence={"cramp": True}, top=0)
