"""Rich display: HTML and Markdown for results and models, derived from their ``to_frame()`` tables.

Every renderer reads one table (``Diagnosis.to_frame()``, :func:`model_frame`, ...) plus the stored
fields of the result (urgency, reasons, disclaimer); nothing is recomputed. All text is escaped.
Jupyter calls these through ``_repr_html_`` / ``_repr_markdown_`` on the result objects.

Examples
--------
>>> from toeprob import rank_causes
>>> html = diagnosis_html(rank_causes({"cramp": True}), top=3)
>>> "not a medical device" in html
True
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from toeprob import registry
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import SCORING_NOTE, Diagnosis
from toeprob.results.formatting import format_probability

if TYPE_CHECKING:
    import pandas as pd

    from toeprob.results.diagnosis import UrgencyReason

__all__ = [
    "CARE_COLOURS",
    "CARE_TEXT_COLOURS",
    "OPPOSE_COLOUR",
    "SUPPORT_COLOUR",
    "care_colour",
    "diagnosis_html",
    "diagnosis_markdown",
    "frame_html",
    "frame_markdown",
]

#: Care level -> fill colour, cool (manage at home) to warm (emergency): teal, light teal, light
#: orange, orange, dark red (after ColorBrewer BrBG / PuOr). Checked with a simulation of deuteranopia
#: and protanopia (Machado et al. 2009): the cool levels turn blue-grey and the warm ones yellow-olive
#: of distinct lightness, so the order survives red-green colour blindness and greyscale printing.
CARE_COLOURS: Mapping[Urgency, str] = {
    Urgency.SELF_CARE: "#0f8b8d",
    Urgency.ROUTINE: "#80cdc1",
    Urgency.SOON: "#fdb863",
    Urgency.URGENT: "#e66101",
    Urgency.EMERGENCY: "#a50f15",
}
#: Care level -> a text colour readable on :data:`CARE_COLOURS`.
CARE_TEXT_COLOURS: Mapping[Urgency, str] = {
    Urgency.SELF_CARE: "#ffffff",
    Urgency.ROUTINE: "#1a1a1a",
    Urgency.SOON: "#1a1a1a",
    Urgency.URGENT: "#ffffff",
    Urgency.EMERGENCY: "#ffffff",
}
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;line-height:1.35"
_MUTED = "opacity:0.72"


def care_colour(level: Urgency | str) -> str:
    """The fill colour of a care or urgency level (an :class:`~toeprob.Urgency` or its label).

    Examples
    --------
    >>> care_colour("emergency")
    '#a50f15'
    """
    return CARE_COLOURS[Urgency.parse(level)]


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _percent(p: float) -> str:
    return format_probability(p)


def _badge(level: Urgency | str, text: str | None = None) -> str:
    lv = Urgency.parse(level)
    style = (
        f"background:{CARE_COLOURS[lv]};color:{CARE_TEXT_COLOURS[lv]};padding:1px 7px;border-radius:9px;"
        "font-weight:600;font-size:0.92em;white-space:nowrap"
    )
    return f'<span style="{style}">{_e(text if text is not None else lv.label)}</span>'


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _bar(fraction: float, colour: str, label: str) -> str:
    width = max(0.0, min(1.0, float(fraction))) * 100
    return (
        '<div style="display:flex;align-items:center;gap:6px">'
        '<div style="flex:1;min-width:7em;height:0.8em;background:rgba(128,128,128,0.16);border-radius:2px">'
        f'<div style="width:{width:.1f}%;height:100%;background:{colour};border-radius:2px"></div></div>'
        '<span style="min-width:3.6em;text-align:right;font-variant-numeric:tabular-nums">'
        f"{_e(label)}</span></div>"
    )


#: Colours of effects that support (raise) and oppose (lower) a cause: Okabe-Ito blue / vermillion.
SUPPORT_COLOUR = "#0072B2"
OPPOSE_COLOUR = "#D55E00"


def _signed_bar(value: float, scale: float) -> str:
    half = 0.0 if scale <= 0 else min(1.0, abs(value) / scale) * 50
    colour = SUPPORT_COLOUR if value > 0 else OPPOSE_COLOUR
    left = 50 - half if value < 0 else 50
    return (
        '<div style="display:flex;align-items:center;gap:6px">'
        '<div style="position:relative;flex:1;min-width:8em;height:0.8em;'
        'background:rgba(128,128,128,0.16);border-radius:2px">'
        '<div style="position:absolute;left:50%;top:-2px;bottom:-2px;width:1px;background:rgba(0,0,0,0.45)">'
        f'</div><div style="position:absolute;left:{left:.1f}%;width:{half:.1f}%;height:100%;'
        f'background:{colour};border-radius:2px"></div></div>'
        '<span style="min-width:3.2em;text-align:right;font-variant-numeric:tabular-nums">'
        f"{value:+.2f}</span></div>"
    )


def frame_html(
    frame: pd.DataFrame,
    *,
    bars: Iterable[str] = (),
    scaled_bars: Iterable[str] = (),
    signed_bars: Iterable[str] = (),
    levels: Iterable[str] = (),
    colour_by: str | None = None,
    percent: Iterable[str] = (),
    code: Iterable[str] = (),
    tooltips: Mapping[str, str] | None = None,
    rename: Mapping[str, str] | None = None,
) -> str:
    """Render a table as an escaped HTML ``<table>``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows to show, in order.
    bars : iterable of str
        Columns of probabilities in [0, 1] drawn as bars with the percentage.
    scaled_bars : iterable of str
        Columns of non-negative numbers drawn as bars relative to the column's maximum.
    signed_bars : iterable of str
        Columns of signed effects drawn as bars left (negative) or right (positive) of a centre line.
    levels : iterable of str
        Columns of care/urgency labels drawn as coloured badges (blank when missing).
    colour_by : str, optional
        A column of care labels giving the colour of the ``bars`` (default: neutral grey); it is not
        shown itself unless it is also in ``levels``.
    percent : iterable of str
        Columns of probabilities written as percentages.
    code : iterable of str
        Columns of identifiers, written in monospace.
    tooltips : mapping, optional
        Shown column -> a column whose text becomes the cell's tooltip (that column is not shown).
    rename : mapping, optional
        Column -> header text.

    Examples
    --------
    >>> import pandas as pd
    >>> frame_html(pd.DataFrame({"cause": ["a<b"], "p": [0.5]}), bars=["p"]).count("a&lt;b")
    1
    """
    bars, scaled, signed = set(bars), set(scaled_bars), set(signed_bars)
    levels, percent, code = set(levels), set(percent), set(code)
    names, tips = dict(rename or {}), dict(tooltips or {})
    hidden = set(tips.values()) | ({colour_by} - levels if colour_by else set())
    shown = [c for c in frame.columns if c not in hidden]
    top = {c: max([float(v) for v in frame[c] if not _missing(v)] or [0.0]) for c in scaled}
    spread = {c: max([abs(float(v)) for v in frame[c] if not _missing(v)] or [0.0]) for c in signed}
    cells = "padding:3px 8px;text-align:left;vertical-align:middle"
    head = "".join(
        f'<th style="{cells};border-bottom:1px solid rgba(128,128,128,0.5)">{_e(names.get(c, c))}</th>'
        for c in shown
    )
    rows = []
    for record in frame.to_dict("records"):
        colour = care_colour(str(record[colour_by])) if colour_by else "#7f7f7f"
        tds = []
        for column in shown:
            value = record[column]
            if _missing(value):
                content = ""
            elif column in bars:
                content = _bar(float(value), colour, _percent(float(value)))
            elif column in scaled:
                fraction = float(value) / top[column] if top[column] > 0 else 0.0
                content = _bar(fraction, "#7f7f7f", f"{float(value):.3f}")
            elif column in signed:
                content = _signed_bar(float(value), spread[column])
            elif column in levels:
                content = _badge(str(value))
            elif column in percent:
                content = _e(_percent(float(value)))
            elif column in code:
                content = f"<code>{_e(value)}</code>"
            else:
                content = _e(value)
            tip = f' title="{_e(record[tips[column]])}"' if column in tips else ""
            tds.append(f'<td style="{cells}"{tip}>{content}</td>')
        rows.append(f"<tr>{''.join(tds)}</tr>")
    return (
        '<table style="border-collapse:collapse;margin:4px 0">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md(value: object) -> str:
    return _MD_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def _md_code(value: object) -> str:
    """``value`` as a Markdown code span that its own backticks cannot close (CommonMark rules)."""
    text = " ".join(str(value).splitlines()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text_bar(p: float, width: int = 10) -> str:
    eighths = round(max(0.0, min(1.0, float(p))) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[part]


def frame_markdown(
    frame: pd.DataFrame,
    *,
    bars: Iterable[str] = (),
    signed: Iterable[str] = (),
    percent: Iterable[str] = (),
    code: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
) -> str:
    """Render a table as a Markdown (GFM) table, escaping text.

    ``bars`` (probabilities) get a percentage and a text bar, ``signed`` a signed number, ``percent``
    a percentage, ``code`` backticks; missing values are blank.

    Examples
    --------
    >>> import pandas as pd
    >>> print(frame_markdown(pd.DataFrame({"cause": ["a|b"], "p": [0.5]}), bars=["p"]))
    | cause | p |
    |---|---|
    | a\\|b | 50.0% █████ |
    """
    bars, signed, percent, code = set(bars), set(signed), set(percent), set(code)
    names = dict(rename or {})
    lines = [
        "| " + " | ".join(_md(names.get(c, c)) for c in frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for record in frame.to_dict("records"):
        cells = []
        for column, value in record.items():
            if _missing(value):
                cells.append("")
            elif column in bars:
                cells.append(f"{_percent(float(value))} {_text_bar(float(value))}".rstrip())
            elif column in signed:
                cells.append(f"{float(value):+.2f}")
            elif column in percent:
                cells.append(_percent(float(value)))
            elif column in code:
                cells.append(f"`{str(value).replace('`', '')}`")
            else:
                cells.append(_md(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- Diagnosis

_DIAGNOSIS_HEADERS = {"rank": "#", "label": "name", "probability": "posterior", "care_level": "care level"}


def _evidence_text(evidence: Mapping[str, bool]) -> str:
    return ", ".join(f"{k} = {'yes' if v else 'no'}" for k, v in evidence.items()) or "none"


def _urgency_html(urgency: Urgency, reasons: Iterable[UrgencyReason]) -> str:
    items = "".join(
        f"<li><b>{_e(r.text)}</b> (sets the level)</li>" if r.sets_level else f"<li>{_e(r.text)}</li>"
        for r in reasons
    )
    return f"<div><b>Urgency</b> {_badge(urgency)} <span>{_e(urgency.meaning)}</span></div>" + (
        f'<ul style="margin:4px 0 6px 1.2em;padding:0">{items}</ul>' if items else ""
    )


def _urgency_markdown(urgency: Urgency, reasons: Iterable[UrgencyReason]) -> list[str]:
    lines = [f"**Urgency: {urgency.label}**, {_md(urgency.meaning)}", ""]
    items = [f"- **{_md(r.text)}** (sets the level)" if r.sets_level else f"- {_md(r.text)}" for r in reasons]
    return lines + ([*items, ""] if items else [])


def _disclaimer_html(text: str) -> str:
    return f'<div style="{_MUTED};font-size:0.9em;margin-top:6px;max-width:52em">&#9888; {_e(text)}</div>'


def _wrap(kind: str, parts: Iterable[str]) -> str:
    return f'<div class="toeprob-{kind}" style="{_FONT};max-width:66em">{"".join(parts)}</div>'


@registry.register("html", Diagnosis)
def diagnosis_html(diagnosis: Diagnosis, top: int = 10) -> str:
    """HTML for a :class:`~toeprob.Diagnosis`: urgency badge and reasons, top causes, disclaimer.

    Parameters
    ----------
    diagnosis : Diagnosis
    top : int
        How many causes to list (the table ``diagnosis.to_frame()`` has all of them).

    Examples
    --------
    >>> from toeprob import rank_causes
    >>> d = rank_causes({"numbness": True, "burning_pain": True, "diabetes": True})
    >>> html = diagnosis_html(d, top=5)
    >>> d.top.cause in html and d.urgency.label in html
    True
    """
    frame = diagnosis.to_frame().reset_index()
    shown = frame.head(top)[["rank", "cause", "label", "probability", "prior", "care_level", "description"]]
    table = frame_html(
        shown,
        bars=["probability"],
        levels=["care_level"],
        colour_by="care_level",
        percent=["prior"],
        code=["cause"],
        tooltips={"cause": "description"},
        rename=_DIAGNOSIS_HEADERS,
    )
    more = len(frame) - len(shown)
    return _wrap(
        "diagnosis",
        [
            _urgency_html(diagnosis.urgency, diagnosis.urgency_reasons),
            f'<div style="{_MUTED}">Evidence: {_e(_evidence_text(diagnosis.evidence))} '
            f"&middot; model <code>{_e(diagnosis.model_name)}</code></div>",
            table,
            f'<div style="{_MUTED}">&hellip; and {more} more causes (<code>to_frame()</code> lists all)</div>'
            if more > 0
            else "",
            f'<div style="{_MUTED}">{_e(SCORING_NOTE)}</div>',
            _disclaimer_html(diagnosis.disclaimer),
        ],
    )


@registry.register("markdown", Diagnosis)
def diagnosis_markdown(diagnosis: Diagnosis, top: int = 10) -> str:
    """Markdown for a :class:`~toeprob.Diagnosis`, from the same table as :func:`diagnosis_html`.

    Examples
    --------
    >>> from toeprob import rank_causes
    >>> md = diagnosis_markdown(rank_causes({"cramp": True}), top=2)
    >>> print(md.splitlines()[0])  # doctest: +ELLIPSIS
    **Urgency: self_care**, manage at home ...
    >>> "| # | cause | name | posterior | prior | care level |" in md
    True
    """
    frame = diagnosis.to_frame().reset_index()
    shown = frame.head(top)[["rank", "cause", "label", "probability", "prior", "care_level"]]
    lines = _urgency_markdown(diagnosis.urgency, diagnosis.urgency_reasons)
    lines += [f"Evidence: {_md(_evidence_text(diagnosis.evidence))}", ""]
    lines.append(
        frame_markdown(
            shown,
            bars=["probability"],
            percent=["prior"],
            code=["cause", "care_level"],
            rename=_DIAGNOSIS_HEADERS,
        )
    )
    if len(frame) > len(shown):
        lines += ["", f"... and {len(frame) - len(shown)} more causes."]
    lines += ["", _md(SCORING_NOTE)]
    lines += ["", f"*{_md(diagnosis.disclaimer)}*"]
    return "\n".join(lines)


# -------------------------------------------------------------------------------------- Explanation
