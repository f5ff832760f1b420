"""How sure is it: posterior intervals over the words' ranges, and one-word sensitivity."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toeprob
from toeprob import Model, ParameterError, Reasoner, Urgency, rank_causes
from toeprob.datasets import load_cases
from toeprob.inference.compiled import compile_arrays
from toeprob.inference.exact import ExactEngine
from toeprob.knowledge.evidence import parse_evidence
from toeprob.knowledge.parameters import ModelParameters
from toeprob.reasoning.uncertainty import evaluation_sensitivity, sensitivity, uncertainty

STORIES = [
    {"cramp": True, "during_exercise": True},
    {"numbness": True, "burning_pain": True, "diabetes": True, "tingling": True},
    {"cramp": True, "at_rest_or_night": True, "age_over_60": True},
    {"fasciculation": True, "muscle_weakness": False, "twitching_elsewhere": True, "high_stress": True},
]


@pytest.mark.parametrize("story", STORIES)
def test_intervals_contain_the_point_and_shares_add_up(story: dict[str, bool]) -> None:
    d = rank_causes(story)
    u = d.uncertainty(draws=300, seed=5)
    frame = u.to_frame()
    assert (frame["low"] <= frame["probability"]).all() and (frame["probability"] <= frame["high"]).all()
    assert frame.index.tolist() == d.to_frame().index.tolist()  # the point ranking
    assert frame["probability"].tolist() == d.to_frame()["probability"].tolist()
    assert frame["share_first"].sum() == pytest.approx(1.0)
    assert frame["share_top3"].sum() == pytest.approx(3.0)
    assert sum(u.urgency_shares.values()) == pytest.approx(1.0)
    assert u.urgency == d.urgency
    assert u.top_change_rate == pytest.approx(1.0 - u.top.share_first)
    # the interval is the central 90% of the draws (widened only to reach the point)
    draws = u.posterior_draws[:, list(d.model.causes).index(u.top.cause)]  # type: ignore[union-attr]
    inside = np.mean((draws >= u.top.low) & (draws <= u.top.high))
    assert 0.88 <= inside <= 1.0


def _without_ranges(model: Model) -> Model:
    data = copy.deepcopy(model.to_dict())
    for scale in data["scales"].values():
        scale.pop("ranges", None)
    data["population"].pop("symptomatic_share_range", None)
    for cause in data["causes"].values():
        if "population" in cause:
            cause["population"].pop("adults_range", None)
    return Model.from_dict(data, "<no ranges>")


@pytest.mark.parametrize("story", STORIES)
def test_zero_width_ranges_give_the_point_model_exactly(model: Model, story: dict[str, bool]) -> None:
    exact = _without_ranges(model)
    d = rank_causes(story, model=exact)
    u = d.uncertainty(draws=20, seed=0)
    point = np.array([d.probability(c) for c in exact.causes])
    for row in u.posterior_draws:
        assert row.tobytes() == point.tobytes()
    assert set(u.urgency_draws) == {d.urgency}
    assert all(c.low == c.probability == c.high for c in u.causes)
    assert u.top_change_rate == 0.0 and u.top.share_first == 1.0
    # computed without the Diagnosis's point: the same numbers from the variants' own point row
    again = uncertainty(Reasoner.for_model(exact), dataclasses.replace(d, posterior=None), draws=3, seed=0)
    assert again.to_dict() == d.uncertainty(draws=3, seed=0).to_dict()


def test_seeds_reproduce() -> None:
    d = rank_causes(STORIES[2])
    a, b = d.uncertainty(draws=120, seed=11), d.uncertainty(draws=120, seed=11)
    assert a.to_dict() == b.to_dict()
    assert a.posterior_draws.tobytes() == b.posterior_draws.tobytes()
    c = d.uncertainty(draws=120, seed=12)
    assert c.posterior_draws.tobytes() != a.posterior_draws.tobytes()


def _finite_difference(model: Model, story: dict[str, bool], cause: str, name: str, toward: float) -> float:
    """The cause's posterior moved a little toward ``toward`` (log-odds step 1e-3), by the single engine."""
    params = ModelParameters(model)
    k = params.index(name)
    value = params.value.copy()
    x = np.log(value[k] / (1 - value[k]))
    x += 1e-3 * np.sign(np.log(toward / (1 - toward)) - x)
    value[k] = 1 / (1 + np.exp(-x))
    arrays = params.arrays(value[None, :])
    cm = compile_arrays(
        model.causes,
        model.findings,
        model.risk_factors,
        arrays.rf_prevalence[0],
        arrays.cause_leak[0],
        arrays.rf_weight[0],
        arrays.finding_leak[0],
        arrays.finding_weight[0],
    )
    ev = parse_evidence(story, model)
    moved = ExactEngine(cm).posterior(ev.finding_state, ev.rf_state)[model.causes.index(cause)]
    return float(moved - rank_causes(story, model=model).probability(cause))


