"""The results of :func:`toeprob.suggest_questions`: ranked questions and why an interview stops.

How questions are scored is in :mod:`toeprob.reasoning.questioning`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toeprob import registry
from toeprob.knowledge.urgency import Urgency
from toeprob.results.diagnosis import DISCLAIMER, Diagnosis
from toeprob.results.formatting import format_probability

if TYPE_CHECKING:
    import pandas as pd

    from toeprob.reasoning.questioning import InterviewPolicy

__all__ = [
    "BACKGROUND_CHECKLIST",
    "CHECKLISTS",
    "RED_FLAG_CHECKLIST",
    "Question",
    "QuestionRanking",
    "StopReason",
]


class StopReason(enum.Enum):
    """Why an interview stops; ``text`` says it in plain language."""

    EMERGENCY = "emergency"
    NO_QUESTIONS_LEFT = "no_questions_left"
    CONFIDENT = "confident"
    NO_INFORMATIVE_QUESTION = "no_informative_question"
    MAX_QUESTIONS = "max_questions"

    @property
    def text(self) -> str:
        """A one-line statement of the reason."""
        return _STOP_TEXT[self]


_STOP_TEXT = {
    StopReason.EMERGENCY: "a red flag that needs emergency care is present: stop and seek care now",
    StopReason.NO_QUESTIONS_LEFT: "every question has been asked",
    StopReason.CONFIDENT: "the top cause has passed the confidence threshold",
    StopReason.NO_INFORMATIVE_QUESTION: (
        "no remaining question is likely to change the top cause or the urgency"
    ),
    StopReason.MAX_QUESTIONS: "the maximum number of questions has been asked",
}


#: The identifiers of the two checklists (the ``id`` of a checklist :class:`Question`).
RED_FLAG_CHECKLIST = "red_flag_checklist"
BACKGROUND_CHECKLIST = "background_checklist"
CHECKLISTS = (RED_FLAG_CHECKLIST, BACKGROUND_CHECKLIST)


@dataclass(frozen=True)
class Question:
    """A candidate question with its exact scores: one finding or risk factor, or a checklist.

    Attributes
    ----------
    id : str
        The finding or risk-factor identifier; for a checklist, :data:`RED_FLAG_CHECKLIST` or
        :data:`BACKGROUND_CHECKLIST`.
    kind : str
        ``"finding"``, ``"risk_factor"`` or ``"checklist"``.
    text : str
        The plain-language question from the model file (for a checklist, its heading).
    p_yes : float
        ``P(answer yes | evidence)``; for a checklist, the exact probability that at least one item
        is present.
    gain : float
        Expected information gain in bits (sum over causes of the mutual information); for a
        checklist, that of the answer "any of these" / "none of these".
    red_flag_floor : Urgency or None
        The floor, for a red flag; for the red-flag checklist, the highest floor of its items.
    pending_red_flag : bool
        True when the red-flag-first rule puts it before ordinary questions.
    final_check : bool
        True when the final red-flag check puts it first (the stop rule would otherwise fire).
    value : float
        Expected value of information on the decision (top cause and urgency), as defined in
        :mod:`toeprob.reasoning.questioning`; for a checklist, that of "any" / "none".
    why : str
        Why it is asked: the causes it separates, or that it is a safety check.
    ids : tuple of str
        The identifiers it covers: ``(id,)`` for a single question, the items of a checklist.
    item_texts : tuple of str
        The plain-language question of each identifier of ``ids``.
    """

    id: str
    kind: str
    text: str
    p_yes: float
    gain: float
    red_flag_floor: Urgency | None
    pending_red_flag: bool
    final_check: bool = False
    value: float = 0.0
    why: str = ""
    ids: tuple[str, ...] = ()
    item_texts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.ids:
            object.__setattr__(self, "ids", (self.id,))
        if not self.item_texts and self.kind != "checklist":
            object.__setattr__(self, "item_texts", (self.text,))

    @property
    def is_checklist(self) -> bool:
        """True for a checklist (answered in one step with ``Interview.answer_many``)."""
        return self.kind == "checklist"


@dataclass(frozen=True)
class QuestionRanking:
    """What :func:`suggest_questions` returns: the next questions, best first, and the stop decision.

    Attributes
    ----------
    questions : tuple of Question
        The ``k`` best questions in asking order (pending red flags first, then by gain).
    best_gain : float
        The largest expected gain of any ordinary (not pending red-flag) candidate; 0 if none.
    pending_red_flags : tuple of str
        Every pending red flag, in asking order.
    final_check : tuple of str
        The red flags of the final check, in asking order (empty unless the check is under way).
    stop_reason : StopReason or None
        The reason to stop by the module's rule, or ``None`` to keep asking.
    diagnosis : Diagnosis
        The ranking and urgency for the current evidence.
    """

    questions: tuple[Question, ...]
    best_gain: float
    pending_red_flags: tuple[str, ...]
    final_check: tuple[str, ...]
    stop_reason: StopReason | None
    diagnosis: Diagnosis = field(repr=False)
    policy: InterviewPolicy = field(repr=False)
    disclaimer: str = DISCLAIMER

    @property
    def should_stop(self) -> bool:
        """True when the stop rule says the questions are done."""
        return self.stop_reason is not None

    def __repr__(self) -> str:
        asked = ", ".join(
            q.id + (" (red flag)" if q.pending_red_flag or q.final_check else "") for q in self.questions
        )
        stop = f"; stop: {self.stop_reason.name.lower()}" if self.stop_reason is not None else ""
        return f"<QuestionRanking {asked}{stop}>"

    def to_frame(self) -> pd.DataFrame:
        """One row per suggested question, in asking order.

        Columns: ``rank, question, kind, text, p_yes, gain_bits, red_flag_floor, pending_red_flag,
        final_check``.
        """
        import pandas as pd

        columns = [
            "rank",
            "question",
            "kind",
            "text",
            "p_yes",
            "gain_bits",
            "red_flag_floor",
            "pending_red_flag",
            "final_check",
            "value",
            "why",
            "ids",
        ]
        rows = [
            {
                "rank": i,
                "question": q.id,
                "kind": q.kind,
                "text": q.text,
                "p_yes": q.p_yes,
                "gain_bits": q.gain,
                "red_flag_floor": q.red_flag_floor.label if q.red_flag_floor is not None else None,
                "pending_red_flag": q.pending_red_flag,
                "final_check": q.final_check,
                "value": q.value,
                "why": q.why,
                "ids": list(q.ids),
            }
            for i, q in enumerate(self.questions, start=1)
        ]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "questions": self.to_frame().to_dict(orient="records"),
            "best_gain_bits": self.best_gain,
            "pending_red_flags": list(self.pending_red_flags),
            "final_check": list(self.final_check),
            "should_stop": self.should_stop,
            "stop_reason": None if self.stop_reason is None else self.stop_reason.value,
            "top_cause": self.diagnosis.top.cause,
            "top_probability": self.diagnosis.top.probability,
            "urgency": self.diagnosis.urgency.label,
            "disclaimer": self.disclaimer,
        }

    def to_text(self) -> str:
        """A plain-text list of the questions and the stop decision."""
        lines = ["Next questions:"]
        for row in self.to_frame().to_dict("records"):
            first = row["pending_red_flag"] or row["final_check"]
            flag = f"  [red flag: {row['red_flag_floor']}]" if first and row["kind"] != "checklist" else ""
            lines.append(
                f"  {row['rank']}. {row['text']}  P(yes) {format_probability(row['p_yes'])}, "
                f"value {row['value']:.3f}, gain {row['gain_bits']:.3f} bits{flag}"
            )
            if row["why"]:
                lines.append(f"     why: {row['why']}")
        if self.stop_reason is not None:
            lines.append(f"Stop: {self.stop_reason.text}.")
        lines.append(self.disclaimer)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return str(registry.call("html", self))

    def _repr_markdown_(self) -> str:
        return str(registry.call("markdown", self))
