"""Benchmark toeprob's ExactEngine against pgmpy (VariableElimination) and pyAgrum (LazyPropagation).

One process, one core, the same networks and the same evidence rows for every engine, queries
interleaved (toeprob, pyAgrum, pgmpy on each row in turn; the latency ratios are from this). A
second pass times each row three times in a row per engine and keeps the fastest ("warm"). Evidence
rows are drawn from the network itself (``toeprob.inference.synthetic.sample_evidence``: a person with at
least one finding, 80% of present findings reported, 10% of absent ones denied, 30% of risk
factors answered). On the default model, batch throughput is also measured on rows shaped like
the encoded cases (:func:`case_rows`).

Run::

    uv run --group bench python benchmarks/bench_engine.py            # full run
    uv run --group bench python benchmarks/bench_engine.py --quick    # about three minutes
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from toeprob import datasets, load_model  # noqa: E402
from toeprob.inference.compiled import CompiledModel, compile_model  # noqa: E402
from toeprob.inference.exact import ExactEngine  # noqa: E402
from toeprob.inference.pgmpy_bridge import PgmpyEngine  # noqa: E402
from toeprob.inference.synthetic import sample_evidence, synthetic_model  # noqa: E402

GROUP = 6  # pyAgrum: parents per link of a divorced noisy-OR chain
CASES = ["team", "blind"]  # the case sets shipped in toeprob.datasets


def case_rows(cm: CompiledModel, n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows shaped like the encoded cases: a random case, each answer kept with probability 0.8,
    each unanswered finding denied with probability 0.05 (so that rows are not repeats)."""
    base_f, base_r = [], []
    for name in CASES:
        for case in json.loads(datasets.case_file_text(name)):
            f = np.full(len(cm.findings), -1, dtype=np.int8)
            r = np.full(len(cm.risk_factors), -1, dtype=np.int8)
            for name, value in case["evidence"].items():
                if name in cm.finding_index:
                    f[cm.finding_index[name]] = int(bool(value))
                elif name in cm.risk_factor_index:
                    r[cm.risk_factor_index[name]] = int(bool(value))
            base_f.append(f)
            base_r.append(r)
    rng = np.random.default_rng(seed)
    pick = rng.integers(len(base_f), size=n_rows)
    fs, rs = np.array(base_f)[pick], np.array(base_r)[pick]
    fs[(fs >= 0) & (rng.random(fs.shape) > 0.8)] = -1
    rs[(rs >= 0) & (rng.random(rs.shape) > 0.8)] = -1
    fs[(fs < 0) & (rng.random(fs.shape) < 0.05)] = 0
    return fs, rs


def gum_network(cm: CompiledModel) -> Any:
    """The same network in pyAgrum; nodes with many parents become chains of OR nodes."""
    import pyagrum as gum

    bn = gum.BayesNet("toeprob")
    for name in (*cm.risk_factors, *cm.causes, *cm.findings):
        bn.add(gum.LabelizedVariable(name, name, ["absent", "present"]))
    for r, name in enumerate(cm.risk_factors):
        bn.cpt(name).fillWith([1 - cm.rf_prevalence[r], cm.rf_prevalence[r]])

    def noisy_or(node: str, leak: float, parents: list[str], weights: list[float]) -> None:
        links = [(parents[k : k + GROUP], weights[k : k + GROUP]) for k in range(0, len(parents), GROUP)]
        links = links or [([], [])]
        previous = None
        for n, (ps, ws) in enumerate(links):
            target = node if n == len(links) - 1 else f"{node}__or{n}"
            if target != node:
                bn.add(gum.LabelizedVariable(target, target, ["absent", "present"]))
            inputs = ([previous] if previous else []) + ps
            for p in inputs:
                bn.addArc(p, target)
            # absent-probability table over inputs, first input slowest (pyAgrum: last var fastest)
            k = len(inputs)
            bits = (np.arange(2**k)[:, None] >> np.arange(k - 1, -1, -1)[None, :]) & 1
            absent = np.full(2**k, 1.0 - leak if previous is None else 1.0)
            if previous:
                absent *= 1 - bits[:, 0]
            offset = 1 if previous else 0
            for a, w in enumerate(ws):
                absent *= np.where(bits[:, a + offset] == 1, 1 - w, 1.0)
            cpt = bn.cpt(target)
            order = [cpt.variable(d).name() for d in range(cpt.nbrDim())]  # target first
            table = np.stack([absent, 1 - absent], axis=-1).reshape((2,) * k + (2,))
            names = [*inputs, target]
            table = np.transpose(table, [names.index(v) for v in reversed(order)])
            cpt.fillWith(table.ravel().tolist())
            previous = target

    for c, name in enumerate(cm.causes):
        rs = np.flatnonzero(cm.rf_weight[:, c])
        noisy_or(name, cm.cause_leak[c], [cm.risk_factors[r] for r in rs], cm.rf_weight[rs, c].tolist())
    for f, name in enumerate(cm.findings):
        cs = np.flatnonzero(cm.finding_weight[f])
        noisy_or(name, cm.finding_leak[f], [cm.causes[c] for c in cs], cm.finding_weight[f, cs].tolist())
    return bn


