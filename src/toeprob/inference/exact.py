"""Fast exact inference: ``P(cause present | evidence)`` for every cause of a compiled model.

:class:`ExactEngine` answers a query in one of two exact ways, chosen per evidence row:

* **Quickscore** (:mod:`toeprob.inference.quickscore`): absent findings, single-parent findings and private
  risk factors fold into per-cause factors; the ``m`` present findings with several parents are
  expanded by inclusion-exclusion into ``2**m`` factorized terms; shared risk factors are summed
  exactly by a junction-tree program compiled once
  (:mod:`toeprob.inference.risk_factors`). In float64 every row, whatever its ``m``, goes through
  one call of the numba-compiled program (:mod:`toeprob.inference.quickscore_kernel`); the rows
  whose sum cancels too deeply are recomputed by the array program in extended precision.
* **Hidden-variable elimination** (:mod:`toeprob.inference.hidden`): each present finding joins its parents
  through one hidden variable, so that the network stays narrow however many findings are present;
  one calibrated two-pass elimination gives every cause's posterior. Used when Quickscore is not
  safe or not cheap. In float64 its planned program runs compiled with numba
  (:mod:`toeprob.inference.hidden_kernel`, bitwise the array program's result, one row's tables at
  a time); the orders come from a compiled greedy search
  (:mod:`toeprob.inference.ordering_kernel`). Its cancellation is measured; a row that cancels too
  much (a model with vanishing leaks) is recomputed in 80-bit by the array program, then by
* **non-negative variable elimination** (:mod:`toeprob.inference.elimination`, OR chains, no subtraction).

Cost is bounded by a :class:`~toeprob.inference.budget.Budget`: Quickscore works on chunks of at most
:data:`MAX_LANES` (row, term) pairs (float64) or :data:`MAX_ELEMENTS` elements (extended
precision) and leaves rows whose ``2**m`` terms would not fit to elimination;
the cost of every elimination is estimated from its order before any table is built, and a row
beyond the budget raises :class:`~toeprob.errors.CostLimitError` naming the widest table.

A row takes elimination when ``m > max_present`` (default 7: Quickscore's cost doubles with every
present finding, and from ``m = 8`` the terms cancel too deeply for float64, so that the
extended-precision sums would be needed; on the default model these cost 100-200 ms per row at
``m`` of 8-9, the hidden-variable elimination about 50 ms), or when the inclusion-exclusion sum
cancels too much: ``sum |terms| > 1e5 * P(E)`` in float64
(:data:`~toeprob.inference.quickscore.CANCELLATION_LIMIT`) and still ``> 1e8 * P(E)`` when recomputed in
extended precision (:data:`~toeprob.inference.quickscore.PRECISE_LIMIT`). With a larger ``max_present``,
rows with ``m`` of 8 or 9 (:data:`~toeprob.inference.quickscore.PRECISE_FIRST`) go straight to extended
precision.

Every row is computed on its own (the compiled program's lanes never mix rows; the array program
uses elementwise operations and reductions along a row's own axes only), so
:meth:`ExactEngine.posterior` (a batch of one) and :meth:`ExactEngine.posterior_batch` give
bitwise equal results (without ``groups``, see below). Heavy rows of one structure (the same
hidden variables and unobserved shared risk factors) share one elimination order and compiled program
(:func:`~toeprob.inference.hidden_kernel.compile_program`, cached per structure) and are
eliminated together, again row by row independent.

*Families.* The urgency rule's worlds of one case differ only in a few red flags; given
``posterior_batch(..., groups=labels)``, the heavy rows of one family are eliminated on one shared
structure, the union of their present findings (a finding absent or unknown in a row gets the
hidden-variable factor that gives its absence or nothing), when that network is small
(:data:`FAMILY_ELEMENTS`): one order, one program and one vectorized pass instead of one per
structure (the worlds of 15 present findings: 12 structures, 45 rows). Within a family a row's
result then differs from its single query within rounding (measured below 5e-12), and depends on
nothing but its family.

Examples
--------
>>> import numpy as np
>>> from toeprob import load_model
>>> from toeprob.inference.compiled import compile_model
>>> model = load_model()
>>> engine = ExactEngine(compile_model(model))
>>> fs = np.full(len(model.findings), -1, dtype=np.int8)
>>> rs = np.full(len(model.risk_factors), -1, dtype=np.int8)
>>> priors = [model.cause_specs[c].prior for c in model.causes]
>>> bool(np.allclose(engine.posterior(fs, rs), priors))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.errors import CostLimitError, EvidenceError, ImpossibleEvidenceError
from toeprob.inference.budget import DEFAULT_BUDGET, Budget, describe_bytes
from toeprob.inference.compiled import CompiledModel
from toeprob.inference.elimination import OrderCache, eliminate
from toeprob.inference.hidden import (
    HIDDEN_LIMIT,
    HIDDEN_PARENTS,
    PRECISE_HIDDEN_LIMIT,
    SEARCH_ELEMENTS,
    HiddenNetwork,
    Plan,
    every_finding_present,
    network,
    plan,
    program,
    solve,
    structure_key,
)
from toeprob.inference.hidden_kernel import KernelProgram, compile_program, run
from toeprob.inference.quickscore import (
    CANCELLATION_LIMIT,
    EXTENDED,
    PRECISE_FIRST,
    PRECISE_LIMIT,
    PRECISE_MAX_PRESENT,
    quickscore_rows,
    term_elements,
)
from toeprob.knowledge.evidence import distinct_rows
from toeprob.validation import check_parameter, check_type, non_negative_int, positive_int

__all__ = ["ExactEngine"]

FloatArray = NDArray[np.float64]
MAX_ELEMENTS = 1 << 21
"""Elements of the largest per-chunk work array of the extended-precision Quickscore path (16 MiB
of float64; larger chunks ran slower, out of cache). Rows whose one term would not fit take
elimination."""

MAX_LANES = 1 << 16
"""(row, term) pairs per call of the compiled float64 program (its per-term outputs: about 20 MB
on the default model)."""

REFERENCE_VARIABLES = 512
"""Models up to this many nodes plan the network with every finding present once (about a second),
whose order, restricted, bounds the cost of any evidence set (:func:`toeprob.inference.hidden.plan`)."""

MAX_PLANS = 4096
"""Elimination orders kept per engine (keyed by the structure of the evidence)."""

GROUP_ELEMENTS = 1 << 22
"""Heavy rows of one structure that the array program computes (see
:mod:`toeprob.inference.hidden_kernel`) are taken together, at most this many clique-table elements
(all rows) at a time; the compiled program takes every row in one call, one row's tables at a
time."""

SETTLE_LIMIT = 5e7
"""Largest cancellation ratio of a float64 row that :meth:`ExactEngine.posterior_evidence_batch` may
leave without the extended-precision recomputation (``approximate`` rows). Half of
:data:`~toeprob.inference.quickscore.PRECISE_LIMIT`: the ratio computed in float64 is within a
relative ``SETTLE_ERROR * ratio`` (at most 5e-5 here) of the one computed in extended precision,
so that recomputation would accept the row and never send it to elimination."""

SETTLE_ERROR = 1e-12
"""Error bound per unit of cancellation ratio of a float64 posterior against the
extended-precision one: ``|p64 - p80| <= SETTLE_ERROR * ratio`` for every cause.

