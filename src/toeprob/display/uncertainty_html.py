"""HTML and Markdown for :class:`~toeprob.results.uncertainty.Uncertainty` and ``Sensitivity``.

Derived from the results' ``to_frame()`` tables and stored fields; nothing is recomputed.

Examples
--------
>>> from toeprob import rank_causes
>>> u = rank_causes({"cramp": True}).uncertainty(draws=50, seed=0)
>>> "not a medical device" in uncertainty_html(u) and "| # |" in uncertainty_markdown(u)
True
"""

from __future__ import annotations

from toeprob import registry
from toeprob.display.html import (
    _MUTED,
    _disclaimer_html,
    _e,
    _evidence_text,
    _md,
    _wrap,
    frame_html,
    frame_markdown,
)
from toeprob.results.formatting import format_probability
from toeprob.results.uncertainty import Sensitivity, Uncertainty

__all__ = ["sensitivity_html", "sensitivity_markdown", "uncertainty_html", "uncertainty_markdown"]

_HEADERS = {
    "rank": "#",
    "label": "name",
    "probability": "posterior",
    "low": "low",
    "high": "high",
    "share_first": "ranked first",
    "share_top3": "in top 3",
    "care_level": "care level",
}


def _interval_frame(u: Uncertainty, top: int) -> tuple[object, int]:
    frame = u.to_frame().reset_index()
    shown = frame.head(top)[
        ["rank", "cause", "label", "probability", "low", "high", "share_first", "share_top3", "care_level"]
    ]
    return shown, len(frame) - len(shown)


@registry.register("html", Uncertainty)
def uncertainty_html(u: Uncertainty, top: int = 10) -> str:
    """HTML: the headline, the top causes with intervals and shares, urgency over draws, disclaimer."""
    shown, more = _interval_frame(u, top)
    table = frame_html(
        shown,  # type: ignore[arg-type]
        bars=["probability"],
        levels=["care_level"],
        colour_by="care_level",
        percent=["low", "high", "share_first", "share_top3"],
        code=["cause"],
        rename=_HEADERS,
    )
    return _wrap(
        "uncertainty",
        [
            *(f"<div>{_e(line)}</div>" for line in u.summary_lines()),
            f'<div style="{_MUTED}">Evidence: {_e(_evidence_text(u.evidence))} &middot; model '
            f"<code>{_e(u.model_name)}</code> &middot; {u.draws} draws, seed {u.seed}</div>",
            table,
            f'<div style="{_MUTED}">&hellip; and {more} more causes (<code>to_frame()</code> lists all)</div>'
            if more > 0
            else "",
            f'<div style="{_MUTED}">Draws: {_e(u.sampling)}.</div>',
            _disclaimer_html(u.disclaimer),
        ],
    )


@registry.register("markdown", Uncertainty)
def uncertainty_markdown(u: Uncertainty, top: int = 10) -> str:
    """Markdown from the same table as :func:`uncertainty_html`."""
    shown, more = _interval_frame(u, top)
    lines = [_md(line) for line in u.summary_lines()]
    lines += ["", f"Evidence: {_md(_evidence_text(u.evidence))}", ""]
    lines.append(
        frame_markdown(
            shown,  # type: ignore[arg-type]
            bars=["probability"],
            percent=["low", "high", "share_first", "share_top3"],
            code=["cause", "care_level"],
            rename=_HEADERS,
        )
    )
    if more > 0:
        lines += ["", f"... and {more} more causes."]
    lines += ["", _md(f"Draws: {u.sampling}."), "", f"*{_md(u.disclaimer)}*"]
    return "\n".join(lines)


def _sensitivity_frame(s: Sensitivity, top: int) -> object:
    frame = s.to_frame().reset_index().head(top)
    return frame[["parameter", "word", "down", "probability_down", "up", "probability_up", "swing"]]


_SENSITIVITY_HEADERS = {
    "probability_down": "posterior (down)",
    "probability_up": "posterior (up)",
    "swing": "largest change",
}


def _sensitivity_title(s: Sensitivity) -> str:
    return (
        f"Sensitivity of {s.cause} (posterior {format_probability(s.probability)}) to moving each "
        "parameter one word down or up its scale"
    )


@registry.register("html", Sensitivity)
def sensitivity_html(s: Sensitivity, top: int = 12) -> str:
    """HTML: the parameters that move the cause's posterior most, with the posteriors after each move."""
    table = frame_html(
        _sensitivity_frame(s, top),  # type: ignore[arg-type]
        percent=["probability_down", "probability_up", "swing"],
        code=["parameter"],
        rename=_SENSITIVITY_HEADERS,
    )
    return _wrap(
        "sensitivity",
        [
            f"<div><b>{_e(_sensitivity_title(s))}</b></div>",
            f'<div style="{_MUTED}">Evidence: {_e(_evidence_text(s.evidence))}</div>',
            table,
            _disclaimer_html(s.disclaimer),
        ],
    )


@registry.register("markdown", Sensitivity)
def sensitivity_markdown(s: Sensitivity, top: int = 12) -> str:
    """Markdown from the same table as :func:`sensitivity_html`."""
    lines = [f"**{_md(_sensitivity_title(s))}**", "", f"Evidence: {_md(_evidence_text(s.evidence))}", ""]
    lines.append(
        frame_markdown(
            _sensitivity_frame(s, top),  # type: ignore[arg-type]
            percent=["probability_down", "probability_up", "swing"],
            code=["parameter"],
            rename=_SENSITIVITY_HEADERS,
        )
    )
    lines += ["", f"*{_md(s.disclaimer)}*"]
    return "\n".join(lines)
