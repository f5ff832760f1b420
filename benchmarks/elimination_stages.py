"""Where an elimination row's time goes, by stage, on the 160-cause synthetic network.

Run: ``UV_PYTHON_DOWNLOADS=never uv run --group bench python benchmarks/elimination_stages.py``
(options: ``--rows 30 --repeats 3``; about ten seconds).

The rows are those of ``bench_public.py`` part 4 (``toeprob.inference.synthetic``, network seed 0,
evidence seed 1); only the rows the engine answers by the hidden-variable elimination are timed.
Each row has its own structure, so each engine call plans it: the stages are timed one by one
(CPU time, ``time.process_time``, best of ``--repeats``) as the engine runs them, beside the
whole call on a fresh engine (nothing cached from an earlier call):

* the network's factors (:func:`toeprob.inference.hidden.network`: the cause factors, the hidden
  variables of the present findings);
* the elimination order (:func:`toeprob.inference.hidden.plan`, compiled greedy min-fill);
* the compiled program's arrays (:func:`toeprob.inference.hidden_kernel.compile_program`);
* the compiled elimination (:func:`toeprob.inference.hidden_kernel.run`).

Medians over the rows, in milliseconds, and the networks' sizes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from toeprob.inference.compiled import compile_model  # noqa: E402
from toeprob.inference.exact import ExactEngine  # noqa: E402
from toeprob.inference.hidden import network, plan  # noqa: E402
from toeprob.inference.hidden_kernel import compile_program, run  # noqa: E402
from toeprob.inference.synthetic import sample_evidence, synthetic_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cm = compile_model(synthetic_model(160))
    fs, rs = sample_evidence(cm, args.rows, seed=1)
    ExactEngine(cm).posterior(fs[0], rs[0])  # load the compiled functions
    stages = ("network", "order", "program arrays", "compiled elimination", "engine call, in all")
    times: dict[str, list[float]] = {name: [] for name in stages}
    sizes, elements, widths = [], [], []
    for i in range(args.rows):
        if not ExactEngine(cm).uses_fallback(fs[i], rs[i]):
            continue
        best: list[float] | None = None
        for _ in range(args.repeats):
            took = []
            t = time.process_time()
            net = network(cm, fs[i : i + 1], rs[i : i + 1])
            took.append(time.process_time() - t)
            t = time.process_time()
            order = plan(net, search=False)
            took.append(time.process_time() - t)
            t = time.process_time()
            kernel = compile_program(net, order)
            took.append(time.process_time() - t)
            t = time.process_time()
            run(kernel, net)
            took.append(time.process_time() - t)
            engine = ExactEngine(cm)
            t = time.process_time()
            engine.posterior(fs[i], rs[i])
            took.append(time.process_time() - t)
            best = took if best is None or took[-1] < best[-1] else best
        assert best is not None
        for name, value in zip(stages, best, strict=True):
            times[name].append(value)
        sizes.append(len(net.names))
        elements.append(order.elements)
        widths.append(order.width)
    print(
        f"160-cause network, {len(sizes)} of {args.rows} rows eliminated: {min(sizes)}-{max(sizes)} "
        f"variables, {min(elements):,}-{max(elements):,} clique-table elements, widest clique "
        f"{min(widths)}-{max(widths)} variables"
    )
    print(" | ".join(f"{name} {1e3 * statistics.median(times[name]):.2f} ms" for name in stages))


if __name__ == "__main__":
    main()
