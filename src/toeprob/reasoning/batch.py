"""Batch scoring: posteriors, top cause and urgency for many cases at once, in bounded memory.

Examples
--------
>>> import pandas as pd
>>> from toeprob import rank_batch
>>> cases = pd.DataFrame({"cramp": [True, True], "tight_footwear": [True, None],
...                       "while_wearing_shoes": [True, False]})
>>> out = rank_batch(cases)
>>> out.loc[0, "top_cause"]
'ill_fitting_footwear'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sized
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from toeprob.errors import EvidenceError, EvidenceTypeError, ParameterError, ParameterTypeError, shorten
from toeprob.inference.exact import ExactEngine
from toeprob.knowledge.evidence import check_name, is_missing, parse_evidence, parse_value
from toeprob.knowledge.model import Model
from toeprob.knowledge.urgency import Urgency
from toeprob.reasoning.urgency_rule import posteriors_and_urgencies
from toeprob.validation import boolean, check_parameter, parameter_message, positive_int

if TYPE_CHECKING:
    import pandas as pd

    from toeprob.reasoning.reasoner import Reasoner

__all__ = ["check_dask_options", "check_options", "rank_rows"]


def _columns_to_states(frame: pd.DataFrame, model: Model) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Validate the columns and values of ``frame`` and encode them (rows x findings, risk factors).

    Each column is validated as :func:`~toeprob.knowledge.evidence.parse_evidence` validates a name, and
    each cell
    as it validates a value, so a frame is accepted exactly when every row would be accepted by
    :func:`toeprob.rank_causes`.
    """
    f_index = {f: i for i, f in enumerate(model.findings)}
    r_index = {r: i for i, r in enumerate(model.risk_factors)}
    fs = np.full((len(frame), len(f_index)), -1, dtype=np.int8)
    rs = np.full((len(frame), len(r_index)), -1, dtype=np.int8)
    if frame.columns.has_duplicates:
        dups = ", ".join(shorten(c) for c in frame.columns[frame.columns.duplicated()].unique()[:5])
        raise EvidenceError(f"duplicate column names: {dups}; give each identifier one column.")
    first: dict[str, Any] = {}  # identifier -> the first column that gives it
    for position, column in enumerate(frame.columns):
        try:
            name = check_name(column, model)
        except (EvidenceError, EvidenceTypeError) as exc:
            raise type(exc)(f"column {shorten(column)}: {exc}") from None
        codes = _column_codes(frame.iloc[:, position], name, column)
        target, col = (fs, f_index[name]) if name in f_index else (rs, r_index[name])
        if name in first:  # " cramp" and "cramp": as rank_causes, one value per row or an error
            before = target[:, col]
            clash = (before >= 0) & (codes >= 0) & (before != codes)
            if clash.any():
                label = frame.index[int(np.argmax(clash))]
                raise EvidenceError(
                    f"row {shorten(label)}: columns {shorten(first[name])} and {shorten(column)} both give "
                    f"evidence {name!r}, with different values."
                )
            codes = np.where(codes >= 0, codes, before).astype(np.int8)
        first.setdefault(name, column)
        target[:, col] = codes
    return fs, rs


def _column_codes(series: pd.Series[Any], name: str, column: Any) -> NDArray[np.int8]:
    """-1 (unknown), 0 (absent), 1 (present) for each cell; the values :func:`parse_value` accepts."""
    import pandas as pd

    n = len(series)
    if pd.api.types.is_bool_dtype(series.dtype):  # numpy bool, or the nullable boolean with NA
        codes = series.to_numpy(dtype=bool, na_value=False).astype(np.int8)
        codes[series.isna().to_numpy()] = -1
        return codes
    if isinstance(series.dtype, pd.StringDtype):  # only strings and NA: equal keys are equal values
        positions, uniques = pd.factorize(series, use_na_sentinel=True)
        table = np.array([_cell(name, u, column, series, positions, j) for j, u in enumerate(uniques)] + [-1])
        return table[positions].astype(np.int8)
    codes = np.empty(n, dtype=np.int8)
    cache: dict[tuple[type, Any], int] = {}  # keyed by type too: True == 1 == 1.0 as dict keys
    for k, value in enumerate(series.to_numpy(dtype=object)):
        if is_missing(value):
            codes[k] = -1
            continue
        try:
            key: tuple[type, Any] | None = (type(value), value)
            code = cache.get(key)  # type: ignore[arg-type]
        except Exception:  # unhashable (a list): parse it, which refuses it
            key, code = None, None
        if code is None:
            code = _cell(name, value, column, series, None, k)
            if key is not None:
                cache[key] = code
        codes[k] = code
    return codes


