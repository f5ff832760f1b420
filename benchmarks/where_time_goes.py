"""Where the time of the public calls goes: CPU time by part of the package, from one profiled run.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/where_time_goes.py``
(options: ``--rows 200 --batch 5000 --questions 50 --synthetic 10``; about two minutes).

For each public call of ``bench_public.py`` on the same case-shaped rows (``rank_causes``,
``rank_batch``, ``suggest_questions``, the 160-cause network's ``ExactEngine.posterior``) this
script reports

* the CPU time per call (or per row) without the profiler, and beside it one engine pass
  (``ExactEngine.posterior`` of the row alone), the yardstick of the architecture targets;
* the same calls under :mod:`cProfile`, with every function's own time charged to a *part*
  (the compiled Quickscore program, the 80-bit retry, the elimination, the engine's bookkeeping,
  the urgency rule, parsing, building the result, ...). Time spent in numpy, scipy or built-in
  functions is charged to the part of the toeprob function that called them, in proportion to
  that caller's share of the calls' time (from the profile's caller table). The profiler's own
  overhead falls mostly on the parts that make many small Python calls, so the table also prints
  the profiled total beside the unprofiled one.

Shares are what to read; seconds move with the machine.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from bench_engine import case_rows  # noqa: E402

import toeprob  # noqa: E402
from toeprob.inference.compiled import compile_model  # noqa: E402
from toeprob.inference.exact import ExactEngine  # noqa: E402
from toeprob.inference.synthetic import sample_evidence, synthetic_model  # noqa: E402


def _in(*files: str) -> Callable[[str], bool]:
    return lambda key: any(f in key for f in files)


_DISPATCH = (":rank", ":rank_causes", ":for_model", ":parse", ":rank_batch", ":suggest_questions")
_ELIMINATION = ("hidden.py", "elimination.py", "ordering.py", "junction_tree.py", "budget.py")

# (part, test on "path:function"), first match wins
PARTS: list[tuple[str, Callable[[str], bool]]] = [
    ("compiled Quickscore program (numba)", _in("quickscore_kernel.py")),
    ("80-bit retry (numpy array program)", _in("quickscore.py:_array_rows")),
    ("risk-factor sums (80-bit retry)", _in("risk_factors.py")),
    ("Quickscore set-up (evidence folding)", _in("quickscore.py")),
    ("compiled elimination (numba: program built and run)", _in("hidden_kernel.py", "ordering_kernel.py")),
    ("elimination planning and set-up", _in(*_ELIMINATION)),
    ("engine bookkeeping (ExactEngine)", _in("inference/exact.py", "inference/engines.py")),
    ("urgency rule (worlds, care levels, reasons)", _in("urgency_rule.py")),
    ("questions and their values", _in("questioning.py", "question_values.py")),
    ("batch: encoding and frame", _in("reasoning/batch.py", "reasoning/tables.py")),
    ("parsing and validation", _in("knowledge/evidence.py", "toeprob/validation.py")),
    ("building the results", _in("toeprob/results/")),
    ("reasoner: dispatch and caches", lambda k: "reasoning/reasoner.py" in k and k.endswith(_DISPATCH)),
    ("building the results", _in("reasoning/reasoner.py")),
    ("model and compiled arrays", _in("knowledge/", "inference/compiled.py")),
    ("other toeprob", _in("/toeprob/")),
]
EXTERNAL = "numpy, scipy, pandas, builtins (caller outside toeprob)"


def _part(key: str) -> str | None:
    for name, test in PARTS:
        if test(key):
            return name
    return None


def _label(func: tuple[str, int, str]) -> str:
    return f"{func[0]}:{func[2]}"


def attribute(stats: pstats.Stats) -> dict[str, float]:
    """Own time per part; a non-toeprob function's own time goes to its callers' parts."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    memo: dict[Any, dict[str, float]] = {}

    def owner(func: Any, depth: int = 0) -> dict[str, float]:
        """Shares of the parts that a non-toeprob function's time belongs to."""
        if func in memo:
            return memo[func]
        part = _part(_label(func))
        if part is not None:
            memo[func] = {part: 1.0}
            return memo[func]
        callers = raw[func][4]
        total = sum(v[3] for v in callers.values()) if callers else 0.0
        shares: dict[str, float] = defaultdict(float)
        if depth > 20 or total <= 0.0:
            shares[EXTERNAL] = 1.0
        else:
            for caller, v in callers.items():
                for name, s in owner(caller, depth + 1).items():
                    shares[name] += s * v[3] / total
        memo[func] = dict(shares)
        return memo[func]

    parts: dict[str, float] = defaultdict(float)
    for func, (_cc, _nc, tt, _ct, _callers) in raw.items():
        for name, share in owner(func).items():
            parts[name] += tt * share
    return dict(parts)


