"""Why a cause ranks where it does: the exact effect of every answer, and what is still unasked.

The effects are **leave-one-out log-odds changes**. For the cause ``c``, the evidence ``E`` and one
answer ``x`` in it (a finding or risk factor reported yes or no)::

    effect(x) = logit P(c | E) - logit P(c | E without x),     logit p = log(p / (1 - p))

so ``effect(x) > 0`` means the answer supports ``c`` (without it, ``c`` would be less likely) and
``effect(x) < 0`` means it opposes ``c``. Each effect is an exact quantity of the model that anyone can
recompute with two calls of :func:`toeprob.rank_causes` (``P(c | E without x)`` is reported as
``probability_without``). Leave-one-out effects need not add up to ``logit(posterior) -
logit(prior)``: answers interact (explaining away, shared risk factors), and leave-one-out reports
each answer's effect given all the others, which is what "why is it ranked here now" asks.

Unconfirmed evidence: for every unasked finding and risk factor ``u``,
``logit P(c | E + {u: yes}) - logit P(c | E)`` is the exact change a "yes" would bring; the largest
rises and falls are listed.

Posteriors that round to 0 or 1 are clipped to the nearest floating-point number inside (0, 1)
before taking log-odds.

Examples
--------
>>> from toeprob import explain
>>> e = explain({"numbness": "yes", "burning_pain": "yes", "diabetes": True}, "peripheral_neuropathy")
>>> e.posterior > e.prior
True
>>> e.supporting[0].effect > 0
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from toeprob.api import EngineName, get_engine, rank_causes
from toeprob.arguments import resolve_model
from toeprob.errors import EvidenceError, ParameterError, UnknownIdentifierError, closest_matches, shorten
from toeprob.evidence import parse_evidence
from toeprob.formatting import format_probability, format_times
from toeprob.model import Link, Model
from toeprob.results import DISCLAIMER, Diagnosis
from toeprob.serialize import header, plain
from toeprob.triage import UrgencyReason, urgency_lines
from toeprob.urgency import Urgency

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["EvidenceEffect", "Explanation", "UnconfirmedEvidence", "explain", "explain_diagnosis", "logit"]

_LOW = float(np.nextafter(0.0, 1.0))
_HIGH = float(np.nextafter(1.0, 0.0))


def logit(p: float | NDArray[np.float64]) -> NDArray[np.float64]:
    """``log(p / (1 - p))``, with ``p`` clipped into the open interval (0, 1).

    Examples
    --------
    >>> float(logit(0.5))
    0.0
    """
    q = np.clip(np.asarray(p, dtype=float), _LOW, _HIGH)
    return np.asarray(np.log(q) - np.log1p(-q))


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
        from toeprob.display_reasoning import explanation_html

        return explanation_html(self)

    def _repr_markdown_(self) -> str:
        from toeprob.display_reasoning import explanation_markdown

        return explanation_markdown(self)

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """A waterfall of the answers' effects from prior to posterior (needs ``toeprob[plot]``).

        See :func:`toeprob.plotting.plot_explanation`; ``kwargs`` go to ``Axes.barh``.
        """
        from toeprob.plotting import plot_explanation

        return plot_explanation(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        return (
            f"<Explanation {self.cause}: prior {self.prior:.3f} -> {self.posterior:.3f}, "
            f"{len(self.effects)} answers>"
        )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("inf")


def _links_between(model: Model, ident: str, cause: str) -> tuple[Link, ...]:
    return tuple(
        lk for lk in (*model.risk_links, *model.finding_links) if {lk.parent, lk.child} == {ident, cause}
    )


def _check_cause(model: Model, cause: Any) -> str:
    if not isinstance(cause, str) or cause not in model.cause_specs:
        if isinstance(cause, str) and (cause in model.finding_specs or cause in model.risk_factor_specs):
            raise EvidenceError(f"{cause!r} is evidence, not a cause; explain one of the model's causes.")
        hint = closest_matches(cause, model.causes)
        extra = f" Closest: {', '.join(hint)}." if hint else ""
        raise UnknownIdentifierError(f"{shorten(cause)} is not a cause of model {model.name!r}.{extra}")
    return cause


def explain(
    evidence: Mapping[str, Any] | None,
    cause: str,
    *,
    model: Model | None = None,
    n_unconfirmed: int = 3,
    engine: EngineName = "fast",
) -> Explanation:
    """Explain the posterior of ``cause`` under ``evidence`` (exact leave-one-out effects).

    Parameters
    ----------
    evidence : mapping
        As for :func:`toeprob.rank_causes`.
    cause : str
        A cause identifier.
    model : Model, optional
        Defaults to the shipped model.
    n_unconfirmed : int
        How many unasked questions to list in each direction (raise, lower).
    engine : {"fast", "pgmpy"}

    Returns
    -------
    Explanation

    Raises
    ------
    UnknownIdentifierError
        For a cause or evidence identifier the model does not know (with the closest ones).
    EvidenceError
        For a finding or risk factor given as ``cause``, or a bad evidence value.
    ParameterError
        For a bad ``n_unconfirmed`` or a ``model`` that is not a :class:`~toeprob.Model`.

    Examples
    --------
    >>> from toeprob import explain
    >>> e = explain({"cramp": "yes", "low_fluid_intake": "yes"}, "dehydration")
    >>> [x.identifier for x in e.supporting][:1]
    ['low_fluid_intake']
    """
    model = resolve_model(model, "explain")
    return explain_diagnosis(
        rank_causes(evidence, model=model, engine=engine), cause, n_unconfirmed=n_unconfirmed, engine=engine
    )


def explain_diagnosis(
    diagnosis: Diagnosis, cause: str, *, n_unconfirmed: int = 3, engine: EngineName = "fast"
) -> Explanation:
    """Explain ``cause`` in an existing :class:`~toeprob.Diagnosis` (see :func:`explain`)."""
    ok = isinstance(n_unconfirmed, int) and not isinstance(n_unconfirmed, bool) and n_unconfirmed >= 0
    if not ok:
        raise ParameterError(
            f"The 'n_unconfirmed' parameter must be an int >= 0. Got {shorten(n_unconfirmed)} instead."
        )
    model = diagnosis.model
    if model is None:
        raise EvidenceError("this Diagnosis carries no model; build it with toeprob.rank_causes.")
    cause = _check_cause(model, cause)
    ev = parse_evidence(diagnosis.evidence, model)
    c = model.causes.index(cause)
    f_index = {f: i for i, f in enumerate(model.findings)}
    r_index = {r: i for i, r in enumerate(model.risk_factors)}
    answered = list(ev.values)
    unasked = [q for q in (*model.findings, *model.risk_factors) if q not in ev.values]
    n = 1 + len(answered) + len(unasked)
    fs = np.repeat(ev.finding_state[None, :], n, axis=0)
    rs = np.repeat(ev.rf_state[None, :], n, axis=0)
    for j, q in enumerate([*answered, *unasked], start=1):
        value = -1 if j <= len(answered) else 1
        if q in f_index:
            fs[j, f_index[q]] = value
        else:
            rs[j, r_index[q]] = value
    post = np.asarray(get_engine(model, engine).posterior_batch(fs, rs), dtype=float)[:, c]
    lo = logit(post)
    posterior = float(post[0])

    def kind(q: str) -> str:
        return "finding" if q in f_index else "risk_factor"

    effects = [
        EvidenceEffect(
            q, kind(q), ev.values[q], float(lo[0] - lo[j]), float(post[j]), _links_between(model, q, cause)
        )
        for j, q in enumerate(answered, start=1)
    ]
    effects.sort(
        key=lambda e: (0 if e.effect > 0 else 1 if e.effect < 0 else 2, -abs(e.effect), e.identifier)
    )
    offset = 1 + len(answered)
    what_if = [
        UnconfirmedEvidence(
            q,
            kind(q),
            model.finding_specs[q].question if q in f_index else model.risk_factor_specs[q].question,
            float(lo[offset + j] - lo[0]),
            float(post[offset + j]),
            _links_between(model, q, cause),
        )
        for j, q in enumerate(unasked)
    ]
    raise_ = sorted((u for u in what_if if u.effect > 0), key=lambda u: (-u.effect, u.identifier))
    lower = sorted((u for u in what_if if u.effect < 0), key=lambda u: (u.effect, u.identifier))
    spec = model.cause_specs[cause]
    return Explanation(
        cause=cause,
        description=spec.description,
        care_level=spec.care_level,
        prior=spec.prior,
        posterior=posterior,
        effects=tuple(effects),
        unconfirmed=(*raise_[:n_unconfirmed], *lower[:n_unconfirmed]),
        urgency=diagnosis.urgency,
        urgency_reasons=diagnosis.urgency_reasons,
        evidence=dict(ev.values),
        model_name=model.name,
        model_version=model.version,
        label=spec.label,
    )
