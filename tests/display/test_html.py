"""Rich display: HTML and Markdown derive from the results' tables, escape text, carry the disclaimer."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import pytest

import toeprob
from toeprob.display.html import (
    CARE_COLOURS,
    care_colour,
    diagnosis_html,
    diagnosis_markdown,
    frame_html,
    frame_markdown,
)
from toeprob.display.model_html import model_frame, model_html, model_markdown
from toeprob.display.reasoning_html import (
    explanation_html,
    explanation_markdown,
    interview_frame,
    interview_html,
    questions_html,
    questions_markdown,
)
from toeprob.results.diagnosis import RankedCause

STORY = {"numbness": True, "burning_pain": True, "diabetes": True, "cramp": False}
DISCLAIMER_HTML = html.escape(toeprob.DISCLAIMER)


@pytest.fixture(scope="module")
def diagnosis(model: toeprob.Model) -> toeprob.Diagnosis:
    return toeprob.rank_causes(STORY, model=model)


def test_diagnosis_html_has_top_causes_urgency_reasons_and_disclaimer(diagnosis: toeprob.Diagnosis) -> None:
    out = diagnosis_html(diagnosis, top=5)
    frame = diagnosis.to_frame()
    for cause in frame.index[:5]:
        assert f"<code>{cause}</code>" in out
        assert html.escape(frame.loc[cause, "label"]) in out  # the plain name beside the identifier
    for cause in frame.index[5:]:
        assert f"<code>{cause}</code>" not in out
    assert out.count("<tr>") == 1 + 5
    assert diagnosis.urgency.label in out and html.escape(diagnosis.urgency.meaning) in out
    for reason in diagnosis.urgency_reasons:
        assert html.escape(reason.text) in out
    assert DISCLAIMER_HTML in out
    assert f"{len(frame) - 5} more causes" in out
    assert f"{diagnosis.top.probability:.1%}" in out


def test_diagnosis_html_bars_take_the_care_level_colour(diagnosis: toeprob.Diagnosis) -> None:
    out = diagnosis_html(diagnosis, top=1)
    assert f"background:{care_colour(diagnosis.top.care_level)}" in out


def test_repr_html_and_markdown_delegate(diagnosis: toeprob.Diagnosis) -> None:
    assert diagnosis._repr_html_() == diagnosis_html(diagnosis)
    assert diagnosis._repr_markdown_() == diagnosis_markdown(diagnosis)


def test_diagnosis_html_escapes_text(diagnosis: toeprob.Diagnosis) -> None:
    evil = "<script>alert('x')</script>"
    top = dataclasses.replace(diagnosis.ranked[0], description=evil)
    d = dataclasses.replace(diagnosis, ranked=(top, *diagnosis.ranked[1:]), model_name=evil)
    out = diagnosis_html(d)
    assert "<script>" not in out
    assert html.escape(evil) in out  # as the tooltip of the top cause and in the model line


def test_diagnosis_markdown_lists_the_same_rows(diagnosis: toeprob.Diagnosis) -> None:
    out = diagnosis_markdown(diagnosis, top=4)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "`" in line]
    assert [r.split("`")[1] for r in rows] == diagnosis.to_frame().index[:4].tolist()
    assert f"**Urgency: {diagnosis.urgency.label}**" in out
    assert out.rstrip().endswith("*") and "not a medical device" in out


def test_frame_markdown_escapes_pipes_and_emphasis() -> None:
    out = frame_markdown(pd.DataFrame({"text": ["a|b *c*"], "p": [0.25]}), bars=["p"])
    assert r"a\|b \*c\*" in out
    assert "25.0% ██▌" in out


def test_frame_html_blank_for_missing_and_signed_bars() -> None:
    frame = pd.DataFrame({"name": ["up", "down"], "effect": [1.5, -0.5], "floor": [None, "urgent"]})
    out = frame_html(frame, signed_bars=["effect"], levels=["floor"])
    assert "+1.50" in out and "-0.50" in out
    assert out.count(f"background:{CARE_COLOURS[toeprob.Urgency.URGENT]}") == 1
    assert "None" not in out and "nan" not in out


def test_frame_html_tooltips_hide_their_column() -> None:
    frame = pd.DataFrame({"cause": ["a"], "description": ['say "hi" <b>']})
    out = frame_html(frame, tooltips={"cause": "description"})
    assert 'title="say &quot;hi&quot; &lt;b&gt;"' in out
    assert out.count("<th ") == 1


def test_care_colour_accepts_levels_and_labels() -> None:
    assert care_colour("self_care") == care_colour(toeprob.Urgency.SELF_CARE)
    assert len(set(CARE_COLOURS.values())) == len(toeprob.Urgency)
    with pytest.raises(ValueError, match="not an urgency level"):
        care_colour("soonish")


def test_model_frame_has_one_row_per_node(model: toeprob.Model) -> None:
    frame = model_frame(model)
    assert frame.groupby("kind").size().to_dict() == {
        "cause": len(model.causes),
        "finding": len(model.findings),
        "risk_factor": len(model.risk_factors),
    }
    causes = frame[frame["kind"] == "cause"].set_index("identifier")
    assert causes.loc[model.causes[0], "probability"] == model.cause_specs[model.causes[0]].prior


def test_model_html_counts_identifiers_and_frequency_scale(model: toeprob.Model) -> None:
    out = model._repr_html_()
    assert out == model_html(model)
    assert f"{len(model.causes)} causes" in out and f"{len(model.findings)} findings" in out
    for ident in (*model.risk_factors, *model.causes, *model.findings):
        assert f">{ident}</code>" in out
    for word in model.scales["frequency"].values:
        assert html.escape(word) in out


def test_model_markdown_lists_every_identifier(tiny: toeprob.Model) -> None:
    out = model_markdown(tiny)
    assert tiny._repr_markdown_() == out
    for ident in (*tiny.risk_factors, *tiny.causes, *tiny.findings):
        assert f"`{ident}`" in out


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
    assert interview_frame(iv)["question"].tolist() == [question.id]
    assert f"<code>{question.id}</code>" in out
    assert ("Next question" in out) != iv.should_stop
    assert DISCLAIMER_HTML in out


def test_ranked_cause_tooltip_is_its_description(diagnosis: toeprob.Diagnosis) -> None:
    top: RankedCause = diagnosis.top
    assert f'title="{html.escape(top.description)}"' in diagnosis_html(diagnosis)
