"""What users call, side by side with pyAgrum and with toeprob's own engine, in one run.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/bench_public.py``
(options: ``--rows 200 --batch 5000 --questions 50 --synthetic 30``; about three minutes;
``--only synthetic`` (or ``rank``, ``batch``, ``questions``, ``first-call``, several separated by
commas) runs those parts alone).

Rows are case-shaped (evidence drawn from the shipped case sets, some answers dropped, as in
``bench_engine.py``). One process, one core (BLAS threads set to 1), and in order:

1. **rank_causes**: for each row, interleaved, ``toeprob.rank_causes`` (ranking, urgency and its
   reasons), one engine pass (``ExactEngine.posterior`` of the row alone) and pyAgrum's
   LazyPropagation computing the cause posteriors alone; medians over all rows and over the rows
   without a red flag present (those need no world beyond the two lowest), and their ratios.
2. **rank_batch** with urgency, on ``--batch`` rows given as a list of mappings and as a
   DataFrame, beside ``posterior_batch`` alone on the same rows and pyAgrum's one-by-one rate
   (rows over its total time in part 1).
3. **suggest_questions** (five questions ranked) against one ``rank_causes``, interleaved, on the
   first ``--questions`` rows.
4. **Synthetic 160-cause network** (``toeprob.inference.synthetic``, seed 0; evidence sampled from
   the network, seed 1, as in ``bench_engine.py``): ``ExactEngine.posterior`` against pyAgrum,
   interleaved, medians, with the share of rows answered by elimination.
5. **First call of the compiled Quickscore program** (:mod:`toeprob.inference.quickscore_kernel`),
   in fresh processes: with an empty numba cache (compilation) and with the cache it left.

Ratios, not seconds, are the figures to compare across machines.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_engine import AgrumEngine, case_rows  # noqa: E402

import toeprob  # noqa: E402
from toeprob.inference.compiled import compile_model  # noqa: E402
from toeprob.inference.exact import ExactEngine  # noqa: E402
from toeprob.inference.synthetic import sample_evidence, synthetic_model  # noqa: E402

PARTS = ("rank", "batch", "questions", "synthetic", "first-call")

FIRST_CALL = """
import time
import numpy as np
from toeprob import load_model
from toeprob.inference.compiled import compile_model
from toeprob.inference.exact import ExactEngine
engine = ExactEngine(compile_model(load_model()))
fs = np.full(len(engine.compiled.findings), -1, np.int8)
rs = np.full(len(engine.compiled.risk_factors), -1, np.int8)
t = time.perf_counter()
engine.posterior(fs, rs)
first = time.perf_counter() - t
t = time.perf_counter()
engine.posterior(fs, rs)
print(first, time.perf_counter() - t)
"""


def _evidence(names: tuple[str, ...], states: np.ndarray) -> dict[str, bool]:
    return {names[j]: bool(states[j]) for j in np.flatnonzero(states >= 0)}


def _ms(values: list[float]) -> float:
    return 1e3 * statistics.median(values)


def rank_causes_part(model, cm, agrum, fs, rs, cases, n_rows: int) -> list[float]:
    engine = ExactEngine(cm)
    red = np.array([model.findings.index(f) for f in model.red_flags])
    toeprob.rank_causes(cases[0])
    engine.posterior(fs[0], rs[0])
    agrum.posterior(fs[0], rs[0])
    t_rank, t_engine, t_agrum, diff = [], [], [], 0.0
    for i in range(n_rows):
        t = time.perf_counter()
        d = toeprob.rank_causes(cases[i])
        t_rank.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.posterior(fs[i], rs[i])
        t_engine.append(time.perf_counter() - t)
        t = time.perf_counter()
        post = agrum.posterior(fs[i], rs[i])
        t_agrum.append(time.perf_counter() - t)
        ours = np.array([d.probability(c) for c in cm.causes])
        diff = max(diff, float(np.abs(ours - post).max()))
    quiet = [i for i in range(n_rows) if not (fs[i, red] == 1).any()]
    print(f"model: {model!r}; {n_rows} case-shaped rows, interleaved, medians; max |difference| {diff:.1e}")
    print("1. rank_causes (ranking + urgency) / one engine pass / pyAgrum posteriors")
    head = f"{'rank_causes':>12} {'engine':>9} {'pyAgrum':>9} {'x pyAgrum':>10} {'/ engine':>9}"
    print(f"   {'rows':<24} {head}")
    for label, rows in (("all", list(range(n_rows))), ("no red flag present", quiet)):
        r, e, a = (_ms([ts[i] for i in rows]) for ts in (t_rank, t_engine, t_agrum))
        print(
            f"   {label + f' ({len(rows)})':<24} {r:>9.2f} ms {e:>6.2f} ms {a:>6.2f} ms {a / r:>9.1f}x "
            f"{r / e:>8.2f}x"
        )
    return t_agrum


def rank_batch_part(cm, fs, rs, cases, n_batch: int, t_agrum: list[float]) -> None:
    import pandas as pd

    engine = ExactEngine(cm)
    frame = pd.DataFrame(cases[:n_batch]).astype("boolean")
    toeprob.rank_batch(cases[:100])
    engine.posterior_batch(fs[:100], rs[:100])
    t = time.perf_counter()
    toeprob.rank_batch(cases[:n_batch])
    dicts = n_batch / (time.perf_counter() - t)
    t = time.perf_counter()
    toeprob.rank_batch(frame)
    framed = n_batch / (time.perf_counter() - t)
    t = time.perf_counter()
    engine.posterior_batch(fs[:n_batch], rs[:n_batch])
    alone = n_batch / (time.perf_counter() - t)
    agrum = len(t_agrum) / sum(t_agrum)
    print(f"2. rank_batch with urgency, {n_batch} rows (rows/s)")
    print(
        f"   rank_batch, mappings {dicts:,.0f}   rank_batch, DataFrame {framed:,.0f}   "
        f"posterior_batch alone {alone:,.0f}   pyAgrum one by one {agrum:,.0f}   "
        f"rank_batch (DataFrame) is {framed / agrum:,.0f}x pyAgrum"
    )


def questions_part(cases, n_rows: int) -> None:
    toeprob.suggest_questions(cases[0])
    t_q, t_r = [], []
    for i in range(n_rows):
        t = time.perf_counter()
        toeprob.suggest_questions(cases[i])
        t_q.append(time.perf_counter() - t)
        t = time.perf_counter()
        toeprob.rank_causes(cases[i])
        t_r.append(time.perf_counter() - t)
    q, r = _ms(t_q), _ms(t_r)
    print(
        f"3. suggest_questions {q:.2f} ms   rank_causes {r:.2f} ms   ratio {q / r:.2f} "
        f"({n_rows} rows, medians)"
    )


def synthetic_part(n_rows: int) -> None:
    cm = compile_model(synthetic_model(160))
    engine, agrum = ExactEngine(cm), AgrumEngine(cm)
    fs, rs = sample_evidence(cm, n_rows, seed=1)
    engine.posterior(fs[0], rs[0])
    agrum.posterior(fs[0], rs[0])
    t_e, t_a, diff = [], [], 0.0
    for i in range(n_rows):
        t = time.perf_counter()
        ours = engine.posterior(fs[i], rs[i])
        t_e.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = agrum.posterior(fs[i], rs[i])
        t_a.append(time.perf_counter() - t)
        diff = max(diff, float(np.abs(ours - theirs).max()))
    fallback = np.mean([engine.uses_fallback(fs[i], rs[i]) for i in range(n_rows)])
    m = ((fs == 1) & (cm.finding_parent_count >= 2)).sum(axis=1)
    e, a = _ms(t_e), _ms(t_a)
    print(
        f"4. synthetic 160 causes ({n_rows} rows, mean m {m.mean():.1f}, elimination {fallback:.0%}): "
        f"engine {e:.1f} ms   pyAgrum {a:.1f} ms   {a / e:.2f}x pyAgrum; max |difference| {diff:.1e}"
    )


def first_call_part() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = []
        for _ in range(2):  # the first compiles into the empty cache, the second loads it
            out = subprocess.run(
                [sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True, check=True
            )
            runs.append([float(x) for x in out.stdout.split()])
    (compile_s, warm), (load_s, _) = runs
    print(
        f"5. first engine call in a fresh process: {compile_s:.1f} s with an empty numba cache "
        f"(compilation), {load_s:.2f} s with the cache; then {1e3 * warm:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--synthetic", type=int, default=30)
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"the parts to run, separated by commas, from {', '.join(PARTS)} (default: all)",
    )
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"--only: unknown parts {unknown}; choose from {', '.join(PARTS)}")
    if {"rank", "batch", "questions"} & set(parts):
        model = toeprob.load_model()
        cm = compile_model(model)
        fs, rs = case_rows(cm, max(args.rows, args.batch))
        pairs = zip(fs, rs, strict=True)
        cases = [_evidence(cm.findings, f) | _evidence(cm.risk_factors, r) for f, r in pairs]
    if "rank" in parts or "batch" in parts:
        # part 2 takes pyAgrum's one-by-one rate from part 1's timings
        t_agrum = rank_causes_part(model, cm, AgrumEngine(cm), fs, rs, cases, args.rows)
    if "batch" in parts:
        rank_batch_part(cm, fs, rs, cases, args.batch, t_agrum)
    if "questions" in parts:
        questions_part(cases, args.questions)
    if "synthetic" in parts:
        synthetic_part(args.synthetic)
    if "first-call" in parts:
        first_call_part()


if __name__ == "__main__":
    main()
