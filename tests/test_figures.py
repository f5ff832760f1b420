"""The images in ``docs/images/`` show what the code draws now.

``docs/render_figures.py`` records beside the images a digest of what each one shows (the texts and
coordinates of a plot, the HTML of a repr; no pixels). This test recomputes the digests without a
browser and fails when an image is out of date: run ``uv run python docs/render_figures.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("matplotlib")
pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "render_figures.py"


@pytest.fixture(scope="module")
def render_figures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_figures", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_figures"] = module
    spec.loader.exec_module(module)
    return module


def test_every_image_has_a_recorded_digest(render_figures: ModuleType) -> None:
    recorded = render_figures.recorded_digests()
    images = {p.stem for p in render_figures.OUT.glob("*.png")}
    assert images and set(recorded) == images


def test_the_images_show_what_the_code_draws_now(render_figures: ModuleType) -> None:
    recorded, now = render_figures.recorded_digests(), render_figures.content_digests()
    stale = sorted(name for name in now if recorded.get(name) != now[name])
    assert stale == [], (
        f"docs/images/ out of date: {', '.join(stale)}. Run `uv run python docs/render_figures.py` "
        "(HTML screenshots need chromium) and commit the images with docs/images/content.json."
    )


def test_the_digest_changes_with_the_numbers_shown(render_figures: ModuleType) -> None:
    import matplotlib.pyplot as plt

    import toeprob

    d = toeprob.rank_causes({"cramp": True})
    other = toeprob.rank_causes({"cramp": True, "low_fluid_intake": True})
    first, second = d.plot(top=3), other.plot(top=3)
    try:
        assert render_figures._plot_content(first) != render_figures._plot_content(second)
        assert render_figures._plot_content(first) == render_figures._plot_content(d.plot(top=3))
    finally:
        plt.close("all")
