"""What users call, side by side with pyAgrum: ``rank_causes`` per case and ``rank_batch`` throughput.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/bench_public.py [--rows 200]``

Rows are case-shaped (evidence drawn from the shipped case sets, some answers dropped, as in
``bench_engine.py``). For each row, interleaved, the script times ``toeprob.rank_causes`` (ranking,
urgency and reasons) and pyAgrum's LazyPropagation computing the cause posteriors alone; it prints the
median of each and their ratio. It then times ``toeprob.rank_batch`` (urgency included) on the same
rows, against pyAgrum's one-by-one rate (total rows over total time), and on ``--batch`` rows.
One run; ratios, not seconds, are the figures to compare across machines.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import statistics
import time

import numpy as np
from bench_engine import AgrumEngine, case_rows

import toeprob
from toeprob.inference.compiled import compile_model


def _evidence(names: tuple[str, ...], states: np.ndarray) -> dict[str, bool]:
    return {names[j]: bool(states[j]) for j in np.flatnonzero(states >= 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5000)
    args = parser.parse_args()
    model = toeprob.load_model()
    cm = compile_model(model)
    agrum = AgrumEngine(cm)
    fs, rs = case_rows(cm, max(args.rows, args.batch))
    cases = [_evidence(cm.findings, f) | _evidence(cm.risk_factors, r) for f, r in zip(fs, rs, strict=True)]
    toeprob.rank_causes(cases[0])
    agrum.posterior(fs[0], rs[0])
    t_rank, t_agrum, diff = [], [], 0.0
    for i in range(args.rows):
        t = time.perf_counter()
        d = toeprob.rank_causes(cases[i])
        t_rank.append(time.perf_counter() - t)
        t = time.perf_counter()
        post = agrum.posterior(fs[i], rs[i])
        t_agrum.append(time.perf_counter() - t)
        ours = np.array([d.probability(c) for c in cm.causes])
        diff = max(diff, float(np.abs(ours - post).max()))
    rank_ms, agrum_ms = 1e3 * statistics.median(t_rank), 1e3 * statistics.median(t_agrum)
    print(f"model: {model!r}; {args.rows} case-shaped rows, interleaved, medians")
    print(
        f"rank_causes {rank_ms:.2f} ms   pyAgrum posteriors {agrum_ms:.2f} ms   "
        f"rank_causes is {agrum_ms / rank_ms:.1f}x pyAgrum; max |difference| {diff:.1e}"
    )
    toeprob.rank_batch(cases[:100])
    t = time.perf_counter()
    toeprob.rank_batch(cases[: args.rows])
    same_rate = args.rows / (time.perf_counter() - t)
    agrum_rate = len(t_agrum) / sum(t_agrum)
    print(
        f"rank_batch {same_rate:,.0f} rows/s on the same {args.rows} rows (urgency included)   "
        f"pyAgrum one by one {agrum_rate:,.0f} rows/s   ratio {same_rate / agrum_rate:.1f}x"
    )
    t = time.perf_counter()
    toeprob.rank_batch(cases[: args.batch])
    print(f"rank_batch {args.batch / (time.perf_counter() - t):,.0f} rows/s on {args.batch} rows")


if __name__ == "__main__":
    main()
