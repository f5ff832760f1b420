"""Compile a model once into index maps and numpy arrays for the exact engine.

The network is risk factors -> causes -> findings, all binary, leaky noisy-OR at both layers. A
:class:`CompiledModel` holds the five parameter arrays (prevalences, cause leaks ``lambda``, risk
weights ``w``, finding leaks ``mu``, finding weights ``p``) and the structure the engine needs, all
worked out here so that a query does no graph work:

* **private risk factors** (one child cause) are folded into their cause: summing them out only
  replaces ``(1 - w)**R`` by ``1 - P(R) w`` (the cause factor is affine in it);
* **shared risk factors** (two or more children) couple their causes; they are summed exactly,
  term by term, by the junction-tree program of :mod:`toeprob.inference.risk_factors`, compiled here once.

Examples
--------
>>> import numpy as np
>>> cm = compile_arrays(
...     causes=("a", "b"), findings=("f",), risk_factors=("r",),
...     rf_prevalence=[0.1], cause_leak=[0.01, 0.02], rf_weight=[[0.5, 0.3]],
...     finding_leak=[0.05], finding_weight=[[0.8, 0.6]])
>>> cm.cause_index["b"], [c.variables for c in cm.program.cliques]
(1, [(0,)])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.inference.budget import DEFAULT_BUDGET, Budget
from toeprob.inference.risk_factors import RiskProgram, compile_program

if TYPE_CHECKING:
    from toeprob.knowledge.model import Model

__all__ = ["CompiledModel", "compile_arrays", "compile_model"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A model as arrays (see the module docstring). Build with :func:`compile_model`.

    The ``child_*`` arrays list, for each cause, its findings padded to a common width with the
    dummy finding ``F`` (never observed); ``private_*`` likewise list private risk factors padded
    with the dummy risk factor ``R`` (never present) and weight 0.
    """

    causes: tuple[str, ...]
    findings: tuple[str, ...]
    risk_factors: tuple[str, ...]
    cause_index: Mapping[str, int]
    finding_index: Mapping[str, int]
    risk_factor_index: Mapping[str, int]
    rf_prevalence: FloatArray
    cause_leak: FloatArray
    rf_weight: FloatArray
    finding_leak: FloatArray
    finding_weight: FloatArray
    # derived structure
    finding_q: FloatArray  # (F, C) 1 - p
    log1m_finding_leak: FloatArray  # (F,) log(1 - mu)
    finding_parent_count: IntArray  # (F,)
    private_rf: IntArray  # (C, P)
    private_weight: FloatArray  # (C, P)
    child_finding: IntArray  # (C, D)
    child_q: FloatArray  # (C, D) 1 - p (1 for padding)
    child_single: NDArray[np.bool_]  # (C, D) finding has this cause as its only parent
    child_leak: FloatArray  # (C, D) mu
    child_present: FloatArray  # (C, D) 1 - (1 - mu)(1 - p) = mu + p (1 - mu)
    # evidence folding by one lookup: entry ``k`` reads the state of row ``lookup_row[k]`` of
    # ``[findings; risk factors; a dummy that is always unknown]`` and takes
    # ``lookup_table[3 k + state + 1]``. Entries, in order: P(risk factor present) (R), the
    # private risk-factor factors of P(C_i = 0) (C x P), the child factors at C_i = 1 and at
    # C_i = 0 (2 x C x D), the log factors that involve no cause (F + R).
    lookup_row: IntArray  # (L,)
    lookup_table: FloatArray  # (3 L,)
    lookup_offset: IntArray  # (L,): 3 k + 1
    shared_rf: IntArray  # risk factors with two or more children
    program: RiskProgram | None  # sums over the shared risk factors (None: too large, no Quickscore)


def _array(values: ArrayLike, shape: tuple[int, ...], name: str) -> FloatArray:
    arr = np.array(values, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}.")
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise ValueError(f"{name} must hold probabilities in [0, 1].")
    arr.setflags(write=False)
    return arr


