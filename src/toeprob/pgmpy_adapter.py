"""The one place that knows pgmpy's API: export a :class:`~toeprob.model.Model` to pgmpy.

Noisy-OR nodes are expanded to full conditional probability tables here and only here. A node with
many parents would need a table of ``2 ** k`` columns (a finding such as ``cramp`` has a score of
causes), so nodes with more than ``max_table_parents`` parents are written exactly as a chain of
auxiliary OR nodes (*parent divorcing*): ``X__or1`` takes the first parents with the node's leak,
each next link takes the previous one (deterministically) plus further parents, and the last link is
the node itself. Every auxiliary node is binary with the states ``("absent", "present")``, and the
marginal distribution of the model's own nodes is exactly the noisy-OR model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from pgmpy.models import DiscreteBayesianNetwork

    from toeprob.model import Model

__all__ = ["STATES", "noisy_or_table", "to_pgmpy"]

STATES = ("absent", "present")
DEFAULT_MAX_TABLE_PARENTS = 8


def noisy_or_table(leak: float, strengths: Sequence[float]) -> NDArray[np.float64]:
    """Return the CPD of a leaky noisy-OR node in pgmpy's layout (2 x 2**k, first parent slowest).

    Examples
    --------
    >>> noisy_or_table(0.1, [0.5]).round(3).tolist()
    [[0.9, 0.45], [0.1, 0.55]]
    """
    absent = np.array([1.0 - leak])
    for p in strengths:
        absent = np.concatenate([absent, absent * (1.0 - p)])
    # np.concatenate doubles with the newest parent as the most significant bit; reorder so that the
    # first parent is the slowest-changing one, as pgmpy expects.
    k = len(strengths)
    if k:
        absent = absent.reshape((2,) * k).transpose(tuple(range(k - 1, -1, -1))).reshape(-1)
    return np.vstack([absent, 1.0 - absent])


def to_pgmpy(
    model: Model, *, max_table_parents: int | None = DEFAULT_MAX_TABLE_PARENTS
) -> DiscreteBayesianNetwork:
    """Build the exact pgmpy network of ``model`` (see the module docstring for large nodes).

    Parameters
    ----------
    model : Model
    max_table_parents : int or None
        Nodes with more parents are divorced into a chain of auxiliary OR nodes; ``None`` always
        writes full tables.

    Examples
    --------
    >>> from toeprob import load_model
    >>> net = load_model().to_pgmpy()
    >>> net.check_model()
    True
    """
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    if max_table_parents is not None and max_table_parents < 2:
        raise ValueError(f"max_table_parents must be None or at least 2, got {max_table_parents}.")
    net = DiscreteBayesianNetwork()
    net.add_nodes_from([*model.risk_factors, *model.causes, *model.findings])
    cpds = []
    for rid, rf in model.risk_factor_specs.items():
        cpds.append(TabularCPD(rid, 2, [[1.0 - rf.prevalence], [rf.prevalence]], state_names={rid: STATES}))
    nodes = [(cid, model.cause_specs[cid].leak) for cid in model.causes]
    nodes += [(fid, model.finding_specs[fid].leak) for fid in model.findings]
    for node, leak in nodes:
        links = model.links_to(node)
        parents = [lk.parent for lk in links]
        strengths = [lk.probability for lk in links]
        limit = len(parents) if max_table_parents is None else max_table_parents
        chain: list[tuple[str, list[str], list[float], float]] = []
        if len(parents) <= limit:
            chain.append((node, parents, strengths, leak))
        else:
            # first link: `limit` real parents and the leak; next links: previous link + limit-1
            first, rest = parents[:limit], parents[limit:]
            chain.append((f"{node}__or1", first, strengths[:limit], leak))
            rest_p = strengths[limit:]
            step = limit - 1
            for k, start in enumerate(range(0, len(rest), step), start=2):
                last = start + step >= len(rest)
                name = node if last else f"{node}__or{k}"
                prev = chain[-1][0]
                chain.append(
                    (
                        name,
                        [prev, *rest[start : start + step]],
                        [1.0, *rest_p[start : start + step]],
                        0.0,
                    )
                )
        for name, pars, probs, lk in chain:
            if name != node:
                net.add_node(name)
            net.add_edges_from((p, name) for p in pars)
            table = noisy_or_table(lk, probs)
            cpds.append(
                TabularCPD(
                    name,
                    2,
                    table,
                    evidence=pars or None,
                    evidence_card=[2] * len(pars) or None,
                    state_names={name: STATES, **{p: STATES for p in pars}},
                )
            )
    net.add_cpds(*cpds)
    return net
