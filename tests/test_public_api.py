"""The public namespace: a curated ``__all__`` that ``from toeprob import *`` honours."""

from __future__ import annotations

import numpy as np

import toeprob


def test_public_api_star_import() -> None:
    namespace: dict[str, object] = {}
    exec("from toeprob import *", namespace)
    for name in toeprob.__all__:
        assert name in namespace, name
    assert np.all([not name.startswith("_") for name in toeprob.__all__])
