"""Exact sums over the shared risk factors, for every row and Quickscore term at once.

Given the evidence and a Quickscore term, cause ``i`` contributes the factor

    t_i(x) = z_i(x) e0_i + (1 - z_i(x)) g_i,    z_i(x) = z0_i prod_{r in P_i} (1 - w_ri)**x_r,

of its *shared* risk-factor parents ``P_i`` (``x`` their states): ``z_i`` is ``P(C_i = 0 | x)``
with the leak and private risk factors already in ``z0_i``, ``e0_i`` the evidence factor at
``C_i = 0`` and ``g_i`` the term's factor at ``C_i = 1``. The part ``u_i(x) = (1 - z_i(x)) g_i``
is the cause-present share. Each shared risk factor brings its prior.

:func:`compile_program` builds, once per model, a junction tree of the shared risk factors of every
connected component (greedy min-fill elimination; a clique is merged into its parent while the
union stays within the widest clique). Cause factors are stored at their own scope (``2**|P_i|``
numbers; one for a cause without shared parents), and all cliques' configurations are stacked on
one axis (``P`` rows, cliques with more causes first). :func:`risk_sums` evaluates the program for
arrays whose last axes are ``(terms, rows)``:

* the product of each clique's cause factors at every configuration is gathered slot by slot
  (slot ``s`` is the ``s``-th cause of every clique that has one; no padding is multiplied), and
  the priors homed at each configuration are multiplied in;
* an upward pass multiplies in the children's messages and sums out what the parent does not
  share; each root's total ``Z_k`` is its component's sum;
* a downward pass (Hugin, normalized) turns the kept clique products into beliefs ``b``; one sparse
  product sums every belief onto each cause's scope, and
  ``P(C_i = 1 | term) = sum_x b_i(x) u_i(x) / t_i(x)`` over the cause's own configurations.

A call is about five array operations per clique plus two dozen for the whole program, whatever
the number of causes; the work per term is about the stacked configurations times the causes per
clique, plus the factor layout.

Numerical safety: every number is a non-negative product or sum, so nothing cancels here; a
division by a zero message or factor yields 0 (the numerator is 0 there too). Every array has the
dtype of ``g`` (``float64`` or ``longdouble``), and every reduction runs along a row's own axes,
so a row's result does not depend on its batch.

Examples
--------
>>> import numpy as np
>>> w = np.array([[0.5, 0.4, 0.0], [0.3, 0.0, 0.2]])  # two shared risk factors, three causes
>>> prog = compile_program(w)
>>> [c.variables for c in prog.cliques], prog.scopes
([(0, 1)], ((0, 1), (0,), (1,)))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from toeprob.errors import CostLimitError
from toeprob.inference.budget import Budget, describe_bytes
from toeprob.inference.ordering import bits, greedy_order

__all__ = ["MAX_TERM_ELEMENTS", "Clique", "RiskProgram", "compile_program", "multipliers", "risk_sums"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

MAX_TERM_ELEMENTS = 1 << 21
"""Largest program built: elements of one term of one row (factor layout and clique tables)."""

TINY = 1e-250
"""A component sum or a message below this (and above zero) may hide underflowed products, and
dividing by it may overflow: such rows are flagged for the scaled method."""


@dataclass(frozen=True, eq=False)
class Clique:
    """One clique of a component's junction tree (cliques are stored children before parents).

    Shapes are broadcast shapes over ``variables``: 2 where the factor has the variable, else 1.
    """

    variables: tuple[int, ...]  # global risk-factor indices, sorted
    stack_start: int  # first of this clique's configurations on the stacked axis
    causes: IntArray  # model cause indices whose factor is multiplied in here
    columns: IntArray  # (len(causes), 2**k): each cause's factor column at every configuration
    children: tuple[int, ...]
    child_shapes: tuple[tuple[int, ...], ...]  # each child's message over this clique
    child_axes: tuple[tuple[int, ...], ...]  # axes summed to get that message here
    parent: int  # -1 for a root
    message_axes: tuple[int, ...]  # axes summed to send the message to the parent
    message_shape: tuple[int, ...]  # that message over the child's own variables

    @property
    def size(self) -> int:
        """Number of configurations."""
        return 1 << len(self.variables)


@dataclass(frozen=True, eq=False)
class RiskProgram:
    """Cause factors laid out side by side, and the cliques (see the module docstring).

    ``offsets[i]:offsets[i + 1]`` are cause ``i``'s columns in the factor layout (``2**|P_i|``
    configurations, first parent slowest); ``column_cause`` names the cause of each column and
    ``multiplier`` holds ``prod (1 - w)`` over the parents present in that configuration.
    """

    scopes: tuple[tuple[int, ...], ...]  # shared parents of each cause, sorted
    offsets: IntArray  # (C + 1,)
    column_cause: IntArray  # (W,)
    multiplier: FloatArray  # (W,)
    free: IntArray  # columns of causes without shared parents
    free_causes: IntArray  # those causes
    cliques: tuple[Clique, ...]
    prior_var: IntArray  # (P, H): risk factor of each prior homed at a stacked configuration (R: none)
    prior_index: IntArray  # (P, H): row of ``[1 - rho; rho; 1]`` for that prior in that configuration
    stack_columns: IntArray  # (S, P): factor column of each clique cause (slot) per configuration
    slot_ends: IntArray  # (S,): slot ``s`` is padding beyond this configuration
    marginalize: sparse.csr_array  # (W, P): sums a clique belief onto each cause's scope
    # the same program as flat index arrays, for the compiled kernel (inference.quickscore_kernel)
    clique_start: IntArray  # (Q,): first stacked configuration of each clique
    clique_size: IntArray  # (Q,)
    clique_parent: IntArray  # (Q,): -1 for a root
    message_offsets: IntArray  # (Q + 1,): each clique's message (over its separator) on one axis
    up_index: IntArray  # (P,): the message entry each stacked configuration sums into
    child_pointer: IntArray  # (Q + 1,): clique q's children are child_list[child_pointer[q]:...]
    child_list: IntArray
    child_map_offset: IntArray  # per child: where its map starts in child_map
    child_map: IntArray  # per child, per configuration of the parent: the child's message entry
    roots: IntArray
    marginal_pointer: IntArray  # (W + 1,): ``marginalize`` as CSR rows (every stored value is one)
    marginal_rows: IntArray

    @property
    def width(self) -> int:
        """Columns of the factor layout."""
        return len(self.column_cause)

    @property
    def elements(self) -> int:
        """Array elements one term needs (factor layout plus gathered clique tables)."""
        return int(4 * self.width + 3 * self.stack_columns.shape[1])


def _components(n_rf: int, scopes: list[tuple[int, ...]]) -> list[list[int]]:
    root = list(range(n_rf))

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for s in scopes:
        for r in s[1:]:
            root[find(r)] = find(s[0])
    used = sorted({r for s in scopes for r in s})
    comps: dict[int, list[int]] = {}
    for r in used:
        comps.setdefault(find(r), []).append(r)
    return list(comps.values())


def _tree(variables: list[int], scopes: list[tuple[int, ...]]) -> tuple[list[tuple[int, ...]], list[int]]:
    """Cliques (sorted variable tuples, children before parents) and each one's parent."""
    ordering = greedy_order(scopes, max(variables) + 1, variables=variables)
    order = ordering.order
    raw = [set(bits(c)) for c in ordering.cliques]
    where = {v: k for k, v in enumerate(order)}
    parent = [min((where[v] for v in c - {order[k]}), default=-1) for k, c in enumerate(raw)]
    width = max(len(c) for c in raw)
    alive = [True] * len(raw)
    for k in range(len(raw)):  # merge into the parent while the union stays within the width
        p = parent[k]
        if p >= 0 and len(raw[k] | raw[p]) <= width:
            raw[p] |= raw[k]
            alive[k] = False
            for j in range(len(raw)):
                if parent[j] == k:
                    parent[j] = p
    keep = [k for k in range(len(raw)) if alive[k]]
    new_id = {k: i for i, k in enumerate(keep)}
    return [tuple(sorted(raw[k])) for k in keep], [new_id[parent[k]] if parent[k] >= 0 else -1 for k in keep]


