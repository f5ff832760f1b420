"""How sure is it: posterior intervals over the words' ranges, and one-word sensitivity.

Every number of a model is a word that stands for a range (``docs/model-format.md``). This module
asks what the ranges do to an answer, exactly:

* :func:`uncertainty_of` draws complete models within the ranges (:meth:`ModelParameters.sample`:
  every parameter independent, uniform on the log-odds scale within its word's range), computes
  the exact posterior of the evidence and the urgency under every draw in one batched array program
  (:mod:`toeprob.variants`), and summarises them;
* :func:`sensitivity_of` moves each parameter one word down and one word up its scale (a
  population figure to the edges of its range), the others at their values, and recomputes one
  cause's posterior exactly under every such model, again in one batch;
* :func:`evaluation_sensitivity` does the same for the ranking metrics over a set of cases.

The urgency of each draw is the model's urgency rule applied to that draw (red-flag floors and the
care levels of the rule's worlds), so that a red flag can only raise it in every draw.

Examples
--------
>>> from toeprob import load_model
>>> from toeprob.evidence import parse_evidence
>>> model = load_model()
>>> evidence = parse_evidence({"cramp": True, "during_exercise": True}, model)
>>> u = uncertainty_of(model, evidence, draws=200, seed=1)
>>> row = u.to_frame().iloc[0]
>>> bool(row["low"] <= row["probability"] <= row["high"])
True
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from toeprob.casefile import Case
from toeprob.compiled import CompiledModel, compile_model
from toeprob.errors import (
    ParameterError,
    ParameterTypeError,
    UnknownIdentifierError,
    closest_matches,
    shorten,
)
from toeprob.evidence import Evidence, parse_evidence
from toeprob.model import Model
from toeprob.parameters import ModelParameters, ParameterArrays
from toeprob.triage import _care_levels, _policy
from toeprob.uncertainty_results import (
    SAMPLING_SCHEME,
    CauseInterval,
    EvaluationSensitivity,
    MetricShift,
    ParameterEffect,
    Sensitivity,
    Uncertainty,
)
from toeprob.urgency import Urgency
from toeprob.variants import CompiledVariants, VariantEngine, compile_variants

__all__ = ["evaluation_sensitivity", "sensitivity_of", "uncertainty_of"]

FloatArray = NDArray[np.float64]

_PREPARED: weakref.WeakKeyDictionary[Model, tuple[ModelParameters, CompiledModel]] = (
    weakref.WeakKeyDictionary()
)


def _prepared(model: Model) -> tuple[ModelParameters, CompiledModel]:
    """The model's parameters and compiled structure, built once per model."""
    if model not in _PREPARED:
        _PREPARED[model] = (ModelParameters(model), compile_model(model))
    return _PREPARED[model]


def _compile(base: CompiledModel, arrays: ParameterArrays) -> CompiledVariants:
    return compile_variants(
        base,
        arrays.rf_prevalence,
        arrays.cause_leak,
        arrays.rf_weight,
        arrays.finding_leak,
        arrays.finding_weight,
    )


def _check_draws(draws: object, level: object, seed: object) -> None:
    if not isinstance(draws, int) or isinstance(draws, bool) or draws < 1:
        raise ParameterError(f"The 'draws' parameter must be an int >= 1. Got {shorten(draws)} instead.")
    if not isinstance(level, float | int) or isinstance(level, bool) or not 0.0 < level < 1.0:
        raise ParameterError(
            f"The 'level' parameter must be a number strictly between 0 and 1 (for example 0.9). "
            f"Got {shorten(level)} instead."
        )
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise ParameterTypeError(
            f"The 'seed' parameter must be a non-negative int or None. Got {shorten(seed)} instead."
        )


def _ranked_first(post: FloatArray, causes: Sequence[str], n: int) -> NDArray[np.intp]:
    """The ``n`` best causes of every row, as :func:`toeprob.rank_causes` orders them.

    Probabilities equal to 9 decimals are ties, broken by identifier.
    """
    by_name = np.argsort(np.array(causes))
    order = np.argsort(-np.round(post[:, by_name], 9), axis=1, kind="stable")[:, :n]
    return np.asarray(by_name[order])


