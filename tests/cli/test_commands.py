"""The command line: rank, vocabulary, evaluate; errors exit non-zero with a clear message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from toeprob.cli.commands import main, parse_assignments


def test_rank_prints_causes_urgency_and_disclaimer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", "numbness=yes", "burning_pain=yes", "diabetes=yes", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "peripheral_neuropathy" in out
    assert "Urgency:" in out and "red flag numbness" in out
    assert "not a medical device" in out
    assert out.count(", prior") == 3


def test_rank_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", "cramp=yes,tight_footwear=yes", "--json", "--top", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["ranked"]) == 2 and data["evidence"] == {"cramp": True, "tight_footwear": True}


def test_vocabulary_lists_identifiers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vocabulary"]) == 0
    out = capsys.readouterr().out
    assert "foot_drop" in out and "red flag: at least urgent" in out and "tetanus" in out


def test_sources_lists_titles_and_citations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert "10 Reasons Your Toes Cramp" in out and "cited by" in out and "icsd3" in out
    assert main(["sources", "--json"]) == 0
    entries = {e["key"]: e for e in json.loads(capsys.readouterr().out)["sources"]}
    assert entries["003"]["title"] == "10 Reasons Your Toes Cramp" and entries["clinical"]["title"] is None


def test_evaluate_prints_metrics(capsys: pytest.CaptureFixture[str], dev_cases_path: Path) -> None:
    assert main(["evaluate", str(dev_cases_path)]) == 0
    out = capsys.readouterr().out
    for word in ("top-1:", "top-3:", "triage in range:", "under-triage:", "over-triage:"):
        assert word in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rank", "numbnes=yes"], "Closest: numbness"),
        (["rank", "tetanus=yes"], "is a cause"),
        (["rank", "numbness=perhaps"], "not an accepted value"),
        (["rank", "numbness="], "give a value"),
        (["--model", "no/such/file.toml", "rank"], "cannot read"),
        (["evaluate", "no/such/cases.json"], "cannot read the case file"),
    ],
)
def test_errors_exit_2_without_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("toeprob: error:") and message in err and "Traceback" not in err


@pytest.mark.slow  # a new process imports the package
def test_console_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "toeprob.cli", "rank", "foot_drop=yes"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Urgency: urgent" in result.stdout or "Urgency: emergency" in result.stdout


def test_parse_assignments_bare_name_means_yes() -> None:
    assert parse_assignments(["a", "b=no,c=yes"]) == {"a": "yes", "b": "no", "c": "yes"}


def test_cli_conflicting_duplicate_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", "cramp=yes", "cramp=no"]) == 2
    err = capsys.readouterr().err
    assert err == "toeprob: error: evidence 'cramp' is given twice with different values ('yes', 'no').\n"
    assert parse_assignments(["cramp=yes", "cramp=y", " cramp=present"]) == {"cramp": "yes"}
    assert parse_assignments(["cramp=yes", "cramp=?"]) == {"cramp": "yes"}
    assert parse_assignments(["cramp=?", "cramp=no"]) == {"cramp": "no"}
    assert main(["rank", "cramp=yes,cramp=no"]) == 2


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import toeprob

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"toeprob {toeprob.__version__}"


def test_installed_metadata_has_the_package_version() -> None:
    import importlib.metadata

    import toeprob

    assert importlib.metadata.version("toeprob") == toeprob.__version__


def test_rank_hide_unchanged_leaves_out_causes_at_their_prior(capsys: pytest.CaptureFixture[str]) -> None:
    import toeprob

    d = toeprob.rank_causes({"cramp": True})
    unchanged = [rc.cause for rc in d.ranked if not rc.changed]
    assert unchanged and "hypnic_jerk" in unchanged  # cramp says nothing about sleep jerks
    assert main(["rank", "cramp=yes", "--top", "100", "--hide-unchanged"]) == 0
    out = capsys.readouterr().out
    assert f"({len(unchanged)} causes left out" in out
    assert all(f" {cause} " not in out for cause in unchanged)
    assert all(f" {rc.cause} " in out for rc in d.ranked if rc.changed)
    assert d.to_text(top=100, hide_unchanged=True) in out


def test_rank_text_shows_labels_and_the_scoring_note(capsys: pytest.CaptureFixture[str]) -> None:
    import toeprob

    assert main(["rank", "cramp=yes", "--top", "3"]) == 0
    out = capsys.readouterr().out
    for rc in toeprob.rank_causes({"cramp": True}).ranked[:3]:
        assert f"{rc.cause} " in out and rc.label in out
    assert toeprob.results.diagnosis.SCORING_NOTE in out
    for line in out.splitlines():  # no nested parentheses
        depth = 0
        for ch in line:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth <= 1, line


INTERRUPTED_IMPORT = """
import builtins, sys
sys.argv = [{argv0!r}, "rank", "cramp=yes"]
real_import = builtins.__import__
def interrupting_import(name, *args, **kwargs):
    if name == "numpy":
        raise KeyboardInterrupt
    return real_import(name, *args, **kwargs)
builtins.__import__ = interrupting_import
import toeprob
"""


@pytest.mark.parametrize(("argv0", "code"), [("/usr/bin/toeprob", 130), ("notebook.py", -2)])
def test_ctrl_c_while_importing(argv0: str, code: int) -> None:
    # the command line stops with one line; a library import keeps Python's KeyboardInterrupt
    # (the interpreter then exits with -SIGINT)
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT.format(argv0=argv0)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code
    if code == 130:
        assert done.stderr == "toeprob: interrupted\n"
    else:
        assert "KeyboardInterrupt" in done.stderr


def test_rank_uncertainty_adds_the_intervals(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["rank", "cramp=yes", "during_exercise=yes", "--uncertainty", "--draws", "50", "--seed", "3"])
        == 0
    )
    out = capsys.readouterr().out
    assert "Over 50 models drawn" in out and "90% interval" in out and out.count("not a medical device") == 1
    assert (
        main(["rank", "cramp=yes", "--uncertainty", "--draws", "50", "--seed", "3", "--json", "--top", "2"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "uncertainty" and data["draws"] == 50 and len(data["causes"]) == 2


def test_sensitivity_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sensitivity", "dehydration", "cramp=yes", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "prior:dehydration" in out and len([ln for ln in out.splitlines() if ln.startswith("  ")]) == 3
    assert main(["sensitivity", "dehydratoin", "cramp=yes"]) == 2
    assert "Closest: dehydration" in capsys.readouterr().err
