"""The result of :func:`toeprob.explain`: each answer's exact effect on one cause, and what is unasked.

How the effects are defined is in :mod:`toeprob.reasoning.explaining`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from toeprob import registry
from toeprob.knowledge.model import Link
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import DISCLAIMER, UrgencyReason, urgency_lines
from toeprob.results.formatting import format_probability, format_times
from toeprob.results.serialize import header, plain

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["EvidenceEffect", "Explanation", "UnconfirmedEvidence"]


@dataclass(frozen=True)
class EvidenceEffect:
    """The effect of one reported answer on the cause (leave-one-out, see the module docstring).

    Attributes
    ----------
    identifier, kind : str
        The finding or risk factor, and ``"finding"`` or ``"risk_factor"``.
    present : bool
        The answer given (yes = True).
    effect : float
        ``logit P(c | E) - logit P(c | E without this answer)``.
    probability_without : float
        ``P(c | E without this answer)``.
    links : tuple of Link
        The model's direct link between the answer and the cause (empty when its effect is indirect,
        through other causes or shared risk factors).
    """

    identifier: str
    kind: str
    present: bool
    effect: float
    probability_without: float
    links: tuple[Link, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The citations of the links involved."""
        return tuple(dict.fromkeys(s for lk in self.links for s in lk.sources))


@dataclass(frozen=True)
class UnconfirmedEvidence:
    """An unasked finding or risk factor and the exact change a "yes" would bring to the cause."""

    identifier: str
    kind: str
    question: str
    effect: float
    probability_if_present: float
    links: tuple[Link, ...]

    @property
    def sources(self) -> tuple[str, ...]:
        """The citations of the links involved."""
        return tuple(dict.fromkeys(s for lk in self.links for s in lk.sources))


_COLUMNS = [
    "role",
    "identifier",
    "kind",
    "answer",
    "log_odds_change",
    "times_as_likely",
    "counterfactual_probability",
    "direct",
    "link_strength",
    "sources",
]


