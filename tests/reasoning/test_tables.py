"""Case tables and `toeprob batch`: the numbers of rank_batch, exactly; errors name file, row and column."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toeprob import EvidenceError, Model, UnknownIdentifierError, rank_batch
from toeprob.cli.commands import main
from toeprob.errors import CaseTableError, MissingDependencyError
from toeprob.reasoning.tables import read_cases, score_file, table_format, write_results

PRESENT = ["yes", "YES", " true ", "1", "y", "present", "True"]
ABSENT = ["no", "No", "false", "0", "n", "absent", " FALSE"]
UNKNOWN = ["", "unknown", "?", "  "]


def _truth(model: Model, n: int, seed: int) -> pd.DataFrame:
    """Cases as True/False/None in 12 columns; the reference input of rank_batch."""
    rng = np.random.default_rng(seed)
    ids = [str(i) for i in rng.choice([*model.findings, *model.risk_factors], size=12, replace=False)]
    values = rng.choice(np.array([True, False, None], dtype=object), size=(n, len(ids)), p=[0.25, 0.25, 0.5])
    return pd.DataFrame(values, columns=ids, index=pd.Index([f"case{k}" for k in range(n)], name="id"))


def _spell(value: Any, rng: np.random.Generator) -> str:
    words = PRESENT if value is True else ABSENT if value is False else UNKNOWN
    return str(rng.choice(words))


def _write_csv(truth: pd.DataFrame, path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    spelled = truth.map(lambda v: _spell(v, rng))
    spelled.reset_index().to_csv(path, index=False)


def _read_output(path: Path) -> pd.DataFrame:
    fmt = table_format(path)
    if fmt == "csv":
        return pd.read_csv(path, keep_default_na=False).set_index("id")
    if fmt == "jsonl":
        return pd.DataFrame([json.loads(line) for line in path.read_text().splitlines()]).set_index("id")
    return pd.read_parquet(path).set_index("id")


def _assert_same_numbers(out: pd.DataFrame, expected: pd.DataFrame, model: Model) -> None:
    assert list(out.index) == list(expected.index)
    assert list(out.columns) == list(expected.columns)
    floats = [*model.causes, "top_probability"]
    got = out[floats].to_numpy(dtype=np.float64)
    want = expected[floats].to_numpy(dtype=np.float64)
    assert np.array_equal(got.view(np.uint64), want.view(np.uint64))  # bit for bit
    assert out["top_cause"].tolist() == expected["top_cause"].tolist()
    assert [str(u) for u in out["urgency"]] == [str(u) for u in expected["urgency"]]


@pytest.mark.parametrize("out_name", ["out.csv", "out.jsonl", "out.parquet"])
def test_cli_batch_writes_the_numbers_of_rank_batch(
    tmp_path: Path, model: Model, out_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if out_name.endswith(".parquet"):
        pytest.importorskip(
            "pyarrow", reason='Parquet needs the parquet extra: pip install "toeprob[parquet]"'
        )
    truth = _truth(model, 300, seed=5)
    _write_csv(truth, tmp_path / "cases.csv", seed=6)
    assert main(["batch", str(tmp_path / "cases.csv"), "-o", str(tmp_path / out_name)]) == 0
    printed = capsys.readouterr()
    assert "Scored 300 cases" in printed.out and "not a medical device" in printed.out
    assert printed.err == ""  # no progress bar: standard error is not a terminal here
    _assert_same_numbers(_read_output(tmp_path / out_name), rank_batch(truth, model=model), model)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_jsonl_and_parquet_cases_read_like_csv(tmp_path: Path, model: Model, fmt: str) -> None:
    truth = _truth(model, 50, seed=8)
    if fmt == "jsonl":
        path = tmp_path / "cases.jsonl"
        lines = []
        for ident, row in truth.iterrows():
            # booleans, 1/0 and words; unknown as null or left out
            cells = {
                k: [v, int(v), "yes" if v else "no"][len(lines) % 3] for k, v in row.items() if v is not None
            }
            lines.append(json.dumps({"id": ident, **cells}))
        path.write_text("\n".join(lines) + "\n\n")
    else:
        pytest.importorskip(
            "pyarrow", reason='Parquet needs the parquet extra: pip install "toeprob[parquet]"'
        )
        path = tmp_path / "cases.parquet"
        truth.astype("boolean").to_parquet(path)  # nullable booleans, the id as a stored index
    frame = read_cases(path)
    assert frame.index.name == "id" and list(frame.index) == list(truth.index)
    assert frame.reindex(columns=truth.columns).equals(truth.astype(object).where(truth.notna(), None))
    out = score_file(path, tmp_path / "out.csv", model=model)
    _assert_same_numbers(out, rank_batch(truth, model=model), model)


def test_rows_are_numbered_without_an_id_column(tmp_path: Path, model: Model) -> None:
    (tmp_path / "cases.csv").write_text("cramp,numbness\nyes,\n,no\n")
    out = score_file(tmp_path / "cases.csv", tmp_path / "out.csv", model=model)
    assert out.index.name == "row" and list(out.index) == [1, 2]
    written = pd.read_csv(tmp_path / "out.csv")
    assert list(written.columns[:2]) == ["row", model.causes[0]]
    assert written["row"].tolist() == [1, 2]
    expected = rank_batch([{"cramp": True}, {"numbness": False}], model=model)
    assert np.array_equal(written[list(model.causes)].to_numpy(), expected[list(model.causes)].to_numpy())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(st.tuples(*[st.sampled_from([*PRESENT, *ABSENT, *UNKNOWN])] * 3), min_size=1, max_size=6)
)
def test_every_accepted_spelling_decodes_to_its_meaning(tmp_path: Path, cells: list[tuple[str, ...]]) -> None:
    path = tmp_path / "cases.csv"
    pd.DataFrame(cells, columns=["cramp", "numbness", "diabetes"]).to_csv(path, index=False)
    frame = read_cases(path)
    for row, spelled in zip(frame.itertuples(index=False), cells, strict=True):
        for value, word in zip(row, spelled, strict=True):
            expected = True if word in PRESENT else False if word in ABSENT else None
            assert value is expected or (value == expected and expected is not None)


def test_progress_bar_only_when_asked_or_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cases.csv").write_text("cramp\nyes\nno\n")
    args = ["batch", str(tmp_path / "cases.csv"), "-o", str(tmp_path / "out.csv")]
    assert main([*args, "--progress"]) == 0
    assert "toeprob" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(args) == 0
    assert "toeprob" in capsys.readouterr().err
    assert main([*args, "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("name", "text", "pattern"),
    [
        (
            "c.csv",
            "id,cramp\na,yes\nb,often\n",
            r"c\.csv: row 2 \(id 'b'\), column 'cramp': 'often' is not an accepted",
        ),
        ("c.csv", "cramp,numbness\nyes,2\n", r"row 1, column 'numbness': '2'.*yes/no, true/false or 1/0"),
        ("c.csv", "cramp,cramp\nyes,no\n", r"column 'cramp' appears twice \(columns 1 and 2\)"),
        ("c.csv", "cramp,\nyes,no\n", r"column 2 has no name"),
        ("c.csv", "", r"the file is empty"),
        ("c.csv", "id,cramp\na,yes\n,no\n", r"row 2, column 'id': every case needs an id"),
        ("c.csv", "cramp\nyes\n\nyes,no\n", r"line 4 \(row 2\) has 2 cells; the header names 1 columns"),
        ("c.jsonl", '{"cramp": true}\n{"cramp": 2}\n', r"row 2, column 'cramp': 2 is not an accepted"),
        ("c.jsonl", '{"cramp": true}\n\n{"cramp": [1]}\n', r"line 3 \(row 2\), column 'cramp': \[1\]"),
        ("c.jsonl", '{"cramp": true}\nnot json\n', r"line 2 \(row 2\): not valid JSON"),
        ("c.jsonl", '["cramp"]\n', r"line 1 \(row 1\): each line must be a JSON object"),
        ("c.xlsx", "", r"cannot tell the table format from the ending '\.xlsx'; use a file ending in \.csv"),
    ],
)
def test_read_cases_raises_naming_file_row_and_column(
    tmp_path: Path, name: str, text: str, pattern: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(CaseTableError, match=pattern):
        read_cases(path)


def test_score_file_raises_for_columns_and_paths(tmp_path: Path, model: Model) -> None:
    cases = tmp_path / "cases.csv"
    cases.write_text("cramps,numbness\nyes,often\n")  # the column name is reported before the cell
    with pytest.raises(UnknownIdentifierError, match=r"cases\.csv: column 'cramps'.*Closest: cramp"):
        score_file(cases, tmp_path / "out.csv", model=model)
    cases.write_text("tetanus\nyes\n")
    with pytest.raises(EvidenceError, match="column 'tetanus': 'tetanus' is a cause"):
        score_file(cases, tmp_path / "out.csv", model=model)
    with pytest.raises(CaseTableError, match="would overwrite the case table"):
        score_file(cases, cases, model=model)
    with pytest.raises(CaseTableError, match=r"missing\.csv: cannot read the case table"):
        score_file(tmp_path / "missing.csv", tmp_path / "out.csv", model=model)
    cases.write_text("cramp\nyes\n")
    with pytest.raises(CaseTableError, match="cannot write the output table"):
        score_file(cases, tmp_path / "no-such-folder" / "out.csv", model=model)
    with pytest.raises(CaseTableError, match=r"ending '\.txt'"):
        score_file(cases, tmp_path / "out.txt", model=model)


def test_cli_errors_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cases.csv").write_text("cramp\nsometimes\n")
    assert main(["batch", str(tmp_path / "cases.csv"), "-o", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toeprob: error: ") and "row 1, column 'cramp': 'sometimes'" in err
    assert "Traceback" not in err and not (tmp_path / "out.csv").exists()


def test_parquet_without_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cases.csv").write_text("cramp\nyes\n")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # makes `import pyarrow.parquet` fail
    with pytest.raises(MissingDependencyError, match=r'pip install "toeprob\[parquet\]"') as info:
        score_file(tmp_path / "cases.csv", tmp_path / "out.parquet")
    assert isinstance(info.value, ImportError)
    with pytest.raises(MissingDependencyError, match=r"toeprob\[parquet\]"):
        read_cases(tmp_path / "cases.parquet")
    with pytest.raises(MissingDependencyError, match=r"toeprob\[parquet\]"):
        write_results(rank_batch([{"cramp": True}]), tmp_path / "out.pq")
    assert not (tmp_path / "out.parquet").exists()


def test_parquet_output_carries_the_statement(tmp_path: Path) -> None:
    pq = pytest.importorskip(
        "pyarrow.parquet", reason='needs the parquet extra: pip install "toeprob[parquet]"'
    )
    write_results(rank_batch([{"cramp": True}]), tmp_path / "out.parquet")
    metadata = pq.read_schema(tmp_path / "out.parquet").metadata
    assert b"not a medical device" in metadata[b"toeprob.disclaimer"]
    urgency = pd.read_parquet(tmp_path / "out.parquet")["urgency"]
    assert urgency.cat.ordered and urgency.cat.categories.tolist() == [
        "self_care",
        "routine",
        "soon",
        "urgent",
        "emergency",
    ]


def test_empty_tables(tmp_path: Path, model: Model) -> None:
    (tmp_path / "cases.csv").write_text("cramp,numbness\n")
    out = score_file(tmp_path / "cases.csv", tmp_path / "out.jsonl", model=model)
    assert len(out) == 0 and (tmp_path / "out.jsonl").read_text() == ""
    (tmp_path / "cases.jsonl").write_text("")
    assert len(score_file(tmp_path / "cases.jsonl", tmp_path / "out.csv", model=model)) == 0


def test_the_documented_example_table(tmp_path: Path, model: Model) -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "cases.csv"
    out = score_file(example, tmp_path / "scores.csv", model=model)
    assert out.loc["shoes", "top_cause"] == "ill_fitting_footwear"
    assert out.loc["neuropathy", "top_cause"] == "peripheral_neuropathy"
    assert (
        out.loc["unknown_all", list(model.causes)]
        == rank_batch([{}], model=model).iloc[0, : len(model.causes)]
    ).all()
