"""toeprob.validation: one parameter template, one value describer, one close-match wording.

The table at the end runs a bad argument through every public entry point: each one raises a
``Parameter*Error`` (never an evidence error) whose message follows the template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import toeprob
from toeprob import validation
from toeprob.errors import (
    EvidenceError,
    ParameterError,
    ParameterKeyError,
    ParameterTypeError,
    ToeprobError,
    UnknownIdentifierError,
)
from toeprob.results.serialize import json_schema
from toeprob.validation import (
    ALLOWED_LIMIT,
    CLOSEST_LIMIT,
    Constraint,
    boolean,
    check_parameter,
    describe,
    instance_of,
    int_at_least,
    non_negative_int,
    non_negative_number,
    one_of,
    optional,
    parameter_message,
    positive_int,
    positive_number,
    probability,
    unknown_identifier_message,
)

SRC = Path(toeprob.__file__).parent


# ----------------------------------------------------------------------------------------- template
def test_parameter_message_is_the_one_template() -> None:
    assert (
        parameter_message("k", "suggest_questions", "an int >= 1", "3")
        == "The 'k' parameter of suggest_questions must be an int >= 1. Got '3' (str) instead."
    )


@pytest.mark.parametrize(
    ("rule", "good", "wrong_value", "wrong_type"),
    [
        (positive_int, [1, 10**30], [0, -1], [1.0, True, "1", None]),
        (non_negative_int, [0, 5], [-1], [0.0, False, "0"]),
        (int_at_least(2), [2, 3], [1], [2.5]),
        (probability, [0, 0.5, 1, 1.0], [-0.1, 1.5, float("nan"), float("inf")], [True, "0.5", None]),
        (non_negative_number, [0, 0.0, 3.5], [-1e-9, float("nan"), float("inf")], [False, "1"]),
        (positive_number, [1e-300, 5, float("inf")], [0, -1.0, float("nan")], [True, "5"]),
        (boolean, [True, False], [], [0, 1, "yes", None]),
        (one_of("fast", "pgmpy"), ["fast", "pgmpy"], ["exact", "Fast", ""], [None, 1, b"fast"]),
        (instance_of((int, type(None)), "an int or None"), [1, None], [], ["1", 1.0]),
        (optional(int_at_least(2)), [None, 2], [1, 0], ["2", 2.0]),
    ],
)
def test_constraints_split_type_errors_from_value_errors(
    rule: Constraint, good: list[Any], wrong_value: list[Any], wrong_type: list[Any]
) -> None:
    for value in good:
        assert check_parameter(value, rule, name="x", owner="f") is value
        assert rule.allows(value)
    for value in wrong_value:
        with pytest.raises(ParameterError) as info:
            check_parameter(value, rule, name="x", owner="f")
        assert type(info.value) is ParameterError, value
        assert str(info.value) == parameter_message("x", "f", rule.allowed, value)
    for value in wrong_type:
        with pytest.raises(ParameterTypeError) as info:
            check_parameter(value, rule, name="x", owner="f")
        assert str(info.value) == parameter_message("x", "f", rule.allowed, value)
        assert not rule.allows(value)


def test_parameter_errors_are_standard_exceptions_and_not_evidence_errors() -> None:
    for cls, bases in [
        (ParameterError, (ValueError,)),
        (ParameterTypeError, (ValueError, TypeError)),
        (ParameterKeyError, (ValueError, KeyError)),
    ]:
        assert issubclass(cls, ToeprobError) and issubclass(cls, ParameterError)
        assert all(issubclass(cls, b) for b in bases)
        assert not issubclass(cls, EvidenceError)
    # a KeyError quotes its message when printed; these print it plainly
    assert str(ParameterKeyError("'x' is not a cause.")) == "'x' is not a cause."


# ---------------------------------------------------------------------------------------- describer
def test_describe_python_values() -> None:
    assert describe("3") == "'3' (str)"
    assert describe(3) == "3 (int)"
    assert describe(True) == "True (bool)"
    assert describe(None) == "None (NoneType)"
    assert describe({"a": 1}) == "{'a': 1} (dict)"
    long = describe("x" * 10_000)
    assert long.endswith("(10000 characters) (str)") and len(long) < 120


def test_describe_values_read_from_files_in_the_files_words() -> None:
    assert describe(True, syntax="toml") == describe(True, syntax="json") == "true (bool)"
    assert describe({"a": 1}, syntax="toml") == "a table"
    assert describe({"a": 1}, syntax="json") == "an object"
    assert describe(None, syntax="json") == "null"
    assert describe([1], syntax="json") == "[1] (list)"
    assert describe(2.5, syntax="toml") == "2.5 (float)"


def test_no_module_keeps_its_own_describer() -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "validation.py"
        and re.search(r"^def _got\(|\(\{type\(\w+\)\.__name__\}\)", path.read_text(), re.M)
    ]
    assert offenders == []


# ---------------------------------------------------------------------------------------- close matches
def test_unknown_identifier_wording() -> None:
    causes = [f"cause_{i:02d}" for i in range(20)] + ["dehydration"]
    assert (
        unknown_identifier_message("dehydratoin", causes, "a cause", model="default")
        == "'dehydratoin' is not a cause of model 'default'. Closest: dehydration."
    )
    # nothing alike among many: no hint and no list
    assert (
        unknown_identifier_message("zzz", causes, "a cause", model="m")
        == "'zzz' is not a cause of model 'm'."
    )
    # at most CLOSEST_LIMIT suggestions, best first
    message = unknown_identifier_message("cause_0", causes, "a cause", model="m")
    suggested = message.split("Closest: ")[1].rstrip(".").split(", ")
    assert len(suggested) == CLOSEST_LIMIT and all(s.startswith("cause_") for s in suggested)


def test_a_short_list_of_valid_identifiers_is_given_in_full() -> None:
    few = [f"level_{i}" for i in range(ALLOWED_LIMIT)]
    assert unknown_identifier_message("xyz", few, "a level").endswith(f"Allowed: {', '.join(few)}.")
    many = [*few, "one_more"]
    assert "Allowed" not in unknown_identifier_message("xyz", many, "a level")
    assert (
        unknown_identifier_message("soonish", ["routine", "soon"], "an urgency level")
        == "'soonish' is not an urgency level. Closest: soon. Allowed: routine, soon."
    )


def test_close_matches_of_huge_or_odd_values_are_cheap_and_short() -> None:
    message = unknown_identifier_message("cramp" * 2_000_000, ["cramp"] * 3, "a finding", model="m")
    assert len(message) < 200 and "Closest" not in message
    assert unknown_identifier_message(3, ["a", "b"], "a cause").startswith("3 is not a cause.")


def test_one_close_match_wording_in_the_package() -> None:
    """Every hint goes through unknown_identifier_message: no other module words one itself."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "validation.py":
            continue
        text = path.read_text()
        if "difflib" in text or "Did you mean" in text or re.search(r"f\" ?Closest:", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: toeprob.rank_causes({"twich": True}, model=m), UnknownIdentifierError, None),
        (lambda m: toeprob.explain({}, "serius", model=m), ParameterKeyError, "'serius' is not a cause"),
        (lambda m: toeprob.rank_causes({}, model=m).probability("serius"), ParameterKeyError, None),
        (lambda m: toeprob.Interview(model=m).answer("twich", True), UnknownIdentifierError, None),
        (lambda m: toeprob.suggest_questions({}, model=m, exclude=["twich"]), ParameterKeyError, None),
        (lambda m: m.draw(nodes=["twich"]), ParameterKeyError, "'twich' is not a node"),
        (lambda m: toeprob.datasets.load_cases("teams"), ParameterKeyError, "'teams' is not a case set"),
        (lambda m: toeprob.Urgency.parse("urgnt"), ParameterKeyError, "'urgnt' is not an urgency level"),
        (lambda m: json_schema("diagnosys"), ParameterKeyError, "'diagnosys' is not a kind of JSON document"),
    ],
)
def test_every_lookup_uses_the_one_wording(
    tiny: toeprob.Model, call: Callable[[toeprob.Model], Any], error: type[Exception], message: str | None
) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(error) as info:
        call(tiny)
    text = str(info.value)
    assert re.search(r"'\w+' is not (a|an) [\w ]+( of model '\w+')?\. Closest: \w+(, \w+)*\.", text), text
    if message:
        assert message in text


