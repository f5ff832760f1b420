"""Plots of results and models, scikit-learn ``Display`` style: ``plot(..., ax=None, **kwargs) -> Axes``.

matplotlib is an optional dependency (``pip install "toeprob[plot]"``), imported only when a plot is
drawn. Every function draws on ``ax`` when given (else on a new figure) and returns the Axes; extra
keyword arguments go to the main matplotlib call (named in each docstring). Colours of care levels
are :data:`toeprob.display.html.CARE_COLOURS`. Plots read the results' ``to_frame()`` tables; nothing is
recomputed.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from toeprob import rank_causes
>>> ax = plot_diagnosis(rank_causes({"cramp": True}), top=5)
>>> len(ax.patches)
5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from toeprob import registry
from toeprob.display.html import CARE_COLOURS, CARE_TEXT_COLOURS, OPPOSE_COLOUR, SUPPORT_COLOUR, care_colour
from toeprob.errors import ParameterError
from toeprob.knowledge.urgency import Urgency
from toeprob.numeric import expit, logit
from toeprob.results.diagnosis import DISCLAIMER, Diagnosis
from toeprob.results.evaluation import ReplayReport
from toeprob.results.explanation import Explanation
from toeprob.results.uncertainty import Sensitivity, Uncertainty
from toeprob.validation import check_parameter, non_negative_number, positive_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = [
    "plot_diagnosis",
    "plot_explanation",
    "plot_posteriors",
    "plot_sensitivity",
    "plot_uncertainty",
    "require_matplotlib",
]

INSTALL_HINT = 'toeprob plots need matplotlib: pip install "toeprob[plot]" (or pip install matplotlib).'
#: Okabe & Ito (2008) colour-blind safe qualitative colours, for series (before / after ...).
SERIES_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
_SHORT_DISCLAIMER = DISCLAIMER.split(":")[0] + "."


def require_matplotlib() -> ModuleType:
    """Import and return ``matplotlib.pyplot``, or raise an ImportError with the install command.

    Examples
    --------
    >>> require_matplotlib().__name__
    'matplotlib.pyplot'
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return plt


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    plt = require_matplotlib()
    if ax is not None:
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new  # type: ignore[no-any-return]


def _footnote(ax: Axes) -> None:
    """The short disclaimer, under the x label (anchored to it, so it never overlaps)."""
    ax.annotate(
        _SHORT_DISCLAIMER,
        xy=(0, 0),
        xycoords=("axes fraction", ax.xaxis.label),
        xytext=(0, -3),
        textcoords="offset points",
        va="top",
        ha="left",
        fontsize=7.5,
        color="0.35",
        annotation_clip=False,
    )


def _care_legend_handles(levels: Iterable[Urgency]) -> list[Any]:
    from matplotlib.patches import Patch

    return [
        Patch(facecolor=CARE_COLOURS[lv], edgecolor="0.25", linewidth=0.5, label=lv.label) for lv in levels
    ]


def _check_top(top: int, owner: str) -> None:
    check_parameter(top, positive_int, name="top", owner=owner)


@registry.register("plot", Diagnosis)
def plot_diagnosis(
    diagnosis: Diagnosis,
    ax: Axes | None = None,
    *,
    top: int = 10,
    show_prior: bool = True,
    **kwargs: Any,
) -> Axes:
    """Horizontal bars of the posterior of the top causes, coloured by the cause's care level.

    Parameters
    ----------
    diagnosis : Diagnosis
    ax : matplotlib Axes, optional
        Where to draw; a new figure if ``None``.
    top : int
        How many causes (highest posterior first, drawn top to bottom).
    show_prior : bool
        Mark each cause's prior with a black tick, to show how far the evidence moved it.
    **kwargs
        Passed to ``Axes.barh`` (e.g. ``height``, ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import rank_causes
    >>> ax = plot_diagnosis(rank_causes({"cramp": True}), top=3)
    >>> [t.get_text() for t in ax.get_yticklabels()] == rank_causes({"cramp": True}).to_frame(
    ...     ).index[:3].tolist()
    True
    """
    _check_top(top, "plot_diagnosis")
    frame = diagnosis.to_frame().head(top)
    n = len(frame)
    ax = _axes(ax, (7.0, 0.32 * n + 1.5))
    y = list(range(n))
    probs = [float(p) for p in frame["probability"]]
    colours = [care_colour(c) for c in frame["care_level"]]
    bar_kw: dict[str, Any] = {"height": 0.7, "edgecolor": "0.25", "linewidth": 0.5, "zorder": 2}
    bar_kw.update(kwargs)
    ax.barh(y, probs, color=colours, **bar_kw)
    for yi, p, level in zip(y, probs, frame["care_level"], strict=True):
        inside = p > 0.86
        ax.text(
            p - 0.01 if inside else p + 0.01,
            yi,
            f"{p:.0%}" if p >= 0.01 else f"{p:.1%}",
            va="center",
            ha="right" if inside else "left",
            fontsize=8,
            color=CARE_TEXT_COLOURS[Urgency.parse(level)] if inside else "0.15",
            zorder=4,
        )
    handles = _care_legend_handles(sorted({Urgency.parse(c) for c in frame["care_level"]}))
    if show_prior:
        from matplotlib.lines import Line2D

        priors = [float(p) for p in frame["prior"]]
        ax.scatter(priors, y, marker="|", s=140, color="black", linewidths=1.6, zorder=3)
        handles.append(Line2D([], [], color="black", marker="|", linestyle="", markersize=10, label="prior"))
    return _cause_probability_axes(
        ax,
        list(frame.index),
        "posterior probability P(cause present | evidence)",
        f"Most likely causes · urgency: {diagnosis.urgency.label}, {diagnosis.urgency.meaning}",
        handles,
    )


