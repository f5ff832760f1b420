"""Frozen, typed results. ``Diagnosis.to_frame()`` is the one table from which text and JSON derive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from toeprob import registry
from toeprob.errors import ParameterError, ParameterKeyError
from toeprob.knowledge.urgency import Urgency
from toeprob.results.formatting import format_probability
from toeprob.results.serialize import header, plain
from toeprob.validation import check_parameter, instance_of, unknown_identifier_message

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from matplotlib.axes import Axes
    from numpy.typing import NDArray

    from toeprob.knowledge.evidence import Evidence
    from toeprob.knowledge.model import Model
    from toeprob.reasoning.reasoner import Reasoner
    from toeprob.results.explanation import Explanation
    from toeprob.results.uncertainty import Sensitivity, Uncertainty

__all__ = [
    "DISCLAIMER",
    "SCORING_NOTE",
    "Diagnosis",
    "RankedCause",
    "RedFlag",
    "UrgencyReason",
    "urgency_lines",
]

#: One line for readers: the causes are not mutually exclusive.
SCORING_NOTE = (
    "Each cause is scored on its own (a person can have several), so the percentages need not add up to 100%."
)


DISCLAIMER = (
    "toeprob is not a medical device and gives no diagnosis: it ranks possible explanations from a "
    "simple probabilistic model. If you are worried, or symptoms are severe or getting worse, seek "
    "medical care."
)


@dataclass(frozen=True)
class UrgencyReason:
    """One thing that raises urgency: a red flag (with its floor) or a likely cause (its care level).

    ``kind`` is ``"red_flag"`` or ``"cause"``; ``probability`` is the cause's posterior in the
    deciding world (``None`` for red flags); ``sets_level`` is true when it alone reaches the
    final urgency.
    """

    kind: str
    identifier: str
    level: Urgency
    probability: float | None
    sets_level: bool

    @property
    def text(self) -> str:
        """A one-line plain-language statement."""
        if self.kind == "red_flag":
            return f"red flag {self.identifier}: at least {self.level}"
        probability = format_probability(self.probability or 0.0)
        return f"{self.identifier} (care level {self.level}) has probability {probability}"


def urgency_lines(urgency: Urgency, reasons: Sequence[UrgencyReason]) -> list[str]:
    """Plain-text lines: the urgency and its reasons (``*`` marks those that set the level)."""
    lines = [f"Urgency: {urgency.label}, {urgency.meaning}"]
    lines += [f"  {'*' if r.sets_level else '-'} {r.text}" for r in reasons]
    return lines


@dataclass(frozen=True)
class RankedCause:
    """A cause with its posterior probability (P(cause present | evidence)) and prior."""

    cause: str
    probability: float
    prior: float
    care_level: Urgency
    description: str
    label: str = ""

    @property
    def changed(self) -> bool:
        """False when the evidence left the cause at its prior: both print the same (to 0.1 points).

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> rank_causes({}).top.changed
        False
        """
        return format_probability(self.probability) != format_probability(self.prior)


@dataclass(frozen=True)
class RedFlag:
    """A red-flag finding reported present, with the urgency floor it sets."""

    finding: str
    floor: Urgency


@dataclass(frozen=True)
class Diagnosis:
    """What :func:`toeprob.rank_causes` returns.

    Attributes
    ----------
    ranked : tuple of RankedCause
        Every cause, highest posterior first; probabilities equal to 9 decimals are ties, broken by
        identifier (the same order with either engine).
    urgency : Urgency
    red_flags : tuple of RedFlag
        The red flags present, highest floor first.
    urgency_reasons : tuple of UrgencyReason
        The red flags and likely causes that set the urgency.
    evidence : mapping
        The validated evidence (identifier -> bool).
    disclaimer : str
        The not-a-medical-device statement.
    assumed_absent : tuple of str
        Warning signs the person did not report, which the urgency rule takes as absent and which
        would each raise the urgency if present (see :mod:`toeprob.reasoning.urgency_rule`).
    parsed : Evidence or None
        The parsed evidence (state arrays) the diagnosis was computed from.
    posterior : ndarray or None
        The posterior row (read-only), in model order, as the engine returned it.
    engine : str
        The engine of the posterior row (``"fast"`` or ``"pgmpy"``).
    reasoner : Reasoner or None
        The :class:`~toeprob.Reasoner` that computed it; :meth:`explain` asks it.
    """

    ranked: tuple[RankedCause, ...]
    urgency: Urgency
    red_flags: tuple[RedFlag, ...]
    urgency_reasons: tuple[UrgencyReason, ...]
    evidence: Mapping[str, bool]
    model_name: str
    model_version: str = ""
    disclaimer: str = DISCLAIMER
    model: Model | None = field(default=None, repr=False, compare=False)
    assumed_absent: tuple[str, ...] = ()
    parsed: Evidence | None = field(default=None, repr=False, compare=False)
    posterior: NDArray[np.float64] | None = field(default=None, repr=False, compare=False)
    engine: str = field(default="fast", repr=False, compare=False)
    reasoner: Reasoner | None = field(default=None, repr=False, compare=False)

    @property
    def top(self) -> RankedCause:
        """The highest-ranked cause."""
        return self.ranked[0]

    def probability(self, cause: str) -> float:
        """The posterior probability of ``cause``.

        Raises
        ------
        ParameterKeyError
            If ``cause`` is not a cause of the model (also a ``KeyError``); the message lists the
            closest causes.
        ParameterTypeError
            If ``cause`` is not a string.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> rank_causes({"cramp": True}).probability("dehydratoin")
        Traceback (most recent call last):
        ...
        toeprob.errors.ParameterKeyError: 'dehydratoin' is not a cause of model 'default'. \
