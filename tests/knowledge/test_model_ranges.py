"""Ranges of the scale words and population figures: the default model's and the loader's checks."""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

import pytest

from toeprob import Model, ModelFileError


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def test_every_word_of_the_default_model_has_a_proper_range(model: Model) -> None:
    for scale in model.scales.values():
        assert scale.ranges is not None and set(scale.ranges) == set(scale.values)
        for word, point in scale.values.items():
            low, high = scale.range(word)
            assert 0.0 < low < point < high < 1.0, (scale.name, word)


def test_default_ranges_tile_each_scale(model: Model) -> None:
    # neighbouring words share an edge: every probability in a scale's span belongs to one word
    for scale in model.scales.values():
        ordered = sorted(scale.values, key=lambda w: scale.values[w])
        for lower, upper in itertools.pairwise(ordered):
            assert scale.range(lower)[1] == scale.range(upper)[0], (scale.name, lower, upper)


@pytest.mark.parametrize("name", ["strength", "prevalence"])
def test_default_edges_are_log_odds_midpoints(model: Model, name: str) -> None:
    # the rule the scale's source states: edges halfway between neighbouring words in log-odds
    scale = model.scales[name]
    ordered = sorted(scale.values, key=lambda w: scale.values[w])
    for lower, upper in itertools.pairwise(ordered):
        middle = (_logit(scale.values[lower]) + _logit(scale.values[upper])) / 2
        assert _logit(scale.range(lower)[1]) == pytest.approx(middle, abs=0.01), (lower, upper)


def test_default_frequency_edges_are_the_compressed_bands(model: Model) -> None:
    scale = model.scales["frequency"]
    edges = {"very common": (0.1, 0.9), "common": (0.01, 0.1), "uncommon": (1e-3, 1e-2)}
    edges |= {"rare": (1e-4, 1e-3), "very rare": (1e-5, 1e-4)}
    for word, band in edges.items():
        expected = tuple(0.25 * (b / 0.3) ** 0.4 for b in band)
        assert scale.range(word) == pytest.approx(expected, rel=5e-3), word


def test_every_population_figure_has_a_range(model: Model) -> None:
    assert model.symptomatic_share is not None and model.symptomatic_share_range is not None
    low, high = model.symptomatic_share_range
    assert low < model.symptomatic_share < high
    for cid, spec in model.cause_specs.items():
        if spec.population is not None:
            assert spec.population.adults_range is not None
            low, high = spec.population.adults_range
            assert low <= spec.population.adults <= high and low < high, cid


def test_neighbours_walk_the_scale(model: Model) -> None:
    strength = model.scales["strength"]
    assert strength.neighbours("often") == ("sometimes", "usually")
    assert strength.neighbours("always") == ("usually", None)
    assert strength.neighbours("almost never") == (None, "exceptionally rarely")


def test_a_scale_without_ranges_gives_zero_width_ranges(tiny: Model) -> None:
    scale = tiny.scales["strength"]
    assert all(scale.range(w) == (v, v) for w, v in scale.values.items())
    assert tiny.symptomatic_share_range is None


def _edited(tiny_data: dict[str, Any], edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(tiny_data)
    edit(data)
    return data


def test_ranges_given_in_the_file_are_read(tiny_data: dict[str, Any]) -> None:
    data = _edited(
        tiny_data,
        lambda d: d["scales"]["prevalence"].update(ranges={"common": [0.1, 0.3], "rare": [0.01, 0.04]}),
    )
    assert Model.from_dict(data).scales["prevalence"].range("rare") == (0.01, 0.04)


FULL = {"common": [0.1, 0.3], "rare": [0.01, 0.04]}
POPULATION = {"figure": "f", "adults": 0.001, "toe_symptoms": "often", "reference": "r", "sources": ["001"]}
SHARE = {"symptomatic_share": 0.1, "source": "test share"}

BAD = [
    ({"common": [0.1, 0.3]}, r"\[scales\.prevalence\]: ranges: missing the range of 'rare'"),
    ({**FULL, "rarely": [0.01, 0.02]}, r"'rarely' is not a known key\. Closest: rare"),
    ({**FULL, "rare": [0.03, 0.04]}, r"ranges\.rare.*\[0\.03, 0\.04\] must contain values\.rare = 0\.02"),
    ({**FULL, "rare": [0.04, 0.005]}, r"ranges\.rare.*must contain values\.rare = 0\.02"),
    ({**FULL, "rare": [0.0, 0.04]}, r"ranges\.rare\[0\] \(low\)'?: 0\.0 is not a probability in \(0, 1\)"),
    ({**FULL, "common": [0.1, 1.0]}, r"ranges\.common\[1\] \(high\)'?: 1\.0 is not a probability"),
    ({**FULL, "rare": [0.001, 0.02, 0.03]}, r"ranges\.rare'?: a range is a list \[low, high\]"),
    ({**FULL, "rare": 0.01}, r"ranges\.rare'?: a range is a list \[low, high\].*0\.01 \(float\)"),
    (
        {**FULL, "rare": ["0.001", 0.02]},
        r"ranges\.rare\[0\] \(low\)'?: '0\.001' \(str\) is not a probability",
    ),
]


@pytest.mark.parametrize(("ranges", "message"), BAD)
def test_bad_ranges_name_the_key_and_value(tiny_data: dict[str, Any], ranges: Any, message: str) -> None:
    data = _edited(tiny_data, lambda d: d["scales"]["prevalence"].update(ranges=ranges))
    with pytest.raises(ModelFileError, match=message) as info:
        Model.from_dict(data, "ranges.toml")
    assert str(info.value).startswith("ranges.toml: ")
    assert isinstance(info.value, ValueError)


def test_population_ranges_are_read_and_checked(tiny_data: dict[str, Any]) -> None:
    def edit(adults_range: Any, share_range: Any) -> dict[str, Any]:
        def apply(d: dict[str, Any]) -> None:
            d["population"] = {**SHARE, "symptomatic_share_range": share_range}
            d["causes"]["serious"]["population"] = {**POPULATION, "adults_range": adults_range}

        return _edited(tiny_data, apply)

    model = Model.from_dict(edit([0.0005, 0.002], [0.05, 0.2]))
    figure = model.cause_specs["serious"].population
    assert figure is not None and figure.adults_range == (0.0005, 0.002)
    assert model.symptomatic_share_range == (0.05, 0.2)
    with pytest.raises(
        ModelFileError, match=r"\[causes\.serious\.population\].*'adults_range'.*must contain adults"
    ):
        Model.from_dict(edit([0.002, 0.004], [0.05, 0.2]))
    with pytest.raises(ModelFileError, match=r"\[population\].*symptomatic_share_range.*must contain"):
        Model.from_dict(edit([0.0005, 0.002], [0.15, 0.2]))