def _cause_probability_axes(ax: Axes, labels: list[str], xlabel: str, title: str, handles: list[Any]) -> Axes:
    """Finish a chart of one bar per cause on a 0-100% axis: labels, grid, frame, title, legend."""
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.grid(axis="x", color="0.9", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(handles=handles, title="care level", loc="lower right", fontsize=8, title_fontsize=8)
    _footnote(ax)
    return ax


def _percent_formatter() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


def plot_posteriors(
    diagnoses: Mapping[str, Diagnosis] | Sequence[Diagnosis],
    ax: Axes | None = None,
    *,
    top: int = 10,
    **kwargs: Any,
) -> Axes:
    """How evidence moved the causes: one row per cause, a dot per diagnosis, arrows in order.

    Parameters
    ----------
    diagnoses : mapping of label -> Diagnosis, or sequence of Diagnosis
        Two or more diagnoses of the same model, in the order the evidence came
        (e.g. ``{"before": d1, "after": d2}``); a sequence is labelled ``"1", "2", ...``.
    ax : matplotlib Axes, optional
    top : int
        Show the ``top`` causes with the highest posterior in any of the diagnoses, ordered by the
        posterior in the last one.
    **kwargs
        Passed to ``Axes.scatter`` for the dots (e.g. ``s``, ``marker``).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        For fewer than two diagnoses, or diagnoses whose causes differ (different models).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import rank_causes
    >>> d1 = rank_causes({"cramp": True})
    >>> d2 = rank_causes({"cramp": True, "low_fluid_intake": True})
    >>> ax = plot_posteriors({"before": d1, "after": d2}, top=4)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['before', 'after']
    """
    _check_top(top, "plot_posteriors")
    if isinstance(diagnoses, Mapping):
        items = [(str(k), v) for k, v in diagnoses.items()]
    else:
        items = [(str(i), d) for i, d in enumerate(diagnoses, start=1)]
    if len(items) < 2:
        raise ParameterError(
            f"The 'diagnoses' parameter of plot_posteriors must hold at least two diagnoses. "
            f"Got {len(items)} instead."
        )
    tables = [d.to_frame()["probability"] for _, d in items]
    causes = set(tables[0].index)
    for (label, _), table in zip(items, tables, strict=True):
        if set(table.index) != causes:
            raise ParameterError(
                f"The diagnoses of plot_posteriors must come from the same model; {label!r} has "
                f"different causes ({items[0][1].model_name!r} vs {dict(items)[label].model_name!r})."
            )
    last = tables[-1]
    peak = {c: max(float(t[c]) for t in tables) for c in causes}
    chosen = sorted(causes, key=lambda c: (-peak[c], c))[:top]
    chosen.sort(key=lambda c: (-float(last[c]), c))
    n = len(chosen)
    ax = _axes(ax, (7.5, 0.34 * n + 1.5))
    y = list(range(n))
    for yi in y:
        ax.axhline(yi, color="0.92", linewidth=0.8, zorder=0)
    for step in range(len(tables) - 1):
        for yi, cause in zip(y, chosen, strict=True):
            a, b = float(tables[step][cause]), float(tables[step + 1][cause])
            if abs(b - a) < 0.004:
                continue
            ax.annotate(
                "",
                xy=(b, yi),
                xytext=(a, yi),
                arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 1.2, "shrinkA": 4, "shrinkB": 4},
                zorder=2,
            )
    dot_kw: dict[str, Any] = {"s": 42, "edgecolors": "white", "linewidths": 0.8, "zorder": 3}
    dot_kw.update(kwargs)
    for k, ((label, _), table) in enumerate(zip(items, tables, strict=True)):
        ax.scatter(
            [float(table[c]) for c in chosen],
            y,
            color=SERIES_COLOURS[k % len(SERIES_COLOURS)],
            label=label,
            **dot_kw,
        )
    from matplotlib.transforms import blended_transform_factory

    right = blended_transform_factory(ax.transAxes, ax.transData)
    for yi, cause in zip(y, chosen, strict=True):
        text = " → ".join(f"{float(t[cause]):.0%}" for t in tables)
        ax.text(1.02, yi, text, transform=right, va="center", ha="left", fontsize=8, color="0.2")
    ax.set_yticks(y, chosen)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(_percent_formatter())
    ax.set_xlabel("posterior probability P(cause present | evidence)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("How the evidence moved the causes", fontsize=10, loc="left", pad=22)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=min(len(items), 4),
        fontsize=8,
        frameon=False,
        borderaxespad=0.1,
        handletextpad=0.2,
        borderpad=0.1,
    )
    _footnote(ax)
    return ax


