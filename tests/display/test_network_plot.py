"""Network drawing: the whole network or a neighbourhood, ``depth`` and ``ax=`` honoured, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import toeprob
from toeprob.display.network_plot import draw_model

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _node_labels(ax: plt.Axes) -> set[str]:
    return {t.get_gid()[len("node:") :] for t in ax.texts if (t.get_gid() or "").startswith("node:")}


def test_draw_model_whole_network(tiny: toeprob.Model) -> None:
    ax = tiny.draw()
    assert _node_labels(ax) == {*tiny.risk_factors, *tiny.causes, *tiny.findings}
    assert len(ax.collections[0].get_segments()) == len(tiny.risk_links) + len(tiny.finding_links)


def test_draw_model_neighbourhood_shows_only_the_chosen_nodes(model: toeprob.Model) -> None:
    cause = "tetanus"
    ax = model.draw(nodes=[cause])
    expected = (
        {cause} | {lk.parent for lk in model.links_to(cause)} | {lk.child for lk in model.links_from(cause)}
    )
    assert _node_labels(ax) == expected
    bold = {t.get_text() for t in ax.texts if t.get_fontweight() == "bold" and t.get_gid()}
    assert bold == {cause}


def test_draw_model_depth_and_ax(tiny: toeprob.Model) -> None:
    _, ax = plt.subplots()
    assert draw_model(tiny, nodes=["drop"], depth=0, ax=ax) is ax
    assert _node_labels(ax) == {"drop"}
    ax2 = draw_model(tiny, nodes=["drop"], depth=2)
    assert _node_labels(ax2) == {"drop", "serious", "other", "weak", "twitch"}


def test_draw_model_raises(tiny: toeprob.Model) -> None:
    with pytest.raises(
        toeprob.ParameterKeyError, match="'twich' is not a node of model 'tiny'. Closest: twitch."
    ):
        tiny.draw(nodes=["twich"])
    with pytest.raises(
        toeprob.ParameterError, match="The 'depth' parameter of draw_model must be an int >= 0"
    ):
        tiny.draw(nodes=["twitch"], depth=-1)