def _configs(k: int) -> NDArray[np.intp]:
    """Bits of every configuration of ``k`` binary variables, first variable slowest: ``(2**k, k)``."""
    return (np.arange(1 << k)[:, None] >> np.arange(k - 1, -1, -1)[None, :]) & 1


def _shape(sub: tuple[int, ...], variables: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(2 if v in sub else 1 for v in variables)


def _axes(sub: tuple[int, ...], variables: tuple[int, ...]) -> tuple[int, ...]:
    """Axes of ``variables`` not in ``sub`` (the configuration axes come first)."""
    return tuple(a for a, v in enumerate(variables) if v not in sub)


def compile_program(
    rf_weight: FloatArray,
    budget: Budget | None = None,
    *,
    names: tuple[Sequence[str], Sequence[str]] | None = None,
) -> RiskProgram | None:
    """Build the program for link strengths ``rf_weight`` of shape ``(R, C)``.

    Only risk factors with two or more children are *shared*; the others must already be folded
    into each cause's ``z0`` (:mod:`toeprob.inference.compiled` does so). The cliques are worked out first
    and the program's size estimated from them, before any table is built: a program whose one
    term of one row would need more than :data:`MAX_TERM_ELEMENTS` elements is not built (``None``:
    Quickscore could not use it, every query then takes elimination), and one beyond ``budget``
    is refused.

    Parameters
    ----------
    rf_weight : ndarray, shape (R, C)
    budget : Budget, optional
        Memory allowed for the program's tables and for one Quickscore term of one row.
    names : (risk factors, causes), optional
        Identifiers, for the error message.

    Returns
    -------
    RiskProgram or None

    Raises
    ------
    CostLimitError
        If the program's tables would exceed ``budget.memory_bytes``.

    Examples
    --------
    >>> prog = compile_program(np.array([[0.5, 0.4], [0.0, 0.3]]))  # risk factor 1 is private
    >>> prog.scopes, prog.offsets.tolist(), prog.multiplier.tolist()
    (((0,), (0,)), [0, 2, 4], [1.0, 0.5, 1.0, 0.6])
    """
    w = np.asarray(rf_weight, dtype=np.float64)
    n_rf, n_c = w.shape
    linked = w > 0
    shared = {r for r in range(n_rf) if linked[r].sum() >= 2}
    scopes = [tuple(r for r in range(n_rf) if r in shared and linked[r, c]) for c in range(n_c)]
    sizes = [1 << len(s) for s in scopes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.intp)
    column_cause = np.repeat(np.arange(n_c), sizes).astype(np.intp)
    multiplier = multipliers(scopes, offsets, w)
    free_causes = np.array([c for c, s in enumerate(scopes) if not s], dtype=np.intp)
    free = offsets[free_causes]

    trees = []
    for comp in _components(n_rf, [s for s in scopes if s]):
        comp_set = set(comp)
        trees.append((comp, comp_set, *_tree(comp, [s for s in scopes if s and s[0] in comp_set])))
    if budget is not None:
        _check_size(trees, scopes, int(offsets[-1]), budget, names)
    stacked = sum(1 << len(vs) for *_, variables_of, _ in trees for vs in variables_of)
    if 4 * int(offsets[-1]) + 3 * stacked > MAX_TERM_ELEMENTS:
        return None

    cliques: list[Clique] = []
    prior_rows: list[tuple[IntArray, IntArray]] = []  # per clique: risk factors homed, their bits
    for comp, comp_set, variables_of, parent_of in trees:
        base = len(cliques)
        cause_home = {
            c: next(i for i, vs in enumerate(variables_of) if set(s) <= set(vs))
            for c, s in enumerate(scopes)
            if s and s[0] in comp_set
        }
        prior_home = {r: next(i for i, vs in enumerate(variables_of) if r in vs) for r in comp}
        for i, vs in enumerate(variables_of):
            mine = tuple(c for c, h in cause_home.items() if h == i)
            kids = tuple(j for j, p in enumerate(parent_of) if p == i)
            p = parent_of[i]
            sep = tuple(v for v in vs if p >= 0 and v in variables_of[p])
            bits = _configs(len(vs))
            columns = np.zeros((len(mine), 1 << len(vs)), dtype=np.intp)
            for row, c in enumerate(mine):  # the cause's configuration, first parent slowest
                for v in scopes[c]:
                    columns[row] = 2 * columns[row] + bits[:, vs.index(v)]
                columns[row] += offsets[c]
            cliques.append(
                Clique(
                    variables=vs,
                    stack_start=-1,  # set below, once the layout is known
                    causes=np.array(mine, dtype=np.intp),
                    columns=columns,
                    children=tuple(base + j for j in kids),
                    child_shapes=tuple(
                        _shape(tuple(v for v in variables_of[j] if v in vs), vs) for j in kids
                    ),
                    child_axes=tuple(_axes(tuple(v for v in variables_of[j] if v in vs), vs) for j in kids),
                    parent=base + p if p >= 0 else -1,
                    message_axes=_axes(sep, vs),
                    message_shape=_shape(sep, vs),
                )
            )
            homed = [a for a, v in enumerate(vs) if prior_home[v] == i]
            prior_rows.append((np.array([vs[a] for a in homed], dtype=np.intp), bits[:, homed]))
    # stacked layout: cliques with more causes first, so that each cause slot covers a prefix
    layout = sorted(range(len(cliques)), key=lambda q: (-len(cliques[q].causes), q))
    starts = np.cumsum([0] + [cliques[q].size for q in layout])
    cliques = [replace(cl, stack_start=int(starts[layout.index(q)])) for q, cl in enumerate(cliques)]
    n_stacked = int(starts[-1])
    n_home = max((len(prior_rows[q][0]) for q in layout), default=0)
    prior_var = np.full((n_stacked, max(n_home, 1)), n_rf, dtype=np.intp)  # column ``R``: one
    prior_bit = np.zeros_like(prior_var)
    for q, start in zip(layout, starts[:-1].tolist(), strict=True):
        homed_vars, homed_bits = prior_rows[q]
        prior_var[start : start + cliques[q].size, : len(homed_vars)] = homed_vars
        prior_bit[start : start + cliques[q].size, : len(homed_vars)] = homed_bits
    prior_index = np.where(prior_var == n_rf, 2 * n_rf, prior_bit * n_rf + prior_var).astype(np.intp)
    width = int(offsets[-1])
    slots = max((len(c.causes) for c in cliques), default=1) or 1
    stack_columns = np.full((slots, n_stacked), width, dtype=np.intp)  # column ``W``: padding
    slot_ends = np.zeros(slots, dtype=np.intp)
    for cl in cliques:
        stack_columns[: len(cl.causes), cl.stack_start : cl.stack_start + cl.size] = cl.columns
        slot_ends[: len(cl.causes)] = np.maximum(slot_ends[: len(cl.causes)], cl.stack_start + cl.size)
    used = stack_columns < width
    rows_of = np.broadcast_to(np.arange(n_stacked), stack_columns.shape)[used]
    marginalize = sparse.csr_array(
        (np.ones(int(used.sum())), (stack_columns[used], rows_of)), shape=(width, n_stacked)
    )
    flat = _flat_tree(cliques)
    flat += [marginalize.indptr.astype(np.intp), marginalize.indices.astype(np.intp)]
    arrays = [offsets, column_cause, multiplier, free, free_causes, prior_var, prior_index]
    arrays += [stack_columns, slot_ends, *flat]
    for arr in arrays + [a for c in cliques for a in (c.causes, c.columns)]:
        arr.setflags(write=False)
    return RiskProgram(
        tuple(scopes),
        offsets,
        column_cause,
        multiplier,
        free,
        free_causes,
        tuple(cliques),
        prior_var,
        prior_index,
        stack_columns,
        slot_ends,
        marginalize,
        *flat,
    )


def _separator_index(variables: tuple[int, ...], other: tuple[int, ...]) -> IntArray:
    """For every configuration of ``variables``: the index of its restriction to ``other``."""
    k = len(variables)
    bits_of = _configs(k)
    index = np.zeros(1 << k, dtype=np.intp)
    for a, v in enumerate(variables):
        if v in other:
            index = 2 * index + bits_of[:, a]
    return index


def _flat_tree(cliques: list[Clique]) -> list[IntArray]:
    """The junction tree as flat index arrays (see the fields of :class:`RiskProgram`)."""
    n_q = len(cliques)
    n_stacked = sum(cl.size for cl in cliques)
    up_index = np.zeros(n_stacked, dtype=np.intp)
    message_sizes = np.zeros(n_q, dtype=np.intp)
    child_pointer = np.zeros(n_q + 1, dtype=np.intp)
    child_list: list[int] = []
    maps: list[IntArray] = []
    for q, cl in enumerate(cliques):
        above = cliques[cl.parent].variables if cl.parent >= 0 else ()
        index = _separator_index(cl.variables, above)
        up_index[cl.stack_start : cl.stack_start + cl.size] = index
        message_sizes[q] = 1 << sum(v in above for v in cl.variables)
        for j in cl.children:
            child_list.append(j)
            maps.append(_separator_index(cl.variables, cliques[j].variables))
        child_pointer[q + 1] = len(child_list)
    map_offsets = np.cumsum([0] + [len(m) for m in maps])[:-1]
    return [
        np.array([cl.stack_start for cl in cliques], dtype=np.intp),
        np.array([cl.size for cl in cliques], dtype=np.intp),
        np.array([cl.parent for cl in cliques], dtype=np.intp),
        np.concatenate([[0], np.cumsum(message_sizes)]).astype(np.intp),
        up_index,
        child_pointer,
        np.array(child_list, dtype=np.intp),
        np.asarray(map_offsets, dtype=np.intp),
        np.concatenate(maps).astype(np.intp) if maps else np.zeros(0, dtype=np.intp),
        np.array([q for q, cl in enumerate(cliques) if cl.parent < 0], dtype=np.intp),
    ]


def multipliers(scopes: Sequence[tuple[int, ...]], offsets: IntArray, rf_weight: FloatArray) -> FloatArray:
    """``prod (1 - w)`` over the shared parents present in each column of the factor layout.

    ``rf_weight`` has shape ``(..., R, C)``; leading axes (model variants) carry over to the result,
    shape ``(..., W)``, each computed as for a model alone.

    Examples
    --------
    >>> w = np.array([[0.5, 0.4], [0.0, 0.3]])
    >>> multipliers(((0,), (0,)), np.array([0, 2, 4]), w).tolist()
    [1.0, 0.5, 1.0, 0.6]
    """
    w = np.asarray(rf_weight, dtype=np.float64)
    out = np.ones((*w.shape[:-2], int(offsets[-1])))
    for c, scope in enumerate(scopes):
        bits = _configs(len(scope))
        start, stop = int(offsets[c]), int(offsets[c + 1])
        for a, r in enumerate(scope):
            out[..., start:stop] *= np.where(bits[:, a] == 1, 1.0 - w[..., r, c, None], 1.0)
    return out


def _check_size(
    trees: list[tuple[list[int], set[int], list[tuple[int, ...]], list[int]]],
    scopes: list[tuple[int, ...]],
    width: int,
    budget: Budget,
    names: tuple[Sequence[str], Sequence[str]] | None,
) -> None:
    """Refuse a model whose risk-factor cliques alone would not fit ``budget``.

    Any exact query sums over the shared risk factors, so it needs at least the junction tree of
    their coupling: three tables of the widest clique held at once, about ten operations per
    clique element (the same estimate as :class:`toeprob.inference.hidden.Plan`).
    """
    stacked = sum(1 << len(vs) for _, _, variables_of, _ in trees for vs in variables_of)
    k = max((len(vs) for _, _, variables_of, _ in trees for vs in variables_of), default=0)
    memory = 8.0 * (stacked + (3 << k)) + 8.0 * width
    work = 10.0 * stacked
    if budget.fits(memory=memory, operations=work):
        return
    widest = max((vs for _, _, vo, _ in trees for vs in vo), key=len)
    rf_names = [names[0][r] if names else f"risk factor {r}" for r in widest]
    coupled = sorted({c for c, s in enumerate(scopes) if set(s) & set(widest)})
    cause_names = [names[1][c] if names else f"cause {c}" for c in coupled]
    more = len(cause_names) - 12
    shown = ", ".join(cause_names[:12]) + (f" and {more} more" if more > 0 else "")
    raise CostLimitError(
        f"The model's risk factors couple its causes too tightly for exact inference within the "
        f"budget: the sums over shared risk factors need a table over {len(widest)} risk factors "
        f"({', '.join(rf_names)}; 2**{len(widest)} configurations): about {describe_bytes(memory)} "
        f"and {work:.3g} operations, beyond the budget of {budget.describe()}. The causes linked "
        f"to them: {shown}. "
        "Give each cause fewer shared risk factors, merge risk factors, or give a larger Budget."
    )


def risk_sums(
    prog: RiskProgram,
    rho: FloatArray,
    z0: FloatArray,
    e0: FloatArray,
    g: FloatArray,
    multiplier: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """Sum over the shared risk factors for every row and term.

    Arrays are laid out with the rows last (and contiguous), so that every operation runs along
    long inner loops whatever the small configuration axes.

    Parameters
    ----------
    prog : RiskProgram
    rho : ndarray, shape (R, n)
        ``P(risk factor present)`` per row (1 or 0 when observed).
    z0, e0 : ndarray, shape (C, n)
        Per-cause ``P(C = 0)`` without the shared risk factors, and the evidence factor at ``C = 0``.
    g : ndarray, shape (C, T, n)
        Evidence factor at ``C = 1`` for every term.
    multiplier : ndarray, shape (W, n), optional
        Each row's own ``prog.multiplier`` (rows of model variants, :mod:`toeprob.inference.variants`).

    Returns
    -------
    log_sum : ndarray, shape (T, n)
        Log of the sum over causes and shared risk factors, less ``log_ref``.
    log_ref : ndarray, shape (n,)
        A per-row constant: the log sum of each term is ``log_sum + log_ref`` (split so that the
        terms' logs are small numbers, exact to a few ulps, however improbable the evidence).
    ratio : ndarray, shape (C, T, n)
        ``P(C_i = 1 | term)``.
    tiny : ndarray of bool, shape (n,)
        Rows where a component's sum is positive but so small that products may have lost
        precision to underflow (the caller must use a scaled method there).

    Examples
    --------
    One shared risk factor (prevalence 0.5) with two causes, one row, one term; with ``g = e0``
    the evidence says nothing, so each posterior is the cause's prior:

    >>> prog = compile_program(np.array([[0.5, 0.5]]))
    >>> z0, e0 = np.full((2, 1), 0.9), np.full((2, 1), 0.2)
    >>> log_sum, log_ref, ratio, tiny = risk_sums(prog, np.full((1, 1), 0.5), z0, e0, np.full((2, 1, 1), 0.2))
    >>> ratio[:, 0, 0].round(4).tolist(), bool(np.isclose(np.exp(log_sum[0, 0] + log_ref[0]), 0.04))
    ([0.325, 0.325], True)
    """
    _, n_t, n = g.shape
    dt = g.dtype
    one = np.ones((), dtype=dt)
    width = prog.width
    col = prog.column_cause
    mult = prog.multiplier[:, None] if multiplier is None else multiplier
    zm = z0[col] * mult.astype(dt, copy=False)  # (W, n)
    u = g[col] * (one - zm)[:, None, :]  # (W, T, n): cause present
    t = np.empty((width + 1, n_t, n), dtype=dt)  # row W: one, for padded slots
    np.add(u, (zm * e0[col])[:, None, :], out=t[:width])
    t[width] = one
    tail = (n_t, n)
    prior = np.concatenate([one - rho, rho, np.ones((1, n), dtype=dt)])[prog.prior_index]
    stacked = t[prog.stack_columns[0]]  # (P, T, n): the product of each clique's cause factors
    for slot in range(1, len(prog.slot_ends)):
        end = prog.slot_ends[slot]
        stacked[:end] *= t[prog.stack_columns[slot, :end]]
    stacked *= np.multiply.reduce(prior, axis=1)[:, None, :]  # times the priors homed there
    kept: list[FloatArray] = []
    messages: list[FloatArray] = []
    roots: list[int] = []
    small = np.zeros(n, dtype=bool)  # rows with a message so small that dividing by it is unsafe
    for cl in prog.cliques:
        p = stacked[cl.stack_start : cl.stack_start + cl.size].reshape((2,) * len(cl.variables) + tail)
        for j, child in zip(cl.children, cl.child_shapes, strict=True):
            p *= messages[j].reshape(child + tail)
        kept.append(p)
        if cl.parent >= 0:
            message = np.add.reduce(p, axis=cl.message_axes)
            small |= np.logical_or.reduce(((message > 0) & (message < TINY)).reshape(-1, n), axis=0)
            messages.append(message)
        else:
            messages.append(np.add.reduce(p.reshape((cl.size, *tail)), axis=0))
            roots.append(len(kept) - 1)
    totals = np.stack([messages[q] for q in roots]) if roots else np.ones((0, *tail), dtype=dt)
    positive = totals > 0
    safe = totals >= TINY  # the other rows are flagged below and discarded by the caller
    inverse = np.divide(one, totals, out=np.zeros(totals.shape, dt), where=safe)
    adjoint = dict(zip(roots, inverse, strict=True))
    belief = np.empty_like(stacked)  # every clique's belief, stacked
    for q in range(len(prog.cliques) - 1, -1, -1):
        cl = prog.cliques[q]
        b = belief[cl.stack_start : cl.stack_start + cl.size].reshape(kept[q].shape)
        np.multiply(kept[q], adjoint.pop(q), out=b)
        for j, axes in zip(cl.children, cl.child_axes, strict=True):
            down = np.add.reduce(b, axis=axes) if axes else b.copy()
            msg = messages[j]
            np.divide(down, msg, out=down, where=msg >= TINY)  # smaller: the row is flagged
            adjoint[j] = down.reshape(prog.cliques[j].message_shape + tail)
    share = np.divide(u, t[:width], out=np.zeros(u.shape, dt), where=t[:width] > 0)
    # each cause factor's belief at its own scope: one sparse marginalization of every clique
    marginal = (prog.marginalize @ belief.reshape(belief.shape[0], n_t * n)).reshape(share.shape)
    marginal[prog.free] = one
    share *= marginal
    ratio = np.add.reduceat(share, prog.offsets[:-1], axis=0)
    parts = np.concatenate([t[prog.free], totals])  # (K, T, n): the factors of each term's sum
    # each factor relative to its largest value over the terms: the terms' logs are then small
    # numbers whose differences keep every digit, the common part goes to ``log_ref``
    ref = np.maximum.reduce(parts, axis=1, initial=0.0)
    ref = np.where(ref > 0, ref, one)
    rel = parts / ref[:, None, :]
    logs = np.log(rel, out=np.full(parts.shape, -np.inf, dtype=dt), where=rel > 0)
    tiny = np.logical_or.reduce(positive & ~safe, axis=(0, 1)) | small
    return np.add.reduce(logs, axis=0), np.add.reduce(np.log(ref), axis=0), ratio, tiny
