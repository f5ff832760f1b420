"""Fixtures of the inference tests."""

from __future__ import annotations

import pytest

import toeprob
from toeprob.inference.compiled import compile_model
from toeprob.inference.exact import ExactEngine


@pytest.fixture(scope="module")
def default_engine(model: toeprob.Model) -> ExactEngine:
    """The exact engine of the default model."""
    return ExactEngine(compile_model(model))
