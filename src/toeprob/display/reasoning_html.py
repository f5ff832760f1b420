"""HTML and Markdown for explanations, suggested questions and interviews (see :mod:`toeprob.display`).

Examples
--------
>>> from toeprob import explain
>>> "not a medical device" in explanation_html(explain({"cramp": True}, "dehydration"))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toeprob import registry
from toeprob.display.html import (
    _MUTED,
    _badge,
    _disclaimer_html,
    _e,
    _evidence_text,
    _md,
    _percent,
    _urgency_html,
    _urgency_markdown,
    _wrap,
    diagnosis_html,
    frame_html,
    frame_markdown,
)
from toeprob.reasoning.interview import Interview
from toeprob.results.explanation import Explanation
from toeprob.results.formatting import format_times
from toeprob.results.questions import QuestionRanking

if TYPE_CHECKING:
    import pandas as pd


__all__ = [
    "explanation_html",
    "explanation_markdown",
    "interview_frame",
    "interview_html",
    "questions_html",
    "questions_markdown",
]


_EFFECT_HEADERS = {
    "identifier": "answer",
    "answer": "",
    "log_odds_change": "effect (log-odds)",
    "times_as_likely": "with it",
    "counterfactual_probability": "without it",
    "link_strength": "link",
}
_WHAT_IF_HEADERS = {
    "identifier": "not asked yet",
    "log_odds_change": "effect of a yes (log-odds)",
    "times_as_likely": "a yes makes it",
    "counterfactual_probability": "if yes",
    "link_strength": "link",
}


def _effect_parts(explanation: Explanation) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = explanation.to_frame()
    frame = frame.assign(
        link_strength=frame["link_strength"].where(frame["direct"], "indirect"),
        sources=[", ".join(s) for s in frame["sources"]],
        times_as_likely=[format_times(r) for r in frame["times_as_likely"]],
    )
    answered = frame[frame["answer"] != "unasked"]
    unasked = frame[frame["answer"] == "unasked"]
    cols = [
        "identifier",
        "answer",
        "log_odds_change",
        "times_as_likely",
        "counterfactual_probability",
        "link_strength",
        "sources",
    ]
    return answered[cols], unasked[[c for c in cols if c != "answer"]]


@registry.register("html", Explanation)
def explanation_html(explanation: Explanation) -> str:
    """HTML for an :class:`~toeprob.Explanation`: prior -> posterior, the effect of each answer.

    Effects are drawn as bars right (supporting) or left (opposing) of a centre line.

    Examples
    --------
    >>> from toeprob import explain
    >>> e = explain({"cramp": "yes", "low_fluid_intake": "yes"}, "dehydration")
    >>> "low_fluid_intake" in explanation_html(e)
    True
    """
    answered, unasked = _effect_parts(explanation)
    head = (
        f"<div><b>Why <code>{_e(explanation.cause)}</code></b> {_e(explanation.label)} "
        f"{_badge(explanation.care_level)} "
        f'<span style="{_MUTED}">{_e(explanation.description)}</span></div>'
        f"<div>prior {_e(_percent(explanation.prior))} &rarr; posterior "
        f"<b>{_e(_percent(explanation.posterior))}</b> given the answers below</div>"
    )
    note = (
        f'<div style="{_MUTED};font-size:0.9em">effect = change in the log-odds of the cause when the '
        "answer is left out (the answers interact, so effects need not add up)</div>"
    )
    parts = [head]
    if len(answered):
        parts += [
            frame_html(
                answered,
                signed_bars=["log_odds_change"],
                percent=["counterfactual_probability"],
                code=["identifier"],
                rename=_EFFECT_HEADERS,
            ),
            note,
        ]
    else:
        parts.append(f'<div style="{_MUTED}">No answers yet: the posterior is the prior.</div>')
    if len(unasked):
        parts.append(
            frame_html(
                unasked,
                signed_bars=["log_odds_change"],
                percent=["counterfactual_probability"],
                code=["identifier"],
                rename=_WHAT_IF_HEADERS,
            )
        )
    parts += [
        _urgency_html(explanation.urgency, explanation.urgency_reasons),
        _disclaimer_html(explanation.disclaimer),
    ]
    return _wrap("explanation", parts)


@registry.register("markdown", Explanation)
def explanation_markdown(explanation: Explanation) -> str:
    """Markdown for an :class:`~toeprob.results.explanation.Explanation`, from the same table as the HTML.

    Examples
    --------
    >>> from toeprob import explain
    >>> print(explanation_markdown(explain({"cramp": "yes"}, "dehydration")))  # doctest: +ELLIPSIS
    **Why `dehydration`**, Not enough fluids, ...
    """
    answered, unasked = _effect_parts(explanation)
    lines = [
        f"**Why `{explanation.cause}`**, {_md(explanation.label)}, care level "
        f"{explanation.care_level.label}: {_md(explanation.description)}",
        "",
        f"Prior {_percent(explanation.prior)} → posterior **{_percent(explanation.posterior)}**.",
        "",
    ]
    for part, names in ((answered, _EFFECT_HEADERS), (unasked, _WHAT_IF_HEADERS)):
        if len(part):
            table = frame_markdown(
                part,
                signed=["log_odds_change"],
                percent=["counterfactual_probability"],
                code=["identifier"],
                rename=names,
            )
            lines += [table, ""]
    lines += _urgency_markdown(explanation.urgency, explanation.urgency_reasons)
    lines.append(f"*{_md(explanation.disclaimer)}*")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- Questions

_QUESTION_HEADERS = {
    "rank": "#",
    "question": "identifier",
    "text": "question",
    "p_yes": "P(yes)",
    "gain_bits": "expected gain (bits)",
    "red_flag_floor": "red flag",
}


@registry.register("html", QuestionRanking)
def questions_html(ranking: QuestionRanking) -> str:
    """HTML for a :class:`~toeprob.QuestionRanking`: the next questions and the stop decision.

    Examples
    --------
    >>> from toeprob import suggest_questions
    >>> html = questions_html(suggest_questions({"cramp": "yes"}, k=3))
    >>> html.count("<tr>")
    4
    """
    frame = ranking.to_frame()[["rank", "text", "question", "p_yes", "gain_bits", "red_flag_floor"]]
    d = ranking.diagnosis
    if ranking.stop_reason is not None:
        decision = f"<b>Stop:</b> {_e(ranking.stop_reason.text)}."
    else:
        decision = "<b>Keep asking</b>" + (
            f": {len(ranking.pending_red_flags)} red flag(s) to rule out first"
            if ranking.pending_red_flags
            else ""
        )
    parts = [
        f"<div><b>Next questions</b> &middot; {decision}</div>",
        frame_html(
            frame,
            bars=["p_yes"],
            scaled_bars=["gain_bits"],
            levels=["red_flag_floor"],
            code=["question"],
            rename=_QUESTION_HEADERS,
        )
        if len(frame)
        else "",
        f"<div>Now: top cause <code>{_e(d.top.cause)}</code> ({_e(_percent(d.top.probability))}), "
        f"urgency {_badge(d.urgency)}</div>",
        _disclaimer_html(ranking.disclaimer),
    ]
    return _wrap("questions", parts)


@registry.register("markdown", QuestionRanking)
def questions_markdown(ranking: QuestionRanking) -> str:
    """Markdown for a :class:`~toeprob.results.questions.QuestionRanking`.

    Examples
    --------
    >>> from toeprob import suggest_questions
    >>> print(questions_markdown(suggest_questions({"cramp": "yes"}, k=2)))  # doctest: +ELLIPSIS
    **Next questions** ...
    """
    frame = ranking.to_frame()[["rank", "text", "question", "p_yes", "gain_bits", "red_flag_floor"]]
    frame = frame.assign(gain_bits=[f"{g:.3f}" for g in frame["gain_bits"]])
    decision = f"stop: {ranking.stop_reason.text}" if ranking.stop_reason is not None else "keep asking"
    d = ranking.diagnosis
    lines = [f"**Next questions** ({_md(decision)})", ""]
    if len(frame):
        lines += [
            frame_markdown(frame, bars=["p_yes"], code=["question"], rename=_QUESTION_HEADERS),
            "",
        ]
    lines += [
        f"Now: top cause `{d.top.cause}` ({_percent(d.top.probability)}), urgency **{d.urgency.label}**.",
        "",
        f"*{_md(ranking.disclaimer)}*",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- Interview


def interview_frame(interview: Interview) -> pd.DataFrame:
    """The answers given so far, one row each: ``step, question, text, answer``.

    Examples
    --------
    >>> from toeprob.reasoning.interview import Interview
    >>> iv = Interview({"cramp": "yes"})
    >>> iv.answer("low_fluid_intake", "yes")
    >>> interview_frame(iv)[["question", "answer"]].values.tolist()
    [['low_fluid_intake', 'yes']]
    """
    import pandas as pd

    rows = [
        {"step": a.step, "question": a.question, "text": a.text, "answer": a.label} for a in interview.history
    ]
    return pd.DataFrame(rows, columns=["step", "question", "text", "answer"])


@registry.register("html", Interview)
def interview_html(interview: Interview, top: int = 5) -> str:
    """HTML for an :class:`~toeprob.Interview`: answers so far, the next question or why it stopped,
    and the current top causes with the urgency.

    Examples
    --------
    >>> from toeprob.reasoning.interview import Interview
    >>> "Next question" in interview_html(Interview({"cramp": "yes"}))
    True
    """
    ranking = interview.ranking
    start = _evidence_text(
        {k: v for k, v in interview.evidence.items() if k not in {a.question for a in interview.history}}
    )
    history = interview_frame(interview)
    reason = interview.stop_reason
    if reason is not None:
        now = f"<div><b>Stopped:</b> {_e(reason.text)}.</div>"
    elif ranking.questions:
        q = ranking.questions[0]
        flag = f" {_badge(q.red_flag_floor, 'red flag')}" if q.red_flag_floor is not None else ""
        items = (
            "<ul>"
            + "".join(
                f"<li>{_e(t)} <code>{_e(i)}</code></li>" for i, t in zip(q.ids, q.item_texts, strict=True)
            )
            + "</ul>"
            if q.is_checklist
            else ""
        )
        now = (
            f"<div><b>Next question:</b> {_e(q.text)} <code>{_e(q.id)}</code>{flag}{items}"
            f"<div><small>Why: {_e(q.why)}</small></div></div>"
        )
    else:
        now = "<div><b>No question left.</b></div>"
    parts = [
        f"<div><b>Interview</b> &middot; {interview.steps} questions, {len(history)} answers "
        f"&middot; starting evidence: {_e(start)}</div>",
        frame_html(history, code=["question"], rename={"step": "#", "text": "question text"})
        if len(history)
        else "",
        now,
        f'<div style="margin-top:8px">{diagnosis_html(interview.diagnosis, top=top)}</div>',
    ]
    return _wrap("interview", parts)


# -------------------------------------------------------------------------------------------- Model