class AgrumEngine:
    """LazyPropagation, targets restricted to causes, engine reused, evidence reset per query."""

    def __init__(self, cm: CompiledModel) -> None:
        import pyagrum as gum

        self.cm = cm
        self.ie = gum.LazyPropagation(gum_network(cm))
        self.ie.setTargets(set(cm.causes))

    def posterior(self, fs: np.ndarray, rs: np.ndarray) -> np.ndarray:
        ie, cm = self.ie, self.cm
        ie.eraseAllEvidence()
        for names, states in ((cm.findings, fs), (cm.risk_factors, rs)):
            for j in np.flatnonzero(states >= 0):
                ie.addEvidence(names[j], int(states[j]))
        ie.makeInference()
        return np.array([ie.posterior(c)[1] for c in cm.causes])


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def bench_network(label: str, model: Any, n_single: int, n_pgmpy: int, n_batch: int) -> dict[str, Any]:
    cm = compile_model(model)
    eng = ExactEngine(cm)
    agrum, pgm = AgrumEngine(cm), PgmpyEngine(model)
    fs, rs = sample_evidence(cm, max(n_single, n_batch), seed=1)
    times: dict[str, list[float]] = {"toeprob": [], "pyagrum": [], "pgmpy": []}
    diff_agrum = diff_pgmpy = 0.0
    eng.posterior(fs[0], rs[0])
    agrum.posterior(fs[0], rs[0])
    for k in range(n_single):
        t_fast, ours = timed(eng.posterior, fs[k], rs[k])
        t_agrum, theirs = timed(agrum.posterior, fs[k], rs[k])
        times["toeprob"].append(t_fast)
        times["pyagrum"].append(t_agrum)
        diff_agrum = max(diff_agrum, float(np.abs(ours - theirs).max()))
        if k < n_pgmpy:
            t_pgm, ref = timed(pgm.posterior, fs[k], rs[k])
            times["pgmpy"].append(t_pgm)
            diff_pgmpy = max(diff_pgmpy, float(np.abs(ours - ref).max()))
    warm: dict[str, list[float]] = {"toeprob": [], "pyagrum": []}
    for k in range(n_single):  # each query three times in a row, the fastest kept: warm caches
        warm["toeprob"].append(min(timed(eng.posterior, fs[k], rs[k])[0] for _ in range(3)))
        warm["pyagrum"].append(min(timed(agrum.posterior, fs[k], rs[k])[0] for _ in range(3)))
    paired = range(min(n_single, n_pgmpy))
    t_batch, _ = timed(eng.posterior_batch, fs[:n_batch], rs[:n_batch])
    if label == "default":
        cf, cr = case_rows(cm, 10 * n_batch, seed=1)
        t_cases, _ = timed(eng.posterior_batch, cf, cr)
        case_rate = len(cf) / t_cases
    else:
        case_rate = np.nan
    multi = (fs[:n_batch] == 1) & (cm.finding_parent_count >= 2)
    fallback = np.mean([eng.uses_fallback(fs[k], rs[k]) for k in range(n_single)])
    med = {k: statistics.median(v) for k, v in times.items() if v}
    med_paired = statistics.median(times["toeprob"][k] for k in paired) if n_pgmpy else np.nan
    return {
        "network": label,
        "C/F/R": f"{len(cm.causes)}/{len(cm.findings)}/{len(cm.risk_factors)}",
        "mean m": float(multi.sum(axis=1).mean()),
        "fallback": float(fallback),
        "toeprob us": med["toeprob"] * 1e6,
        "pyagrum us": med["pyagrum"] * 1e6,
        "pgmpy ms": med.get("pgmpy", np.nan) * 1e3,
        "x pyagrum": med["pyagrum"] / med["toeprob"],
        "x pyagrum warm": statistics.median(warm["pyagrum"]) / statistics.median(warm["toeprob"]),
        "x pgmpy": med.get("pgmpy", np.nan) / med_paired,
        "batch cases/s": n_batch / t_batch,
        "batch case-shaped/s": case_rate,
        "diff pyagrum": diff_agrum,
        "diff pgmpy": diff_pgmpy,
    }


