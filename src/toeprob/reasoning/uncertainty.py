"""How sure is it: posterior intervals over the words' ranges, and one-word sensitivity.

Every number of a model is a word that stands for a range (``docs/model-format.md``). This module
asks what the ranges do to an answer, exactly:

* :func:`uncertainty` draws complete models within the ranges (:meth:`ModelParameters.sample`:
  every parameter independent, uniform on the log-odds scale within its word's range), computes
  the exact posterior of the evidence and the urgency under every draw in one batched program over the
  model variants (:mod:`toeprob.inference.variants`), and summarises them;
* :func:`sensitivity` moves each parameter one word down and one word up its scale (a
  population figure to the edges of its range), the others at their values, and recomputes one
  cause's posterior exactly under every such model, again in one batch;
* :func:`evaluation_sensitivity` does the same for the ranking metrics over a set of cases.

The urgency of each draw is the model's urgency rule applied to that draw (red-flag floors and the
care levels of the rule's worlds), so that a red flag can only raise it in every draw.

Each function takes the :class:`~toeprob.Reasoner` of the model first; users call them as
``Diagnosis.uncertainty()``, ``Diagnosis.sensitivity()`` or the reasoner's methods of the same names.

Examples
--------
>>> from toeprob import Reasoner
>>> reasoner = Reasoner.for_model()
>>> u = uncertainty(reasoner, reasoner.rank({"cramp": True, "during_exercise": True}), draws=200, seed=1)
>>> row = u.to_frame().iloc[0]
>>> bool(row["low"] <= row["probability"] <= row["high"])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import (
    ParameterError,
    ParameterKeyError,
    ParameterTypeError,
    shorten,
)
from toeprob.inference.compiled import CompiledModel, compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.variants import VariantEngine, compile_parameter_variants
from toeprob.knowledge.casefile import Case
from toeprob.knowledge.evidence import Evidence, distinct_rows
from toeprob.knowledge.parameters import ModelParameters, Shift
from toeprob.knowledge.urgency import Urgency
from toeprob.reasoning.urgency_rule import UrgencyPolicy, settled_levels
from toeprob.results.diagnosis import Diagnosis
from toeprob.results.uncertainty import (
    SAMPLING_SCHEME,
    CauseInterval,
    EvaluationSensitivity,
    MetricShift,
    ParameterEffect,
    Sensitivity,
    Uncertainty,
)
from toeprob.validation import unknown_identifier_message

if TYPE_CHECKING:
    from toeprob.reasoning.reasoner import Reasoner

__all__ = ["evaluation_sensitivity", "sensitivity", "uncertainty"]

FloatArray = NDArray[np.float64]

_LEVELS = {int(u): u for u in Urgency}


def _basis(reasoner: Reasoner) -> tuple[ModelParameters, CompiledModel]:
    """The reasoner's model parameters and the compiled structure every variant shares."""
    engine = reasoner.engine
    compiled = engine.compiled if isinstance(engine, ExactEngine) else compile_model(reasoner.model)
    return reasoner.parameters, compiled


