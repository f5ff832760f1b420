"""Finding leaks against the modelled causes: a sign said to hardly ever appear without a modelled
cause must not be explained mostly by its leak (the rule stated in the prevalence scale's source)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from toeprob import Model
from toeprob.inference.compiled import compile_model
from toeprob.inference.exact import ExactEngine

# the leak words of the prevalence scale that mean "hardly ever without one of the modelled causes"
RARE_LEAKS = ("exceptional", "vanishingly rare")
# at most this share of the rate at which the modelled causes produce the sign
MAX_LEAK_SHARE = 0.5


def _caused_rate(model: Model, engine: ExactEngine, finding: str) -> float:
    """P(finding present | its leak removed): the rate at which the modelled causes produce it.

    P(absent) = (1 - leak) * P(no cause produces it), exactly, from the engine's evidence probability.
    """
    states = np.full(len(model.findings), -1, dtype=np.int8)
    states[model.finding_index[finding]] = 0
    absent = math.exp(engine.log_evidence(states, np.full(len(model.risk_factors), -1, dtype=np.int8)))
    return 1.0 - absent / (1.0 - model.finding_specs[finding].leak)


@pytest.fixture(scope="module")
def engine(model: Model) -> ExactEngine:
    return ExactEngine(compile_model(model))


def test_the_default_model_has_rare_leak_signs(model: Model) -> None:
    rare = [f for f, s in model.finding_specs.items() if s.leak_word in RARE_LEAKS]
    assert len(rare) >= 5 and "jaw_stiffness_body_spasms" in rare


def test_rare_leak_signs_are_mostly_produced_by_modelled_causes(model: Model, engine: ExactEngine) -> None:
    for finding, spec in model.finding_specs.items():
        if spec.leak_word in RARE_LEAKS:
            caused = _caused_rate(model, engine, finding)
            assert spec.leak <= MAX_LEAK_SHARE * caused, (finding, spec.leak, caused)


def test_caused_rate_is_prior_times_link_for_a_sign_with_one_cause(model: Model, engine: ExactEngine) -> None:
    # lockjaw has one modelled cause: its caused rate is that cause's prior times the link strength
    links = [lk for lk in model.finding_links if lk.child == "jaw_stiffness_body_spasms"]
    assert len(links) == 1
    prior = engine.posterior(
        np.full(len(model.findings), -1, dtype=np.int8), np.full(len(model.risk_factors), -1, dtype=np.int8)
    )[model.causes.index(links[0].parent)]
    caused = _caused_rate(model, engine, "jaw_stiffness_body_spasms")
    assert caused == pytest.approx(prior * links[0].probability, rel=1e-9)


def test_the_check_fails_for_the_leak_word_the_sign_had_before(model: Model, engine: ExactEngine) -> None:
    # the default model's own figures: with "exceptional" the leak of lockjaw would be far above its
    # caused rate (the inconsistency the rule catches)
    caused = _caused_rate(model, engine, "jaw_stiffness_body_spasms")
    assert model.scales["prevalence"].values["exceptional"] > 10 * caused