def _cell(name: str, value: Any, column: Any, series: pd.Series[Any], positions: Any, k: int) -> int:
    """The code of one cell value, or an error naming the row (the first row holding it) and column."""
    try:
        parsed = parse_value(name, value)
    except EvidenceError as exc:
        row = k if positions is None else int(np.argmax(positions == k))
        raise EvidenceError(f"row {shorten(series.index[row])}, column {shorten(column)}: {exc}") from None
    return -1 if parsed is None else int(parsed)


def _chunks(
    cases: Any, model: Model, size: int
) -> Iterator[tuple[list[Any], NDArray[np.int8], NDArray[np.int8]]]:
    """Yield (index labels, finding states, risk-factor states) chunk by chunk."""
    import pandas as pd

    if isinstance(cases, pd.DataFrame):
        if len(cases) == 0:
            _columns_to_states(cases, model)  # the columns are checked even without rows
        for start in range(0, len(cases), size):
            part = cases.iloc[start : start + size]
            fs, rs = _columns_to_states(part, model)
            yield list(part.index), fs, rs
        return
    if isinstance(cases, Mapping | str | bytes) or not isinstance(cases, Iterable):
        allowed = "a pandas DataFrame or an iterable of mappings"
        raise ParameterTypeError(parameter_message("cases", "rank_batch", allowed, cases))
    iterator = iter(cases)
    row = 0
    encoder = _MappingEncoder(model)
    n_f = len(model.findings)
    while batch := list(itertools.islice(iterator, size)):
        states = np.full((len(batch), n_f + len(model.risk_factors)), -1, dtype=np.int8)
        for k, (case, row_states) in enumerate(zip(batch, states, strict=True)):
            if encoder.encode(case, row_states):
                continue
            try:  # anything the shortcut does not take: exactly as rank_causes parses it
                ev = parse_evidence(case, model)
            except (EvidenceError, EvidenceTypeError) as exc:
                raise type(exc)(f"row {row + k}: {exc}") from None
            row_states[:n_f], row_states[n_f:] = ev.finding_state, ev.rf_state
        yield list(range(row, row + len(batch))), states[:, :n_f].copy(), states[:, n_f:].copy()
        row += len(batch)


