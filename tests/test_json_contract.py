"""The JSON contract: every ``--json`` output of the command line validates against its shipped schema.

The schemas live in ``toeprob/schemas/`` (JSON Schema 2020-12) and are documented in ``docs/json.md``.
Each test runs the real command and validates what it printed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import toeprob
from toeprob.cli.commands import main
from toeprob.results.serialize import JSON_SCHEMA_VERSION, KINDS, json_schema

jsonschema = pytest.importorskip("jsonschema")

HERE = Path(__file__).parent
TINY = str(HERE / "data" / "tiny.toml")
DOCS = HERE.parent / "docs" / "json.md"

TINY_CASES = [
    {
        "id": "low",
        "evidence": {"twitch": True, "night": True},
        "gold_cause": "benign",
        "urgency_min": "urgent",
        "urgency_max": "emergency",
    },
    {
        "id": "flag",
        "evidence": {"twitch": True, "weak": True, "drop": True},
        "gold_cause": "serious",
        "acceptable": ["middling"],
        "urgency_min": "urgent",
        "urgency_max": "emergency",
    },
]


def _cli_json(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> Any:
    import io
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        assert main(argv) == 0
    finally:
        sys.stdin = old
    return json.loads(capsys.readouterr().out)


def _validate(data: Any, kind: str) -> None:
    schema = json_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["schema_version"] == JSON_SCHEMA_VERSION and data["kind"] == kind
    assert data["toeprob_version"] == toeprob.__version__
    assert set(data["model"]) == {"name", "version"}


@pytest.fixture
def case_file(tmp_path: Path) -> str:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(TINY_CASES))
    return str(path)


COMMANDS: dict[str, list[str]] = {
    "diagnosis": ["rank", "numbness=yes", "burning_pain=yes", "diabetes=yes", "foot_drop=yes", "--json"],
    "explanation": ["explain", "peripheral_neuropathy", "numbness=yes", "diabetes=yes", "--json"],
    "vocabulary": ["vocabulary", "--json"],
    "sources": ["sources", "--json"],
    "uncertainty": ["rank", "numbness=yes", "foot_drop=yes", "--uncertainty", "--draws", "30", "--json"],
    "sensitivity": ["sensitivity", "peripheral_neuropathy", "numbness=yes", "diabetes=yes", "--json"],
}


@pytest.mark.parametrize("kind", sorted(COMMANDS))
def test_default_model_outputs_validate(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = _cli_json(COMMANDS[kind], capsys)
    _validate(data, kind)
    assert data["model"] == {"name": "default", "version": toeprob.load_model().version}


def test_rank_json_top_keeps_the_total(capsys: pytest.CaptureFixture[str]) -> None:
    data = _cli_json(["rank", "cramp=yes", "--json", "--top", "2"], capsys)
    _validate(data, "diagnosis")
    assert len(data["ranked"]) == 2 and data["causes_total"] == len(toeprob.load_model().causes)
    assert [r["rank"] for r in data["ranked"]] == [1, 2]


def test_urgency_reasons_carry_every_field_of_the_dataclass(capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    data = _cli_json(["rank", "foot_drop=yes", "numbness=yes", "--json"], capsys)
    fields = {f.name for f in dataclasses.fields(toeprob.UrgencyReason)}
    assert data["urgency_reasons"]
    for reason in data["urgency_reasons"]:
        assert fields | {"text"} <= set(reason)


def test_evaluation_and_replay_outputs_validate(case_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    evaluation = _cli_json(["--model", TINY, "evaluate", case_file, "--json"], capsys)
    _validate(evaluation, "evaluation")
    assert evaluation["summary"]["cases"] == 2 and isinstance(evaluation["summary"]["cases"], int)
    replayed = _cli_json(["--model", TINY, "replay", case_file, "--json", "--no-progress"], capsys)
    _validate(replayed, "replay")
    shifted = _cli_json(["--model", TINY, "evaluate", case_file, "--sensitivity", "--json"], capsys)
    _validate(shifted, "evaluation_sensitivity")
    assert replayed["model"]["name"] == "tiny"
    assert all(isinstance(c["asked"], list) for c in replayed["cases"])  # lists, not comma strings


def test_interview_transcript_validates(capsys: pytest.CaptureFixture[str]) -> None:
    data = _cli_json(
        ["--model", TINY, "interview", "--json", "--answers", "twitch=yes"], capsys, "y\nn\n?\n" * 5
    )
    _validate(data, "interview")
    _validate(data["diagnosis"], "diagnosis")
    assert [a["number"] for a in data["answers"]] == list(range(1, len(data["answers"]) + 1))
    assert {a["answer"] for a in data["answers"]} <= {"yes", "no", "don't know"}


def _undeclared(data: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    return set(data) - set(schema["properties"])


def test_checklist_steps_and_the_replay_curve_are_declared(
    case_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a checklist answered item by item: its answers share one step and name the checklist
    data = _cli_json(
        ["--model", TINY, "interview", "--json", "--answers", "twitch=yes"],
        capsys,
        "y\nn\ny\nn\n" + "n\n" * 10,
    )
    _validate(data, "interview")
    schema = json_schema("interview")
    assert _undeclared(data, schema) == set()
    answer_schema = schema["properties"]["answers"]["items"]
    assert all(_undeclared(a, answer_schema) == set() for a in data["answers"])
    first = [a for a in data["answers"] if a["step"] == 1]
    assert len(first) > 1 and {a["checklist"] for a in first} == {data["checklists_asked"][0]}
    assert data["questions_counted"] == len({a["step"] for a in data["answers"]})
    replayed = _cli_json(["--model", TINY, "replay", case_file, "--json", "--no-progress"], capsys)
    _validate(replayed, "replay")
    schema = json_schema("replay")
    assert _undeclared(replayed, schema) == set()
    assert _undeclared(replayed["summary"], schema["properties"]["summary"]) == set()
    assert all(_undeclared(c, schema["properties"]["cases"]["items"]) == set() for c in replayed["cases"])
    curve = replayed["curve"]
    longest = max(c["questions"] for c in replayed["cases"])
    assert [row["questions"] for row in curve] == list(range(longest + 1))
    assert curve[-1]["still_asking"] == 0.0


def test_policy_keys_are_the_interview_policy_fields(capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    names = [f.name for f in dataclasses.fields(toeprob.InterviewPolicy)]
    for kind in ("interview", "replay"):
        policy = json_schema(kind)["properties"]["policy"]
        assert set(policy["required"]) == set(policy["properties"]) == set(names), kind
    data = _cli_json(["--model", TINY, "interview", "--json", "--answers", "twitch=yes"], capsys, "q\n")
    assert list(data["policy"]) == names
    assert data["policy"]["stop_probability"] is None  # off by default
    text = DOCS.read_text(encoding="utf-8")
    assert all(f"`{name}`" in text for name in names)
    # a transcript written before min_gain was removed still resumes (the old key is ignored)
    old = {**data, "policy": {**data["policy"], "min_gain": 0.05}}
    assert (
        toeprob.Interview.from_dict(old, model=toeprob.load_model(TINY)).policy == toeprob.InterviewPolicy()
    )


def test_the_schemas_reject_a_broken_document(capsys: pytest.CaptureFixture[str]) -> None:
    data = _cli_json(["rank", "cramp=yes", "--json"], capsys)
    data["ranked"][0]["probability"] = "33%"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json_schema("diagnosis")).validate(data)


def test_every_kind_has_a_schema_and_a_section_in_docs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for kind in KINDS:
        assert json_schema(kind)["properties"]["kind"]["const"] == kind
        assert f'`"kind": "{kind}"`' in text, kind
    with pytest.raises(ValueError, match="not a kind"):
        json_schema("nonsense")
