"""Doctest collection: modules whose examples need an optional extra are left out when it is missing;
examples that run pgmpy are marked ``slow`` like the tests that do (importing pgmpy alone takes seconds)."""

from __future__ import annotations

import importlib.util

import pytest

collect_ignore = []
if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
    collect_ignore.append("src/toeprob/reasoning/batch_dask.py")  # needs toeprob[dask]

PGMPY_CALLS = ("pgmpy", "PgmpyEngine", "to_bif", "to_xmlbif", "write_bif", "write_xmlbif")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        examples = item.dtest.examples if isinstance(item, pytest.DoctestItem) and item.dtest else []
        if any(call in example.source for example in examples for call in PGMPY_CALLS):
            item.add_marker(pytest.mark.slow)
