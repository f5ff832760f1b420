"""The fast exact path: Quickscore over present findings, exact sums over risk factors.

For rows that share the number ``m`` of present findings with two or more parents, everything is one
vectorized pass over arrays of shape ``(rows, 2**m, ...)``:

1. Evidence folding. Unknown findings drop out (they sum to one). An absent finding ``j`` gives the
   factor ``(1 - mu_j) prod_i (1 - p_ji)**C_i``, which splits over causes. A present finding with a
   single parent ``i`` gives the factor ``mu_j`` (``C_i = 0``) or ``mu_j + p_ji (1 - mu_j)``
   (``C_i = 1``). Unknown private risk factors are summed out into the cause's ``P(C_i = 0)``.
2. Quickscore. The other present findings are expanded by inclusion-exclusion,
   ``prod_j (1 - q_j(C)) = sum_S (-1)**|S| prod_{j in S} q_j(C)``; every subset ``S`` gives a term
   that factorizes over causes (given the shared risk factors). The ``2**m`` per-cause products are
   built by doubling (no matrix products, so a row's result does not depend on its batch).
3. Shared risk factors, per :class:`~toeprob.compiled.CauseBlock`: enumerate the cutset, sum each
   star's centre out locally, and clamp a cause to "present" by dividing its factor out:
   ``P(C_i = 1, ...)`` is the term times ``u_i / t_i`` with ``t_i = z_i e0_i + (1 - z_i) e1_i > 0``
   and ``u_i = (1 - z_i) e1_i``. Block sums are combined in log space. Components coupled
   through several shared risk factors are summed by a small junction tree
   (:func:`toeprob.junction.tree_sum`, two passes per term).
4. The signed terms are scaled by the largest one and summed.

Numerical safety rule. The error of the signed sum is about ``eps * sum |terms| / P(E)`` (rounding
in the inputs ``e0``, ``e1``, ``z0``, ``q`` is *not* amplified: each is a model-level perturbation
whose effect on the sum is bounded by ``P(E)`` itself). A row is accepted if ``sum |terms| <=
CANCELLATION_LIMIT * sum terms`` (1e5) in float64; measured on realistic and improbable rows of the
default model, the posterior error is at most ``1.3e-16 * ratio``, so at most about 1e-11. Rows
above the limit with ``m <= PRECISE_MAX_PRESENT`` (9) are recomputed (from ``m = PRECISE_FIRST``,
8, computed directly) with every term in ``np.longdouble`` (``precise=True``; 80-bit,
``eps = 1.1e-19`` on x86-64 Linux) and accepted up to
``PRECISE_LIMIT`` (1e8): measured error at most ``3e-19 * ratio`` (largest seen on accepted rows
6e-13), so about 3e-11 at worst. ``P(E)`` must also be positive and finite. Other rows go to the
stable path, :mod:`toeprob.elimination`. Where ``np.longdouble`` is plain float64 (Windows, Apple
silicon), :data:`EXTENDED` is false and no row is retried.

Examples
--------
>>> import numpy as np
>>> from toeprob.compiled import compile_arrays
>>> cm = compile_arrays(["a", "b"], ["f"], [], [], [0.1, 0.2], np.zeros((0, 2)), [0.01], [[0.9, 0.5]])
>>> fs, rs = np.array([[1]], dtype=np.int8), np.zeros((1, 0), dtype=np.int8)
>>> post, log_ev, cancellation = quickscore_rows(cm, fs, rs, np.array([[0]]))
>>> post.round(4).tolist(), float(cancellation[0]) < CANCELLATION_LIMIT
([[0.4815, 0.581]], True)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from toeprob.compiled import CauseBlock, CompiledModel
from toeprob.junction import tree_sum

__all__ = [
    "CANCELLATION_LIMIT",
    "EXTENDED",
    "PRECISE_FIRST",
    "PRECISE_LIMIT",
    "PRECISE_MAX_PRESENT",
    "block_elements",
    "quickscore_rows",
]

CANCELLATION_LIMIT = 1e5
"""Largest accepted ratio ``sum |terms| / |sum terms|`` of the inclusion-exclusion sum (float64)."""

PRECISE_LIMIT = 1e8
"""Largest accepted ratio when the sums are computed in ``np.longdouble`` (``precise=True``)."""

EXTENDED = bool(np.finfo(np.longdouble).eps < 1e-18)
"""Whether ``np.longdouble`` is wider than float64 (80-bit x87 on x86-64 Linux; not on Windows or
Apple silicon, where the engine then skips the extended-precision retry)."""

PRECISE_FIRST = 8
"""From this ``m`` on, the engine skips the float64 attempt (on realistic rows of the default model
most rows with ``m >= 8`` have a ratio above :data:`CANCELLATION_LIMIT`)."""

PRECISE_MAX_PRESENT = 9 if EXTENDED else -1
"""Largest ``m`` for which the engine retries in extended precision (above it, elimination is
cheaper than ``2**m`` terms in ``longdouble``); ``-1`` without extended precision."""

FloatArray = NDArray[np.float64]


def block_elements(compiled: CompiledModel) -> int:
    """Array elements one Quickscore term needs (``sum over blocks of 2**k * 2 * n``)."""
    stars = sum(b.multiplier.size for b in compiled.blocks)
    trees = sum(
        max(t.tree.stacked.multiplier.size, t.tree.stacked.prior_var[..., 0].size) for t in compiled.trees
    )
    return int(stars + trees)


def _evidence_factors(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-row ``rho`` (P(risk factor present), with dummy), ``z0``, ``e0``, ``e1`` and log const.

    Every per-state value is a lookup in the compiled tables (one gather per quantity).
    """
    n = fs.shape[0]
    rho = np.zeros((n, len(cm.risk_factors) + 1))
    rho[:, :-1] = cm.rf_rho_table[rs + cm.rf_offset]
    z0 = (1.0 - cm.cause_leak) * np.prod(1.0 - rho[:, cm.private_rf] * cm.private_weight, axis=-1)
    state = np.full((n, len(cm.findings) + 1), -1, dtype=np.int8)
    state[:, :-1] = fs
    s = state[:, cm.child_finding] + cm.child_offset
    e1 = np.prod(cm.child_e1_table[s], axis=-1)
    e0 = np.prod(cm.child_e0_table[s], axis=-1)
    log_const = np.sum(cm.finding_log_table[fs + cm.finding_offset], axis=-1) + np.sum(
        cm.rf_log_table[rs + cm.rf_offset], axis=-1
    )
    return rho, z0, e0, e1, log_const


