"""Exact sums over coupled shared risk factors: a small junction tree, compiled once.

Given the evidence, each cause ``i`` of a component contributes a factor ``t_i(x)`` of its shared
risk factors ``x`` (the cause itself is summed out analytically, see :mod:`toeprob.quickscore`) and
each risk factor its prior. :func:`compile_tree` builds a junction tree of the risk factors once per
model (greedy min-fill elimination, then merging a clique into its parent while the union stays
within the largest clique); :func:`tree_sum` evaluates it for a whole batch of rows and Quickscore
terms at once: an upward pass gives the sum, a downward pass gives every clique's belief, from which
each cause's ``P(C_i = 1 | term)`` follows by dividing its factor out.

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

__all__ = ["Clique", "JunctionTree", "compile_tree", "tree_sum"]

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
class JunctionTree:
    """Cliques in upward order (children before parents; the root is last)."""

    cliques: tuple[Clique, ...]
    variables: IntArray  # global risk-factor index of each local variable


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


def compile_tree(
    n_var: int, scopes: list[tuple[int, ...]], weights: list[list[float]]
) -> JunctionTree:
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
    configs_of = [((np.arange(2 ** len(vs))[:, None] >> np.arange(len(vs))[None, :]) & 1).astype(bool)
                  for vs in variables_of]

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
        cliques.append(Clique(
            variables, configs, np.array(mine, dtype=np.intp), mult,
            np.array([q for q, v in enumerate(variables) if home[v] == i], dtype=np.intp),
            p, to_sep, parent_to_sep, n_sep,
            tuple(j for j, pj in enumerate(parent_of) if pj == i),
            perm, np.searchsorted(to_sep[perm], np.arange(n_sep)),
            pperm, np.searchsorted(parent_to_sep[pperm], np.arange(n_sep)),
        ))
    out = cliques
    return JunctionTree(tuple(out), np.arange(n_var, dtype=np.intp))


def _marginal(values: FloatArray, perm: IntArray, starts: IntArray) -> FloatArray:
    """Sum the last axis of ``values`` within the groups ``perm[starts[k]:starts[k + 1]]``."""
    return np.asarray(np.add.reduceat(values[..., perm], starts, axis=-1))


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
    """
    n, n_t, n_c = g.shape
    ups: list[FloatArray] = []
    held: list[FloatArray] = []
    parts = []
    for q in tree.cliques:
        r = rho[:, q.variables][:, None, :] if q.variables else np.ones((n, 1, 0))
        prior = np.prod(np.where(q.configs[:, q.priors], r[:, :, q.priors], 1.0 - r[:, :, q.priors]),
                        axis=-1)  # (n, 2**w)
        a = g[:, :, q.causes, None]
        zm = z0[:, None, q.causes, None] * q.multiplier
        t = a + zm * (e0[:, None, q.causes, None] - a)
        h = np.prod(t, axis=2) * prior[:, None, :]
        parts.append((a, zm, t))
        held.append(h)
        ups.append(h)  # placeholder, replaced below
    for k, q in enumerate(tree.cliques):
        for j in q.children:
            held[k] = held[k] * ups[j][..., tree.cliques[j].parent_to_sep]
        if q.parent >= 0:
            ups[k] = _marginal(held[k], q.sep_perm, q.sep_starts)
    root = len(tree.cliques) - 1
    total = np.sum(held[root], axis=-1)
    ratio = np.empty((n, n_t, n_c))
    belief = held
    for k in range(root, -1, -1):
        q = tree.cliques[k]
        for j in q.children:
            c = tree.cliques[j]
            with np.errstate(divide="ignore", invalid="ignore"):
                up = ups[j][..., c.parent_to_sep]
                out = np.where(up > 0, belief[k] / up, 0.0)
            down = _marginal(out, c.parent_perm, c.parent_starts)
            belief[j] = belief[j] * down[..., c.to_sep]
        a, zm, t = parts[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(t > 0, (a - zm * a) / t, 0.0)
            ratio[:, :, q.causes] = np.sum(share * belief[k][:, :, None, :], axis=-1) / total[..., None]
    with np.errstate(divide="ignore"):
        return np.log(total), ratio