def _padded(rows: Sequence[Sequence[int]], pad: int) -> IntArray:
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), max(width, 1)), pad, dtype=np.intp)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def compile_arrays(
    causes: Sequence[str],
    findings: Sequence[str],
    risk_factors: Sequence[str],
    rf_prevalence: ArrayLike,
    cause_leak: ArrayLike,
    rf_weight: ArrayLike,
    finding_leak: ArrayLike,
    finding_weight: ArrayLike,
    *,
    budget: Budget | None = None,
) -> CompiledModel:
    """Compile a network given directly as arrays (for tests and synthetic networks).

    Parameters
    ----------
    causes, findings, risk_factors : sequence of str
        Node identifiers; their order is the order of every array axis.
    rf_prevalence : array_like, shape (R,)
        ``P(risk factor present)``.
    cause_leak : array_like, shape (C,)
        Leak ``lambda`` of each cause, in [0, 1).
    rf_weight : array_like, shape (R, C)
        Link strengths ``w`` in [0, 1), 0 where unlinked.
    finding_leak : array_like, shape (F,)
        Leak ``mu`` of each finding, in [0, 1).
    finding_weight : array_like, shape (F, C)
        Link strengths ``p`` in [0, 1], 0 where unlinked.
    budget : Budget, optional
        Memory allowed for the compiled program (default :data:`~toeprob.inference.budget.DEFAULT_BUDGET`).

    Returns
    -------
    CompiledModel

    Raises
    ------
    CostLimitError
        If the sums over shared risk factors would need tables beyond ``budget`` (the message names
        the risk factors of the widest table and the causes linked to them).

    Examples
    --------
    >>> cm = compile_arrays(["c"], ["f"], [], [], [0.1], np.zeros((0, 1)), [0.01], [[0.9]])
    >>> cm.child_present.round(3).tolist()
    [[0.901]]
    """
    cs, fs, rs = tuple(causes), tuple(findings), tuple(risk_factors)
    n_c, n_f, n_r = len(cs), len(fs), len(rs)
    for kind, ids in (("causes", cs), ("findings", fs), ("risk_factors", rs)):
        if len(set(ids)) != len(ids):
            raise ValueError(f"{kind} contain duplicate identifiers.")
    prev = _array(rf_prevalence, (n_r,), "rf_prevalence")
    lam = _array(cause_leak, (n_c,), "cause_leak")
    w = _array(rf_weight, (n_r, n_c), "rf_weight")
    mu = _array(finding_leak, (n_f,), "finding_leak")
    p = _array(finding_weight, (n_f, n_c), "finding_weight")
    if np.any(lam >= 1.0) or np.any(w >= 1.0) or np.any(mu >= 1.0):
        raise ValueError("cause_leak, rf_weight and finding_leak must be below 1.")

    linked_rf = w > 0
    n_kids = linked_rf.sum(axis=1)
    private = [[int(r) for r in np.flatnonzero(linked_rf[:, c]) if n_kids[r] == 1] for c in range(n_c)]
    private_rf = _padded(private, n_r)

    linked_f = p > 0
    parent_count = linked_f.sum(axis=1).astype(np.intp)
    child = _padded([np.flatnonzero(linked_f[:, c]).tolist() for c in range(n_c)], n_f)
    child_single = (child < n_f) & (np.append(parent_count, 0)[child] == 1)

    shared = np.flatnonzero(n_kids >= 2).astype(np.intp)
    tables = parameter_tables(prev, w, mu, p, private_rf, child, child_single)
    derived: dict[str, NDArray[np.generic]] = {
        "finding_parent_count": parent_count,
        "private_rf": private_rf,
        "child_finding": child,
        "child_single": child_single,
        "lookup_row": np.concatenate(
            [
                n_f + np.arange(n_r),
                n_f + private_rf.ravel(),
                np.tile(np.where(child == n_f, n_f + n_r, child).ravel(), 2),
                np.arange(n_f + n_r),
            ]
        ).astype(np.intp),
        **tables,
    }
    derived["lookup_offset"] = 3 * np.arange(len(derived["lookup_row"]), dtype=np.intp) + 1
    for arr in derived.values():
        arr.setflags(write=False)
    return CompiledModel(
        cs,
        fs,
        rs,
        {c: i for i, c in enumerate(cs)},
        {f: i for i, f in enumerate(fs)},
        {r: i for i, r in enumerate(rs)},
        prev,
        lam,
        w,
        mu,
        p,
        shared_rf=shared,
        program=compile_program(w, DEFAULT_BUDGET if budget is None else budget, names=(rs, cs)),
        **derived,  # type: ignore[arg-type]
    )


