"""The fast exact path: Quickscore over present findings, exact sums over risk factors.

Every row goes through the steps below, in float64 by the numba-compiled program of
:mod:`toeprob.inference.quickscore_kernel` (rows of any ``m`` in one call), and in extended
precision (``precise=True``) by the array program of this module: for rows that share the number
``m`` of present findings with two or more parents, one vectorized pass over arrays of shape
``(..., 2**m, rows)`` (rows last, so every operation runs along long inner loops). Both do the same
arithmetic in the same order, so the compiled program's float64 results are those the array
program gives in float64, bit for bit.

1. Evidence folding. Unknown findings drop out (they sum to one). An absent finding ``j`` gives the
   factor ``(1 - mu_j) prod_i (1 - p_ji)**C_i``, which splits over causes. A present finding with a
   single parent ``i`` gives the factor ``mu_j`` (``C_i = 0``) or ``mu_j + p_ji (1 - mu_j)``
   (``C_i = 1``). Unknown private risk factors are summed out into the cause's ``P(C_i = 0)``.
2. Quickscore. The other present findings are expanded by inclusion-exclusion,
   ``prod_j (1 - q_j(C)) = sum_S (-1)**|S| prod_{j in S} q_j(C)``; every subset ``S`` gives a term
   that factorizes over causes (given the shared risk factors). The ``2**m`` per-cause products are
   built by doubling (no matrix products, so a row's result does not depend on its batch).
3. Shared risk factors: every term's sum over causes and shared risk factors, with each cause's
   ``P(C_i = 1 | term)``, comes from the program of :mod:`toeprob.inference.risk_factors` (a junction
   tree of the
   shared risk factors, compiled once, two passes per call); causes without shared parents are
   summed out analytically.
4. The signed terms are scaled by the largest one and summed.

Numerical safety rule. The error of the signed sum is about ``eps * sum |terms| / P(E)`` (rounding
in the inputs ``e0``, ``e1``, ``z0``, ``q`` is *not* amplified: each is a model-level perturbation
whose effect on the sum is bounded by ``P(E)`` itself). A row is accepted if ``sum |terms| <=
CANCELLATION_LIMIT * sum terms`` (1e5) in float64; measured against elimination on 302
realistic rows of the default model with ratios from 1e3 up, the posterior error is at most
``2e-16 * ratio`` (1.2e-16 seen), so at most about 2e-11 (largest seen on accepted rows
4.8e-12). Rows above the limit with ``m <= PRECISE_MAX_PRESENT`` (9) are recomputed (from
``m = PRECISE_FIRST``, 8, computed directly) with every term in ``np.longdouble`` (``precise=True``; 80-bit,
``eps = 1.1e-19`` on x86-64 Linux) and accepted up to ``PRECISE_LIMIT`` (1e8): measured error at
most ``1.5e-19 * ratio`` on the same rows (1.44e-19 seen), so about 1.5e-11 at worst (rerun:
``benchmarks/bench_precision.py``). ``P(E)`` must also be positive and finite. Other rows go to
the stable path, :mod:`toeprob.inference.elimination`. Where ``np.longdouble`` is plain float64 (Windows,
Apple silicon), :data:`EXTENDED` is false and no row is retried.

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> cm = compile_arrays(["a", "b"], ["f"], [], [], [0.1, 0.2], np.zeros((0, 2)), [0.01], [[0.9, 0.5]])
>>> fs, rs = np.array([[1]], dtype=np.int8), np.zeros((1, 0), dtype=np.int8)
>>> post, log_ev, cancellation = quickscore_rows(cm, fs, rs, np.array([[0]]))
>>> post.round(4).tolist(), float(cancellation[0]) < CANCELLATION_LIMIT
([[0.4815, 0.581]], True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.compiled import CompiledModel
from toeprob.inference.risk_factors import risk_sums

if TYPE_CHECKING:
    from toeprob.inference.variants import CompiledVariants

__all__ = [
    "CANCELLATION_LIMIT",
    "EXTENDED",
    "PRECISE_FIRST",
    "PRECISE_LIMIT",
    "PRECISE_MAX_PRESENT",
    "quickscore_rows",
    "term_elements",
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


def term_elements(compiled: CompiledModel) -> int:
    """Array elements one Quickscore term needs per row (factor layout and clique tables).

    A model compiled without a risk-factor program (too large) gets ``2**62``: no row fits.
    """
    if compiled.program is None:
        return 1 << 62
    return int(compiled.program.elements + 4 * len(compiled.causes))


def _evidence_factors(
    cm: CompiledModel,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    variants: CompiledVariants | None = None,
    variant: NDArray[np.intp] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-row ``rho`` (R, n), ``z0``, ``e0``, ``e1`` (C, n) and the log constant (n,).

    ``rho`` is ``P(risk factor present)``, ``z0`` a cause's ``P(C = 0)`` given its leak and private
    risk factors, ``e0``/``e1`` the folded evidence factors at ``C = 0``/``C = 1``. Every per-state
    value is a lookup in the compiled tables (one gather per quantity); with ``variants``, row
    ``k`` looks up the tables of variant ``variant[k]``.
    """
    n = fs.shape[0]
    n_r, (n_c, n_p), n_d = len(cm.risk_factors), cm.private_rf.shape, cm.child_finding.shape[1]
    states = np.concatenate([fs.T, rs.T, np.full((1, n), -1, dtype=np.int8)])
    index = states[cm.lookup_row] + cm.lookup_offset[:, None]
    if variants is None or variant is None:
        values, free = cm.lookup_table[index], (1.0 - cm.cause_leak)[:, None]
    else:
        values = variants.lookup_values[variant[None, :], variants.lookup_slot[index]]
        free = 1.0 - variants.cause_leak[variant].T
    private = values[n_r : n_r + n_c * n_p].reshape(n_c, n_p, n)
    z0 = free * np.multiply.reduce(private, axis=1)
    start = n_r + n_c * n_p
    e = np.multiply.reduce(values[start : start + 2 * n_c * n_d].reshape(2, n_c, n_d, n), axis=2)
    log_const = np.add.reduce(values[start + 2 * n_c * n_d :], axis=0)
    return values[:n_r], z0, e[1], e[0], log_const


