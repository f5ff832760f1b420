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


def test_ranked_cause_tooltip_is_its_description(diagnosis: toeprob.Diagnosis) -> None:
    top: RankedCause = diagnosis.top
    assert f'title="{html.escape(top.description)}"' in diagnosis_html(diagnosis)
