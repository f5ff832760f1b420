"""Model variants compiled together: bitwise the same as each variant compiled alone."""

from __future__ import annotations

import numpy as np
import pytest

from tests.brute_force import random_network
from toeprob import Model
from toeprob.errors import ParameterKeyError
from toeprob.inference import exact as exact_module
from toeprob.inference import variants as variants_module
from toeprob.inference.compiled import CompiledModel, compile_arrays, compile_model
from toeprob.inference.exact import ExactEngine
from toeprob.inference.quickscore import EXTENDED, quickscore_rows
from toeprob.inference.variants import VariantEngine, compile_variants
from toeprob.knowledge.evidence import parse_evidence
from toeprob.knowledge.parameters import ModelParameters


def _variants_of(cm: CompiledModel, rng: np.random.Generator, k: int):
    """``k`` random variants with the links of ``cm``."""

    def jitter(a: np.ndarray, low: float, high: float) -> np.ndarray:
        out = np.where(a > 0, rng.uniform(low, high, (k, *a.shape)), 0.0)
        return out

    prev = rng.uniform(0.01, 0.6, (k, len(cm.risk_factors)))
    lam = rng.uniform(0.001, 0.3, (k, len(cm.causes)))
    mu = rng.uniform(0.001, 0.2, (k, len(cm.findings)))
    return compile_variants(
        cm, prev, lam, jitter(cm.rf_weight, 0.02, 0.95), mu, jitter(cm.finding_weight, 0.02, 0.95)
    )


