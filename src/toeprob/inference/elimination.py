"""The stable exact path: variable elimination with only non-negative numbers.

Used by :class:`~toeprob.inference.exact.ExactEngine` for rows where Quickscore's inclusion-exclusion would
cancel too many digits (improbable evidence, many present findings) or has too many terms.

Evidence is folded first, as in the fast path: unknown findings drop out, absent findings and
single-parent present findings become per-cause factors, private and observed risk factors enter
``P(C_i = 0)``. What remains is a network of causes, the unobserved shared risk factors, and the
present findings with two or more parents. Such a finding becomes one table over its parents if it
has at most :data:`FULL_PARENTS` of them, else it is *divorced* into a chain of binary OR
variables ``Y_1 .. Y_{k-1}`` (``Y_l`` = leak or any of the first ``l`` parents fired), so that
every factor stays small; every entry is a probability: no subtraction, hence no cancellation.
Variables are eliminated in greedy min-fill order (computed on int bitmasks and cached per
evidence pattern by the engine); every new factor is divided by its maximum and the logarithm of
the scale is kept, so nothing underflows.

Findings with many parents (*hubs*) make that network wide (elimination width 14-21 on the
default model's rows with ten or more present findings). :func:`eliminate` therefore first expands
up to :data:`MAX_HUBS` present hubs by inclusion-exclusion, as Quickscore does: ``2**h`` narrower
networks (width 4-11 there), eliminated together with the terms on a leading batch axis. Hubs
are common findings, so their signed sum cancels little; it is accepted when
``sum |terms| <= HUB_LIMIT * sum terms`` and otherwise the unexpanded network is eliminated.

All posteriors come from one calibrated elimination (:func:`toeprob.inference.junction_tree.calibrate`: an
upward and a downward pass, about three eliminations' work). If its clique tables would not fit in
``MAX_STORED`` elements, the older method is used: each cause factor carries a leading *variant*
axis, variant 0 is the evidence itself and variant ``1 + i`` clamps cause ``i`` to present, in
chunks of causes so that memory stays bounded.

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> cm = compile_arrays(["a", "b"], ["f"], [], [], [0.1, 0.2], np.zeros((0, 2)), [0.01], [[0.9, 0.5]])
>>> post, log_ev = eliminate(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
>>> post.round(4).tolist()
[0.4815, 0.581]
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import CostLimitError
from toeprob.inference.budget import Budget, describe_bytes
from toeprob.inference.compiled import CompiledModel
from toeprob.inference.junction_tree import MAX_STORED, calibrate
from toeprob.inference.ordering import greedy_order

__all__ = ["Factor", "OrderCache", "cause_factors", "eliminate", "network_factors"]

FloatArray = NDArray[np.float64]
Factor = tuple[tuple[int, ...], FloatArray]  # variables, table with a leading variant axis
MAX_TABLE = 1 << 24  # elements of the largest intermediate table, variants included

FULL_PARENTS = 5
"""A present finding with at most this many parents is one table over them, not an OR chain."""

HUB_PARENTS = 8
"""Present findings with at least this many parents are *hubs* (see :func:`eliminate`)."""

MAX_HUBS = 5
"""At most this many hubs are expanded (``2**MAX_HUBS`` terms)."""

HUB_LIMIT = 1e4
"""Largest accepted ``sum |terms| / sum terms`` of the hub expansion (else: no expansion)."""


def _elimination_order(scopes: list[tuple[int, ...]], variables: set[int]) -> tuple[list[int], int, float]:
    """The greedy min-fill order of :mod:`toeprob.inference.ordering`, its widest clique and its cost
    ``sum 2**clique``.

    (The engine used to compute min-degree as well and keep the cheaper order; on realistic rows of
    the default model that search cost more than it saved.)
    """
    n_vars = max((v for scope in scopes for v in scope), default=-1) + 1
    n_vars = max(n_vars, max(variables, default=-1) + 1)
    ordering = greedy_order(scopes, n_vars, variables=variables)
    width = max((c.bit_count() for c in ordering.cliques), default=0)
    return ordering.order, width, float(ordering.elements)


def _multiply_out(factors: list[Factor], var: int) -> Factor:
    """Multiply ``factors`` and sum ``var`` out."""
    scope = sorted({v for vs, _ in factors for v in vs})
    pos = {v: i + 1 for i, v in enumerate(scope)}
    product: FloatArray | None = None
    for vs, table in factors:
        order = [0, *sorted(range(1, len(vs) + 1), key=lambda a: pos[vs[a - 1]])]
        arr = np.transpose(table, order)
        shape = [arr.shape[0]] + [1] * len(scope)
        for v in vs:
            shape[pos[v]] = 2
        arr = arr.reshape(shape)
        product = arr if product is None else product * arr
    assert product is not None
    out = product.sum(axis=pos[var])
    return tuple(v for v in scope if v != var), out


def cause_factors(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8], free: list[int]
) -> tuple[list[Factor], FloatArray]:
    """The folded factor of every cause for the rows ``fs`` (N, F), ``rs`` (N, R), and the log of
    each row's constant, shape (N,).

    Unknown findings drop out; absent findings and present single-parent findings fold into the
    cause's factor; observed and private risk factors fold into ``P(C_i = 0)``; the shared risk
    factors listed in ``free`` (unobserved in every row) stay variables, numbered after the causes.
    Cause ``i``'s factor is over ``(i, *its free parents)`` with a leading row axis: every row is
    computed by elementwise operations and reductions along its own axes, so that a row gives the
    same numbers alone or among others.
    """
    n_c, n_r = len(cm.causes), len(cm.risk_factors)
    n = fs.shape[0]
    w = cm.rf_weight
    rho = np.where(rs < 0, cm.rf_prevalence, rs).astype(np.float64)  # (N, R)
    folded = np.ones(n_r, dtype=bool)
    folded[free] = False
    z0 = (1.0 - cm.cause_leak) * np.prod(
        np.where(folded[None, :, None], 1.0 - rho[:, :, None] * w[None], 1.0), axis=1
    )  # (N, C)
    state = np.concatenate([fs, np.full((n, 1), -1, dtype=np.int8)], axis=1)
    s = state[:, cm.child_finding]  # (N, C, D)
    single = (s == 1) & cm.child_single
    e1 = np.prod(np.where(s == 0, cm.child_q, np.where(single, cm.child_present, 1.0)), axis=-1)
    e0 = np.prod(np.where(single, cm.child_leak, 1.0), axis=-1)
    log_const = np.sum(np.where(fs == 0, cm.log1m_finding_leak, 0.0), axis=1)
    with np.errstate(divide="ignore"):
        prior = np.log(np.where(rs == 1, cm.rf_prevalence, np.where(rs == 0, 1.0 - cm.rf_prevalence, 1.0)))
    log_const = log_const + np.sum(prior, axis=1)
    # the causes with the same number p of free parents together, cause axis first: per cause the
    # same elementwise products in the same order as one cause at a time
    linked = w[free] > 0  # (len(free), C): cause i's free parents
    counts = linked.sum(axis=0)
    order = np.argsort(~linked.T, axis=1, kind="stable")  # each cause's free parents first
    free_at = np.asarray(free, dtype=np.intp)
    tables: list[FloatArray] = [np.empty(0)] * n_c
    scopes: list[tuple[int, ...]] = [()] * n_c
    for p in np.unique(counts).tolist():
        group = np.flatnonzero(counts == p)
        k = len(group)
        parents = free_at[order[group, :p]]  # (K, p) risk factors, in the order of `free`
        z = np.broadcast_to(z0[:, group].T.reshape((k, n) + (1,) * p), (k, n) + (2,) * p)
        for a in range(p):
            shape = [k] + [1] * (p + 1)
            shape[a + 2] = 2
            link = np.stack([np.ones(k), 1.0 - w[parents[:, a], group]], axis=1)
            z = z * link.reshape(shape)
        e0_g = e0[:, group].T.reshape((k, n) + (1,) * p)
        e1_g = e1[:, group].T.reshape((k, n) + (1,) * p)
        table = np.stack([np.broadcast_to(z * e0_g, z.shape), (1.0 - z) * e1_g], axis=2)
        variables = (order[group, :p] + n_c).tolist()
        for g, i in enumerate(group.tolist()):
            tables[i] = table[g]
            scopes[i] = (i, *variables[g])
    factors: list[Factor] = list(zip(scopes, tables, strict=True))
    return factors, np.asarray(log_const, dtype=np.float64)


def network_factors(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8], hubs: NDArray[np.intp] | None = None
) -> tuple[list[Factor], list[str], float]:
    """Folded factors (cause factors first, one per cause), variable names and the log of the constant.

    Variables are numbered causes first, then the unobserved shared risk factors, then the links
    of the OR chains (named ``or(finding)``).

    Present findings listed in ``hubs`` are not divorced: the cause factors get a leading axis of
    ``2**len(hubs)`` inclusion-exclusion terms instead (term ``b`` treats the hubs in the bits of
    ``b`` as absent; see :func:`eliminate`).
    """
    hubs = np.zeros(0, dtype=np.intp) if hubs is None else hubs
    n_c = len(cm.causes)
    free = [int(r) for r in cm.shared_rf if rs[r] < 0]
    causes, log_consts = cause_factors(cm, fs[None], rs[None], free)
    log_const = float(log_consts[0])
    rf_var = {r: n_c + k for k, r in enumerate(free)}
    names = [*cm.causes, *(cm.risk_factors[r] for r in free)]
    bits = (np.arange(1 << len(hubs))[:, None] >> np.arange(len(hubs))[None, :]) & 1
    term_q = np.prod(np.where(bits[:, :, None] == 1, cm.finding_q[hubs][None], 1.0), axis=1)  # (B, C)
    factors: list[Factor] = []
    for i, (vs, table) in enumerate(causes):
        if len(hubs):
            table = np.repeat(table, len(term_q), axis=0)
            table[:, 1] *= term_q[:, i].reshape((-1,) + (1,) * (len(vs) - 1))
        factors.append((vs, table))
    for r in free:
        factors.append(((rf_var[r],), np.array([[1.0 - cm.rf_prevalence[r], cm.rf_prevalence[r]]])))
    next_var = n_c + len(free)
    for j in np.setdiff1d(np.flatnonzero((fs == 1) & (cm.finding_parent_count >= 2)), hubs):
        links = np.flatnonzero(cm.finding_weight[j] > 0)
        p, mu = cm.finding_weight[j, links], float(cm.finding_leak[j])
        if len(links) <= FULL_PARENTS:
            # one table over the parents: P(F = 1 | C) = mu + (1 - mu) (1 - prod (1 - p)**C),
            # the bracket by expm1 so that no entry loses digits
            on = (np.arange(1 << len(links))[:, None] >> np.arange(len(links) - 1, -1, -1)) & 1
            fired = -np.expm1(on @ np.log1p(-p))
            table = (mu + (1.0 - mu) * fired).reshape((1,) + (2,) * len(links))
            factors.append((tuple(int(c) for c in links), table))
            continue
        # Y_1 = leak or parent 1 fired: P(Y_1 = 0 | C) = (1 - mu) (1 - p)**C
        names.extend([f"or({cm.findings[j]})"] * (len(links) - 1))
        factors.append(
            (
                (int(links[0]), next_var),
                np.array([[[1.0 - mu, mu], [(1.0 - mu) * (1.0 - p[0]), mu + p[0] * (1.0 - mu)]]]),
            )
        )
        for k in range(1, len(links) - 1):  # Y_k = Y_{k-1} or parent k fired
            table = np.zeros((1, 2, 2, 2))
            table[0, 0, 0, 0] = 1.0
            table[0, 0, 1] = [1.0 - p[k], p[k]]
            table[0, 1, :, 1] = 1.0
            factors.append(((next_var, int(links[k]), next_var + 1), table))
            next_var += 1
        # the finding itself is present: P(F = 1 | Y, C) = 1 - [Y = 0] (1 - p)**C
        factors.append(((next_var, int(links[-1])), np.array([[[0.0, p[-1]], [1.0, 1.0]]])))
        next_var += 1
    return factors, names, log_const


def _eliminate_all(factors: list[Factor], order: list[int]) -> FloatArray:
    """Log of the sum over all variables, one value per variant."""
    n_var = max(t.shape[0] for _, t in factors)
    log_scale = np.zeros(n_var)
    pool = list(factors)
    for var in order:
        mine = [f for f in pool if var in f[0]]
        pool = [f for f in pool if var not in f[0]]
        vs, table = _multiply_out(mine, var)
        top = table.reshape(table.shape[0], -1).max(axis=1)
        top = np.where(top > 0, top, 1.0)
        table = table / top.reshape((-1,) + (1,) * len(vs))
        log_scale = log_scale + np.log(top)
        pool.append((vs, table))
    total = np.ones(n_var)
    for _, table in pool:
        total = total * table.reshape(table.shape[0])
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(total) + log_scale)


OrderCache = dict[bytes, tuple[list[int], int, float]]
MAX_CACHED_ORDERS = 4096


def _order(
    factors: list[Factor], variables: list[int], key: bytes, orders: OrderCache | None
) -> tuple[list[int], int, float]:
    cached = orders.get(key) if orders is not None else None
    if cached is None:
        cached = _elimination_order([vs for vs, _ in factors], set(variables))
        if orders is not None:
            if len(orders) >= MAX_CACHED_ORDERS:
                orders.clear()
            orders[key] = cached
    return cached


def _expanded(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8], key: bytes, orders: OrderCache | None
) -> tuple[FloatArray, float] | None:
    """Posteriors with the hubs expanded by inclusion-exclusion, or None if not safe or not useful."""
    present = np.flatnonzero((fs == 1) & (cm.finding_parent_count >= HUB_PARENTS))
    hubs = present[np.argsort(-cm.finding_parent_count[present], kind="stable")][:MAX_HUBS]
    if len(hubs) == 0:
        return None
    factors, names, log_const = network_factors(cm, fs, rs, hubs)
    order, _, _ = _order(factors, list(range(len(names))), key + b"hubs", orders)
    calibrated = calibrate(factors, order, len(cm.causes))
    if calibrated is None:
        return None
    log_z, marginals = calibrated
    bits = (np.arange(1 << len(hubs))[:, None] >> np.arange(len(hubs))[None, :]) & 1
    log_term = log_z + bits @ cm.log1m_finding_leak[hubs]
    top = float(np.max(log_term))
    if not np.isfinite(top):
        return None
    scaled = np.exp(log_term - top)
    terms = np.where(bits.sum(axis=1) % 2 == 1, -scaled, scaled)
    den = float(terms.sum())
    if not den > 0 or float(scaled.sum()) > HUB_LIMIT * den:
        return None
    present_share = np.where(scaled[:, None] > 0, marginals[:, :, 1], 0.0)
    post = np.sum(terms[:, None] * present_share, axis=0) / den
    return np.clip(post, 0.0, 1.0), top + math.log(den) + log_const


def eliminate(
    cm: CompiledModel,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    orders: OrderCache | None = None,
    *,
    hubs: bool = True,
    budget: Budget | None = None,
) -> tuple[FloatArray, float]:
    """Exact posteriors ``P(C_i = 1 | E)`` and ``log P(E)`` for one row, by variable elimination.

    Present findings with many parents (*hubs*, at least :data:`HUB_PARENTS`) make the divorced
    network wide. Up to :data:`MAX_HUBS` of them are first expanded by inclusion-exclusion, as in
    Quickscore: ``2**h`` terms, each a narrower network in which some hubs count as absent, all
    eliminated in one calibrated pass with the terms on a leading axis. The signed sum is accepted
    when ``sum |terms| <= HUB_LIMIT * sum terms`` (hubs are common findings, so this cancels
    little); otherwise the whole network is eliminated with no expansion, all numbers
    non-negative.

    Parameters
    ----------
    cm : CompiledModel
    fs, rs : ndarray of int8, shapes (F,) and (R,)
        Finding and risk-factor states (-1 unknown, 0 absent, 1 present).
    orders : dict, optional
        Cache of elimination orders, keyed by the evidence pattern that fixes the network's
        structure (which shared risk factors are unknown, which multi-parent findings present).
    hubs : bool, default True
        Whether to try the hub expansion first.
    budget : Budget, optional
        Checked against the cost of the unexpanded network's elimination order before any table
        is built.

    Returns
    -------
    posterior : ndarray, shape (C,)
    log_evidence : float
        ``-inf`` if the evidence is impossible (the posterior is then all NaN).

    Raises
    ------
    CostLimitError
        If the elimination's estimated memory or work exceeds ``budget``.
    """
    n_c = len(cm.causes)
    key = np.concatenate([rs[cm.shared_rf] < 0, (fs == 1) & (cm.finding_parent_count >= 2)]).tobytes()
    if hubs:
        expanded = _expanded(cm, fs, rs, key, orders)
        if expanded is not None:
            return expanded
    factors, names, log_const = network_factors(cm, fs, rs)
    order, width, cost = _order(factors, list(range(len(names))), key, orders)
    if budget is not None:
        # calibrated: the clique tables are kept (8 bytes each), about ten operations per element;
        # clamped variants: chunks of at most MAX_TABLE elements, one elimination per chunk
        memory = 8.0 * (min(cost, MAX_STORED) + max(2.0 ** (width + 1), min(cost, MAX_TABLE)))
        work = 10.0 * cost * (1 if cost <= MAX_STORED else n_c + 1)
        if not budget.fits(memory=memory, operations=work):
            raise CostLimitError(
                f"Exact elimination of this evidence needs about {describe_bytes(memory)} and "
                f"{work:.3g} operations (widest table over {width} variables, {cost:.3g} table "
                f"elements in all), beyond the budget of {budget.describe()}; present findings "
                f"{[cm.findings[j] for j in np.flatnonzero(fs == 1)]}. Give a larger Budget or "
                "fewer present findings."
            )
    calibrated = calibrate(factors, order, n_c)
    if calibrated is not None:
        log_z, marginals = calibrated
        return np.clip(marginals[0, :, 1], 0.0, 1.0), float(log_z[0]) + log_const
    per_chunk = max(1, min(n_c, MAX_TABLE // (1 << min(width, 60)) - 1))
    log_ev = math.nan
    post = np.empty(n_c)
    for start in range(0, n_c, per_chunk):
        chunk = range(start, min(n_c, start + per_chunk))
        variant = list(factors)
        for k, i in enumerate(chunk):
            vs, table = variant[i]
            clamped = np.repeat(table, len(chunk) + 1, axis=0)
            clamped[1 + k, 0] = 0.0
            variant[i] = (vs, clamped)
        logs = _eliminate_all(variant, order)
        log_ev = float(logs[0]) + log_const
        with np.errstate(invalid="ignore"):
            post[start : start + len(chunk)] = np.exp(logs[1:] - logs[0])
    return np.clip(post, 0.0, 1.0), log_ev
