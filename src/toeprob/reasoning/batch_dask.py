"""Batch scoring of Dask DataFrames, for case tables that outgrow one machine.

:func:`toeprob.rank_batch` hands a ``dask.dataframe.DataFrame`` to :func:`rank_dask_frame`, which
maps :func:`toeprob.rank_batch` over the partitions and returns a lazy Dask DataFrame with the same
columns, dtypes and numbers as the pandas result (bitwise: each row is scored on its own, so how
the rows are split into partitions does not change a value).

The model travels to the workers as a :class:`ModelReference`: its content hash and its compressed
data (about 15 kB for the shipped model). Each worker process builds and compiles the model the first
time it meets a reference and keeps it for later partitions and later computations, so the model is
compiled once per worker process, not once per partition. The workers need toeprob installed (the
same version as the client), and Dask itself: ``pip install "toeprob[dask]"``.

Examples
--------
>>> import dask.dataframe as dd
>>> import pandas as pd
>>> from toeprob import rank_batch
>>> cases = pd.DataFrame({"cramp": ["yes", "no", "yes", "unknown"], "numbness": [True, True, False, True]})
>>> lazy = rank_batch(dd.from_pandas(cases, npartitions=2))
>>> lazy.npartitions
2
>>> lazy.compute().equals(rank_batch(cases))
True

On a cluster, connect a ``distributed.Client`` first; ``compute()`` then runs on its workers::

    from distributed import Client
    client = Client("tcp://scheduler-host:8786")
    results = rank_batch(dd.read_parquet("cases/*.parquet")).to_parquet("scores/")
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from toeprob.knowledge.model import Model, load_model

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["ModelReference", "is_dask_frame", "rank_dask_frame", "worker_models"]

DASK_HINT = 'Dask DataFrames need dask and distributed: pip install "toeprob[dask]".'


def is_dask_frame(obj: object) -> TypeGuard[dd.DataFrame]:
    """Whether ``obj`` is a ``dask.dataframe.DataFrame`` (without importing Dask when it is not loaded).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask_frame(pd.DataFrame())
    False
    """
    module = sys.modules.get("dask.dataframe")
    frame_type = getattr(module, "DataFrame", None)
    return frame_type is not None and isinstance(obj, frame_type)


@dataclass(frozen=True)
class ModelReference:
    """A small picklable stand-in for a :class:`~toeprob.knowledge.model.Model`, resolved once per process.

    Attributes
    ----------
    key : str
        SHA-256 of the model's data and source: equal keys mean the same model.
    source : str
        Where the model came from (a file name), kept for error messages.
    payload : bytes
        The model's data (:meth:`Model.to_dict`), pickled and compressed.

    Examples
    --------
    >>> import pickle
    >>> from toeprob import load_model
    >>> ref = ModelReference.of(load_model())
    >>> pickle.loads(pickle.dumps(ref)).resolve() is ModelReference.of(load_model()).resolve()
    True
    """

    key: str
    source: str
    payload: bytes

    @classmethod
    def of(cls, model: Model) -> ModelReference:
        """Make the reference of ``model`` (and remember ``model`` itself in this process)."""
        data = pickle.dumps(model.to_dict(), protocol=pickle.HIGHEST_PROTOCOL)
        key = hashlib.sha256(model.source.encode() + b"\0" + data).hexdigest()
        ref = cls(key, model.source, zlib.compress(data))
        _PROCESS_MODELS.remember(ref.key, model)
        return ref

    def resolve(self) -> Model:
        """The model in this process: built and compiled the first time, then taken from a cache."""
        return _PROCESS_MODELS.get(self)


class _ProcessModels:
    """The models this process has met, by key; the few most recent are kept (each with its engine)."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0

    def remember(self, key: str, model: Model) -> None:
        with self._lock:
            self._models.setdefault(key, model)
            self._trim(key)

    def get(self, ref: ModelReference) -> Model:
        with self._lock:  # one thread builds and compiles; the others wait for it
            model = self._models.get(ref.key)
            if model is None:
                model = Model.from_dict(pickle.loads(zlib.decompress(ref.payload)), ref.source)
                self.builds += 1
                self._models[ref.key] = model
            self._trim(ref.key)
            return model

    def _trim(self, key: str) -> None:
        self._models.move_to_end(key)
        while len(self._models) > self._size:
            self._models.popitem(last=False)


_PROCESS_MODELS = _ProcessModels()


def worker_models() -> dict[str, int]:
    """What this process holds: ``{"models": cached models, "builds": models built from references}``.

    Run it on every worker with ``client.run(worker_models)`` to check that each worker compiled
    the model once.

    Examples
    --------
    >>> sorted(worker_models())
    ['builds', 'models']
    """
    return {"models": len(_PROCESS_MODELS._models), "builds": _PROCESS_MODELS.builds}


PandasScorer = Callable[..., "pd.DataFrame"]
"""The pandas scorer, :func:`toeprob.rank_batch` (passed in, so that this module does not import it)."""


def _rank_partition(
    part: pd.DataFrame, score: PandasScorer, ref: ModelReference, chunk_size: int
) -> pd.DataFrame:
    return score(part, model=ref.resolve(), chunk_size=chunk_size)


def rank_dask_frame(
    cases: dd.DataFrame, score: PandasScorer, *, model: Model | None = None, chunk_size: int = 20_000
) -> dd.DataFrame:
    """Score a Dask DataFrame lazily, partition by partition (what :func:`toeprob.rank_batch` calls).

    Parameters
    ----------
    cases : dask.dataframe.DataFrame
        Columns are finding and risk-factor identifiers, values as for :func:`toeprob.rank_batch`.
    score : callable
        :func:`toeprob.rank_batch` itself, applied to each partition (a pandas DataFrame).
    model : Model, optional
        Defaults to the shipped model.
    chunk_size : int
        Rows scored at a time inside a partition.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; the partitions, index and divisions of ``cases``, the columns and dtypes of
        :func:`toeprob.rank_batch`.

    Raises
    ------
    UnknownIdentifierError, EvidenceError
        At once for a column that is not a finding or risk factor. A bad value is found only when the
        partition holding it is computed; the error then names its row (index label) and column.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas as pd
    >>> from toeprob import rank_batch
    >>> cases = pd.DataFrame({"numbness": [True], "burning_pain": [True], "diabetes": [True]})
    >>> rank_dask_frame(dd.from_pandas(cases, npartitions=1), rank_batch).compute()["top_cause"].tolist()
    ['peripheral_neuropathy']
    """
    import pandas as pd

    model = load_model() if model is None else model
    # check the column names on the client, now, with rank_batch's messages; the one-row result
    # gives the dtypes of a non-empty result (an empty one would type top_cause as object)
    probe = score(pd.DataFrame({c: [None] for c in cases.columns}), model=model)
    meta = probe.iloc[:0].set_axis(cases._meta.index, axis=0)
    ref = ModelReference.of(model)
    result: dd.DataFrame = cases.map_partitions(  # type: ignore[no-untyped-call]
        _rank_partition, score, ref, chunk_size, meta=meta
    )
    return result