# ---------------------------------------------------------------------------------------- explanation


def _waterfall_step(
    ax: Axes, row: int, left: float, width: float, bar_style: dict[str, Any], text_colour: str
) -> None:
    """One waterfall bar from ``left`` to ``left + width``, its dotted connector and its signed label."""
    ax.barh(row, width, left=left, **bar_style)
    ax.plot([left, left], [row - 1.3, row - 0.3], color="0.5", linewidth=0.7, linestyle=":", zorder=1)
    ax.text(
        left + width + (0.06 if width > 0 else -0.06),
        row,
        f"{width:+.2f}",
        va="center",
        ha="left" if width > 0 else "right",
        fontsize=8,
        color=text_colour,
    )


@registry.register("plot_comparison", Diagnosis)
def plot_comparison(
    first: Diagnosis,
    second: Diagnosis,
    ax: Axes | None = None,
    *,
    labels: tuple[str, str] = ("before", "after"),
    top: int = 10,
    **kwargs: Any,
) -> Axes:
    """:func:`plot_posteriors` of two diagnoses (what :meth:`toeprob.Diagnosis.plot_comparison` draws)."""
    a, b = labels
    return plot_posteriors({a: first, b: second}, top=top, ax=ax, **kwargs)


@registry.register("plot", ReplayReport)
def plot_replay_curve(report: ReplayReport, ax: Axes | None = None) -> Axes:
    """Top-1 and under-triage against the number of questions asked, from :meth:`ReplayReport.curve`.

    A checklist counts as one question; a case that stopped counts with its state at the stop.
    The share of cases still asking is drawn as a dotted line.
    """
    require_matplotlib()
    frame = report.curve()
    ax = _axes(ax, (6.0, 3.6))
    k = frame["questions"]
    ax.plot(k, frame["top1"], marker="o", label="top-1 acceptable")
    ax.plot(k, frame["under_triage"], marker="s", label="under-triaged")
    ax.plot(k, frame["still_asking"], linestyle=":", color="grey", label="still asking")
    ax.set_xlabel("questions asked (a checklist counts once)")
    ax.set_ylabel("share of cases")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xticks(list(k))
    ax.set_title(f"Interview replay: {len(report.cases)} cases")
    ax.legend(loc="center right", fontsize="small")
    _footnote(ax)
    return ax


