"""Urgency levels, lowest first: ``self_care < routine < soon < urgent < emergency``."""

from __future__ import annotations

import enum

from toeprob.errors import ParameterKeyError, ParameterTypeError
from toeprob.validation import unknown_identifier_message

__all__ = ["Urgency"]


@enum.unique
class Urgency(enum.IntEnum):
    """How soon a person should seek care; ordered, so levels compare with ``<`` and ``max``.

    Examples
    --------
    >>> Urgency.SOON > Urgency.ROUTINE
    True
    >>> Urgency.parse("urgent")
    <Urgency.URGENT: 3>
    >>> str(Urgency.SELF_CARE)
    'self_care'
    """

    SELF_CARE = 0
    ROUTINE = 1
    SOON = 2
    URGENT = 3
    EMERGENCY = 4

    def __str__(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        """The identifier of the level, as in the vocabulary (``"self_care"``, ...)."""
        return self.name.lower()

    @property
    def meaning(self) -> str:
        """A plain-language sentence saying what the level asks of the person."""
        return _MEANINGS[self]

    @classmethod
    def parse(cls, value: str | Urgency) -> Urgency:
        """Return the level named ``value`` (``"self_care"``, ..., ``"emergency"``).

        Raises
        ------
        ParameterKeyError
            If ``value`` names no level (also a ``ValueError``); the message lists the levels.
        ParameterTypeError
            If ``value`` is neither a string nor an :class:`Urgency`.
        """
        if isinstance(value, Urgency):
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            for level in cls:
                if level.label == key:
                    return level
        allowed = [level.label for level in cls]
        error = ParameterKeyError if isinstance(value, str) else ParameterTypeError
        raise error(unknown_identifier_message(value, allowed, "an urgency level"))


_MEANINGS = {
    Urgency.SELF_CARE: "manage at home (fluids, stretching, footwear)",
    Urgency.ROUTINE: "mention it to a clinician at a routine appointment if it goes on",
    Urgency.SOON: "book an appointment within days",
    Urgency.URGENT: "be seen today",
    Urgency.EMERGENCY: "emergency care now",
}
