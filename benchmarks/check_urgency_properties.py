"""A large randomized check of the urgency rule's two properties (the suite's hypothesis tests run fewer).

Run: ``UV_PYTHON_DOWNLOADS=never uv run python benchmarks/check_urgency_properties.py [--cases 12000]``

For random evidence (up to 8 findings and 3 risk factors, each present or denied) and a random red
flag ``F`` not present in it, checks on the default model, with the batched rule
(:func:`toeprob.reasoning.urgency_rule.urgency_batch`):

* (a) ``urgency(E + {F: present}) >= max(urgency(E), floor(F))`` where ``F`` was unknown or denied;
* (b) ``urgency(E + {F: absent}) <= urgency(E)`` where ``F`` was unknown.

Prints the number of cases and of violations (the rule guarantees none by construction).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import toeprob
from toeprob.reasoning.urgency_rule import urgency_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    model = toeprob.load_model()
    reasoner = toeprob.Reasoner.for_model(model)
    engine, policy = reasoner.engine, reasoner.urgency_policy
    rng = np.random.default_rng(args.seed)
    n_f, n_r = len(model.findings), len(model.risk_factors)
    start = time.perf_counter()
    n = args.cases
    fs = np.full((n, n_f), -1, np.int8)
    rs = np.full((n, n_r), -1, np.int8)
    for i in range(n):
        cols = rng.choice(n_f, rng.integers(0, 9), replace=False)
        fs[i, cols] = rng.integers(0, 2, len(cols))
        cols = rng.choice(n_r, rng.integers(0, 4), replace=False)
        rs[i, cols] = rng.integers(0, 2, len(cols))
    pick = rng.integers(0, len(policy.red_columns), n)
    col, rows = policy.red_columns[pick], np.arange(n)
    base = fs.copy()
    base[rows, col] = np.where(fs[rows, col] == 1, -1, fs[rows, col])  # F unknown or denied in E

    def with_flag(value: int) -> np.ndarray:
        out = base.copy()
        out[rows, col] = value
        return out

    def urgency(states: np.ndarray) -> np.ndarray:
        return urgency_batch(states, rs, policy, engine.posterior_batch)

    before, added = urgency(base), urgency(with_flag(1))
    silent, denied = urgency(with_flag(-1)), urgency(with_flag(0))
    a = int(np.sum(added < np.maximum(before, policy.red_floors[pick])))
    b = int(np.sum(denied > silent))
    print(f"cases: {n}; (a) violations: {a}; (b) violations: {b}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
