"""Fuzz tests: model files mutated from the default, case files and batch frames.

Every outcome is a result or one of toeprob's errors (never a bare ``TypeError``, ``KeyError``,
``RecursionError``, ...), within a time bound (hypothesis deadlines). The example counts keep the
whole module to some seconds in CI; set ``TOEPROB_FUZZ_EXAMPLES`` to run more, e.g. 2000.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import toeprob
from toeprob import Model, ToeprobError, evaluate, load_model, rank_batch, rank_causes
from toeprob.knowledge.casefile import loads_cases

DEFAULT_TEXT = (Path(toeprob.__file__).parent / "models" / "default.toml").read_text(encoding="utf-8")
DEFAULT = tomllib.loads(DEFAULT_TEXT)


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=int(os.environ.get("TOEPROB_FUZZ_EXAMPLES", examples)),
        deadline=timedelta(seconds=15),  # generous: the machine is shared; a hang still fails
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def _outcome(call: Any) -> Any:
    """The result of ``call()``, or the toeprob error it raised; any other exception fails the test."""
    try:
        return call()
    except ToeprobError as exc:
        assert isinstance(exc, ValueError | TypeError | KeyError), type(exc)
        assert len(str(exc)) < 2000, str(exc)[:300]
        return exc


# ------------------------------------------------------------------------------------ model files
WORDS = [
    "common",
    "rare",
    "very rare",
    "usually",
    "often",
    "sometimes",
    "self_care",
    "emergency",
    "001",
    "clinical",
    "cramp",
    "tetanus",
    "",
    " ",
    "x`<b>",
    "Ä",
    "a\nb",
    "cramp\n",
    "1.0",
]
NUMBERS: list[Any] = [
    0,
    1,
    -1,
    2,
    0.0,
    1.0,
    0.5,
    1e-300,
    5e-324,
    -0.0,
    1e308,
    math.inf,
    -math.inf,
    math.nan,
    10**40,
    3,
    8,
    9,
    0.3,
    0.05,
]
SCALARS = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(NUMBERS),
    st.booleans(),
    st.text(max_size=12),
    st.floats(allow_nan=True),
    st.integers(-(10**30), 10**30),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=3),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = [p for p in _paths(DEFAULT) if p]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated_models(draw: Any) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT)
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        path = draw(st.sampled_from(PATHS))
        try:
            parent, key = _get(data, path[:-1]), path[-1]
            current = parent[key]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed it
        op = draw(
            st.sampled_from(["type", "word", "word", "number", "delete", "copy", "wrap", "rename", "add"])
        )
        if op == "type":
            parent[key] = draw(VALUES)
        elif op == "word" and isinstance(current, str):
            parent[key] = draw(st.sampled_from(WORDS))
        elif op == "number":
            parent[key] = draw(st.sampled_from(NUMBERS))
        elif op == "delete" and isinstance(parent, dict):
            del parent[key]
        elif op == "copy" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["cramp", "new_node", "numbness", "tetanus", "x" * 300]))] = current
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[current], {"value": current}]))
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(WORDS))] = parent.pop(key)
        elif op == "add" and isinstance(current, dict):
            current[draw(st.sampled_from(WORDS))] = draw(VALUES)
    return data


def _use(model: Model) -> None:
    """Rank with no evidence and with a few findings present: a result or a toeprob error."""
    _outcome(lambda: rank_causes({}, model=model))
    present = {f: True for f in model.findings[:3]}
    _outcome(lambda: rank_causes(present, model=model))


@pytest.mark.slow
@_fuzz(40)
@given(data=mutated_models())
def test_mutated_model_structures(data: dict[str, Any]) -> None:
    model = _outcome(lambda: Model.from_dict(data, "mutated.toml"))
    event("loaded" if isinstance(model, Model) else "refused")
    if isinstance(model, Model):
        _use(model)


SNIPPETS = [
    "[",
    "]",
    "{",
    "}",
    "=",
    '"',
    "'",
    '"""',
    "'''",
    "\n",
    "#",
    ".",
    ",",
    "1e999",
    "true",
    "nan",
    "-inf",
    "0x1F",
    "1979-05-27",
    "\\",
    "\\u0000",
    "[[causes]]",
    "[causes.x]",
    "a.b.c = 1",
    "\t",
    " ",
]


