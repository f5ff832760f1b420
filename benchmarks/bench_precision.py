"""Error of the Quickscore path against its cancellation ratio, float64 and extended precision.

For realistic rows of the default model whose inclusion-exclusion ratio ``sum |terms| / P(E)`` is
at least 1e3, compare the posteriors of ``quickscore_rows`` (float64 and ``np.longdouble``, whatever
the acceptance limits) with plain variable elimination (non-negative numbers only), and print the
largest ``error / ratio`` of each: the constants behind ``CANCELLATION_LIMIT`` and
``PRECISE_LIMIT`` in ``toeprob/quickscore.py``.

Run::

    uv run python benchmarks/bench_precision.py    # about two minutes on 2 cores
"""

from __future__ import annotations

import numpy as np

from toeprob import load_model
from toeprob.inference.compiled import compile_model
from toeprob.inference.elimination import eliminate
from toeprob.inference.quickscore import CANCELLATION_LIMIT, quickscore_rows
from toeprob.inference.synthetic import sample_evidence


def main(n_rows: int = 3000, per_m: int = 60, seed: int = 11) -> None:
    cm = compile_model(load_model())
    fs, rs = sample_evidence(cm, n_rows, seed=seed)
    multi = (fs == 1) & (cm.finding_parent_count >= 2)
    m = multi.sum(axis=1)
    worst = {"float64": 0.0, "longdouble": 0.0}
    accepted_error, checked = 0.0, 0
    for k in range(3, 10):
        rows = np.flatnonzero(m == k)[:per_m]
        if len(rows) == 0:
            continue
        present = np.nonzero(multi[rows])[1].reshape(len(rows), k)
        p64, _, c64 = quickscore_rows(cm, fs[rows], rs[rows], present)
        pld, _, cld = quickscore_rows(cm, fs[rows], rs[rows], present, precise=True)
        for i, row in enumerate(rows):
            if c64[i] < 1e3 and cld[i] < 1e3:
                continue
            reference, _ = eliminate(cm, fs[row], rs[row], hubs=False)
            checked += 1
            for name, post, ratio in (("float64", p64[i], c64[i]), ("longdouble", pld[i], cld[i])):
                if np.isfinite(ratio):
                    worst[name] = max(worst[name], float(np.abs(post - reference).max()) / ratio)
            if c64[i] <= CANCELLATION_LIMIT:
                accepted_error = max(accepted_error, float(np.abs(p64[i] - reference).max()))
    print(f"rows with ratio >= 1e3: {checked}")
    print(f"max error / ratio: float64 {worst['float64']:.2e}, longdouble {worst['longdouble']:.2e}")
    print(f"max error on rows float64 accepts (ratio <= {CANCELLATION_LIMIT:g}): {accepted_error:.2e}")


if __name__ == "__main__":
    main()