def by_present(n_rows: int) -> None:
    """Cost on the default model as a function of m, the present findings with several parents."""
    cm = compile_model(load_model())
    eng = ExactEngine(cm)
    fs, rs = sample_evidence(cm, 20 * n_rows, seed=2)
    m = ((fs == 1) & (cm.finding_parent_count >= 2)).sum(axis=1)
    print("\nDefault model, by m (present findings with two or more parents):")
    print(f"{'m':>3} {'rows':>5} {'fallback':>9} {'median single us':>17} {'batch cases/s':>14}")
    for k in range(0, 13):
        rows = np.flatnonzero(m == k)[:n_rows]
        if len(rows) == 0:
            continue
        single = [timed(eng.posterior, fs[r], rs[r])[0] for r in rows]
        fb = np.mean([eng.uses_fallback(fs[r], rs[r]) for r in rows])
        t_batch, _ = timed(eng.posterior_batch, fs[rows], rs[rows])
        print(
            f"{k:>3} {len(rows):>5} {fb:>9.2f} {statistics.median(single) * 1e6:>17.0f} "
            f"{len(rows) / t_batch:>14.0f}"
        )


def full_check(n_rows: int) -> None:
    """Agreement with pgmpy on many random realistic queries on the default model."""
    model = load_model()
    cm = compile_model(model)
    fs, rs = sample_evidence(cm, n_rows, seed=3)
    got = ExactEngine(cm).posterior_batch(fs, rs)
    pgm = PgmpyEngine(model)
    worst = max(float(np.abs(got[k] - pgm.posterior(fs[k], rs[k])).max()) for k in range(n_rows))
    print(f"\nFull check, default model, {n_rows} queries vs pgmpy: max abs diff {worst:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries and networks")
    parser.add_argument("--check", type=int, default=None, help="queries of the full pgmpy check")
    args = parser.parse_args()
    n_single, n_pgmpy, n_batch = (60, 10, 2000) if args.quick else (300, 40, 20000)
    sizes = (10, 40, 160) if args.quick else (10, 20, 40, 80, 160)
    networks = [("default", load_model())] + [(f"synthetic {n}", synthetic_model(n)) for n in sizes]
    rows = [bench_network(label, model, n_single, n_pgmpy, n_batch) for label, model in networks]
    keys = list(rows[0])
    print(" | ".join(keys))
    for r in rows:
        print(" | ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()))
    by_present(10 if args.quick else 40)
    full_check(args.check if args.check is not None else (100 if args.quick else 1000))


if __name__ == "__main__":
    main()
