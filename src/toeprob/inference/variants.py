"""Many variants of one model, compiled together: the same network, other numbers.

Variants share the structure of a :class:`~toeprob.inference.compiled.CompiledModel` (which links exist, the
private and shared risk factors, the risk-factor program) and differ only in their parameter values.
:func:`compile_variants` (dense weight arrays, checked) and :func:`compile_parameter_variants` (the
link columns of :meth:`ModelParameters.links <toeprob.knowledge.parameters.ModelParameters.links>`)
compute every parameter-dependent array once for all ``K`` variants, with a leading variant axis
(the evidence-folding table compactly: only its parameter-dependent entries, with a slot per entry;
the link strengths one column per link, their dense forms on demand). :class:`VariantEngine` then
answers pairs of an evidence row and a variant the way :class:`~toeprob.inference.exact.ExactEngine`
answers rows: the float64 pairs of any ``m`` in one call per chunk of the compiled pair program
(:mod:`toeprob.inference.variants_kernel`: the Quickscore program of
:mod:`toeprob.inference.quickscore_kernel`, the evidence folded from lists made once per distinct
row, each pair reading its own variant's tables through a variant index); the pairs whose sum
cancels too deeply again in extended precision (the array program, variant index per row); the rest
by elimination. ``K`` models cost about as much as ``K`` evidence rows of one model.

Exactness: each variant's arrays are computed elementwise by the same operations as a model
compiled alone (:func:`toeprob.inference.compiled.lookup_table`,
:func:`toeprob.inference.risk_factors.multipliers`; the factors 1 that these multiply by are
skipped, which changes no bit), the compiled programs do a variant's arithmetic in a model's order,
and every row is computed independently of its batch, so a variant's posteriors are bitwise those
of ``ExactEngine(compile_arrays(<that variant's arrays>))``, including the rows retried in
extended precision. Rows that the engine sends to elimination (many present findings, deep
cancellation) are computed by exactly that engine, variant by variant.

Examples
--------
>>> import numpy as np
>>> from toeprob.inference.compiled import compile_arrays
>>> cm = compile_arrays(["a"], ["f"], [], [], [0.1], np.zeros((0, 1)), [0.01], [[0.9]])
>>> cv = compile_variants(cm, np.zeros((2, 0)), [[0.1], [0.2]], np.zeros((2, 0, 1)), [[0.01], [0.01]],
...                       [[[0.9]], [[0.9]]])
>>> VariantEngine(cv).posterior(np.array([[1]], np.int8), np.zeros((1, 0), np.int8)).round(4).tolist()
[[[0.9092], [0.9575]]]
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from toeprob.errors import EvidenceError, ImpossibleEvidenceError
from toeprob.inference.budget import Budget
from toeprob.inference.compiled import CompiledModel, parameter_tables
from toeprob.inference.exact import MAX_ELEMENTS, MAX_LANES, SETTLE_ERROR, ExactEngine, cancelled_rows
from toeprob.inference.quickscore import (
    PRECISE_FIRST,
    PRECISE_LIMIT,
    PRECISE_MAX_PRESENT,
    quickscore_rows,
    term_elements,
)
from toeprob.inference.variants_kernel import row_lists, variant_pairs_kernel, variant_tables
from toeprob.knowledge.parameters import ParameterLinks

__all__ = ["CompiledVariants", "VariantEngine", "compile_parameter_variants", "compile_variants"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class CompiledVariants:
    """``K`` variants of a compiled model: per-variant arrays with a leading axis ``K``.

    ``base`` holds the shared structure. The link strengths are held one column per link of the
    base, in the order of their flat index: ``risk_link`` (K, L) at :attr:`risk_link_flat` of
    ``(R, C)``, ``finding_link`` (K, M) at :attr:`finding_link_flat` of ``(F, C)``
    (:attr:`rf_weight` and :attr:`finding_weight` are their dense forms). :attr:`finding_q` (K, F, C)
    (made on demand; :meth:`finding_q_of` some findings' only), ``log1m_finding_leak`` (K, F)
    and ``multiplier`` (K, W) are the variants' versions of the base's arrays of the same names
    (``multiplier`` of its risk-factor program). The base's lookup
    table is held compactly: ``lookup_values`` (K, V) holds only the entries that depend on the
    parameters (and the constants 0 and 1), and entry ``i`` of variant ``k``'s table is
    ``lookup_values[k, lookup_slot[i]]`` (:meth:`lookup_table`).
    """

    base: CompiledModel
    rf_prevalence: FloatArray
    cause_leak: FloatArray
    risk_link: FloatArray
    finding_leak: FloatArray
    finding_link: FloatArray
    lookup_values: FloatArray
    lookup_slot: NDArray[np.intp]
    log1m_finding_leak: FloatArray
    multiplier: FloatArray | None

    @property
    def variants(self) -> int:
        """Number of variants ``K``."""
        return int(self.cause_leak.shape[0])

    @property
    def risk_link_flat(self) -> NDArray[np.intp]:
        """Flat index in ``(R, C)`` of every risk-factor link of the base (increasing)."""
        return _layout(self.base).w_links

    @property
    def finding_link_flat(self) -> NDArray[np.intp]:
        """Flat index in ``(F, C)`` of every finding link of the base (increasing)."""
        return _layout(self.base).p_links

    @functools.cached_property
    def rf_weight(self) -> FloatArray:
        """Risk-factor link strengths ``(K, R, C)``, zero off the links."""
        return _dense(self.risk_link, self.risk_link_flat, self.base.rf_weight.shape)

    @functools.cached_property
    def finding_weight(self) -> FloatArray:
        """Finding link strengths ``(K, F, C)``, zero off the links."""
        return _dense(self.finding_link, self.finding_link_flat, self.base.finding_weight.shape)

    @functools.cached_property
    def finding_q(self) -> FloatArray:
        """``1 - p`` of every finding and cause ``(K, F, C)`` (1 off the links)."""
        out = self.finding_q_of(np.arange(len(self.base.findings)))
        out.setflags(write=False)
        return out

    def finding_q_of(self, findings: NDArray[np.intp]) -> FloatArray:
        """``1 - p`` of the findings ``findings`` (increasing) and every cause, ``(K, len(findings), C)``.

        The same numbers as ``finding_q[:, findings]``, made from those findings' links only.
        """
        n_f, n_c = self.base.finding_weight.shape
        flat = self.finding_link_flat
        at = np.full(n_f, -1, dtype=np.intp)
        at[findings] = np.arange(len(findings))
        mine = np.flatnonzero(at[flat // n_c] >= 0)
        out = np.ones((self.variants, len(findings) * n_c))
        out[:, at[flat[mine] // n_c] * n_c + flat[mine] % n_c] = 1.0 - np.take(
            self.finding_link, mine, axis=1
        )
        return out.reshape(self.variants, len(findings), n_c)

    def lookup_table(self, k: int) -> FloatArray:
        """Variant ``k``'s lookup table, ``(3 L,)`` (as :attr:`CompiledModel.lookup_table`)."""
        return np.asarray(self.lookup_values[k, self.lookup_slot])

    def variant(self, k: int) -> CompiledModel:
        """Variant ``k`` as a :class:`~toeprob.inference.compiled.CompiledModel` of its own.

        The same arrays as :func:`~toeprob.inference.compiled.compile_arrays` of the variant's
        parameters (computed by the same function), with the base's structure and risk-factor
        program (whose multipliers are the variant's) rather than compiled again.
        """
        b = self.base
        w = _dense(self.risk_link[k : k + 1], self.risk_link_flat, b.rf_weight.shape)[0]
        p = _dense(self.finding_link[k : k + 1], self.finding_link_flat, b.finding_weight.shape)[0]
        tables = parameter_tables(
            self.rf_prevalence[k],
            w,
            self.finding_leak[k],
            p,
            b.private_rf,
            b.child_finding,
            b.child_single,
        )
        for arr in (w, p, *tables.values()):
            arr.setflags(write=False)
        program = b.program
        if program is not None and self.multiplier is not None:
            program = dataclasses.replace(program, multiplier=self.multiplier[k])
        return dataclasses.replace(
            b,
            rf_prevalence=self.rf_prevalence[k],
            cause_leak=self.cause_leak[k],
            rf_weight=w,
            finding_leak=self.finding_leak[k],
            finding_weight=p,
            program=program,
            **tables,  # type: ignore[arg-type]
        )


def _dense(links: FloatArray, flat: NDArray[np.intp], shape: tuple[int, ...]) -> FloatArray:
    """Link columns ``(K, L)`` at flat indices ``flat`` as a dense ``(K, *shape)`` array (zero elsewhere)."""
    out = np.zeros((links.shape[0], int(np.prod(shape))))
    out[:, flat] = links
    out = out.reshape(links.shape[0], *shape)
    out.setflags(write=False)
    return out


def compile_variants(
    base: CompiledModel,
    rf_prevalence: ArrayLike,
    cause_leak: ArrayLike,
    rf_weight: ArrayLike,
    finding_leak: ArrayLike,
    finding_weight: ArrayLike,
) -> CompiledVariants:
    """Compile ``K`` variants of ``base``: its arrays with a leading variant axis.

    Parameters
    ----------
    base : CompiledModel
        The structure every variant shares.
    rf_prevalence, cause_leak, rf_weight, finding_leak, finding_weight : array_like
        As for :func:`~toeprob.inference.compiled.compile_arrays`, each with a leading axis ``K``. Every
        variant must link exactly what ``base`` links (a weight is zero exactly where the base's is).

    Raises
    ------
    ValueError
        For arrays of the wrong shape, values outside [0, 1) (weights [0, 1]) or another structure.
    """
    n_c, n_f, n_r = len(base.causes), len(base.findings), len(base.risk_factors)
    prev = np.ascontiguousarray(rf_prevalence, dtype=np.float64)
    lam = np.ascontiguousarray(cause_leak, dtype=np.float64)
    w = np.ascontiguousarray(rf_weight, dtype=np.float64)
    mu = np.ascontiguousarray(finding_leak, dtype=np.float64)
    p = np.ascontiguousarray(finding_weight, dtype=np.float64)
    n_k = lam.shape[0] if lam.ndim == 2 else -1
    for name, arr, shape in (
        ("rf_prevalence", prev, (n_k, n_r)),
        ("cause_leak", lam, (n_k, n_c)),
        ("rf_weight", w, (n_k, n_r, n_c)),
        ("finding_leak", mu, (n_k, n_f)),
        ("finding_weight", p, (n_k, n_f, n_c)),
    ):
        if n_k < 1 or arr.shape != shape:
            raise ValueError(f"{name} must have shape (K, ...) = {shape} with K >= 1; got {arr.shape}.")
    # the weights are checked on the base's links; every other entry must be zero
    layout = _layout(base)
    w_links = w.reshape(n_k, -1)[:, layout.w_links]
    p_links = p.reshape(n_k, -1)[:, layout.p_links]
    for name, arr in (
        ("rf_prevalence", prev),
        ("cause_leak", lam),
        ("rf_weight", w_links),
        ("finding_leak", mu),
        ("finding_weight", p_links),
    ):
        if arr.size and not (arr.min() >= 0.0 and arr.max() <= 1.0):  # also refuses NaN
            raise ValueError(f"{name} must hold probabilities in [0, 1].")
    if any(a.size and a.max() >= 1.0 for a in (lam, w_links, mu)):
        raise ValueError("cause_leak, rf_weight and finding_leak must be below 1.")
    if (
        not (w_links > 0).all()
        or not (p_links > 0).all()
        or np.count_nonzero(w) != w_links.size
        or np.count_nonzero(p) != p_links.size
    ):
        raise ValueError("every variant must have the links of the base model, and no other.")
    return _compile(base, layout, prev, lam, w_links, mu, p_links)


def compile_parameter_variants(base: CompiledModel, links: ParameterLinks) -> CompiledVariants:
    """Compile the variants of :meth:`toeprob.knowledge.parameters.ModelParameters.links`.

    The same variants as :func:`compile_variants` of their dense arrays (:meth:`ParameterLinks.dense`),
    bitwise, without building those: the parameters' values lie within their ranges by
    construction (validated when the model was loaded), so they are not checked again.

    Raises
    ------
    ValueError
        If the parameters' links are not those of ``base``.
    """
    layout = _layout(base)
    n_c = len(base.causes)
    r_flat = links.risk_link_index[0] * n_c + links.risk_link_index[1]
    f_flat = links.finding_link_index[0] * n_c + links.finding_link_index[1]
    if not (np.array_equal(r_flat, layout.w_links) and np.array_equal(f_flat, layout.p_links)):
        raise ValueError("the parameters' links are not those of the base model, in its order.")
    n_k = links.variants
    for name, arr, width in (
        ("rf_prevalence", links.rf_prevalence, len(base.risk_factors)),
        ("cause_leak", links.cause_leak, n_c),
        ("finding_leak", links.finding_leak, len(base.findings)),
    ):
        if arr.shape != (n_k, width):
            raise ValueError(f"{name} must have shape {(n_k, width)}; got {arr.shape}.")
    return _compile(
        base,
        layout,
        np.ascontiguousarray(links.rf_prevalence),
        np.ascontiguousarray(links.cause_leak),
        np.ascontiguousarray(links.risk_link),
        np.ascontiguousarray(links.finding_leak),
        np.ascontiguousarray(links.finding_link),
    )


def _compile(
    base: CompiledModel,
    layout: _Layout,
    prev: FloatArray,
    lam: FloatArray,
    w_links: FloatArray,
    mu: FloatArray,
    p_links: FloatArray,
) -> CompiledVariants:
    """The variants' tables from their values, the link strengths one column per link of ``layout``."""
    # writable, C-ordered float64: one compiled signature, whatever the caller's arrays
    prev, lam, w_links, mu, p_links = (
        np.require(a, dtype=np.float64, requirements=["C", "W"]) for a in (prev, lam, w_links, mu, p_links)
    )
    log1m_mu = np.log1p(-mu)
    with np.errstate(divide="ignore"):
        log1m_prev, log_prev = np.log(1.0 - prev), np.log(prev)
    prog = base.program
    values = np.empty((len(lam), layout.columns))
    multipliers = np.empty((len(lam), 0 if prog is None else len(prog.column_cause)))
    variant_tables(
        prev,
        w_links,
        mu,
        p_links,
        log1m_mu,
        log1m_prev,
        log_prev,
        layout.starts,
        layout.private[0],
        layout.private_link,
        layout.child_link,
        layout.single_entry,
        layout.child[0][layout.single_entry],
        layout.round_ptr,
        layout.round_column,
        layout.round_link,
        values,
        multipliers,
    )
    multiplier = None if prog is None else multipliers
    for arr in (prev, lam, w_links, mu, p_links, values, log1m_mu):
        arr.setflags(write=False)
    if multiplier is not None:
        multiplier.setflags(write=False)
    return CompiledVariants(
        base,
        rf_prevalence=prev,
        cause_leak=lam,
        risk_link=w_links,
        finding_leak=mu,
        finding_link=p_links,
        lookup_values=values,
        lookup_slot=layout.slot,
        log1m_finding_leak=log1m_mu,
        multiplier=multiplier,
    )


@dataclass(frozen=True)
class _Layout:
    """Index arrays of a base model for compiling its variants (computed once per base)."""

    w_links: NDArray[np.intp]  # flat indices of the base's risk-factor links in (R * C)
    p_links: NDArray[np.intp]  # flat indices of its finding links in (F * C)
    private: tuple[NDArray[np.intp], NDArray[np.intp]]  # (risk factor, cause) of each private entry
    child: tuple[NDArray[np.intp], NDArray[np.intp]]  # (finding, cause) of each child entry
    private_link: NDArray[np.intp]  # each private entry's position in w_links
    child_link: NDArray[np.intp]  # each child entry's position in p_links
    single_entry: NDArray[np.intp]  # the child entries with one parent
    starts: NDArray[np.intp]  # first column of each block of values, and their number
    slot: NDArray[np.intp]  # each (entry, state) of the lookup table: its column of values
    round_ptr: NDArray[np.intp]  # multiplier round ``a``: entries round_ptr[a] to round_ptr[a + 1]
    round_column: NDArray[np.intp]  # of the columns it multiplies
    round_link: NDArray[np.intp]  # by ``1 - w`` of these links (positions in w_links)

    @property
    def columns(self) -> int:
        """Number of columns of values ``V``."""
        return int(self.starts[-1])


_LAYOUTS: weakref.WeakKeyDictionary[CompiledModel, _Layout] = weakref.WeakKeyDictionary()


def _layout(base: CompiledModel) -> _Layout:
    """The layout of the variants' lookup values and multipliers for ``base`` (cached)."""
    if base in _LAYOUTS:
        return _LAYOUTS[base]
    n_r, n_f, n_c = len(base.risk_factors), len(base.findings), len(base.causes)
    private, child, single = base.private_rf, base.child_finding, base.child_single
    pr_c, pr_a = np.nonzero(private < n_r)
    ch_c, ch_a = np.nonzero(child < n_f)
    one = single[ch_c, ch_a]
    # columns of values: 0, 1, prevalence (R), private (2 per entry), children at C = 1 absent,
    # single-parent children present at C = 1 and at C = 0, log constants (F, then 2 R)
    sizes = [1, 1, n_r, len(pr_c), len(pr_c), len(ch_c), int(one.sum()), int(one.sum()), n_f, n_r, n_r]
    starts = np.cumsum([0, *sizes]).tolist()
    cols = [np.arange(a, b, dtype=np.intp) for a, b in itertools.pairwise(starts)]
    n_p, n_d = private.shape[1], child.shape[1]
    ends = np.cumsum([n_r, private.size, child.size, child.size, n_f, n_r]).tolist()
    slot = np.ones(3 * ends[-1], dtype=np.intp)  # (entry, state) -> column; the constant 1 by default
    rf = np.arange(n_r)
    slot[3 * rf] = cols[2]  # prevalence: unknown, absent 0, present (1)
    slot[3 * rf + 1] = 0
    entry = ends[0] + pr_c * n_p + pr_a  # private risk factors: unknown, (1), present
    slot[3 * entry], slot[3 * entry + 2] = cols[3], cols[4]
    entry = ends[1] + ch_c * n_d + ch_a  # children at C = 1: (1), absent, present if one parent
    slot[3 * entry + 1] = cols[5]
    slot[3 * entry[one] + 2] = cols[6]
    entry = ends[2] + ch_c * n_d + ch_a  # children at C = 0: (1), (1), present if one parent
    slot[3 * entry[one] + 2] = cols[7]
    entry = ends[3] + np.arange(n_f)  # log constants of absent findings
    slot[3 * entry], slot[3 * entry + 1], slot[3 * entry + 2] = 0, cols[8], 0
    entry = ends[4] + rf  # log constants of observed risk factors
    slot[3 * entry], slot[3 * entry + 1], slot[3 * entry + 2] = 0, cols[9], cols[10]
    slot.setflags(write=False)
    # multipliers: round ``a`` multiplies the columns whose configuration has scope position ``a`` set
    rounds = []
    prog = base.program
    if prog is not None:
        width = max((len(sc) for sc in prog.scopes), default=0)
        for a in range(width):
            at: list[NDArray[np.intp]] = []
            rs: list[int] = []
            cs: list[int] = []
            for c, scope in enumerate(prog.scopes):
                if a < len(scope):
                    k = len(scope)
                    configs = np.arange(1 << k)
                    on = np.flatnonzero((configs >> (k - 1 - a)) & 1)  # first variable slowest
                    at.append(int(prog.offsets[c]) + on)
                    rs += [scope[a]] * len(on)
                    cs += [c] * len(on)
            flat = np.array(rs, dtype=np.intp) * n_c + np.array(cs, dtype=np.intp)
            rounds.append((np.concatenate(at), flat))
    w_links, p_links = np.flatnonzero(base.rf_weight > 0), np.flatnonzero(base.finding_weight > 0)

    def position(links: NDArray[np.intp], flat: NDArray[np.intp]) -> NDArray[np.intp]:
        at = np.minimum(np.searchsorted(links, flat), max(len(links) - 1, 0))
        if len(flat) and not np.array_equal(links[at], flat):
            raise ValueError("the compiled model's tables use a weight that is not a link.")
        return np.asarray(at, dtype=np.intp)

    round_link = [position(w_links, flat) for _, flat in rounds]
    layout = _Layout(
        w_links,
        p_links,
        (private[pr_c, pr_a], pr_c),
        (child[ch_c, ch_a], ch_c),
        position(w_links, private[pr_c, pr_a] * n_c + pr_c),
        position(p_links, child[ch_c, ch_a] * n_c + ch_c),
        np.flatnonzero(one),
        np.array(starts, dtype=np.intp),
        slot,
        np.cumsum([0, *(len(at) for at, _ in rounds)], dtype=np.intp),
        np.concatenate([np.zeros(0, dtype=np.intp), *(at for at, _ in rounds)]),
        np.concatenate([np.zeros(0, dtype=np.intp), *round_link]),
    )
    _LAYOUTS[base] = layout
    return layout


class VariantEngine:
    """Exact posteriors of every cause under every variant, for rows of evidence.

    Parameters
    ----------
    variants : CompiledVariants
    max_present : int, default 7
        As for :class:`~toeprob.inference.exact.ExactEngine`.
    budget : Budget, optional
        Memory and work allowed for one row's elimination (the rows the engine does not answer by
        Quickscore).
    """

    def __init__(
        self, variants: CompiledVariants, *, max_present: int = 7, budget: Budget | None = None
    ) -> None:
        if not isinstance(max_present, int) or max_present < 0:
            raise ValueError(f"max_present must be a non-negative int; got {max_present!r}.")
        self.variants = variants
        self.max_present = max_present
        self.budget = budget
        self._elements = term_elements(variants.base)
        self._multi = variants.base.finding_parent_count >= 2
        # which m Quickscore takes, in float64 or directly in extended precision (as ExactEngine)
        m = np.arange(int(self._multi.sum()) + 1)
        fits = np.array([(self._elements << k) <= MAX_ELEMENTS for k in m.tolist()])
        self._quick = (m <= max_present) & fits
        self._direct = self._quick & (m >= PRECISE_FIRST) & (m <= PRECISE_MAX_PRESENT)
        self._alone: dict[int, ExactEngine] = {}
        self._shared: ExactEngine | None = None  # whose elimination plans every variant's engine uses

    def posterior(
        self, finding_states: ArrayLike, rf_states: ArrayLike, *, chunk_size: int = 2048
    ) -> FloatArray:
        """``P(C_i = 1 | evidence row n, variant k)``, shape ``(N, K, C)``.

        Raises
        ------
        ImpossibleEvidenceError
            If some row has probability 0 under some variant.
        """
        fs, rs = self._states(finding_states, rf_states)
        n, n_k = len(fs), self.variants.variants
        # pairs row by row: the compiled program folds a row's evidence once for all its variants
        rows, variant = np.divmod(np.arange(n * n_k), n_k)
        return self.posterior_pairs(fs, rs, rows, variant, chunk_size=chunk_size).reshape(n, n_k, -1)

    def posterior_pairs(
        self,
        finding_states: ArrayLike,
        rf_states: ArrayLike,
        rows: ArrayLike,
        variant: ArrayLike,
        *,
        chunk_size: int = 2048,
    ) -> FloatArray:
        """Posteriors of chosen pairs: evidence row ``rows[k]`` under variant ``variant[k]``, ``(M, C)``.

        Each pair is computed exactly as :meth:`posterior` computes it (bitwise).

        Raises
        ------
        ImpossibleEvidenceError
            If some pair's evidence has probability 0 under its variant.
        """
        return self.posterior_pairs_bounded(
            finding_states, rf_states, rows, variant, None, chunk_size=chunk_size
        )[0]

    def posterior_pairs_bounded(
        self,
        finding_states: ArrayLike,
        rf_states: ArrayLike,
        rows: ArrayLike,
        variant: ArrayLike,
        approximate: ArrayLike | None,
        *,
        chunk_size: int = 2048,
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`posterior_pairs`, with pairs that may stay in float64 within an error bound.

        A pair marked in ``approximate`` (boolean, one per pair) whose float64 sum cancels too
        deeply, but not so deeply that the extended-precision recomputation could refuse it, keeps
        its float64 posterior, within ``error[k]`` (for every cause) of the one that recomputation
        gives, as ``ExactEngine.posterior_evidence_batch(..., approximate=...)`` does; every other
        pair is computed exactly as by :meth:`posterior_pairs` (``error`` 0).

        Returns
        -------
        posterior : ndarray, shape (M, C)
        error : ndarray, shape (M,)
        """
        base = self.variants.base
        fs, rs = self._states(finding_states, rf_states)
        row_of = np.asarray(rows, dtype=np.intp)
        var_of = np.asarray(variant, dtype=np.intp)
        if row_of.shape != var_of.shape or row_of.ndim != 1:
            raise ValueError("rows and variant must be 1-d arrays of the same length.")
        if row_of.size and (row_of.min() < 0 or row_of.max() >= len(fs)):
            raise ValueError(f"rows must index the {len(fs)} evidence rows.")
        if var_of.size and (var_of.min() < 0 or var_of.max() >= self.variants.variants):
            raise ValueError(f"variant must index the {self.variants.variants} variants.")
        n_pairs = len(row_of)
        loose = np.zeros(n_pairs, dtype=bool) if approximate is None else np.asarray(approximate, dtype=bool)
        if loose.shape != (n_pairs,):
            raise ValueError("approximate must be a boolean array with one entry per pair.")
        post = np.empty((n_pairs, len(base.causes)))
        error = np.zeros(n_pairs)
        good = np.ones(n_pairs, dtype=bool)
        multi = (fs == 1) & self._multi
        counts = np.count_nonzero(multi, axis=1)[row_of]
        fallback = ~self._quick[counts]  # as ExactEngine: elimination
        direct = self._direct[counts]  # extended precision from the start
        # each evidence row's present findings with several parents, in finding order
        order = np.argsort(~multi, axis=1, kind="stable")
        # float64 pairs, any m, in one compiled call per chunk (a variant index per pair), the
        # evidence folded from lists made once per evidence row
        todo = np.flatnonzero(~(fallback | direct))
        if len(todo):
            lists = row_lists(self.variants, fs, rs)
            # the Quickscore factors of the findings that some row has present, only
            q_findings = np.flatnonzero(multi.any(axis=0))
            q_at = np.zeros(len(base.findings), dtype=np.intp)
            q_at[q_findings] = np.arange(len(q_findings))
            finding_q = self.variants.finding_q_of(q_findings)
            log1m = np.take(self.variants.log1m_finding_leak, q_findings, axis=1)
        start = 0
        while start < len(todo):
            part = todo[start:]
            if len(part) > chunk_size or len(part) << int(counts[part].max()) > MAX_LANES:
                lanes = np.cumsum(np.left_shift(1, counts[part]))
                stop = min(chunk_size, int(np.searchsorted(lanes, MAX_LANES, side="right")))
                part = part[: max(stop, 1)]
            ev = row_of[part]
            present = order[ev, : int(counts[part].max())]
            var = var_of[part]
            p, le, cancel = variant_pairs_kernel(
                self.variants, lists, ev, var, q_at[present], counts[part], finding_q, log1m
            )
            post[part] = p
            good[part] = np.isfinite(le)
            cancelled = cancelled_rows(cancel, counts[part], loose[part])
            if cancelled is not None:
                keep, retry, eliminate = cancelled
                error[part[keep]] = SETTLE_ERROR * cancel[keep]
                direct[part[retry]] = True
                fallback[part[eliminate]] = True
            start += len(part)
        # pairs that cancel too deeply for float64: extended precision, by m (the array program)
        for m in np.unique(counts[direct]).tolist():
            group = np.flatnonzero(direct & (counts == m))
            step = max(1, min(chunk_size, MAX_ELEMENTS // (self._elements << m)))
            for first in range(0, len(group), step):
                part = group[first : first + step]
                ev = row_of[part]
                p, le, cancel = quickscore_rows(
                    base,
                    fs[ev],
                    rs[ev],
                    order[ev, :m],
                    precise=True,
                    variants=self.variants,
                    variant=var_of[part],
                )
                post[part] = p
                good[part] = np.isfinite(le)
                fallback[part[~(cancel <= PRECISE_LIMIT)]] = True
        for pair in np.flatnonzero(fallback).tolist():
            row, k = int(row_of[pair]), int(var_of[pair])
            post[pair] = self._engine(k).posterior(fs[row], rs[row])
            good[pair] = True
        if not (good.all() and np.isfinite(post).all()):
            bad = int(np.flatnonzero(~good | ~np.isfinite(post).all(axis=1))[0])
            row, k = int(row_of[bad]), int(var_of[bad])
            present_names = [base.findings[j] for j in np.flatnonzero(fs[row] == 1)]
            raise ImpossibleEvidenceError(
                f"row {row}: the evidence has probability zero under model variant {k} "
                f"(or one below the smallest float); present findings {present_names or 'none'}."
            )
        return post, error

    def _states(
        self, finding_states: ArrayLike, rf_states: ArrayLike
    ) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
        base = self.variants.base
        fs = np.ascontiguousarray(finding_states, dtype=np.int8)
        rs = np.ascontiguousarray(rf_states, dtype=np.int8)
        if (
            fs.ndim != 2
            or rs.ndim != 2
            or fs.shape != (len(rs), len(base.findings))
            or rs.shape[1] != len(base.risk_factors)
        ):
            raise EvidenceError(
                f"finding_states and rf_states must have shapes (N, {len(base.findings)}) and "
                f"(N, {len(base.risk_factors)}); got {fs.shape} and {rs.shape}."
            )
        return fs, rs

    def _engine(self, k: int) -> ExactEngine:
        """Variant ``k`` compiled alone, for the rows that take elimination."""
        if k not in self._alone:
            engine = ExactEngine(self.variants.variant(k), max_present=self.max_present, budget=self.budget)
            # elimination orders depend on the structure of the evidence only, which every variant
            # shares: plan once (the same plans each engine would make alone)
            if self._shared is None:
                self._shared = engine
            else:
                engine._plans = self._shared._plans
                engine._orders = self._shared._orders
            self._alone[k] = engine
        return self._alone[k]
