"""The pgmpy export is exactly the model: checked against brute-force enumeration."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.brute_force import BruteForceEngine
from toeprob import Model
from toeprob.inference.engines import create_engine
from toeprob.inference.pgmpy_bridge import STATES, network_name, noisy_or_table, or_node_name, to_pgmpy
from toeprob.knowledge.evidence import parse_evidence


def test_noisy_or_table_layout() -> None:
    table = noisy_or_table(0.1, [0.5, 0.2])
    # columns: (p1, p2) = 00, 01, 10, 11 with the first parent slowest
    expected_absent = 0.9 * np.array([1.0, 0.8, 0.5, 0.4])
    np.testing.assert_allclose(table[0], expected_absent)
    np.testing.assert_allclose(table.sum(axis=0), 1.0)


@pytest.mark.slow  # imports pgmpy
def test_default_network_is_valid(model: Model) -> None:
    net = model.to_pgmpy()
    assert net.check_model()
    for cpd in net.get_cpds():
        assert tuple(cpd.state_names[cpd.variable]) == STATES
    assert set(model.causes) | set(model.findings) | set(model.risk_factors) <= set(net.nodes())


@pytest.mark.slow
@pytest.mark.parametrize("max_parents", [None, 2, 3])
def test_export_is_exact_on_the_tiny_model(tiny: Model, max_parents: int | None) -> None:
    from pgmpy.inference import VariableElimination

    net = to_pgmpy(tiny, max_table_parents=max_parents)
    assert net.check_model()
    oracle = BruteForceEngine(tiny)
    infer = VariableElimination(net)
    rng = np.random.default_rng(7)
    for _ in range(10):
        fs = rng.integers(-1, 2, len(tiny.findings)).astype(np.int8)
        rs = rng.integers(-1, 2, len(tiny.risk_factors)).astype(np.int8)
        ev = {f: STATES[s] for f, s in zip(tiny.findings, fs, strict=True) if s >= 0}
        ev |= {r: STATES[s] for r, s in zip(tiny.risk_factors, rs, strict=True) if s >= 0}
        expected = oracle.posterior(fs, rs)
        for i, cause in enumerate(tiny.causes):
            q = infer.query([cause], evidence=ev, show_progress=False)
            assert q.values[list(q.state_names[cause]).index("present")] == pytest.approx(
                expected[i], abs=1e-12
            )


@pytest.mark.slow  # imports pgmpy
def test_to_pgmpy_raises_on_bad_parent_limit(tiny: Model) -> None:
    with pytest.raises(ValueError, match="max_table_parents"):
        to_pgmpy(tiny, max_table_parents=1)


# evidence sets for the round trip: none, a typical story, red flags, a mix with absent findings
ROUND_TRIP_EVIDENCE = [
    {},
    {"numbness": True, "burning_pain": True, "diabetes": True},
    {"cramp": True, "fasciculation": False, "muscle_weakness": True, "foot_drop": True},
    {"cramp": True, "tight_footwear": True, "while_wearing_shoes": True, "numbness": False},
]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["bif", "xmlbif"])
def test_export_round_trips_through_pgmpy_readers(model: Model, tmp_path: Path, fmt: str) -> None:
    from pgmpy.inference import VariableElimination
    from pgmpy.readwrite import BIFReader, XMLBIFReader

    path = tmp_path / f"toeprob.{fmt}"
    if fmt == "bif":
        model.to_bif(path)
        net = BIFReader(path, include_properties=True).get_model()
        roles = {n: f"role={net.nodes[n]['role']}" for n in net.nodes()}
    else:
        model.to_xmlbif(path)
        reader = XMLBIFReader(path)
        net = reader.get_model()
        roles = {n: props[0] for n, props in reader.get_property().items()}
    assert net.name == network_name(model) == model.name
    assert set(net.nodes()) == set(model.to_pgmpy().nodes())
    own = {*model.risk_factors, *model.causes, *model.findings}
    helpers = set(net.nodes()) - own
    assert helpers, "the default model has findings with many parents, so OR chains"
    for name in helpers:
        match = re.fullmatch(r"or__(\w+?)__(\d+)", name)
        assert match and match[1] in own and or_node_name(match[1], int(match[2])) == name
        assert roles[name].replace(" ", "") == "role=or_chain"
    assert roles["cramp"].replace(" ", "") == "role=finding"
    assert roles[model.causes[0]].replace(" ", "") == "role=cause"

    engine = create_engine(model, "fast")
    infer = VariableElimination(net)
    for evidence in ROUND_TRIP_EVIDENCE:
        ev = parse_evidence(evidence, model)
        expected = engine.posterior(ev.finding_state, ev.rf_state)
        states = {k: STATES[int(v)] for k, v in ev.values.items()}
        for i, cause in enumerate(model.causes):  # one query per cause (joint=False is far slower)
            factor = infer.query([cause], evidence=states, show_progress=False)
            got = factor.values[list(factor.state_names[cause]).index("present")]
            assert got == pytest.approx(expected[i], abs=1e-9), (evidence, cause)


@pytest.mark.slow  # imports pgmpy
def test_helper_names_that_clash_with_the_model_are_refused(tiny_data: dict[str, Any]) -> None:
    finding = next(iter(tiny_data["findings"]))
    clash = or_node_name(finding, 1)
    tiny_data["findings"][clash] = dict(tiny_data["findings"][finding])
    for cause in tiny_data["causes"].values():
        if finding in cause.get("findings", {}):
            cause["findings"][clash] = dict(cause["findings"][finding])
    clashing = Model.from_dict(tiny_data, "clash")
    with pytest.raises(ValueError, match=f"auxiliary node '{clash}'.*has the name of a node"):
        to_pgmpy(clashing, max_table_parents=2)
