"""Random three-layer leaky noisy-OR models, for tests and benchmarks (no medicine in them).

:func:`synthetic_model` builds a model of the same shape as the default one, through
:meth:`~toeprob.Model.from_dict`, so it is validated like any model file. Numbers are drawn from
ranges like the default model's: link strengths 0.03-0.95, finding leaks 0.002-0.1, risk-factor
prevalences 0.002-0.3, cause priors 0.0025-0.25. Every number gets its own word in the scales (the
word is ``"v"`` followed by a running number). Risk factors are shared by a few causes, so that
components of coupled causes appear as in the default model; findings have one or more causes.

Examples
--------
>>> model = synthetic_model(10, seed=1)
>>> len(model.causes), len(model.findings) >= 10
(10, True)

:func:`sample_evidence` draws realistic evidence rows from any compiled model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.compiled import CompiledModel
from toeprob.knowledge.model import Model
from toeprob.validation import check_parameter, non_negative_number, positive_int

__all__ = ["sample_evidence", "synthetic_model"]


def synthetic_model(
    n_causes: int,
    *,
    findings_per_cause: float = 1.2,
    risk_factors_per_cause: float = 0.8,
    seed: int = 0,
) -> Model:
    """Return a random validated :class:`~toeprob.knowledge.model.Model` with ``n_causes`` causes.

    Parameters
    ----------
    n_causes : int
        Number of causes (at least 1).
    findings_per_cause : float, default 1.2
        Number of findings divided by the number of causes (at least one finding).
    risk_factors_per_cause : float, default 0.8
        Number of risk factors divided by the number of causes.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same arguments give the same model.

    Returns
    -------
    Model

    Examples
    --------
    >>> a, b = synthetic_model(5, seed=3), synthetic_model(5, seed=3)
    >>> a.to_dict() == b.to_dict()
    True
    """
    check_parameter(n_causes, positive_int, name="n_causes", owner="synthetic_model")
    for name, value in (
        ("findings_per_cause", findings_per_cause),
        ("risk_factors_per_cause", risk_factors_per_cause),
    ):
        check_parameter(value, non_negative_number, name=name, owner="synthetic_model")
    rng = np.random.default_rng(seed)
    n_f = max(1, round(findings_per_cause * n_causes))
    n_r = round(risk_factors_per_cause * n_causes)
    words: dict[str, dict[str, float]] = {"frequency": {}, "strength": {}, "prevalence": {}}

    def word(scale: str, value: float) -> str:
        key = f"v{sum(len(v) for v in words.values())}"
        words[scale][key] = float(value)
        return key

    cite = {"sources": ["synthetic"]}
    risk_factors: dict[str, Any] = {}
    prevalence = np.exp(rng.uniform(np.log(0.002), np.log(0.3), n_r))
    for r in range(n_r):
        risk_factors[f"r{r}"] = {
            "description": f"risk factor {r}",
            "question": f"r{r}?",
            "prevalence": word("prevalence", prevalence[r]),
            **cite,
        }
    findings: dict[str, Any] = {}
    for j in range(n_f):
        leak = np.exp(rng.uniform(np.log(0.002), np.log(0.1)))
        findings[f"f{j}"] = {
            "description": f"finding {j}",
            "question": f"f{j}?",
            "leak": word("prevalence", leak),
        }
    # each finding gets a first cause (every finding needs one), each cause a first finding,
    # then extra links so that a finding has about 1 + Poisson(2) causes
    f_links: list[set[int]] = [set() for _ in range(n_causes)]
    for j in range(n_f):
        f_links[int(rng.integers(n_causes))].add(j)
    for c in range(n_causes):
        f_links[c].add(int(rng.integers(n_f)))
        for j in rng.choice(n_f, size=min(n_f, int(rng.poisson(2.0 * n_f / n_causes))), replace=False):
            f_links[c].add(int(j))
    # each risk factor gets 1 + Poisson(0.6) causes, drawn from a local window so that the
    # coupled components stay of bounded size as the model grows
    r_links: list[dict[int, float]] = [{} for _ in range(n_causes)]
    for r in range(n_r):
        centre = int(rng.integers(n_causes))
        kids = {centre}
        for _ in range(int(rng.poisson(0.6))):
            kids.add(int((centre + rng.integers(-3, 4)) % n_causes))
        for c in kids:
            r_links[c][r] = float(rng.uniform(0.03, 0.5))
    causes: dict[str, Any] = {}
    for c in range(n_causes):
        explained = float(np.prod([1 - prevalence[r] * w for r, w in r_links[c].items()]))
        leak = np.exp(rng.uniform(np.log(0.002), np.log(0.1)))
        prior = 1.0 - explained * (1.0 - leak)
        causes[f"c{c}"] = {
            "description": f"cause {c}",
            "frequency": word("frequency", prior),
            "care_level": "routine",
            **cite,
            "risk_factors": {
                f"r{r}": {"strength": word("strength", w), **cite} for r, w in sorted(r_links[c].items())
            },
            "findings": {
                f"f{j}": {"strength": word("strength", rng.uniform(0.03, 0.95)), **cite}
                for j in sorted(f_links[c])
            },
        }
    data = {
        "schema_version": 1,
        "model": {
            "name": f"synthetic-{n_causes}-{seed}",
            "version": "1",
            "population": "synthetic",
            "description": "random test network",
        },
        "sources": {"synthetic": "randomly generated"},
        "scales": {k: {"source": "random", "values": v or {"unused": 0.5}} for k, v in words.items()},
        "triage": {
            "description": "synthetic",
            "red_flag_combination_size": 0,
            "thresholds": {"routine": 0.4, "soon": 0.25, "urgent": 0.1, "emergency": 0.05},
        },
        "risk_factors": risk_factors,
        "findings": findings,
        "causes": causes,
    }
    return Model.from_dict(data, f"<synthetic_model({n_causes}, seed={seed})>")


def sample_evidence(
    compiled: CompiledModel,
    n_rows: int,
    *,
    seed: int = 0,
    reveal_present: float = 0.8,
    reveal_absent: float = 0.1,
    reveal_risk_factor: float = 0.3,
) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Draw evidence rows shaped like real consultations, by forward sampling the model.

    Each row is a person drawn from the network who has at least one finding; each present finding
    is reported with probability ``reveal_present``, each absent one denied with probability
    ``reveal_absent`` and each risk factor answered with probability ``reveal_risk_factor``.

    Returns
    -------
    finding_states, rf_states : ndarray of int8, shapes (n_rows, F) and (n_rows, R)

    Examples
    --------
    >>> from toeprob.inference.compiled import compile_model
    >>> fs, rs = sample_evidence(compile_model(synthetic_model(10)), 4, seed=1)
    >>> fs.shape, bool((fs == 1).any(axis=1).all())
    ((4, 12), True)
    """
    cm = compiled
    rng = np.random.default_rng(seed)
    n_f, n_r = len(cm.findings), len(cm.risk_factors)
    fs_out = np.empty((0, n_f), dtype=np.int8)
    rs_out = np.empty((0, n_r), dtype=np.int8)
    while len(fs_out) < n_rows:
        k = 2 * (n_rows - len(fs_out)) + 16
        r = rng.random((k, n_r)) < cm.rf_prevalence
        c_absent = (1 - cm.cause_leak) * np.prod(np.where(r[:, :, None], 1 - cm.rf_weight, 1.0), axis=1)
        c = rng.random(c_absent.shape) >= c_absent
        f_absent = (1 - cm.finding_leak) * np.prod(np.where(c[:, None, :], cm.finding_q, 1.0), axis=2)
        f = rng.random(f_absent.shape) >= f_absent
        fs = np.full((k, n_f), -1, dtype=np.int8)
        fs[f & (rng.random(f.shape) < reveal_present)] = 1
        fs[~f & (rng.random(f.shape) < reveal_absent)] = 0
        rs = np.where(rng.random(r.shape) < reveal_risk_factor, r.astype(np.int8), np.int8(-1))
        keep = (fs == 1).any(axis=1)
        fs_out = np.concatenate([fs_out, fs[keep]])
        rs_out = np.concatenate([rs_out, rs[keep].astype(np.int8)])
    return fs_out[:n_rows], rs_out[:n_rows]