def _states(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    return rng.integers(-1, 2, (n, width)).astype(np.int8)


def _compiled_alone(cv, k: int):  # variant k compiled as a model of its own
    cm = cv.base
    return compile_arrays(
        cm.causes,
        cm.findings,
        cm.risk_factors,
        cv.rf_prevalence[k],
        cv.cause_leak[k],
        cv.rf_weight[k],
        cv.finding_leak[k],
        cv.finding_weight[k],
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("max_present", [7, 1])
def test_variants_equal_each_variant_compiled_alone(seed: int, max_present: int) -> None:
    rng = np.random.default_rng(seed)
    cm = random_network(rng, int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(0, 7)))
    cv = _variants_of(cm, rng, int(rng.integers(1, 5)))
    fs, rs = _states(rng, 5, len(cm.findings)), _states(rng, 5, len(cm.risk_factors))
    fs[0] = 1  # every finding present: with max_present=1, elimination
    got = VariantEngine(cv, max_present=max_present).posterior(fs, rs)
    assert got.shape == (5, cv.variants, len(cm.causes))
    for k in range(cv.variants):
        compiled = _compiled_alone(cv, k)
        alone = ExactEngine(compiled, max_present=max_present)
        # the variants' compact tables hold each variant's own table
        assert cv.lookup_table(k).tobytes() == compiled.lookup_table.tobytes()
        assert cv.finding_q[k].tobytes() == compiled.finding_q.tobytes()
        for n in range(5):
            assert got[n, k].tobytes() == alone.posterior(fs[n], rs[n]).tobytes(), (n, k)
        # the variant as a compiled model of its own holds the same arrays as compiling it alone
        mine = cv.variant(k)
        for name in ("lookup_table", "finding_q", "child_present", "private_weight", "cause_leak"):
            assert getattr(mine, name).tobytes() == getattr(compiled, name).tobytes(), name
        if compiled.program is not None:
            assert mine.program is not None
            assert mine.program.multiplier.tobytes() == compiled.program.multiplier.tobytes()


@pytest.fixture(scope="module")
def params(model: Model) -> ModelParameters:
    return ModelParameters(model)


STORIES = [
    {"cramp": True, "during_exercise": True},
    {"numbness": True, "burning_pain": True, "diabetes": True, "tingling": True},
    {"fasciculation": True, "muscle_weakness": True, "muscle_wasting": True, "twitching_elsewhere": True},
    {"jaw_stiffness_body_spasms": True, "cramp": False, "foot_drop": False},
    {},
]


def _compiled_variants(base, arrays):  # the variants of a ModelParameters.arrays result
    return compile_variants(
        base,
        arrays.rf_prevalence,
        arrays.cause_leak,
        arrays.rf_weight,
        arrays.finding_leak,
        arrays.finding_weight,
    )


def _rows(model: Model) -> tuple[np.ndarray, np.ndarray]:
    evs = [parse_evidence(s, model) for s in STORIES]
    return np.stack([e.finding_state for e in evs]), np.stack([e.rf_state for e in evs])


def test_point_values_give_the_loaded_model_bitwise(model: Model, params: ModelParameters) -> None:
    arrays = params.arrays(np.tile(params.value, (3, 1)))
    base = compile_model(model)
    cv = _compiled_variants(base, arrays)
    fs, rs = _rows(model)
    got = VariantEngine(cv).posterior(fs, rs)
    want = ExactEngine(base).posterior_batch(fs, rs)
    for k in range(3):
        assert got[:, k].tobytes() == want.tobytes()


def test_sampled_variants_of_the_default_model_equal_them_compiled_alone(
    model: Model, params: ModelParameters
) -> None:
    values = params.sample(6, np.random.default_rng(3))
    arrays = params.arrays(values)
    base = compile_model(model)
    cv = _compiled_variants(base, arrays)
    fs, rs = _rows(model)
    got = VariantEngine(cv).posterior(fs, rs)
    for k in range(6):
        alone = ExactEngine(
            compile_arrays(
                model.causes,
                model.findings,
                model.risk_factors,
                arrays.rf_prevalence[k],
                arrays.cause_leak[k],
                arrays.rf_weight[k],
                arrays.finding_leak[k],
                arrays.finding_weight[k],
            )
        )
        assert got[:, k].tobytes() == alone.posterior_batch(fs, rs).tobytes(), k


def test_sampling_is_reproducible_and_within_the_ranges(params: ModelParameters) -> None:
    a = params.sample(50, np.random.default_rng(7))
    assert a.tobytes() == params.sample(50, np.random.default_rng(7)).tobytes()
    assert not np.array_equal(a, params.sample(50, np.random.default_rng(8)))
    assert ((params.low <= a) & (a <= params.high)).all()
    # on the log-odds scale the draws spread over the whole range
    below, above = params.low < params.value, params.high > params.value
    assert (a.min(axis=0)[below] < params.value[below]).all()
    assert (a.max(axis=0)[above] > params.value[above]).all()


def test_shifts_move_one_word(model: Model, params: ModelParameters) -> None:
    shifts = params.shifts()
    names = {s.parameter for s in shifts}
    assert names == set(params.names)
    values = params.shifted(shifts)
    changed = values != params.value
    assert (changed.sum(axis=1) == 1).all()
    for shift in shifts[:40]:
        k = params.index(shift.parameter)
        if params.scales[k]:
            scale = model.scales[params.scales[k]]
            assert shift.label in scale.neighbours(params.words[k])


def test_unknown_parameter_names_close_matches(params: ModelParameters) -> None:
    with pytest.raises(
        ParameterKeyError, match=r"'prior:muscle_fatigu' is not a parameter.*Closest: prior:muscle_fatigue"
    ):
        params.index("prior:muscle_fatigu")


def test_compile_variants_refuses_other_structures(model: Model) -> None:
    base = compile_model(model)
    k = 2
    prev = np.tile(base.rf_prevalence, (k, 1))
    lam = np.tile(base.cause_leak, (k, 1))
    w = np.tile(base.rf_weight, (k, 1, 1))
    mu = np.tile(base.finding_leak, (k, 1))
    p = np.tile(base.finding_weight, (k, 1, 1))
    extra = p.copy()
    extra[0, 0, :] = 0.5
    with pytest.raises(ValueError, match="links of the base model"):
        compile_variants(base, prev, lam, w, mu, extra)
    with pytest.raises(ValueError, match=r"cause_leak must have shape"):
        compile_variants(base, prev, lam[:, :3], w, mu, p)
    with pytest.raises(ValueError, match=r"below 1"):
        compile_variants(base, prev, np.ones_like(lam), w, mu, p)


def _alone(cv, k: int) -> ExactEngine:
    return ExactEngine(_compiled_alone(cv, k))


@pytest.mark.parametrize("seed", range(4))
def test_compiled_program_with_a_variant_index_per_row_equals_one_model_at_a_time(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    cm = random_network(rng, int(rng.integers(2, 6)), int(rng.integers(2, 8)), int(rng.integers(0, 7)))
    cv = _variants_of(cm, rng, 4)
    n = 12
    fs, rs = _states(rng, n, len(cm.findings)), _states(rng, n, len(cm.risk_factors))
    multi = (fs == 1) & (cm.finding_parent_count >= 2)
    counts = multi.sum(axis=1)  # rows of different m in one call
    present = np.argsort(~multi, axis=1, kind="stable")[:, : max(1, int(counts.max()))]
    variant = rng.integers(0, cv.variants, n)
    got = quickscore_rows(cm, fs, rs, present, counts, variants=cv, variant=variant)
    for row in range(n):
        alone = cv.variant(int(variant[row]))
        want = quickscore_rows(
            alone, fs[row : row + 1], rs[row : row + 1], present[row : row + 1], counts[row : row + 1]
        )
        for mine, theirs in zip(got, want, strict=True):
            assert mine[row].tobytes() == theirs[0].tobytes(), row


@pytest.mark.parametrize("limits", ["retry", "retry then elimination"])
def test_rows_retried_in_extended_precision_or_eliminated_equal_each_variant_alone(
    monkeypatch: pytest.MonkeyPatch, limits: str
) -> None:
    # every row whose sum cancels at all is sent to the 80-bit retry (and on to elimination),
    # by the variants' engine and by each variant's own engine alike
    monkeypatch.setattr(exact_module, "CANCELLATION_LIMIT", 1.0)  # read by exact.cancelled_rows, for both
    if limits != "retry":
        for module in (variants_module, exact_module):
            monkeypatch.setattr(module, "PRECISE_LIMIT", 1.0)
    precise: list[bool] = []
    original = variants_module.quickscore_rows

    def spy(*args: object, **kwargs: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        precise.append(bool(kwargs.get("precise")))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(variants_module, "quickscore_rows", spy)
    rng = np.random.default_rng(7)
    cm = random_network(rng, 4, 6, 3)
    cv = _variants_of(cm, rng, 3)
    fs, rs = _states(rng, 6, len(cm.findings)), _states(rng, 6, len(cm.risk_factors))
    fs[0] = 1
    engine = VariantEngine(cv)
    got = engine.posterior(fs, rs)
    for k in range(cv.variants):
        assert got[:, k].tobytes() == _alone(cv, k).posterior_batch(fs, rs).tobytes(), k
    assert any(precise) == EXTENDED  # the 80-bit retry ran (where there is 80-bit)
    if limits != "retry" or not EXTENDED:
        assert engine._alone  # and some pairs were eliminated
