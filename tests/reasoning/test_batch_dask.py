"""rank_batch on Dask DataFrames: the pandas numbers, bit for bit, computed on worker processes."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from toeprob import EvidenceError, Model, ParameterError, UnknownIdentifierError, load_model, rank_batch

dd = pytest.importorskip("dask.dataframe", reason='needs the dask extra: pip install "toeprob[dask]"')
distributed = pytest.importorskip("distributed", reason='needs the dask extra: pip install "toeprob[dask]"')

from toeprob.reasoning.batch_dask import ModelReference, is_dask_frame, worker_models  # noqa: E402


def _cases(model: Model, n: int, seed: int) -> pd.DataFrame:
    """Bool columns (no missing values) and text columns with yes/no/unknown cells, labelled rows."""
    rng = np.random.default_rng(seed)
    ids = [*model.findings, *model.risk_factors]
    chosen = rng.choice(ids, size=14, replace=False)
    columns: dict[str, Any] = {}
    for k, ident in enumerate(chosen):
        if k % 2:
            columns[str(ident)] = rng.random(n) < 0.3
        else:
            columns[str(ident)] = rng.choice(["yes", "no", "unknown", "unknown"], size=n)
    return pd.DataFrame(columns, index=pd.Index(np.arange(n) * 10 + 7, name="case"))


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes. Where the platform has it, they start by fork: still separate processes
    that receive pickled tasks, but without re-importing pandas, Dask and toeprob (about 1 s instead
    of 15-40 s on a two-core machine)."""
    import dask

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.slow  # starts a two-process cluster
def test_cluster_result_is_bitwise_the_pandas_result(client: Any, model: Model) -> None:
    # a model of its own (another source, so another reference key) that no worker holds yet
    model = Model.from_dict(model.to_dict(), source="test_batch_dask")
    cases = _cases(model, 120, seed=11)
    lazy = rank_batch(dd.from_pandas(cases, npartitions=6), model=model)
    assert is_dask_frame(lazy) and lazy.npartitions == 6
    expected = rank_batch(cases, model=model)
    for _ in range(2):  # a second computation reuses each worker's compiled model
        got = client.compute(lazy).result(timeout=120)
        assert list(got.columns) == list(expected.columns)
        assert got.index.equals(expected.index)
        assert got.dtypes.equals(expected.dtypes)
        assert got.dtypes.equals(lazy.dtypes)  # the declared meta is what the workers return
        floats = [*model.causes, "top_probability"]
        # bitwise: compare the float64 bit patterns, not values within a tolerance
        assert np.array_equal(
            got[floats].to_numpy().view(np.uint64), expected[floats].to_numpy().view(np.uint64)
        )
        assert got["top_cause"].equals(expected["top_cause"])
        assert got["urgency"].equals(expected["urgency"])
    builds = client.run(worker_models)
    assert len(builds) == 2
    # each worker that scored a partition built and compiled the model exactly once
    assert all(info["builds"] <= 1 for info in builds.values()), builds
    assert sum(info["builds"] for info in builds.values()) >= 1


@pytest.mark.slow  # starts a two-process cluster
def test_bad_value_on_a_worker_names_row_and_column(client: Any, model: Model) -> None:
    cases = pd.DataFrame({"cramp": ["yes"] * 5 + ["often"], "numbness": ["no"] * 6}, index=range(0, 12, 2))
    lazy = rank_batch(dd.from_pandas(cases, npartitions=2), model=model)
    with pytest.raises(EvidenceError, match=r"row 10, column 'cramp'.*'often'"):
        client.compute(lazy).result(timeout=120)


def test_column_names_are_checked_before_computing(model: Model) -> None:
    frame = dd.from_pandas(pd.DataFrame({"cramps": ["yes"]}), npartitions=1)
    with pytest.raises(UnknownIdentifierError, match="column 'cramps'.*Closest: cramp"):
        rank_batch(frame, model=model)
    with pytest.raises(EvidenceError, match="column 'tetanus': 'tetanus' is a cause"):
        rank_batch(dd.from_pandas(pd.DataFrame({"tetanus": [True]}), npartitions=1), model=model)


def test_progress_is_refused_for_dask_input(model: Model) -> None:
    frame = dd.from_pandas(pd.DataFrame({"cramp": [True]}), npartitions=1)
    with pytest.raises(ParameterError, match="distributed.progress"):
        rank_batch(frame, model=model, progress=True)


def test_a_custom_model_travels_by_reference(tiny: Model) -> None:
    import pickle

    # every task carries the reference: the shipped model's stays small
    assert len(pickle.dumps(ModelReference.of(load_model()))) < 50_000
    ref = ModelReference.of(tiny)
    copy = pickle.loads(pickle.dumps(ref))
    assert copy.key == ref.key and copy.resolve() is tiny  # this process already holds it
    frame = pd.DataFrame({tiny.findings[0]: [True, False, True]})
    got = rank_batch(dd.from_pandas(frame, npartitions=3), model=tiny).compute(scheduler="sync")
    pd.testing.assert_frame_equal(got, rank_batch(frame, model=tiny), check_exact=True)


def test_missing_cells_are_unknown_on_dask(model: Model) -> None:
    cases = pd.DataFrame({"cramp": ["yes", None, "no"], "numbness": [True, None, False]})
    got = rank_batch(dd.from_pandas(cases, npartitions=2), model=model).compute(scheduler="sync")
    expected = rank_batch([{"cramp": "yes", "numbness": True}, {}, {"cramp": "no", "numbness": False}])
    assert np.array_equal(got[list(model.causes)].to_numpy(), expected[list(model.causes)].to_numpy())
