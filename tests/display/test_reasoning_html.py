"""Explanations, question rankings and interviews as HTML and Markdown, with the disclaimer."""

from __future__ import annotations

import html

import toeprob
from toeprob.display.reasoning_html import (
    explanation_html,
    explanation_markdown,
    interview_frame,
    interview_html,
    questions_html,
    questions_markdown,
)

STORY = {"numbness": True, "burning_pain": True, "diabetes": True, "cramp": False}
DISCLAIMER_HTML = html.escape(toeprob.DISCLAIMER)


def test_explanation_html_and_markdown(model: toeprob.Model) -> None:
    e = toeprob.explain(STORY, "peripheral_neuropathy", model=model)
    out = explanation_html(e)
    assert e._repr_html_() == out and e._repr_markdown_() == explanation_markdown(e)
    for effect in e.effects:
        assert f"<code>{effect.identifier}</code>" in out
    for unasked in e.unconfirmed:
        assert f"<code>{unasked.identifier}</code>" in out
    assert "peripheral_neuropathy" in out and DISCLAIMER_HTML in out
    assert f"{e.posterior:.1%}" in out
    md = explanation_markdown(e)
    assert all(f"`{effect.identifier}`" in md for effect in e.effects)


def test_questions_html_and_markdown(model: toeprob.Model) -> None:
    ranking = toeprob.suggest_questions({"cramp": "yes"}, model=model, k=4)
    out = questions_html(ranking)
    assert ranking._repr_html_() == out and ranking._repr_markdown_() == questions_markdown(ranking)
    assert out.count("<tr>") == 1 + len(ranking.questions)
    for q in ranking.questions:
        assert f"<code>{q.id}</code>" in out and html.escape(q.text) in out
    assert DISCLAIMER_HTML in out


def test_interview_html_shows_answers_and_next_step(model: toeprob.Model) -> None:
    iv = toeprob.Interview({"cramp": "yes"}, model=model)
    question = iv.next_question()
    assert question is not None
    iv.answer(question.id, "no")
    out = interview_html(iv)
    assert iv._repr_html_() == out
    frame = interview_frame(iv)
    assert frame["question"].tolist() == list(question.ids) and set(frame["step"]) == {1}
    assert all(f"<code>{i}</code>" in out for i in question.ids)
    assert ("Next question" in out) != iv.should_stop
    nxt = iv.next_question()
    if nxt is not None:
        assert html.escape(nxt.why) in out
        assert all(html.escape(t) in out for t in nxt.item_texts)
    assert DISCLAIMER_HTML in out
