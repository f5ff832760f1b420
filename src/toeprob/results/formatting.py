"""How numbers read in text output: one probability format everywhere (tables, reasons, explanations).

Examples
--------
>>> format_probability(0.3331), format_probability(0.00002), format_probability(1.0)
('33.3%', '<0.1%', '100.0%')
"""

from __future__ import annotations

__all__ = ["format_probability", "format_times"]


def format_probability(p: float) -> str:
    """A probability as a percentage with one decimal.

    Values that would print as 0.0% or 100.0% without being 0 or 1 print as ``<0.1%`` and ``>99.9%``.
    """
    if 0.0 < p < 0.0005:
        return "<0.1%"
    if 0.9995 <= p < 1.0:
        return ">99.9%"
    return f"{p:.1%}"


def format_times(ratio: float) -> str:
    """A ratio of two probabilities in words: ``"3.2 times as likely"``, ``"1/4 as likely"``.

    Ratios that round to one read ``"about as likely"``.

    Examples
    --------
    >>> format_times(3.21), format_times(0.25), format_times(1.02), format_times(40.0)
    ('3.2 times as likely', '1/4 as likely', 'about as likely', '40 times as likely')
    """
    if ratio <= 0.0:
        return "impossible"
    if ratio >= 1.0:
        return "about as likely" if ratio < 1.05 else f"{_number(ratio)} times as likely"
    inverse = 1.0 / ratio
    return "about as likely" if inverse < 1.05 else f"1/{_number(inverse)} as likely"


def _number(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0") if x < 10 else f"{x:.0f}"
