"""Latency of one ``suggest_questions`` call (and one ``explain``) on the default model.

Run: ``cd /work/main && UV_PYTHON_DOWNLOADS=never uv run python benchmarks/bench_questions.py``

Each scenario is timed ``--repeat`` times after one warm-up call (which also builds the engine);
the median and the minimum are printed, with the number of candidate questions and whether the
engine has ``log_evidence`` (exact answer probabilities) or not.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import toeprob
from toeprob.reasoning.reasoner import suggest_questions

SCENARIOS: dict[str, dict[str, bool]] = {
    "no evidence": {},
    "one finding": {"cramp": True},
    "typical (4 answers)": {
        "cramp": True,
        "relieved_by_stretching": True,
        "at_rest_or_night": True,
        "recent_intense_exercise": True,
    },
    "neuropathy (6 answers)": {
        "numbness": True,
        "tingling": True,
        "burning_pain": True,
        "diabetes": True,
        "cramp": False,
        "foot_drop": False,
    },
}


def _time(call: Callable[[], object], repeat: int) -> list[float]:
    call()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    model = toeprob.load_model()
    engine = toeprob.Reasoner.for_model(model).engine
    print(
        f"model: {model!r}; engine: {type(engine).__name__}; log_evidence: {hasattr(engine, 'log_evidence')}"
    )
    print(f"{'scenario':<26} {'candidates':>10} {'median ms':>10} {'min ms':>8}   top question")
    for name, evidence in SCENARIOS.items():
        times = _time(lambda ev=evidence: suggest_questions(ev, model=model), args.repeat)  # type: ignore[misc]
        n = len(model.findings) + len(model.risk_factors) - len(evidence)
        top = suggest_questions(evidence, model=model).questions[0].id
        print(f"{name:<26} {n:>10} {1e3 * statistics.median(times):>10.1f} {1e3 * min(times):>8.1f}   {top}")
    ev = SCENARIOS["neuropathy (6 answers)"]
    times = _time(lambda: toeprob.explain(ev, "peripheral_neuropathy", model=model), args.repeat)
    median, best = 1e3 * statistics.median(times), 1e3 * min(times)
    print(f"{'explain (neuropathy)':<26} {'':>10} {median:>10.1f} {best:>8.1f}")


if __name__ == "__main__":
    main()
