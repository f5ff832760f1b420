"""The public entry points: :func:`rank_causes` and the engines behind it."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from toeprob.arguments import check_engine, resolve_model
from toeprob.budget import Budget
from toeprob.errors import ImpossibleEvidenceError, ParameterTypeError
from toeprob.evidence import parse_evidence
from toeprob.model import Model
from toeprob.results import Diagnosis, RankedCause, RedFlag
from toeprob.triage import assess_urgency, posterior_and_urgency

__all__ = ["EngineName", "PosteriorEngine", "get_engine", "rank_causes"]

EngineName = Literal["fast", "pgmpy"]


class PosteriorEngine(Protocol):
    """What an inference engine offers: exact cause posteriors for state arrays."""

    def posterior(
        self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]
    ) -> NDArray[np.float64]: ...

    def posterior_batch(
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> NDArray[np.float64]: ...


_CACHE: weakref.WeakKeyDictionary[Model, dict[str | tuple[str, Budget], PosteriorEngine]] = (
    weakref.WeakKeyDictionary()
)


def get_engine(model: Model, engine: str = "fast", *, budget: Budget | None = None) -> PosteriorEngine:
    """Return the (cached) engine named ``engine`` for ``model``: ``"fast"`` or ``"pgmpy"``.

    ``budget`` (:class:`~toeprob.budget.Budget`) bounds the fast engine's memory and work
    (default :data:`~toeprob.budget.DEFAULT_BUDGET`); a model or query beyond it raises
    :class:`~toeprob.errors.CostLimitError` before anything large is allocated.
    """
    check_engine(engine, "get_engine")
    resolve_model(model, "get_engine")
    if budget is not None and not isinstance(budget, Budget):
        raise ParameterTypeError(
            f"The 'budget' parameter of get_engine must be a toeprob.Budget or None; got {budget!r}."
        )
    per_model = _CACHE.setdefault(model, {})
    # engines with the default budget under the engine's name; others under (name, budget)
    key: str | tuple[str, Budget] = engine if budget is None or engine != "fast" else (engine, budget)
    if key not in per_model:
        if engine == "fast":
            from toeprob.compiled import compile_model
            from toeprob.engine import ExactEngine

            per_model[key] = ExactEngine(compile_model(model, budget=budget), budget=budget)
        else:
            from toeprob.reference import PgmpyEngine

            per_model[key] = PgmpyEngine(model)
    return per_model[key]


def rank_causes(
    evidence: Mapping[str, Any] | None = None,
    *,
    model: Model | None = None,
    engine: EngineName = "fast",
    budget: Budget | None = None,
) -> Diagnosis:
    """Rank every cause by its exact posterior probability and set the urgency.

    Parameters
    ----------
    evidence : mapping
        Finding or risk-factor identifier -> ``True``/``False`` (or ``"yes"``/``"no"``,
        ``"present"``/``"absent"``); anything not given is unknown.
    model : Model, optional
        Defaults to the shipped model (:func:`toeprob.load_model`).
    engine : {"fast", "pgmpy"}
        ``"fast"``: toeprob's exact engine. ``"pgmpy"``: pgmpy's variable elimination, the slow
        reference, used for the ranking; urgency is always computed with the fast engine, which
        agrees with pgmpy to 1e-9.
    budget : Budget, optional
        Memory and work allowed for the fast engine (default
        :data:`~toeprob.budget.DEFAULT_BUDGET`: 8 GiB, 5e9 operations).

    Returns
    -------
    Diagnosis

    Raises
    ------
    UnknownIdentifierError
        For an identifier that is not in the model (a ``ValueError`` and ``KeyError``).
    EvidenceError, EvidenceTypeError
        For a cause given as evidence, an empty name or a value that is not accepted.
    ImpossibleEvidenceError
        If the model gives the evidence probability zero.
    ParameterError, ParameterTypeError
        For a ``model`` that is not a :class:`~toeprob.Model` or an unknown ``engine``.
    CostLimitError
        If exact inference for this model or evidence would exceed ``budget`` (a
        ``RuntimeError``); raised before anything large is allocated.

    Examples
    --------
    >>> from toeprob import rank_causes
    >>> d = rank_causes({"numbness": "yes", "burning_pain": "yes", "diabetes": True})
    >>> d.top.cause
    'peripheral_neuropathy'
    >>> d.urgency >= d.red_flags[0].floor
    True
    """
    model = resolve_model(model, "rank_causes")
    check_engine(engine, "rank_causes")
    ev = parse_evidence(evidence, model)
    fast = get_engine(model, "fast", budget=budget)
    if engine == "fast":
        # the ranking row and the urgency rule's rows in one batched engine pass
        posterior, assessment = posterior_and_urgency(ev, model, fast.posterior_batch)
    else:
        reference = get_engine(model, engine)
        posterior = np.asarray(reference.posterior(ev.finding_state, ev.rf_state), dtype=float)
        assessment = assess_urgency(ev, model, fast.posterior_batch)
    if not np.all(np.isfinite(posterior)):
        raise ImpossibleEvidenceError("the model gives this evidence probability zero.")
    causes = model.causes
    specs = [model.cause_specs[c] for c in causes]
    # probabilities equal to 9 decimals are ties (the engines agree to 1e-9; rounding noise must not
    # reorder symmetric causes), broken by identifier: the same order whatever the engine
    rounded = np.round(posterior, 9)
    order = sorted(range(len(causes)), key=lambda i: (-rounded[i], causes[i]))
    ranked = tuple(
        RankedCause(
            cause=causes[i],
            probability=float(posterior[i]),
            prior=specs[i].prior,
            care_level=specs[i].care_level,
            description=specs[i].description,
            label=specs[i].label,
        )
        for i in order
    )
    red_flags = tuple(
        RedFlag(f, floor)
        for f, floor in sorted(assessment.red_flags.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    )
    return Diagnosis(
        ranked=ranked,
        urgency=assessment.urgency,
        red_flags=red_flags,
        urgency_reasons=assessment.reasons,
        evidence=ev.values,
        model_name=model.name,
        model_version=model.version,
        model=model,
        assumed_absent=assessment.assumed_absent,
    )
