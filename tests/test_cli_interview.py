"""The `toeprob interview`, `toeprob explain` and `toeprob replay` commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import toeprob
from toeprob.cli import main

TINY = str(Path(__file__).parent / "data" / "tiny.toml")


def _run(
    argv: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_interview_reads_answers_line_by_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(
        ["--model", TINY, "interview", "--answers", "twitch=yes"], "y\nn\n?\n" * 10, monkeypatch, capsys
    )
    assert status == 0
    assert "Q1." in out and "[y/n/?]" in out
    assert "now:" in out and "urgency" in out
    assert "Most likely causes:" in out and "Urgency:" in out
    assert "Why " in out  # the explanation of the top cause
    assert toeprob.DISCLAIMER in out
    assert "Stopped" in out


def test_interview_answers_follow_the_state_machine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = toeprob.load_model(TINY)
    iv = toeprob.Interview({"twitch": True}, model=model)
    given = []
    for answer in ["yes", "no", "?"]:
        q = iv.next_question()
        if q is None:
            break
        iv.answer(q.id, answer)
        given.append(answer)
    assert iv.history
    _, out, _ = _run(
        ["--model", TINY, "interview", "--answers", "twitch=yes"],
        "".join(f"{a}\n" for a in given),
        monkeypatch,
        capsys,
    )
    for a in iv.history:
        assert a.text in out
    if iv.should_stop:
        assert "Stopped" in out
    else:
        assert "no more answers" in out  # standard input ended before the stop rule


def test_interview_reprompts_on_bad_input_and_quits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(["--model", TINY, "interview"], "maybe\nq\n", monkeypatch, capsys)
    assert "please answer y (yes), n (no) or ? (don't know)" in out
    assert out.count("Q1.") == 2 and "Q2." not in out


def test_interview_stops_at_once_on_an_emergency(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = toeprob.load_model()
    flag = next(f for f, floor in model.red_flags.items() if floor is toeprob.Urgency.EMERGENCY)
    status, out, _ = _run(["interview", "--answers", f"{flag}=yes"], "", monkeypatch, capsys)
    assert status == 0
    assert "Q1." not in out
    assert "Stopped: a red flag that needs emergency care is present" in out
    assert "Urgency: emergency" in out


def test_interview_raises(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(["--model", TINY, "interview", "--answers", "twich=yes"], "", monkeypatch, capsys)
    assert status == 2 and "twitch" in err
    status, _, err = _run(["--model", TINY, "interview", "--max-questions", "0"], "", monkeypatch, capsys)
    assert status == 2 and "max_questions" in err


def test_explain_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", TINY, "explain", "serious", "twitch=yes", "weak=yes", "night=no"]) == 0
    out = capsys.readouterr().out
    expected = toeprob.explain(
        {"twitch": True, "weak": True, "night": False}, "serious", model=toeprob.load_model(TINY)
    )
    assert out.strip() == expected.to_text().strip()
    assert main(["--model", TINY, "explain", "serious", "twitch=yes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["cause"] == "serious"


def test_explain_command_raises(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", TINY, "explain", "serius", "twitch=yes"]) == 2
    assert "Closest: serious" in capsys.readouterr().err


def test_replay_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        {
            "id": "a",
            "evidence": {"twitch": True, "night": True},
            "gold_cause": "benign",
            "urgency_min": "self_care",
            "urgency_max": "routine",
        },
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    assert main(["--model", TINY, "replay", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["cases"] == 1 and data["cases"][0]["id"] == "a"
    assert main(["--model", TINY, "replay", str(tmp_path / "missing.json")]) == 2
