"""HTML and Markdown for a model: counts, identifiers grouped by kind, the word scales.

Examples
--------
>>> from toeprob import load_model
>>> "tetanus" in model_html(load_model())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toeprob import registry
from toeprob.display.html import _FONT, _MUTED, _badge, _e, _md, _md_code, care_colour, frame_html
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency

if TYPE_CHECKING:
    import pandas as pd


__all__ = ["model_frame", "model_html", "model_markdown"]


_KINDS = ("risk_factor", "cause", "finding")


def model_frame(model: Model) -> pd.DataFrame:
    """One row per node of ``model``: ``kind, identifier, description, word, probability, level``.

    ``word``/``probability`` are the prevalence (risk factors), the prior frequency (causes) or the
    leak (findings); ``level`` is the care level of a cause or the red-flag floor of a finding.

    Examples
    --------
    >>> from toeprob import load_model
    >>> model_frame(load_model()).groupby("kind").size().to_dict()  # doctest: +SKIP
    {'cause': 27, 'finding': 40, 'risk_factor': 29}
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for r in model.risk_factor_specs.values():
        rows.append(_row("risk_factor", r.id, r.description, r.prevalence_word, r.prevalence, None))
    for c in model.cause_specs.values():
        rows.append(_row("cause", c.id, c.description, c.frequency, c.prior, c.care_level))
    for f in model.finding_specs.values():
        rows.append(_row("finding", f.id, f.description, f.leak_word, f.leak, f.red_flag_floor))
    return pd.DataFrame(rows, columns=["kind", "identifier", "description", "word", "probability", "level"])


def _row(
    kind: str, ident: str, description: str, word: str, probability: float, level: Urgency | None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "identifier": ident,
        "description": description,
        "word": word,
        "probability": probability,
        "level": None if level is None else level.label,
    }


def _label(value: object) -> str | None:
    """A care label from a table cell, ``None`` for a missing one (None or NaN)."""
    return value if isinstance(value, str) and value else None


def _chip(identifier: str, description: str, level: str | None) -> str:
    border = f"border-left:4px solid {care_colour(level)};" if level else ""
    return (
        f'<code title="{_e(description)}" style="{border}padding:0 4px;margin:1px 2px;'
        f'display:inline-block;white-space:nowrap">{_e(identifier)}</code>'
    )


def _legend_html() -> str:
    return " ".join(_badge(level) for level in Urgency)


@registry.register("html", Model)
def model_html(model: Model) -> str:
    """HTML for a :class:`~toeprob.Model`: counts, identifiers grouped by kind, the frequency scale.

    Examples
    --------
    >>> from toeprob import load_model
    >>> "frequency" in model_html(load_model())
    True
    """
    frame = model_frame(model)
    counts = frame.groupby("kind", sort=False).size()
    n_links = len(model.risk_links) + len(model.finding_links)
    n_flags = int(frame["level"].notna()[frame["kind"] == "finding"].sum())
    summary = (
        f"{counts.get('risk_factor', 0)} risk factors &rarr; {counts.get('cause', 0)} causes &rarr; "
        f"{counts.get('finding', 0)} findings ({n_flags} red flags) &middot; {n_links} links "
        f"({len(model.risk_links)} risk factor &rarr; cause, {len(model.finding_links)} cause &rarr; finding)"
    )
    groups = []
    titles = {
        "risk_factor": "Risk factors (observed context)",
        "cause": "Causes (hidden); colour mark = care level",
        "finding": "Findings (observed); colour mark = red-flag floor",
    }
    for kind in _KINDS:
        rows = frame[frame["kind"] == kind]
        if kind == "cause":
            rows = rows.assign(_order=[int(Urgency.parse(str(v))) for v in rows["level"]])
            rows = rows.sort_values("_order", kind="stable")
        chips = "".join(
            _chip(str(r["identifier"]), f"{r['description']} ({r['word']})", _label(r["level"]))
            for r in rows.to_dict("records")
        )
        groups.append(
            f'<div style="margin-top:6px"><b>{_e(titles[kind])}</b> '
            f'<span style="{_MUTED}">({len(rows)})</span><div>{chips}</div></div>'
        )
    scale = model.scales["frequency"]
    import pandas as pd

    scale_frame = pd.DataFrame({"word": list(scale.values), "probability": list(scale.values.values())})
    scale_table = frame_html(scale_frame, bars=["probability"], rename={"probability": "prior"})
    others = "".join(
        f"<div>{_e(name)} scale: "
        + ", ".join(f"{_e(w)} {p:.3g}" for w, p in model.scales[name].values.items())
        + "</div>"
        for name in ("strength", "prevalence")
        if name in model.scales
    )
    return "".join(
        [
            f'<div class="toeprob-model" style="{_FONT};max-width:60em">',
            f"<div><b>Model <code>{_e(model.name)}</code></b> v{_e(model.version)} "
            f'<span style="{_MUTED}">&middot; {_e(model.population)}</span></div>',
            f"<div>{summary}</div>",
            f'<div style="margin-top:4px">Care levels: {_legend_html()}</div>',
            *groups,
            '<div style="margin-top:8px"><b>Frequency scale</b> (word &rarr; prior of a cause)</div>',
            scale_table,
            f'<details style="{_MUTED}"><summary>where the numbers come from</summary>'
            f"{_e(scale.source)}</details>",
            f'<div style="{_MUTED};margin-top:4px">{others}</div>',
            f'<div style="{_MUTED};font-size:0.9em">source file: {_e(model.source)}</div>',
            "</div>",
        ]
    )


@registry.register("markdown", Model)
def model_markdown(model: Model) -> str:
    """Markdown for a :class:`~toeprob.Model`, from :func:`model_frame`.

    Examples
    --------
    >>> from toeprob import load_model
    >>> print(model_markdown(load_model()).splitlines()[0])  # doctest: +ELLIPSIS
    **Model `default`** v...
    """
    frame = model_frame(model)
    lines = [f"**Model {_md_code(model.name)}** v{_md(model.version)}: {_md(model.population)}", ""]
    for kind, title in zip(_KINDS, ("Risk factors", "Causes", "Findings"), strict=True):
        ids = frame.loc[frame["kind"] == kind, "identifier"]
        lines.append(f"- {title} ({len(ids)}): " + ", ".join(f"`{i}`" for i in ids))
    scale = model.scales["frequency"]
    lines += ["", "Frequency scale: " + ", ".join(f"{_md(w)} = {p:g}" for w, p in scale.values.items())]
    return "\n".join(lines)
