"""The `toeprob interview`, `toeprob explain` and `toeprob replay` commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import toeprob
from toeprob.cli.commands import main

TINY = str(Path(__file__).parents[1] / "data" / "tiny.toml")


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
    for answer in ["no", "?", "no"]:  # a checklist answered as a whole: none / don't know
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
    assert f"Q{iv.steps}." in out
    if iv.should_stop:
        assert "Stopped" in out
    else:
        assert "no more answers" in out  # standard input ended before the stop rule


def test_interview_reprompts_on_bad_input_and_quits(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(["--model", TINY, "interview"], "maybe\nq\n", monkeypatch, capsys)
    assert "please answer y (yes), n (no) or ? (don't know)" in out
    assert out.count("[y/n/?]") == 2 and "Q2." not in out


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


def test_model_option_goes_before_or_after_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", TINY, "rank", "twitch=yes", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["rank", "twitch=yes", "--model", TINY, "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert before == after and after["model"]["name"] == "tiny"
    assert main(["vocabulary", "--model", TINY]) == 0
    assert "twitch" in capsys.readouterr().out


def test_interview_answers_are_separate_arguments_like_rank(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--model", TINY, "interview", "--json", "--answers", "twitch=yes", "night=no"]
    status, out, _ = _run(argv, "", monkeypatch, capsys)
    assert status == 0 and json.loads(out)["start"] == {"twitch": True, "night": False}
    status, out, _ = _run([*argv[:4], "--answers", "twitch=yes,night=no"], "", monkeypatch, capsys)
    assert status == 0 and json.loads(out)["start"] == {"twitch": True, "night": False}


def test_interview_help_states_the_api_default_and_the_final_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["interview", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"(default {toeprob.InterviewPolicy().max_questions})" in text
    assert "final red-flag check" in text and "a checklist counts as one question" in text
    assert "--save FILE" in text and "--resume FILE" in text


def test_interview_save_writes_the_transcript_after_every_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.json"
    status, out, _ = _run(
        ["--model", TINY, "interview", "--answers", "twitch", "--save", str(path)],
        "n\nq\n",
        monkeypatch,
        capsys,
    )
    assert status == 0 and "Any of these?" in out  # the first question is a checklist
    saved = json.loads(path.read_text())
    assert saved["kind"] == "interview" and saved["questions_counted"] == 1
    assert saved["checklists_asked"] and all(a["answer"] == "no" for a in saved["answers"])
    status, out, _ = _run(
        ["--model", TINY, "interview", "--resume", str(path), "--save", str(path)], "q\n", monkeypatch, capsys
    )
    assert status == 0 and "Q2." in out and json.loads(path.read_text())["answers"] == saved["answers"]


def test_interview_json_transcript_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(
        ["--model", TINY, "interview", "--json", "--answers", "twitch"], "n\n", monkeypatch, capsys
    )
    assert status == 0 and "Q1." in err and "Q1." not in out  # the conversation is on stderr
    saved = json.loads(out)
    assert saved["questions_counted"] == 1 and saved["stopped"] is False
    assert saved["answers"] and {a["answer"] for a in saved["answers"]} == {"no"}  # none of these
    path = tmp_path / "transcript.json"
    path.write_text(out)
    status, out, _ = _run(
        ["--model", TINY, "interview", "--json", "--resume", str(path)], "n\n" * 20, monkeypatch, capsys
    )
    resumed = json.loads(out)
    n = len(saved["answers"])
    assert status == 0 and resumed["answers"][:n] == saved["answers"]
    assert len(resumed["answers"]) > n and resumed["questions_counted"] > 1
    status, _, err = _run(["interview", "--resume", str(path)], "", monkeypatch, capsys)
    assert status == 2 and "model 'tiny'" in err


def test_ctrl_c_prints_one_line_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("toeprob.cli.commands.rank_causes", interrupted)
    assert main(["rank", "cramp=yes"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "toeprob: interrupted" and "Traceback" not in err


@pytest.mark.slow  # a new process imports the package
def test_ctrl_c_during_an_interview_in_a_real_process() -> None:
    import signal
    import subprocess
    import sys
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "toeprob", "--model", TINY, "interview"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "[y/n/?]" not in seen and time.monotonic() < deadline:  # waiting for the first answer
        seen += proc.stdout.read(1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == "toeprob: interrupted" and "Traceback" not in err


def test_replay_summary_agrees_with_its_under_triage_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        {  # no red flag, but a minimum the benign story cannot reach: under-triaged
            "id": "low",
            "evidence": {"twitch": True, "night": True},
            "gold_cause": "benign",
            "urgency_min": "urgent",
            "urgency_max": "emergency",
        },
        {
            "id": "fine",
            "evidence": {"twitch": True, "night": True},
            "gold_cause": "benign",
            "urgency_min": "self_care",
            "urgency_max": "routine",
        },
        {  # a red flag reaching its minimum: the final check asks it
            "id": "flag",
            "evidence": {"twitch": True, "weak": True, "drop": True},
            "gold_cause": "serious",
            "urgency_min": "urgent",
            "urgency_max": "emergency",
        },
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    assert main(["--model", TINY, "replay", str(path), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar unless asked for (or on a terminal)
    lines = out.splitlines()
    assert "under-triaged at stop: 1 of 3" in lines
    listed = [line.split(":")[0].strip() for line in lines if line.startswith("  ")]
    assert listed == ["low"]
    assert "under-triaged among the 1 cases with a red flag reaching their minimum: 0" in lines
    assert main(["--model", TINY, "replay", str(path), "--json", "--progress"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["under_triaged"] == ["low"] and data["summary"]["under_triage"] == 1
    assert "replay" in err and "3/3" in err  # the progress bar
