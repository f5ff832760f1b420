"""The one place that knows pgmpy's API: export a :class:`~toeprob.knowledge.model.Model` to pgmpy.

Noisy-OR nodes are expanded to full conditional probability tables here and only here. A node with
many parents would need a table of ``2 ** k`` columns (a finding such as ``cramp`` has a score of
causes), so nodes with more than ``max_table_parents`` parents are written exactly as a chain of
auxiliary OR nodes (*parent divorcing*): ``or__X__1`` takes the first parents with the node's leak,
each next link (``or__X__2``, ...) takes the previous one (deterministically) plus further parents,
and the last link is the node itself. Every auxiliary node is binary with the states
``("absent", "present")``, and the marginal distribution of the model's own nodes is exactly the
noisy-OR model's. There are no separate leak nodes: a node's leak is the column of its table where
every parent is absent.

Every node carries a ``role`` attribute (``risk_factor``, ``cause``, ``finding`` or ``or_chain``),
which the BIF and XMLBIF writers store as a property, and the network is named after the model.
:func:`write_bif` and :func:`write_xmlbif` write the network with pgmpy's writers;
:class:`PgmpyEngine` answers queries with pgmpy's exact variable elimination (the slow reference the
fast engine is checked against).

Examples
--------
>>> import numpy as np
>>> from toeprob import load_model
>>> model = load_model()
>>> ref = PgmpyEngine(model)
>>> fs = np.full(len(model.findings), -1, dtype=np.int8)
>>> rs = np.full(len(model.risk_factors), -1, dtype=np.int8)
>>> post = ref.posterior(fs, rs)
>>> bool(np.allclose(post, [model.cause_specs[c].prior for c in model.causes]))
True
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from toeprob import registry
from toeprob.errors import ImpossibleEvidenceError
from toeprob.knowledge.model import Model
from toeprob.validation import check_parameter, int_at_least, optional

if TYPE_CHECKING:
    from pgmpy.models import DiscreteBayesianNetwork


__all__ = [
    "STATES",
    "PgmpyEngine",
    "network_name",
    "noisy_or_table",
    "or_node_name",
    "to_pgmpy",
    "write_bif",
    "write_xmlbif",
]

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


def or_node_name(node: str, k: int) -> str:
    """The name of the ``k``-th auxiliary OR node of ``node``'s chain (from 1).

    Examples
    --------
    >>> or_node_name("cramp", 3)
    'or__cramp__3'
    """
    return f"or__{node}__{k}"


def network_name(model: Model) -> str:
    """The model's name as a network name that BIF readers accept (letters, digits, ``_``, ``-``).

    Examples
    --------
    >>> from toeprob import load_model
    >>> network_name(load_model())
    'default'
    """
    return re.sub(r"[^\w-]+", "_", model.name.strip()) or "toeprob"


@registry.register("to_pgmpy", Model)
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
    check_parameter(max_table_parents, optional(int_at_least(2)), name="max_table_parents", owner="to_pgmpy")
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.models import DiscreteBayesianNetwork

    net = DiscreteBayesianNetwork()
    net.name = network_name(model)
    net.add_nodes_from(model.risk_factors, role="risk_factor")
    net.add_nodes_from(model.causes, role="cause")
    net.add_nodes_from(model.findings, role="finding")
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
            chain.append((or_node_name(node, 1), first, strengths[:limit], leak))
            rest_p = strengths[limit:]
            step = limit - 1
            for k, start in enumerate(range(0, len(rest), step), start=2):
                last = start + step >= len(rest)
                name = node if last else or_node_name(node, k)
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
                if name in net:
                    raise ValueError(
                        f"model {model.name!r}: the auxiliary node {name!r} of {node!r} has the name "
                        "of a node of the model; rename that node."
                    )
                net.add_node(name, role="or_chain")
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


@registry.register("write_bif", Model)
def write_bif(
    model: Model, path: str | Path, *, max_table_parents: int | None = DEFAULT_MAX_TABLE_PARENTS
) -> None:
    """Write ``model`` as a BIF file with ``pgmpy.readwrite.BIFWriter`` (probabilities unrounded).

    Parameters
    ----------
    model : Model
    path : str or Path
        The file to write; an existing file is replaced.
    max_table_parents : int or None
        As for :func:`to_pgmpy`: nodes with more parents become a chain of ``or__...`` nodes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from toeprob import load_model
    >>> path = Path(tempfile.mkdtemp()) / "toeprob.bif"
    >>> write_bif(load_model(), path)
    >>> text = path.read_text()
    >>> text.splitlines()[0], "variable or__cramp__1 {" in text, "property role = or_chain ;" in text
    ('network default {', True, True)
    """
    from pgmpy.readwrite import BIFWriter

    net = to_pgmpy(model, max_table_parents=max_table_parents)
    with warnings.catch_warnings():  # pgmpy's own deprecation notices
        warnings.simplefilter("ignore", FutureWarning)
        BIFWriter(net).write(str(path))


@registry.register("write_xmlbif", Model)
def write_xmlbif(
    model: Model, path: str | Path, *, max_table_parents: int | None = DEFAULT_MAX_TABLE_PARENTS
) -> None:
    """Write ``model`` as an XMLBIF file with ``pgmpy.readwrite.XMLBIFWriter`` (probabilities unrounded).

    Parameters
    ----------
    model : Model
    path : str or Path
        The file to write; an existing file is replaced.
    max_table_parents : int or None
        As for :func:`to_pgmpy`: nodes with more parents become a chain of ``or__...`` nodes.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from pgmpy.readwrite import XMLBIFReader
    >>> from toeprob import load_model
    >>> path = Path(tempfile.mkdtemp()) / "toeprob.xml"
    >>> write_xmlbif(load_model(), path)
    >>> XMLBIFReader(path).get_property()["or__cramp__1"]
    ['role = or_chain']
    """
    from pgmpy.readwrite import XMLBIFWriter

    net = to_pgmpy(model, max_table_parents=max_table_parents)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        XMLBIFWriter(net).write(str(path))


class PgmpyEngine:
    """Exact posteriors and evidence probabilities from ``pgmpy.inference.VariableElimination``.

    One query per cause for a posterior; one per observed variable for ``log P(evidence)``.

    The interface matches the fast engine's: states are int8 arrays in model order with
    ``-1`` unknown, ``0`` absent and ``1`` present.
    """

    def __init__(self, model: Model) -> None:
        with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
            warnings.simplefilter("ignore", FutureWarning)
            from pgmpy.inference import VariableElimination

        self.model = model
        self.network = to_pgmpy(model)
        self._inference = VariableElimination(self.network)

    def _evidence(self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]) -> dict[str, str]:
        ev: dict[str, str] = {}
        for ids, states in (
            (self.model.findings, finding_state),
            (self.model.risk_factors, rf_state),
        ):
            for ident, s in zip(ids, states, strict=True):
                if s >= 0:
                    ev[ident] = "present" if s == 1 else "absent"
        return ev

    def posterior(self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]) -> NDArray[np.float64]:
        """P(cause present | evidence) for every cause, in model order."""
        evidence = self._evidence(finding_state, rf_state)
        out = np.empty(len(self.model.causes))
        for i, cause in enumerate(self.model.causes):
            factor = self._inference.query(variables=[cause], evidence=evidence, show_progress=False)
            values = np.asarray(factor.values, dtype=float)
            if not np.all(np.isfinite(values)):
                raise ImpossibleEvidenceError("pgmpy found the evidence impossible under the model.")
            out[i] = values[list(factor.state_names[cause]).index("present")]
        return out

    def posterior_batch(
        self,
        finding_states: NDArray[np.int8],
        rf_states: NDArray[np.int8],
        *,
        groups: NDArray[np.int_] | None = None,
    ) -> NDArray[np.float64]:
        """Row-by-row :meth:`posterior` (pgmpy has no batch mode; ``groups`` is not needed)."""
        return np.array([self.posterior(f, r) for f, r in zip(finding_states, rf_states, strict=True)])

    def log_evidence(self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]) -> float:
        """``log P(evidence)`` by the chain rule: one pgmpy query per observed variable."""
        evidence = self._evidence(finding_state, rf_state)
        total = 0.0
        known: dict[str, str] = {}
        for name, state in evidence.items():
            factor = self._inference.query(variables=[name], evidence=known or None, show_progress=False)
            values = np.asarray(factor.values, dtype=float)
            if not np.all(np.isfinite(values)):
                return float("-inf")
            p = float(values[list(factor.state_names[name]).index(state)])
            if p <= 0.0:
                return float("-inf")
            total += float(np.log(p))
            known[name] = state
        return total

    def log_evidence_batch(
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> NDArray[np.float64]:
        """Row-by-row :meth:`log_evidence`."""
        return np.array(
            [self.log_evidence(f, r) for f, r in zip(finding_states, rf_states, strict=True)], dtype=float
        )
