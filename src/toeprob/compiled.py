"""Compile a model once into index maps and numpy arrays for the exact engine.

The network is risk factors -> causes -> findings, all binary, leaky noisy-OR at both layers. A
:class:`CompiledModel` holds the five parameter arrays (prevalences, cause leaks ``lambda``, risk
weights ``w``, finding leaks ``mu``, finding weights ``p``) and the structure the engine needs, all
worked out here so that a query does no graph work:

* **private risk factors** (one child cause) are folded into their cause: summing them out only
  replaces ``(1 - w)**R`` by ``1 - P(R) w`` (the cause factor is affine in it);
* **shared risk factors** (two or more children) couple their causes. Causes linked through shared
  risk factors form *components*. In each component a small **cutset** of shared risk factors is
  chosen (greedily) so that, given the cutset, every cause keeps at most one shared parent; the
  remaining shared risk factors are the centres of disjoint **stars** and are summed out locally.
  The engine enumerates the ``2**len(cutset)`` cutset configurations; components without a cutset
  (and causes without shared parents, as one-cause stars) are all handled together in one block.
  See :class:`CauseBlock`.

Examples
--------
>>> import numpy as np
>>> cm = compile_arrays(
...     causes=("a", "b"), findings=("f",), risk_factors=("r",),
...     rf_prevalence=[0.1], cause_leak=[0.01, 0.02], rf_weight=[[0.5, 0.3]],
...     finding_leak=[0.05], finding_weight=[[0.8, 0.6]])
>>> cm.cause_index["b"], len(cm.blocks), cm.blocks[0].star_rf.tolist()
(1, 1, [0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.junction import JunctionTree, compile_tree

if TYPE_CHECKING:
    from toeprob.model import Model

__all__ = ["CauseBlock", "CompiledModel", "ComponentTree", "compile_arrays", "compile_model"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class CauseBlock:
    """Causes summed out together: a cutset enumeration times independent stars.

    Attributes
    ----------
    causes : ndarray of int, shape (n,)
        Model indices of the block's causes, grouped so that every star is contiguous.
    star_starts : ndarray of int, shape (s,)
        Offset of each star in ``causes`` (for ``np.multiply.reduceat``).
    cause_star : ndarray of int, shape (n,)
        Star of each cause.
    star_rf : ndarray of int, shape (s,)
        Shared risk factor at the centre of each star; ``R`` (a dummy that is never present) for a
        one-cause star without a shared parent.
    cutset_rf : ndarray of int, shape (k,)
        Risk factors enumerated for this block.
    configs : ndarray of bool, shape (2**k, k)
        Every cutset configuration.
    multiplier : ndarray of float, shape (2**k, 2, n)
        ``prod (1 - w)`` over the present cutset risk factors and, on axis 1, the star centre.
    """

    causes: IntArray
    star_starts: IntArray
    cause_star: IntArray
    star_rf: IntArray
    cutset_rf: IntArray
    configs: NDArray[np.bool_]
    multiplier: FloatArray


@dataclass(frozen=True, eq=False)
class ComponentTree:
    """Causes coupled through shared risk factors that need a junction tree (see the module doc)."""

    causes: IntArray
    risk_factors: IntArray
    tree: JunctionTree


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
    # lookup tables by state (-1, 0, 1), flattened: entry ``3 * k + state + 1`` (``*_offset``: ``3 k + 1``)
    rf_offset: IntArray  # (R,)
    rf_rho_table: FloatArray  # (3 R,) P(risk factor present): prevalence, 0, 1
    rf_log_table: FloatArray  # (3 R,) log P(state): 0, log(1 - prevalence), log(prevalence)
    finding_offset: IntArray  # (F,)
    finding_log_table: FloatArray  # (3 F,) 0, log(1 - mu), 0
    child_offset: IntArray  # (C, D)
    child_e1_table: FloatArray  # (3 C D,) factor at C_i = 1: 1, 1 - p, mu + p (1 - mu) if single
    child_e0_table: FloatArray  # (3 C D,) factor at C_i = 0: 1, 1, mu if single
    shared_rf: IntArray  # risk factors with two or more children
    blocks: tuple[CauseBlock, ...]
    trees: tuple[ComponentTree, ...]

    @property
    def largest_cutset(self) -> int:
        """Size of the largest cutset (the engine enumerates ``2**largest_cutset`` states)."""
        return max((len(b.cutset_rf) for b in self.blocks), default=0)


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


def _greedy_cutset(parents: dict[int, set[int]]) -> list[int]:
    """Shared risk factors to condition on so that every cause keeps at most one shared parent."""
    residual = {c: set(ps) for c, ps in parents.items()}
    cutset: list[int] = []
    while True:
        counts: dict[int, int] = {}
        for ps in residual.values():
            if len(ps) >= 2:
                for r in ps:
                    counts[r] = counts.get(r, 0) + 1
        if not counts:
            return sorted(cutset)
        best = min(counts, key=lambda r: (-counts[r], r))
        cutset.append(best)
        for ps in residual.values():
            ps.discard(best)


def _make_block(
    causes: list[int], cutset: list[int], parents: dict[int, set[int]], w: FloatArray, n_rf: int
) -> CauseBlock:
    star_of: dict[int, int] = {}
    for c in causes:
        rest = parents.get(c, set()) - set(cutset)
        star_of[c] = rest.pop() if rest else n_rf + 1 + c  # unique key for a one-cause star
    ordered = sorted(causes, key=lambda c: (star_of[c], c))
    keys = [star_of[c] for c in ordered]
    starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]
    star_keys = [keys[i] for i in starts]
    cause_star = np.searchsorted(np.array(starts), np.arange(len(ordered)), side="right") - 1
    star_rf = np.array([k if k < n_rf else n_rf for k in star_keys], dtype=np.intp)
    k = len(cutset)
    configs = ((np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    a = 1.0 - w[np.ix_(cutset, ordered)]  # (k, n)
    mult = np.ones((2**k, len(ordered)))
    for j in range(k):
        mult = mult * np.where(configs[:, j : j + 1], a[j][None, :], 1.0)
    star_a = np.array(
        [
            1.0 - w[star_rf[cause_star[i]], c] if star_rf[cause_star[i]] < n_rf else 1.0
            for i, c in enumerate(ordered)
        ]
    )
    multiplier = np.stack([mult, mult * star_a[None, :]], axis=1)
    arrays = (
        np.array(ordered, dtype=np.intp),
        np.array(starts, dtype=np.intp),
        cause_star.astype(np.intp),
        star_rf,
        np.array(cutset, dtype=np.intp),
        configs,
        multiplier,
    )
    for arr in arrays:
        arr.setflags(write=False)
    return CauseBlock(*arrays)


def _tree(members: list[int], parents: dict[int, set[int]], w: FloatArray) -> ComponentTree:
    rfs = sorted(set().union(*(parents[c] for c in members)))
    local = {r: k for k, r in enumerate(rfs)}
    scopes = [tuple(local[r] for r in sorted(parents[c])) for c in members]
    weights = [[float(w[r, c]) for r in sorted(parents[c])] for c in members]
    return ComponentTree(
        np.array(members, dtype=np.intp),
        np.array(rfs, dtype=np.intp),
        compile_tree(len(rfs), scopes, weights),
    )


def _blocks(w: FloatArray) -> tuple[tuple[CauseBlock, ...], tuple[ComponentTree, ...], IntArray]:
    n_rf, n_c = w.shape
    linked = w > 0
    shared = [r for r in range(n_rf) if linked[r].sum() >= 2]
    parents = {c: {r for r in shared if linked[r, c]} for c in range(n_c)}
    # connected components of causes through shared risk factors (union-find)
    root = list(range(n_c))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for r in shared:
        kids = np.flatnonzero(linked[r]).tolist()
        for c in kids[1:]:
            root[find(c)] = find(kids[0])
    comps: dict[int, list[int]] = {}
    for c in range(n_c):
        comps.setdefault(find(c), []).append(c)
    simple: list[int] = []
    trees: list[ComponentTree] = []
    for members in comps.values():
        if _greedy_cutset({c: parents[c] for c in members}):
            trees.append(_tree(members, parents, w))
        else:
            simple.extend(members)
    blocks = (_make_block(sorted(simple), [], parents, w, n_rf),) if simple else ()
    return blocks, tuple(trees), np.array(shared, dtype=np.intp)


def compile_arrays(
    causes: Sequence[str],
    findings: Sequence[str],
    risk_factors: Sequence[str],
    rf_prevalence: ArrayLike,
    cause_leak: ArrayLike,
    rf_weight: ArrayLike,
    finding_leak: ArrayLike,
    finding_weight: ArrayLike,
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

    Returns
    -------
    CompiledModel

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
    cidx = np.arange(n_c)[:, None]
    private_weight = np.vstack([w, np.zeros((1, n_c))])[private_rf, cidx]

    linked_f = p > 0
    parent_count = linked_f.sum(axis=1).astype(np.intp)
    child = _padded([np.flatnonzero(linked_f[:, c]).tolist() for c in range(n_c)], n_f)
    child_p = np.vstack([p, np.zeros((1, n_c))])[child, cidx]
    child_leak = np.append(mu, 0.0)[child]
    child_single = (child < n_f) & (np.append(parent_count, 0)[child] == 1)

    blocks, trees, shared = _blocks(w)
    with np.errstate(divide="ignore"):
        rf_log = np.stack([np.zeros(n_r), np.log(1.0 - prev), np.log(prev)], axis=-1)
    n_d = child.shape[1]
    one = np.ones((n_c, n_d))
    present_single = np.where(child_single, child_leak + child_p * (1.0 - child_leak), 1.0)
    derived: dict[str, NDArray[np.generic]] = {
        "finding_q": 1.0 - p,
        "log1m_finding_leak": np.log1p(-mu),
        "finding_parent_count": parent_count,
        "private_rf": private_rf,
        "private_weight": private_weight,
        "child_finding": child,
        "child_q": 1.0 - child_p,
        "child_single": child_single,
        "child_leak": child_leak,
        "child_present": child_leak + child_p * (1.0 - child_leak),
        "rf_offset": 3 * np.arange(n_r, dtype=np.intp) + 1,
        "rf_rho_table": np.stack([prev, np.zeros(n_r), np.ones(n_r)], axis=-1).ravel(),
        "rf_log_table": rf_log.ravel(),
        "finding_offset": 3 * np.arange(n_f, dtype=np.intp) + 1,
        "finding_log_table": np.stack([np.zeros(n_f), np.log1p(-mu), np.zeros(n_f)], axis=-1).ravel(),
        "child_offset": 3 * np.arange(n_c * n_d, dtype=np.intp).reshape(n_c, n_d) + 1,
        "child_e1_table": np.stack([one, 1.0 - child_p, present_single], axis=-1).ravel(),
        "child_e0_table": np.stack([one, one, np.where(child_single, child_leak, 1.0)], axis=-1).ravel(),
    }
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
        blocks=blocks,
        trees=trees,
        **derived,  # type: ignore[arg-type]
    )


def compile_model(model: Model) -> CompiledModel:
    """Compile a validated :class:`~toeprob.model.Model` for :class:`~toeprob.engine.ExactEngine`.

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
    )
