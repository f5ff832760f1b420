"""The cost of ``Diagnosis.uncertainty()`` against single ``rank_causes`` calls, on case-shaped rows.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/bench_uncertainty.py [--rows 20]``

Target (issue "How sure is it?"): 1,000 draws cost at most 100 single ``rank_causes`` calls. For each
case-shaped row (evidence drawn from the shipped case sets, some answers dropped, as in
``bench_engine.py``), interleaved: 100 ``rank_causes`` calls on the row (their total, and 100 times
the fastest call), then ``uncertainty(draws=1000)`` on its diagnosis, once, and the ratios. Then, for
the same rows, where the uncertainty's time goes: drawing the parameters and building their arrays,
compiling the 1,000 variants together, and the exact posteriors of the evidence row and of the urgency
rule's world rows under every variant, with the urgency of every draw (pairs of row and variant per
second); and the cost of
``sensitivity(top cause)`` (every parameter one word down and up). One run; ratios, not seconds, are
the figures to compare across machines.
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
from toeprob.inference.variants import VariantEngine, compile_parameter_variants
from toeprob.reasoning.uncertainty import _basis, _urgency_rows, draw_urgency


def _evidence(names: tuple[str, ...], states: np.ndarray) -> dict[str, bool]:
    return {names[j]: bool(states[j]) for j in np.flatnonzero(states >= 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=100, help="rank_causes calls to compare with")
    args = parser.parse_args()
    model = toeprob.load_model()
    reasoner = toeprob.Reasoner.for_model(model)
    cm = compile_model(model)
    fs, rs = case_rows(cm, args.rows, seed=1)
    cases = [_evidence(cm.findings, f) | _evidence(cm.risk_factors, r) for f, r in zip(fs, rs, strict=True)]
    first = toeprob.rank_causes(cases[0])
    first.uncertainty(draws=10, seed=0)  # builds the model's parameters once
    first.sensitivity(first.top.cause)
    total_ratio, best_ratio, sens_calls = [], [], []
    stages = {"draw": [], "compile": [], "infer": [], "pairs/s": []}
    params, base = _basis(reasoner)
    for i, case in enumerate(cases):
        calls = []
        for _ in range(args.calls):
            t = time.perf_counter()
            d = toeprob.rank_causes(case)
            calls.append(time.perf_counter() - t)
        t = time.perf_counter()
        u = d.uncertainty(draws=args.draws, seed=i)
        t_unc = time.perf_counter() - t
        t = time.perf_counter()
        d.sensitivity(d.top.cause)
        t_sens = time.perf_counter() - t
        # the stages of the same computation, timed one by one
        t0 = time.perf_counter()
        ev = d.parsed
        assert ev is not None
        unique, _, _ = _urgency_rows(reasoner.urgency_policy, ev)
        relevant = params.relevant((unique >= 0).any(axis=0))
        arrays = params.links(params.sample(args.draws, np.random.default_rng(i), relevant), relevant)
        t1 = time.perf_counter()
        engine = VariantEngine(compile_parameter_variants(base, arrays))
        t2 = time.perf_counter()
        draw_urgency(reasoner.urgency_policy, ev, engine)
        t3 = time.perf_counter()
        stages["draw"].append(t1 - t0)
        stages["compile"].append(t2 - t1)
        stages["infer"].append(t3 - t2)
        stages["pairs/s"].append(len(unique) * args.draws / (t3 - t2))
        total_ratio.append(t_unc / sum(calls))
        best_ratio.append(t_unc / (args.calls * min(calls)))
        sens_calls.append(t_sens / statistics.median(calls))
        print(
            f"row {i:>2}: {len(d.evidence):>2} answers, {len(unique)} distinct rows, top "
            f"{d.top.cause:<26} first in {u.top.share_first:>4.0%}  {args.calls} rank_causes "
            f"{1e3 * sum(calls):6.0f} ms (fastest {1e3 * min(calls):5.2f} ms)  uncertainty "
            f"{1e3 * t_unc:6.0f} ms  ratios {t_unc / sum(calls):.2f} / {best_ratio[-1]:.2f}"
        )
    med = statistics.median
    print(f"model: {model!r}; {args.rows} case-shaped rows, interleaved; {args.draws} draws")
    print(
        f"uncertainty / {args.calls} rank_causes (their total): median {med(total_ratio):.2f}, max "
        f"{max(total_ratio):.2f}; within the target (<= 1): {sum(r <= 1 for r in total_ratio)}/{args.rows}"
    )
    print(
        f"uncertainty / ({args.calls} x the fastest rank_causes): median {med(best_ratio):.2f}, max "
        f"{max(best_ratio):.2f}; within: {sum(r <= 1 for r in best_ratio)}/{args.rows}"
    )
    print(
        f"where the time goes (medians): drawing {1e3 * med(stages['draw']):.0f} ms, compiling the variants "
        f"{1e3 * med(stages['compile']):.0f} ms, exact posteriors {1e3 * med(stages['infer']):.0f} ms "
        f"({med(stages['pairs/s']):,.0f} row-variant pairs/s)"
    )
    print(
        f"sensitivity (every parameter one word down and up) = median {med(sens_calls):.0f} rank_causes calls"
    )


if __name__ == "__main__":
    main()
