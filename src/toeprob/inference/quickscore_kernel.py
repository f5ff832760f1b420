"""The float64 Quickscore program compiled with numba: rows and terms in one call.

:func:`quickscore_kernel` computes, for every row, what :mod:`toeprob.inference.quickscore`
describes (evidence folding, the ``2**m`` inclusion-exclusion terms, the sums over shared risk
factors of :mod:`toeprob.inference.risk_factors`, the signed sum), with the same arithmetic as the
array program in the same order: every product, every sum (sequential where numpy reduces along
a leading axis, numpy's pairwise order where it reduces segments with ``np.add.reduceat``),
``exp`` and ``log``. A row's result therefore does not depend on the other rows of the call, and
equals the array program's (``risk_sums`` in float64) bit for bit.

Work is organized in *lanes*, one per (row, term) pair: :data:`LANES` lanes at a time go through
the junction tree together, the lane index innermost, so that every step is a short loop over
contiguous memory that the compiler vectorizes; no lane's arithmetic depends on another's.

Model variants (:mod:`toeprob.inference.variants`): every parameter-dependent table is read with
a leading variant axis, and each row carries a variant index, so that rows of many variants of
one model go through one call. One model is the case of one variant (its tables as views with a
leading axis of one, variant 0 for every row, its lookup table read through the identity slots):
both use the same compiled code, one signature, and one model's results do not depend on it.

The functions are compiled on first use and cached on disk (``cache=True``): the first call in a
fresh environment compiles for about 10-30 s, later processes load the cached machine code in
about a second (measured in ``benchmarks/README.md``). Extended precision (``np.longdouble``) has
no numba type; rows that need it stay on the array program (``quickscore_rows(precise=True)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["LANES", "quickscore_kernel"]

LANES = 32
"""(row, term) pairs processed together (lane buffers of about 300 KiB: the second-level cache)."""

TINY = 1e-250  # as toeprob.inference.risk_factors.TINY (imported by value: compiled code reads globals once)

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(function: _F) -> _F:
    return cast(_F, numba.njit(cache=True, nogil=True)(function))


FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@_compiled
def _pairwise(a: FloatArray, lo: int, hi: int, out: FloatArray, acc: FloatArray, nl: int) -> None:
    """``out[l]`` = numpy's pairwise sum of ``a[lo:hi, l]`` (the order ``np.add.reduce`` uses along
    a contiguous inner loop: below 8 elements from zero, up to 128 in eight running sums, above
    that split in two halves)."""
    n = hi - lo
    if n < 8:
        for lane in range(nl):
            out[lane] = 0.0
        for i in range(lo, hi):
            for lane in range(nl):
                out[lane] += a[i, lane]
        return
    if n <= 128:
        for j in range(8):
            for lane in range(nl):
                acc[j, lane] = a[lo + j, lane]
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                for lane in range(nl):
                    acc[j, lane] += a[lo + i + j, lane]
            i += 8
        for lane in range(nl):
            out[lane] = ((acc[0, lane] + acc[1, lane]) + (acc[2, lane] + acc[3, lane])) + (
                (acc[4, lane] + acc[5, lane]) + (acc[6, lane] + acc[7, lane])
            )
        while i < n:
            for lane in range(nl):
                out[lane] += a[lo + i, lane]
            i += 1
        return
    half = n // 2
    half -= half % 8
    left = np.empty(nl)
    _pairwise(a, lo, lo + half, left, acc, nl)
    _pairwise(a, lo + half, hi, out, acc, nl)
    for lane in range(nl):
        out[lane] = left[lane] + out[lane]


@_compiled
def _evidence(
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    lookup_row: IntArray,
    lookup_slot: IntArray,
    lookup_table: FloatArray,
    n_p: int,
    n_d: int,
    cause_leak: FloatArray,
    column_cause: IntArray,
    multiplier: FloatArray,
    prior_index: IntArray,
    variant: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per row: ``1 - z`` and ``z e0`` of every factor column, the priors homed at every stacked
    configuration, ``e1`` of every cause and the log constant (``_evidence_factors`` of
    :mod:`toeprob.inference.quickscore`, then the row-only parts of ``risk_sums``); row ``r`` reads
    the tables of model variant ``variant[r]`` (their first axis), entry ``i`` of the lookup table
    at ``lookup_table[variant[r], lookup_slot[i]]``."""
    n, n_f = fs.shape
    n_r = rs.shape[1]
    n_c = cause_leak.shape[1]
    n_lookup = lookup_row.shape[0]
    width = column_cause.shape[0]
    n_stacked, n_home = prior_index.shape
    one_minus = np.empty((n, width))
    z_e0 = np.empty((n, width))
    prior = np.empty((n, n_stacked))
    e1 = np.empty((n, n_c))
    log_const = np.empty(n)
    state = np.full(n_f + n_r + 1, -1, dtype=np.intp)  # the last entry: always unknown
    values = np.empty(n_lookup)
    z0 = np.empty(n_c)
    e0 = np.empty(n_c)
    table = np.empty(2 * n_r + 1)
    slot = np.empty(n_lookup, dtype=np.intp)  # each entry's slot for the current states
    for r in range(n):
        v = variant[r]
        same = r > 0  # the states of the previous row (the slots already in place)
        for i in range(n_f):
            same = same and fs[r, i] == fs[r - 1, i]
        for i in range(n_r):
            same = same and rs[r, i] == rs[r - 1, i]
        if not same:
            for i in range(n_f):
                state[i] = fs[r, i]
            for i in range(n_r):
                state[n_f + i] = rs[r, i]
            for k in range(n_lookup):
                slot[k] = lookup_slot[3 * k + 1 + state[lookup_row[k]]]
        for k in range(n_lookup):
            values[k] = lookup_table[v, slot[k]]
        for c in range(n_c):
            acc = values[n_r + c * n_p]
            for a in range(1, n_p):
                acc = acc * values[n_r + c * n_p + a]
            z0[c] = (1.0 - cause_leak[v, c]) * acc
        at_one = n_r + n_c * n_p
        at_zero = at_one + n_c * n_d
        for c in range(n_c):
            acc = values[at_one + c * n_d]
            for a in range(1, n_d):
                acc = acc * values[at_one + c * n_d + a]
            e1[r, c] = acc
            acc = values[at_zero + c * n_d]
            for a in range(1, n_d):
                acc = acc * values[at_zero + c * n_d + a]
            e0[c] = acc
        logs = at_zero + n_c * n_d
        acc = values[logs]
        for k in range(logs + 1, n_lookup):
            acc = acc + values[k]
        log_const[r] = acc
        for w in range(width):
            zm = z0[column_cause[w]] * multiplier[v, w]
            one_minus[r, w] = 1.0 - zm
            z_e0[r, w] = zm * e0[column_cause[w]]
        for i in range(n_r):
            table[i] = 1.0 - values[i]
            table[n_r + i] = values[i]
        table[2 * n_r] = 1.0
        for p in range(n_stacked):
            acc = table[prior_index[p, 0]]
            for h in range(1, n_home):
                acc = acc * table[prior_index[p, h]]
            prior[r, p] = acc
    return one_minus, z_e0, prior, e1, log_const


