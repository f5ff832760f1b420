"""Reference inference through pgmpy's exact variable elimination (slow; used to check the engine).

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

import warnings

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import ImpossibleEvidenceError
from toeprob.model import Model

__all__ = ["PgmpyEngine"]


class PgmpyEngine:
    """Exact posteriors from ``pgmpy.inference.VariableElimination``, one query per cause.

    The interface matches the fast engine's: states are int8 arrays in model order with
    ``-1`` unknown, ``0`` absent and ``1`` present.
    """

    def __init__(self, model: Model) -> None:
        with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
            warnings.simplefilter("ignore", FutureWarning)
            from pgmpy.inference import VariableElimination

        self.model = model
        self.network = model.to_pgmpy()
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
        self, finding_states: NDArray[np.int8], rf_states: NDArray[np.int8]
    ) -> NDArray[np.float64]:
        """Row-by-row :meth:`posterior` (pgmpy has no batch mode)."""
        return np.array([self.posterior(f, r) for f, r in zip(finding_states, rf_states, strict=True)])
