"""Heavy evidence on the default model: toeprob's ``rank_causes`` and engine beside pyAgrum.

For each evidence size ``k`` (findings reported present, drawn at random with a fixed seed; every
other finding and every risk factor unknown) and each draw, one process and one core:

* **rank_causes**: the public function (ranking and urgency), on a fresh reasoner (the model
  compiled before the timed call, as pyAgrum's network is built before its own): no elimination
  order or program is cached from an earlier draw;
* **engine**: ``ExactEngine.posterior`` on a fresh engine (the elimination order is planned inside
  the timed call);
* **pyAgrum**: ``LazyPropagation`` on the same network (built as in ``bench_engine.py``), one
  engine reused, evidence erased and re-entered; targets restricted to the causes.

Before the first draw, two untimed ``rank_causes`` calls (nothing present, and nine findings
present, each on its own copy of the model) load the compiled programs (numba's cache, a few
seconds once per process), as pyAgrum's network is built once outside the timings.

Ratios are pyAgrum's time over toeprob's, from this one run; ``diff`` is the largest absolute
difference of the posteriors. A query beyond the default :class:`toeprob.Budget` is reported as
refused (with the time it took to refuse).

Run::

    uv run --group bench python benchmarks/bench_heavy.py --quick   # sizes 0-30 and all, one draw
    uv run --group bench python benchmarks/bench_heavy.py           # sizes 0-40 and all, three draws
    uv run --group bench python benchmarks/bench_heavy.py --draws 1 # sizes 0-40 and all, one draw
    uv run --group bench python benchmarks/bench_heavy.py --sizes 15,40 --only-draws 0
                                      # rerun draw 0 of sizes 15 and 40 (the same draws as a full run)

``--sizes`` and ``--only-draws`` select what is timed; every draw of every size is still drawn, in
the same order, so that a selected draw is the same evidence set as in a full run with the same
``--seed`` and ``--draws``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import copy  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from bench_engine import AgrumEngine  # noqa: E402

from toeprob import CostLimitError, Reasoner, load_model, rank_causes  # noqa: E402
from toeprob.inference.compiled import compile_model  # noqa: E402
from toeprob.inference.exact import ExactEngine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one draw per size, sizes up to 30")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=None, help="draws per size (default 3, --quick 1)")
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=None,
        help="comma-separated sizes to time, 'all' for every finding present (default: every size)",
    )
    parser.add_argument(
        "--only-draws",
        type=lambda text: {int(x) for x in text.split(",")},
        default=None,
        help="comma-separated draw indices to time (default: every draw)",
    )
    args = parser.parse_args()
    model = load_model()
    cm = compile_model(model)
    n_f = len(cm.findings)
    sizes = [0, 5, 10, 15, 20, 25, 30] if args.quick else [0, 5, 10, 15, 20, 25, 30, 35, 40]
    sizes.append(n_f)  # every finding present
    chosen = None if args.sizes is None else {n_f if k == "all" else int(k) for k in args.sizes}
    if chosen is not None and chosen - set(sizes):
        parser.error(f"--sizes: {sorted(chosen - set(sizes))} not among the sizes {sizes}")
    draws = args.draws if args.draws is not None else (1 if args.quick else 3)
    agrum = AgrumEngine(cm)
    # once per process, untimed: loading the compiled (numba) programs from their cache
    multi = [cm.findings[j] for j in np.flatnonzero(cm.finding_parent_count >= 2)[:9]]
    t = time.perf_counter()
    rank_causes({}, model=load_model())  # Quickscore
    rank_causes(dict.fromkeys(multi, True), model=load_model())  # elimination
    warm = time.perf_counter() - t
    print(f"warm-up (compiled programs loaded once per process, not in the table): {warm:.3g} s")
    rng = np.random.default_rng(args.seed)
    rs = np.full(len(cm.risk_factors), -1, dtype=np.int8)
    print(f"default model: {len(cm.causes)} causes, {n_f} findings, {len(cm.risk_factors)} risk factors")
    header = "present | draw | rank_causes s | engine s | pyAgrum s | x pyAgrum (rank) | x pyAgrum (engine)"
    print(header + " | diff")
    summary = []
    for k in sizes:
        rank_t, engine_t, agrum_t = [], [], []
        for d in range(draws if k < n_f else 1):
            fs = np.full(n_f, -1, dtype=np.int8)
            fs[rng.choice(n_f, k, replace=False)] = 1
            if (chosen is not None and k not in chosen) or (
                args.only_draws is not None and d not in args.only_draws
            ):
                continue  # drawn all the same, so that the selected draws match a full run
            evidence = {cm.findings[j]: True for j in np.flatnonzero(fs == 1)}
            # a copy of the model has no reasoner yet: a new one (model compiled, untimed, as
            # pyAgrum's network is built once), with no elimination order or program cached from
            # an earlier draw
            fresh = copy.deepcopy(model)
            Reasoner.for_model(fresh)
            t = time.perf_counter()
            try:
                rank_causes(evidence, model=fresh)
                t_rank, refused = time.perf_counter() - t, ""
            except CostLimitError:
                t_rank, refused = time.perf_counter() - t, " (refused)"
            engine = ExactEngine(compile_model(fresh))
            t = time.perf_counter()
            try:
                post = engine.posterior(fs, rs)
            except CostLimitError:
                post = None
            t_engine = time.perf_counter() - t
            t = time.perf_counter()
            want = agrum.posterior(fs, rs)
            t_agrum = time.perf_counter() - t
            diff = f"{np.abs(post - want).max():.1e}" if post is not None else "refused"
            print(
                f"{k} | {d} | {t_rank:.3g}{refused} | {t_engine:.3g} | {t_agrum:.3g} | "
                f"{t_agrum / t_rank:.3g} | {t_agrum / t_engine:.3g} | {diff}",
                flush=True,
            )
            rank_t.append(t_rank)
            engine_t.append(t_engine)
            agrum_t.append(t_agrum)
        if rank_t:
            summary.append((k, *(statistics.median(x) for x in (rank_t, engine_t, agrum_t))))
    print("\nmedians\npresent | rank_causes s | engine s | pyAgrum s | x pyAgrum (rank) | x pyAgrum (engine)")
    for k, r, e, a in summary:
        print(f"{k} | {r:.3g} | {e:.3g} | {a:.3g} | {a / r:.3g} | {a / e:.3g}")


def _sizes(text: str) -> list[str]:
    """``--sizes``: integers or ``all``."""
    parts = [part.strip() for part in text.split(",")]
    for part in parts:
        if part != "all" and not part.isdigit():
            raise argparse.ArgumentTypeError(f"expected integers or 'all', got {part!r}")
    return parts


if __name__ == "__main__":
    main()
