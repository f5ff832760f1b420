"""The float64 hidden-variable elimination compiled with numba: a planned program, row by row.

:func:`compile_program` turns one network structure and its elimination order into the steps of
:func:`toeprob.inference.hidden.program` as flat integer arrays: for every step its table's size
and the position of the eliminated variable, for every input of a step where it lives in a per-row
work buffer and two small *index maps* (a step's table configuration ``c`` reads the input's entry
``low[c & mask] + high[c >> bits]``, so that no map is as large as the table). It is compiled too:
a network of a few hundred variables (the 160-cause synthetic network) takes about 0.2 ms, where
building the steps and their arrays in Python took 8-12 ms, twenty times the elimination itself on
such a network's small tables. The compiled :func:`run` executes that program for each row in turn,
with the same arithmetic as the array program of :func:`toeprob.inference.hidden.solve` in the same
order: every product of inputs left to right, every sum over an axis of length two as ``x0 + x1``
axis by axis from the outermost, every scaling, every quotient
``belief * ((1 / sent) * (1 / top))``, the cancellation measures, the logarithms of the scales. A
row's result is therefore bitwise equal to the array program's in float64 and does not depend on
the other rows of the call.

What the compiled program gains is the passes: the array program reads and writes each clique
table about twenty times, through temporaries allocated per step and per row chunk; here a table
is built in one pass, its message summed in another, its belief made in place, each child's
quotient and its sums in two or three passes over buffers reused across steps and rows, and only
one row's tables are held at a time (the memory of one row, whatever the number of rows).

A row whose downward pass meets a message entry below
:data:`~toeprob.inference.hidden.SAFE_DIVISOR` (a model with vanishing probabilities) is flagged
and left to the array program, which rebuilds such quotients without dividing. Extended precision
(``np.longdouble``) has no numba type and stays on the array program too.

The functions are compiled once per environment and cached on disk (``cache=True``), one signature
each: their helpers are called with typed, not literal, arguments, so that numba compiles each
once (first compilation, measured on a shared 2-core machine: the program builder 7.5-9 s,
:func:`run` 5.5-8 s; loading either from the cache a few hundredths of a second).

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> from toeprob.inference.hidden import network, plan, solve
>>> cm = compile_arrays(["a", "b", "c"], ["f"], [], [], [0.1, 0.2, 0.3], np.zeros((0, 3)), [0.01],
...                     [[0.9, 0.5, 0.4]])
>>> net = network(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
>>> order = plan(net)
>>> log_z, marginals, cancellation, retry = run(compile_program(net, order), net)
>>> expected = solve(net, order)
>>> bool(np.array_equal(marginals, expected[1]) and np.array_equal(log_z, expected[0]))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from toeprob.inference.hidden import HiddenNetwork, Plan

__all__ = ["KernelProgram", "compile_program", "run"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Int = int | np.int64  # an integer the compiled code types as int64, never as a literal
Bool = bool | np.bool_

SAFE_DIVISOR = 1e-200  # as toeprob.inference.hidden.SAFE_DIVISOR (compiled code reads globals once)

SIGNED, DOWN_SIGNED, SKIP_DOWN, ROOT = 1, 2, 4, 8  # step flags
STEP_COLUMNS, INPUT_COLUMNS = 9, 5

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(function: _F) -> _F:
    # numpy's error model: a float division by zero gives inf or NaN, as in the array program
    return cast(_F, numba.njit(cache=True, nogil=True, error_model="numpy")(function))


@dataclass(frozen=True, eq=False)
class KernelProgram:
    """The steps of a :class:`~toeprob.inference.hidden.Program` as flat arrays for :func:`run`.

    ``steps`` (K, 9): table size ``s`` (variables), the eliminated variable's bit, flags
    (signed, downward signed, no downward work, root), the cause it gives a marginal of (or -1),
    offset of its table in the product buffer, offset of its message in the work buffer, the
    number of low bits of its index maps, first input, number of inputs. ``merges`` (M, 5): merged
    tables of leading factors (size, low bits, first input, number of inputs, offset in the work
    buffer). ``inputs`` (I, 5): offset of the input's table in the work buffer, the step that
    sent it (-1 for a factor or a merged table), offsets of its low and high index maps in
    ``maps``, how its low map reads (gathered, contiguous, one value). ``factors`` (F, 2): offset
    in the work buffer and size of each factor of the network. ``sizes``: the work buffer, the
    product buffer, the widest table.
    """

    steps: IntArray
    merges: IntArray
    inputs: IntArray
    maps: NDArray[np.int32]
    factors: IntArray
    sizes: IntArray
    n_causes: int

    @property
    def row_bytes(self) -> int:
        """Bytes of the buffers :func:`run` holds (one row's tables at a time) and of the program."""
        work, prod, widest = (int(x) for x in self.sizes)
        return 8 * (work + prod + 3 * widest) + self.maps.nbytes + self.inputs.nbytes


def compile_program(net: HiddenNetwork, order: Plan) -> KernelProgram:
    """The flat arrays of ``net``'s structure eliminated in ``order``, for :func:`run` (built once
    per structure, compiled; no table is built).

    The steps are those of :func:`~toeprob.inference.hidden.program` (each variable's step takes
    every table that holds it, factors of the network first, then the messages of earlier steps,
    in the order they were made; its table is over the sorted union of their variables), so that
    :func:`run` does the array program's arithmetic. Where a step's table starts with two or more
    factors of the network, their product is a *merged* table over the union of their variables,
    made once per row before the upward pass: the same multiplications in the same order, over
    fewer configurations (a cause's factor and the ``2 x 2`` links of its present findings, times
    the messages' variables).

    Examples
    --------
    >>> import numpy as np
    >>> from toeprob.inference.compiled import compile_arrays
    >>> from toeprob.inference.hidden import network, plan
    >>> cm = compile_arrays(["a", "b"], ["f"], [], [], [0.1, 0.2], np.zeros((0, 2)), [0.01],
    ...                     [[0.9, 0.5]])
    >>> net = network(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
    >>> kp = compile_program(net, plan(net))
    >>> kp.steps[:, 0].tolist()  # steps over (a, hidden(f)), (b, hidden(f)), (hidden(f))
    [2, 2, 1]
    """
    scopes = net.key
    lengths = np.array([len(vs) for vs in scopes], dtype=np.int64)
    starts = np.zeros(len(scopes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    flat = np.fromiter((v for vs in scopes for v in vs), dtype=np.int64, count=int(starts[-1]))
    signed = np.array(net.signed, dtype=np.bool_)
    variables = np.array(order.order, dtype=np.int64)
    steps, merges, inputs, maps, factors, sizes = _build(flat, starts, signed, variables, net.n_causes)
    return KernelProgram(steps, merges, inputs, maps, factors, sizes, net.n_causes)


@_compiled
def _build(
    flat: IntArray, starts: IntArray, signed: NDArray[np.bool_], order: IntArray, n_causes: int
) -> tuple[IntArray, IntArray, IntArray, NDArray[np.int32], IntArray, IntArray]:
    """:func:`compile_program`'s arrays from the factors' variables (``flat[starts[f]:starts[f +
    1]]``, in each factor's own axis order), their signs and the order."""
    n_f = starts.shape[0] - 1
    k_steps = order.shape[0]
    n_vars = 0
    for v in order:
        n_vars = max(n_vars, v + 1)
    for i in range(flat.shape[0]):
        n_vars = max(n_vars, flat[i] + 1)
    position = np.full(n_vars, k_steps, dtype=np.int64)
    for k in range(k_steps):
        position[order[k]] = k
    # the step that takes each factor: the first of its variables eliminated
    n_own = np.zeros(k_steps + 1, dtype=np.int64)
    taker = np.empty(n_f, dtype=np.int64)
    for f in range(n_f):
        first = k_steps
        for i in range(starts[f], starts[f + 1]):
            first = min(first, position[flat[i]])
        taker[f] = first
        n_own[first] += 1
    own_start = np.zeros(k_steps + 2, dtype=np.int64)
    for k in range(k_steps + 1):
        own_start[k + 1] = own_start[k] + n_own[k]
    own = np.empty(n_f, dtype=np.int64)  # each step's factors, in increasing index
    fill = np.empty(k_steps + 1, dtype=np.int64)
    for k in range(k_steps + 1):
        fill[k] = own_start[k]
    for f in range(n_f):
        own[fill[taker[f]]] = f
        fill[taker[f]] += 1
    # each step's table's variables (sorted) and the message's (the same without the variable);
    # a step's children (the steps whose message it takes) in the order they were made
    scope_start = np.zeros(k_steps + 1, dtype=np.int64)
    scope_flat = np.empty(max(16, 4 * flat.shape[0] + k_steps), dtype=np.int64)
    first_child = np.full(k_steps, -1, dtype=np.int64)
    last_child = np.full(k_steps, -1, dtype=np.int64)
    next_child = np.full(k_steps, -1, dtype=np.int64)
    parent = np.full(k_steps, -1, dtype=np.int64)
    stamp = np.full(n_vars, -1, dtype=np.int64)
    found = np.empty(n_vars, dtype=np.int64)
    for k in range(k_steps):
        var = order[k]
        stamp[var] = k
        count = np.int64(1)  # typed once: no call below is compiled for a literal
        found[0] = var
        for j in range(own_start[k], own_start[k + 1]):
            f = own[j]
            for i in range(starts[f], starts[f + 1]):
                v = flat[i]
                if stamp[v] != k:
                    stamp[v] = k
                    found[count] = v
                    count += 1
        child = first_child[k]
        while child >= 0:
            for i in range(scope_start[child], scope_start[child + 1]):
                v = scope_flat[i]
                if v != order[child] and stamp[v] != k:
                    stamp[v] = k
                    found[count] = v
                    count += 1
            child = next_child[child]
        at = scope_start[k]
        if at + count > scope_flat.shape[0]:
            grown = np.empty(2 * (at + count), dtype=np.int64)
            for i in range(at):
                grown[i] = scope_flat[i]
            scope_flat = grown
        _sort(found, count)
        for i in range(count):
            scope_flat[at + i] = found[i]
        scope_start[k + 1] = at + count
        taken = k_steps
        for i in range(at, at + count):
            if scope_flat[i] != var:
                taken = min(taken, position[scope_flat[i]])
        if taken < k_steps:
            parent[k] = taken
            if first_child[taken] < 0:
                first_child[taken] = k
            else:
                next_child[last_child[taken]] = k
            last_child[taken] = k
    # signs: a step's own factors; downward, anything signed above it too
    step_signed = np.zeros(k_steps, dtype=np.bool_)
    for k in range(k_steps):
        for j in range(own_start[k], own_start[k + 1]):
            step_signed[k] |= signed[own[j]]
    down_signed = step_signed.copy()
    for k in range(k_steps - 1, -1, -1):
        if parent[k] >= 0 and down_signed[parent[k]]:
            down_signed[k] = True
    # the work buffer: the factors, every step's message, then the merged tables
    factors = np.zeros((n_f, 2), dtype=np.int64)
    size: Int = 0
    for f in range(n_f):
        factors[f, 0] = size
        factors[f, 1] = 1 << (starts[f + 1] - starts[f])
        size += factors[f, 1]
    message_at = np.empty(k_steps, dtype=np.int64)
    for k in range(k_steps):
        message_at[k] = size
        size += 1 << (scope_start[k + 1] - scope_start[k] - 1)
    # counts of the merged tables, input rows and index-map entries
    n_merges = 0
    n_rows = 0
    n_maps = 0
    union = np.empty(n_vars, dtype=np.int64)
    for k in range(k_steps):
        s = scope_start[k + 1] - scope_start[k]
        n_own_k = own_start[k + 1] - own_start[k]
        n_children = 0
        child = first_child[k]
        while child >= 0:
            n_children += 1
            child = next_child[child]
        sources = n_own_k + n_children
        if n_own_k >= 2:
            u = _union(flat, starts, own, own_start[k], own_start[k + 1], stamp, union, -2 - k)
            low_u: Int = min(u, max(6, (u + 1) // 2))
            n_merges += 1
            n_rows += n_own_k
            n_maps += n_own_k * ((1 << low_u) + (1 << (u - low_u)))
            sources = 1 + n_children
        low = min(s, max(6, (s + 1) // 2))
        n_rows += sources
        n_maps += sources * ((1 << low) + (1 << (s - low)))
    steps = np.zeros((k_steps, STEP_COLUMNS), dtype=np.int64)
    merges = np.zeros((n_merges, 5), dtype=np.int64)
    inputs = np.zeros((n_rows, INPUT_COLUMNS), dtype=np.int64)
    maps = np.zeros(n_maps, dtype=np.int32)
    where = np.zeros(n_vars, dtype=np.int64)  # a variable's bit in the current table
    zero, none = np.int64(0), np.int64(-1)
    rows = np.zeros(3, dtype=np.int64)  # input rows, index-map entries, merged tables made
    prod_size = 0
    widest = 2
    skipped_max = 0
    for k in range(k_steps):
        var = order[k]
        s = scope_start[k + 1] - scope_start[k]
        widest = max(widest, 1 << s)
        flags = (SIGNED if step_signed[k] else 0) | (DOWN_SIGNED if down_signed[k] else 0)
        if parent[k] < 0:
            flags |= ROOT
        cause = var if var < n_causes else -1
        if cause < 0 and first_child[k] < 0:
            flags |= SKIP_DOWN  # no belief needed: its table in a shared scratch
            skipped_max = max(skipped_max, 1 << s)
            prod_at = -1
        else:
            prod_at = prod_size
            prod_size += 1 << s
        n_own_k = own_start[k + 1] - own_start[k]
        merged_at: Int = -1
        u = np.int64(0)
        if n_own_k >= 2:
            u = _union(flat, starts, own, own_start[k], own_start[k + 1], stamp, union, -2 - k_steps - k)
            merged_at = size
            size += 1 << u
            low_u = min(u, max(6, (u + 1) // 2))
            for a in range(u):
                where[union[a]] = u - 1 - a
            first_row = rows[0]
            for j in range(own_start[k], own_start[k + 1]):
                f = own[j]
                _input(
                    flat, starts[f], starts[f + 1], factors[f, 0], none, where, u, low_u, inputs, maps, rows
                )
            m = rows[2]
            merges[m, 0], merges[m, 1], merges[m, 2], merges[m, 3], merges[m, 4] = (
                u,
                low_u,
                first_row,
                n_own_k,
                merged_at,
            )
            rows[2] = m + 1
        for a in range(s):
            where[scope_flat[scope_start[k] + a]] = s - 1 - a
        low = min(s, max(6, (s + 1) // 2))
        first_row = rows[0]
        if merged_at >= 0:
            _input(union, zero, u, merged_at, none, where, s, low, inputs, maps, rows)
        else:
            for j in range(own_start[k], own_start[k + 1]):
                f = own[j]
                _input(flat, starts[f], starts[f + 1], factors[f, 0], none, where, s, low, inputs, maps, rows)
        child = first_child[k]
        while child >= 0:
            _input_message(
                scope_flat,
                scope_start[child],
                scope_start[child + 1],
                order[child],
                message_at[child],
                child,
                where,
                s,
                low,
                inputs,
                maps,
                rows,
            )
            child = next_child[child]
        row = steps[k]
        row[0], row[1], row[2], row[3], row[4] = s, where[var], flags, cause, prod_at
        row[5], row[6], row[7], row[8] = message_at[k], low, first_row, rows[0] - first_row
    for k in range(k_steps):
        if steps[k, 4] < 0:
            steps[k, 4] = prod_size  # the shared scratch of the steps that keep no table
    prod_size += skipped_max
    sizes = np.array([size, prod_size, widest], dtype=np.int64)
    return steps, merges, inputs, maps, factors, sizes


@_compiled
def _sort(values: IntArray, count: Int) -> None:
    """Sort ``values[:count]`` in place (insertion sort: a table's few variables)."""
    for i in range(1, count):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


@_compiled
def _union(
    flat: IntArray,
    starts: IntArray,
    own: IntArray,
    first: Int,
    stop: Int,
    stamp: IntArray,
    out: IntArray,
    mark: Int,
) -> Int:
    """The sorted union of the variables of the factors ``own[first:stop]`` into ``out``; its size.
    (``mark``: a value ``stamp`` holds nowhere yet.)"""
    count = np.int64(0)
    for j in range(first, stop):
        f = own[j]
        for i in range(starts[f], starts[f + 1]):
            v = flat[i]
            if stamp[v] != mark:
                stamp[v] = mark
                out[count] = v
                count += 1
    _sort(out, count)
    return count


@_compiled
def _input_message(
    scope: IntArray,
    first: Int,
    stop: Int,
    var: Int,
    at: Int,
    child: Int,
    where: IntArray,
    s: Int,
    low: Int,
    inputs: IntArray,
    maps: NDArray[np.int32],
    rows: IntArray,
) -> None:
    """The input row of a child's message (its table's variables without the child's variable)."""
    rest = np.empty(stop - first - 1, dtype=np.int64)
    n = np.int64(0)
    for i in range(first, stop):
        if scope[i] != var:
            rest[n] = scope[i]
            n += 1
    _input(rest, np.int64(0), n, at, child, where, s, low, inputs, maps, rows)


@_compiled
def _input(
    variables: IntArray,
    first: Int,
    stop: Int,
    at: Int,
    child: Int,
    where: IntArray,
    s: Int,
    low: Int,
    inputs: IntArray,
    maps: NDArray[np.int32],
    rows: IntArray,
) -> None:
    """Append the input row of a table over ``variables[first:stop]`` (its own axis order, the
    first the most significant), stored at ``at`` in the work buffer, read by a table of ``s``
    variables (bit ``where[v]`` for variable ``v``) whose index maps split at ``low`` bits: the
    row and its low and high index maps (what each configuration of the table's low and high
    bits adds to the input's flat index). ``rows`` counts the rows and map entries written."""
    length = stop - first
    weight = np.zeros(s, dtype=np.int64)
    for a in range(length):
        weight[where[variables[first + a]]] = 1 << (length - 1 - a)
    n_low = 0
    contiguous = True
    for b in range(low):
        if weight[b] != 0:
            n_low += 1
            if weight[b] != 1 << b:
                contiguous = False
    mode = 2 if n_low == 0 else (1 if n_low == low and contiguous else 0)
    lo_map = rows[1]
    hi_map = lo_map + (1 << low)
    r = rows[0]
    inputs[r, 0] = at
    inputs[r, 1] = child
    inputs[r, 2] = lo_map
    inputs[r, 3] = hi_map
    inputs[r, 4] = mode
    for c in range(1, 1 << low):
        lowest = c & -c
        b = 0
        while (1 << b) != lowest:
            b += 1
        maps[lo_map + c] = maps[lo_map + (c ^ lowest)] + weight[b]
    for h in range(1, 1 << (s - low)):
        lowest = h & -h
        b = 0
        while (1 << b) != lowest:
            b += 1
        maps[hi_map + h] = maps[hi_map + (h ^ lowest)] + weight[low + b]
    rows[0] = r + 1
    rows[1] = hi_map + (1 << (s - low))


def run(
    kp: KernelProgram, net: HiddenNetwork
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """``log_z``, marginals and cancellation of every row of ``net`` (as
    :func:`~toeprob.inference.hidden.solve` in float64), and the rows left to the array program
    (a message below :data:`SAFE_DIVISOR` met in the downward pass)."""
    n = net.rows
    tables = [t for _, t in net.factors]
    per_row = np.array([t.shape[0] > 1 for t in tables], dtype=np.int64)
    data = np.concatenate([t.reshape(-1) for t in tables]).astype(np.float64, copy=False)
    starts = np.zeros(len(tables), dtype=np.int64)
    if len(tables) > 1:
        np.cumsum([t.size for t in tables[:-1]], out=starts[1:])
    return _run(
        n, data, starts, per_row, kp.factors, kp.steps, kp.merges, kp.inputs, kp.maps, kp.sizes, kp.n_causes
    )


@_compiled
def _top(table: FloatArray, start: Int, size: Int, signed: Bool) -> float:
    """Largest entry (magnitude if ``signed``) of ``table[start:start + size]``, at least 0; NaN if
    an entry is NaN (as ``max(initial=0)`` in numpy)."""
    top = 0.0
    check = 0.0
    for i in range(start, start + size):
        v = abs(table[i]) if signed else table[i]
        check += v
        if v > top:
            top = v
    return math.nan if check != check else top


@_compiled
def _usable(top: float) -> float:
    """A scale: ``top`` if positive and finite, else 1 (as the array program)."""
    return top if (top > 0.0 and top < math.inf) else 1.0


@_compiled
def _halve(table: FloatArray, n_in: int, bit: int) -> None:
    """In place: ``table[c] = table[c with bit 0] + table[c with bit 1]`` for the ``n_in // 2``
    configurations ``c`` without ``bit`` (the bits below it kept, those above shifted down)."""
    low = 1 << bit
    for h in range(n_in >> (bit + 1)):
        a = h << (bit + 1)
        d = h * low
        for i in range(low):
            table[d + i] = table[a + i] + table[a + low + i]


@_compiled
def _sums(
    prod: FloatArray,
    at: int,
    s: int,
    keep: NDArray[np.bool_],
    scaled: FloatArray,
    maps: NDArray[np.int32],
    lo_map: Int,
    hi_map: Int,
    low: int,
    divide: Bool,
    signed: Bool,
    out: FloatArray,
    out_abs: FloatArray,
) -> int:
    """The table ``prod[at:at + 2**s]`` (times ``scaled[index(c)]`` if ``divide``: a quotient)
    summed over every bit ``b`` with ``not keep[b]``, one bit at a time from the highest (the array
    program's axis-by-axis order), into ``out``; with ``signed``, the same sums of magnitudes into
    ``out_abs``. Returns the size of the result."""
    size = 1 << s
    first = -1
    for b in range(s - 1, -1, -1):
        if not keep[b]:
            first = b
            break
    low_mask = (1 << low) - 1
    if first < 0:  # nothing to sum: the table (quotient) itself
        for c in range(size):
            q = prod[at + c]
            if divide:
                q = q * scaled[maps[lo_map + (c & low_mask)] + maps[hi_map + (c >> low)]]
            out[c] = q
            if signed:
                out_abs[c] = abs(q)
        return size
    step = 1 << first
    delta = 0
    if divide:
        delta = maps[lo_map + step] if first < low else maps[hi_map + (step >> low)]
    for h in range(size >> (first + 1)):
        a = at + (h << (first + 1))
        d = h * step
        if divide:
            for i in range(step):
                c = a - at + i
                index = maps[lo_map + (c & low_mask)] + maps[hi_map + (c >> low)]
                q0 = prod[a + i] * scaled[index]
                q1 = prod[a + step + i] * scaled[index + delta]
                out[d + i] = q0 + q1
                if signed:
                    out_abs[d + i] = abs(q0) + abs(q1)
        elif signed:
            for i in range(step):
                q0 = prod[a + i]
                q1 = prod[a + step + i]
                out[d + i] = q0 + q1
                out_abs[d + i] = abs(q0) + abs(q1)
        else:
            for i in range(step):
                out[d + i] = prod[a + i] + prod[a + step + i]
    size >>= 1
    for b in range(first - 1, -1, -1):
        if not keep[b]:
            _halve(out, size, b)
            if signed:
                _halve(out_abs, size, b)
            size >>= 1
    return size


@_compiled
def _product(
    dst: FloatArray,
    at: int,
    s: int,
    low: int,
    first: int,
    count: int,
    inputs: IntArray,
    maps: NDArray[np.int32],
    work: FloatArray,
    base: IntArray,
) -> None:
    """``dst[at:at + 2**s]`` = the product of the inputs ``first .. first + count - 1`` (tables in
    ``work``), left to right, for every configuration of the table's ``s`` variables."""
    n_low = 1 << low
    for h in range(1 << (s - low)):
        o = at + h * n_low
        for j in range(count):
            base[j] = inputs[first + j, 0] + maps[inputs[first + j, 3] + h]
        for j in range(count):
            b = base[j]
            mode = inputs[first + j, 4]
            lo_map = inputs[first + j, 2]
            if j == 0:
                if mode == 1:
                    for i in range(n_low):
                        dst[o + i] = work[b + i]
                elif mode == 2:
                    v = work[b]
                    for i in range(n_low):
                        dst[o + i] = v
                else:
                    for i in range(n_low):
                        dst[o + i] = work[b + maps[lo_map + i]]
            elif mode == 1:
                for i in range(n_low):
                    dst[o + i] *= work[b + i]
            elif mode == 2:
                v = work[b]
                for i in range(n_low):
                    dst[o + i] *= v
            else:
                for i in range(n_low):
                    dst[o + i] *= work[b + maps[lo_map + i]]


@_compiled
def _nanmax(a: float, b: float) -> float:
    """``np.maximum`` of two numbers (NaN if either is NaN)."""
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


@_compiled
def _run(
    n: int,
    data: FloatArray,
    starts: IntArray,
    per_row: IntArray,
    factors: IntArray,
    steps: IntArray,
    merges: IntArray,
    inputs: IntArray,
    maps: NDArray[np.int32],
    sizes: IntArray,
    n_causes: int,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    k_steps = steps.shape[0]
    work = np.empty(sizes[0])
    prod = np.empty(sizes[1])
    widest = sizes[2]
    scaled = np.empty(widest)  # a child's message, inverted and scaled
    out = np.empty(widest)
    out_abs = np.empty(widest)
    keep = np.zeros(64, dtype=np.bool_)
    base = np.zeros(inputs.shape[0], dtype=np.int64)
    log_z = np.empty(n)
    marginals = np.full((n, n_causes, 2), np.nan)
    cancellation = np.empty(n)
    retry = np.zeros(n, dtype=np.bool_)
    # typed once: no helper is compiled again for a literal argument
    zero, two, yes, no = np.int64(0), np.int64(2), np.bool_(True), np.bool_(False)
    for r in range(n):
        for f in range(factors.shape[0]):
            at, size = factors[f, 0], factors[f, 1]
            src = starts[f] + (r * size if per_row[f] else 0)
            for i in range(size):
                work[at + i] = data[src + i]
        log_scale = 0.0
        worst = 1.0
        total = 1.0
        for k in range(merges.shape[0]):
            _product(
                work,
                merges[k, 4],
                merges[k, 0],
                merges[k, 1],
                merges[k, 2],
                merges[k, 3],
                inputs,
                maps,
                work,
                base,
            )
        # -- upward: each step's table (kept for the downward pass) and its scaled message
        for k in range(k_steps):
            s, bit, flags = steps[k, 0], steps[k, 1], steps[k, 2]
            pat, mat = steps[k, 4], steps[k, 5]
            _product(prod, pat, s, steps[k, 6], steps[k, 7], steps[k, 8], inputs, maps, work, base)
            signed = (flags & SIGNED) != 0
            # the message (sum over the variable), its cancellation sum |terms| / |sum| and top
            ratio_top = 0.0
            ratio_nan = False
            bad = False
            top = 0.0
            check = 0.0
            step = 1 << bit
            for h in range(1 << (s - 1 - bit)):
                a = pat + (h << (bit + 1))
                d = mat + h * step
                for i in range(step):
                    x0 = prod[a + i]
                    x1 = prod[a + step + i]
                    m = x0 + x1
                    work[d + i] = m
                    v = abs(m) if signed else m
                    check += v
                    if v > top:
                        top = v
                    if signed:
                        spread = abs(x0) + abs(x1)
                        if spread > 0:
                            if not m > 0:
                                bad = True
                            ratio = spread / m
                            if ratio > ratio_top:
                                ratio_top = ratio
                            elif ratio != ratio:
                                ratio_nan = True
            if signed:
                worst = _nanmax(worst, math.inf if bad else (math.nan if ratio_nan else max(ratio_top, 1.0)))
            half = 1 << (s - 1)
            if check != check:  # a NaN somewhere: the top as numpy's maximum gives it
                top = _top(work, mat, half, signed)
            top = _usable(top)
            for i in range(half):
                work[mat + i] = work[mat + i] / top
            log_scale = log_scale + math.log(top)
            if flags & ROOT:
                total = total * work[mat]
        upward = worst
        # -- downward: beliefs, messages to the children, the causes' marginals
        for k in range(k_steps - 1, -1, -1):
            s, bit, flags, cause = steps[k, 0], steps[k, 1], steps[k, 2], steps[k, 3]
            pat, mat, low, first_in = steps[k, 4], steps[k, 5], steps[k, 6], steps[k, 7]
            if flags & SKIP_DOWN:
                continue
            last_in = first_in + steps[k, 8]
            size = 1 << s
            signed = (flags & DOWN_SIGNED) != 0
            if flags & ROOT:
                top = _top(prod, pat, size, signed)
            else:  # the belief: the table times the message from above, and its top
                step = 1 << bit
                top = 0.0
                check = 0.0
                for h in range(1 << (s - 1 - bit)):
                    a = pat + (h << (bit + 1))
                    d = mat + h * step
                    for i in range(step):
                        w = work[d + i]
                        x0 = prod[a + i] * w
                        x1 = prod[a + step + i] * w
                        prod[a + i] = x0
                        prod[a + step + i] = x1
                        v0 = abs(x0) if signed else x0
                        v1 = abs(x1) if signed else x1
                        check += v0 + v1
                        if v0 > top:
                            top = v0
                        if v1 > top:
                            top = v1
                if check != check:
                    top = _top(prod, pat, size, signed)
            rescale = 1.0 / _usable(top)
            for j in range(first_in, last_in):
                child = inputs[j, 1]
                if child < 0:
                    continue
                c_at = steps[child, 5]
                c_size = 1 << (steps[child, 0] - 1)
                for i in range(c_size):
                    sent = work[c_at + i]
                    if sent > 0:
                        if sent < SAFE_DIVISOR:
                            retry[r] = True
                        scaled[i] = (1.0 / sent) * rescale
                    else:
                        scaled[i] = 0.0 * rescale
                lo_map, hi_map = inputs[j, 2], inputs[j, 3]
                for b in range(s):  # the child's variables: the bits its index depends on
                    probe = 1 << b
                    keep[b] = (maps[lo_map + probe] if b < low else maps[hi_map + (probe >> low)]) != 0
                _sums(prod, pat, s, keep, scaled, maps, lo_map, hi_map, low, yes, signed, out, out_abs)
                if signed:
                    largest = _top(out, zero, c_size, yes)
                    spread = _top(out_abs, zero, c_size, no)
                    ratio = spread / largest if largest > 0 else 1.0
                    worst = _nanmax(worst, ratio if (largest > 0 or not spread > 0) else math.inf)
                c_top = _usable(_top(out, zero, c_size, signed))
                for i in range(c_size):
                    work[c_at + i] = out[i] / c_top
            if cause >= 0:
                for b in range(s):
                    keep[b] = b == bit
                _sums(prod, pat, s, keep, scaled, maps, zero, zero, low, no, signed, out, out_abs)
                m0, m1 = out[0], out[1]
                norm = m0 + m1
                if signed:
                    spread = _top(out_abs, zero, two, no)
                    fine = norm > 0 and m0 >= 0 and m1 >= 0
                    worst = _nanmax(worst, spread / norm if fine else math.inf)
                if norm > 0:
                    marginals[r, cause, 0] = m0 / norm
                    marginals[r, cause, 1] = m1 / norm
        if total > 0:
            log_z[r] = math.log(total) + log_scale
            cancellation[r] = worst
        else:
            log_z[r] = -math.inf
            for i in range(n_causes):
                marginals[r, i, 0] = math.nan
                marginals[r, i, 1] = math.nan
            cancellation[r] = upward
    return log_z, marginals, cancellation, retry