# ------------------------------------------------------------------------- the public API, bad parameters
def _diagnosis(m: toeprob.Model) -> toeprob.Diagnosis:
    return toeprob.rank_causes({"twitch": True}, model=m)


def _resume(transcript: Any, m: toeprob.Model) -> Any:
    return toeprob.Interview.resume(transcript, model=m)


def _widget(**kwargs: Any) -> Any:
    from toeprob.display.interview_widget import InterviewWidget

    return InterviewWidget(**kwargs)


def _plotting() -> Any:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from toeprob.display import plotting

    return plotting


def _synthetic(**kwargs: Any) -> Any:
    from toeprob.inference.synthetic import synthetic_model

    return synthetic_model(**{"n_causes": 3, **kwargs})


def _create_engine(m: toeprob.Model, **kwargs: Any) -> Any:
    from toeprob.inference.engines import create_engine

    return create_engine(m, **kwargs)


def _replay(m: toeprob.Model, **kwargs: Any) -> Any:
    from toeprob.reasoning.interview import replay

    return replay([], model=m, **kwargs)


def _engine(m: toeprob.Model) -> Any:
    return toeprob.Reasoner.for_model(m).engine


def _report(m: toeprob.Model) -> toeprob.EvaluationReport:
    case = {
        "id": "c1",
        "evidence": {"twitch": True},
        "gold_cause": "benign",
        "urgency_min": "self_care",
        "urgency_max": "emergency",
    }
    return toeprob.evaluate([case], model=m)


