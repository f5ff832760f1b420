"""Frozen results of the uncertainty and sensitivity analyses (:mod:`toeprob.reasoning.uncertainty`).

:class:`Uncertainty` holds, per cause, the point posterior and its interval over models drawn within
the ranges of the model file's words, with how often each cause ranks first and in the top 3, the
share of draws at each urgency level and how often the top cause changes. :class:`Sensitivity`
holds, for one cause, the posterior after each parameter moved one word down or up.
:class:`EvaluationSensitivity` holds the ranking metrics over a case set after each such move.
``to_frame()`` is the one table from which text, HTML, Markdown, JSON and plots derive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from toeprob import registry
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import DISCLAIMER
from toeprob.results.formatting import format_probability
from toeprob.results.serialize import header, plain

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "SAMPLING_SCHEME",
    "CauseInterval",
    "EvaluationSensitivity",
    "MetricShift",
    "ParameterEffect",
    "Sensitivity",
    "Uncertainty",
]

SAMPLING_SCHEME = (
    "every parameter drawn independently, uniformly on the log-odds scale within its word's range "
    "(population figures within their stated range); each draw a complete model, exact inference"
)


@dataclass(frozen=True)
class CauseInterval:
    """One cause: point posterior, interval, and how often it ranks first and in the top 3."""

    cause: str
    label: str
    probability: float
    low: float
    high: float
    share_first: float
    share_top3: float
    care_level: Urgency


@dataclass(frozen=True)
class Uncertainty:
    """How sure the ranking is: what :meth:`toeprob.Diagnosis.uncertainty` returns.

    Attributes
    ----------
    causes : tuple of CauseInterval
        Every cause, in the order of the point ranking.
    urgency : Urgency
        The point model's urgency.
    urgency_shares : mapping
        Urgency level -> share of draws at that level.
    top_change_rate : float
        Share of draws whose top cause is not the point model's top cause.
    draws, level, seed
        Number of draws, interval mass, seed (``None``: not seeded).
    posterior_draws : ndarray, shape (draws, C)
        Every draw's posterior, in model order (read-only; not in the JSON document).
    urgency_draws : tuple of Urgency
        Every draw's urgency.
    """

    causes: tuple[CauseInterval, ...]
    urgency: Urgency
    urgency_shares: Mapping[Urgency, float]
    top_change_rate: float
    draws: int
    level: float
    seed: int | None
    evidence: Mapping[str, bool]
    model_name: str
    model_version: str = ""
    sampling: str = SAMPLING_SCHEME
    disclaimer: str = DISCLAIMER
    posterior_draws: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros((0, 0)), repr=False, compare=False
    )
    urgency_draws: tuple[Urgency, ...] = field(default=(), repr=False, compare=False)

    @property
    def top(self) -> CauseInterval:
        """The point model's top cause."""
        return self.causes[0]

    @property
    def robust(self) -> bool:
        """Whether the top cause stays first in at least 90% of the draws."""
        return self.top.share_first >= 0.9

    def to_frame(self) -> pd.DataFrame:
        """One row per cause (point ranking), indexed by cause.

        Columns: ``rank, label, probability, low, high, share_first, share_top3, care_level``.
        """
        import pandas as pd

        frame = pd.DataFrame(
            [
                {
                    "cause": c.cause,
                    "rank": i,
                    "label": c.label,
                    "probability": c.probability,
                    "low": c.low,
                    "high": c.high,
                    "share_first": c.share_first,
                    "share_top3": c.share_top3,
                    "care_level": c.care_level.label,
                }
                for i, c in enumerate(self.causes, start=1)
            ]
        )
        return frame.set_index("cause")

    def urgency_frame(self) -> pd.DataFrame:
        """Share of draws at each urgency level, lowest level first (columns ``level, share``)."""
        import pandas as pd

        return pd.DataFrame(
            [{"level": u.label, "share": self.urgency_shares.get(u, 0.0)} for u in Urgency]
        ).set_index("level")

    def summary_lines(self) -> list[str]:
        """The headline in plain words: how often the top cause stays first, and the urgency."""
        top = self.top
        lines = [
            f"Over {self.draws} models drawn within the ranges of the model's words, {top.cause} ranks "
            f"first in {top.share_first:.0%} of them (top cause changes in {self.top_change_rate:.0%}); "
            f"{self.level:.0%} interval of its probability: {format_probability(top.low)} to "
            f"{format_probability(top.high)} (point {format_probability(top.probability)})."
        ]
        shares = ", ".join(f"{u.label} {s:.0%}" for u, s in self.urgency_shares.items() if s > 0)
        lines.append(f"Urgency {self.urgency.label} at the point values; over the draws: {shares}.")
        return lines

    def to_text(self, top: int = 5) -> str:
        """A plain-text report: the top causes with intervals, the urgency over draws, the disclaimer.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> print(rank_causes({"cramp": True}).uncertainty(draws=100, seed=0).to_text(top=1))
        ... # doctest: +ELLIPSIS
        Over 100 models drawn within the ranges of the model's words, dehydration ranks first in ...
        """
        lines = self.summary_lines()
        width = max((len(c.cause) for c in self.causes[:top]), default=0)
        lines.append(f"  {'':>2}  {'cause':<{width}}  point   {self.level:.0%} interval    first  top 3")
        for i, c in enumerate(self.causes[:top], start=1):
            lines.append(
                f"  {i:>2}. {c.cause:<{width}}  {format_probability(c.probability):>6}  "
                f"{format_probability(c.low):>6} to {format_probability(c.high):>6}  "
                f"{c.share_first:>5.0%}  {c.share_top3:>5.0%}"
            )
        lines.append(f"Draws: {self.sampling}.")
        lines.append(self.disclaimer)
        return "\n".join(lines)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON document (``kind = "uncertainty"``; shape in ``docs/json.md``)."""
        causes = self.causes if top is None else self.causes[:top]
        return {
            **header("uncertainty", self.model_name, self.model_version),
            "evidence": dict(self.evidence),
            "draws": self.draws,
            "level": self.level,
            "seed": self.seed,
            "sampling": self.sampling,
            "causes_total": len(self.causes),
            "causes": [{"rank": i, **plain(c)} for i, c in enumerate(causes, start=1)],
            "urgency": self.urgency.label,
            "urgency_shares": {u.label: s for u, s in self.urgency_shares.items()},
            "top_change_rate": self.top_change_rate,
            "disclaimer": self.disclaimer,
        }

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))

    def plot(self, ax: Axes | None = None, *, top: int = 10, **kwargs: Any) -> Axes:
        """Interval bars beside the point posteriors of the top causes (needs ``toeprob[plot]``).

        See :func:`toeprob.display.plotting.plot_uncertainty`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toeprob import rank_causes
        >>> ax = rank_causes({"cramp": True}).uncertainty(draws=50, seed=0).plot(top=4)
        >>> len(ax.patches)
        4
        """
        return cast("Axes", registry.call("plot", self, top=top, ax=ax, **kwargs))

    def __repr__(self) -> str:
        return (
            f"<Uncertainty of {self.draws} draws: top {self.top.cause} first in {self.top.share_first:.0%}, "
            f"{self.level:.0%} interval {self.top.low:.3f}-{self.top.high:.3f}>"
        )


@dataclass(frozen=True)
class ParameterEffect:
    """One parameter moved one word down and up: the cause's posterior after each move.

    ``down``/``up`` name the word (or number) moved to; ``None`` at the end of a scale. ``swing`` is
    the larger absolute change of the posterior.
    """

    parameter: str
    kind: str
    word: str
    down: str | None
    probability_down: float | None
    up: str | None
    probability_up: float | None
    swing: float


@dataclass(frozen=True)
class Sensitivity:
    """Which parameters move one cause's posterior most: what :meth:`toeprob.Diagnosis.sensitivity` returns.

    ``effects`` lists every parameter, largest ``swing`` first.
    """

    cause: str
    probability: float
    effects: tuple[ParameterEffect, ...]
    evidence: Mapping[str, bool]
    model_name: str
    model_version: str = ""
    disclaimer: str = DISCLAIMER

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter (largest swing first), indexed by parameter.

        Columns: ``kind, word, down, probability_down, up, probability_up, change_down, change_up,
        swing``.
        """
        import pandas as pd

        rows = []
        for e in self.effects:
            rows.append(
                {
                    **plain(e),
                    "change_down": np.nan
                    if e.probability_down is None
                    else e.probability_down - self.probability,
                    "change_up": np.nan if e.probability_up is None else e.probability_up - self.probability,
                }
            )
        columns = ["parameter", "kind", "word", "down", "probability_down", "up", "probability_up"]
        columns += ["change_down", "change_up", "swing"]
        return pd.DataFrame(rows, columns=columns).set_index("parameter")

    def to_text(self, top: int = 10) -> str:
        """A plain-text table of the parameters that move the posterior most."""
        lines = [
            f"Sensitivity of {self.cause} (posterior {format_probability(self.probability)}) to moving each "
            "parameter one word down / up:"
        ]
        width = max((len(e.parameter) for e in self.effects[:top]), default=0)
        for e in self.effects[:top]:
            down = "" if e.probability_down is None else f"{e.down}: {format_probability(e.probability_down)}"
            up = "" if e.probability_up is None else f"{e.up}: {format_probability(e.probability_up)}"
            lines.append(f"  {e.parameter:<{width}}  ({e.word})  down {down or '-'};  up {up or '-'}")
        lines.append(self.disclaimer)
        return "\n".join(lines)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON document (``kind = "sensitivity"``)."""
        effects = self.effects if top is None else self.effects[:top]
        return {
            **header("sensitivity", self.model_name, self.model_version),
            "evidence": dict(self.evidence),
            "cause": self.cause,
            "probability": self.probability,
            "parameters_total": len(self.effects),
            "effects": [plain(e) for e in effects],
            "disclaimer": self.disclaimer,
        }

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))

    def plot(self, ax: Axes | None = None, *, top: int = 12, **kwargs: Any) -> Axes:
        """A tornado plot of the parameters that move the posterior most (needs ``toeprob[plot]``).

        See :func:`toeprob.display.plotting.plot_sensitivity`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toeprob import rank_causes
        >>> ax = rank_causes({"cramp": True}).sensitivity("dehydration").plot(top=5)
        >>> len(ax.get_yticklabels())
        5
        """
        return cast("Axes", registry.call("plot", self, top=top, ax=ax, **kwargs))

    def __repr__(self) -> str:
        first = self.effects[0].parameter if self.effects else "none"
        return f"<Sensitivity of {self.cause} ({self.probability:.3f}): most sensitive to {first}>"


@dataclass(frozen=True)
class MetricShift:
    """The ranking metrics over a case set after one parameter moved one word (``to``)."""

    parameter: str
    kind: str
    word: str
    direction: str
    to: str
    top1: float
    top3: float
    log_loss: float


@dataclass(frozen=True)
class EvaluationSensitivity:
    """Which parameters the ranking metrics over a case set are most sensitive to.

    ``top1``, ``top3`` and ``log_loss`` are the point model's; ``shifts`` every one-word move, the
    largest change of the log-loss first.
    """

    cases: int
    top1: float
    top3: float
    log_loss: float
    shifts: tuple[MetricShift, ...]
    model_name: str
    model_version: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row per move (parameter, direction), with the metrics and their changes."""
        import pandas as pd

        frame = pd.DataFrame([plain(s) for s in self.shifts])
        frame["change_top1"] = frame["top1"] - self.top1
        frame["change_top3"] = frame["top3"] - self.top3
        frame["change_log_loss"] = frame["log_loss"] - self.log_loss
        return frame

    def to_text(self, top: int = 15) -> str:
        """The moves that change the metrics most, as plain text."""
        lines = [
            f"Sensitivity of the metrics over {self.cases} cases (top-1 {self.top1:.1%}, top-3 "
            f"{self.top3:.1%}, log-loss {self.log_loss:.3f}) to moving each parameter one word:"
        ]
        width = max((len(s.parameter) for s in self.shifts[:top]), default=0)
        moves = [f"{s.word} -> {s.to}" for s in self.shifts[:top]]
        move_width = max((len(m) for m in moves), default=0)
        for s, move in zip(self.shifts[:top], moves, strict=True):
            lines.append(
                f"  {s.parameter:<{width}}  {move:<{move_width}}  top-1 {s.top1 - self.top1:+.1%}  "
                f"top-3 {s.top3 - self.top3:+.1%}  log-loss {s.log_loss - self.log_loss:+.3f}"
            )
        return "\n".join(lines)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON document (``kind = "evaluation_sensitivity"``)."""
        shifts = self.shifts if top is None else self.shifts[:top]
        return {
            **header("evaluation_sensitivity", self.model_name, self.model_version),
            "cases": self.cases,
            "top1": self.top1,
            "top3": self.top3,
            "log_loss": self.log_loss,
            "shifts_total": len(self.shifts),
            "shifts": [plain(s) for s in shifts],
        }
