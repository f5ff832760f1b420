"""The model's HTML and Markdown: one row per node, every identifier, text escaped."""

from __future__ import annotations

import html

import toeprob
from toeprob import Model
from toeprob.display.model_html import model_frame, model_html, model_markdown


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


def test_markdown_escapes_a_model_name_with_backticks(model: Model) -> None:
    data = model.to_dict()
    data["model"]["name"] = "x` <img src=a onerror=alert(1)> `y"
    md = model_markdown(Model.from_dict(data))
    first = md.splitlines()[0]
    assert first.startswith("**Model ``x` <img src=a onerror=alert(1)> `y``**")
    # CommonMark: a code span closes only at a backtick run as long as its opening one
    span = first[len("**Model ") : first.index("**", 2)]
    assert span.startswith("``") and span.endswith("``") and "``" not in span[2:-2]