def _to_pgmpy(m: toeprob.Model, limit: Any) -> Any:
    from toeprob.inference.pgmpy_bridge import to_pgmpy

    return to_pgmpy(m, max_table_parents=limit)


NO_ROWS = ([], [])

#: (parameter, owner, call on the tiny model, the error class)
tp, PE, PT = toeprob, ParameterError, ParameterTypeError
API: list[tuple[str, str, Callable[[toeprob.Model], Any], type[ParameterError]]] = [
    ("model", "rank_causes", lambda m: tp.rank_causes({}, model="x.toml"), PT),
    ("engine", "rank_causes", lambda m: tp.rank_causes({}, model=m, engine="exact"), PE),
    ("engine", "rank_causes", lambda m: tp.rank_causes({}, model=m, engine=None), PT),
    ("budget", "rank_causes", lambda m: tp.rank_causes({}, model=m, budget=5), PT),
    ("model", "rank_batch", lambda m: tp.rank_batch([], model={}), PT),
    ("cases", "rank_batch", lambda m: tp.rank_batch({"twitch": True}, model=m), PT),
    ("chunk_size", "rank_batch", lambda m: tp.rank_batch([], model=m, chunk_size=0), PE),
    ("chunk_size", "rank_batch", lambda m: tp.rank_batch([], model=m, chunk_size=1.5), PT),
    ("progress", "rank_batch", lambda m: tp.rank_batch([], model=m, progress="yes"), PT),
    ("model", "explain", lambda m: tp.explain({}, "serious", model=[]), PT),
    ("cause", "explain", lambda m: tp.explain({}, None, model=m), PT),
    ("n_unconfirmed", "explain", lambda m: tp.explain({}, "serious", model=m, n_unconfirmed=-1), PE),
    ("n_unconfirmed", "explain", lambda m: tp.explain({}, "serious", model=m, n_unconfirmed="3"), PT),
    ("n_unconfirmed", "explain", lambda m: _diagnosis(m).explain("serious", n_unconfirmed=-2), PE),
    ("cause", "Diagnosis.probability", lambda m: _diagnosis(m).probability(3), PT),
    ("model", "suggest_questions", lambda m: tp.suggest_questions({}, model="m"), PT),
    ("k", "suggest_questions", lambda m: tp.suggest_questions({}, model=m, k=0), PE),
    ("k", "suggest_questions", lambda m: tp.suggest_questions({}, model=m, k=True), PT),
    (
        "questions_asked",
        "suggest_questions",
        lambda m: tp.suggest_questions({}, model=m, questions_asked=-1),
        PE,
    ),
    ("policy", "suggest_questions", lambda m: tp.suggest_questions({}, model=m, policy={}), PT),
    ("engine", "suggest_questions", lambda m: tp.suggest_questions({}, model=m, engine="slow"), PE),
    ("engine", "explain", lambda m: tp.explain({}, "serious", model=m, engine="exact"), PE),
    ("engine", "evaluate", lambda m: tp.evaluate([], model=m, engine=0), PT),
    ("engine", "replay", lambda m: _replay(m, engine="pgmpy "), PE),
    ("model", "evaluate", lambda m: tp.evaluate([], model="m.toml"), PT),
    ("bins", "EvaluationReport.reliability", lambda m: _report(m).reliability(bins=0), PE),
    ("red_flag_threshold", "InterviewPolicy", lambda m: tp.InterviewPolicy(red_flag_threshold=1.5), PE),
    ("stop_probability", "InterviewPolicy", lambda m: tp.InterviewPolicy(stop_probability="0.8"), PT),
    ("stop_probability", "InterviewPolicy", lambda m: tp.InterviewPolicy(stop_probability=1.5), PE),
    ("min_value", "InterviewPolicy", lambda m: tp.InterviewPolicy(min_value=-0.1), PE),
    ("min_value", "InterviewPolicy", lambda m: tp.InterviewPolicy(min_value=float("nan")), PE),
    ("urgency_weight", "InterviewPolicy", lambda m: tp.InterviewPolicy(urgency_weight=-1), PE),
    ("urgency_weight", "InterviewPolicy", lambda m: tp.InterviewPolicy(urgency_weight="1"), PT),
    ("lookahead", "InterviewPolicy", lambda m: tp.InterviewPolicy(lookahead=3), PE),
    ("lookahead", "InterviewPolicy", lambda m: tp.InterviewPolicy(lookahead=True), PT),
    ("lookahead_candidates", "InterviewPolicy", lambda m: tp.InterviewPolicy(lookahead_candidates=0), PE),
    ("max_questions", "InterviewPolicy", lambda m: tp.InterviewPolicy(max_questions=0), PE),
    ("background_checklist", "InterviewPolicy", lambda m: tp.InterviewPolicy(background_checklist=1), PT),
    ("background_min_gain", "InterviewPolicy", lambda m: tp.InterviewPolicy(background_min_gain=-1e-3), PE),
    ("final_red_flag_check", "InterviewPolicy", lambda m: tp.InterviewPolicy(final_red_flag_check=1), PT),
    ("red_flag_scope", "InterviewPolicy", lambda m: tp.InterviewPolicy(red_flag_scope="all"), PE),
    ("red_flag_scope", "InterviewPolicy", lambda m: tp.InterviewPolicy(red_flag_scope=None), PT),
    ("model", "Interview", lambda m: tp.Interview(model=3), PT),
    ("policy", "Interview", lambda m: tp.Interview(model=m, policy="x"), PT),
    ("engine", "Interview", lambda m: tp.Interview(model=m, engine="exact"), PE),
    ("reasoner", "Interview", lambda m: tp.Interview(reasoner=m), PT),
    ("transcript", "Interview.from_dict", lambda m: tp.Interview.from_dict([], model=m), PT),
    ("transcript", "Interview.from_dict", lambda m: _resume({"kind": "diagnosis"}, m), PE),
    ("model", "Interview.from_dict", lambda m: tp.Interview.from_dict({"kind": "interview"}, model=1), PT),
    ("answers", "Interview.answer_many", lambda m: tp.Interview(model=m).answer_many([("twitch", 1)]), PT),
    ("answers", "Interview.answer_many", lambda m: tp.Interview(model=m).answer_many({}), PE),
    ("interview", "InterviewWidget", lambda m: _widget(interview={"twitch": True}), PT),
    ("top", "InterviewWidget", lambda m: _widget(evidence={"twitch": True}, top=0), PE),
    ("start_findings", "replay", lambda m: _replay(m, start_findings=-1), PE),
    ("policy", "replay", lambda m: _replay(m, policy=0.5), PT),
    ("model", "Reasoner", lambda m: tp.Reasoner("default.toml"), PT),
    ("budget", "Reasoner", lambda m: tp.Reasoner(m, budget=10**9), PT),
    ("budget", "Reasoner.for_model", lambda m: tp.Reasoner.for_model(m, budget="big"), PT),
    ("memory_bytes", "Budget", lambda m: tp.Budget(memory_bytes=0), PE),
    ("memory_bytes", "Budget", lambda m: tp.Budget(memory_bytes=1e9), PT),
    ("operations", "Budget", lambda m: tp.Budget(operations=float("nan")), PE),
    ("operations", "Budget", lambda m: tp.Budget(operations="many"), PT),
    ("engine", "create_engine", lambda m: _create_engine(m, engine="exact"), PE),
    ("budget", "create_engine", lambda m: _create_engine(m, budget={}), PT),
    (
        "chunk_size",
        "ExactEngine.posterior_batch",
        lambda m: _engine(m).posterior_batch(*NO_ROWS, chunk_size=0),
        PE,
    ),
    (
        "chunk_size",
        "ExactEngine.log_evidence_batch",
        lambda m: _engine(m).log_evidence_batch(*NO_ROWS, chunk_size=-1),
        PE,
    ),
    ("path", "load_model", lambda m: tp.load_model(3), PT),
    ("max_bytes", "load_model", lambda m: tp.load_model(max_bytes=0), PE),
    ("name", "load_cases", lambda m: tp.datasets.load_cases(3), PT),
    ("n_causes", "synthetic_model", lambda m: _synthetic(n_causes=0), PE),
    ("findings_per_cause", "synthetic_model", lambda m: _synthetic(findings_per_cause=-1), PE),
    ("max_table_parents", "to_pgmpy", lambda m: _to_pgmpy(m, 1), PE),
    ("max_table_parents", "to_pgmpy", lambda m: _to_pgmpy(m, "2"), PT),
    ("top", "plot_diagnosis", lambda m: _plotting().plot_diagnosis(_diagnosis(m), top=0), PE),
    ("top", "plot_posteriors", lambda m: _plotting().plot_posteriors([_diagnosis(m)] * 2, top=2.5), PT),
    (
        "min_effect",
        "plot_explanation",
        lambda m: _plotting().plot_explanation(_diagnosis(m).explain("serious"), min_effect=-1),
        PE,
    ),
    ("depth", "draw_model", lambda m: (_plotting(), m.draw(depth=-1))[1], PE),
]