@dataclass(frozen=True)
class Explanation:
    """Why ``cause`` has its posterior: what :func:`explain` returns.

    Attributes
    ----------
    cause, description : str
    label : str
        The cause's plain name.
    care_level : Urgency
    prior, posterior : float
        ``P(c)`` and ``P(c | E)``.
    effects : tuple of EvidenceEffect
        Every reported answer: supporting ones (effect > 0) largest first, then opposing ones
        (effect < 0) most negative first, then those with no effect.
    unconfirmed : tuple of UnconfirmedEvidence
        Unasked questions whose "yes" would most raise the cause (largest first), then those that
        would most lower it (most negative first).
    urgency, urgency_reasons
        The urgency for ``E`` and the red flags and causes that set it.
    """

    cause: str
    description: str
    care_level: Urgency
    prior: float
    posterior: float
    effects: tuple[EvidenceEffect, ...]
    unconfirmed: tuple[UnconfirmedEvidence, ...]
    urgency: Urgency
    urgency_reasons: tuple[UrgencyReason, ...]
    evidence: Mapping[str, bool]
    model_name: str
    model_version: str = ""
    label: str = ""
    disclaimer: str = field(default=DISCLAIMER)

    @property
    def supporting(self) -> tuple[EvidenceEffect, ...]:
        """Answers that make the cause more likely, largest effect first."""
        return tuple(e for e in self.effects if e.effect > 0)

    @property
    def opposing(self) -> tuple[EvidenceEffect, ...]:
        """Answers that make the cause less likely, most negative effect first."""
        return tuple(e for e in self.effects if e.effect < 0)

    @property
    def would_raise(self) -> tuple[UnconfirmedEvidence, ...]:
        """Unasked questions whose "yes" would raise the cause."""
        return tuple(u for u in self.unconfirmed if u.effect > 0)

    @property
    def would_lower(self) -> tuple[UnconfirmedEvidence, ...]:
        """Unasked questions whose "yes" would lower the cause."""
        return tuple(u for u in self.unconfirmed if u.effect < 0)

    def to_frame(self) -> pd.DataFrame:
        """The one table: a row per reported answer, then per listed unasked question.

        Columns: ``role`` (``supporting``, ``opposing``, ``no_effect``, ``would_raise``,
        ``would_lower``), ``identifier``, ``kind``, ``answer`` (``yes``/``no``/``unasked``),
        ``log_odds_change``, ``times_as_likely`` (the same effect as a ratio of probabilities:
        ``P(c | E) / P(c | E without it)`` for an answer, ``P(c | E + yes) / P(c | E)`` for an
        unasked question), ``counterfactual_probability`` (``P(c | E without it)`` for an answer,
        ``P(c | E + yes)`` for an unasked question), ``direct`` (a direct model link),
        ``link_strength`` (its word), ``sources`` (tuple of citations).

        Examples
        --------
        >>> from toeprob import explain
        >>> explain({"cramp": "yes"}, "dehydration").to_frame().columns.tolist()[:4]
        ['role', 'identifier', 'kind', 'answer']
        """
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for e in self.effects:
            role = "supporting" if e.effect > 0 else "opposing" if e.effect < 0 else "no_effect"
            rows.append(
                self._row(
                    role,
                    e.identifier,
                    e.kind,
                    "yes" if e.present else "no",
                    e.effect,
                    _ratio(self.posterior, e.probability_without),
                    e.probability_without,
                    e.links,
                )
            )
        for u in self.unconfirmed:
            role = "would_raise" if u.effect > 0 else "would_lower"
            ratio = _ratio(u.probability_if_present, self.posterior)
            rows.append(
                self._row(
                    role, u.identifier, u.kind, "unasked", u.effect, ratio, u.probability_if_present, u.links
                )
            )
        return pd.DataFrame(rows, columns=_COLUMNS)

    @staticmethod
    def _row(
        role: str,
        ident: str,
        kind: str,
        answer: str,
        effect: float,
        ratio: float,
        p: float,
        links: tuple[Link, ...],
    ) -> dict[str, Any]:
        return {
            "role": role,
            "identifier": ident,
            "kind": kind,
            "answer": answer,
            "log_odds_change": effect,
            "times_as_likely": ratio,
            "counterfactual_probability": p,
            "direct": bool(links),
            "link_strength": links[0].strength if links else None,
            "sources": tuple(dict.fromkeys(s for lk in links for s in lk.sources)),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the explanation (``kind = "explanation"``; shape in ``docs/json.md``)."""
        effects = [
            {key: plain(value) for key, value in row.items()}
            for row in self.to_frame().to_dict(orient="records")
        ]
        return {
            **header("explanation", self.model_name, self.model_version),
            "cause": self.cause,
            "label": self.label,
            "description": self.description,
            "care_level": self.care_level.label,
            "prior": self.prior,
            "posterior": self.posterior,
            "evidence": dict(self.evidence),
            "effects": effects,
            "urgency": self.urgency.label,
            "urgency_reasons": [{**plain(r), "text": r.text} for r in self.urgency_reasons],
            "disclaimer": self.disclaimer,
        }

    def to_text(self, *, urgency: bool = True) -> str:
        """Plain text: prior and posterior, supporting and opposing answers, unasked questions, urgency.

        ``urgency=False`` leaves out the urgency lines and the disclaimer (for reports that print
        them once already).

        Examples
        --------
        >>> from toeprob import explain
        >>> print(explain({"cramp": "yes"}, "dehydration").to_text())
        Why dehydration, Not enough fluids: ...
        """
        frame = self.to_frame()
        # answers whose effect rounds to zero at the printed precision are listed together
        answered = frame["answer"] != "unasked"
        frame.loc[answered & (frame["log_odds_change"].abs() < 0.005), "role"] = "no_effect"
        p = format_probability
        lines = [
            f"Why {self.cause}, {self.label}: prior {p(self.prior)}, now {p(self.posterior)}.",
            f"  {self.description}",
            "Effect of each answer: how much more or less likely the cause is with the answer than "
            "without it, and the change in log-odds.",
        ]
        titles = {
            "supporting": "Supporting:",
            "opposing": "Opposing:",
            "no_effect": "Little or no effect, log-odds change below 0.005:",
            "would_raise": "Not asked yet; a yes would raise it:",
            "would_lower": "Not asked yet; a yes would lower it:",
        }
        for role, title in titles.items():
            part = frame[frame["role"] == role]
            if part.empty:
                continue
            lines.append(title)
            for row in part.to_dict("records"):
                times = format_times(row["times_as_likely"])
                ident, change = row["identifier"], f"log-odds {row['log_odds_change']:+.2f}"
                if row["answer"] == "unasked":
                    what = f"{ident}: {times}, to {p(row['counterfactual_probability'])}; {change}"
                else:
                    without = p(row["counterfactual_probability"])
                    what = f"{ident} = {row['answer']}: {times}, {without} without it; {change}"
                sources = ", ".join(row["sources"])
                link = f"  [{row['link_strength']}; sources {sources}]" if row["direct"] else "  [indirect]"
                lines.append(f"  {what}{link}")
        if urgency:
            lines += urgency_lines(self.urgency, self.urgency_reasons)
            lines.append(self.disclaimer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """A waterfall of the answers' effects from prior to posterior (needs ``toeprob[plot]``).

        See :func:`toeprob.display.plotting.plot_explanation`; ``kwargs`` go to ``Axes.barh``.
        """
        return cast("Axes", registry.call("plot", self, ax=ax, **kwargs))

    def __repr__(self) -> str:
        return (
            f"<Explanation {self.cause}: prior {self.prior:.3f} -> {self.posterior:.3f}, "
            f"{len(self.effects)} answers>"
        )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")
