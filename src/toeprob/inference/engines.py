"""The engine protocol and the one place where inference backends are registered.

An engine answers exact queries on state arrays in model order (``-1`` unknown, ``0`` absent,
``1`` present): the posterior of every cause and the log-probability of the evidence, for one row
or a batch of rows. Two backends are registered: ``"fast"``, toeprob's compiled exact engine
(:class:`~toeprob.inference.exact.ExactEngine`), and ``"pgmpy"``, pgmpy's variable elimination
(:class:`~toeprob.inference.pgmpy_bridge.PgmpyEngine`), the slow reference the fast one is checked
against. :func:`create_engine` builds one; a :class:`~toeprob.Reasoner` keeps the engines of its
model.

Examples
--------
>>> import numpy as np
>>> from toeprob import load_model
>>> model = load_model()
>>> engine = create_engine(model, "fast")
>>> fs = np.full(len(model.findings), -1, dtype=np.int8)
>>> rs = np.full(len(model.risk_factors), -1, dtype=np.int8)
>>> round(float(engine.log_evidence(fs, rs)), 12)
0.0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.budget import Budget
from toeprob.inference.compiled import compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.pgmpy_bridge import PgmpyEngine
from toeprob.knowledge.model import Model, resolve_model
from toeprob.validation import ENGINE_NAMES, check_engine, check_type

__all__ = ["BACKENDS", "ENGINE_NAMES", "EngineName", "PosteriorEngine", "create_engine"]

EngineName = Literal["fast", "pgmpy"]


class PosteriorEngine(Protocol):
    """What every inference engine offers: exact posteriors and evidence probabilities.

    States are int8 arrays in model order: ``finding_state`` (findings) and ``rf_state`` (risk
    factors) with ``-1`` unknown, ``0`` absent and ``1`` present; batches stack rows.
    """

    def posterior(self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]) -> NDArray[np.float64]:
        """``P(cause present | evidence)`` for every cause, in model order."""
        ...

    def posterior_batch(
        self,
        finding_states: NDArray[np.int8],
        rf_states: NDArray[np.int8],
        *,
        groups: NDArray[np.int_] | None = None,
    ) -> NDArray[np.float64]:
        """:meth:`posterior` of every row: an array (rows, causes).

        ``groups`` (rows,) may label families of rows that differ in a few findings (the urgency
        rule's worlds of one case): an engine may then share work within a family, each row's
        result depending on its family at most within rounding; an engine may ignore it.
        """
        ...

    def log_evidence(self, finding_state: NDArray[np.int8], rf_state: NDArray[np.int8]) -> float:
        """``log P(evidence)`` (``-inf`` for impossible evidence)."""
        ...

    def log_evidence_batch(
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> NDArray[np.float64]:
        """:meth:`log_evidence` of every row."""
        ...


def _fast(model: Model, budget: Budget | None) -> PosteriorEngine:
    return ExactEngine(compile_model(model, budget=budget), budget=budget)


def _pgmpy(model: Model, budget: Budget | None) -> PosteriorEngine:
    return PgmpyEngine(model)


#: The inference backends, by name: a function (model, budget) -> engine.
BACKENDS: dict[str, Callable[[Model, Budget | None], PosteriorEngine]] = {"fast": _fast, "pgmpy": _pgmpy}
assert tuple(BACKENDS) == ENGINE_NAMES


def create_engine(model: Model, engine: str = "fast", *, budget: Budget | None = None) -> PosteriorEngine:
    """Build the engine named ``engine`` (``"fast"`` or ``"pgmpy"``) for ``model``.

    ``budget`` (:class:`~toeprob.Budget`) bounds the fast engine's memory and work (default
    :data:`~toeprob.inference.budget.DEFAULT_BUDGET`); a model or query beyond it raises
    :class:`~toeprob.errors.CostLimitError` before anything large is allocated. Each call compiles
    anew: use :meth:`toeprob.Reasoner.for_model` (``.engine``) to share one.
    """
    check_engine(engine, "create_engine")
    model = resolve_model(model, "create_engine")
    check_type(budget, "budget", "create_engine", (Budget, type(None)), "a toeprob.Budget or None")
    return BACKENDS[engine](model, budget)
