"""Example case files shipped with toeprob, loaded with :mod:`importlib.resources`.

Each set is a case file in the format of ``docs/case-format.md``: short stories of people with
involuntary toe movements, encoded as evidence, each with the cause a careful clinician would put
first, the other acceptable causes and the acceptable range of urgency.

``team``
    57 cases (ids ``h01``-``h57``: 31 typical, 12 tricky, 14 with a red flag) written by the toeprob
    team from the source articles cited in the default model and mainstream clinical knowledge,
    before looking at the model's output. ``basis`` names the articles behind each answer.
``blind``
    40 further cases (``blind001``-``blind040``: 19 typical, 13 tricky, 8 with a red flag) written
    the same way by the team, kept as a second held-out set.

The answers come from the articles and clinical knowledge, not from any model; use them to check a
model, never to fit it case by case. toeprob is not a medical device and gives no diagnosis.

Examples
--------
>>> from toeprob import datasets, evaluate
>>> datasets.list_cases()
('blind', 'team')
>>> cases = datasets.load_cases("team")
>>> cases[0].id, cases[0].gold_cause
('h01', 'muscle_fatigue')
>>> evaluate(cases).under_triage
0.0
"""

from __future__ import annotations

import importlib.resources

from toeprob.errors import ParameterKeyError
from toeprob.knowledge.casefile import Case, loads_cases
from toeprob.knowledge.model import Model
from toeprob.validation import check_parameter, instance_of, unknown_identifier_message

__all__ = ["case_file_text", "list_cases", "load_cases"]

_FILES = {"blind": "cases_blind.json", "team": "cases_team.json"}


def list_cases() -> tuple[str, ...]:
    """The names of the case sets shipped with toeprob, sorted.

    Examples
    --------
    >>> "team" in list_cases()
    True
    """
    return tuple(sorted(_FILES))


def _file(name: str) -> str:
    check_parameter(name, instance_of(str, "a str"), name="name", owner="load_cases")
    if name not in _FILES:
        raise ParameterKeyError(
            unknown_identifier_message(name, list_cases(), "a case set shipped with toeprob")
        )
    return _FILES[name]


def case_file_text(name: str) -> str:
    """The JSON text of the shipped case set ``name`` (to save a copy or start a case file of your own).

    Examples
    --------
    >>> case_file_text("team").lstrip().startswith("[")
    True
    """
    return importlib.resources.files(__name__).joinpath(_file(name)).read_text(encoding="utf-8")


def load_cases(name: str, *, model: Model | None = None) -> tuple[Case, ...]:
    """Load the shipped case set ``name`` (see :func:`list_cases`), validated against ``model``.

    Parameters
    ----------
    name : str
        ``"team"`` or ``"blind"`` (see the module docstring for what each holds).
    model : Model, optional
        The model whose identifiers the cases must use (default: the shipped model).

    Returns
    -------
    tuple of Case

    Raises
    ------
    ParameterKeyError
        For a name that is no shipped set (with the closest names).
    ParameterTypeError
        For a name that is not a string.
    CaseFileError
        If ``model`` lacks an identifier the cases use.
    """
    return loads_cases(case_file_text(name), model=model, source=f"toeprob/datasets/{_file(name)}")
