"""Shared fixtures: the default model, the tiny test model, the shared evaluation files when present."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import toeprob

HERE = Path(__file__).parent
SHARED = HERE.parent.parent / "shared"


@pytest.fixture(scope="session")
def model() -> toeprob.Model:
    return toeprob.load_model()


@pytest.fixture(scope="session")
def tiny() -> toeprob.Model:
    return toeprob.load_model(HERE / "data" / "tiny.toml")


@pytest.fixture
def tiny_data() -> dict[str, Any]:
    import tomllib

    return tomllib.loads((HERE / "data" / "tiny.toml").read_text())


@pytest.fixture(scope="session")
def vocabulary() -> dict[str, Any]:
    path = SHARED / "spec" / "vocabulary.json"
    if not path.exists():
        pytest.skip("the shared vocabulary is not beside the project")
    return dict(json.loads(path.read_text()))


@pytest.fixture(scope="session")
def dev_cases_path() -> Path:
    path = SHARED / "eval" / "vignettes_dev.json"
    if not path.exists():
        pytest.skip("the shared development cases are not beside the project")
    return path