def draw_urgency(
    model: Model, evidence: Evidence, engine: VariantEngine
) -> tuple[FloatArray, NDArray[np.int_]]:
    """The evidence's posterior ``(K, C)`` and urgency ``(K,)`` under every variant of ``engine``.

    The urgency rule of :mod:`toeprob.triage`, variant by variant: the highest red-flag floor present,
    or the highest care level a cause reaches in one of the rule's worlds.
    """
    policy = _policy(model)
    states = evidence.finding_state[None, :].astype(np.int8)
    rfs = evidence.rf_state[None, :].astype(np.int8)
    rows, row_rfs, _ = policy.candidate_rows(states, rfs)
    # identical rows (a world equal to the evidence, or to another world) are computed once
    both = np.concatenate([np.concatenate([states, rows]), np.concatenate([rfs, row_rfs])], axis=1)
    unique, inverse = np.unique(both, axis=0, return_inverse=True)
    n_f = states.shape[1]
    every = engine.posterior(unique[:, :n_f], unique[:, n_f:])[inverse.ravel()]
    posterior, worlds = every[0], every[1:]
    n_k, n_c = posterior.shape
    floor = int(policy.floors(states)[0])
    if len(worlds):
        levels = _care_levels(worlds.reshape(-1, n_c), policy.care, policy.thresholds).reshape(-1, n_k)
        care = levels.max(axis=0)
    else:
        care = np.zeros(n_k, dtype=int)
    return posterior, np.maximum(care, floor)


def uncertainty_of(
    model: Model,
    evidence: Evidence,
    *,
    draws: int = 1000,
    seed: int | None = None,
    level: float = 0.9,
    point: FloatArray | None = None,
    point_urgency: Urgency | None = None,
) -> Uncertainty:
    """Posterior intervals, ranking and urgency over ``draws`` models drawn within the ranges.

    Parameters
    ----------
    model : Model
    evidence : Evidence
        Validated evidence (:func:`toeprob.evidence.parse_evidence`).
    draws : int, default 1000
        Number of models drawn.
    seed : int, optional
        Seed of the draws (``numpy.random.default_rng(seed)``): the same seed gives the same result.
    level : float, default 0.9
        Probability mass of each interval: the interval runs from the ``(1 - level) / 2`` to the
        ``(1 + level) / 2`` quantile of the draws.
    point, point_urgency : optional
        The point model's posterior (in model order) and urgency, when already known (a
        :class:`~toeprob.Diagnosis` has them); computed otherwise.

    Returns
    -------
    Uncertainty
    """
    _check_draws(draws, level, seed)
    params, base = _prepared(model)
    values = params.sample(draws, np.random.default_rng(seed))
    engine = VariantEngine(_compile(base, params.arrays(values)))
    posterior, urgency = draw_urgency(model, evidence, engine)
    if point is None or point_urgency is None:
        point_engine = VariantEngine(_compile(base, params.arrays(params.value[None, :])))
        point_post, point_level = draw_urgency(model, evidence, point_engine)
        point, point_urgency = point_post[0], Urgency(int(point_level[0]))
    return summarise(model, evidence, posterior, urgency, np.asarray(point), point_urgency, level, seed)


def summarise(
    model: Model,
    evidence: Evidence,
    posterior: FloatArray,
    urgency: NDArray[np.int_],
    point: FloatArray,
    point_urgency: Urgency,
    level: float,
    seed: int | None,
) -> Uncertainty:
    """The :class:`Uncertainty` of posterior draws ``(K, C)`` and urgency draws ``(K,)``."""
    causes = model.causes
    n_k = posterior.shape[0]
    lower, upper = np.quantile(posterior, [(1.0 - level) / 2.0, (1.0 + level) / 2.0], axis=0)
    best = _ranked_first(posterior, causes, min(3, len(causes)))
    first = np.bincount(best[:, 0], minlength=len(causes)) / n_k
    top3 = np.bincount(best.ravel(), minlength=len(causes)) / n_k
    point_order = _ranked_first(point[None, :], causes, len(causes))[0]
    rows = []
    for i in point_order.tolist():
        spec = model.cause_specs[causes[i]]
        rows.append(
            CauseInterval(
                cause=causes[i],
                label=spec.label,
                probability=float(point[i]),
                low=float(min(lower[i], point[i])),
                high=float(max(upper[i], point[i])),
                share_first=float(first[i]),
                share_top3=float(top3[i]),
                care_level=spec.care_level,
            )
        )
    shares = {u: float(np.count_nonzero(urgency == int(u)) / n_k) for u in Urgency}
    post = posterior.copy()
    post.setflags(write=False)
    return Uncertainty(
        causes=tuple(rows),
        urgency=point_urgency,
        urgency_shares=shares,
        top_change_rate=float(np.count_nonzero(best[:, 0] != point_order[0]) / n_k),
        draws=n_k,
        level=float(level),
        seed=seed,
        evidence=dict(evidence.values),
        model_name=model.name,
        model_version=model.version,
        sampling=SAMPLING_SCHEME,
        posterior_draws=post,
        urgency_draws=tuple(Urgency(int(u)) for u in urgency),
    )


def _cause_index(model: Model, cause: object) -> int:
    if not isinstance(cause, str) or cause not in model.cause_specs:
        hint = closest_matches(cause, model.causes) if isinstance(cause, str) else []
        extra = f" Closest: {', '.join(hint)}." if hint else ""
        raise UnknownIdentifierError(f"{shorten(cause)} is not a cause of model {model.name!r}.{extra}")
    return model.causes.index(cause)