def _log_const(
    finding_leak: FloatArray,
    rf_prevalence: FloatArray,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    dtype: type[np.floating],
) -> FloatArray:
    """Log of the factors that do not involve causes: absent-finding leaks, observed risk factors.

    ``finding_leak`` (F,) or (n, F) and ``rf_prevalence`` (R,) or (n, R): one model, or each row's.
    """
    log1m = np.log1p(-finding_leak.astype(dtype))
    prev = rf_prevalence.astype(dtype)
    with np.errstate(divide="ignore"):
        prior = np.log(np.where(rs == 1, prev, np.where(rs == 0, 1 - prev, 1)))
    return np.asarray(np.add.reduce(np.where(fs == 0, log1m, 0), axis=-1) + np.add.reduce(prior, axis=-1))


_SUBSETS: dict[int, tuple[FloatArray, FloatArray]] = {}


def _subsets(m: int) -> tuple[FloatArray, FloatArray]:
    """Membership bits ``(m, 2**m, 1)`` of every subset (term ``S``) and its sign ``(-1)**|S|``."""
    if m not in _SUBSETS:
        bits = ((np.arange(1 << m)[None, :] >> np.arange(m)[:, None]) & 1).astype(np.float64)
        sign = np.where(bits.sum(axis=0) % 2 == 1, -1.0, 1.0)[:, None]
        bits, sign = bits[..., None], sign
        bits.setflags(write=False)
        sign.setflags(write=False)
        _SUBSETS[m] = (bits, sign)
    return _SUBSETS[m]