def _exact_engine(m: toeprob.Model, **kwargs: Any) -> Any:
    from toeprob.inference.compiled import compile_model
    from toeprob.inference.exact import ExactEngine

    return ExactEngine(compile_model(m), **kwargs)


def _read_cases(**kwargs: Any) -> Any:
    from toeprob.knowledge.casefile import read_cases

    return read_cases(Path(__file__), **kwargs)


def _parse_cases(model: Any) -> Any:
    from toeprob.knowledge.casefile import parse_cases

    return parse_cases([], model=model)


API += [
    ("max_present", "ExactEngine", lambda m: _exact_engine(m, max_present=-1), ParameterError),
    ("budget", "ExactEngine", lambda m: _exact_engine(m, budget=1), ParameterTypeError),
    ("model", "parse_cases", lambda m: _parse_cases("m.toml"), ParameterTypeError),
    ("max_bytes", "read_cases", lambda m: _read_cases(max_bytes=True), ParameterTypeError),
]


@pytest.mark.parametrize(
    ("name", "owner", "call", "error"),
    API,
    ids=[f"{owner}-{name}-{i}" for i, (name, owner, _, _) in enumerate(API)],
)
def test_every_public_entry_point_raises_parameter_errors_with_the_template(
    tiny: toeprob.Model, name: str, owner: str, call: Callable[[toeprob.Model], Any], error: type[Exception]
) -> None:
    with pytest.raises(ParameterError) as info:
        call(tiny)
    assert type(info.value) is error
    assert not isinstance(info.value, EvidenceError)
    text = str(info.value)
    template = (
        rf"The '{re.escape(name)}' parameter of {re.escape(owner)} must be .+\. Got .+ \(\w+\) instead\."
    )
    assert re.fullmatch(template, text), text


