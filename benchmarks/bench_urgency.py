"""Cost of the urgency rule: ``rank_causes`` time as a multiple of one engine pass.

Run: ``UV_PYTHON_DOWNLOADS=never uv run python benchmarks/bench_urgency.py [--repeat 7] [--draws 5]``

For 0, 3, 8 and all red flags present (and, in a second block, the same with six other findings
present), each drawn ``--draws`` times with a fixed seed, the script times one ``rank_causes`` call
(ranking, urgency and reasons) and one engine pass on the same evidence
(``ExactEngine.posterior``), and prints the median of each over ``--repeat`` interleaved runs, their
ratio, and the number of worlds (posterior rows) the urgency rule evaluated. The red flags are drawn
from those whose floor is below the highest care level of any cause, so the rule cannot skip its
worlds; "all" takes every red flag, where the emergency floors make the worlds unnecessary.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import numpy as np

import toeprob
from toeprob.knowledge.evidence import parse_evidence


def _median_time(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    model = toeprob.load_model()
    reasoner = toeprob.Reasoner.for_model(model)
    engine, policy = reasoner.engine, reasoner.urgency_policy
    red = model.red_flags
    below_top = [f for f, floor in red.items() if int(floor) < policy.top_care]
    others = [f for f in model.findings if f not in red]
    print(f"model: {model!r}; red flags: {len(red)} ({len(below_top)} below the top care level)")
    print(f"{'scenario':<34} {'rank_causes ms':>15} {'engine ms':>10} {'ratio':>7} {'worlds':>7}")
    for extra in (0, 6):
        for n in (0, 3, 8, len(red)):
            ratios, ranks, passes, worlds = [], [], [], []
            for _ in range(args.draws):
                flags = list(red) if n == len(red) else rng.sample(below_top, n)
                evidence = {f: True for f in flags} | {f: True for f in rng.sample(others, extra)}
                ev = parse_evidence(evidence, model)
                rows, _, _ = policy.candidate_rows(ev.finding_state[None, :], ev.rf_state[None, :])
                t_rank = _median_time(lambda evidence=evidence: toeprob.rank_causes(evidence), args.repeat)
                t_pass = _median_time(
                    lambda ev=ev: engine.posterior(ev.finding_state, ev.rf_state), args.repeat
                )
                ranks.append(t_rank)
                passes.append(t_pass)
                ratios.append(t_rank / t_pass)
                worlds.append(len(rows))
            label = f"{'all' if n == len(red) else n} red flags, {extra} other findings"
            print(
                f"{label:<34} {1e3 * float(np.median(ranks)):>15.2f} {1e3 * float(np.median(passes)):>10.2f} "
                f"{float(np.median(ratios)):>7.1f} {int(np.median(worlds)):>7d}"
            )


if __name__ == "__main__":
    main()
