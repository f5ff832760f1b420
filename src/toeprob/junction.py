"""Exact sums over coupled shared risk factors: a small junction tree, compiled once.

Given the evidence, each cause ``i`` of a component contributes a factor ``t_i(x)`` of its shared
risk factors ``x`` (the cause itself is summed out analytically, see :mod:`toeprob.quickscore`) and
each risk factor its prior. :func:`compile_tree` builds a junction tree of the risk factors once per
model (greedy min-fill elimination, then merging a clique into its parent while the union stays
within the largest clique); :func:`tree_sum` evaluates it for a whole batch of rows and Quickscore
terms at once: an upward pass gives the sum, a downward pass gives every clique's belief, from which
each cause's ``P(C_i = 1 | term)`` follows by dividing its factor out. For speed every clique is
padded to the widest one's configurations and all cliques are stacked on one axis
(:class:`Stacked`), so a call is a few dozen array operations.

Numerical safety: every number is a non-negative product or sum, so nothing cancels here; a
division by a zero message or factor yields 0 (the numerator is 0 there too).

Examples
--------
>>> tree = compile_tree(3, [(0, 1), (1, 2)], [[0.5, 0.5], [0.5, 0.5]])
>>> len(tree.cliques) >= 1
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Clique", "Edge", "JunctionTree", "Stacked", "compile_tree", "tree_sum"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class Clique:
    """One clique: its variables, the causes assigned to it and its links to its parent.

    ``configs[x, q]`` is bit ``q`` (variable ``variables[q]``) of configuration ``x``.
    ``to_sep`` maps a configuration to its configuration of the separator with the parent;
    ``parent_to_sep`` does so for the parent's configurations.
    """

    variables: tuple[int, ...]
    configs: NDArray[np.bool_]
    causes: IntArray  # positions in the component's cause list
    multiplier: FloatArray  # (n_causes, 2**w): prod (1 - w) over present parents
    priors: IntArray  # variables whose prior is multiplied in here (positions in ``variables``)
    parent: int  # -1 for the root
    to_sep: IntArray
    parent_to_sep: IntArray
    n_sep: int
    children: tuple[int, ...]
    sep_perm: IntArray  # stable sort of ``to_sep`` and group starts, for ``np.add.reduceat``
    sep_starts: IntArray
    parent_perm: IntArray  # the same for ``parent_to_sep``
    parent_starts: IntArray


@dataclass(frozen=True, eq=False)
class Edge:
    """A clique ``child`` and its ``parent``, with the maps of both onto their separator."""

    child: int
    parent: int
    to_sep: IntArray  # (K,) child configuration -> separator configuration
    sep_perm: IntArray
    sep_starts: IntArray
    parent_to_sep: IntArray  # (K,) parent configuration -> separator configuration
    parent_perm: IntArray
    parent_starts: IntArray


@dataclass(frozen=True, eq=False)
class Stacked:
    """All cliques padded to ``K = 2**width`` configurations, so each pass step is one array op.

    Padded configurations get prior 0 (they add exact zeros to every sum). Causes are listed
    clique by clique (``order``); ``starts`` are the clique offsets for ``np.multiply.reduceat``
    and ``empty`` the cliques without causes (their product is set to one).
    """

    order: IntArray  # (c,) positions in the component's cause list, clique by clique
    clique_of: IntArray  # (c,)
    starts: IntArray  # (Q,)
    empty: IntArray
    multiplier: FloatArray  # (c, K)
    prior_var: IntArray  # (Q, K, P): column of ``[1 - rho, rho]`` (V: one, V + 1: zero)
    prior_bit: IntArray  # (Q, K, P)
    edges: tuple[Edge, ...]  # upward order


@dataclass(frozen=True, eq=False)
class JunctionTree:
    """Cliques in upward order (children before parents; the root is last)."""

    cliques: tuple[Clique, ...]
    variables: IntArray  # global risk-factor index of each local variable
    stacked: Stacked


def _elimination_cliques(n_var: int, scopes: list[tuple[int, ...]]) -> tuple[list[set[int]], list[int]]:
    """Greedy min-fill elimination: the clique each elimination creates and the order."""
    nbrs: dict[int, set[int]] = {v: set() for v in range(n_var)}
    for s in scopes:
        for v in s:
            nbrs[v].update(x for x in s if x != v)

    def fill(v: int) -> int:
        ns = sorted(nbrs[v])
        return sum(1 for a, x in enumerate(ns) for y in ns[a + 1 :] if y not in nbrs[x])

    cliques: list[set[int]] = []
    order: list[int] = []
    while nbrs:
        v = min(nbrs, key=lambda x: (fill(x), len(nbrs[x]), x))
        ns = nbrs.pop(v)
        for a in ns:
            nbrs[a].discard(v)
            nbrs[a].update(ns - {a})
        cliques.append({v} | ns)
        order.append(v)
    return cliques, order


def compile_tree(n_var: int, scopes: list[tuple[int, ...]], weights: list[list[float]]) -> JunctionTree:
    """Build the junction tree of ``n_var`` binary variables and causes with parent ``scopes``.

    ``weights[i][k]`` is the strength of the link from ``scopes[i][k]`` to cause ``i``. Variables
    are local indices ``0 .. n_var - 1``; the variables must be connected through the scopes.
    """
    raw, order = _elimination_cliques(n_var, scopes)
    where = {v: k for k, v in enumerate(order)}
    # parent of elimination clique k: the clique of the first variable eliminated after it
    parent = [min((where[v] for v in c - {order[k]}), default=-1) for k, c in enumerate(raw)]
    # merge a clique into its parent while the union stays within the widest clique
    width = max(len(c) for c in raw)
    sets = [set(c) for c in raw]
    alive = [True] * len(raw)
    for k in range(len(raw)):
        p = parent[k]
        if p >= 0 and len(sets[k] | sets[p]) <= width:
            sets[p] |= sets[k]
            alive[k] = False
            for j in range(len(raw)):
                if parent[j] == k:
                    parent[j] = p
    keep = [k for k in range(len(raw)) if alive[k]]
    new_id = {k: i for i, k in enumerate(keep)}
    home: dict[int, int] = {}
    for i, k in enumerate(keep):
        for v in sorted(sets[k]):
            home.setdefault(v, i)
    cause_home = [next(i for i, k in enumerate(keep) if set(s) <= sets[k]) for s in scopes]
    variables_of = [tuple(sorted(sets[k])) for k in keep]
    parent_of = [new_id[parent[k]] if parent[k] >= 0 else -1 for k in keep]
    configs_of = [
        ((np.arange(2 ** len(vs))[:, None] >> np.arange(len(vs))[None, :]) & 1).astype(bool)
        for vs in variables_of
    ]

    def sep_index(i: int, sep: list[int]) -> IntArray:
        out = np.zeros(len(configs_of[i]), dtype=np.intp)
        for b, v in enumerate(sep):
            out |= configs_of[i][:, variables_of[i].index(v)].astype(np.intp) << b
        return out

    cliques: list[Clique] = []
    for i, variables in enumerate(variables_of):
        configs = configs_of[i]
        mine = [c for c, h in enumerate(cause_home) if h == i]
        mult = np.ones((len(mine), len(configs)))
        for row, c in enumerate(mine):
            for v, wt in zip(scopes[c], weights[c], strict=True):
                mult[row] *= np.where(configs[:, variables.index(v)], 1.0 - wt, 1.0)
        p = parent_of[i]
        sep = sorted(set(variables) & set(variables_of[p])) if p >= 0 else []
        to_sep = sep_index(i, sep)
        parent_to_sep = sep_index(p, sep) if p >= 0 else np.zeros(0, dtype=np.intp)
        n_sep = 2 ** len(sep)
        perm = np.argsort(to_sep, kind="stable")
        pperm = np.argsort(parent_to_sep, kind="stable")
        cliques.append(
            Clique(
                variables,
                configs,
                np.array(mine, dtype=np.intp),
                mult,
                np.array([q for q, v in enumerate(variables) if home[v] == i], dtype=np.intp),
                p,
                to_sep,
                parent_to_sep,
                n_sep,
                tuple(j for j, pj in enumerate(parent_of) if pj == i),
                perm,
                np.searchsorted(to_sep[perm], np.arange(n_sep)),
                pperm,
                np.searchsorted(parent_to_sep[pperm], np.arange(n_sep)),
            )
        )
    return JunctionTree(tuple(cliques), np.arange(n_var, dtype=np.intp), _stack(cliques, n_var))


def _stack(cliques: list[Clique], n_var: int) -> Stacked:
    """The padded layout of :class:`Stacked` (see there)."""
    k = max(len(q.configs) for q in cliques)
    n_p = max(1, max(len(q.priors) for q in cliques))
    order = np.concatenate([q.causes for q in cliques]).astype(np.intp)
    clique_of = np.concatenate([np.full(len(q.causes), i) for i, q in enumerate(cliques)]).astype(np.intp)
    sizes = [len(q.causes) for q in cliques]
    starts = np.array(
        [min(sum(sizes[:i]), max(len(order) - 1, 0)) for i in range(len(cliques))], dtype=np.intp
    )
    empty = np.array([i for i, n in enumerate(sizes) if n == 0], dtype=np.intp)
    mult = np.ones((len(order), k))
    prior_var = np.full((len(cliques), k, n_p), n_var, dtype=np.intp)  # column ``V``: one
    prior_bit = np.zeros((len(cliques), k, n_p), dtype=np.intp)
    for i, q in enumerate(cliques):
        size = len(q.configs)
        mult[clique_of == i, :size] = q.multiplier
        for a, pos in enumerate(q.priors):
            prior_var[i, :size, a] = q.variables[pos]
            prior_bit[i, :size, a] = q.configs[:, pos]
        prior_var[i, size:, 0] = n_var + 1  # column ``V + 1``: zero
    edges = []
    for j, q in enumerate(cliques):
        if q.parent < 0:
            continue
        to_sep = np.zeros(k, dtype=np.intp)
        to_sep[: len(q.to_sep)] = q.to_sep
        parent_to_sep = np.zeros(k, dtype=np.intp)
        parent_to_sep[: len(q.parent_to_sep)] = q.parent_to_sep
        perm, pperm = np.argsort(to_sep, kind="stable"), np.argsort(parent_to_sep, kind="stable")
        n_sep = np.arange(q.n_sep)
        edges.append(
            Edge(
                j,
                q.parent,
                to_sep,
                perm,
                np.searchsorted(to_sep[perm], n_sep),
                parent_to_sep,
                pperm,
                np.searchsorted(parent_to_sep[pperm], n_sep),
            )
        )
    return Stacked(order, clique_of, starts, empty, mult, prior_var, prior_bit, tuple(edges))


def tree_sum(
    tree: JunctionTree,
    rho: FloatArray,
    z0: FloatArray,
    e0: FloatArray,
    g: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Sum over the tree's variables for every row and term.

    Parameters
    ----------
    tree : JunctionTree
    rho : ndarray, shape (n, V)
        ``P(variable present)`` per row (one-hot when observed).
    z0, e0 : ndarray, shape (n, c)
        Per-cause ``P(C = 0)`` without the tree's variables, and the evidence factor at ``C = 0``.
    g : ndarray, shape (n, T, c)
        Evidence factor at ``C = 1`` for every Quickscore term.

    Returns
    -------
    log_sum : ndarray, shape (n, T)
    ratio : ndarray, shape (n, T, c)
        ``P(C_i = 1 | term)``: each cause's share of the sum with its factor clamped to present.

    Notes
    -----
    A cause's factor is ``t = u + d`` with ``u = g (1 - z0 m)`` (cause present) and
    ``d = z0 m e0`` (absent), ``m = prod (1 - w)`` over its present parents; only ``u`` depends
    on the term. All cliques are stacked on one axis (:class:`Stacked`), so the work per call is
    a few dozen array operations whatever the number of cliques. Every array has the dtype of
    ``g`` (``float64`` or ``longdouble``), and every reduction runs along a row's own axes, so a
    row's result does not depend on its batch.
    """
    st = tree.stacked
    n, n_t, _ = g.shape
    one = np.ones((), dtype=g.dtype)
    two = np.empty((n, rho.shape[1] + 2, 2), dtype=rho.dtype)
    two[:, :-2, 0] = one - rho
    two[:, :-2, 1] = rho
    two[:, -2] = 1.0
    two[:, -1] = 0.0
    prior = np.prod(two[:, st.prior_var, st.prior_bit], axis=-1)  # (n, Q, K)
    zm = z0[:, st.order, None] * st.multiplier  # (n, c, K)
    u = g[:, :, st.order, None] * (one - zm)[:, None]  # (n, T, c, K)
    t = u + (zm * e0[:, st.order, None])[:, None]
    held = (
        np.multiply.reduceat(t, st.starts, axis=2)
        if len(st.order)
        else np.ones_like(prior[:, None]).repeat(n_t, axis=1)
    )
    if len(st.empty):
        held[:, :, st.empty] = 1.0
    held *= prior[:, None]  # (n, T, Q, K)
    ups = []
    for e in st.edges:
        up = np.add.reduceat(held[:, :, e.child][..., e.sep_perm], e.sep_starts, axis=-1)
        held[:, :, e.parent] *= up[..., e.parent_to_sep]
        ups.append(up)
    total = np.sum(held[:, :, -1], axis=-1)  # (n, T): the root is the last clique
    for e, up in zip(reversed(st.edges), reversed(ups), strict=True):
        spread = up[..., e.parent_to_sep]
        out = np.divide(held[:, :, e.parent], spread, out=np.zeros_like(spread), where=spread > 0)
        down = np.add.reduceat(out[..., e.parent_perm], e.parent_starts, axis=-1)
        held[:, :, e.child] *= down[..., e.to_sep]
    share = np.divide(u, t, out=np.zeros_like(u), where=t > 0)
    share *= held[:, :, st.clique_of]
    ratio = np.empty((n, n_t, len(st.order)), dtype=g.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio[:, :, st.order] = np.sum(share, axis=-1) * np.where(total > 0, one / total, 0.0)[..., None]
        return np.log(total), ratio