Why it holds: every quantity of a row before the signed sum is a product, a sum of non-negative
terms or an exponential of a small log, each with a relative error of at most a few hundred
``eps`` (``eps = 2.2e-16``), so the signed sums ``den = sum s_t`` and ``num_c = sum r_tc s_t``
(``0 <= r_tc <= 1``) have absolute errors at most ``K eps sum |s_t|``, and the posterior
``num_c / den`` at most ``2 K eps ratio``. Measured on the rows of ``benchmarks/bench_precision.py``
(ratios from 1e3 to 1e8): ``|p64 - exact| <= 2e-16 * ratio`` (``K`` about 1), and
``|p80 - exact| <= 1.5e-19 * ratio``. The bound allows ``K`` up to 2,000, 5,000 times the measured
error, and is at most 5e-5 at :data:`SETTLE_LIMIT`."""

FAMILY_ELEMENTS = 1 << 18
"""A family of heavy rows (``posterior_batch(groups=...)``) is eliminated on the union of its
present findings when that network's clique tables hold at most this many elements per row: there
the fixed cost of an order and a program per structure (about 10-20 ms) outweighs the larger
tables; above it, each structure is eliminated on its own."""


SHARE_ROWS = 32
"""Batches with ``groups`` of at least this many rows look for identical rows of different families
(:meth:`ExactEngine._run`); below it, finding them costs more than it saves."""


def cancelled_rows(
    cancel: FloatArray, counts: NDArray[np.intp], loose: NDArray[np.bool_] | None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]] | None:
    """What becomes of float64 rows whose signed sum cancels beyond
    :data:`~toeprob.inference.quickscore.CANCELLATION_LIMIT`: ``None`` if none does, else the masks
    of the rows kept with an error bound (``loose`` rows that the extended precision would
    recompute and accept: ``m <= PRECISE_MAX_PRESENT``, ratio at most :data:`SETTLE_LIMIT`), of
    those recomputed in extended precision, and of those eliminated (``m`` above
    ``PRECISE_MAX_PRESENT``). ``counts``: each row's ``m``; ``loose``: the rows that may be kept."""
    redo = ~(cancel <= CANCELLATION_LIMIT)
    if not redo.any():
        return None
    precise = counts <= PRECISE_MAX_PRESENT
    keep = redo & precise & (cancel <= SETTLE_LIMIT)
    keep = keep & loose if loose is not None else np.zeros_like(redo)
    redo &= ~keep
    return keep, redo & precise, redo & ~precise