def _urgency_rows(
    policy: UrgencyPolicy, evidence: Evidence
) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.intp]]:
    """The distinct rows of the evidence and the urgency rule's worlds: finding states, risk-factor
    states, and for the evidence row then each world row, its distinct row."""
    states = evidence.finding_state[None, :].astype(np.int8)
    rfs = evidence.rf_state[None, :].astype(np.int8)
    rows, row_rfs, _ = policy.candidate_rows(states, rfs)
    # identical rows (a world equal to the evidence, or to another world) are computed once
    every_f, every_r = np.concatenate([states, rows]), np.concatenate([rfs, row_rfs])
    first, inverse = distinct_rows(every_f, every_r)
    return every_f[first], every_r[first], inverse


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
    policy: UrgencyPolicy, evidence: Evidence, engine: VariantEngine
) -> tuple[FloatArray, NDArray[np.int_]]:
    """The evidence's posterior ``(K, C)`` and urgency ``(K,)`` under every variant of ``engine``.

    The urgency rule of :mod:`toeprob.reasoning.urgency_rule`, variant by variant: the highest
    red-flag floor present, or the highest care level a cause reaches in one of the rule's worlds.
    """
    fs, rs, inverse = _urgency_rows(policy, evidence)
    n_k = engine.variants.variants
    # pairs row by row (the compiled program folds a row's evidence once for all its variants);
    # the worlds' rows count only by their care levels: a world pair whose float64 sum cancels may
    # keep its float64 posterior when the level is the same at both ends of its error bound (the
    # level of the exact posterior lies between them), and is recomputed exactly otherwise
    rows, variant = np.divmod(np.arange(len(fs) * n_k), n_k)
    approximate = rows != inverse[0]
    pairs, error = engine.posterior_pairs_bounded(fs, rs, rows, variant, approximate)
    n_c = pairs.shape[1]
    levels = settled_levels(
        pairs, error, policy, lambda again: engine.posterior_pairs(fs, rs, rows[again], variant[again])
    )
    every = pairs.reshape(len(fs), n_k, n_c)
    posterior = every[inverse[0]]
    floor = int(policy.floors(evidence.finding_state[None, :].astype(np.int8))[0])
    worlds = inverse[1:]
    care = levels.reshape(len(fs), n_k)[worlds].max(axis=0) if len(worlds) else np.zeros(n_k, dtype=int)
    return posterior, np.maximum(care, floor)


def uncertainty(
    reasoner: Reasoner,
    diagnosis: Diagnosis,
    *,
    draws: int = 1000,
    seed: int | None = None,
    level: float = 0.9,
) -> Uncertainty:
    """Posterior intervals, ranking and urgency of a diagnosis over ``draws`` models drawn within the ranges.

    Parameters
    ----------
    reasoner : Reasoner
    diagnosis : Diagnosis
        The point model's diagnosis (its evidence, posterior and urgency).
    draws : int, default 1000
        Number of models drawn.
    seed : int, optional
        Seed of the draws (``numpy.random.default_rng(seed)``): the same seed gives the same result.
    level : float, default 0.9
        Probability mass of each interval: the interval runs from the ``(1 - level) / 2`` to the
        ``(1 + level) / 2`` quantile of the draws, widened to include the point value when the
        point lies outside (possible when a value sits at the edge of its range).

    Returns
    -------
    Uncertainty
    """
    _check_draws(draws, level, seed)
    params, base = _basis(reasoner)
    evidence = diagnosis.parsed if diagnosis.parsed is not None else reasoner.parse(diagnosis.evidence)
    policy = reasoner.urgency_policy
    # only the parameters that can move these rows are turned into values (the others at their point
    # values); the uniform numbers are the same, and so is every posterior, bitwise
    relevant = params.relevant((_urgency_rows(policy, evidence)[0] >= 0).any(axis=0))
    values = params.sample(draws, np.random.default_rng(seed), relevant)
    variants = compile_parameter_variants(base, params.links(values, relevant))
    engine = VariantEngine(variants, budget=reasoner.budget)
    posterior, urgency = draw_urgency(policy, evidence, engine)
    if diagnosis.engine == "fast" and diagnosis.posterior is not None:
        point, point_urgency = np.asarray(diagnosis.posterior), diagnosis.urgency
    else:  # the ranking came from another engine: the point row of the fast engine
        point_engine = VariantEngine(compile_parameter_variants(base, params.links(params.value[None, :])))
        point_post, point_level = draw_urgency(reasoner.urgency_policy, evidence, point_engine)
        point, point_urgency = point_post[0], Urgency(int(point_level[0]))
    return summarise(reasoner, evidence, posterior, urgency, point, point_urgency, level, seed)


def summarise(
    reasoner: Reasoner,
    evidence: Evidence,
    posterior: FloatArray,
    urgency: NDArray[np.int_],
    point: FloatArray,
    point_urgency: Urgency,
    level: float,
    seed: int | None,
) -> Uncertainty:
    """The :class:`Uncertainty` of posterior draws ``(K, C)`` and urgency draws ``(K,)``."""
    model = reasoner.model
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
        urgency_draws=tuple(map(_LEVELS.__getitem__, urgency.tolist())),
    )


