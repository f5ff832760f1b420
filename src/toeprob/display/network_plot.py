"""Drawing of a model's three-layer network (risk factors -> causes -> findings) with matplotlib.

Nodes sit in three columns; causes are coloured by care level and findings by red-flag floor; links
are drawn wider and darker the stronger they are. ``nodes=`` restricts the picture to the
neighbourhood of some nodes. No Graphviz binary is needed.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from toeprob import load_model
>>> ax = draw_model(load_model(), nodes=["tetanus"], depth=1)
>>> "tetanus" in ax.get_title(loc="left")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from toeprob import registry
from toeprob.display.html import care_colour
from toeprob.display.plotting import _axes, _care_legend_handles
from toeprob.errors import ParameterKeyError
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.validation import check_parameter, non_negative_int, unknown_identifier_message

if TYPE_CHECKING:
    from matplotlib.axes import Axes


__all__ = ["draw_model"]

_COLUMNS = ("risk_factor", "cause", "finding")
_RISK_COLOUR = "#d9d9d9"
_FINDING_COLOUR = "#f0f0f0"


def _neighbourhood(model: Model, nodes: Sequence[str], depth: int) -> set[str]:
    every = (*model.risk_factors, *model.causes, *model.findings)
    for node in nodes:
        if node not in every:
            raise ParameterKeyError(unknown_identifier_message(node, every, "a node", model=model.name))
    adjacent: dict[str, set[str]] = {n: set() for n in every}
    for lk in (*model.risk_links, *model.finding_links):
        adjacent[lk.parent].add(lk.child)
        adjacent[lk.child].add(lk.parent)
    keep, frontier = set(nodes), set(nodes)
    for _ in range(depth):
        frontier = {m for n in frontier for m in adjacent[n]} - keep
        keep |= frontier
    return keep


def _layout(model: Model, keep: set[str]) -> dict[str, tuple[float, float]]:
    """Three columns; causes in care-level order, the outer columns sorted by their causes' mean rank."""
    causes = sorted(
        (c for c in model.causes if c in keep),
        key=lambda c: (int(model.cause_specs[c].care_level), model.causes.index(c)),
    )
    rank = {c: i for i, c in enumerate(causes)}

    def outer(ids: Iterable[str], links: Iterable[Any], end: str) -> list[str]:
        ids = [i for i in ids if i in keep]
        mean: dict[str, float] = {}
        for i in ids:
            linked = [
                rank[getattr(lk, "child" if end == "parent" else "parent")]
                for lk in links
                if getattr(lk, end) == i and getattr(lk, "child" if end == "parent" else "parent") in rank
            ]
            mean[i] = sum(linked) / len(linked) if linked else float(len(rank))
        return sorted(ids, key=lambda i: (mean[i], i))

    columns = [
        outer(model.risk_factors, model.risk_links, "parent"),
        causes,
        outer(model.findings, model.finding_links, "child"),
    ]
    pos: dict[str, tuple[float, float]] = {}
    for x, column in enumerate(columns):
        count = len(column)
        for k, node in enumerate(column):
            pos[node] = (float(x), 0.5 if count == 1 else k / (count - 1))
    return pos


