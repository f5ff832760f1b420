"""Exact posteriors by enumerating every joint state of risk factors and causes (tiny models only)."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

from toeprob.knowledge.model import Model


class BruteForceEngine:
    """Sum the full joint over all 2**(R + C) states; findings enter through their likelihoods."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.rf_prev = np.array([model.risk_factor_specs[r].prevalence for r in model.risk_factors])
        self.c_leak = np.array([model.cause_specs[c].leak for c in model.causes])
        self.f_leak = np.array([model.finding_specs[f].leak for f in model.findings])
        ri = {r: i for i, r in enumerate(model.risk_factors)}
        ci = {c: i for i, c in enumerate(model.causes)}
        fi = {f: i for i, f in enumerate(model.findings)}
        self.w = np.zeros((len(ri), len(ci)))
        for lk in model.risk_links:
            self.w[ri[lk.parent], ci[lk.child]] = lk.probability
        self.p = np.zeros((len(fi), len(ci)))
        for lk in model.finding_links:
            self.p[fi[lk.child], ci[lk.parent]] = lk.probability
        n_r, n_c = len(ri), len(ci)
        if n_r + n_c > 18:
            raise ValueError("brute force is for tiny models only")
        self.states = np.array(list(itertools.product([0, 1], repeat=n_r + n_c)), dtype=float)

    def joint(self, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> NDArray[np.float64]:
        n_r = len(self.rf_prev)
        r, c = self.states[:, :n_r], self.states[:, n_r:]
        pr = np.prod(np.where(r == 1, self.rf_prev, 1 - self.rf_prev), axis=1)
        for k in range(n_r):
            if rs[k] >= 0:
                pr = pr * (r[:, k] == rs[k])
        c_absent = (1 - self.c_leak) * np.prod((1 - self.w[None]) ** r[:, :, None], axis=1)
        pc = np.prod(np.where(c == 1, 1 - c_absent, c_absent), axis=1)
        f_absent = (1 - self.f_leak) * np.prod((1 - self.p[None]) ** c[:, None, :], axis=2)
        pf = np.ones(len(self.states))
        for j, s in enumerate(fs):
            if s == 1:
                pf = pf * (1 - f_absent[:, j])
            elif s == 0:
                pf = pf * f_absent[:, j]
        return np.asarray(pr * pc * pf)

    def posterior(self, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> NDArray[np.float64]:
        j = self.joint(fs, rs)
        c = self.states[:, len(self.rf_prev) :]
        return np.asarray((j[:, None] * c).sum(axis=0) / j.sum())

    def posterior_batch(self, fss: NDArray[np.int8], rss: NDArray[np.int8]) -> NDArray[np.float64]:
        return np.array([self.posterior(f, r) for f, r in zip(fss, rss, strict=True)])

    def log_evidence(self, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> float:
        """``log P(evidence)``: the log of the joint summed over every state."""
        return float(np.log(self.joint(fs, rs).sum()))