def test_the_table_covers_the_check_calls_of_the_package() -> None:
    """Each owner named in a check call of the package appears in the table above."""
    called = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        called |= set(re.findall(r'owner="([\w.]+)"', text))
        called |= set(re.findall(r'check_type\([^,]+, "\w+", "([\w.]+)"', text))
        called |= set(re.findall(r'check_engine\(\w+, "([\w.]+)"\)', text))
        called |= set(re.findall(r'resolve_model\(\w+, "([\w.]+)"\)', text))
    owners = {owner for _, owner, _, _ in API}
    assert called - owners == set()


def test_validation_is_foundation() -> None:
    imported = set(
        re.findall(r"^(?:from|import) (toeprob[\w.]*)", Path(validation.__file__).read_text(), re.M)
    )
    assert imported == {"toeprob.errors"}


def test_resuming_a_transcript_with_another_model_is_a_parameter_error(tiny: toeprob.Model) -> None:
    transcript = toeprob.Interview({"cramp": "yes"}).to_dict()
    with pytest.raises(ParameterError, match="made with model 'default'; resume it with that model") as info:
        toeprob.Interview.resume(transcript, model=tiny)
    assert not isinstance(info.value, EvidenceError)
    broken = {**transcript, "answers": [{"value": "yes"}]}
    with pytest.raises(ParameterError, match="answer #1 has no 'question'"):
        toeprob.Interview.resume(broken)
    item = {"question": "tingling", "value": "no", "step": 1}
    unknown = {**transcript, "answers": [{**item, "checklist": "red_flag_checklst"}]}
    with pytest.raises(ParameterError, match="answer #1: 'red_flag_checklst' is not a checklist") as info:
        toeprob.Interview.from_dict(unknown)
    assert not isinstance(info.value, EvidenceError) and "Closest: red_flag_checklist" in str(info.value)