@_compiled
def _terms_into(
    present: IntArray,
    counts: IntArray,
    lane_start: IntArray,
    one_minus: FloatArray,
    z_e0: FloatArray,
    prior: FloatArray,
    e1: FloatArray,
    finding_q: FloatArray,
    column_cause: IntArray,
    stack_columns: IntArray,
    slot_ends: IntArray,
    clique_start: IntArray,
    clique_size: IntArray,
    clique_parent: IntArray,
    message_offsets: IntArray,
    up_index: IntArray,
    child_pointer: IntArray,
    child_list: IntArray,
    child_map_offset: IntArray,
    child_map: IntArray,
    roots: IntArray,
    marginal_pointer: IntArray,
    marginal_rows: IntArray,
    free: IntArray,
    offsets: IntArray,
    variant: IntArray,
    lane_ratio: FloatArray,
    lane_parts: FloatArray,
) -> NDArray[np.bool_]:
    """Every lane's ``P(C_i = 1 | term)`` into ``lane_ratio`` and the factors of its sum (the free
    causes' factors, then each component's total) into ``lane_parts``; returns the rows flagged for
    tiny sums (``risk_sums``). Each lane reads its row's ``1 - z``, ``z e0`` and priors where they
    are used (row ``r`` of a call: a row of one model, or a (row, variant) pair of
    :mod:`toeprob.inference.variants_kernel`)."""
    n = counts.shape[0]
    n_c = e1.shape[1]
    width = column_cause.shape[0]
    n_slots, n_stacked = stack_columns.shape
    n_q = clique_start.shape[0]
    n_root = roots.shape[0]
    n_free = free.shape[0]
    n_msg = message_offsets[n_q]
    n_lanes = int(lane_start[n])
    lanes = LANES
    flagged = np.zeros(n, dtype=np.bool_)
    g = np.empty((n_c, lanes))
    u = np.empty((width, lanes))
    t = np.empty((width + 1, lanes))  # row ``width``: one, for padded slots
    stacked = np.empty((n_stacked, lanes))
    belief = np.empty((n_stacked, lanes))
    message = np.empty((n_msg, lanes))
    adjoint = np.empty((n_msg, lanes))
    share = np.empty((width, lanes))
    out = np.empty(lanes)
    acc8 = np.empty((8, lanes))
    lane_row = np.empty(lanes, dtype=np.intp)
    small = np.zeros(lanes, dtype=np.bool_)
    is_free = np.zeros(width, dtype=np.bool_)
    for k in range(n_free):
        is_free[free[k]] = True
    r = 0
    for first in range(0, n_lanes, lanes):
        nl = min(lanes, n_lanes - first)
        for lane in range(nl):
            while first + lane >= lane_start[r + 1]:
                r += 1
            lane_row[lane] = r
            small[lane] = False
            term = first + lane - lane_start[r]
            for c in range(n_c):  # the term's factor at C_i = 1, lowest subset bit first
                v = e1[r, c]
                for k in range(counts[r]):
                    if (term >> k) & 1:
                        v = v * finding_q[variant[r], present[r, k], c]
                g[c, lane] = v
        for w in range(width):
            cw = column_cause[w]
            for lane in range(nl):
                pair = lane_row[lane]
                uu = g[cw, lane] * one_minus[pair, w]
                u[w, lane] = uu
                t[w, lane] = uu + z_e0[pair, w]
        for lane in range(nl):
            t[width, lane] = 1.0
        for p in range(n_stacked):
            j = stack_columns[0, p]
            for lane in range(nl):
                stacked[p, lane] = t[j, lane]
        for s in range(1, n_slots):
            for p in range(slot_ends[s]):
                j = stack_columns[s, p]
                for lane in range(nl):
                    stacked[p, lane] = stacked[p, lane] * t[j, lane]
        for p in range(n_stacked):
            for lane in range(nl):
                stacked[p, lane] = stacked[p, lane] * prior[lane_row[lane], p]
        for q in range(n_q):  # upward: children's messages in, this clique's message out
            start = clique_start[q]
            for ci in range(child_pointer[q], child_pointer[q + 1]):
                base = message_offsets[child_list[ci]]
                at = child_map_offset[ci]
                for p in range(clique_size[q]):
                    x = base + child_map[at + p]
                    for lane in range(nl):
                        stacked[start + p, lane] = stacked[start + p, lane] * message[x, lane]
            for x in range(message_offsets[q], message_offsets[q + 1]):
                for lane in range(nl):
                    message[x, lane] = 0.0
            for p in range(clique_size[q]):
                x = message_offsets[q] + up_index[start + p]
                for lane in range(nl):
                    message[x, lane] += stacked[start + p, lane]
            for x in range(message_offsets[q], message_offsets[q + 1]):
                for lane in range(nl):
                    total = message[x, lane]
                    if total > 0.0 and total < TINY:
                        small[lane] = True  # a message or a total that division cannot trust
                    if clique_parent[q] < 0:
                        adjoint[x, lane] = 1.0 / total if total >= TINY else 0.0
        for q in range(n_q - 1, -1, -1):  # downward: beliefs, and the adjoints of the children
            start = clique_start[q]
            for p in range(clique_size[q]):
                x = message_offsets[q] + up_index[start + p]
                for lane in range(nl):
                    belief[start + p, lane] = stacked[start + p, lane] * adjoint[x, lane]
            for ci in range(child_pointer[q], child_pointer[q + 1]):
                j = child_list[ci]
                at = child_map_offset[ci]
                for x in range(message_offsets[j], message_offsets[j + 1]):
                    for lane in range(nl):
                        adjoint[x, lane] = 0.0
                for p in range(clique_size[q]):
                    x = message_offsets[j] + child_map[at + p]
                    for lane in range(nl):
                        adjoint[x, lane] += belief[start + p, lane]
                for x in range(message_offsets[j], message_offsets[j + 1]):
                    for lane in range(nl):
                        if message[x, lane] >= TINY:
                            adjoint[x, lane] = adjoint[x, lane] / message[x, lane]
        for w in range(width):  # each factor's share of C_i = 1, times its belief
            if not is_free[w]:
                for lane in range(nl):
                    out[lane] = 0.0
                for jj in range(marginal_pointer[w], marginal_pointer[w + 1]):
                    b = marginal_rows[jj]
                    for lane in range(nl):
                        out[lane] += belief[b, lane]
            for lane in range(nl):
                ratio = u[w, lane] / t[w, lane] if t[w, lane] > 0.0 else 0.0
                share[w, lane] = ratio if is_free[w] else ratio * out[lane]
        for c in range(n_c):
            o, e = offsets[c], offsets[c + 1]
            if e > o + 1:
                _pairwise(share, o + 1, e, out, acc8, nl)
                for lane in range(nl):
                    lane_ratio[first + lane, c] = share[o, lane] + out[lane]
            else:
                for lane in range(nl):
                    lane_ratio[first + lane, c] = share[o, lane]
        for k in range(n_free):
            for lane in range(nl):
                lane_parts[first + lane, k] = t[free[k], lane]
        for k in range(n_root):
            x = message_offsets[roots[k]]
            for lane in range(nl):
                lane_parts[first + lane, n_free + k] = message[x, lane]
        for lane in range(nl):
            if small[lane]:
                flagged[lane_row[lane]] = True
    return flagged


