"""An interactive interview for Jupyter: the question, the current ranking and the urgency (ipywidgets).

ipywidgets is an optional dependency (``pip install "toeprob[widgets]"``), imported only when a
widget is built; without it :class:`InterviewWidget` raises
:class:`~toeprob.errors.MissingDependencyError` with the install command.

The widget shows the question being asked: a single question with the buttons *yes*, *no* and
*don't know*; a checklist with one yes / no / don't know choice per item and a *Submit* button (and
*None of these*). Below it, the current top causes and urgency, the answers so far and, once the
stop rule says so, why the interview stopped. Everything it does goes through the
:class:`~toeprob.Interview` it wraps, so it can be driven from code exactly as a person would click
(``widget.buttons["yes"].click()``), which is how the tests drive it.

Examples
--------
>>> from toeprob import Interview
>>> from toeprob.display.interview_widget import InterviewWidget
>>> w = InterviewWidget(Interview({"cramp": "yes"}))  # doctest: +SKIP
>>> w.buttons["none"].click()  # doctest: +SKIP
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from toeprob import registry
from toeprob.display.reasoning_html import interview_html
from toeprob.errors import MissingDependencyError
from toeprob.reasoning.interview import Interview
from toeprob.results.diagnosis import DISCLAIMER
from toeprob.validation import check_parameter, check_type, positive_int

__all__ = ["InterviewWidget", "require_ipywidgets"]

INSTALL_HINT = (
    'the interview widget needs ipywidgets: pip install "toeprob[widgets]" (or pip install ipywidgets).'
)
_CHOICES = (("yes", True), ("no", False), ("don't know", None))


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _heading(number: int, text: str, why: str) -> str:
    return f"<b>Q{number}. {_escape(text)}</b><br><small>Why: {_escape(why)}</small>"


def require_ipywidgets() -> ModuleType:
    """Import and return ``ipywidgets``, or raise :class:`MissingDependencyError` with the install command."""
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching in the tests
        raise MissingDependencyError(INSTALL_HINT) from exc
    module: ModuleType = ipywidgets
    return module


class InterviewWidget:
    """An ipywidgets view of an :class:`~toeprob.Interview` that answers it as buttons are clicked.

    Parameters
    ----------
    interview : Interview, optional
        The interview to drive; by default a new one from ``evidence``.
    evidence : mapping, optional
        Starting answers for a new interview (ignored when ``interview`` is given).
    top : int
        How many causes the ranking shows.

    Attributes
    ----------
    interview : Interview
    widget : ipywidgets.VBox
        The whole view (displayed by Jupyter when the object is the cell's value).
    buttons : dict of str to ipywidgets.Button
        ``"yes"``, ``"no"``, ``"don't know"`` for a single question; ``"submit"`` and ``"none"`` for
        a checklist.
    items : dict of str to ipywidgets.ToggleButtons
        For a checklist, one choice per identifier (values ``"yes"``, ``"no"``, ``"don't know"``).

    Raises
    ------
    ParameterError
        For an ``interview`` that is not an :class:`~toeprob.Interview` (as
        :class:`~toeprob.errors.ParameterTypeError`) or a ``top`` that is not an int >= 1.
    MissingDependencyError
        When ipywidgets is not installed.
    """

    def __init__(
        self,
        interview: Interview | None = None,
        *,
        evidence: Mapping[str, Any] | None = None,
        top: int = 5,
    ) -> None:
        check_type(
            interview, "interview", "InterviewWidget", (Interview, type(None)), "a toeprob.Interview or None"
        )
        check_parameter(top, positive_int, name="top", owner="InterviewWidget")
        self._w = require_ipywidgets()
        self.interview = interview if interview is not None else Interview(evidence)
        self.top = top
        self.buttons: dict[str, Any] = {}
        self.items: dict[str, Any] = {}
        self._question = self._w.HTML()
        self._controls = self._w.VBox()
        self._state = self._w.HTML()
        self._note = self._w.HTML(f"<small>{DISCLAIMER}</small>")
        self.widget = self._w.VBox([self._question, self._controls, self._state, self._note])
        self._refresh()

    # ------------------------------------------------------------------ actions (also for tests)
    def answer(self, value: bool | None) -> None:
        """Answer the single question being asked (what its buttons do)."""
        q = self.interview.next_question()
        if q is None:
            return
        self.interview.answer(q.id, value)
        self._refresh()

    def submit(self) -> None:
        """Answer the checklist being asked with the items' current choices (the *Submit* button)."""
        q = self.interview.next_question()
        if q is None or not q.is_checklist:
            return
        values = dict(_CHOICES)
        self.interview.answer_many({i: values[self.items[i].value] for i in q.ids})
        self._refresh()

    def none_of_these(self) -> None:
        """Answer every item of the checklist being asked with no (the *None of these* button)."""
        q = self.interview.next_question()
        if q is None or not q.is_checklist:
            return
        self.interview.answer(q.id, "no")
        self._refresh()

    # ------------------------------------------------------------------------------ the view
    def _button(self, key: str, description: str, action: Any) -> Any:
        button = self._w.Button(description=description)
        button.on_click(lambda _: action())
        self.buttons[key] = button
        return button

    def _refresh(self) -> None:
        iv = self.interview
        q = iv.next_question()
        self.buttons, self.items = {}, {}
        if q is None:
            reason = iv.stop_reason
            text = reason.text if reason is not None else "no question left"
            self._question.value = f"<b>Interview finished</b> after {iv.steps} questions: {text}."
            self._controls.children = ()
        elif q.is_checklist:
            self._question.value = _heading(iv.steps + 1, q.text, q.why)
            rows = []
            for identifier, text in zip(q.ids, q.item_texts, strict=True):
                toggle = self._w.ToggleButtons(options=[c for c, _ in _CHOICES], value="don't know")
                self.items[identifier] = toggle
                rows.append(
                    self._w.HBox([self._w.HTML(_escape(text), layout=self._w.Layout(width="60%")), toggle])
                )
            buttons = self._w.HBox(
                [
                    self._button("submit", "Submit", self.submit),
                    self._button("none", "None of these", self.none_of_these),
                ]
            )
            self._controls.children = (*rows, buttons)
        else:
            self._question.value = _heading(iv.steps + 1, q.text, q.why)
            self._controls.children = (
                self._w.HBox(
                    [self._button(label, label, lambda v=value: self.answer(v)) for label, value in _CHOICES]
                ),
            )
        self._state.value = interview_html(iv, top=self.top)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<InterviewWidget {self.interview!r}>"


@registry.register("widget", Interview)
def interview_widget(interview: Interview, top: int = 5) -> InterviewWidget:
    """The :class:`InterviewWidget` of ``interview`` (what ``Interview.widget()`` returns)."""
    return InterviewWidget(interview, top=top)
