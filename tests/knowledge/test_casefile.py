"""Case files: one schema for evaluate and replay; every error names the file, the case and the key."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

import toeprob
from toeprob import CaseFileError, Urgency, datasets, evaluate
from toeprob.cli.commands import main
from toeprob.errors import ParameterError, ParameterKeyError, ParameterTypeError
from toeprob.knowledge.casefile import MAX_CASE_NESTING, Case, loads_cases, parse_cases, read_cases
from toeprob.reasoning.interview import replay

CASE: dict[str, Any] = {
    "id": "c1",
    "story": "My toes cramp in tight shoes.",
    "evidence": {"cramp": True, "tight_footwear": True, "while_wearing_shoes": True},
    "gold_cause": "ill_fitting_footwear",
    "acceptable": ["muscle_fatigue"],
    "urgency_min": "self_care",
    "urgency_max": "routine",
    "basis": "team",
    "kind": "typical",
}


def _write(tmp_path: Path, data: Any, name: str = "cases.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _both_raise(source: Any, expected: str) -> None:
    """evaluate and replay refuse the same cases with the same message."""
    for run in (evaluate, replay):
        with pytest.raises(CaseFileError) as info:
            run(source)
        assert expected in str(info.value), str(info.value)


def test_a_valid_case_round_trips(tmp_path: Path) -> None:
    (case,) = read_cases(_write(tmp_path, [CASE]))
    assert case == Case(
        id="c1",
        evidence={"cramp": True, "tight_footwear": True, "while_wearing_shoes": True},
        gold_cause="ill_fitting_footwear",
        urgency_min=Urgency.SELF_CARE,
        urgency_max=Urgency.ROUTINE,
        acceptable=("muscle_fatigue",),
        story=CASE["story"],
        basis="team",
        kind="typical",
    )
    assert case.to_dict() == CASE
    assert parse_cases({"cases": [CASE]}) == (case,)
    assert evaluate([case]).top1 == 1.0


def test_evidence_keeps_file_order_and_drops_unknowns() -> None:
    (case,) = parse_cases(
        [{**CASE, "evidence": {"while_wearing_shoes": True, "numbness": None, " cramp": "yes"}}]
    )
    assert list(case.evidence) == ["while_wearing_shoes", "cramp"]
    assert case.evidence["cramp"] is True


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ({"acceptable": 5}, "case 'c1', key 'acceptable': must be a list of cause identifiers, got 5 (int)"),
        ({"acceptable": "dehydration"}, "got 'dehydration' (str); write [\"dehydration\"] for one"),
        (
            {"acceptable": ["dehydratoin"]},
            "key 'acceptable': 'dehydratoin' is not a cause of model 'default'. Closest: dehydration",
        ),
        (
            {"gold_cause": ["dehydration"]},
            "key 'gold_cause': must be a cause identifier (a string), got ['dehydration'] (list)",
        ),
        (
            {"gold_cause": "dehydratoin"},
            "key 'gold_cause': 'dehydratoin' is not a cause of model 'default'. Closest: dehydration",
        ),
        ({"gold_cause": "cramp"}, "key 'gold_cause': 'cramp' is evidence, not a cause"),
        ({"urgency_min": "soonish"}, "case 'c1', key 'urgency_min': 'soonish' is not an urgency level"),
        (
            {"urgency_max": 3},
            "case 'c1', key 'urgency_max': must be an urgency level (a string), got 3 (int)",
        ),
        (
            {"urgency_min": "urgent", "urgency_max": "soon"},
            "key 'urgency_min': urgent is above urgency_max soon",
        ),
        (
            {"evidence": ["cramp"]},
            "key 'evidence': must be an object of identifier -> true/false, got ['cramp'] (list)",
        ),
        ({"evidence": {"cramp": 1}}, "key 'evidence': evidence 'cramp': 1 (int) is not an accepted value"),
        ({"evidence": {"numbnes": True}}, "key 'evidence': 'numbnes' is not a finding or risk factor"),
        ({"evidence": {"tetanus": True}}, "key 'evidence': 'tetanus' is a cause, not evidence"),
        ({"evidence": {"cramp": True, " cramp": False}}, "given twice with different values"),
        ({"id": 7}, "case #0, key 'id': must be a non-empty string, got 7 (int)"),
        ({"id": " "}, "case #0, key 'id': must be a non-empty string"),
        ({"kind": ["typical"]}, "case 'c1', key 'kind': must be a string"),
    ],
)
def test_bad_cases_name_case_and_key(tmp_path: Path, edit: dict[str, Any], expected: str) -> None:
    path = _write(tmp_path, [{**CASE, **edit}])
    _both_raise(path, f"{path}: {expected}" if expected.startswith("case") else expected)
    _both_raise([{**CASE, **edit}], expected)


def test_other_keys_are_kept_not_refused() -> None:
    from toeprob.knowledge.casefile import parse_cases

    (case,) = parse_cases([{**CASE, "notes": "from another set", "author": {"name": "x"}}])
    assert case.extra == {"notes": "from another set", "author": {"name": "x"}}
    assert parse_cases([case.to_dict()])[0].extra == case.extra


def test_a_misspelt_required_key_is_named() -> None:
    from toeprob.knowledge.casefile import parse_cases

    case = {k: v for k, v in CASE.items() if k != "gold_cause"} | {"gold_casue": CASE["gold_cause"]}
    with pytest.raises(
        CaseFileError,
        match=r"missing required key\(s\) 'gold_cause'\. 'gold_casue' is not a key of a case\. "
        r"Closest: gold_cause\.",
    ):
        parse_cases([case])


def test_missing_keys_duplicate_ids_and_non_objects() -> None:
    case = {k: v for k, v in CASE.items() if k != "urgency_max"}
    _both_raise([case], "case 'c1': missing required key(s) 'urgency_max'")
    _both_raise([CASE, CASE], "case 'c1' (#1), key 'id': 'c1' is also the id of case #0; ids must be unique")
    _both_raise([CASE, "c2"], "case #1: a case must be an object (mapping), got 'c2' (str)")
    _both_raise({"cases": [CASE], "extra": 1}, "an object with the one key 'cases'")
    _both_raise({"cases": 5}, "expected a list of cases, got 5 (int)")


def test_files_that_are_not_utf8_json(tmp_path: Path) -> None:
    text = json.dumps([CASE])
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(text.encode("utf-16"))
    _both_raise(utf16, f"{utf16}: the case file is UTF-16 (little-endian); save it as UTF-8.")
    utf16be = tmp_path / "utf16be.json"
    utf16be.write_bytes(text.encode("utf-16-be"))
    _both_raise(utf16be, "not UTF-8 text (it looks like UTF-16)")
    bom = tmp_path / "bom.json"
    bom.write_bytes(text.encode("utf-8-sig"))
    assert len(read_cases(bom)) == 1  # a UTF-8 byte-order mark is allowed
    for name, content, expected in [
        ("nan.json", text.replace("true", "NaN", 1), "NaN is not JSON"),
        ("dup.json", '[{"id": "a", "id": "b"}]', "the key 'id' appears twice in one object"),
        ("digits.json", "[" + "1" * 5000 + "]", "not valid JSON"),
        ("broken.json", "[{", "not valid JSON"),
    ]:
        path = tmp_path / name
        path.write_text(content)
        _both_raise(path, f"{path}: ")
        _both_raise(path, expected)


@pytest.mark.parametrize("depth", [MAX_CASE_NESTING + 1, 100_000])
def test_deep_json_is_refused_quickly(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    start = time.perf_counter()
    _both_raise(path, "nest more than 16 levels")
    assert time.perf_counter() - start < 5


def test_special_files_and_size_limit(tmp_path: Path) -> None:
    _both_raise(tmp_path, "a directory, not a regular file")
    if Path("/dev/zero").exists():
        _both_raise(Path("/dev/zero"), "a character device, not a regular file")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo.json")
        _both_raise(tmp_path / "fifo.json", "a FIFO (named pipe), not a regular file")
    path = _write(tmp_path, [CASE])
    with pytest.raises(CaseFileError, match=r"more than the limit of 10 \(max_bytes\)"):
        read_cases(path, max_bytes=10)
    with pytest.raises(ParameterError, match="max_bytes"):
        read_cases(path, max_bytes=-1)


def test_a_huge_identifier_is_cut_in_messages() -> None:
    start = time.perf_counter()
    with pytest.raises(CaseFileError) as info:
        parse_cases([{**CASE, "gold_cause": "x" * 10_000_000}])
    assert time.perf_counter() - start < 2
    assert len(str(info.value)) < 300


def test_bytes_are_decoded_as_utf8() -> None:
    assert loads_cases(json.dumps([CASE]).encode())[0].id == "c1"
    with pytest.raises(CaseFileError, match="not UTF-8"):
        loads_cases(b'[{"id": "\xff"}]')


# ------------------------------------------------------------------------------- shipped case sets
def test_shipped_case_sets_load_and_validate(model: toeprob.Model) -> None:
    assert datasets.list_cases() == ("blind", "team")
    team, blind = datasets.load_cases("team"), datasets.load_cases("blind")
    assert len(team) == 57 and len(blind) == 40
    assert {c.kind for c in team} == {"typical", "tricky", "red_flag"}
    assert all(c.story and c.basis for c in (*team, *blind))
    assert json.loads(datasets.case_file_text("team"))[0]["id"] == team[0].id
    with pytest.raises(
        ParameterKeyError, match="'teams' is not a case set shipped with toeprob. Closest: team"
    ):
        datasets.load_cases("teams")
    with pytest.raises(
        ParameterTypeError, match="'name' parameter of load_cases must be a str. Got 3 \\(int\\)"
    ):
        datasets.load_cases(3)  # type: ignore[arg-type]


def test_shipped_cases_need_the_model_identifiers(tiny: toeprob.Model) -> None:
    with pytest.raises(CaseFileError, match=r"toeprob/datasets/cases_team\.json: case 'h01', key 'evidence'"):
        datasets.load_cases("team", model=tiny)


def test_cli_accepts_a_shipped_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "blind", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["cases"] == 40
    assert main(["evaluate", "teem"]) == 2
    err = capsys.readouterr().err
    assert (
        "'teem' is not a case file or a case set shipped with toeprob. Closest: team. Allowed: blind, team."
        in err
    )


@pytest.mark.parametrize("command", ["evaluate", "replay"])
def test_cli_case_file_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "utf16.json"
    path.write_bytes(json.dumps([CASE]).encode("utf-16"))
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"toeprob: error: {path}: the case file is UTF-16 (little-endian); save it as UTF-8.\n"
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    assert main([command, str(deep)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_the_documented_example_is_a_valid_case_file() -> None:
    import re

    doc = (Path(__file__).parents[2] / "docs" / "case-format.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)```", doc, re.S)
    assert example is not None
    (case,) = loads_cases(example.group(1), source="docs/case-format.md")
    assert case.gold_cause == "dehydration" and case.acceptable == ("electrolyte_deficiency",)
