"""The brute-force oracle: exact answers for small networks by enumerating every joint state.

Every test that needs the true posterior or the true probability of the evidence of a network takes
it from here. The oracle shares no code with toeprob's inference: it reads the numbers of a
:class:`~toeprob.knowledge.model.Model` straight from its specs (so it also checks the compiler), or
the arrays of a :class:`~toeprob.inference.compiled.CompiledModel` (for random networks made with
:func:`random_network`), and sums the joint distribution state by state.

The network
-----------
Risk factors ``R_k`` are independent, ``P(R_k = 1) = rho_k``. Each cause is a leaky noisy-OR of the
risk factors and each finding a leaky noisy-OR of the causes::

    P(C_i = 0 | r) = (1 - leak_i) * prod_k (1 - w_ki) ** r_k
    P(F_j = 0 | c) = (1 - leak_j) * prod_i (1 - p_ji) ** c_i

so that the joint over risk factors, causes and findings is::

    P(r, c, f) = prod_k P(r_k) * prod_i P(c_i | r) * prod_j P(f_j | c)

What is enumerated
------------------
Evidence is one state per finding and per risk factor: 1 present, 0 absent, -1 unknown. The oracle
lists all ``2 ** (R + C)`` states ``(r, c)`` of the risk factors and causes; a state whose risk
factors disagree with the evidence weighs zero, and each observed finding multiplies the weight by
its likelihood ``P(f_j | c)``. A finding that is not observed is summed over its two states, whose
probabilities add up to one for every ``c``: enumerating its ``2 ** F`` states would multiply the
time and change nothing. Then::

    P(e)              = sum over (r, c) of P(r, c, e)
    P(C_i = 1 | e)    = sum over (r, c) with c_i = 1 of P(r, c, e) / P(e)

Sizes up to ``R + C = 18`` (262,144 states) are accepted; the suite's networks stay far below.

Also here: :func:`random_network` and :func:`random_states`, the small random networks and evidence
rows that engine tests check against the oracle.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.inference.compiled import CompiledModel, compile_arrays
from toeprob.knowledge.model import Model

MAX_VARIABLES = 18  # risk factors plus causes: 2**18 joint states


class BruteForceEngine:
    """Exact posteriors and log-evidence by summing the joint over every state of a small network.

    Parameters
    ----------
    network
        A model (its numbers are read from the specs, not compiled by toeprob) or compiled arrays.
    """

    def __init__(self, network: Model | CompiledModel) -> None:
        if isinstance(network, Model):
            model = network
            ri = {r: i for i, r in enumerate(model.risk_factors)}
            ci = {c: i for i, c in enumerate(model.causes)}
            fi = {f: i for i, f in enumerate(model.findings)}
            self.rf_prev = np.array([model.risk_factor_specs[r].prevalence for r in model.risk_factors])
            self.c_leak = np.array([model.cause_specs[c].leak for c in model.causes])
            self.f_leak = np.array([model.finding_specs[f].leak for f in model.findings])
            self.w = np.zeros((len(ri), len(ci)))  # risk factor -> cause
            for lk in model.risk_links:
                self.w[ri[lk.parent], ci[lk.child]] = lk.probability
            self.p = np.zeros((len(fi), len(ci)))  # finding <- cause
            for lk in model.finding_links:
                self.p[fi[lk.child], ci[lk.parent]] = lk.probability
        else:
            self.rf_prev = np.asarray(network.rf_prevalence, dtype=float)
            self.c_leak = np.asarray(network.cause_leak, dtype=float)
            self.f_leak = np.asarray(network.finding_leak, dtype=float)
            self.w = np.asarray(network.rf_weight, dtype=float)
            self.p = np.asarray(network.finding_weight, dtype=float)
        n_r, n_c = len(self.rf_prev), len(self.c_leak)
        if n_r + n_c > MAX_VARIABLES:
            raise ValueError(f"brute force is for small networks only: {n_r} risk factors + {n_c} causes")
        self.states = np.array(list(itertools.product([0, 1], repeat=n_r + n_c)), dtype=float)

    def joint(self, fs: ArrayLike, rs: ArrayLike) -> NDArray[np.float64]:
        """``P(r, c, e)`` for every row ``(r, c)`` of :attr:`states`; findings not observed summed out."""
        fs, rs = np.asarray(fs), np.asarray(rs)
        n_r = len(self.rf_prev)
        r, c = self.states[:, :n_r], self.states[:, n_r:]
        weight = np.prod(np.where(r == 1, self.rf_prev, 1 - self.rf_prev), axis=1)
        for k in np.flatnonzero(rs >= 0):
            weight = weight * (r[:, k] == rs[k])
        c_absent = (1 - self.c_leak) * np.prod((1 - self.w[None]) ** r[:, :, None], axis=1)
        weight = weight * np.prod(np.where(c == 1, 1 - c_absent, c_absent), axis=1)
        f_absent = (1 - self.f_leak) * np.prod((1 - self.p[None]) ** c[:, None, :], axis=2)
        for j in np.flatnonzero(fs >= 0):
            weight = weight * (1 - f_absent[:, j] if fs[j] == 1 else f_absent[:, j])
        return np.asarray(weight)

    def posterior(self, fs: ArrayLike, rs: ArrayLike) -> NDArray[np.float64]:
        """``P(C_i = 1 | e)`` for every cause."""
        weight = self.joint(fs, rs)
        c = self.states[:, len(self.rf_prev) :]
        return np.asarray((weight[:, None] * c).sum(axis=0) / weight.sum())

    def posterior_batch(self, fss: ArrayLike, rss: ArrayLike, groups: object = None) -> NDArray[np.float64]:
        """:meth:`posterior` row by row (``groups`` is not needed)."""
        return np.array([self.posterior(f, r) for f, r in zip(np.asarray(fss), np.asarray(rss), strict=True)])

    def log_evidence(self, fs: ArrayLike, rs: ArrayLike) -> float:
        """``log P(e)``: the log of the joint summed over every state."""
        return float(np.log(self.joint(fs, rs).sum()))


def enumerate_posterior(
    network: Model | CompiledModel, fs: ArrayLike, rs: ArrayLike
) -> tuple[NDArray[np.float64], float]:
    """``(P(C = 1 | e), log P(e))`` from :class:`BruteForceEngine`, for one evidence row."""
    oracle = BruteForceEngine(network)
    weight = oracle.joint(fs, rs)
    c = oracle.states[:, len(oracle.rf_prev) :]
    return (weight[:, None] * c).sum(axis=0) / weight.sum(), float(np.log(weight.sum()))


def random_network(rng: np.random.Generator, n_c: int, n_f: int, n_r: int) -> CompiledModel:
    """A random network of ``n_c`` causes, ``n_f`` findings (each with a parent), ``n_r`` risk factors."""
    w = np.where(rng.random((n_r, n_c)) < 0.5, rng.uniform(0.03, 0.95, (n_r, n_c)), 0.0)
    p = np.where(rng.random((n_f, n_c)) < 0.5, rng.uniform(0.03, 0.95, (n_f, n_c)), 0.0)
    for j in range(n_f):
        if not p[j].any():
            p[j, rng.integers(n_c)] = rng.uniform(0.1, 0.9)
    return compile_arrays(
        [f"c{i}" for i in range(n_c)],
        [f"f{j}" for j in range(n_f)],
        [f"r{k}" for k in range(n_r)],
        rng.uniform(0.002, 0.5, n_r),
        rng.uniform(0.001, 0.2, n_c),
        w,
        rng.uniform(0.001, 0.1, n_f),
        p,
    )


def random_states(rng: np.random.Generator, n: int, width: int) -> NDArray[np.int8]:
    """``n`` evidence rows of ``width`` states drawn from -1, 0, 1."""
    return rng.integers(-1, 2, (n, width)).astype(np.int8)
