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
alone: elements of every clique table, the widest clique. :func:`program` turns a structure and
its order into steps (which tables meet, how each is aligned), computed once per structure;
:func:`solve` runs them as one calibrated elimination (an upward and a downward pass, tables
divided by their largest magnitude, the logarithm of the scales kept) and returns ``log Z`` and
every cause's marginal, for any number of rows of that structure at once, on a leading row axis:
elementwise products, sums of two numbers and per-row maxima, so that a row gives the same bits
alone or among others. The engine runs the same steps compiled
(:mod:`toeprob.inference.hidden_kernel`, whose compiled builder makes them from the structure and
the order without :func:`program`; the same arithmetic in the same order, so the same bits,
several times faster); :func:`solve` and :func:`program` remain for ``np.longdouble`` and for the
rows the compiled program leaves to it. :func:`plan` orders networks of up to
:data:`~toeprob.inference.ordering_kernel.COMPILED_VARIABLES` variables by the compiled greedy
order (the same orders as :func:`~toeprob.inference.ordering.greedy_order`).

Rows with different present findings can share one structure: :func:`network` with a ``hidden``
mask gives every finding of the mask a hidden variable in every row, and a row where such a
finding is absent gets ``a = (1 - mu, 0)`` (``sum_h a(h) prod_i b(h, C_i) = P(F = 0 | C)``), where
it is unknown ``a = (0, 1)`` (the sum is 1). The engine uses it for the urgency rule's worlds of
one case (:meth:`~toeprob.inference.exact.ExactEngine.posterior_batch` with ``groups``).

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
>>> marginals[0, :, 1].round(4).tolist(), bool(cancellation[0] < HIDDEN_LIMIT)
([0.3217, 0.4214, 0.5377], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.compiled import CompiledModel
from toeprob.inference.elimination import cause_factors
from toeprob.inference.ordering import bits, evaluate_order, greedy_order
from toeprob.inference.ordering_kernel import COMPILED_VARIABLES, greedy_order_compiled

__all__ = [
    "HIDDEN_LIMIT",
    "HIDDEN_PARENTS",
    "PRECISE_HIDDEN_LIMIT",
    "HiddenNetwork",
    "Plan",
    "Program",
    "every_finding_present",
    "network",
    "plan",
    "program",
    "solve",
    "structure_key",
    "structure_keys",
]

FloatArray = NDArray[np.float64]

HIDDEN_LIMIT = 1e6
"""Largest accepted cancellation ``sum |terms| / |sum terms|`` of a hidden-variable elimination."""

PRECISE_HIDDEN_LIMIT = 1e9
"""Largest accepted cancellation when the elimination is computed in ``np.longdouble`` (80-bit)."""

HIDDEN_PARENTS = 2
"""Present findings with at least this many parents get a hidden variable; fewer: one table."""

SEARCH_ELEMENTS = 1 << 23
"""Above this many table elements, :func:`plan` tries more orders and keeps the cheapest. On the
default model an order costs 20-40 ms to find, the search 0.3-0.45 s, and saved about 40% of the
elements on the urgency rule's worlds of 40 present findings, at about 200 ns per element of
elimination: it pays from about 5e6 elements."""

WIDE_SEARCH_ELEMENTS = 1 << 26
"""Above this many table elements (eliminations of seconds), :func:`plan` tries four times as many
orders."""

SAFE_DIVISOR = 1e-200
"""Messages (scaled to a largest entry of 1) with a positive entry below this are not divided by in
the downward pass: the belief is rebuilt from the other inputs instead."""

VARIANTS = 12
"""Orders tried beyond min-fill when the network is large (min-degree, random tie-breaking)."""


@dataclass(frozen=True, eq=False)
class HiddenNetwork:
    """The factors of one or more evidence rows of the same structure, variables numbered causes
    first.

    Every table has a leading row axis: of length ``rows`` for the cause factors, 1 for the factors
    that do not depend on the evidence. ``names[v]`` names variable ``v`` (a cause, a risk factor,
    ``"hidden(finding)"``); ``signed[k]`` marks the factors with negative entries; ``log_const``
    holds each row's constant, shape ``(rows,)``.
    """

    factors: tuple[tuple[tuple[int, ...], FloatArray], ...]
    signed: tuple[bool, ...]
    names: tuple[str, ...]
    n_causes: int
    log_const: FloatArray

    @property
    def key(self) -> tuple[tuple[int, ...], ...]:
        """The structure (every factor's scope), which fixes the elimination order."""
        return tuple(vs for vs, _ in self.factors)

    @property
    def rows(self) -> int:
        """Number of evidence rows."""
        return len(self.log_const)

    def take(self, rows: NDArray[np.intp]) -> HiddenNetwork:
        """The network of the given rows only."""
        factors = tuple((vs, t[rows] if t.shape[0] > 1 else t) for vs, t in self.factors)
        return HiddenNetwork(factors, self.signed, self.names, self.n_causes, self.log_const[rows])


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
        """Bytes held at once for one row by the array program: the kept clique tables and up to
        eight transient tables of the widest clique in the downward pass (belief, quotients, their
        magnitudes); measured 5.6 GB for an estimate of 6.1 GB with every finding of the default
        model present. The engine also checks the compiled program's own buffers
        (:attr:`~toeprob.inference.hidden_kernel.KernelProgram.row_bytes`, 4.4 GB there) before
        running it."""
        return 8 * (self.elements + (8 << self.width))

    @property
    def operations(self) -> int:
        """Element operations of both passes for one row (about ten per clique-table element)."""
        return 10 * self.elements


def structure_keys(cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> list[bytes]:
    """For rows ``fs`` (N, F), ``rs`` (N, R): a key per row; rows with equal keys have networks of
    the same structure (the same hidden variables and unobserved shared risk factors), see
    :func:`structure_key`."""
    hidden = (fs == 1) & (cm.finding_parent_count >= HIDDEN_PARENTS)
    free = rs[:, cm.shared_rf] < 0
    return [structure_key(h, f) for h, f in zip(hidden, free, strict=True)]


def structure_key(hidden: NDArray[np.bool_], free: NDArray[np.bool_]) -> bytes:
    """The key of the structure with the findings ``hidden`` (F,) as hidden variables and the
    shared risk factors ``free`` (``len(cm.shared_rf)``,) unobserved."""
    return np.concatenate([hidden, free]).astype(bool).tobytes()


def network(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8], hidden: NDArray[np.bool_] | None = None
) -> HiddenNetwork:
    """The factors of the evidence ``fs``, ``rs`` (one row, or rows (N, F), (N, R)) with one hidden
    variable per present finding that has :data:`HIDDEN_PARENTS` or more parents (see the module
    docstring).

    Without ``hidden``, the rows must share one structure (:func:`structure_keys`). With
    ``hidden`` (F,), a mask that covers every row's present multi-parent findings, each of those
    findings gets a hidden variable in every row (the rows must share their unobserved shared risk
    factors): one structure for rows with different present findings, the hidden variable of a
    finding absent in a row taking ``a = (1 - mu, 0)`` (so ``sum_h a(h) prod b(h, C) = P(F = 0 |
    C)``) and of an unknown one ``a = (0, 1)`` (the sum is 1).
    """
    fs2, rs2 = np.atleast_2d(fs), np.atleast_2d(rs)
    multi = cm.finding_parent_count >= HIDDEN_PARENTS
    free_rows = rs2[:, cm.shared_rf] < 0
    if hidden is None:
        hidden = (fs2[0] == 1) & multi
        if np.any(((fs2 == 1) & multi) != hidden):
            raise ValueError("network: the rows must share one structure (see structure_keys).")
    elif np.any((fs2 == 1) & multi & ~hidden) or np.any(hidden & ~multi):
        raise ValueError("network: 'hidden' must cover every present multi-parent finding, and only those.")
    if np.any(free_rows != free_rows[0]):
        raise ValueError("network: the rows must leave the same shared risk factors unobserved.")
    columns = np.flatnonzero(hidden)
    free = [int(r) for r in cm.shared_rf if rs2[0, r] < 0]
    folded = fs2.copy()
    folded[:, columns] = -1  # handled here, not folded into the causes
    causes, log_const = cause_factors(cm, folded, rs2, free)
    factors: list[tuple[tuple[int, ...], FloatArray]] = list(causes)
    n_c = len(cm.causes)
    for k, r in enumerate(free):
        factors.append(((n_c + k,), np.array([[1.0 - cm.rf_prevalence[r], cm.rf_prevalence[r]]])))
    signed = [False] * len(factors)
    all_names = [*cm.causes, *(cm.risk_factors[r] for r in free)]
    for j in columns.tolist():
        h = len(all_names)
        all_names.append(f"hidden({cm.findings[j]})")
        keep = 1.0 - cm.finding_leak[j]
        state = fs2[:, j]
        a = np.where(
            (state == 1)[:, None],
            np.array([-keep, 1.0]),
            np.where((state == 0)[:, None], np.array([keep, 0.0]), np.array([0.0, 1.0])),
        )
        factors.append(((h,), a))
        signed.append(True)
        for i in np.flatnonzero(cm.finding_weight[j] > 0).tolist():
            factors.append(((i, h), np.array([[[1.0, 1.0], [cm.finding_q[j, i], 1.0]]])))
            signed.append(False)
    return HiddenNetwork(tuple(factors), tuple(signed), tuple(all_names), n_c, log_const)


def plan(net: HiddenNetwork, *, search: bool = True, reference: Plan | None = None) -> Plan:
    """The cheapest of a few greedy elimination orders for ``net``, with its estimated cost.

    Min-fill first; if its tables exceed :data:`SEARCH_ELEMENTS` elements (and ``search``),
    min-degree and :data:`VARIANTS` variants with randomly perturbed scores (fixed seeds) are
    tried too (four times as many above :data:`WIDE_SEARCH_ELEMENTS`), and the order with the fewest
    table elements is kept.

    ``reference`` is a plan of a network that contains this one (the same model with every finding
    present, see :func:`every_finding_present`): its order restricted to this network's variables
    is also a candidate, and costs no more than the reference, so that the greedy heuristics'
    variance never makes a smaller evidence set dearer than the largest one.
    """
    n_vars = len(net.names)
    # the same orders, compiled where the network is not too large for its adjacency matrix
    order_of = greedy_order_compiled if n_vars <= COMPILED_VARIABLES else greedy_order
    best = order_of(net.key, n_vars)
    if search and best.elements > SEARCH_ELEMENTS:
        # the search costs about a millisecond per variable per variant: worth it only here, and
        # more of it where the elimination itself takes seconds
        n_variants = VARIANTS if best.elements <= WIDE_SEARCH_ELEMENTS else 4 * VARIANTS
        jitters = (0.5, 1.5, 3.0, 6.0)
        candidates = [(False, 0.0, 0)] + [(k % 2 == 0, jitters[k % 4], k) for k in range(n_variants)]
        for by_fill, jitter, seed in candidates:
            candidate = order_of(net.key, n_vars, by_fill=by_fill, jitter=jitter, seed=seed)
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


@dataclass(frozen=True, eq=False)
class _Input:
    """One input of an elimination step: a factor of the network or the message of an earlier step,
    with the transposition and shape that align it with the step's variables (row axis first)."""

    factor: int  # index in the network's factors, or -1
    child: int  # the step that sent this message, or -1
    perm: tuple[int, ...] | None
    shape: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class _Step:
    var: int
    n_scope: int  # variables of the step's table
    inputs: tuple[_Input, ...]
    axis: int  # the eliminated variable's axis (the row axis is 0)
    signed: bool  # some input factor has negative entries
    incoming: tuple[int, ...]  # shape of the downward message aligned with the step's table
    sums: tuple[tuple[int, ...], ...]  # per input: axes summed out for its downward message
    cause_axes: tuple[int, ...] | None  # axes summed out for the cause's marginal, if a cause


@dataclass(frozen=True, eq=False)
class Program:
    """The steps of a calibrated elimination of one network structure in one order, computed once
    and run on any rows of that structure (see :func:`solve`)."""

    steps: tuple[_Step, ...]
    roots: tuple[int, ...]  # steps whose message has no variable left
    n_causes: int
    factor_scopes: tuple[tuple[int, ...], ...] = ()  # the network's factors' variables


def program(net: HiddenNetwork, order: Plan) -> Program:
    """The elimination steps of ``net``'s structure in ``order``: which tables meet at each step and
    how each is aligned; no table is built."""
    pool: dict[int, tuple[tuple[int, ...], int, int]] = {}  # id -> variables, factor, child step
    holding: dict[int, set[int]] = {}
    for k, (vs, _) in enumerate(net.factors):
        pool[k] = (vs, k, -1)
        for v in vs:
            holding.setdefault(v, set()).add(k)
    next_id = len(pool)
    steps: list[_Step] = []
    roots: list[int] = []
    for k, var in enumerate(order.order):
        ids = sorted(holding.pop(var, set()))
        mine = [pool.pop(i) for i in ids]
        for vs, _, _ in mine:
            for v in vs:
                if v != var:
                    holding[v].difference_update(ids)
        scope = tuple(sorted({v for vs, _, _ in mine for v in vs} | {var}))
        pos = {v: a for a, v in enumerate(scope)}
        inputs = []
        for vs, factor, child in mine:
            perm = [0, *(1 + a for a in sorted(range(len(vs)), key=lambda a: pos[vs[a]]))]
            shape = [-1] + [1] * len(scope)
            for v in vs:
                shape[1 + pos[v]] = 2
            identity = perm == sorted(perm)
            inputs.append(_Input(factor, child, None if identity else tuple(perm), tuple(shape)))
        rest = tuple(v for v in scope if v != var)
        axis = 1 + pos[var]
        incoming = [-1, *([2] * len(scope))]
        incoming[axis] = 1
        sums = tuple(tuple(1 + a for a, v in enumerate(scope) if v not in vs) for vs, _, _ in mine)
        cause_axes = tuple(1 + a for a, v in enumerate(scope) if v != var) if var < net.n_causes else None
        signed = any(net.signed[f] for _, f, _ in mine if f >= 0)
        steps.append(_Step(var, len(scope), tuple(inputs), axis, signed, tuple(incoming), sums, cause_axes))
        if rest:
            pool[next_id] = (rest, -1, k)
            for v in rest:
                holding[v].add(next_id)
            next_id += 1
        else:
            roots.append(k)
    return Program(tuple(steps), tuple(roots), net.n_causes, net.key)


def _sum_axes(table: FloatArray, axes: tuple[int, ...]) -> FloatArray:
    """``table`` summed over ``axes``, one axis at a time from the outermost (numpy's reduction over
    many scattered axes of length 2 is several times slower); every sum adds two numbers, so a row
    gives the same result alone or among others."""
    out = table
    for done, axis in enumerate(sorted(axes)):
        out = np.add.reduce(out, axis=axis - done)
    return np.asarray(out)


def _row_max(table: FloatArray) -> FloatArray:
    """The largest entry of each row (axis 0), as float64 (0 for a row of negative entries)."""
    top: FloatArray = table.reshape(table.shape[0], -1).max(axis=1, initial=0.0)
    return top if top.dtype == np.float64 else top.astype(np.float64)


def _per_row(values: NDArray[Any], ndim: int) -> NDArray[Any]:
    """``values`` (N,) shaped to broadcast over a table of ``ndim`` dimensions, rows first."""
    return values.reshape((-1,) + (1,) * (ndim - 1))


def _scaled(table: FloatArray, signed: bool = True) -> tuple[FloatArray, FloatArray]:
    """Each row of ``table`` divided by its largest magnitude (1 if zero or not finite), and those
    magnitudes (N,); ``signed=False`` for a table known to be non-negative."""
    top = _row_max(np.abs(table) if signed else table)
    if not (top > 0).all() or not np.isfinite(top).all():
        top = np.where((top > 0) & np.isfinite(top), top, 1.0)
    return table / top.reshape((-1,) + (1,) * (table.ndim - 1)), top


def _cancellation(terms: FloatArray, total: FloatArray, axis: int) -> FloatArray:
    """Per row, ``max sum |terms| / |total|`` (``inf`` where a non-zero spread sums to <= 0)."""
    spread = np.add.reduce(np.abs(terms), axis=axis)
    bad = (spread > 0) & ~(total > 0)
    ratio = np.divide(spread, total, out=np.ones(spread.shape, spread.dtype), where=spread > 0)
    worst = np.maximum(_row_max(ratio), 1.0)
    return np.where(bad.reshape(bad.shape[0], -1).any(axis=1), np.inf, worst)


def solve(
    net: HiddenNetwork,
    order: Plan,
    *,
    dtype: type[np.floating] = np.float64,
    steps: Program | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Calibrated elimination of every row of ``net`` in ``order``, every table in ``dtype``.

    The rows share one :class:`Program` (``steps``, built from ``order`` when not given) and are
    computed together on a leading row axis, by elementwise operations, sums of two numbers and
    per-row maxima: a row's result does not depend on the other rows. ``np.longdouble`` (80-bit
    on x86-64 Linux) makes every rounding error about 2,000 times smaller, for rows whose
    cancellation float64 cannot afford (about twice the time).

    Returns
    -------
    log_z : ndarray, shape (rows,)
        Log of the sum of the product of the factors (``-inf`` where it is not positive).
    marginals : ndarray, shape (rows, n_causes, 2)
        Each cause's normalized marginal (NaN where ``Z`` is not positive).
    cancellation : ndarray, shape (rows,)
        The largest cancellation met (see the module docstring); 1 where no factor is signed.
    """
    prog = program(net, order) if steps is None else steps
    n = net.rows
    tables = [t.astype(dtype, copy=False) for _, t in net.factors]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _solve(prog, tables, n)


def _solve(prog: Program, tables: list[FloatArray], n: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    products: list[FloatArray] = []
    messages: list[FloatArray] = []
    log_scale = np.zeros(n)
    worst = np.ones(n)
    for step in prog.steps:
        product: FloatArray | None = None
        for inp in step.inputs:
            table = tables[inp.factor] if inp.factor >= 0 else messages[inp.child]
            if inp.perm is not None:
                table = table.transpose(inp.perm)
            table = table.reshape(inp.shape)
            product = table if product is None else product * table
        assert product is not None
        full = (n,) + (2,) * step.n_scope
        if product.shape != full:
            product = np.broadcast_to(product, full)
        message = np.add.reduce(product, axis=step.axis)
        if step.signed:
            worst = np.maximum(worst, _cancellation(product, message, step.axis))
        message, top = _scaled(message, step.signed)
        log_scale = log_scale + np.log(top)
        products.append(product)
        messages.append(message)
    total = np.ones(n)
    for k in prog.roots:
        total = total * messages[k].reshape(n).astype(np.float64)
    upward = worst.copy()
    marginals = np.full((n, prog.n_causes, 2), np.nan)
    down: list[tuple[FloatArray, bool] | None] = [None] * len(prog.steps)
    for k in range(len(prog.steps) - 1, -1, -1):
        step = prog.steps[k]
        if step.cause_axes is None and all(inp.child < 0 for inp in step.inputs):
            continue  # nothing to send down, no marginal to read
        product, signed = products[k], step.signed
        incoming = down[k]
        if incoming is not None:
            product = product * incoming[0].reshape(step.incoming)
            signed |= incoming[1]
        # the belief is the product itself; its per-row scale goes into the (small) inverses instead
        # of a pass over the whole table
        belief = product
        magnitude = np.abs(belief) if signed else belief
        top = _row_max(magnitude)
        top = np.where((top > 0) & np.isfinite(top), top, 1.0)
        rescale = (1.0 / top).reshape((-1,) + (1,) * step.n_scope)
        for inp, axes in zip(step.inputs, step.sums, strict=True):
            if inp.child < 0:
                continue
            sent = messages[inp.child].reshape(inp.shape)
            inverse = np.divide(1.0, sent, out=np.zeros(sent.shape, sent.dtype), where=sent > 0)
            quotient = belief * (inverse * rescale)
            small = (sent > 0) & (sent < SAFE_DIVISOR)
            if small.any():
                tiny = np.asarray(small.reshape(n, -1).any(axis=1))
                # dividing by so small a message would lose digits or overflow: for those rows, the
                # product of every other input instead (no division), scaled by its own largest entry
                others = np.ones((1,) * (step.n_scope + 1), belief.dtype)
                for other in step.inputs:
                    if other is not inp:
                        table = tables[other.factor] if other.factor >= 0 else messages[other.child]
                        table = table.transpose(other.perm) if other.perm is not None else table
                        others = others * table.reshape(other.shape)
                if incoming is not None:
                    others = others * incoming[0].reshape(step.incoming)
                rebuilt = _scaled(np.broadcast_to(others, belief.shape))[0]
                quotient = np.where(_per_row(tiny, belief.ndim), rebuilt, quotient)
            outside = _sum_axes(quotient, axes)
            if signed:
                spread = _row_max(_sum_axes(np.abs(quotient), axes))
                largest = _row_max(np.abs(outside))
                ratio = np.where(largest > 0, spread / np.where(largest > 0, largest, 1.0), 1.0)
                worst = np.maximum(worst, np.where((largest > 0) | ~(spread > 0), ratio, np.inf))
            down[inp.child] = (_scaled(outside, signed)[0], signed)
        if step.cause_axes is not None:
            m = _sum_axes(belief, step.cause_axes)  # (n, 2)
            norm = m[:, 0] + m[:, 1]
            if signed:
                spread = _row_max(_sum_axes(magnitude, step.cause_axes))
                fine = (norm > 0) & np.all(m >= 0, axis=1)
                worst = np.maximum(worst, np.where(fine, spread / np.where(fine, norm, 1.0), np.inf))
            where = norm > 0
            marginals[where, step.var] = (m[where] / norm[where, None]).astype(np.float64)
    possible = total > 0
    log_z = np.where(possible, np.log(np.where(possible, total, 1.0)) + log_scale, -np.inf)
    marginals[~possible] = np.nan
    worst = np.where(possible, worst, upward)
    return log_z, marginals, worst
