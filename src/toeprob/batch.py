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
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import NDArray

from toeprob.api import get_engine
from toeprob.errors import EvidenceError, EvidenceTypeError, UnknownIdentifierError, closest_matches
from toeprob.evidence import parse_evidence, parse_value
from toeprob.model import Model, load_model
from toeprob.triage import urgency_batch
from toeprob.urgency import Urgency

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["rank_batch"]

_VALUE_MAP: dict[Any, int] = {True: 1, False: 0}


def _columns_to_states(frame: pd.DataFrame, model: Model) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """Validate the columns and values of ``frame`` and encode them (rows x findings, risk factors)."""
    import pandas as pd

    f_index = {f: i for i, f in enumerate(model.findings)}
    r_index = {r: i for i, r in enumerate(model.risk_factors)}
    fs = np.full((len(frame), len(f_index)), -1, dtype=np.int8)
    rs = np.full((len(frame), len(r_index)), -1, dtype=np.int8)
    for column in frame.columns:
        name = str(column).strip()
        if name in model.cause_specs:
            raise EvidenceError(f"column {column!r} is a cause, not evidence; drop it.")
        if name not in f_index and name not in r_index:
            hint = closest_matches(name, [*model.findings, *model.risk_factors])
            extra = f" Closest: {', '.join(hint)}." if hint else ""
            raise UnknownIdentifierError(
                f"column {column!r} is not a finding or risk factor of model {model.name!r}.{extra}"
            )
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype) and not series.hasnans:
            codes = series.to_numpy(dtype=bool).astype(np.int8)
        else:
            codes = np.empty(len(series), dtype=np.int8)
            cache: dict[Any, int] = {}
            for k, (label, value) in enumerate(series.items()):
                key = "<nan>" if _is_missing(value) else value
                if key not in cache:
                    try:
                        parsed = None if key == "<nan>" else parse_value(name, value)
                    except (EvidenceError, TypeError) as exc:
                        raise EvidenceError(f"row {label!r}, column {column!r}: {exc}") from None
                    cache[key] = -1 if parsed is None else int(parsed)
                codes[k] = cache[key]
        target, col = (fs, f_index[name]) if name in f_index else (rs, r_index[name])
        target[:, col] = codes
    return fs, rs


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _chunks(
    cases: Any, model: Model, size: int
) -> Iterator[tuple[list[Any], NDArray[np.int8], NDArray[np.int8]]]:
    """Yield (index labels, finding states, risk-factor states) chunk by chunk."""
    import pandas as pd

    if isinstance(cases, pd.DataFrame):
        for start in range(0, len(cases), size):
            part = cases.iloc[start : start + size]
            fs, rs = _columns_to_states(part, model)
            yield list(part.index), fs, rs
        return
    if isinstance(cases, Mapping) or not isinstance(cases, Iterable):
        raise EvidenceTypeError(
            f"cases must be a pandas DataFrame or an iterable of mappings, got {type(cases).__name__}."
        )
    iterator = iter(cases)
    row = 0
    while batch := list(itertools.islice(iterator, size)):
        fs = np.empty((len(batch), len(model.findings)), dtype=np.int8)
        rs = np.empty((len(batch), len(model.risk_factors)), dtype=np.int8)
        for k, case in enumerate(batch):
            try:
                ev = parse_evidence(case, model)
            except (EvidenceError, EvidenceTypeError) as exc:
                raise type(exc)(f"row {row + k}: {exc}") from None
            fs[k], rs[k] = ev.finding_state, ev.rf_state
        yield list(range(row, row + len(batch))), fs, rs
        row += len(batch)


@overload
def rank_batch(
    cases: dd.DataFrame, *, model: Model | None = None, chunk_size: int = 20_000, progress: bool = False
) -> dd.DataFrame: ...


@overload
def rank_batch(
    cases: pd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    model: Model | None = None,
    chunk_size: int = 20_000,
    progress: bool = False,
) -> pd.DataFrame: ...


def rank_batch(
    cases: pd.DataFrame | dd.DataFrame | Iterable[Mapping[str, Any]],
    *,
    model: Model | None = None,
    chunk_size: int = 20_000,
    progress: bool = False,
) -> pd.DataFrame | dd.DataFrame:
    """Score many cases: one row per case with every cause's posterior, the top cause and the urgency.

    Parameters
    ----------
    cases : DataFrame, dask DataFrame or iterable of mappings
        Columns (or keys) are finding and risk-factor identifiers; values ``True``/``False`` (or the
        strings accepted by :func:`toeprob.rank_causes`), missing values (``None``/``NaN``) unknown.
        A ``dask.dataframe.DataFrame`` (``toeprob[dask]``) is scored lazily, partition by partition,
        and a dask DataFrame is returned (see :mod:`toeprob.batch_dask`).
    model : Model, optional
        Defaults to the shipped model.
    chunk_size : int
        Cases processed at a time; memory use is bounded by it (plus the output).
    progress : bool
        Show a progress bar (tqdm) over chunks. Not for a dask DataFrame: use Dask's own
        (``dask.diagnostics.ProgressBar``, ``distributed.progress`` or the dashboard).

    Returns
    -------
    DataFrame
        Indexed like ``cases`` (a DataFrame) or ``0..n-1``; one float column per cause, then
        ``top_cause``, ``top_probability`` and ``urgency`` (an ordered categorical). The values are
        exactly those of :func:`toeprob.rank_causes` on each case.

    Raises
    ------
    UnknownIdentifierError, EvidenceError, EvidenceTypeError
        As :func:`toeprob.rank_causes`; the message names the row and the column.
    """
    import pandas as pd

    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise EvidenceError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    from toeprob.batch_dask import is_dask_frame, rank_dask_frame

    if is_dask_frame(cases):
        if progress:
            raise EvidenceError(
                "progress=True is for pandas input; for a dask DataFrame use dask.diagnostics.ProgressBar, "
                "distributed.progress or the Dask dashboard."
            )
        return rank_dask_frame(cases, rank_batch, model=model, chunk_size=chunk_size)
    model = load_model() if model is None else model
    engine = get_engine(model, "fast")
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
        posts.append(engine.posterior_batch(fs, rs))
        urgencies.append(urgency_batch(fs, rs, model, engine.posterior_batch))
    causes = list(model.causes)
    post = np.concatenate(posts) if posts else np.empty((0, len(causes)))
    urg = np.concatenate(urgencies) if urgencies else np.empty(0, dtype=int)
    out = pd.DataFrame(post, columns=causes)
    out.index = cases.index if isinstance(cases, pd.DataFrame) else pd.RangeIndex(n_rows)
    # the same order as rank_causes: highest posterior, ties broken by identifier
    order = np.argsort(np.array(causes))
    top = order[np.argmax(post[:, order], axis=1)] if len(post) else np.empty(0, dtype=int)
    out["top_cause"] = np.array(causes, dtype=object)[top]
    out["top_probability"] = post[np.arange(len(post)), top] if len(post) else np.empty(0)
    labels_u = [u.label for u in Urgency]
    out["urgency"] = pd.Categorical.from_codes(urg, categories=pd.Index(labels_u), ordered=True)
    return out