@registry.register("draw", Model)
def draw_model(
    model: Model,
    ax: Axes | None = None,
    *,
    nodes: Sequence[str] | None = None,
    depth: int = 1,
    fontsize: float | None = None,
    **kwargs: Any,
) -> Axes:
    """Draw the three-layer network: risk factors -> causes -> findings (no Graphviz needed).

    Causes are coloured by care level and findings by red-flag floor (grey: none); a line's width and
    darkness follow the link's strength; lines into findings take the colour of their cause.

    Parameters
    ----------
    model : Model
    ax : matplotlib Axes, optional
    nodes : sequence of str, optional
        Draw only these nodes and their neighbourhood (nodes up to ``depth`` links away, in either
        direction); the given nodes are outlined in bold. ``None`` draws the whole network.
    depth : int
        Size of the neighbourhood, in links.
    fontsize : float, optional
        Label size; by default 8 for large networks, larger for small ones.
    **kwargs
        Passed to the ``LineCollection`` of the links (e.g. ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes
        Each node label is a text artist whose ``gid`` is ``"node:<identifier>"``.

    Raises
    ------
    UnknownIdentifierError
        For a node that is not in the model (the message lists the closest identifiers).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from toeprob import load_model
    >>> model = load_model()
    >>> ax = draw_model(model, nodes=["tetanus"])
    >>> shown = {t.get_gid()[5:] for t in ax.texts if (t.get_gid() or "").startswith("node:")}
    >>> shown == {"tetanus", *(lk.child for lk in model.links_from("tetanus")),
    ...           *(lk.parent for lk in model.links_to("tetanus"))}
    True
    """
    check_parameter(depth, non_negative_int, name="depth", owner="draw_model")
    every = {*model.risk_factors, *model.causes, *model.findings}
    if nodes is None:
        keep, focus = every, []
    else:
        if isinstance(nodes, str):
            nodes = [nodes]
        focus = list(dict.fromkeys(nodes))
        keep = _neighbourhood(model, focus, depth)
    pos = _layout(model, keep)
    longest = max(sum(1 for n in pos if pos[n][0] == x) for x in range(3))
    size = fontsize if fontsize is not None else (8.0 if longest > 20 else 9.5)
    ax = _axes(ax, (11.0, max(3.0, 0.2 * longest * size / 8.0 + 1.6)))

    from matplotlib.collections import LineCollection

    segments, colours, widths = [], [], []
    for lk in (*model.risk_links, *model.finding_links):
        if lk.parent in pos and lk.child in pos:
            segments.append([pos[lk.parent], pos[lk.child]])
            cause = lk.child if lk.child in model.cause_specs else lk.parent
            base = "0.45" if lk.child == cause else care_colour(model.cause_specs[cause].care_level)
            colours.append(_with_alpha(_darker(base), 0.3 + 0.55 * lk.probability))
            widths.append(0.4 + 2.0 * lk.probability)
    line_kw: dict[str, Any] = {"zorder": 1}
    line_kw.update(kwargs)
    ax.add_collection(LineCollection(segments, colors=colours, linewidths=widths, **line_kw))

    for node, (x, y) in pos.items():
        if node in model.cause_specs:
            fill = care_colour(model.cause_specs[node].care_level)
            dark = model.cause_specs[node].care_level in (
                Urgency.SELF_CARE,
                Urgency.URGENT,
                Urgency.EMERGENCY,
            )
        elif node in model.finding_specs:
            floor = model.finding_specs[node].red_flag_floor
            fill, dark = (
                (care_colour(floor), floor in (Urgency.URGENT, Urgency.EMERGENCY))
                if floor
                else (_FINDING_COLOUR, False)
            )
        else:
            fill, dark = _RISK_COLOUR, False
        ha = ("right", "center", "left")[int(x)]
        bold = node in focus
        text = ax.text(
            x,
            y,
            node,
            ha=ha,
            va="center",
            fontsize=size,
            fontweight="bold" if bold else "normal",
            color="white" if dark else "0.1",
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": fill,
                "edgecolor": "0.1" if bold else "0.55",
                "linewidth": 1.6 if bold else 0.5,
            },
        )
        text.set_gid(f"node:{node}")
    margin = 0.6 / max(longest - 1, 2)
    for x, title in enumerate(("risk factors", "causes", "findings")):
        ax.text(
            x,
            -margin,
            title,
            ha=("right", "center", "left")[x],
            va="bottom",
            fontsize=size + 1,
            fontweight="bold",
            color="0.25",
        )
    from matplotlib.lines import Line2D

    handles = _care_legend_handles(Urgency)
    handles += [
        _patch(_RISK_COLOUR, "risk factor"),
        _patch(_FINDING_COLOUR, "finding (no red flag)"),
        Line2D([], [], color="0.45", linewidth=2.0, label="strong link (wide, dark)"),
        Line2D([], [], color="0.45", linewidth=0.6, alpha=0.7, label="weak link"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=5,
        fontsize=size,
        title="cause care level / finding red-flag floor",
        title_fontsize=size,
        frameon=False,
    )
    ax.set_xlim(0, 2)
    ax.set_ylim(1.0 + margin, -margin)
    ax.set_axis_off()
    what = "network" if nodes is None else f"neighbourhood of {', '.join(focus)} (depth {depth})"
    ax.set_title(f"Model {model.name!r}: {what}", fontsize=size + 2, loc="left", pad=2.4 * size + 6)
    return ax


def _patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, edgecolor="0.55", linewidth=0.5, label=label)


def _darker(colour: str, amount: float = 0.2) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return (r * (1 - amount), g * (1 - amount), b * (1 - amount))


def _with_alpha(colour: str | tuple[float, float, float], alpha: float) -> tuple[float, float, float, float]:
    from matplotlib.colors import to_rgba

    return to_rgba(colour, alpha)