def _cause_index(reasoner: Reasoner, cause: object) -> int:
    model = reasoner.model
    if not isinstance(cause, str) or cause not in model.cause_specs:
        raise ParameterKeyError(unknown_identifier_message(cause, model.causes, "a cause", model=model.name))
    return reasoner.cause_index[cause]


def sensitivity(reasoner: Reasoner, diagnosis: Diagnosis, cause: str) -> Sensitivity:
    """How far ``cause``'s posterior moves when each parameter moves one word down or up its scale.

    Every parameter of :class:`~toeprob.parameters.ModelParameters` is moved alone, the others at
    their values (a population figure to the edges of its range; a word at the end of its scale
    one way only), and the posterior recomputed exactly; all the moved models in one batch.
    Parameters are ordered by their largest effect.

    Examples
    --------
    >>> from toeprob import Reasoner
    >>> reasoner = Reasoner.for_model()
    >>> sensitivity(reasoner, reasoner.rank({"cramp": True}), "dehydration").effects[0].parameter
    'prior:dehydration'
    """
    index = _cause_index(reasoner, cause)
    model = reasoner.model
    evidence = diagnosis.parsed if diagnosis.parsed is not None else reasoner.parse(diagnosis.evidence)
    params, base = _basis(reasoner)
    shifts = params.shifts()
    values = np.vstack([params.value[None, :], params.shifted(shifts)])
    fs, rs = evidence.finding_state[None, :], evidence.rf_state[None, :]
    post = _shifted_posteriors(reasoner, base, params, values, shifts, fs, rs)[0, :, index]
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


def _shifted_posteriors(
    reasoner: Reasoner,
    base: CompiledModel,
    params: ModelParameters,
    values: FloatArray,
    shifts: Sequence[Shift],
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
) -> FloatArray:
    """Posteriors ``(N, S + 1, C)`` of evidence rows under the point model (variant 0) and each shift.

    A shift of a parameter of a finding the row leaves unknown (its leak, a link into it) cannot move
    that row's posterior: the finding sums out to one whatever its numbers, and the computation never
    reads them. Such pairs take the point row instead of being computed (the same numbers, bitwise).
    """
    engine = VariantEngine(compile_parameter_variants(base, params.links(values)), budget=reasoner.budget)
    finding = np.array([params.finding_of[params.index(s.parameter)] for s in shifts], dtype=np.intp)
    moves = np.concatenate([[False], finding >= 0])  # variant 0 is the point model
    observed = np.ones((len(fs), len(moves)), dtype=bool)
    observed[:, moves] = fs[:, finding[finding >= 0]] >= 0
    rows, variant = np.nonzero(observed)
    post = np.empty((len(fs), len(moves), len(base.causes)))
    post[rows, variant] = engine.posterior_pairs(fs, rs, rows, variant)
    skipped_rows, skipped = np.nonzero(~observed)
    post[skipped_rows, skipped] = post[skipped_rows, 0]
    return post


def evaluation_sensitivity(reasoner: Reasoner, cases: Sequence[Case]) -> EvaluationSensitivity:
    """How the ranking metrics over ``cases`` move when each parameter moves one word.

    Metrics (as :func:`toeprob.evaluate`): top-1 (the top cause is the gold cause or an acceptable
    one), top-3 and log-loss (mean ``-log p_gold``, ``p_gold`` clipped at 1e-12), exact under every
    moved model, all cases and models in one batch. Parameters are ordered by the change of the
    log-loss, the metric every parameter moves.
    """
    if not cases:
        raise ParameterError("evaluation_sensitivity needs at least one case.")
    model = reasoner.model
    params, base = _basis(reasoner)
    shifts = params.shifts()
    values = np.vstack([params.value[None, :], params.shifted(shifts)])
    evs = [reasoner.parse(c.evidence) for c in cases]
    fs, rs = np.stack([e.finding_state for e in evs]), np.stack([e.rf_state for e in evs])
    post = _shifted_posteriors(reasoner, base, params, values, shifts, fs, rs)  # (N, S + 1, C)
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
