"""Plots: Axes returned, ``ax=`` honoured, the right bars and labels, the install hint without matplotlib."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator

import pytest

import toeprob
from toeprob.display.html import care_colour
from toeprob.display.plotting import plot_diagnosis, plot_explanation, plot_posteriors

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

STORY = {"numbness": True, "burning_pain": True}
MORE = {**STORY, "diabetes": True, "tingling": True}


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _node_labels(ax: plt.Axes) -> set[str]:
    return {t.get_gid()[len("node:") :] for t in ax.texts if (t.get_gid() or "").startswith("node:")}


def test_diagnosis_plot_bars_labels_and_colours(model: toeprob.Model) -> None:
    d = toeprob.rank_causes(MORE, model=model)
    ax = d.plot(top=6)
    frame = d.to_frame().head(6)
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_yticklabels()] == frame.index.tolist()
    assert [round(p.get_width(), 12) for p in ax.patches] == [round(p, 12) for p in frame["probability"]]
    assert [to_hex(p.get_facecolor()) for p in ax.patches] == [care_colour(c) for c in frame["care_level"]]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [*sorted(set(frame["care_level"]), key=toeprob.Urgency.parse), "prior"]
    assert d.urgency.label in ax.get_title(loc="left")


def test_diagnosis_plot_honours_ax_and_kwargs(model: toeprob.Model) -> None:
    d = toeprob.rank_causes(STORY, model=model)
    _, (left, right) = plt.subplots(1, 2)
    returned = plot_diagnosis(d, top=3, ax=right, alpha=0.5, show_prior=False)
    assert returned is right
    assert len(left.patches) == 0 and len(right.patches) == 3
    assert all(p.get_alpha() == 0.5 for p in right.patches)
    assert [t.get_text() for t in right.get_legend().get_texts()][-1] != "prior"


@pytest.mark.parametrize("top", [0, -1, 2.5, True])
def test_plot_diagnosis_raises(model: toeprob.Model, top: object) -> None:
    with pytest.raises(
        toeprob.ParameterError, match="The 'top' parameter of plot_diagnosis must be an int >= 1"
    ):
        plot_diagnosis(toeprob.rank_causes(STORY, model=model), top=top)  # type: ignore[arg-type]


def test_plot_posteriors_rows_dots_and_legend(model: toeprob.Model) -> None:
    before, after = toeprob.rank_causes(STORY, model=model), toeprob.rank_causes(MORE, model=model)
    ax = toeprob.plot_posteriors({"before": before, "after": after}, top=5)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 5
    last = after.to_frame()["probability"]
    assert [last[c] for c in labels] == sorted((last[c] for c in labels), reverse=True)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["before", "after"]
    assert len(ax.collections) == 2  # one scatter per diagnosis
    assert all(len(c.get_offsets()) == 5 for c in ax.collections)


def test_plot_comparison_is_plot_posteriors(model: toeprob.Model) -> None:
    before, after = toeprob.rank_causes(STORY, model=model), toeprob.rank_causes(MORE, model=model)
    _, ax = plt.subplots()
    assert before.plot_comparison(after, ax, labels=("a", "b"), top=4) is ax
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    assert len(ax.get_yticklabels()) == 4


def test_plot_posteriors_sequence_is_numbered(model: toeprob.Model) -> None:
    ds = [toeprob.rank_causes(e, model=model) for e in ({}, STORY, MORE)]
    ax = plot_posteriors(ds, top=3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1", "2", "3"]


def test_plot_posteriors_raises(model: toeprob.Model, tiny: toeprob.Model) -> None:
    d = toeprob.rank_causes(STORY, model=model)
    with pytest.raises(ValueError, match="at least two diagnoses"):
        plot_posteriors({"only": d})
    with pytest.raises(ValueError, match="same model"):
        plot_posteriors([d, toeprob.rank_causes({"twitch": True}, model=tiny)])


def test_explanation_waterfall(model: toeprob.Model) -> None:
    e = toeprob.explain(MORE, "peripheral_neuropathy", model=model)
    ax = e.plot(min_effect=0.0)
    moving = [x for x in e.effects if x.effect != 0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("prior") and labels[-1].startswith("posterior")
    assert labels[1 : 1 + len(moving)] == [f"{x.identifier} = {'yes' if x.present else 'no'}" for x in moving]
    has_interactions = "interactions" in labels
    assert len(ax.patches) == len(moving) + has_interactions
    # the bars chain from the prior's log-odds to the posterior's
    first, last = ax.patches[0], ax.patches[-1]
    assert first.get_x() == pytest.approx(math.log(e.prior / (1 - e.prior)))
    end = math.log(e.posterior / (1 - e.posterior))
    assert last.get_x() + last.get_width() == pytest.approx(end, abs=0.006)


def test_explanation_waterfall_groups_small_effects(model: toeprob.Model) -> None:
    e = toeprob.explain(MORE, "peripheral_neuropathy", model=model)
    cut = sorted(abs(x.effect) for x in e.effects)[1] + 1e-12  # the two smallest fall below
    ax = plot_explanation(e, min_effect=cut)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "2 small effects" in labels
    assert len([x for x in labels if " = " in x]) == len(e.effects) - 2
    message = (
        "The 'min_effect' parameter of plot_explanation must be a number >= 0. Got -1 [(]int[)] instead."
    )
    with pytest.raises(toeprob.ParameterError, match=message):
        plot_explanation(e, min_effect=-1)


def test_explanation_plot_honours_ax(model: toeprob.Model) -> None:
    e = toeprob.explain({"cramp": "yes"}, "dehydration", model=model)
    _, ax = plt.subplots()
    assert plot_explanation(e, ax=ax) is ax


def test_missing_matplotlib_gives_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, tiny: toeprob.Model
) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    d = toeprob.rank_causes({"twitch": True}, model=tiny)
    with pytest.raises(ImportError, match=r'pip install "toeprob\[plot\]"'):
        d.plot()
    with pytest.raises(ImportError, match=r'pip install "toeprob\[plot\]"'):
        tiny.draw()


@pytest.mark.slow
def test_import_does_not_load_matplotlib() -> None:
    code = "import sys, toeprob; print('matplotlib' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"


def test_replay_curve_plot(tiny: toeprob.Model) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from toeprob.reasoning.interview import replay

    case = {
        "id": "a",
        "evidence": {"twitch": True, "ache": True},
        "gold_cause": "benign",
        "urgency_min": "self_care",
        "urgency_max": "routine",
    }
    report = replay([case], model=tiny, start_findings=1)
    ax = report.plot()
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["top-1 acceptable", "under-triaged", "still asking"]
    assert list(lines[0].get_ydata()) == report.curve()["top1"].tolist()
