"""The compiled Quickscore program for pairs of an evidence row and a model variant.

:class:`~toeprob.inference.variants.VariantEngine` asks for few distinct evidence rows (a story
and the urgency rule's worlds), each under many variants. :func:`variant_pairs_kernel` computes
every pair as :func:`~toeprob.inference.quickscore_kernel.quickscore_kernel` computes a row with a
variant index (the same terms and signed sums, :func:`~toeprob.inference.quickscore_kernel._terms_into`
and :func:`~toeprob.inference.quickscore_kernel._signed_sums`), but folds the evidence from lists
made once per distinct row: which entries of the lookup table are not a constant for that row.

An entry whose slot is the constant 1 (a padded entry, an unknown finding's link, an absent
finding's link at ``C = 0``, an observed risk factor) is a factor 1 of its product, and the
constant 1 of the prior table likewise; they are skipped, which changes no bit (``x * 1.0 == x``,
and each product keeps the order of its other factors). In the log constant, the entries that are
the constant 0 after the first are skipped: the sum is the same but for the sign of a zero sum,
and :class:`~toeprob.inference.variants.VariantEngine` reads only whether the log evidence is
finite. Posteriors and cancellation ratios are therefore bitwise those of ``quickscore_kernel``
(tested). An unknown finding then costs nothing per pair, whatever its number of parents.

Compiled on first use and cached on disk (``cache=True``), as :mod:`~toeprob.inference.quickscore_kernel`
(whose compiled term and sum steps it calls): the first call in a fresh environment compiles
for a few more seconds.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from toeprob.inference.quickscore_kernel import _compiled, _signed_sums, _terms_into

__all__ = ["row_lists", "variant_pairs_kernel", "variant_tables"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_ONE = 1  # the lookup values' column of the constant 1 (:mod:`toeprob.inference.variants`)
_ZERO = 0  # and of the constant 0


@_compiled
def variant_tables(
    prev: FloatArray,
    w_links: FloatArray,
    mu: FloatArray,
    p_links: FloatArray,
    log1m_mu: FloatArray,
    log1m_prev: FloatArray,
    log_prev: FloatArray,
    starts: IntArray,
    private_rf: IntArray,
    private_link: IntArray,
    child_link: IntArray,
    single_entry: IntArray,
    single_finding: IntArray,
    round_ptr: IntArray,
    round_column: IntArray,
    round_link: IntArray,
    values: FloatArray,
    multiplier: FloatArray,
) -> None:
    """The variants' compact lookup values into ``values`` ``(K, V)`` and their risk-factor
    multipliers into ``multiplier`` ``(K, W)`` (allocated by the caller: numpy gives large arrays
    huge pages, whose first touch costs less).

    Variant by variant, each value by the elementwise operation that gives it in
    :func:`toeprob.inference.compiled.lookup_table` and :func:`toeprob.inference.risk_factors.multipliers`
    (the logs come computed by numpy; the factors 1 of the multipliers skipped), so that
    ``values[k, slot]`` is bitwise variant ``k``'s table compiled alone. The columns in
    the blocks of ``starts``: the constants 0 and 1, prevalences, private risk factors (two
    blocks), children at ``C = 1`` absent, single-parent children present at ``C = 1`` and at
    ``C = 0``, the log constants. Multiplier round ``a`` multiplies the columns
    ``round_column[round_ptr[a]:round_ptr[a + 1]]`` by ``1 - w`` of their links.
    """
    n_k, n_r = prev.shape
    n_f = mu.shape[1]
    width = multiplier.shape[1]
    n_private = private_rf.shape[0]
    n_child = child_link.shape[0]
    n_single = single_entry.shape[0]
    for k in range(n_k):
        values[k, starts[0]] = 0.0
        values[k, starts[1]] = 1.0
        for r in range(n_r):
            values[k, starts[2] + r] = prev[k, r]
            values[k, starts[9] + r] = log1m_prev[k, r]
            values[k, starts[10] + r] = log_prev[k, r]
        for e in range(n_private):
            pw = w_links[k, private_link[e]]
            values[k, starts[3] + e] = 1.0 - prev[k, private_rf[e]] * pw
            values[k, starts[4] + e] = 1.0 - pw
        for e in range(n_child):
            values[k, starts[5] + e] = 1.0 - p_links[k, child_link[e]]
        for j in range(n_single):
            cl = mu[k, single_finding[j]]
            values[k, starts[6] + j] = cl + p_links[k, child_link[single_entry[j]]] * (1.0 - cl)
            values[k, starts[7] + j] = cl
        for f in range(n_f):
            values[k, starts[8] + f] = log1m_mu[k, f]
        for w in range(width):
            multiplier[k, w] = 1.0
        for a in range(round_ptr.shape[0] - 1):
            for i in range(round_ptr[a], round_ptr[a + 1]):
                col = round_column[i]
                multiplier[k, col] = multiplier[k, col] * (1.0 - w_links[k, round_link[i]])


@_compiled
def _row_lists(
    fs: NDArray[np.int8],
    rs: NDArray[np.int8],
    lookup_row: IntArray,
    lookup_slot: IntArray,
    n_c: int,
    n_p: int,
    n_d: int,
    prior_index: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]:
    """For every distinct row: the slots of its prevalence entries, of the non-constant factors of
    each product (private risk factors per cause, children at ``C = 1`` and at ``C = 0`` per cause,
    then the log constant's non-zero entries after its first), the prior table's non-constant
    factors of every stacked configuration, and the first row of the same risk-factor states (whose
    priors are the same, under each variant)."""
    n_u, n_f = fs.shape
    n_r = rs.shape[1]
    n_lookup = lookup_row.shape[0]
    n_stacked, n_home = prior_index.shape
    n_groups = 3 * n_c + 1
    prev_slot = np.empty((n_u, n_r), dtype=np.intp)
    group_ptr = np.zeros((n_u, n_groups + 1), dtype=np.intp)
    group_slot = np.empty((n_u, n_lookup), dtype=np.intp)
    first_log = np.empty(n_u, dtype=np.intp)
    prior_ptr = np.zeros((n_u, n_stacked + 1), dtype=np.intp)
    prior_tab = np.empty((n_u, n_stacked * n_home), dtype=np.intp)
    prior_class = np.empty(n_u, dtype=np.intp)  # the first row with the same risk-factor states
    state = np.full(n_f + n_r + 1, -1, dtype=np.intp)
    one = np.zeros(2 * n_r + 1, dtype=np.bool_)  # prior table entries that are the constant 1
    at_one = n_r + n_c * n_p
    at_zero = at_one + n_c * n_d
    logs = at_zero + n_c * n_d
    for u in range(n_u):
        prior_class[u] = u
        for e in range(u):
            same = True
            for i in range(n_r):
                same = same and rs[e, i] == rs[u, i]
            if same:
                prior_class[u] = e
                break
        for i in range(n_f):
            state[i] = fs[u, i]
        for i in range(n_r):
            state[n_f + i] = rs[u, i]
        for i in range(n_r):
            s = lookup_slot[3 * i + 1 + state[lookup_row[i]]]
            prev_slot[u, i] = s
            one[i] = s == _ZERO  # 1 - 0
            one[n_r + i] = s == _ONE
        one[2 * n_r] = True
        at = 0
        for g in range(n_groups):
            if g < n_c:
                lo, hi, skip = n_r + g * n_p, n_r + (g + 1) * n_p, _ONE
            elif g < 2 * n_c:
                lo, hi, skip = at_one + (g - n_c) * n_d, at_one + (g - n_c + 1) * n_d, _ONE
            elif g < 3 * n_c:
                lo, hi, skip = at_zero + (g - 2 * n_c) * n_d, at_zero + (g - 2 * n_c + 1) * n_d, _ONE
            else:
                lo, hi, skip = logs + 1, n_lookup, _ZERO
            for k in range(lo, hi):
                s = lookup_slot[3 * k + 1 + state[lookup_row[k]]]
                if s != skip:
                    group_slot[u, at] = s
                    at += 1
            group_ptr[u, g + 1] = at
        first_log[u] = lookup_slot[3 * logs + 1 + state[lookup_row[logs]]] if logs < n_lookup else _ZERO
        at = 0
        for p in range(n_stacked):
            for h in range(n_home):
                x = prior_index[p, h]
                if not one[x]:
                    prior_tab[u, at] = x
                    at += 1
            prior_ptr[u, p + 1] = at
    return prev_slot, group_ptr, group_slot, first_log, prior_ptr, prior_tab, prior_class


@_compiled
def _pair_evidence(
    pair_row: IntArray,
    variant: IntArray,
    prev_slot: IntArray,
    group_ptr: IntArray,
    group_slot: IntArray,
    first_log: IntArray,
    prior_ptr: IntArray,
    prior_tab: IntArray,
    prior_class: IntArray,
    lookup_values: FloatArray,
    cause_leak: FloatArray,
    column_cause: IntArray,
    multiplier: FloatArray,
    one_minus: FloatArray,
    z_e0: FloatArray,
    prior: FloatArray,
    e1: FloatArray,
    log_const: FloatArray,
) -> None:
    """Per pair, into the last five arrays: ``1 - z`` and ``z e0`` of every factor column, the
    priors of every stacked configuration, ``e1`` of every cause and the log constant (as ``_evidence`` of
    :mod:`toeprob.inference.quickscore_kernel`, from the row's lists). A pair's priors depend only
    on its variant and risk-factor states: they are copied from an earlier pair of the same, if any."""
    n = pair_row.shape[0]
    n_c = cause_leak.shape[1]
    n_r = prev_slot.shape[1]
    n_stacked = prior_ptr.shape[1] - 1
    width = column_cause.shape[0]
    z0 = np.empty(n_c)
    e0 = np.empty(n_c)
    table = np.empty(2 * n_r + 1)
    n_k = lookup_values.shape[0]
    done = np.full((prior_class.shape[0], n_k), -1, dtype=np.intp)  # a pair with these priors
    for r in range(n):
        u = pair_row[r]
        v = variant[r]
        for c in range(n_c):
            acc = 1.0
            for j in range(group_ptr[u, c], group_ptr[u, c + 1]):
                acc = acc * lookup_values[v, group_slot[u, j]]
            z0[c] = (1.0 - cause_leak[v, c]) * acc
        for c in range(n_c):
            acc = 1.0
            for j in range(group_ptr[u, n_c + c], group_ptr[u, n_c + c + 1]):
                acc = acc * lookup_values[v, group_slot[u, j]]
            e1[r, c] = acc
            acc = 1.0
            for j in range(group_ptr[u, 2 * n_c + c], group_ptr[u, 2 * n_c + c + 1]):
                acc = acc * lookup_values[v, group_slot[u, j]]
            e0[c] = acc
        acc = lookup_values[v, first_log[u]]
        for j in range(group_ptr[u, 3 * n_c], group_ptr[u, 3 * n_c + 1]):
            acc = acc + lookup_values[v, group_slot[u, j]]
        log_const[r] = acc
        for w in range(width):
            zm = z0[column_cause[w]] * multiplier[v, w]
            one_minus[r, w] = 1.0 - zm
            z_e0[r, w] = zm * e0[column_cause[w]]
        earlier = done[prior_class[u], v]
        if earlier >= 0:
            for p in range(n_stacked):
                prior[r, p] = prior[earlier, p]
            continue
        done[prior_class[u], v] = r
        for i in range(n_r):
            x = lookup_values[v, prev_slot[u, i]]
            table[i] = 1.0 - x
            table[n_r + i] = x
        table[2 * n_r] = 1.0
        for p in range(n_stacked):
            acc = 1.0
            for j in range(prior_ptr[u, p], prior_ptr[u, p + 1]):
                acc = acc * table[prior_tab[u, j]]
            prior[r, p] = acc


@_compiled
def _pair_program(
    pair_row: IntArray,
    variant: IntArray,
    present: IntArray,
    counts: IntArray,
    prev_slot: IntArray,
    group_ptr: IntArray,
    group_slot: IntArray,
    first_log: IntArray,
    prior_ptr: IntArray,
    prior_tab: IntArray,
    prior_class: IntArray,
    lookup_values: FloatArray,
    cause_leak: FloatArray,
    finding_q: FloatArray,
    log1m: FloatArray,
    column_cause: IntArray,
    multiplier: FloatArray,
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
    scratch: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The evidence of every pair, then the terms and signed sums (one dispatch from Python); the
    intermediate tables in ``scratch`` (a new array if it is too small)."""
    n = counts.shape[0]
    lane_start = np.zeros(n + 1, dtype=np.intp)
    for r in range(n):
        lane_start[r + 1] = lane_start[r] + (1 << counts[r])
    n_c = cause_leak.shape[1]
    width = column_cause.shape[0]
    n_stacked = prior_ptr.shape[1] - 1
    n_lanes = lane_start[n]
    n_parts = free.shape[0] + roots.shape[0]
    need = n * (2 * width + n_stacked + n_c + 1) + n_lanes * (n_c + n_parts)
    if scratch.shape[0] < need:
        scratch = np.empty(need)
    at = 0
    one_minus = scratch[at : at + n * width].reshape((n, width))
    at += n * width
    z_e0 = scratch[at : at + n * width].reshape((n, width))
    at += n * width
    prior = scratch[at : at + n * n_stacked].reshape((n, n_stacked))
    at += n * n_stacked
    e1 = scratch[at : at + n * n_c].reshape((n, n_c))
    at += n * n_c
    log_const = scratch[at : at + n]
    at += n
    lane_ratio = scratch[at : at + n_lanes * n_c].reshape((n_lanes, n_c))
    at += n_lanes * n_c
    lane_parts = scratch[at : at + n_lanes * n_parts].reshape((n_lanes, n_parts))
    _pair_evidence(
        pair_row,
        variant,
        prev_slot,
        group_ptr,
        group_slot,
        first_log,
        prior_ptr,
        prior_tab,
        prior_class,
        lookup_values,
        cause_leak,
        column_cause,
        multiplier,
        one_minus,
        z_e0,
        prior,
        e1,
        log_const,
    )
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


RowLists = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, IntArray]


def row_lists(variants: Any, fs: NDArray[np.int8], rs: NDArray[np.int8]) -> RowLists:
    """The lists of :func:`variant_pairs_kernel` for distinct evidence rows ``fs``, ``rs``."""
    cm = variants.base
    lists: RowLists = _row_lists(
        np.ascontiguousarray(fs, dtype=np.int8),
        np.ascontiguousarray(rs, dtype=np.int8),
        cm.lookup_row,
        variants.lookup_slot,
        len(cm.causes),
        cm.private_rf.shape[1],
        cm.child_finding.shape[1],
        cm.program.prior_index,
    )
    return lists


def variant_pairs_kernel(
    variants: Any,
    lists: RowLists,
    pair_row: IntArray,
    variant: IntArray,
    present: IntArray,
    counts: IntArray,
    finding_q: FloatArray,
    log1m: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Posteriors, log evidence and cancellation ratio of every pair (see ``quickscore_rows``).

    Pair ``k`` is distinct row ``pair_row[k]`` (whose lists :func:`row_lists` made) under variant
    ``variant[k]`` of ``variants`` (a :class:`~toeprob.inference.variants.CompiledVariants` whose
    base has a risk-factor program); ``present[k, :counts[k]]`` are its present findings with two
    or more parents, as positions in ``finding_q`` (K, Q, C) and ``log1m`` (K, Q): those findings'
    ``1 - p`` and ``log(1 - mu)`` (:meth:`CompiledVariants.finding_q_of
    <toeprob.inference.variants.CompiledVariants.finding_q_of>`). The log evidence is exact but
    for the sign of a zero (see the module).
    """
    prog = variants.base.program
    return _pair_program(
        np.ascontiguousarray(pair_row, dtype=np.intp),
        np.ascontiguousarray(variant, dtype=np.intp),
        np.ascontiguousarray(present, dtype=np.intp),
        np.ascontiguousarray(counts, dtype=np.intp),
        *lists,
        variants.lookup_values,
        variants.cause_leak,
        np.ascontiguousarray(finding_q),
        np.ascontiguousarray(log1m),
        prog.column_cause,
        variants.multiplier,
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
        _scratch(
            len(pair_row) * (2 * len(prog.column_cause) + prog.prior_index.shape[0] + len(prog.offsets))
            + int(np.left_shift(1, counts).sum()) * (len(prog.offsets) - 1 + len(prog.free) + len(prog.roots))
        ),
    )


_SCRATCH = threading.local()


def _scratch(size: int) -> FloatArray:
    """A work array of at least ``size`` elements, kept per thread and reused from call to call: the
    intermediate tables of :func:`_pair_program` (megabytes per call) would otherwise be new memory,
    whose first touch costs more than the arithmetic that fills it. It holds at most one chunk's
    tables (about 30 MB on the default model, for a chunk of ``MAX_LANES`` terms)."""
    buffer: FloatArray | None = getattr(_SCRATCH, "buffer", None)
    if buffer is None or len(buffer) < size:
        buffer = np.empty(max(size, 2 * (0 if buffer is None else len(buffer))))
        _SCRATCH.buffer = buffer
    return buffer
