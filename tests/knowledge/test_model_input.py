"""Model files from hostile or careless hands: each ends in one ModelFileError that names the file."""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import toeprob
from toeprob import Model, ModelFileError, load_model
from toeprob.cli.commands import main
from toeprob.errors import ParameterError

TINY = Path(__file__).parents[1] / "data" / "tiny.toml"


def _load_error(path: str | Path, **kwargs: Any) -> str:
    with pytest.raises(ModelFileError) as info:
        load_model(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_without_reading() -> None:
    start = time.perf_counter()
    assert "a character device, not a regular file" in _load_error("/dev/zero")
    assert time.perf_counter() - start < 5


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "model.toml"
    os.mkfifo(fifo)
    assert "FIFO" in _load_error(fifo)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    assert "a directory, not a regular file" in _load_error(tmp_path)


def test_size_limit_is_settable(tmp_path: Path) -> None:
    assert "more than the limit of 100 (max_bytes)" in _load_error(TINY, max_bytes=100)
    assert load_model(TINY, max_bytes=TINY.stat().st_size).name == load_model(TINY).name
    with pytest.raises(ParameterError, match="max_bytes"):
        load_model(TINY, max_bytes=0)


def test_non_utf8_is_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin.toml"
    latin.write_bytes(TINY.read_bytes().replace(b"# ", b"# \xe9 ", 1))
    assert "not UTF-8 text: byte 0xe9" in _load_error(latin)
    utf16 = tmp_path / "utf16.toml"
    utf16.write_bytes(TINY.read_text().encode("utf-16"))
    assert "UTF-16" in _load_error(utf16)


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 200_000,
        "a = " + "{b = " * 200_000,
        "a = " + "[" * 200_000 + "]" * 200_000,
        "[" + ".".join(["a"] * 100_000) + "]\nx = 1\n",
        "a" + ".a" * 100_000 + " = 1\n",
    ],
    ids=["arrays", "inline-tables", "closed-arrays", "dotted-header", "dotted-key"],
)
def test_deep_nesting_is_refused_quickly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text)
    start = time.perf_counter()
    message = _load_error(path)
    assert "more than 32" in message
    assert time.perf_counter() - start < 5


def test_deep_structure_from_dict_is_refused() -> None:
    data: dict[str, Any] = {}
    node = data
    for _ in range(10_000):
        node["a"] = {}
        node = node["a"]
    with pytest.raises(ModelFileError, match="nest more than 32 levels"):
        Model.from_dict(data, "deep")
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(ModelFileError, match="nest more than 32 levels"):
        Model.from_dict(cyclic, "cyclic")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema_version = [\n", "not valid TOML"),
        ("schema_version = " + "9" * 5000 + "\n", "not valid TOML"),
        ("a = 1\na = 2\n", "not valid TOML"),
    ],
)
def test_every_parse_failure_is_a_model_file_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert message in _load_error(path)


def test_a_path_of_the_wrong_type_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="'path' parameter of load_model"):
        load_model(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: "/dev/zero",
        lambda tmp: tmp,
        lambda tmp: (tmp / "x.toml").write_bytes(b"\xff\xfe\x00") and tmp / "x.toml",
        lambda tmp: (tmp / "d.toml").write_text("a = " + "[" * 100_000) and tmp / "d.toml",
        lambda tmp: (os.mkfifo(tmp / "f.toml"), tmp / "f.toml")[1],
    ],
    ids=["device", "directory", "utf16", "deep", "fifo"],
)
def test_cli_model_errors_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any
) -> None:
    if sys.platform == "win32":
        pytest.skip("POSIX special files")
    path = make(tmp_path)
    assert main(["--model", str(path), "rank", "cramp=yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"toeprob: error: {path}: ") and err.count("\n") == 1, err


# ------------------------------------------------------------------------------- loose validation
def _error(tiny_data: dict[str, Any], edit: Any) -> str:
    data = copy.deepcopy(tiny_data)
    edit(data)
    with pytest.raises(ModelFileError) as info:
        Model.from_dict(data, "edited.toml")
    message = str(info.value)
    assert message.startswith("edited.toml: "), message
    return message


LOOSE: list[tuple[Any, str]] = [
    (lambda d: d.update(schema_version=True), "schema_version must be 1 (an integer), got true (bool)"),
    (lambda d: d.update(schema_version=1.0), "schema_version must be 1 (an integer), got 1.0 (float)"),
    (lambda d: d.pop("schema_version"), "schema_version must be 1 (an integer), got None"),
    (
        lambda d: d["model"].update(version={"a": 1}),
        "[model]: key 'version' must be a non-empty string, got a table",
    ),
    (lambda d: d["model"].update(version=2), "key 'version' must be a non-empty string, got 2 (int)"),
    (lambda d: d["model"].update(description={"a": 1}), "[model]: key 'description' must be a string"),
    (lambda d: d["triage"].update(description=["x"]), "[triage]: key 'description' must be a string"),
    (
        lambda d: d["triage"]["thresholds"].update(emergency=0.5),
        "thresholds must fall as the level rises, but emergency = 0.5",
    ),
    (lambda d: d["triage"]["thresholds"].update(soon=d["triage"]["thresholds"]["routine"]), "but soon ="),
    (
        lambda d: d["findings"]["ache"].update(red_flag_floor="self_care"),
        "[findings.ache]: key 'red_flag_floor': 'self_care' is no floor",
    ),
    (lambda d: d["findings"].update({"ache\n": d["findings"].pop("ache")}), "'ache\\n' is not an identifier"),
    (lambda d: d["causes"].update({"x" * 10_000: {}}), "[causes.xxxxxxxx"),
    (lambda d: d["scales"]["strength"]["values"].update(often=10**400), "'values.often': 1000"),
    (lambda d: d["sources"].update({"": "x"}), "[sources]: a source needs a non-empty key"),
]


@pytest.mark.parametrize(("edit", "expected"), LOOSE)
def test_loose_values_are_refused(tiny_data: dict[str, Any], edit: Any, expected: str) -> None:
    message = _error(tiny_data, edit)
    assert expected in message, message
    assert len(message) < 400, message


def test_identifier_with_a_newline_does_not_load(tmp_path: Path) -> None:
    text = TINY.read_text().replace("[findings.ache]", '[findings."ache\\n"]')
    assert text != TINY.read_text()
    path = tmp_path / "newline.toml"
    path.write_text(text)
    assert "is not an identifier" in _load_error(path)


def test_the_default_model_still_loads() -> None:
    assert toeprob.load_model().causes


def test_a_large_file_is_refused_before_reading(tmp_path: Path) -> None:
    import tracemalloc

    big = tmp_path / "big.toml"
    with big.open("wb") as handle:  # sparse: 64 MiB that take no disk space
        handle.truncate(64 * 2**20)
    tracemalloc.start()
    try:
        message = _load_error(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "67,108,864 bytes, more than the limit of 8,388,608 (max_bytes)" in message
    assert peak < 2**20
