"""The float64 hidden-variable elimination compiled with numba: a planned program, row by row.

:func:`compile_program` turns a :class:`~toeprob.inference.hidden.Program` (the steps of one
network structure in one order) into flat integer arrays: for every step its table's size and the
position of the eliminated variable, for every input of a step where it lives in a per-row work
buffer and two small *index maps* (a step's table configuration ``c`` reads the input's entry
``low[c & mask] + high[c >> bits]``, so that no map is as large as the table). The compiled
:func:`run` executes that program for each row in turn, with the same arithmetic as the array
program of :func:`toeprob.inference.hidden.solve` in the same order: every product of inputs left
to right, every sum over an axis of length two as ``x0 + x1`` axis by axis from the outermost,
every scaling, every quotient ``belief * ((1 / sent) * (1 / top))``, the cancellation measures,
the logarithms of the scales. A row's result is therefore bitwise equal to the array program's in
float64 and does not depend on the other rows of the call.

What the compiled program gains is the passes: the array program reads and writes each clique
table about twenty times, through temporaries allocated per step and per row chunk; here a table
is built in one pass, its message summed in another, its belief made in place, each child's
quotient and its sums in two or three passes over buffers reused across steps and rows, and only
one row's tables are held at a time (the memory of one row, whatever the number of rows).

A row whose downward pass meets a message entry below
:data:`~toeprob.inference.hidden.SAFE_DIVISOR` (a model with vanishing probabilities) is flagged
and left to the array program, which rebuilds such quotients without dividing. Extended precision
(``np.longdouble``) has no numba type and stays on the array program too.

The function is compiled once per environment and cached on disk (``cache=True``), one signature.

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> from toeprob.inference.hidden import network, plan, program, solve
>>> cm = compile_arrays(["a", "b", "c"], ["f"], [], [], [0.1, 0.2, 0.3], np.zeros((0, 3)), [0.01],
...                     [[0.9, 0.5, 0.4]])
>>> net = network(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
>>> order = plan(net)
>>> log_z, marginals, cancellation, retry = run(compile_program(program(net, order)), net)
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
    from toeprob.inference.hidden import HiddenNetwork, Program

__all__ = ["KernelProgram", "compile_program", "run"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SAFE_DIVISOR = 1e-200  # as toeprob.inference.hidden.SAFE_DIVISOR (compiled code reads globals once)

SIGNED, DOWN_SIGNED, SKIP_DOWN, ROOT = 1, 2, 4, 8  # step flags
STEP_COLUMNS, INPUT_COLUMNS = 9, 5

_F = TypeVar("_F", bound=Callable[..., Any])


def _compiled(function: _F) -> _F:
    # numpy's error model: a float division by zero gives inf or NaN, as in the array program
    return cast(_F, numba.njit(cache=True, nogil=True, error_model="numpy")(function))


@dataclass(frozen=True, eq=False)
class KernelProgram:
    """A :class:`~toeprob.inference.hidden.Program` as flat arrays for :func:`run`.

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


_BITS: dict[int, NDArray[np.int64]] = {}


def _bits(n: int) -> NDArray[np.int64]:
    """The bits of ``0 .. 2**n - 1``, shape ``(2**n, n)``, bit 0 first (cached)."""
    table = _BITS.get(n)
    if table is None:
        table = _BITS[n] = (np.arange(1 << n, dtype=np.int64)[:, None] >> np.arange(n)) & 1
    return table