def sensitivity_of(model: Model, evidence: Evidence, cause: str) -> Sensitivity:
    """How far ``cause``'s posterior moves when each parameter moves one word down or up its scale.

    Every parameter of :class:`~toeprob.parameters.ModelParameters` is moved alone, the others at
    their values (a population figure to the edges of its range; a word at the end of its scale
    one way only), and the posterior recomputed exactly; all the moved models in one batch.
    Parameters are ordered by their largest effect.

    Examples
    --------
    >>> from toeprob import load_model
    >>> from toeprob.evidence import parse_evidence
    >>> model = load_model()
    >>> s = sensitivity_of(model, parse_evidence({"cramp": True}, model), "dehydration")
    >>> s.effects[0].parameter
    'prior:dehydration'
    """
    index = _cause_index(model, cause)
    params, base = _prepared(model)
    shifts = params.shifts()
    values = np.vstack([params.value[None, :], params.shifted(shifts)])
    post = VariantEngine(_compile(base, params.arrays(values))).posterior(
        evidence.finding_state[None, :], evidence.rf_state[None, :]
    )[0, :, index]
    point = float(post[0])
    found: dict[str, dict[str, tuple[str, float]]] = {}
    for shift, p in zip(shifts, post[1:].tolist(), strict=True):
        found.setdefault(shift.parameter, {})[shift.direction] = (shift.label, p)
    effects = []
    for name, moves in found.items():
        k = params.index(name)
        down, up = moves.get("down"), moves.get("up")
        effects.append(
            ParameterEffect(
                parameter=name,
                kind=params.kinds[k],
                word=params.words[k] or f"{params.value[k]:.3g}",
                down=down[0] if down else None,
                probability_down=down[1] if down else None,
                up=up[0] if up else None,
                probability_up=up[1] if up else None,
                swing=max(abs(m[1] - point) for m in moves.values()),
            )
        )
    effects.sort(key=lambda e: (-e.swing, e.parameter))
    return Sensitivity(
        cause=cause,
        probability=point,
        effects=tuple(effects),
        evidence=dict(evidence.values),
        model_name=model.name,
        model_version=model.version,
    )


def evaluation_sensitivity(model: Model, cases: Sequence[Case]) -> EvaluationSensitivity:
    """How the ranking metrics over ``cases`` move when each parameter moves one word.

    Metrics (as :func:`toeprob.evaluate`): top-1 (the top cause is the gold cause or an acceptable
    one), top-3 and log-loss (mean ``-log p_gold``, ``p_gold`` clipped at 1e-12), exact under every
    moved model, all cases and models in one batch. Parameters are ordered by the change of the
    log-loss, the metric every parameter moves.
    """
    if not cases:
        raise ParameterError("evaluation_sensitivity needs at least one case.")
    params, base = _prepared(model)
    shifts = params.shifts()
    values = np.vstack([params.value[None, :], params.shifted(shifts)])
    evs = [parse_evidence(c.evidence, model) for c in cases]
    post = VariantEngine(_compile(base, params.arrays(values))).posterior(
        np.stack([e.finding_state for e in evs]), np.stack([e.rf_state for e in evs])
    )  # (N, S + 1, C)
    n, n_s, n_c = post.shape
    causes = model.causes
    gold = np.array([causes.index(c.gold_cause) for c in cases])
    accept = np.zeros((n, n_c), dtype=bool)
    accept[np.arange(n), gold] = True
    for row, case in enumerate(cases):
        for alt in case.acceptable:
            if alt in model.cause_specs:
                accept[row, causes.index(alt)] = True
    best = _ranked_first(post.reshape(n * n_s, n_c), causes, 3).reshape(n, n_s, 3)
    top1 = accept[np.arange(n)[:, None], best[:, :, 0]].mean(axis=0)
    top3 = (best == gold[:, None, None]).any(axis=2).mean(axis=0)
    p_gold = post[np.arange(n), :, gold]
    log_loss = (-np.log(np.clip(p_gold, 1e-12, 1.0))).mean(axis=0)
    rows = [
        MetricShift(
            parameter=s.parameter,
            kind=params.kinds[params.index(s.parameter)],
            word=params.words[params.index(s.parameter)] or f"{params.value[params.index(s.parameter)]:.3g}",
            direction=s.direction,
            to=s.label,
            top1=float(top1[k + 1]),
            top3=float(top3[k + 1]),
            log_loss=float(log_loss[k + 1]),
        )
        for k, s in enumerate(shifts)
    ]
    rows.sort(key=lambda r: (-abs(r.log_loss - float(log_loss[0])), r.parameter, r.direction))
    return EvaluationSensitivity(
        cases=n,
        top1=float(top1[0]),
        top3=float(top3[0]),
        log_loss=float(log_loss[0]),
        shifts=tuple(rows),
        model_name=model.name,
        model_version=model.version,
    )