@registry.register("plot", Explanation)
def plot_explanation(
    explanation: Explanation,
    ax: Axes | None = None,
    *,
    min_effect: float = 0.01,
    **kwargs: Any,
) -> Axes:
    """A waterfall of the answers' effects on one cause, from its prior to its posterior (log-odds).

    Each answer is a bar from the running total to the running total plus its effect (blue supports
    the cause, vermillion opposes it), largest first. The effects are leave-one-out changes (see
    :mod:`toeprob.explain`) and need not add up: a hatched grey bar, "interactions", closes the gap to
    the posterior. The top axis reads the log-odds as probabilities.

    Parameters
    ----------
    explanation : Explanation
        From :func:`toeprob.explain` or ``Diagnosis.explain(cause)``.
    ax : matplotlib Axes, optional
    min_effect : float
        Answers whose effect is smaller than this (in absolute value) share one bar, "k small
        effects" (their sum), to keep the chart readable.
    **kwargs
        Passed to ``Axes.barh`` for the answers' bars.

    Returns
    -------
    matplotlib.axes.Axes
        One bar per answer with an effect of at least ``min_effect``, one for the smaller ones
        together (if any), one for the interactions when they are not negligible.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import explain
    >>> e = explain({"cramp": "yes", "low_fluid_intake": "yes"}, "dehydration")
    >>> ax = plot_explanation(e)
    >>> ax.get_yticklabels()[0].get_text().startswith("prior")
    True
    """
    frame = explanation.to_frame()
    answered = frame[frame["role"].isin(["supporting", "opposing"])]
    start, end = float(logit(explanation.prior)), float(logit(explanation.posterior))
    check_parameter(min_effect, non_negative_number, name="min_effect", owner="plot_explanation")
    records = answered.to_dict("records")
    steps = [
        (f"{r['identifier']} = {r['answer']}", float(r["log_odds_change"]))
        for r in records
        if abs(float(r["log_odds_change"])) >= min_effect
    ]
    small = [float(r["log_odds_change"]) for r in records if abs(float(r["log_odds_change"])) < min_effect]
    if small:
        steps.append((f"{len(small)} small effect{'s' if len(small) > 1 else ''}", sum(small)))
    residual = end - start - sum(e for _, e in steps)
    labels = [f"prior {explanation.prior:.1%}"] + [name for name, _ in steps]
    if abs(residual) > 0.005:
        labels.append("interactions")
    labels.append(f"posterior {explanation.posterior:.1%}")
    n = len(labels)
    ax = _axes(ax, (7.5, 0.36 * n + 1.9))
    from matplotlib.patches import Patch

    bar_kw: dict[str, Any] = {"height": 0.6, "edgecolor": "0.25", "linewidth": 0.5, "zorder": 2}
    bar_kw.update(kwargs)
    total, row = start, 1
    span = [start, end]
    for _, effect in steps:
        colour = SUPPORT_COLOUR if effect > 0 else OPPOSE_COLOUR
        _waterfall_step(ax, row, total, effect, dict(bar_kw, color=colour), "0.15")
        total += effect
        span.append(total)
        row += 1
    if "interactions" in labels:
        style = {"color": "0.85", "hatch": "///", "edgecolor": "0.45", "linewidth": 0.5, "height": 0.6}
        _waterfall_step(ax, row, total, residual, style, "0.3")
        row += 1
    for y, x in ((0, start), (n - 1, end)):
        colour = care_colour(explanation.care_level)
        ax.scatter([x], [y], marker="D", s=46, color=colour, edgecolors="0.2", zorder=3)
    ax.plot([end, end], [n - 2.3, n - 1.2], color="0.5", linewidth=0.7, linestyle=":", zorder=1)
    lo, hi = min(span), max(span)
    pad = max(0.6, 0.12 * (hi - lo))
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_yticks(range(n), labels)
    ax.set_ylim(n - 0.4, -0.6)
    ax.axvline(0.0, color="0.8", linewidth=0.8, zorder=0)
    ax.set_xlabel(f"log-odds of {explanation.cause}")
    top = ax.secondary_xaxis("top", functions=(expit, logit))
    candidates = (0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999)
    ticks = [t for t in candidates if lo - pad <= float(logit(t)) <= hi + pad]
    top.set_xticks(ticks, [f"{t:.1%}".replace(".0%", "%") for t in ticks])
    top.tick_params(labelsize=8)
    for side in ("right",):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"Why {explanation.cause}: {explanation.prior:.1%} → {explanation.posterior:.1%}",
        fontsize=10,
        loc="left",
        pad=22,
    )
    handles = [
        Patch(facecolor=SUPPORT_COLOUR, edgecolor="0.25", label="supports"),
        Patch(facecolor=OPPOSE_COLOUR, edgecolor="0.25", label="opposes"),
    ]
    if "interactions" in labels:
        handles.append(Patch(facecolor="0.85", hatch="///", edgecolor="0.45", label="interactions"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    _footnote(ax)
    return ax


# ---------------------------------------------------------------------------------------- the network


@registry.register("plot", Uncertainty)
def plot_uncertainty(
    uncertainty: Uncertainty,
    ax: Axes | None = None,
    *,
    top: int = 10,
    **kwargs: Any,
) -> Axes:
    """Interval bars of the top causes with their point posteriors, coloured by care level.

    Each cause gets a bar from the low to the high end of its interval (the central ``level`` of
    the draws) and a black dot at its point posterior; the label on the right gives how often it
    ranked first over the draws.

    Parameters
    ----------
    uncertainty : Uncertainty
    ax : matplotlib Axes, optional
    top : int
        How many causes, in the point ranking.
    **kwargs
        Passed to ``Axes.barh``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import rank_causes
    >>> ax = rank_causes({"cramp": True}).uncertainty(draws=50, seed=0).plot(top=4)
    >>> len(ax.patches)
    4
    """
    _check_top(top, "plot_uncertainty")
    frame = uncertainty.to_frame().head(top)
    n = len(frame)
    ax = _axes(ax, (7.0, 0.32 * n + 1.6))
    y = list(range(n))
    low = [float(v) for v in frame["low"]]
    high = [float(v) for v in frame["high"]]
    point = [float(v) for v in frame["probability"]]
    colours = [care_colour(c) for c in frame["care_level"]]
    bar_kw: dict[str, Any] = {"height": 0.55, "edgecolor": "0.25", "linewidth": 0.5, "zorder": 2}
    bar_kw.update(kwargs)
    ax.barh(y, [h - lo for lo, h in zip(low, high, strict=True)], left=low, color=colours, **bar_kw)
    ax.scatter(point, y, marker="o", s=22, color="black", zorder=3)
    for yi, lo, h, first in zip(y, low, high, frame["share_first"], strict=True):
        right = h < 0.8  # beside the bar, or before it when the bar reaches the right edge
        ax.text(
            h + 0.01 if right else lo - 0.01,
            yi,
            f"first in {float(first):.0%}",
            va="center",
            ha="left" if right else "right",
            fontsize=7.5,
            color="0.2",
        )
    from matplotlib.lines import Line2D

    handles = _care_legend_handles(sorted({Urgency.parse(c) for c in frame["care_level"]}))
    handles.append(Line2D([], [], color="black", marker="o", linestyle="", markersize=5, label="point"))
    return _cause_probability_axes(
        ax,
        list(frame.index),
        f"posterior probability: point and {uncertainty.level:.0%} interval over {uncertainty.draws} draws",
        f"How sure is it · top cause changes in {uncertainty.top_change_rate:.0%} of draws",
        handles,
    )


@registry.register("plot", Sensitivity)
def plot_sensitivity(
    sensitivity: Sensitivity,
    ax: Axes | None = None,
    *,
    top: int = 12,
    **kwargs: Any,
) -> Axes:
    """A tornado plot: the change of one cause's posterior when each parameter moves one word.

    The parameters with the largest effect are at the top; for each, a bar for the move one word
    down and one for the move one word up (labelled with the word moved to), from the point
    posterior.

    Parameters
    ----------
    sensitivity : Sensitivity
    ax : matplotlib Axes, optional
    top : int
        How many parameters.
    **kwargs
        Passed to ``Axes.barh``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import rank_causes
    >>> ax = rank_causes({"cramp": True}).sensitivity("dehydration").plot(top=5)
    >>> len(ax.get_yticklabels())
    5
    """
    _check_top(top, "plot_sensitivity")
    frame = sensitivity.to_frame().head(top)
    n = len(frame)
    ax = _axes(ax, (7.5, 0.36 * n + 1.6))
    y = list(range(n))
    bar_kw: dict[str, Any] = {"height": 0.6, "edgecolor": "0.25", "linewidth": 0.5, "zorder": 2}
    bar_kw.update(kwargs)
    base = sensitivity.probability
    from matplotlib.patches import Patch

    for column, word, colour in (
        ("probability_down", "down", SERIES_COLOURS[0]),
        ("probability_up", "up", SERIES_COLOURS[1]),
    ):
        for yi, value, label in zip(y, frame[column], frame[word], strict=True):
            if value is None or value != value:  # NaN: the end of the scale
                continue
            ax.barh(yi, float(value) - base, left=base, color=colour, **bar_kw)
            ax.text(
                float(value),
                yi,
                f" {label} ",
                va="center",
                ha="left" if float(value) >= base else "right",
                fontsize=7,
                color="0.2",
            )
    ax.axvline(base, color="black", linewidth=1.0, zorder=3)
    ax.set_yticks(y, list(frame.index), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"posterior of {sensitivity.cause} (point {base:.1%})")
    from matplotlib.ticker import PercentFormatter

    ax.margins(x=0.15)  # room for the words at the bars' ends
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))  # decimals as the span needs
    ax.grid(axis="x", color="0.9", zorder=0)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"What moves {sensitivity.cause}: one word down or up", fontsize=10, loc="left")
    ax.legend(
        handles=[
            Patch(facecolor=SERIES_COLOURS[0], label="one word down"),
            Patch(facecolor=SERIES_COLOURS[1], label="one word up"),
        ],
        loc="lower right",
        fontsize=8,
    )
    _footnote(ax)
    return ax
