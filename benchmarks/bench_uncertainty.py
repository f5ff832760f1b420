"""The cost of ``Diagnosis.uncertainty()`` against single ``rank_causes`` calls, on case-shaped rows.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/bench_uncertainty.py [--rows 20]``

Target (issue "How sure is it?"): 1,000 draws cost at most 100 single ``rank_causes`` calls. For each
case-shaped row (evidence drawn from the shipped case sets, some answers dropped, as in
``bench_engine.py``), interleaved: the time of 100 ``rank_causes`` calls on the row, then of
``uncertainty(draws=1000)`` on its diagnosis (every draw: sampling, the variants compiled together, the
exact posterior of the evidence and of the urgency rule's worlds, the summary), and their ratio. It
also times ``sensitivity(top cause)`` (every parameter one word down and up: about 900 models) and
prints the share of the uncertainty time spent where. One run; ratios, not seconds, are the figures to
compare across machines.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import time

import numpy as np
from bench_engine import case_rows

import toeprob
from toeprob.inference.compiled import compile_model


def _evidence(names: tuple[str, ...], states: np.ndarray) -> dict[str, bool]:
    return {names[j]: bool(states[j]) for j in np.flatnonzero(states >= 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100, help="rank_causes calls to compare with")
    args = parser.parse_args()
    model = toeprob.load_model()
    cm = compile_model(model)
    fs, rs = case_rows(cm, args.rows, seed=1)
    cases = [_evidence(cm.findings, f) | _evidence(cm.risk_factors, r) for f, r in zip(fs, rs, strict=True)]
    first = toeprob.rank_causes(cases[0])
    first.uncertainty(draws=10, seed=0)  # builds the model's parameters and compiled structure once
    first.sensitivity(first.top.cause)
    ratios, sens_ratios = [], []
    for i, case in enumerate(cases):
        t = time.perf_counter()
        for _ in range(args.calls):
            d = toeprob.rank_causes(case)
        t_rank = time.perf_counter() - t
        t = time.perf_counter()
        u = d.uncertainty(draws=args.draws, seed=i)
        t_unc = time.perf_counter() - t
        t = time.perf_counter()
        d.sensitivity(d.top.cause)
        t_sens = time.perf_counter() - t
        ratios.append(t_unc / t_rank)
        sens_ratios.append(t_sens / (t_rank / args.calls))
        print(
            f"row {i:>2}: {len(d.evidence):>2} answers, top {d.top.cause:<26} "
            f"first in {u.top.share_first:>4.0%}  {args.calls} rank_causes {1e3 * t_rank:7.1f} ms  "
            f"uncertainty({args.draws}) {1e3 * t_unc:7.1f} ms  ratio {t_unc / t_rank:.2f}  "
            f"sensitivity {1e3 * t_sens:6.1f} ms"
        )
    print(f"model: {model!r}; {args.rows} case-shaped rows, interleaved")
    within = sum(r <= 1 for r in ratios)
    print(
        f"uncertainty({args.draws} draws) / {args.calls} rank_causes: median "
        f"{statistics.median(ratios):.2f}, max {max(ratios):.2f} (target <= 1); "
        f"rows within target: {within}/{len(ratios)}"
    )
    print(
        f"sensitivity (every parameter one word down and up) = median {statistics.median(sens_ratios):.0f} "
        f"rank_causes calls (max {max(sens_ratios):.0f})"
    )


if __name__ == "__main__":
    main()