def compile_program(prog: Program) -> KernelProgram:
    """The flat arrays of ``prog`` for :func:`run` (built once per structure; no table is built).

    Where a step's table starts with two or more factors of the network (the program lists a
    step's factors before its messages), their product is a *merged* table over the union of
    their variables, made once per row before the upward pass: the same multiplications in the
    same order, over fewer configurations (a cause's factor and the ``2 x 2`` links of its present
    findings, times the messages' variables).

    Examples
    --------
    >>> import numpy as np
    >>> from toeprob.inference.compiled import compile_arrays
    >>> from toeprob.inference.hidden import network, plan, program
    >>> cm = compile_arrays(["a", "b"], ["f"], [], [], [0.1, 0.2], np.zeros((0, 2)), [0.01],
    ...                     [[0.9, 0.5]])
    >>> net = network(cm, np.array([1], dtype=np.int8), np.zeros(0, dtype=np.int8))
    >>> kp = compile_program(program(net, plan(net)))
    >>> kp.steps[:, 0].tolist()  # steps over (a, hidden(f)), (b, hidden(f)), (hidden(f))
    [2, 2, 1]
    """
    scopes = prog.factor_scopes
    factors = np.zeros((len(scopes), 2), dtype=np.int64)
    factors[:, 1] = [1 << len(vs) for vs in scopes]
    factors[1:, 0] = np.cumsum(factors[:-1, 1])
    k_steps = len(prog.steps)
    rest_of: list[tuple[int, ...]] = []  # each step's message's variables
    scope_of: list[tuple[int, ...]] = []
    for step in prog.steps:
        variables = {step.var}
        for inp in step.inputs:
            variables.update(scopes[inp.factor] if inp.factor >= 0 else rest_of[inp.child])
        scope = tuple(sorted(variables))
        scope_of.append(scope)
        rest_of.append(tuple(v for v in scope if v != step.var))
    down_signed = [False] * k_steps  # signed tables above a step make its downward pass signed
    for k in range(k_steps - 1, -1, -1):
        down_signed[k] = down_signed[k] or prog.steps[k].signed
        for inp in prog.steps[k].inputs:
            if inp.child >= 0:
                down_signed[inp.child] = down_signed[k]
    out = _Builder(int(factors[:, 1].sum()))
    message_offset = [out.allocate(1 << len(rest)) for rest in rest_of]
    steps = np.zeros((k_steps, STEP_COLUMNS), dtype=np.int64)
    merges: list[tuple[int, int, int, int, int]] = []
    prod_size = 0
    widest = 2
    skipped_max = 0
    roots = set(prog.roots)
    for k, step in enumerate(prog.steps):
        scope = scope_of[k]
        s = len(scope)
        widest = max(widest, 1 << s)
        flags = (SIGNED if step.signed else 0) | (DOWN_SIGNED if down_signed[k] else 0)
        flags |= ROOT if k in roots else 0
        if step.cause_axes is None and all(inp.child < 0 for inp in step.inputs):
            flags |= SKIP_DOWN  # no belief needed: its table in a shared scratch
            skipped_max = max(skipped_max, 1 << s)
            prod_at = -1
        else:
            prod_at = prod_size
            prod_size += 1 << s
        sources = [
            (scopes[inp.factor], int(factors[inp.factor, 0]), -1)
            if inp.factor >= 0
            else (rest_of[inp.child], message_offset[inp.child], inp.child)
            for inp in step.inputs
        ]
        leading = next((j for j, inp in enumerate(step.inputs) if inp.factor < 0), len(sources))
        if leading >= 2:
            union = tuple(sorted({v for vs, _, _ in sources[:leading] for v in vs}))
            at = out.allocate(1 << len(union))
            first, low = out.inputs(union, sources[:leading])
            merges.append((len(union), low, first, leading, at))
            sources[:leading] = [(union, at, -1)]
        first, low = out.inputs(scope, sources)
        cause = step.var if step.cause_axes is not None else -1
        bit = s - 1 - scope.index(step.var)
        steps[k] = (s, bit, flags, cause, prod_at, message_offset[k], low, first, len(sources))
    steps[steps[:, 4] < 0, 4] = prod_size  # the shared scratch of the steps that keep no table
    prod_size += skipped_max
    return KernelProgram(
        steps,
        np.array(merges, dtype=np.int64).reshape(-1, 5),
        np.array(out.rows, dtype=np.int64).reshape(-1, INPUT_COLUMNS),
        out.maps(),
        factors,
        np.array([out.size, prod_size, widest], dtype=np.int64),
        prog.n_causes,
    )


