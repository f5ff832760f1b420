"""Exact posteriors for heavy evidence: elimination over the hidden-variable form of noisy-OR.

A present finding ``j`` with parents ``C_1 .. C_k`` has the likelihood
``P(F_j = 1 | C) = 1 - (1 - mu_j) prod_i q_ji**C_i``. Written with one binary *hidden* variable
``H_j`` (the multiplicative factorization of noisy-OR, Diez and Galan 2003),

    P(F_j = 1 | C) = sum_h a_j(h) prod_i b_ji(h, C_i),   a_j = (-(1 - mu_j), 1),
                     b_ji(0, C_i) = q_ji**C_i,  b_ji(1, C_i) = 1,

the finding joins ``H_j`` to each parent by a 2 x 2 table instead of joining all its parents in
one table. The network of causes, unobserved shared risk factors and hidden variables is then far
narrower: with every finding of the default model present, the widest clique has 20 variables
instead of the 23 parents of one finding alone, and the OR chains of :mod:`toeprob.inference.elimination`
give widths in the twenties. Present findings with two parents keep their (positive) table over
both; absent and unknown findings fold into the cause factors as everywhere else.

:func:`plan` orders the variables (greedy min-fill and min-degree on int bitmasks, with a heap;
more tie-breaking variants when the network is large) and estimates the cost from the structure
alone: elements of every clique table, the widest clique. :func:`solve` runs one calibrated
elimination (an upward and a downward pass, every table divided by its largest magnitude, the
logarithm of the scales kept) and returns ``log Z`` and every cause's marginal.

Numerical safety. Only ``a_j`` is negative. Every upward message is a sum that is non-negative
in exact arithmetic (summing ``H_j`` out gives a likelihood times non-negative weights), and where
it is a difference, its error is the rounding error of the terms times their *cancellation*
``sum |terms| / |sum terms|``; the downward pass and the marginals are checked in the same way
(relative to each table's largest entry). The largest cancellation met is returned, and the
engine accepts the result when it is at most :data:`HIDDEN_LIMIT`: measured against the
non-negative elimination, pyAgrum and the same elimination in 80-bit precision on heavy rows of
the default model, the posterior error stays below ``5e-17`` times that cancellation (measured
6e-18 to 4e-17), so below about ``5e-11``. Rows beyond it are recomputed with every table in
``np.longdouble`` (where it is 80-bit) and accepted up to :data:`PRECISE_HIDDEN_LIMIT`. With every
leak at least ``mu``, the upward cancellation is at most ``2 / mu`` (2e4 on the default model);
the downward pass can add more (up to about 6e6 with 16-25 findings present). A model with
vanishing leaks (1e-300) can cancel completely; such rows go to the non-negative elimination.

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> cm = compile_arrays(["a", "b", "c"], ["f"], [], [], [0.1, 0.2, 0.3], np.zeros((0, 3)), [0.01],
...                     [[0.9, 0.5, 0.4]])
>>> net = network(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
>>> log_z, marginals, cancellation = solve(net, plan(net))
>>> marginals[:, 1].round(4).tolist(), cancellation < HIDDEN_LIMIT
([0.3217, 0.4214, 0.5377], True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.compiled import CompiledModel
from toeprob.inference.elimination import network_factors
from toeprob.inference.ordering import bits, evaluate_order, greedy_order

__all__ = [
    "HIDDEN_LIMIT",
    "HIDDEN_PARENTS",
    "PRECISE_HIDDEN_LIMIT",
    "HiddenNetwork",
    "Plan",
    "every_finding_present",
    "network",
    "plan",
    "solve",
]

FloatArray = NDArray[np.float64]

HIDDEN_LIMIT = 1e6
"""Largest accepted cancellation ``sum |terms| / |sum terms|`` of a hidden-variable elimination."""

PRECISE_HIDDEN_LIMIT = 1e9
"""Largest accepted cancellation when the elimination is computed in ``np.longdouble`` (80-bit)."""

HIDDEN_PARENTS = 2
"""Present findings with at least this many parents get a hidden variable; fewer: one table."""

SEARCH_ELEMENTS = 1 << 20
"""Above this many table elements, :func:`plan` tries more orders and keeps the cheapest."""

SAFE_DIVISOR = 1e-200
"""Messages (scaled to a largest entry of 1) with a positive entry below this are not divided by in
the downward pass: the belief is rebuilt from the other inputs instead."""

VARIANTS = 12
"""Orders tried beyond min-fill when the network is large (min-degree, random tie-breaking)."""


@dataclass(frozen=True, eq=False)
class HiddenNetwork:
    """The factors of one evidence row, variables numbered causes first.

    ``names[v]`` names variable ``v`` (a cause, a risk factor, ``"hidden(finding)"`` or
    ``"or(finding)"`` for an OR-chain link); ``signed[k]`` marks the factors with negative entries.
    """

    factors: tuple[tuple[tuple[int, ...], FloatArray], ...]
    signed: tuple[bool, ...]
    names: tuple[str, ...]
    n_causes: int
    log_const: float

    @property
    def key(self) -> tuple[tuple[int, ...], ...]:
        """The structure (every factor's scope), which fixes the elimination order."""
        return tuple(vs for vs, _ in self.factors)


@dataclass(frozen=True, eq=False)
class Plan:
    """An elimination order and its cost, estimated before any table is built."""

    order: tuple[int, ...]
    elements: int  # elements of every clique table, summed
    widest: tuple[int, ...]  # variables of the widest clique
    names: tuple[str, ...] = ()  # the network's variable names (to reuse the order elsewhere)

    @property
    def width(self) -> int:
        """Variables of the widest clique."""
        return len(self.widest)

    @property
    def memory_bytes(self) -> int:
        """Bytes held at once: the kept clique tables and up to eight transient tables of the widest
        clique in the downward pass (belief, quotients, their magnitudes); measured 5.6 GB for an
        estimate of 6.1 GB with every finding of the default model present."""
        return 8 * (self.elements + (8 << self.width))

    @property
    def operations(self) -> int:
        """Element operations of both passes (about ten per clique-table element)."""
        return 10 * self.elements


def network(cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> HiddenNetwork:
    """The factors of the evidence ``fs``, ``rs`` with one hidden variable per present finding that
    has :data:`HIDDEN_PARENTS` or more parents (see the module docstring)."""
    hidden = np.flatnonzero((fs == 1) & (cm.finding_parent_count >= HIDDEN_PARENTS))
    folded = fs.copy()
    folded[hidden] = -1  # handled here, not by the OR chains of the folded network
    base, names, log_const = network_factors(cm, folded, rs)
    factors: list[tuple[tuple[int, ...], FloatArray]] = [(vs, t[0]) for vs, t in base]
    signed = [False] * len(factors)
    all_names = list(names)
    for j in hidden.tolist():
        h = len(all_names)
        all_names.append(f"hidden({cm.findings[j]})")
        factors.append(((h,), np.array([-(1.0 - cm.finding_leak[j]), 1.0])))
        signed.append(True)
        for i in np.flatnonzero(cm.finding_weight[j] > 0).tolist():
            factors.append(((i, h), np.array([[1.0, 1.0], [cm.finding_q[j, i], 1.0]])))
            signed.append(False)
    return HiddenNetwork(tuple(factors), tuple(signed), tuple(all_names), len(cm.causes), log_const)


def plan(net: HiddenNetwork, *, search: bool = True, reference: Plan | None = None) -> Plan:
    """The cheapest of a few greedy elimination orders for ``net``, with its estimated cost.

    Min-fill first; if its tables exceed :data:`SEARCH_ELEMENTS` elements (and ``search``),
    min-degree and :data:`VARIANTS` variants with randomly perturbed scores (fixed seeds) are
    tried too (four times as many above ``64 * SEARCH_ELEMENTS``), and the order with the fewest
    table elements is kept.

    ``reference`` is a plan of a network that contains this one (the same model with every finding
    present, see :func:`every_finding_present`): its order restricted to this network's variables
    is also a candidate, and costs no more than the reference, so that the greedy heuristics'
    variance never makes a smaller evidence set dearer than the largest one.
    """
    n_vars = len(net.names)
    best = greedy_order(net.key, n_vars)
    if search and best.elements > SEARCH_ELEMENTS:
        # the search costs about a millisecond per variable per variant: worth it only here, and
        # more of it where the elimination itself takes seconds
        n_variants = VARIANTS if best.elements <= 64 * SEARCH_ELEMENTS else 4 * VARIANTS
        jitters = (0.5, 1.5, 3.0, 6.0)
        candidates = [(False, 0.0, 0)] + [(k % 2 == 0, jitters[k % 4], k) for k in range(n_variants)]
        for by_fill, jitter, seed in candidates:
            candidate = greedy_order(net.key, n_vars, by_fill=by_fill, jitter=jitter, seed=seed)
            if candidate.elements < best.elements:
                best = candidate
    if search and reference is not None and best.elements > SEARCH_ELEMENTS:
        where = {name: v for v, name in enumerate(net.names)}
        restricted = [where[reference.names[v]] for v in reference.order if reference.names[v] in where]
        if len(restricted) == n_vars:
            candidate = evaluate_order(net.key, n_vars, restricted)
            if candidate.elements < best.elements:
                best = candidate
    return Plan(tuple(best.order), best.elements, tuple(bits(best.widest)), net.names)


def every_finding_present(cm: CompiledModel) -> HiddenNetwork:
    """The network with every finding present and every risk factor unknown: it contains the
    network of any evidence of the model (its variables and, on them, its factors' scopes)."""
    return network(cm, np.ones(len(cm.findings), dtype=np.int8), np.full(len(cm.risk_factors), -1, np.int8))


def _aligned(vs: tuple[int, ...], table: FloatArray, scope: tuple[int, ...]) -> FloatArray:
    """``table`` over ``vs`` as an array that broadcasts over the sorted ``scope``."""
    pos = {v: i for i, v in enumerate(scope)}
    arr = np.transpose(table, sorted(range(len(vs)), key=lambda a: pos[vs[a]]))
    shape = [1] * len(scope)
    for v in vs:
        shape[pos[v]] = 2
    return arr.reshape(shape)


def _sum_axes(table: FloatArray, axes: tuple[int, ...]) -> FloatArray:
    """``table`` summed over ``axes``, one axis at a time from the outermost (numpy's reduction over
    many scattered axes of length 2 is several times slower)."""
    out = table
    for done, axis in enumerate(sorted(axes)):
        out = np.add.reduce(out, axis=axis - done)
    return np.asarray(out)


def _scaled(table: FloatArray) -> tuple[FloatArray, float]:
    """``table`` divided by its largest magnitude (1 if it is all zero), and that magnitude."""
    top = float(np.max(np.abs(table), initial=0.0))
    top = top if top > 0 and math.isfinite(top) else 1.0
    return table / top, top


def _cancellation(terms: FloatArray, total: FloatArray, axes: tuple[int, ...] | int) -> float:
    """``max sum |terms| / |total|`` entrywise (``inf`` where a non-zero spread sums to <= 0)."""
    spread = np.add.reduce(np.abs(terms), axis=axes)
    bad = (spread > 0) & ~(total > 0)
    if bad.any():
        return math.inf
    ratio = np.divide(spread, total, out=np.ones(spread.shape), where=spread > 0)
    return float(np.max(ratio, initial=1.0))


_Pooled = tuple[tuple[int, ...], FloatArray, int, bool]  # variables, table, sending step, signed


def solve(
    net: HiddenNetwork, order: Plan, *, dtype: type[np.floating] = np.float64
) -> tuple[float, FloatArray, float]:
    """Calibrated elimination of ``net`` in ``order``, every table in ``dtype``.

    ``np.longdouble`` (80-bit on x86-64 Linux) makes every rounding error about 2,000 times
    smaller, for rows whose cancellation float64 cannot afford (about twice the time).

    Returns
    -------
    log_z : float
        Log of the sum of the product of the factors (``-inf`` if it is not positive).
    marginals : ndarray, shape (n_causes, 2)
        Each cause's normalized marginal (NaN if ``Z`` is not positive).
    cancellation : float
        The largest cancellation met (see the module docstring); 1 if no factor is signed.
    """
    pool: dict[int, _Pooled] = {}
    holding: dict[int, set[int]] = {}
    for k, ((vs, table), signed) in enumerate(zip(net.factors, net.signed, strict=True)):
        pool[k] = (vs, table.astype(dtype, copy=False), -1, signed)
        for v in vs:
            holding.setdefault(v, set()).add(k)
    next_id = len(pool)
    steps: list[tuple[int, tuple[int, ...], list[_Pooled], FloatArray, bool]] = []
    parent: list[int] = []
    log_scale = 0.0
    worst = 1.0
    for k, var in enumerate(order.order):
        ids = holding.pop(var, set())
        mine = [pool.pop(i) for i in sorted(ids)]
        for vs, _, _, _ in mine:
            for v in vs:
                if v != var:
                    holding[v].difference_update(ids)
        scope = tuple(sorted({v for vs, *_ in mine for v in vs} | {var}))
        product = np.ones((1,) * len(scope))
        signed = False
        for vs, table, _, s in mine:
            product = product * _aligned(vs, table, scope)
            signed |= s
        product = np.broadcast_to(product, (2,) * len(scope))
        axis = scope.index(var)
        message = np.add.reduce(product, axis=axis)
        if signed:
            worst = max(worst, _cancellation(product, message, axis))
        message, top = _scaled(message)
        log_scale += math.log(top)
        for _, _, child, _ in mine:
            if child >= 0:
                parent[child] = k
        parent.append(-1)
        steps.append((var, scope, mine, product, signed))
        rest = tuple(v for v in scope if v != var)
        pool[next_id] = (rest, message, k, False)
        for v in rest:
            holding[v].add(next_id)
        next_id += 1
    total = 1.0
    for _, table, _, _ in pool.values():
        total *= float(table.reshape(-1)[0])
    marginals = np.full((net.n_causes, 2), np.nan)
    if not total > 0:
        return -math.inf, marginals, worst
    down: list[tuple[FloatArray, bool] | None] = [None] * len(steps)
    for k in range(len(steps) - 1, -1, -1):
        var, scope, mine, product, signed = steps[k]
        incoming = down[k]
        if incoming is not None:
            product = product * _aligned(tuple(v for v in scope if v != var), incoming[0], scope)
            signed |= incoming[1]
        belief, _ = _scaled(product)
        for vs, table, child, _ in mine:
            if child < 0:
                continue
            if np.any((table > 0) & (table < SAFE_DIVISOR)):
                # dividing by so small a message would lose digits or overflow: the product of
                # every other input instead (no division), scaled by its own largest entry
                others = np.ones((1,) * len(scope))
                for other_vs, other, other_child, _ in mine:
                    if other_child != child:
                        others = others * _aligned(other_vs, other, scope)
                if incoming is not None:
                    others = others * _aligned(tuple(v for v in scope if v != var), incoming[0], scope)
                quotient = _scaled(np.broadcast_to(others, belief.shape))[0]
            else:
                sent = _aligned(vs, table, scope)
                quotient = np.divide(belief, sent, out=np.zeros(belief.shape, belief.dtype), where=sent > 0)
            axes = tuple(i for i, v in enumerate(scope) if v not in vs)
            outside = _sum_axes(quotient, axes)
            if signed:
                spread = float(np.max(_sum_axes(np.abs(quotient), axes), initial=0.0))
                largest = float(np.max(np.abs(outside), initial=0.0))
                worst = max(worst, spread / largest if largest > 0 else (math.inf if spread > 0 else 1.0))
            down[child] = (_scaled(outside)[0], signed)
        if var < net.n_causes:
            axes = tuple(i for i, v in enumerate(scope) if v != var)
            m = _sum_axes(belief, axes)
            norm = float(m[0] + m[1])
            if signed:
                spread = float(np.max(_sum_axes(np.abs(belief), axes)))
                worst = max(worst, spread / norm if norm > 0 and np.all(m >= 0) else math.inf)
            if norm > 0:
                marginals[var] = m / norm
    return math.log(total) + log_scale, marginals, worst