@pytest.mark.parametrize(
    ("story", "cause"), [(STORIES[0], "muscle_fatigue"), (STORIES[1], "peripheral_neuropathy")]
)
def test_sensitivity_signs_agree_with_finite_differences(
    model: Model, story: dict[str, bool], cause: str
) -> None:
    s = rank_causes(story).sensitivity(cause)
    assert s.probability == rank_causes(story).probability(cause)
    checked = 0
    for e in s.effects[:15]:
        for label, moved in ((e.down, e.probability_down), (e.up, e.probability_up)):
            if moved is None or abs(moved - s.probability) < 1e-6:
                continue
            shift = next(x for x in ModelParameters(model).shifts([e.parameter]) if x.label == label)
            fd = _finite_difference(model, story, cause, e.parameter, shift.value)
            if abs(fd) < 1e-12:
                # flat at the point: a private risk factor's prevalence, whose change the cause's
                # solved leak absorbs until the leak reaches 0 (docs: toeprob.parameters)
                assert e.kind == "prevalence", e.parameter
                continue
            assert np.sign(fd) == np.sign(moved - s.probability), (e.parameter, label)
            checked += 1
    assert checked >= 20


def test_sensitivity_table_and_errors() -> None:
    d = rank_causes(STORIES[0])
    s = d.sensitivity("dehydration")
    frame = s.to_frame()
    assert frame["swing"].is_monotonic_decreasing
    assert len(frame) == len(ModelParameters(d.model).names)  # type: ignore[arg-type]
    row = frame.loc["prior:dehydration"]
    assert row["down"] == "common" and pd.isna(row["up"])  # very common is the top of its scale
    assert "not a medical device" in s.to_text() and "not a medical device" in s._repr_html_()
    with pytest.raises(KeyError, match="dehydratoin.*dehydration"):
        d.sensitivity("dehydratoin")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"draws": 0}, "'draws' parameter must be an int >= 1"),
        ({"draws": 10, "level": 1.0}, "'level' parameter must be a number strictly between 0 and 1"),
        ({"draws": 10, "seed": -1}, "'seed' parameter must be a non-negative int"),
        ({"draws": 10, "seed": "a"}, "'seed' parameter"),
    ],
)
def test_uncertainty_raises_on_bad_parameters(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        rank_causes(STORIES[0]).uncertainty(**kwargs)


RED_FLAG_STORIES = [
    {"cramp": True, "during_exercise": True},
    {"numbness": True, "diabetes": True},
    {"fasciculation": True, "twitching_elsewhere": True},
    {"cramp": True, "at_rest_or_night": True, "age_over_60": True, "persists_weeks": False},
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    story=st.sampled_from(RED_FLAG_STORIES),
    flag=st.sampled_from(sorted(toeprob.load_model().red_flags)),
    seed=st.integers(0, 2**16),
)
def test_urgency_of_every_draw_obeys_the_red_flag_property(
    story: dict[str, bool], flag: str, seed: int
) -> None:
    model = toeprob.load_model()
    reasoner = Reasoner.for_model(model)
    before = reasoner.uncertainty(story, draws=25, seed=seed)
    after = reasoner.uncertainty({**story, flag: True}, draws=25, seed=seed)
    floor = model.red_flags[flag]
    for was, now in zip(before.urgency_draws, after.urgency_draws, strict=True):
        assert now >= max(was, floor)
    if flag not in story:
        denied = reasoner.uncertainty({**story, flag: False}, draws=25, seed=seed)
        assert all(d <= b for d, b in zip(denied.urgency_draws, before.urgency_draws, strict=True))


def test_evaluation_sensitivity_matches_evaluate(model: Model) -> None:
    cases = load_cases("team")[:12]
    report = toeprob.evaluate(list(cases), model)
    es = evaluation_sensitivity(Reasoner.for_model(model), cases)
    assert es.top1 == pytest.approx(report.top1) and es.top3 == pytest.approx(report.top3)
    assert es.log_loss == pytest.approx(report.log_loss)
    frame = es.to_frame()
    assert len(frame) == len(ModelParameters(model).shifts())
    changes = frame["change_log_loss"].abs()
    assert changes.iloc[0] == changes.max() > 0


def test_reprs_and_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    u = rank_causes(STORIES[1]).uncertainty(draws=40, seed=2)
    assert "not a medical device" in u._repr_html_() and "not a medical device" in u._repr_markdown_()
    assert "peripheral_neuropathy" in repr(u)
    assert u.to_dict()["kind"] == "uncertainty" and u.urgency_frame()["share"].sum() == pytest.approx(1.0)
    ax = u.plot(top=5)
    assert (
        len(ax.patches) == 5
        and [t.get_text() for t in ax.get_yticklabels()] == u.to_frame().index[:5].tolist()
    )
    reasoner = Reasoner.for_model()
    s = sensitivity(reasoner, reasoner.rank(STORIES[1]), "peripheral_neuropathy")
    ax = s.plot(top=6)
    assert [t.get_text() for t in ax.get_yticklabels()] == s.to_frame().index[:6].tolist()
    assert Urgency.SOON in u.urgency_shares


def test_shifts_of_unobserved_findings_are_skipped_exactly(model: Model) -> None:
    # the shortcut (an unknown finding's leak and links cannot move a posterior) gives bitwise the
    # numbers of computing every shifted model
    from toeprob.inference.variants import VariantEngine, compile_parameter_variants
    from toeprob.reasoning.uncertainty import _basis, _shifted_posteriors

    reasoner = Reasoner.for_model(model)
    params, base = _basis(reasoner)
    shifts = params.shifts()
    values = np.vstack([params.value[None, :], params.shifted(shifts)])
    evs = [parse_evidence(s, model) for s in STORIES]
    fs, rs = np.stack([e.finding_state for e in evs]), np.stack([e.rf_state for e in evs])
    quick = _shifted_posteriors(reasoner, base, params, values, shifts, fs, rs)
    full = VariantEngine(compile_parameter_variants(base, params.links(values))).posterior(fs, rs)
    assert quick.tobytes() == full.tobytes()


def test_evaluation_sensitivity_raises_without_cases() -> None:
    with pytest.raises(ParameterError, match="at least one case"):
        Reasoner.for_model().evaluation_sensitivity([])


def test_variant_pairs_raise_on_bad_indices(model: Model) -> None:
    from toeprob.inference.variants import VariantEngine, compile_parameter_variants
    from toeprob.reasoning.uncertainty import _basis

    params, base = _basis(Reasoner.for_model(model))
    engine = VariantEngine(compile_parameter_variants(base, params.links(params.value[None, :])))
    ev = parse_evidence({"cramp": True}, model)
    fs, rs = ev.finding_state[None, :], ev.rf_state[None, :]
    with pytest.raises(ValueError, match="variant must index the 1 variants"):
        engine.posterior_pairs(fs, rs, [0], [1])
    with pytest.raises(ValueError, match="rows must index the 1 evidence rows"):
        engine.posterior_pairs(fs, rs, [2], [0])
    with pytest.raises(toeprob.EvidenceError, match=rf"shapes \(N, {len(model.findings)}\)"):
        engine.posterior(fs[:, :3], rs)


@pytest.mark.parametrize("story", ["cramp_exercise", "neuropathy", "red_flag"])
def test_only_the_relevant_parameters_are_drawn_bitwise(story: str) -> None:
    from toeprob.inference.variants import VariantEngine, compile_parameter_variants
    from toeprob.reasoning.uncertainty import _basis, _urgency_rows, draw_urgency

    evidence = {
        "cramp_exercise": {"cramp": True, "during_exercise": True},
        "neuropathy": {"numbness": True, "diabetes": True, "cramp": False},
        "red_flag": {"cramp": True, "sudden_cold_pale_foot": True, "fever": False},
    }[story]
    reasoner = Reasoner.for_model()
    params, base = _basis(reasoner)
    ev = reasoner.parse(evidence)
    policy = reasoner.urgency_policy
    observed = (_urgency_rows(policy, ev)[0] >= 0).any(axis=0)
    relevant = params.relevant(observed)
    assert 0 < relevant.sum() < len(params)  # some parameters are skipped, not all
    full = params.sample(40, np.random.default_rng(5))
    part = params.sample(40, np.random.default_rng(5), relevant)
    assert part[:, relevant].tobytes() == full[:, relevant].tobytes()  # the same stream, bitwise
    # the draws are those of ``expit(low + u * (high - low))`` clipped to the range, bit for bit
    u = np.random.default_rng(5).random((40, len(params)))
    logit_low = np.log(params.low) - np.log1p(-params.low)
    logit_high = np.log(params.high) - np.log1p(-params.high)
    expected = 1.0 / (1.0 + np.exp(-(logit_low + u * (logit_high - logit_low))))
    expected = np.minimum(np.maximum(expected, params.low), params.high)
    fixed = params.low == params.high
    expected[:, fixed] = params.value[fixed]
    assert full.tobytes() == expected.tobytes()
    assert (part[:, ~relevant] == params.value[~relevant]).all()
    unrestricted = VariantEngine(compile_parameter_variants(base, params.links(full)))
    restricted = VariantEngine(compile_parameter_variants(base, params.links(part, relevant)))
    post_full, urgency_full = draw_urgency(policy, ev, unrestricted)
    post_part, urgency_part = draw_urgency(policy, ev, restricted)
    assert post_part.tobytes() == post_full.tobytes()
    assert (urgency_part == urgency_full).all()
    # and the public result is the one of the unrestricted draws
    u = uncertainty(reasoner, reasoner.rank(evidence), draws=40, seed=5)
    assert u.posterior_draws.tobytes() == post_full.tobytes()


@pytest.mark.parametrize(
    ("evidence", "seed"),
    [
        (
            {
                "abnormal_posture": True,
                "numbness": True,
                "movements_in_sleep_seen_by_others": False,
                "fever": False,
                "interrupts_sleep": False,
                "vision_balance_problems": True,
            },
            1,
        ),
        (
            {
                "fasciculation": True,
                "cramp": True,
                "toe_lock": False,
                "tingling": False,
                "muscle_weakness": True,
                "muscle_wasting": True,
                "persists_weeks": True,
                "age_over_60": True,
            },
            17,
        ),
    ],
)
def test_worlds_settled_in_float64_give_the_exact_urgency(evidence: dict[str, bool], seed: int) -> None:
    from toeprob.inference.variants import VariantEngine, compile_parameter_variants
    from toeprob.reasoning.uncertainty import _basis, _urgency_rows, draw_urgency
    from toeprob.reasoning.urgency_rule import _care_levels

    reasoner = Reasoner.for_model()
    params, base = _basis(reasoner)
    ev = reasoner.parse(evidence)
    policy = reasoner.urgency_policy
    engine = VariantEngine(
        compile_parameter_variants(base, params.links(params.sample(100, np.random.default_rng(seed))))
    )
    fs, rs, inverse = _urgency_rows(policy, ev)
    rows, variant = np.divmod(np.arange(len(fs) * 100), 100)
    _, error = engine.posterior_pairs_bounded(fs, rs, rows, variant, rows != inverse[0])
    assert (error > 0).any()  # some world pairs stay in float64 here
    assert (error[rows == inverse[0]] == 0).all()  # never the evidence row
    # against every pair computed exactly (extended precision or elimination where needed)
    exact = engine.posterior(fs, rs)[inverse]
    levels = _care_levels(exact[1:].reshape(-1, exact.shape[2]), policy.care, policy.thresholds)
    care = levels.reshape(-1, 100).max(axis=0)
    expected = np.maximum(care, int(policy.floors(ev.finding_state[None, :].astype(np.int8))[0]))
    posterior, urgency = draw_urgency(policy, ev, engine)
    assert posterior.tobytes() == exact[0].tobytes()
    assert (urgency == expected).all()
