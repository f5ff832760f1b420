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

from typing import TYPE_CHECKING, Any

import numpy as np

from toeprob.errors import ParameterError, ParameterKeyError
from toeprob.inference.engines import EngineName
from toeprob.knowledge.model import Link, Model
from toeprob.numeric import logit
from toeprob.results.diagnosis import Diagnosis
from toeprob.results.explanation import EvidenceEffect, Explanation, UnconfirmedEvidence
from toeprob.validation import check_parameter, instance_of, non_negative_int, unknown_identifier_message

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = ["explain_diagnosis"]


def _links_between(model: Model, ident: str, cause: str) -> tuple[Link, ...]:
    return tuple(
        lk for lk in (*model.risk_links, *model.finding_links) if {lk.parent, lk.child} == {ident, cause}
    )


def _check_cause(model: Model, cause: Any) -> str:
    name: str = check_parameter(cause, instance_of(str, "a cause (a str)"), name="cause", owner="explain")
    if name not in model.cause_specs:
        message = unknown_identifier_message(name, model.causes, "a cause", model=model.name)
        if name in model.finding_specs or name in model.risk_factor_specs:
            message += " It is evidence: explain one of the model's causes."
        raise ParameterKeyError(message)
    return name


def explain_diagnosis(
    reasoner: Reasoner,
    diagnosis: Diagnosis,
    cause: str,
    *,
    n_unconfirmed: int = 3,
    engine: EngineName = "fast",
) -> Explanation:
    """Explain ``cause`` in an existing :class:`~toeprob.Diagnosis` (see :func:`toeprob.explain`).

    The diagnosis's own posterior row is reused when it came from the same engine; the engine runs
    once, on the rows with one answer left out and with one unasked question answered yes.
    """
    check_parameter(n_unconfirmed, non_negative_int, name="n_unconfirmed", owner="explain")
    model = reasoner.model
    if diagnosis.model is not None and diagnosis.model is not model:
        raise ParameterError("this Diagnosis was built with another model than the reasoner's.")
    cause = _check_cause(model, cause)
    ev = diagnosis.parsed if diagnosis.parsed is not None else reasoner.parse(diagnosis.evidence)
    c = reasoner.cause_index[cause]
    f_index = reasoner.finding_index
    r_index = reasoner.risk_factor_index
    answered = list(ev.values)
    unasked = [q for q in (*model.findings, *model.risk_factors) if q not in ev.values]
    reuse = diagnosis.posterior is not None and diagnosis.engine == engine
    n = (0 if reuse else 1) + len(answered) + len(unasked)
    fs = np.repeat(ev.finding_state[None, :], n, axis=0)
    rs = np.repeat(ev.rf_state[None, :], n, axis=0)
    for j, q in enumerate([*answered, *unasked], start=1):
        value = -1 if j <= len(answered) else 1
        row = j - 1 if reuse else j
        if q in f_index:
            fs[row, f_index[q]] = value
        else:
            rs[row, r_index[q]] = value
    rows = np.asarray(reasoner.engine_named(engine).posterior_batch(fs, rs), dtype=float)[:, c]
    if reuse:
        assert diagnosis.posterior is not None
        post = np.concatenate([[float(diagnosis.posterior[c])], rows])
    else:
        post = rows
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