def _log_const(
    cm: CompiledModel, fs: NDArray[np.int8], rs: NDArray[np.int8], dtype: type[np.floating]
) -> FloatArray:
    """Log of the factors that do not involve causes: absent-finding leaks, observed risk factors."""
    log1m = np.log1p(-cm.finding_leak.astype(dtype))
    prev = cm.rf_prevalence.astype(dtype)
    with np.errstate(divide="ignore"):
        prior = np.log(np.where(rs == 1, prev, np.where(rs == 0, 1 - prev, 1)))
    return np.asarray(np.sum(np.where(fs == 0, log1m, 0), axis=-1) + np.sum(prior, axis=-1))


def _block(
    b: CauseBlock, rho: FloatArray, z0: FloatArray, e0: FloatArray, g: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Log block sum (n, T) and P(cause present | term) ratios (n, T, nb) for one block."""
    cols = b.causes
    alpha = g[:, :, None, None, cols]  # (n, T, 1, 1, nb)
    zm = z0[:, None, None, None, cols] * b.multiplier  # (n, 1, K, 2, nb)
    t = alpha + zm * (e0[:, None, None, None, cols] - alpha)
    u = alpha - zm * alpha
    star = np.multiply.reduceat(t, b.star_starts, axis=-1)  # (n, T, K, 2, s)
    phi1 = rho[:, b.star_rf]
    star[..., 0, :] *= (1.0 - phi1)[:, None, None, :]
    star[..., 1, :] *= phi1[:, None, None, :]
    total = star[..., 0, :] + star[..., 1, :]  # (n, T, K, s)
    if len(b.configs) == 1:  # no cutset (what the compiler builds): no mixture over configurations
        with np.errstate(divide="ignore", invalid="ignore"):
            log_sum = np.sum(np.log(total[..., 0, :]), axis=-1)
            ratio = np.where(t > 0, u / t, 0.0) * star[..., b.cause_star]  # (n, T, 1, 2, nb)
            den = total[..., 0, b.cause_star]
            per_cause = np.where(den > 0, (ratio[..., 0, 0, :] + ratio[..., 0, 1, :]) / den, 0.0)
        return log_sum, per_cause
    with np.errstate(divide="ignore"):
        log_prod = np.sum(np.log(total), axis=-1)  # (n, T, K)
        rc = rho[:, b.cutset_rf][:, None, :]
        log_w = np.sum(np.log(np.where(b.configs, rc, 1.0 - rc)), axis=-1)  # (n, K)
    lw = log_w[:, None, :] + log_prod
    top = np.max(lw, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        weight = np.exp(lw - top)
    mass = np.sum(weight, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_sum = top[..., 0] + np.log(mass)
        weight /= mass[..., None]
        ratio = np.where(t > 0, u / t, 0.0) * star[..., b.cause_star]  # (n, T, K, 2, nb)
        per_cause = ratio[..., 0, :] + ratio[..., 1, :]
        den = total[..., b.cause_star]
        per_cause = np.where(den > 0, per_cause / den, 0.0)  # (n, T, K, nb)
    per_cause = np.sum(per_cause * weight[..., None], axis=2)
    return log_sum, per_cause


def quickscore_rows(
    cm: CompiledModel,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    present: NDArray[np.intp],
    *,
    precise: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Posteriors for rows that all have ``present.shape[1]`` multi-parent present findings.

    Parameters
    ----------
    cm : CompiledModel
    fs, rs : ndarray of int8, shapes (n, F) and (n, R)
        Finding and risk-factor states (-1 unknown, 0 absent, 1 present).
    present : ndarray of int, shape (n, m)
        Indices of each row's present findings that have two or more parents.

    Returns
    -------
    posterior : ndarray, shape (n, C)
    log_evidence : ndarray, shape (n,)
    cancellation : ndarray, shape (n,)
        ``sum |terms| / P(E)`` (``inf`` if ``P(E)`` is not positive and finite); rows above
        :data:`CANCELLATION_LIMIT` must be recomputed by a stable method.
    """
    n, m = present.shape
    rho, z0, e0, e1, log_const = _evidence_factors(cm, fs, rs)
    q, log1m = cm.finding_q, cm.log1m_finding_leak
    if precise:
        ld = np.longdouble
        rho, z0, e0, e1, q = rho.astype(ld), z0.astype(ld), e0.astype(ld), e1.astype(ld), q.astype(ld)
        log1m = np.log1p(-cm.finding_leak.astype(ld))
        log_const = _log_const(cm, fs, rs, ld)
    g = e1[:, None, :]
    log_c = log_const[:, None]
    sign = np.ones(1, dtype=g.dtype)
    for k in range(m):
        j = present[:, k]
        g = np.concatenate([g, g * q[j][:, None, :]], axis=1)
        log_c = np.concatenate([log_c, log_c + log1m[j][:, None]], axis=1)
        sign = np.concatenate([sign, -sign])
    n_terms = 1 << m
    ratio = np.empty((n, len(cm.causes), n_terms), dtype=g.dtype)
    log_term = log_c
    for b in cm.blocks:
        log_b, ratio_b = _block(b, rho, z0, e0, g)
        log_term = log_term + log_b
        ratio[:, b.causes, :] = np.swapaxes(ratio_b, 1, 2)
    for tr in cm.trees:
        c = tr.causes
        log_b, ratio_b = tree_sum(tr.tree, rho[:, tr.risk_factors], z0[:, c], e0[:, c], g[:, :, c])
        log_term = log_term + log_b
        ratio[:, c, :] = np.swapaxes(ratio_b, 1, 2)
    top = np.max(log_term, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        scaled = np.exp(log_term - top)
    terms = scaled * sign
    den = np.sum(terms, axis=-1)
    spread = np.sum(scaled, axis=-1)
    num = np.sum(ratio * terms[:, None, :], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        post = np.clip(num / den[:, None], 0.0, 1.0)
        log_ev = top[:, 0] + np.log(den)
        cancellation = np.where(np.isfinite(log_ev) & (den > 0), spread / den, np.inf)
    f64 = np.float64
    return post.astype(f64), log_ev.astype(f64), cancellation.astype(f64)
