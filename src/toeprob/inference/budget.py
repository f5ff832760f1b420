"""Bounds on the memory and the work of an exact computation, checked before anything is allocated.

Exact inference in a Bayesian network can cost exponentially more than the network's size: the
tables of a junction tree grow as ``2**k`` in the number ``k`` of variables of their widest clique.
toeprob estimates every cost from the structure alone (table sizes, elimination widths, the number
of Quickscore terms) before building anything, compares it with a :class:`Budget`, and either picks
another exact method that fits or raises :class:`~toeprob.errors.CostLimitError` at once, naming
what makes the computation expensive. ``docs/model-format.md`` ("Cost limits") lists every check.

Examples
--------
>>> Budget().memory_bytes // 2**30, f"{Budget().operations:.0e}"
(8, '5e+09')
>>> Budget(memory_bytes=2**20).fits(memory=2**21, operations=1)
False
"""

from __future__ import annotations

from dataclasses import dataclass

from toeprob.validation import check_parameter, positive_int, positive_number

__all__ = ["DEFAULT_BUDGET", "Budget"]


@dataclass(frozen=True, kw_only=True)
class Budget:
    """The largest memory and work one exact computation may take.

    Parameters
    ----------
    memory_bytes : int, default 8 GiB
        Bytes of the arrays one computation may hold at once (compiled tables, clique tables of one
        query). The default leaves two thirds of a 24 GB machine free.
    operations : float, default 5e9
        Array-element operations (multiplications, additions, comparisons) of one computation.
        Measured on a shared 2-core VM: 15-40 ns per operation for the array program, 5-8 ns for
        the compiled elimination program, so the default allows from about half a minute to three
        minutes; the heaviest evidence of the default model (every finding present, 2.3e9
        operations) took 10-17 s, against 39-63 s for pyAgrum's LazyPropagation in the same runs
        (80 s against 165 s before the elimination was compiled).

    Examples
    --------
    >>> Budget(memory_bytes=2**30, operations=1e8)
    Budget(memory_bytes=1073741824, operations=100000000.0)
    """

    memory_bytes: int = 8 << 30
    operations: float = 5e9

    def __post_init__(self) -> None:
        check_parameter(self.memory_bytes, positive_int, name="memory_bytes", owner="Budget")
        check_parameter(self.operations, positive_number, name="operations", owner="Budget")
        object.__setattr__(self, "operations", float(self.operations))

    def fits(self, *, memory: float, operations: float) -> bool:
        """Whether an estimated ``memory`` (bytes) and ``operations`` are within this budget."""
        return memory <= self.memory_bytes and operations <= self.operations

    def describe(self) -> str:
        """The budget in words, for error messages."""
        return f"{_bytes(self.memory_bytes)} and {self.operations:.3g} operations"


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} bytes"


def describe_bytes(n: float) -> str:
    """``n`` bytes in words (``'1.5 GiB'``)."""
    return _bytes(n)


DEFAULT_BUDGET = Budget()
"""The budget used when none is given."""