def quickscore_rows(
    cm: CompiledModel,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    present: NDArray[np.intp],
    counts: NDArray[np.intp] | None = None,
    *,
    precise: bool = False,
    variants: CompiledVariants | None = None,
    variant: NDArray[np.intp] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Posteriors, log evidence and cancellation ratio of every row.

    Parameters
    ----------
    cm : CompiledModel
    fs, rs : ndarray of int8, shapes (n, F) and (n, R)
        Finding and risk-factor states (-1 unknown, 0 absent, 1 present).
    present : ndarray of int, shape (n, m)
        Indices of each row's present findings that have two or more parents: the first
        ``counts[k]`` entries of row ``k`` (all ``m`` if ``counts`` is not given).
    counts : ndarray of int, shape (n,), optional
        Number of such findings per row (float64 only: in extended precision every row has ``m``).
    precise : bool, default False
        Compute every term in ``np.longdouble`` (the array program of this module); float64 rows
        are computed by the compiled program of :mod:`toeprob.inference.quickscore_kernel`, with the
        same arithmetic.
    variants, variant : CompiledVariants and ndarray of int, shape (n,), optional
        Row ``k`` is computed under model variant ``variant[k]`` of ``variants`` (whose ``base`` is
        ``cm``), exactly as if that variant were compiled alone (float64: the compiled program
        with a variant index per row; extended precision: the array program).

    Returns
    -------
    posterior : ndarray, shape (n, C)
    log_evidence : ndarray, shape (n,)
    cancellation : ndarray, shape (n,)
        ``sum |terms| / P(E)`` (``inf`` if ``P(E)`` is not positive and finite, or if a sum came
        close to underflow); rows above :data:`CANCELLATION_LIMIT` must be recomputed by a stable
        method.
    """
    if cm.program is None:
        raise ValueError("this model was compiled without a risk-factor program; use elimination.")
    if not precise:
        from toeprob.inference.quickscore_kernel import quickscore_kernel

        if counts is None:
            counts = np.full(present.shape[0], present.shape[1], dtype=np.intp)
        return quickscore_kernel(cm, fs, rs, present, counts, variants, variant)
    if counts is not None and np.any(counts != present.shape[1]):
        raise ValueError("in extended precision every row must have present.shape[1] present findings.")
    return _array_rows(cm, fs, rs, present, np.longdouble, variants, variant)


def _array_rows(
    cm: CompiledModel,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    present: NDArray[np.intp],
    dt: type[np.floating],
    variants: CompiledVariants | None = None,
    variant: NDArray[np.intp] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:func:`quickscore_rows` as arrays of shape ``(..., 2**m, rows)``, in ``dt``.

    ``np.longdouble``: the extended-precision retry (of one model, or of rows of model variants).
    """
    if present.shape[0] == 1:
        # a lone row is computed as two copies: with a row axis of length 1, numpy would sum the
        # other axes in another order (pairwise), and single and batch results would differ
        post, log_ev, cancellation = _array_rows(
            cm,
            np.repeat(fs, 2, axis=0),
            np.repeat(rs, 2, axis=0),
            np.repeat(present, 2, axis=0),
            dt,
            variants,
            None if variant is None else np.repeat(variant, 2),
        )
        return post[:1], log_ev[:1], cancellation[:1]
    n, m = present.shape
    rho, z0, e0, e1, log_const = _evidence_factors(cm, fs, rs, variants, variant)
    pt = present.T
    if variants is None or variant is None:
        mu, prev, multiplier = cm.finding_leak, cm.rf_prevalence, None
        qp, log1m_p = cm.finding_q[pt], cm.log1m_finding_leak[pt]  # (m, n, C), (m, n)
    else:
        row = variant[None, :]
        qp, log1m_p = variants.finding_q[row, pt], variants.log1m_finding_leak[row, pt]
        mu, prev = variants.finding_leak[variant], variants.rf_prevalence[variant]
        multiplier = None if variants.multiplier is None else variants.multiplier[variant].T
    if dt is not np.float64:
        rho, z0, e0, e1, qp = rho.astype(dt), z0.astype(dt), e0.astype(dt), e1.astype(dt), qp.astype(dt)
        log1m_all = np.log1p(-mu.astype(dt))
        log1m_p = log1m_all[pt] if variant is None else np.take_along_axis(log1m_all, present, axis=1).T
        log_const = _log_const(mu, prev, fs, rs, dt)
    bits, sign = _subsets(m)
    n_terms = 1 << m
    g = np.empty((len(cm.causes), n_terms, n), dtype=dt)  # factor at C_i = 1 of every term
    g[:, 0] = e1
    for k in range(m):
        np.multiply(g[:, : 1 << k], qp[k].T[:, None, :], out=g[:, 1 << k : 2 << k])
    # every term's log without the parts common to all terms of a row (``log_const``, ``log_ref``):
    # large logs (improbable evidence) would otherwise carry an absolute rounding error of
    # ``|log| * eps`` into each term, which the signed sum amplifies
    log_c = np.add.reduce(bits * log1m_p[:, None, :], axis=0)  # (T, n)
    assert cm.program is not None
    log_b, log_ref, ratio, tiny = risk_sums(cm.program, rho, z0, e0, g, multiplier)
    log_term = log_c + log_b
    top = np.maximum.reduce(log_term, axis=0)
    good = top > -np.inf
    top = np.where(good, top, 0.0)  # a row whose terms are all zero is impossible evidence
    scaled = np.exp(log_term - top)
    terms = scaled * sign
    den = np.add.reduce(terms, axis=0)
    spread = np.add.reduce(scaled, axis=0)
    num = np.add.reduce(ratio * terms, axis=1)  # (C, n)
    good &= (den > 0) & ~tiny
    den = np.where(good, den, 1.0)
    post = np.clip(num / den, 0.0, 1.0).T
    log_ev = np.where(good, log_const + log_ref + top + np.log(den), -np.inf)
    cancellation = np.where(good, spread / den, np.inf)
    f64 = np.float64
    return post.astype(f64, copy=False), log_ev.astype(f64, copy=False), cancellation.astype(f64, copy=False)
