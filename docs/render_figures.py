"""Render every toeprob plot and HTML repr to PNG in ``docs/images/``, to look at them.

Usage (from the project root)::

    uv run python docs/render_figures.py            # plots, and HTML reprs if chromium is installed
    uv run python docs/render_figures.py --no-html  # plots only
    uv run python docs/render_figures.py --check    # exit 1 if an image is out of date; writes nothing
    uv run python docs/render_figures.py --force    # redraw every image, changed or not

The plots need matplotlib (``toeprob[plot]``). The HTML reprs are screenshotted with a headless
Debian chromium (``apt-get install -y chromium``) when one is on the PATH.
``docs/images/quickstart.png`` is the figure shown in the README.

Beside the images, ``docs/images/content.json`` records a SHA-256 digest of what each image shows:
for a plot, every text of the figure (titles, tick labels, numbers) and the bars' and markers'
coordinates rounded to 4 decimals; for an HTML screenshot, the HTML itself. The test suite
recomputes the digests (no pixels, no browser) and fails when an image would change in content, so a
change to the numbers or the wording that the figures show means running this script again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.patches
import matplotlib.pyplot as plt
import matplotlib.text
from matplotlib.axes import Axes

import toeprob
from toeprob.reasoning.interview import Interview
from toeprob.reasoning.reasoner import explain, suggest_questions

OUT = Path(__file__).resolve().parent / "images"
STORY = {"cramp": True, "at_rest_or_night": True, "numbness": True, "burning_pain": True}
MORE = {**STORY, "diabetes": True, "tingling": True}
HTML_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="margin:0;padding:14px;background:white;color:#1a1a1a">{body}</body></html>'
)


DIGESTS = OUT / "content.json"


def _draw_plots() -> dict[str, Callable[[], Axes]]:
    """Every plot of the quickstart story (with its uncertainty and sensitivity), the network and a
    neighbourhood, as drawing functions."""
    model = toeprob.load_model()
    before, after = toeprob.rank_causes(STORY), toeprob.rank_causes(MORE)
    return {
        "quickstart": lambda: after.plot(top=8),
        "comparison": lambda: toeprob.plot_posteriors({"story": before, "+ diabetes, tingling": after}),
        "explanation": lambda: explain(MORE, "peripheral_neuropathy").plot(),
        "network": lambda: model.draw(),
        "neighbourhood": lambda: model.draw(nodes=["tetanus", "foot_drop"]),
        "uncertainty": lambda: after.uncertainty(draws=1000, seed=1).plot(top=8),
        "sensitivity": lambda: after.sensitivity("peripheral_neuropathy").plot(top=12),
    }


def _html_reprs() -> dict[str, str]:
    """The HTML reprs of a diagnosis, an explanation, questions, an interview and the model."""
    interview = Interview({"cramp": True})
    for answer in ("no", "no", "yes"):  # checklists answered "none of these", then a question
        question = interview.next_question()
        if question is None:
            break
        interview.answer(question.id, answer)
    return {
        "html_diagnosis": toeprob.rank_causes(MORE)._repr_html_(),
        "html_explanation": explain(MORE, "peripheral_neuropathy")._repr_html_(),
        "html_questions": suggest_questions(STORY, k=5)._repr_html_(),
        "html_interview": interview._repr_html_(),
        "html_model": toeprob.load_model()._repr_html_(),
        "html_uncertainty": toeprob.rank_causes(MORE).uncertainty(draws=1000, seed=1)._repr_html_(),
    }


def _plot_content(ax: Axes) -> str:
    """What a plot shows, as text: every text artist and the data coordinates of bars and markers."""
    figure = ax.figure
    for axes in figure.axes:  # sets the tick labels' texts without drawing the figure
        axes.get_xticklabels()
        axes.get_yticklabels()
    texts = sorted(
        t.get_text() for t in figure.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()
    )
    shapes = []
    for axes in figure.axes:
        for patch in axes.patches:
            if isinstance(patch, matplotlib.patches.Rectangle):
                shapes.append(f"bar {patch.get_x():.4f} {patch.get_y():.4f} {patch.get_width():.4f}")
        for collection in axes.collections:
            offsets = collection.get_offsets()
            shapes += [f"marker {x:.4f} {y:.4f}" for x, y in offsets]
    return "\n".join([*texts, *sorted(shapes)])


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def content_digests(*, html: bool = True) -> dict[str, str]:
    """The digest of what every image would show if rendered now (see the module docstring)."""
    digests = {}
    for name, draw in _draw_plots().items():
        ax = draw()
        digests[name] = _digest(_plot_content(ax))
        plt.close(ax.figure)  # type: ignore[arg-type]
    if html:
        digests.update({name: _digest(body) for name, body in _html_reprs().items()})
    return digests


def recorded_digests() -> dict[str, str]:
    """The digests recorded when the images were last rendered."""
    if not DIGESTS.exists():
        return {}
    data: dict[str, str] = json.loads(DIGESTS.read_text(encoding="utf-8"))
    return data


def _save(name: str, draw: Callable[[], Axes], dpi: int = 110, force: bool = False) -> tuple[Path, str]:
    ax = draw()
    figure = ax.figure
    digest = _digest(_plot_content(ax))
    path = OUT / f"{name}.png"
    # an image whose content has not changed is kept as it is (PNG bytes vary from run to run)
    if force or not path.exists() or recorded_digests().get(name) != digest:
        figure.savefig(path, dpi=dpi, facecolor="white")  # type: ignore[union-attr]
    plt.close(figure)  # type: ignore[arg-type]
    return path, digest


def render_plots(force: bool = False) -> dict[Path, str]:
    """Render every plot whose content changed; returns each image with the digest of its content."""
    return dict(
        _save(name, draw, dpi=90 if name == "network" else 110, force=force)
        for name, draw in _draw_plots().items()
    )


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _crop(path: Path) -> None:
    """Trim the white margin below and right of the content."""
    image = plt.imread(path)
    ink = (image[..., :3] < 0.98).any(axis=2)
    rows, cols = ink.any(axis=1).nonzero()[0], ink.any(axis=0).nonzero()[0]
    if len(rows) and len(cols):
        plt.imsave(path, image[: min(rows[-1] + 16, len(image)), : min(cols[-1] + 16, image.shape[1])])


def render_html(browser: str, force: bool = False) -> dict[Path, str]:
    """Screenshots of the HTML reprs whose HTML changed; returns each image with the digest of its HTML."""
    reprs = _html_reprs()
    recorded = recorded_digests()
    paths = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in reprs.items():
            if not force and (OUT / f"{name}.png").exists() and recorded.get(name) == _digest(body):
                paths[OUT / f"{name}.png"] = _digest(body)
                continue
            page = Path(tmp) / f"{name}.html"
            page.write_text(HTML_PAGE.format(body=body), encoding="utf-8")
            path = OUT / f"{name}.png"
            subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    "--window-size=1000,1400",
                    f"--screenshot={path}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            _crop(path)
            paths[path] = _digest(body)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-html", action="store_true", help="skip the HTML screenshots")
    parser.add_argument("--check", action="store_true", help="only report out-of-date images")
    parser.add_argument("--force", action="store_true", help="redraw every image, changed or not")
    args = parser.parse_args(argv)
    if args.check:
        recorded, now = recorded_digests(), content_digests()
        stale = sorted(name for name in now if recorded.get(name) != now[name])
        for name in stale:
            print(f"docs/images/{name}.png is out of date", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    written = render_plots(force=args.force)
    browser = None if args.no_html else _browser()
    if browser:
        written.update(render_html(browser, force=args.force))
    elif not args.no_html:
        print("no chromium on the PATH: HTML reprs not rendered", file=sys.stderr)
    digests = recorded_digests()
    digests.update({path.stem: digest for path, digest in written.items()})
    DIGESTS.write_text(json.dumps(dict(sorted(digests.items())), indent=2) + "\n", encoding="utf-8")
    for path in written:
        print(path.relative_to(OUT.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
