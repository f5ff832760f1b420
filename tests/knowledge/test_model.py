"""The model file: the default model's contract and the loader's validation errors."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import toeprob
from toeprob import Model, ModelFileError, Urgency

SEED_PREFIX = re.compile(r"^\d{3}$")


def test_default_model_contains_every_vocabulary_identifier(model: Model, vocabulary: dict[str, Any]) -> None:
    assert set(vocabulary["causes"]) <= set(model.causes)
    assert set(vocabulary["findings"]) <= set(model.findings)
    assert set(vocabulary["risk_factors"]) <= set(model.risk_factors)


def test_default_model_matches_vocabulary_levels(model: Model, vocabulary: dict[str, Any]) -> None:
    for cid, spec in vocabulary["causes"].items():
        assert model.cause_specs[cid].care_level == Urgency.parse(spec["care_level"]), cid
        assert model.cause_specs[cid].frequency == spec["seed_frequency"], cid
    for fid, spec in vocabulary["findings"].items():
        floor = spec["red_flag_floor"]
        expected = None if floor is None else Urgency.parse(floor)
        assert model.finding_specs[fid].red_flag_floor == expected, fid


def test_every_cause_and_link_cites_a_declared_source(model: Model) -> None:
    for spec in model.cause_specs.values():
        assert spec.sources and set(spec.sources) <= set(model.sources)
    for link in (*model.risk_links, *model.finding_links):
        assert link.sources and set(link.sources) <= set(model.sources)
    # the articles by prefix, or a named textbook, guideline or clinical source described in the file
    assert {s for s in model.sources if SEED_PREFIX.match(s)} == {"000", "001", "002", "003", "004"}
    assert all(len(model.sources[s].split()) >= 4 for s in model.sources)


def test_cause_priors_are_their_marginals(model: Model) -> None:
    for cid, spec in model.cause_specs.items():
        absent = 1.0 - spec.leak
        for lk in model.links_to(cid):
            absent *= 1.0 - model.risk_factor_specs[lk.parent].prevalence * lk.probability
        assert 1.0 - absent == pytest.approx(spec.prior, rel=1e-12)
        if spec.population is None:
            assert spec.prior == model.scales["frequency"].values[spec.frequency]


def test_serious_causes_take_their_priors_from_population_figures(model: Model) -> None:
    assert model.symptomatic_share is not None
    for cid, spec in model.cause_specs.items():
        if spec.care_level >= Urgency.SOON:
            fig = spec.population
            assert fig is not None, f"{cid} has care level {spec.care_level} but no population figure"
            assert fig.reference and fig.figure and fig.sources
            assert spec.prior == pytest.approx(fig.adults * fig.toe_symptoms / model.symptomatic_share)


def test_rare_causes_are_not_inflated(model: Model) -> None:
    # a very rare cause among people with toe symptoms: well below 1 in 1,000
    assert model.cause_specs["tetanus"].prior < 1e-4
    assert model.cause_specs["motor_neuron_disease"].prior < 1e-3
    assert model.cause_specs["plmts"].prior < model.cause_specs["multiple_sclerosis"].prior
    assert model.cause_specs["plmts"].prior < model.cause_specs["movement_disorder"].prior


def test_every_question_is_a_question(model: Model) -> None:
    for spec in (*model.finding_specs.values(), *model.risk_factor_specs.values()):
        assert spec.question.rstrip().endswith("?"), spec.id


def test_load_model_is_cached_for_the_default(model: Model) -> None:
    assert toeprob.load_model() is model


def test_round_trip_through_dict(model: Model) -> None:
    again = Model.from_dict(model.to_dict(), "copy")
    assert again.causes == model.causes
    assert [lk.probability for lk in again.finding_links] == [lk.probability for lk in model.finding_links]


def test_editing_a_copy_changes_the_copy_only(model: Model) -> None:
    data = model.to_dict()
    data["causes"]["muscle_injury"]["frequency"] = "common"
    edited = Model.from_dict(data)
    assert edited.cause_specs["muscle_injury"].prior > model.cause_specs["muscle_injury"].prior
    assert model.to_dict()["causes"]["muscle_injury"]["frequency"] == "uncommon"


SHARE = {"symptomatic_share": 0.1, "source": "test share"}
POPULATION = {
    "figure": "test figure",
    "adults": 0.001,
    "toe_symptoms": "often",
    "reference": "test",
    "sources": ["001"],
}


def test_population_figure_sets_the_prior(tiny_data: dict[str, Any]) -> None:
    data = _broken(
        tiny_data,
        lambda d: (
            d.update(population=dict(SHARE)),
            d["causes"]["serious"].update(population=dict(POPULATION)),
        ),
    )
    spec = Model.from_dict(data).cause_specs["serious"]
    assert spec.prior == pytest.approx(0.001 * 0.5 / 0.1)
    assert spec.population is not None and spec.population.toe_symptoms_word == "often"


def _broken(tiny_data: dict[str, Any], edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(tiny_data)
    edit(data)
    return data


CASES = [
    (lambda d: d["causes"]["benign"].update(frequency="often"), r"\[causes\.benign\].*'often' is not a word"),
    (lambda d: d["causes"]["benign"].update(care_level="later"), r"\[causes\.benign\].*care_level"),
    (lambda d: d["causes"]["benign"].pop("sources"), r"\[causes\.benign\].*missing citation"),
    (
        lambda d: d["causes"]["benign"]["findings"]["twitch"].update(sources=["999"]),
        r"twitch.*'999' is not a key of \[sources\]",
    ),
    (
        lambda d: d["causes"]["benign"]["findings"].update(twich={"strength": "often", "sources": ["001"]}),
        r"\[causes\.benign\.findings\] twich: 'twich' is not a finding of model 'tiny'\. Closest: twitch\.",
    ),
    (lambda d: d["causes"]["benign"].pop("findings"), r"\[causes\.benign\].*at least one finding"),
    (lambda d: d["scales"]["strength"]["values"].update(often=1.0), r"values\.often.*\(0, 1\)"),
    (lambda d: d["scales"]["prevalence"]["values"].update(common=-0.2), r"values\.common.*\(0, 1\)"),
    (lambda d: d["findings"].update(benign=d["findings"]["twitch"]), r"duplicate identifier"),
    (
        lambda d: d["findings"]["twitch"].update(colour="red"),
        r"\[findings\.twitch\]: 'colour' is not a known key\. Allowed: ",
    ),
    (lambda d: d["findings"].update(lonely=dict(d["findings"]["ache"])), r"\[findings\.lonely\].*no cause"),
    (lambda d: d.update(schema_version=2), r"schema_version must be 1"),
    (lambda d: d["triage"]["thresholds"].pop("soon"), r"thresholds.*'soon'"),
    (lambda d: d["risk_factors"]["own"].update(prevalence="rare-ish"), r"risk_factors\.own.*rare-ish"),
    (
        lambda d: d["causes"]["serious"]["risk_factors"]["other"].update(strength="usually"),
        r"\[causes\.serious\].*risk factors alone",
    ),
    (lambda d: d["findings"].update({"Bad-Id": dict(d["findings"]["ache"])}), r"lower_snake_case"),
    (
        lambda d: d["causes"]["serious"].update(population=dict(POPULATION)),
        r"\[causes\.serious\.population\].*needs \[population\] symptomatic_share",
    ),
    (
        lambda d: (
            d.update(population=dict(SHARE)),
            d["causes"]["serious"].update(population={**POPULATION, "adults": 2}),
        ),
        r"\[causes\.serious\.population\].*'adults': 2 is not a probability",
    ),
    (
        lambda d: (
            d.update(population=dict(SHARE)),
            d["causes"]["serious"].update(population={**POPULATION, "toe_symptoms": "oft"}),
        ),
        r"\[causes\.serious\.population\].*'oft' is not a word of scales\.strength\. Closest: often",
    ),
    (
        lambda d: (
            d.update(population=dict(SHARE)),
            d["causes"]["serious"].update(population={**POPULATION, "rate": 1}),
        ),
        r"\[causes\.serious\.population\]: 'rate' is not a known key",
    ),
    (
        lambda d: (
            d.update(population={**SHARE, "symptomatic_share": 0.001}),
            d["causes"]["serious"].update(population={**POPULATION, "adults": 0.01}),
        ),
        r"\[causes\.serious\.population\].*is not a probability",
    ),
    (
        lambda d: d.update(source_titles={"999": "A title"}),
        r"\[source_titles\].*'999' is not a key of \[sources\]",
    ),
    (
        lambda d: d["triage"].update(red_flag_combination_size=4),
        r"red_flag_combination_size must be an integer 0\.\.3",
    ),
    (
        lambda d: d["triage"].update(unknown_when_unreported=["ache"]),
        r"'ache' is not a finding with a red_flag_floor",
    ),
]


@pytest.mark.parametrize(("edit", "message"), CASES)
def test_load_model_raises_on_bad_files(tiny_data: dict[str, Any], edit: Any, message: str) -> None:
    with pytest.raises(ModelFileError, match=message) as info:
        Model.from_dict(_broken(tiny_data, edit), "broken.toml")
    assert str(info.value).startswith("broken.toml: ")
    assert isinstance(info.value, ValueError)


def test_load_model_raises_on_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot read"):
        toeprob.load_model(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = [\n")
    with pytest.raises(ModelFileError, match=r"bad\.toml: not valid TOML"):
        toeprob.load_model(bad)


def test_tiny_model_leaks_solve_the_priors(tiny: Model) -> None:
    assert np.isclose(tiny.cause_specs["benign"].prior, 0.1)
    assert 0 < tiny.cause_specs["serious"].leak < tiny.cause_specs["serious"].prior
    assert tiny.red_flags == {"weak": Urgency.SOON, "drop": Urgency.URGENT}


def test_every_default_cause_has_a_plain_label(model: Model) -> None:
    for cid, spec in model.cause_specs.items():
        assert spec.label and spec.label != cid and "_" not in spec.label, cid
        assert "(" not in spec.label, cid  # labels sit inside parentheses in some displays


def test_a_cause_without_label_gets_one_from_its_identifier(tiny_data: dict[str, Any]) -> None:
    data = copy.deepcopy(tiny_data)
    cid = next(iter(data["causes"]))
    data["causes"][cid].pop("label", None)
    assert Model.from_dict(data).cause_specs[cid].label == toeprob.knowledge.model.humanize(cid)
    data["causes"][cid]["label"] = "A plain name"
    assert Model.from_dict(data).cause_specs[cid].label == "A plain name"


def test_an_empty_label_is_an_error(tiny_data: dict[str, Any]) -> None:
    data = copy.deepcopy(tiny_data)
    cid = next(iter(data["causes"]))
    data["causes"][cid]["label"] = " "
    with pytest.raises(ModelFileError, match=rf"\[causes\.{cid}\]: key 'label'"):
        Model.from_dict(data)


def test_model_views_are_cached_read_only_and_pickle() -> None:
    import pickle

    model = toeprob.load_model()
    assert model.red_flags is model.red_flags and model.findings is model.findings
    with pytest.raises(TypeError):
        model.red_flags["cramp"] = toeprob.Urgency.EMERGENCY  # type: ignore[index]
    assert [model.findings[i] for i in model.finding_index.values()] == list(model.findings)
    again = pickle.loads(pickle.dumps(model))
    assert (
        dict(again.red_flags) == dict(model.red_flags) and again.risk_factor_index == model.risk_factor_index
    )