@st.composite
def mutated_texts(draw: Any) -> bytes:
    text = DEFAULT_TEXT
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace_line", "duplicate_line"]))
        if op == "insert":
            text = text[:at] + draw(st.sampled_from(SNIPPETS) | st.text(max_size=5)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        else:
            lines = text.split("\n")
            i = min(at * len(lines) // max(len(text), 1), len(lines) - 1)
            if op == "replace_line":
                lines[i] = draw(st.sampled_from(SNIPPETS) | st.text(max_size=20))
            else:
                lines.insert(i, lines[i])
            text = "\n".join(lines)
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\x00", b"\xc3", b"\xef\xbb\xbf"])) + raw[at:]
    return raw


@_fuzz(40)
@given(raw=mutated_texts())
def test_mutated_model_texts(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "model.toml"
    path.write_bytes(raw)
    model = _outcome(lambda: load_model(path))
    event("loaded" if isinstance(model, Model) else "refused")
    if isinstance(model, Model):
        _use(model)
    else:
        assert str(model).startswith(f"{path}: ")


# ------------------------------------------------------------------------------------- case files
GOOD_CASE: dict[str, Any] = {
    "id": "c1",
    "evidence": {"cramp": True, "tight_footwear": True},
    "gold_cause": "ill_fitting_footwear",
    "acceptable": ["muscle_fatigue"],
    "urgency_min": "self_care",
    "urgency_max": "routine",
}
CASE_KEYS = [*GOOD_CASE, "story", "basis", "kind", "stroy", "Id", ""]
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["cramp", "dehydration", "urgent", "self_care", "yes", "", "tetanus", "c1", "x" * 500]),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(CASE_KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def case_files(draw: Any) -> Any:
    cases = []
    for n in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):
        case = copy.deepcopy(GOOD_CASE)
        case["id"] = draw(st.sampled_from([f"c{n}", f"c{n}", "c1"]))
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
            key = draw(st.sampled_from(CASE_KEYS))
            if draw(st.booleans()) and key in case:
                del case[key]
            else:
                case[key] = draw(JSON_VALUES)
        if not draw(st.integers(0, 3)):
            case["evidence"] = draw(
                st.dictionaries(
                    st.sampled_from(["cramp", " numbness", "diabetes", "tetanus", "x"]),
                    st.booleans() | JSON_SCALARS,
                    max_size=3,
                )
            )
        cases.append(case if draw(st.integers(0, 9)) else draw(JSON_VALUES))
    return (
        draw(st.sampled_from([cases, cases, cases, {"cases": cases}, {"cases": cases, "x": 1}]))
        if cases
        else draw(JSON_VALUES)
    )


MODEL = load_model()
LEVELS = ["self_care", "routine", "soon", "urgent", "emergency"]


@st.composite
def valid_case_files(draw: Any) -> list[dict[str, Any]]:
    """Case files that follow the schema: evaluate must score them."""
    cases = []
    for n in range(draw(st.integers(1, 3))):
        low, high = sorted(draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
        evidence = draw(
            st.dictionaries(
                st.sampled_from([*MODEL.findings, *MODEL.risk_factors]),
                st.sampled_from([True, False, "yes", "no", None]),
                max_size=5,
            )
        )
        cases.append(
            {
                "id": f"v{n}",
                "evidence": evidence,
                "gold_cause": draw(st.sampled_from(MODEL.causes)),
                "acceptable": draw(st.lists(st.sampled_from(MODEL.causes), max_size=2)),
                "urgency_min": LEVELS[low],
                "urgency_max": LEVELS[high],
            }
        )
    return cases


@_fuzz(60)
@given(
    data=valid_case_files() | case_files(),
    encoding=st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]),
)
def test_case_files(data: Any, encoding: str) -> None:
    try:
        raw = json.dumps(data, ensure_ascii=False).encode(encoding)
    except UnicodeEncodeError:
        raw = json.dumps(data).encode(encoding)
    cases = _outcome(lambda: loads_cases(raw, source="fuzz.json"))
    event("loaded" if isinstance(cases, tuple) else "refused")
    if isinstance(cases, tuple):
        report = _outcome(lambda: evaluate(cases))
        assert not isinstance(report, ToeprobError) or isinstance(report, toeprob.ImpossibleEvidenceError)
    else:
        assert str(cases).startswith("fuzz.json: ")


@_fuzz(30)
@given(text=st.text(alphabet='[]{}",:0123456789.eE-+ truefalsnu\\\n', max_size=200))
def test_case_file_texts(text: str) -> None:
    _outcome(lambda: loads_cases(text, source="fuzz.json"))


# ------------------------------------------------------------------------------------ batch frames
CELLS = st.one_of(
    st.sampled_from([True, False, None, np.nan, pd.NA, "yes", "no", "?", "", 1, 0, 1.0, np.True_, "maybe"]),
    st.text(max_size=4),
    st.floats(),
    st.lists(st.booleans(), max_size=2),
)
NAMES = st.sampled_from(
    ["cramp", "numbness", " cramp", "diabetes", "tetanus", "numbnes", "", 3, None, ("cramp",)]
)


@st.composite
def frames(draw: Any) -> pd.DataFrame:
    n_rows = draw(st.integers(0, 4))
    columns = draw(st.lists(NAMES, max_size=4))
    data = {}
    frame = pd.DataFrame(
        index=draw(st.sampled_from([pd.RangeIndex(n_rows), pd.Index([f"r{i}" for i in range(n_rows)])]))
    )
    for i in range(len(columns)):
        dtype = draw(st.sampled_from([object, "boolean", "string", bool, float, "category"]))
        cells = [draw(CELLS) for _ in range(n_rows)]
        try:
            series = pd.Series(cells, dtype=dtype, index=frame.index)
        except Exception:  # pandas cannot hold these cells in this dtype
            series = pd.Series(cells, dtype=object, index=frame.index)
        data[i] = series
    frame = pd.concat([frame, pd.DataFrame(data, index=frame.index)], axis=1) if data else frame
    frame.columns = pd.Index(columns, dtype=object, tupleize_cols=False) if data else frame.columns
    return frame


@_fuzz(60)
@given(frame=frames(), chunk=st.integers(1, 3))
def test_batch_frames(frame: pd.DataFrame, chunk: int) -> None:
    out = _outcome(lambda: rank_batch(frame, chunk_size=chunk))
    event("scored" if isinstance(out, pd.DataFrame) else "refused")
    if isinstance(out, pd.DataFrame):
        assert len(out) == len(frame) and list(out.index) == list(frame.index)
        rows = frame.astype(object).to_dict(orient="records")
        single = _outcome(lambda: [rank_causes(r).top.cause for r in rows])
        assert single == out["top_cause"].tolist()