Closest: dehydration.
        """
        for rc in self.ranked:
            if rc.cause == cause:
                return rc.probability
        check_parameter(
            cause, instance_of(str, "a cause (a str)"), name="cause", owner="Diagnosis.probability"
        )
        causes = [rc.cause for rc in self.ranked]
        raise ParameterKeyError(unknown_identifier_message(cause, causes, "a cause", model=self.model_name))

    def to_frame(self) -> pd.DataFrame:
        """One row per cause, ranked, indexed by cause identifier.

        Columns: ``rank, label, probability, prior, care_level, description``.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> frame = rank_causes({"cramp": "yes"}).to_frame()
        >>> frame.columns.tolist()
        ['rank', 'label', 'probability', 'prior', 'care_level', 'description']
        >>> bool(frame.loc["dehydration", "probability"] > frame.loc["dehydration", "prior"])
        True
        """
        import pandas as pd

        frame = pd.DataFrame(
            [
                {
                    "cause": rc.cause,
                    "rank": i + 1,
                    "label": rc.label,
                    "probability": rc.probability,
                    "prior": rc.prior,
                    "care_level": rc.care_level.label,
                    "description": rc.description,
                }
                for i, rc in enumerate(self.ranked)
            ]
        )
        return frame.set_index("cause")

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The JSON document of the result (``kind = "diagnosis"``; shape in ``docs/json.md``).

        ``top`` keeps only the first ``top`` causes in ``ranked`` (``causes_total`` still counts all).

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> data = rank_causes({"cramp": "yes"}).to_dict(top=2)
        >>> data["kind"], len(data["ranked"]), data["causes_total"] > 2
        ('diagnosis', 2, True)
        """
        ranked = self.ranked if top is None else self.ranked[:top]
        return {
            **header("diagnosis", self.model_name, self.model_version),
            "evidence": dict(self.evidence),
            "causes_total": len(self.ranked),
            "ranked": [
                {
                    "rank": i,
                    "cause": rc.cause,
                    "label": rc.label,
                    "probability": rc.probability,
                    "prior": rc.prior,
                    "changed": rc.changed,
                    "care_level": rc.care_level.label,
                    "description": rc.description,
                }
                for i, rc in enumerate(ranked, start=1)
            ],
            "urgency": self.urgency.label,
            "urgency_meaning": self.urgency.meaning,
            "red_flags": [plain(r) for r in self.red_flags],
            "urgency_reasons": [{**plain(r), "text": r.text} for r in self.urgency_reasons],
            "scoring_note": SCORING_NOTE,
            "assumed_absent": list(self.assumed_absent),
            "disclaimer": self.disclaimer,
        }

    def to_text(self, top: int = 5, *, hide_unchanged: bool = False) -> str:
        """A plain-text report: the top causes, the urgency with its reasons, the disclaimer.

        Parameters
        ----------
        top : int
            How many causes to list.
        hide_unchanged : bool
            Leave out causes the evidence did not move from their prior (see
            :attr:`RankedCause.changed`); the report says how many were left out.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> print(rank_causes({"cramp": "yes"}).to_text(top=1))  # doctest: +ELLIPSIS
        Most likely causes:
           1. dehydration   33.3%, prior  25.0%  Not enough fluids
        ...
        """
        shown = [(i, rc) for i, rc in enumerate(self.ranked, start=1) if rc.changed or not hide_unchanged]
        lines = ["Most likely causes:"]
        width = max((len(rc.cause) for _, rc in shown[:top]), default=0)
        for i, rc in shown[:top]:
            lines.append(
                f"  {i:>2}. {rc.cause:<{width}}  {format_probability(rc.probability):>6}, "
                f"prior {format_probability(rc.prior):>6}  {rc.label}"
            )
        hidden = len(self.ranked) - len(shown)
        if hidden:
            lines.append(f"  ({hidden} causes left out: the evidence did not move them from their prior.)")
        lines.append(SCORING_NOTE)
        lines += urgency_lines(self.urgency, self.urgency_reasons)
        if self.assumed_absent:
            lines.append(
                "  Not reported, so taken as absent; each would raise the urgency if present: "
                + ", ".join(self.assumed_absent)
            )
        lines.append(self.disclaimer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))

    def plot(self, ax: Axes | None = None, *, top: int = 10, show_prior: bool = True, **kwargs: Any) -> Axes:
        """Horizontal bars of the top posteriors, coloured by care level (needs ``toeprob[plot]``).

        See :func:`toeprob.display.plotting.plot_diagnosis`; ``kwargs`` go to ``Axes.barh``.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toeprob import rank_causes
        >>> len(rank_causes({"cramp": "yes"}).plot(top=4).patches)
        4
        """
        return cast("Axes", registry.call("plot", self, top=top, ax=ax, show_prior=show_prior, **kwargs))

    def plot_comparison(
        self,
        other: Diagnosis,
        ax: Axes | None = None,
        *,
        labels: tuple[str, str] = ("before", "after"),
        top: int = 10,
        **kwargs: Any,
    ) -> Axes:
        """How the causes moved from this diagnosis to ``other`` (see :func:`toeprob.plot_posteriors`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from toeprob import rank_causes
        >>> before = rank_causes({"cramp": "yes"})
        >>> after = rank_causes({"cramp": "yes", "low_fluid_intake": "yes"})
        >>> len(before.plot_comparison(after, top=5).get_yticklabels())
        5
        """
        drawn = registry.call("plot_comparison", self, other, ax=ax, labels=labels, top=top, **kwargs)
        return cast("Axes", drawn)

    def explain(self, cause: str, *, n_unconfirmed: int = 3) -> Explanation:
        """Why ``cause`` has its posterior: exact leave-one-out effects (see :func:`toeprob.explain`).

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> d = rank_causes({"cramp": "yes", "low_fluid_intake": "yes"})
        >>> e = d.explain("dehydration")
        >>> abs(e.posterior - d.probability("dehydration")) < 1e-12
        True
        """
        if self.reasoner is None:
            raise ParameterError(
                "this Diagnosis carries no reasoner; build it with toeprob.rank_causes or a toeprob.Reasoner."
            )
        return self.reasoner.explain(self, cause, n_unconfirmed=n_unconfirmed)

    def uncertainty(self, draws: int = 1000, seed: int | None = None, level: float = 0.9) -> Uncertainty:
        """How sure the ranking is, over models drawn within the ranges of the model file's words.

        Draws ``draws`` complete models (every parameter independently, uniformly on the log-odds
        scale within its word's range), computes the exact posterior and urgency of this evidence
        under each in one batched array program, and returns the intervals (the central ``level``
        of the draws, widened to include the point value), how often each cause ranks first and in
        the top 3, the share of draws at each urgency level and how often the top cause changes.
        The same ``seed`` gives the same result. See :mod:`toeprob.reasoning.uncertainty`.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> u = rank_causes({"cramp": True, "during_exercise": True}).uncertainty(draws=200, seed=1)
        >>> u.to_frame().columns.tolist()[:5]
        ['rank', 'label', 'probability', 'low', 'high']
        """
        return self._reasoner("uncertainty").uncertainty(self, draws=draws, seed=seed, level=level)

    def sensitivity(self, cause: str) -> Sensitivity:
        """Which parameters move ``cause``'s posterior most, each moved one word down or up its scale.

        Every parameter (priors, population figures, prevalences, leaks, link strengths) is moved
        alone and the posterior recomputed exactly. See :mod:`toeprob.reasoning.uncertainty`.

        Examples
        --------
        >>> from toeprob import rank_causes
        >>> s = rank_causes({"cramp": True}).sensitivity("dehydration")
        >>> s.to_frame().columns.tolist()[:3]
        ['kind', 'word', 'down']
        """
        self.probability(cause)  # an unknown cause: the error lists the closest ones
        return self._reasoner("sensitivity").sensitivity(self, cause)

    def _reasoner(self, method: str) -> Reasoner:
        if self.reasoner is None:
            raise ParameterError(
                f"this Diagnosis carries no reasoner, which {method}() needs; build it with "
                "toeprob.rank_causes or a toeprob.Reasoner."
            )
        return self.reasoner

    def __repr__(self) -> str:
        tops = ", ".join(f"{rc.cause}={rc.probability:.2f}" for rc in self.ranked[:3])
        return f"<Diagnosis urgency={self.urgency.label} top: {tops}>"
