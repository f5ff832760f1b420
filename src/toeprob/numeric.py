"""Log-odds, written once: :func:`logit` and its inverse :func:`expit`.

Probabilities that round to 0 or 1 are clipped to the nearest floating-point number inside (0, 1)
before taking log-odds, so every probability has a finite log-odds.

Examples
--------
>>> float(logit(0.5))
0.0
>>> float(expit(logit(0.25)))
0.25
>>> bool(np.isfinite(logit(1.0)))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["expit", "logit"]

_LOW = float(np.nextafter(0.0, 1.0))
_HIGH = float(np.nextafter(1.0, 0.0))


def logit(p: Any) -> NDArray[np.float64]:
    """``log(p / (1 - p))``, with ``p`` clipped into the open interval (0, 1)."""
    q = np.clip(np.asarray(p, dtype=float), _LOW, _HIGH)
    return np.asarray(np.log(q) - np.log1p(-q))


def expit(x: Any) -> NDArray[np.float64]:
    """``1 / (1 + exp(-x))``, the inverse of :func:`logit`."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float))))