class _MappingEncoder:
    """Encodes plain dicts of already seen names and values without parsing them again.

    Names and values are validated by :func:`~toeprob.knowledge.evidence.check_name` and
    :func:`~toeprob.knowledge.evidence.parse_value` the first time they are seen and remembered
    (values by type and value: ``True``, ``1`` and ``1.0`` are different values); a row with
    anything else (a name or value that does not pass, an unhashable value, two names for one
    identifier, a mapping that is not a dict) is left to ``parse_evidence``, so that every row is
    accepted or refused exactly as :func:`toeprob.rank_causes` would.
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        # name -> (column in the findings then the risk factors, whether the name is not the
        # identifier itself: " cramp" for "cramp")
        self.names: dict[str, tuple[int, bool]] = {}
        self.codes: dict[tuple[type, Any], int] = {}
        self.f_index = {f: i for i, f in enumerate(model.findings)}
        self.r_index = {r: len(self.f_index) + i for i, r in enumerate(model.risk_factors)}

    def encode(self, case: Any, states: NDArray[np.int8]) -> bool:
        """Write ``case`` into ``states`` (findings then risk factors, all unknown on entry) and
        return True, or return False (leaving it as it was) if ``parse_evidence`` must parse it."""
        if type(case) is not dict:
            return False
        cells: list[tuple[int, int]] = []
        names, codes = self.names, self.codes
        renamed = False
        for name, value in case.items():
            where = names.get(name) if type(name) is str else None
            if where is None:
                if not self._learn_name(name):
                    return False
                where = names[name]
            try:
                code = codes.get((type(value), value))
            except TypeError:  # unhashable
                return False
            if code is None:
                code = self._code(name, value)
                if code is None:
                    return False
            if code >= 0:
                cells.append((where[0], code))
                renamed |= where[1]
        # dict keys are distinct, so only a name that is not its identifier can repeat one
        if renamed and len({column for column, _ in cells}) < len(cells):
            return False  # one identifier under two names: parse_evidence compares the values
        for column, code in cells:
            states[column] = code
        return True

    def _learn_name(self, name: Any) -> bool:
        if type(name) is not str:
            return False
        try:
            key = check_name(name, self.model)
        except (EvidenceError, EvidenceTypeError):
            return False
        column = self.f_index[key] if key in self.f_index else self.r_index[key]
        self.names[name] = (column, key != name)
        return True

    def _code(self, name: str, value: Any) -> int | None:
        """-1, 0 or 1 for a value not seen before (remembered), or None if ``parse_evidence``
        must see it."""
        try:
            parsed = parse_value(name, value)
        except EvidenceError:
            return None
        code = -1 if parsed is None else int(parsed)
        if not is_missing(value):  # NaN is not equal to itself: not worth a key
            self.codes[(type(value), value)] = code
        return code


def check_options(chunk_size: Any, progress: Any) -> None:
    """Check :func:`toeprob.rank_batch`'s ``chunk_size`` and ``progress``."""
    check_parameter(chunk_size, positive_int, name="chunk_size", owner="rank_batch")
    check_parameter(progress, boolean, name="progress", owner="rank_batch")


def check_dask_options(progress: bool) -> None:
    """A dask DataFrame has its own progress displays."""
    if progress:
        raise ParameterError(
            "The 'progress' parameter of rank_batch must be False for a dask DataFrame; use "
            "dask.diagnostics.ProgressBar, distributed.progress or the Dask dashboard."
        )


def rank_rows(
    reasoner: Reasoner, cases: pd.DataFrame | Iterable[Mapping[str, Any]], *, chunk_size: int, progress: bool
) -> pd.DataFrame:
    """:func:`toeprob.rank_batch` for a pandas DataFrame or an iterable of mappings."""
    import pandas as pd

    model = reasoner.model
    engine = reasoner.engine
    evidence_pass = engine.posterior_evidence_batch if isinstance(engine, ExactEngine) else None
    total = len(cases) if isinstance(cases, Sized) else None
    chunks: Iterable[tuple[list[Any], NDArray[np.int8], NDArray[np.int8]]] = _chunks(cases, model, chunk_size)
    if progress:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]

        n_chunks = None if total is None else -(-total // chunk_size)
        chunks = tqdm(chunks, total=n_chunks, desc="toeprob", unit="chunk")
    n_rows = 0
    posts: list[NDArray[np.float64]] = []
    urgencies: list[NDArray[np.int_]] = []
    for index, fs, rs in chunks:
        n_rows += len(index)
        post, urgency = posteriors_and_urgencies(
            fs, rs, reasoner.urgency_policy, engine.posterior_batch, evidence_pass
        )
        posts.append(post)
        urgencies.append(urgency)
    causes = list(model.causes)
    post = np.concatenate(posts) if posts else np.empty((0, len(causes)))
    urg = np.concatenate(urgencies) if urgencies else np.empty(0, dtype=int)
    out = pd.DataFrame(post, columns=causes)
    out.index = cases.index if isinstance(cases, pd.DataFrame) else pd.RangeIndex(n_rows)
    # the same order as rank_causes: highest posterior (equal to 9 decimals is a tie), then identifier
    order = np.argsort(np.array(causes))
    top = order[np.argmax(np.round(post[:, order], 9), axis=1)] if len(post) else np.empty(0, dtype=int)
    out["top_cause"] = np.array(causes, dtype=object)[top]
    out["top_probability"] = post[np.arange(len(post)), top] if len(post) else np.empty(0)
    labels_u = [u.label for u in Urgency]
    out["urgency"] = pd.Categorical.from_codes(urg, categories=pd.Index(labels_u), ordered=True)
    return out