def parameter_tables(
    prev: FloatArray,
    w: FloatArray,
    mu: FloatArray,
    p: FloatArray,
    private_rf: IntArray,
    child: IntArray,
    child_single: NDArray[np.bool_],
) -> dict[str, FloatArray]:
    """The compiled arrays that depend on the parameter values (see :func:`lookup_table`)."""
    n_c = w.shape[-1]
    cidx = np.arange(n_c)[:, None]
    child_p = np.vstack([p, np.zeros((1, n_c))])[child, cidx]
    child_leak = np.append(mu, 0.0)[child]
    return {
        "finding_q": 1.0 - p,
        "log1m_finding_leak": np.log1p(-mu),
        "private_weight": np.vstack([w, np.zeros((1, n_c))])[private_rf, cidx],
        "child_q": 1.0 - child_p,
        "child_leak": child_leak,
        "child_present": child_leak + child_p * (1.0 - child_leak),
        "lookup_table": lookup_table(prev, w, mu, p, private_rf, child, child_single),
    }


def lookup_table(
    prev: FloatArray,
    w: FloatArray,
    mu: FloatArray,
    p: FloatArray,
    private_rf: IntArray,
    child: IntArray,
    child_single: NDArray[np.bool_],
) -> FloatArray:
    """The evidence-folding table (:attr:`CompiledModel.lookup_table`) of one model or a batch of them.

    ``prev`` (R, ...), ``w`` (R, C, ...), ``mu`` (F, ...) and ``p`` (F, C, ...) may carry trailing
    batch axes (model variants, see :mod:`toeprob.inference.variants`); the table then has shape
    ``(3 L, ...)``, each entry's values for every variant side by side. Every entry is computed
    elementwise, so a variant's table is bitwise that of the same parameters compiled alone.
    """
    n_r, n_c = w.shape[:2]
    n_f = mu.shape[0]
    batch = prev.shape[1:]
    cidx = np.arange(n_c)[:, None]
    sizes = [n_r, private_rf.size, child.size, child.size, n_f, n_r]
    ends = np.cumsum(sizes).tolist()
    out = np.empty((3 * ends[-1], *batch))
    blocks = [out[3 * (e - n) : 3 * e].reshape(n, 3, *batch) for e, n in zip(ends, sizes, strict=True)]
    zero = np.zeros((1, *batch))
    private_weight = np.concatenate([w, np.zeros((1, n_c, *batch))])[private_rf, cidx].reshape(-1, *batch)
    private_prev = np.concatenate([prev, zero])[private_rf].reshape(-1, *batch)
    child_p = np.concatenate([p, np.zeros((1, n_c, *batch))])[child, cidx].reshape(-1, *batch)
    child_leak = np.concatenate([mu, zero])[child].reshape(-1, *batch)
    single = child_single.reshape(-1, *(1 for _ in batch))
    columns = [
        (prev, 0.0, 1.0),
        (1.0 - private_prev * private_weight, 1.0, 1.0 - private_weight),
        (1.0, 1.0 - child_p, np.where(single, child_leak + child_p * (1.0 - child_leak), 1.0)),
        (1.0, 1.0, np.where(single, child_leak, 1.0)),
        (0.0, np.log1p(-mu), 0.0),
    ]
    with np.errstate(divide="ignore"):
        columns.append((0.0, np.log(1.0 - prev), np.log(prev)))
    for block, values in zip(blocks, columns, strict=True):
        for state, value in enumerate(values):
            block[:, state] = value
    return out


def compile_model(model: Model, *, budget: Budget | None = None) -> CompiledModel:
    """Compile a validated :class:`~toeprob.Model` for :class:`~toeprob.inference.exact.ExactEngine`.

    ``budget`` bounds the compiled program's memory (see :func:`compile_arrays`).

    Examples
    --------
    >>> from toeprob import load_model
    >>> cm = compile_model(load_model())
    >>> cm.finding_weight.shape == (len(cm.findings), len(cm.causes))
    True
    """
    causes, findings, rfs = model.causes, model.findings, model.risk_factors
    ci = {c: i for i, c in enumerate(causes)}
    fi = {f: i for i, f in enumerate(findings)}
    ri = {r: i for i, r in enumerate(rfs)}
    w = np.zeros((len(rfs), len(causes)))
    for lk in model.risk_links:
        w[ri[lk.parent], ci[lk.child]] = lk.probability
    p = np.zeros((len(findings), len(causes)))
    for lk in model.finding_links:
        p[fi[lk.child], ci[lk.parent]] = lk.probability
    return compile_arrays(
        causes,
        findings,
        rfs,
        [model.risk_factor_specs[r].prevalence for r in rfs],
        [model.cause_specs[c].leak for c in causes],
        w,
        [model.finding_specs[f].leak for f in findings],
        p,
        budget=budget,
    )