def profiled(label: str, run: Callable[[], Any], unprofiled_cpu: float, per: str, n: int) -> None:
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    run()
    profile.disable()
    stats = pstats.Stats(profile)
    parts = attribute(stats)
    total = sum(parts.values())
    print(f"\n{label}")
    print(
        f"   CPU time without the profiler {1e3 * unprofiled_cpu / n:.3f} ms per {per}; "
        f"profiled {1e3 * total / n:.3f} ms per {per} (profiler overhead included)"
    )
    for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
        if seconds / total >= 0.005:
            print(f"   {100 * seconds / total:5.1f}%  {1e3 * seconds / n:8.3f} ms  {name}")


def cpu(run: Callable[[], Any]) -> float:
    t = time.process_time()
    run()
    return time.process_time() - t


def _evidence(names: tuple[str, ...], states: np.ndarray) -> dict[str, bool]:
    return {names[i]: bool(s) for i, s in enumerate(states) if s >= 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--synthetic", type=int, default=10)
    args = parser.parse_args()
    model = toeprob.load_model()
    cm = compile_model(model)
    engine = ExactEngine(cm)
    fs, rs = case_rows(cm, max(args.rows, args.batch))
    cases = [_evidence(cm.findings, f) | _evidence(cm.risk_factors, r) for f, r in zip(fs, rs, strict=True)]
    n = args.rows
    toeprob.rank_causes(cases[0])
    toeprob.suggest_questions(cases[0])
    toeprob.rank_batch(cases[:100])
    engine.posterior(fs[0], rs[0])

    def ranks() -> None:
        for case in cases[:n]:
            toeprob.rank_causes(case)

    def passes() -> None:
        for i in range(n):
            engine.posterior(fs[i], rs[i])

    t_rank, t_pass = cpu(ranks), cpu(passes)
    print(f"rank_causes on {n} case-shaped rows: {1e3 * t_rank / n:.3f} ms CPU per call; one engine pass")
    print(f"(ExactEngine.posterior of the row) {1e3 * t_pass / n:.3f} ms; ratio {t_rank / t_pass:.2f}")
    profiled(f"1. rank_causes ({n} rows)", ranks, t_rank, "call", n)
    profiled(f"   one engine pass ({n} rows)", passes, t_pass, "row", n)

    nb = args.batch
    t_batch = cpu(lambda: toeprob.rank_batch(cases[:nb]))
    t_post = cpu(lambda: engine.posterior_batch(fs[:nb], rs[:nb]))
    print(
        f"\nrank_batch on {nb} rows: {nb / t_batch:,.0f} rows per CPU second; "
        f"posterior_batch alone {nb / t_post:,.0f}"
    )
    batch_label, post_label = f"2. rank_batch ({nb} rows, mappings)", f"   posterior_batch ({nb} rows)"
    profiled(batch_label, lambda: toeprob.rank_batch(cases[:nb]), t_batch, "row", nb)
    profiled(post_label, lambda: engine.posterior_batch(fs[:nb], rs[:nb]), t_post, "row", nb)

    nq = args.questions

    def questions() -> None:
        for case in cases[:nq]:
            toeprob.suggest_questions(case)

    def ranks_q() -> None:
        for case in cases[:nq]:
            toeprob.rank_causes(case)

    t_q, t_r = cpu(questions), cpu(ranks_q)
    per_call = 1e3 * t_q / nq
    print(f"\nsuggest_questions on {nq} rows: {per_call:.3f} ms CPU per call, {t_q / t_r:.2f}x rank_causes")
    profiled(f"3. suggest_questions ({nq} rows)", questions, t_q, "call", nq)

    scm = compile_model(synthetic_model(160))
    sfs, srs = sample_evidence(scm, args.synthetic, seed=1)
    ExactEngine(scm).posterior(sfs[0], srs[0])  # compile once

    def synthetic() -> None:
        engine = ExactEngine(scm)  # a new engine each pass: no row's plan comes from a cache
        for i in range(args.synthetic):
            engine.posterior(sfs[i], srs[i])

    t_s = cpu(synthetic)
    label = f"4. 160-cause network, ExactEngine.posterior ({args.synthetic} rows)"
    profiled(label, synthetic, t_s, "row", args.synthetic)


if __name__ == "__main__":
    main()