class _Builder:
    """The work buffer's layout and the inputs' rows, as they are added; their index maps made at
    the end, a few array operations for the whole program."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: list[list[int]] = []  # offset, child, low map, high map, mode
        self.bits: list[tuple[int, int, list[tuple[int, int]]]] = []  # low, high, (bit, weight)
        self.n_maps = 0

    def allocate(self, size: int) -> int:
        """A region of ``size`` elements in the work buffer; its offset."""
        self.size += size
        return self.size - size

    def inputs(
        self, scope: tuple[int, ...], sources: list[tuple[tuple[int, ...], int, int]]
    ) -> tuple[int, int]:
        """Rows for ``sources`` (variables, offset in the work buffer, sending step or -1) read by
        a table over ``scope``; the first row and the number of low bits of their maps."""
        s = len(scope)
        low = min(s, max(6, (s + 1) // 2))
        bit_of = {v: s - 1 - a for a, v in enumerate(scope)}
        first = len(self.rows)
        for vs, at, child in sources:
            # what each of the table's bits adds to this input's flat index
            weights = [(bit_of[v], 1 << (len(vs) - 1 - a)) for a, v in enumerate(vs)]
            lows = {bit: w for bit, w in weights if bit < low}
            # how the low part reads: gathered (0), contiguous (1) or one value (2)
            mode = 2 if not lows else int(len(lows) == low and all(lows[b] == 1 << b for b in lows))
            self.rows.append([at, child, self.n_maps, self.n_maps + (1 << low), mode])
            self.bits.append((low, s - low, weights))
            self.n_maps += (1 << low) + (1 << (s - low))
        return first, low

    def maps(self) -> NDArray[np.int32]:
        """Every input's low and high index maps, one flat array."""
        out = np.zeros(self.n_maps, dtype=np.int32)
        starts = np.array([row[2] for row in self.rows], dtype=np.int64)
        for part in (0, 1):  # the low maps, then the high maps, grouped by their number of bits
            groups: dict[int, list[int]] = {}
            for j, (n_low, n_high, _) in enumerate(self.bits):
                groups.setdefault(n_high if part else n_low, []).append(j)
            for n_bits, members in groups.items():
                weight = np.zeros((n_bits, len(members)), dtype=np.int64)
                for k, j in enumerate(members):
                    low = self.bits[j][0]
                    for bit, w in self.bits[j][2]:
                        if (bit < low) if part == 0 else (bit >= low):
                            weight[bit - part * low, k] = w
                at = starts[members] + (
                    0 if part == 0 else (1 << np.array([self.bits[j][0] for j in members]))
                )
                out[at[:, None] + np.arange(1 << n_bits)] = (_bits(n_bits) @ weight).T
        return out


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
def _top(table: FloatArray, start: int, size: int, signed: bool) -> float:
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
    lo_map: int,
    hi_map: int,
    low: int,
    divide: bool,
    signed: bool,
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
                _sums(prod, pat, s, keep, scaled, maps, lo_map, hi_map, low, True, signed, out, out_abs)
                if signed:
                    largest = _top(out, 0, c_size, True)
                    spread = _top(out_abs, 0, c_size, False)
                    ratio = spread / largest if largest > 0 else 1.0
                    worst = _nanmax(worst, ratio if (largest > 0 or not spread > 0) else math.inf)
                c_top = _usable(_top(out, 0, c_size, signed))
                for i in range(c_size):
                    work[c_at + i] = out[i] / c_top
            if cause >= 0:
                for b in range(s):
                    keep[b] = b == bit
                _sums(prod, pat, s, keep, scaled, maps, 0, 0, low, False, signed, out, out_abs)
                m0, m1 = out[0], out[1]
                norm = m0 + m1
                if signed:
                    spread = _top(out_abs, 0, 2, False)
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