class ExactEngine:
    """Exact posteriors of every cause for a :class:`~toeprob.inference.compiled.CompiledModel`.

    Parameters
    ----------
    compiled : CompiledModel
        From :func:`~toeprob.inference.compiled.compile_model` or
        :func:`~toeprob.inference.compiled.compile_arrays`.
    max_present : int, default 7
        Rows with more present findings that have two or more parents use variable elimination.
    budget : Budget, optional
        Memory and work allowed for one row's elimination (default
        :data:`~toeprob.inference.budget.DEFAULT_BUDGET`).

    Notes
    -----
    States are int8 arrays in model order: ``-1`` unknown, ``0`` absent, ``1`` present.
    """

    def __init__(
        self, compiled: CompiledModel, *, max_present: int = 7, budget: Budget | None = None
    ) -> None:
        check_parameter(max_present, non_negative_int, name="max_present", owner="ExactEngine")
        check_type(budget, "budget", "ExactEngine", (Budget, type(None)), "a toeprob.Budget or None")
        self.compiled = compiled
        self.max_present = max_present
        self.budget = DEFAULT_BUDGET if budget is None else budget
        self._plans: dict[bytes, Plan] = {}
        self._kernels: dict[bytes, KernelProgram] = {}  # compiled programs, made after the budget check
        self._reference: Plan | None = None  # the plan with every finding present
        self._elements = term_elements(compiled)
        self._multi = compiled.finding_parent_count >= 2
        m = np.arange(int(self._multi.sum()) + 1)
        fits = np.array([(self._elements << k) <= MAX_ELEMENTS for k in m.tolist()])
        self._quick = (m <= max_present) & fits
        self._direct = self._quick & (m >= PRECISE_FIRST) & (m <= PRECISE_MAX_PRESENT)
        self._orders: OrderCache = {}

    def posterior(self, finding_state: ArrayLike, rf_state: ArrayLike) -> FloatArray:
        """``P(C_i = 1 | evidence)`` for every cause, shape ``(C,)``.

        Raises
        ------
        ImpossibleEvidenceError
            If the evidence has probability 0 (or one that underflows).
        """
        fs, rs = self._states(finding_state, rf_state, single=True)
        return np.asarray(self._run(fs[None], rs[None], 1)[0][0], dtype=np.float64)

    def posterior_batch(
        self,
        finding_states: ArrayLike,
        rf_states: ArrayLike,
        *,
        chunk_size: int = 2048,
        groups: ArrayLike | None = None,
    ) -> FloatArray:
        """Posteriors for many evidence rows at once, shape ``(N, C)``.

        Row ``k`` is bitwise equal to ``posterior(finding_states[k], rf_states[k])``. At most
        ``chunk_size`` rows (fewer when many findings are present) are processed together.

        ``groups`` (N,) labels *families* of rows, such as the urgency rule's worlds of one case,
        which differ in a few findings. Heavy rows of one family (those answered by elimination)
        that leave the same risk factors unobserved are then eliminated together on one shared
        structure, the union of their present findings, when that structure is small (at most
        :data:`FAMILY_ELEMENTS` table elements): one order, one program, one vectorized pass
        instead of one per row. Such a row's result depends on its family only through that union
        (equal to within rounding, not bitwise, to the row alone); rows of different labels never
        affect each other.

        Examples
        --------
        >>> import numpy as np
        >>> from toeprob.inference.compiled import compile_arrays
        >>> cm = compile_arrays(["a"], ["f"], [], [], [0.1], np.zeros((0, 1)), [0.01], [[0.9]])
        >>> eng = ExactEngine(cm)
        >>> eng.posterior_batch(np.array([[1], [0], [-1]], dtype=np.int8),
        ...                     np.zeros((3, 0), dtype=np.int8)).round(4).ravel().tolist()
        [0.9092, 0.011, 0.1]
        """
        check_parameter(chunk_size, positive_int, name="chunk_size", owner="ExactEngine.posterior_batch")
        fs, rs = self._states(finding_states, rf_states, single=False)
        labels = None if groups is None else self._labels(groups, fs.shape[0])
        return self._run(fs, rs, chunk_size, labels)[0]

    def log_evidence(self, finding_state: ArrayLike, rf_state: ArrayLike) -> float:
        """``log P(evidence)`` (natural logarithm).

        Examples
        --------
        >>> import numpy as np
        >>> from toeprob.inference.compiled import compile_arrays
        >>> eng = ExactEngine(compile_arrays(["a"], ["f"], [], [], [0.1], np.zeros((0, 1)),
        ...                                  [0.01], [[0.9]]))
        >>> round(float(np.exp(eng.log_evidence(np.array([1], np.int8), np.zeros(0, np.int8)))), 4)
        0.0991
        """
        fs, rs = self._states(finding_state, rf_state, single=True)
        return float(self._run(fs[None], rs[None], 1)[1][0])

    def log_evidence_batch(
        self, finding_states: ArrayLike, rf_states: ArrayLike, *, chunk_size: int = 2048
    ) -> FloatArray:
        """``log P(evidence)`` for many rows at once, shape ``(N,)``.

        Row ``k`` is bitwise equal to ``log_evidence(finding_states[k], rf_states[k])``.

        Raises
        ------
        ImpossibleEvidenceError
            If some row has probability 0 (the message names the first such row).

        Examples
        --------
        >>> import numpy as np
        >>> from toeprob.inference.compiled import compile_arrays
        >>> eng = ExactEngine(compile_arrays(["a"], ["f"], [], [], [0.1], np.zeros((0, 1)),
        ...                                  [0.01], [[0.9]]))
        >>> logs = eng.log_evidence_batch(np.array([[1], [0]], np.int8), np.zeros((2, 0), np.int8))
        >>> np.exp(logs).round(4).tolist()
        [0.0991, 0.9009]
        """
        owner = "ExactEngine.log_evidence_batch"
        check_parameter(chunk_size, positive_int, name="chunk_size", owner=owner)
        fs, rs = self._states(finding_states, rf_states, single=False)
        return self._run(fs, rs, chunk_size)[1]

    def posterior_evidence_batch(
        self,
        finding_states: ArrayLike,
        rf_states: ArrayLike,
        *,
        chunk_size: int = 2048,
        groups: ArrayLike | None = None,
        approximate: ArrayLike | None = None,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Posteriors, log evidence and an error bound of every row, in one pass.

        Row ``k``'s posterior and log evidence are :meth:`posterior_batch`'s and
        :meth:`log_evidence_batch`'s (with the same ``groups``), bit for bit, and its error is 0;
        except for rows marked in ``approximate`` (a boolean array (N,)) whose float64
        inclusion-exclusion sum cancels beyond
        :data:`~toeprob.inference.quickscore.CANCELLATION_LIMIT` but not beyond
        :data:`SETTLE_LIMIT`: these keep their float64 posterior, without the extended-precision
        recomputation (its log evidence is then not computed: ``nan``), and ``error[k]`` bounds
        the distance of every cause's value to :meth:`posterior_batch`'s (:data:`SETTLE_ERROR`
        times the cancellation ratio). A caller that needs only a comparison of the posteriors
        with fixed thresholds (the urgency rule's care levels) recomputes the few rows whose
        interval ``value +- error`` holds a threshold.

        Such a row would have been accepted by the recomputation (its ratio stays far below
        :data:`~toeprob.inference.quickscore.PRECISE_LIMIT`), never eliminated, so leaving it out
        changes no other row, in its family or elsewhere.

        Examples
        --------
        >>> import numpy as np
        >>> from toeprob.inference.compiled import compile_arrays
        >>> eng = ExactEngine(compile_arrays(["a"], ["f"], [], [], [0.1], np.zeros((0, 1)),
        ...                                  [0.01], [[0.9]]))
        >>> post, log_ev, error = eng.posterior_evidence_batch(
        ...     np.array([[1], [0]], np.int8), np.zeros((2, 0), np.int8), approximate=[True, True])
        >>> post.round(4).ravel().tolist(), np.exp(log_ev).round(4).tolist(), error.tolist()
        ([0.9092, 0.011], [0.0991, 0.9009], [0.0, 0.0])
        """
        owner = "ExactEngine.posterior_evidence_batch"
        check_parameter(chunk_size, positive_int, name="chunk_size", owner=owner)
        fs, rs = self._states(finding_states, rf_states, single=False)
        labels = None if groups is None else self._labels(groups, fs.shape[0])
        loose = None
        if approximate is not None:
            loose = np.asarray(approximate)
            if loose.shape != (fs.shape[0],) or loose.dtype != np.bool_:
                raise ValueError(
                    f"The 'approximate' parameter of {owner} must be a boolean array of shape "
                    f"({fs.shape[0]},); got shape {loose.shape} and dtype {loose.dtype}."
                )
        post, log_ev, _, error = self._run(fs, rs, chunk_size, labels, loose)
        return post, log_ev, error

    def uses_fallback(self, finding_state: ArrayLike, rf_state: ArrayLike) -> bool:
        """Whether this evidence is answered by variable elimination rather than Quickscore."""
        fs, rs = self._states(finding_state, rf_state, single=True)
        return bool(self._run(fs[None], rs[None], 1)[2][0])

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _labels(groups: ArrayLike, n: int) -> NDArray[np.integer[Any]]:
        labels = np.asarray(groups)
        if labels.shape != (n,) or (labels.size and labels.dtype.kind not in "iu"):
            raise ValueError(
                f"The 'groups' parameter must be an integer array of shape ({n},); got "
                f"shape {labels.shape} and dtype {labels.dtype}."
            )
        return labels

    def _states(
        self, finding_state: ArrayLike, rf_state: ArrayLike, *, single: bool
    ) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
        cm = self.compiled
        out = []
        for name, value, width in (
            ("finding_state", finding_state, len(cm.findings)),
            ("rf_state", rf_state, len(cm.risk_factors)),
        ):
            arr = np.asarray(value)
            if not single:
                name += "s"
            shape = (width,) if single else (arr.shape[0] if arr.ndim else -1, width)
            if arr.shape != shape or (arr.size and arr.dtype.kind not in "iu"):
                want = f"({width},)" if single else f"(N, {width})"
                raise EvidenceError(
                    f"The {name!r} parameter must be an integer array of shape {want}; got "
                    f"shape {arr.shape} and dtype {arr.dtype}."
                )
            if arr.size and (arr.min() < -1 or arr.max() > 1):
                raise EvidenceError(
                    f"The {name!r} parameter must hold -1 (unknown), 0 (absent) or 1 (present); "
                    f"got {sorted(set(np.unique(arr).tolist()) - {-1, 0, 1})}."
                )
            out.append(np.ascontiguousarray(arr, dtype=np.int8))
        if not single and out[0].shape[0] != out[1].shape[0]:
            raise EvidenceError(
                f"finding_states and rf_states must have the same number of rows; got "
                f"{out[0].shape[0]} and {out[1].shape[0]}."
            )
        return out[0], out[1]

    def _run(
        self,
        fs: NDArray[np.int8],
        rs: NDArray[np.int8],
        chunk_size: int,
        families: NDArray[np.integer[Any]] | None = None,
        approximate: NDArray[np.bool_] | None = None,
        *,
        quick_only: bool = False,
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], FloatArray]:
        """Posteriors, log evidence, which rows were eliminated, and the error bound of the rows
        left in float64 (``approximate``, see :meth:`posterior_evidence_batch`; 0 elsewhere).

        ``quick_only``: the Quickscore stages alone (the rows to eliminate are flagged, their
        values left unset). With ``families``, identical rows of different families (the worlds
        shared by cases that differ in red flags only, a case equal to one of its worlds) go
        through the Quickscore stages once, which do not depend on families; each copy that needs
        elimination is eliminated in its own family.
        """
        if families is not None and not quick_only and len(fs) >= SHARE_ROWS:
            shared, inverse = distinct_rows(fs, rs)
            if len(shared) < len(fs):
                loose = None
                if approximate is not None:  # a row left in float64 only if every copy may be
                    strict = np.zeros(len(shared), dtype=bool)
                    np.logical_or.at(strict, inverse, ~approximate)
                    loose = ~strict
                post, log_ev, fallback, error = self._run(
                    fs[shared], rs[shared], chunk_size, approximate=loose, quick_only=True
                )
                return self._finish(
                    fs, rs, post[inverse], log_ev[inverse], fallback[inverse], error[inverse], families
                )
        cm = self.compiled
        n = fs.shape[0]
        post = np.empty((n, len(cm.causes)))
        log_ev = np.empty(n)
        error = np.zeros(n)
        multi = (fs == 1) & self._multi
        counts = np.count_nonzero(multi, axis=1)
        fallback = ~self._quick[counts]  # Quickscore cannot take the row: elimination
        direct = self._direct[counts]  # in extended precision from the start
        rows = np.flatnonzero(~(fallback | direct))
        # float64 rows, any m, in one compiled call per chunk; rows that cancel too deeply for
        # float64 are recomputed in 80-bit extended precision below (grouped by m)
        start = 0
        while start < len(rows):
            part = rows[start:]
            if len(part) > chunk_size or len(part) << int(counts[part].max()) > MAX_LANES:
                lanes = np.cumsum(np.left_shift(1, counts[part]))
                stop = min(chunk_size, int(np.searchsorted(lanes, MAX_LANES, side="right")))
                part = part[: max(stop, 1)]
            width = int(counts[part].max())
            present = np.argsort(~multi[part], axis=1, kind="stable")[:, :width]
            p, le, cancel = quickscore_rows(cm, fs[part], rs[part], present, counts[part])
            post[part], log_ev[part] = p, le
            cancelled = cancelled_rows(
                cancel, counts[part], None if approximate is None else approximate[part]
            )
            if cancelled is not None:
                keep, retry, eliminate = cancelled
                error[part[keep]] = SETTLE_ERROR * cancel[keep]
                log_ev[part[keep]] = np.nan
                direct[part[retry]] = True
                fallback[part[eliminate]] = True
            start += len(part)
        if direct.any():
            for m in np.unique(counts[direct]).tolist():
                group = np.flatnonzero(direct & (counts == m))
                step = max(1, min(chunk_size, MAX_ELEMENTS // (self._elements << m)))
                for first in range(0, len(group), step):
                    part = group[first : first + step]
                    present = np.nonzero(multi[part])[1].reshape(len(part), m)
                    p, le, cancel = quickscore_rows(cm, fs[part], rs[part], present, precise=True)
                    post[part], log_ev[part] = p, le
                    fallback[part[~(cancel <= PRECISE_LIMIT)]] = True
        if quick_only:
            return post, log_ev, fallback, error
        return self._finish(fs, rs, post, log_ev, fallback, error, families)

    def _finish(
        self,
        fs: NDArray[np.int8],
        rs: NDArray[np.int8],
        post: FloatArray,
        log_ev: FloatArray,
        fallback: NDArray[np.bool_],
        error: FloatArray,
        families: NDArray[np.integer[Any]] | None,
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], FloatArray]:
        """The rows flagged ``fallback`` by elimination (by families), then the check that every
        row is possible."""
        heavy = np.flatnonzero(fallback)
        if len(heavy):
            labels = None if families is None else families[heavy]
            post[heavy], log_ev[heavy] = self._eliminate(fs[heavy], rs[heavy], labels)
        if not (np.isfinite(log_ev[error == 0]).all() and np.isfinite(post).all()):
            bad = (~np.isfinite(log_ev) & (error == 0)) | ~np.all(np.isfinite(post), axis=1)
            self._impossible(fs, rs, int(np.flatnonzero(bad)[0]))
        return post, log_ev, fallback, error

    def _eliminate(
        self, fs: NDArray[np.int8], rs: NDArray[np.int8], groups: NDArray[np.integer[Any]] | None
    ) -> tuple[FloatArray, FloatArray]:
        """Rows by hidden-variable elimination, those of one structure together (one order, one
        program, a leading row axis); a row that cancels too much by non-negative elimination.
        Families (``groups``) on the union of their structures when that is small."""
        cm = self.compiled
        post = np.empty((len(fs), len(cm.causes)))
        log_ev = np.empty(len(fs))
        hidden = (fs == 1) & (cm.finding_parent_count >= HIDDEN_PARENTS)
        free = rs[:, cm.shared_rf] < 0
        keys = [structure_key(h, f) for h, f in zip(hidden, free, strict=True)]
        units: dict[bytes, list[int]] = {}  # structure -> rows eliminated on it
        if groups is None:
            for k, key in enumerate(keys):
                units.setdefault(key, []).append(k)
        else:
            families: dict[tuple[int, bytes], list[int]] = {}
            for k, (label, f) in enumerate(zip(groups.tolist(), free, strict=True)):
                families.setdefault((label, f.tobytes()), []).append(k)
            for members in families.values():
                union = hidden[members].any(axis=0)
                key = structure_key(union, free[members[0]])
                if len({keys[k] for k in members}) > 1:
                    net = network(cm, fs[members[:1]], rs[members[:1]], union)
                    if self._planned(key, net).elements <= FAMILY_ELEMENTS:
                        units.setdefault(key, []).extend(members)
                        continue
                for k in members:
                    units.setdefault(keys[k], []).append(k)
        for key, members in units.items():
            rows = np.array(sorted(members), dtype=np.intp)
            union = np.frombuffer(key, dtype=bool)[: len(cm.findings)]
            net = network(cm, fs[rows], rs[rows], union)
            order = self._planned(key, net)
            self._check_budget(order, net, fs[rows[0]])
            kernel = self._kernels.get(key)
            if kernel is None:
                if len(self._kernels) >= MAX_PLANS:
                    self._kernels.clear()
                kernel = self._kernels[key] = compile_program(net, order)
            self._check_budget(order, net, fs[rows[0]], kernel.row_bytes)
            # the compiled program holds one row's tables at a time: every row in one call
            post[rows], log_ev[rows] = self._solve(net, order, kernel, fs[rows], rs[rows])
        return post, log_ev

    def _planned(self, key: bytes, net: HiddenNetwork) -> Plan:
        """The elimination order of ``net``'s structure ``key`` (cached)."""
        cm = self.compiled
        cached = self._plans.get(key)
        if cached is None:
            order = plan(net, search=False)
            if order.elements > SEARCH_ELEMENTS:  # a heavy row: search, with the largest network's order
                size = len(cm.causes) + len(cm.findings) + len(cm.risk_factors)
                if self._reference is None and size <= REFERENCE_VARIABLES:
                    self._reference = plan(every_finding_present(cm))
                if self._reference is not None and self._reference.names == net.names:
                    order = self._reference  # that very network: the same search, done once
                else:
                    order = plan(net, reference=self._reference)
            if len(self._plans) >= MAX_PLANS:
                self._plans.clear()
            cached = self._plans[key] = order
        return cached

    def _check_budget(self, order: Plan, net: HiddenNetwork, fs: NDArray[np.int8], held: int = 0) -> None:
        """Raise if ``order``'s estimate (or ``held`` bytes, the compiled program's buffers, once
        it is made) exceeds the budget."""
        cm = self.compiled
        memory = max(order.memory_bytes, held)
        if not self.budget.fits(memory=memory, operations=order.operations):
            widest = [net.names[v] for v in order.widest]
            raise CostLimitError(
                f"Exact inference for this evidence needs a table over {order.width} variables "
                f"({order.elements:.3g} table elements in all: about {describe_bytes(memory)} "
                f"and {order.operations:.3g} operations), beyond the budget of "
                f"{self.budget.describe()}. The widest table joins {widest}; present findings: "
                f"{[cm.findings[j] for j in np.flatnonzero(fs == 1)]}. Give a larger Budget or "
                "fewer present findings."
            )

    def _solve(
        self,
        net: HiddenNetwork,
        order: Plan,
        kernel: KernelProgram,
        fs: NDArray[np.int8],
        rs: NDArray[np.int8],
    ) -> tuple[FloatArray, FloatArray]:
        """Rows of one structure by the compiled program (bitwise the array program's float64
        result); rows it leaves (a vanishing message) by the array program; those that cancel
        beyond the limits again in 80-bit, then without signs."""
        log_z, marginals, cancellation, retry = run(kernel, net)
        if retry.any():
            rows = np.flatnonzero(retry)
            log_z[rows], marginals[rows], cancellation[rows] = self._array_solve(net, rows, order)
        post = np.clip(marginals[:, :, 1], 0.0, 1.0)
        log_ev = log_z + net.log_const
        again = np.flatnonzero(~(cancellation <= HIDDEN_LIMIT))
        if len(again) and EXTENDED:  # the same elimination with 80-bit rounding errors
            log_z, marginals, cancellation = self._array_solve(net, again, order, np.longdouble)
            ok = cancellation <= PRECISE_HIDDEN_LIMIT
            post[again[ok]] = np.clip(marginals[ok, :, 1], 0.0, 1.0)
            log_ev[again[ok]] = log_z[ok] + net.log_const[again[ok]]
            again = again[~ok]
        for k in again.tolist():
            post[k], log_ev[k] = eliminate(
                self.compiled, fs[k], rs[k], self._orders, hubs=False, budget=self.budget
            )
        return post, log_ev

    def _array_solve(
        self,
        net: HiddenNetwork,
        rows: NDArray[np.intp],
        order: Plan,
        dtype: type[np.floating] = np.float64,
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """:func:`~toeprob.inference.hidden.solve` (the array program, whose temporaries hold every
        row's tables) on ``rows`` of ``net``, in chunks of at most :data:`GROUP_ELEMENTS` table
        elements that fit the memory budget. Its steps (:func:`~toeprob.inference.hidden.program`)
        are made here: only the rare rows the compiled program leaves need them."""
        steps = program(net, order)
        size = max(1, np.dtype(dtype).itemsize // 8)  # an 80-bit element takes 16 bytes
        per_chunk = max(
            1,
            min(GROUP_ELEMENTS // order.elements, self.budget.memory_bytes // (size * order.memory_bytes)),
        )
        log_z = np.empty(len(rows))
        marginals = np.empty((len(rows), net.n_causes, 2))
        cancellation = np.empty(len(rows))
        for start in range(0, len(rows), per_chunk):
            part = slice(start, start + per_chunk)
            log_z[part], marginals[part], cancellation[part] = solve(
                net.take(rows[part]), order, dtype=dtype, steps=steps
            )
        return log_z, marginals, cancellation

    def _impossible(self, fs: NDArray[np.int8], rs: NDArray[np.int8], row: int) -> None:
        cm = self.compiled
        present = [cm.findings[j] for j in np.flatnonzero(fs[row] == 1)]
        given = [cm.risk_factors[r] for r in np.flatnonzero(rs[row] >= 0)]
        where = f"row {row}: " if fs.shape[0] > 1 else ""
        raise ImpossibleEvidenceError(
            f"{where}the evidence has probability zero under the model (or one below the smallest "
            f"float); present findings {present or 'none'}, risk factors given {given or 'none'}. "
            "A finding with no leak can only be present if one of its causes can be; remove or "
            "correct the conflicting answers."
        )