@_compiled
def _signed_sums(
    present: IntArray,
    counts: IntArray,
    lane_start: IntArray,
    lane_ratio: FloatArray,
    lane_parts: FloatArray,
    flagged: NDArray[np.bool_],
    log1m: FloatArray,
    log_const: FloatArray,
    variant: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per row: each term's log relative to the largest value of each factor, the terms scaled by
    the largest and summed with their signs (the end of ``quickscore_rows``)."""
    n = counts.shape[0]
    n_c = lane_ratio.shape[1]
    n_parts = lane_parts.shape[1]
    post = np.empty((n, n_c))
    log_ev = np.empty(n)
    cancellation = np.empty(n)
    log_term = np.empty(1)
    for r in range(n):
        a0 = lane_start[r]
        n_t = lane_start[r + 1] - a0
        m = counts[r]
        if log_term.shape[0] < n_t:
            log_term = np.empty(n_t)
        log_ref = 0.0
        for term in range(n_t):
            log_term[term] = 0.0
        for k in range(n_parts):
            ref = 0.0
            for term in range(n_t):
                if lane_parts[a0 + term, k] > ref:
                    ref = lane_parts[a0 + term, k]
            if not ref > 0.0:
                ref = 1.0
            log_ref = math.log(ref) if k == 0 else log_ref + math.log(ref)
            for term in range(n_t):
                rel = lane_parts[a0 + term, k] / ref
                lg = math.log(rel) if rel > 0.0 else -math.inf
                log_term[term] = lg if k == 0 else log_term[term] + lg
        top = -math.inf
        for term in range(n_t):
            lc = 0.0
            for k in range(m):
                bit = ((term >> k) & 1) * log1m[variant[r], present[r, k]]
                lc = bit if k == 0 else lc + bit
            log_term[term] = lc + log_term[term]
            if log_term[term] > top:
                top = log_term[term]
        good = top > -math.inf
        if not good:
            top = 0.0
        den = 0.0
        spread = 0.0
        for term in range(n_t):
            scaled = math.exp(log_term[term] - top)
            odd = False
            x = term
            while x:
                odd = not odd
                x &= x - 1
            signed = -scaled if odd else scaled
            if term == 0:
                den, spread = signed, scaled
                for c in range(n_c):
                    post[r, c] = lane_ratio[a0, c] * signed
            else:
                den, spread = den + signed, spread + scaled
                for c in range(n_c):
                    post[r, c] = post[r, c] + lane_ratio[a0 + term, c] * signed
        good = good and den > 0.0 and not flagged[r]
        if not good:
            den = 1.0
        for c in range(n_c):
            post[r, c] = min(max(post[r, c] / den, 0.0), 1.0)
        if good:
            log_ev[r] = log_const[r] + log_ref + top + math.log(den)
            cancellation[r] = spread / den
        else:
            log_ev[r] = -math.inf
            cancellation[r] = math.inf
    return post, log_ev, cancellation


@_compiled
def _program(
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    present: IntArray,
    counts: IntArray,
    lookup_row: IntArray,
    lookup_slot: IntArray,
    lookup_table: FloatArray,
    n_p: int,
    n_d: int,
    cause_leak: FloatArray,
    finding_q: FloatArray,
    log1m: FloatArray,
    column_cause: IntArray,
    multiplier: FloatArray,
    prior_index: IntArray,
    stack_columns: IntArray,
    slot_ends: IntArray,
    clique_start: IntArray,
    clique_size: IntArray,
    clique_parent: IntArray,
    message_offsets: IntArray,
    up_index: IntArray,
    child_pointer: IntArray,
    child_list: IntArray,
    child_map_offset: IntArray,
    child_map: IntArray,
    roots: IntArray,
    marginal_pointer: IntArray,
    marginal_rows: IntArray,
    free: IntArray,
    offsets: IntArray,
    variant: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The three steps in one compiled call (one dispatch from Python)."""
    n = counts.shape[0]
    lane_start = np.zeros(n + 1, dtype=np.intp)
    for r in range(n):
        lane_start[r + 1] = lane_start[r] + (1 << counts[r])
    one_minus, z_e0, prior, e1, log_const = _evidence(
        fs,
        rs,
        lookup_row,
        lookup_slot,
        lookup_table,
        n_p,
        n_d,
        cause_leak,
        column_cause,
        multiplier,
        prior_index,
        variant,
    )
    n_lanes = int(lane_start[counts.shape[0]])
    lane_ratio = np.empty((n_lanes, e1.shape[1]))
    lane_parts = np.empty((n_lanes, free.shape[0] + roots.shape[0]))
    flagged = _terms_into(
        present,
        counts,
        lane_start,
        one_minus,
        z_e0,
        prior,
        e1,
        finding_q,
        column_cause,
        stack_columns,
        slot_ends,
        clique_start,
        clique_size,
        clique_parent,
        message_offsets,
        up_index,
        child_pointer,
        child_list,
        child_map_offset,
        child_map,
        roots,
        marginal_pointer,
        marginal_rows,
        free,
        offsets,
        variant,
        lane_ratio,
        lane_parts,
    )
    return _signed_sums(
        present, counts, lane_start, lane_ratio, lane_parts, flagged, log1m, log_const, variant
    )


def _identity(n: int) -> IntArray:
    """``arange(n)``, read-only as the variants' slots are (one compiled signature for both)."""
    slot = np.arange(n, dtype=np.intp)
    slot.setflags(write=False)
    return slot


def quickscore_kernel(
    cm: Any,
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    present: IntArray,
    counts: IntArray,
    variants: Any = None,
    variant: IntArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Posteriors, log evidence and cancellation ratio of every row (see ``quickscore_rows``).

    ``present[k, :counts[k]]`` are row ``k``'s present findings with two or more parents; rows
    may have different counts. ``cm`` is a :class:`~toeprob.inference.compiled.CompiledModel`
    with a risk-factor program. With ``variants`` (a
    :class:`~toeprob.inference.variants.CompiledVariants` of ``cm``) and ``variant`` (one index per
    row), row ``k`` reads the tables of variant ``variant[k]``: the same arithmetic as for that
    variant compiled alone. One model is the case of one variant (its tables with a leading axis
    of length one), so that both go through the same compiled code.
    """
    prog = cm.program
    n = len(counts)
    if variants is None:
        slot = _identity(len(cm.lookup_table))
        tables = (
            cm.lookup_table[None, :],
            cm.cause_leak[None, :],
            cm.finding_q[None],
            cm.log1m_finding_leak[None, :],
            prog.multiplier[None, :],
        )
        variant = np.zeros(n, dtype=np.intp)
    else:
        slot = variants.lookup_slot
        tables = (
            variants.lookup_values,
            variants.cause_leak,
            variants.finding_q,
            variants.log1m_finding_leak,
            variants.multiplier,
        )
        variant = np.array(variant, dtype=np.intp)
    lookup_table, cause_leak, finding_q, log1m, multiplier = tables
    return _program(
        np.ascontiguousarray(fs, dtype=np.int8),
        np.ascontiguousarray(rs, dtype=np.int8),
        np.ascontiguousarray(present, dtype=np.intp),
        np.ascontiguousarray(counts, dtype=np.intp),
        cm.lookup_row,
        slot,
        lookup_table,
        cm.private_rf.shape[1],
        cm.child_finding.shape[1],
        cause_leak,
        finding_q,
        log1m,
        prog.column_cause,
        multiplier,
        prog.prior_index,
        prog.stack_columns,
        prog.slot_ends,
        prog.clique_start,
        prog.clique_size,
        prog.clique_parent,
        prog.message_offsets,
        prog.up_index,
        prog.child_pointer,
        prog.child_list,
        prog.child_map_offset,
        prog.child_map,
        prog.roots,
        prog.marginal_pointer,
        prog.marginal_rows,
        prog.free,
        prog.offsets,
        variant,
    )
