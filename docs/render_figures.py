"""Render every toeprob plot and HTML repr to PNG in ``docs/images/``, to look at them.

Usage (from the project root)::

    uv run python docs/render_figures.py            # plots, and HTML reprs if chromium is installed
    uv run python docs/render_figures.py --no-html  # plots only

The plots need matplotlib (``toeprob[plot]``). The HTML reprs are screenshotted with a headless
Debian chromium (``apt-get install -y chromium``) when one is on the PATH; the tests do not need it.
``docs/images/quickstart.png`` is the figure shown in the README.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import toeprob
from toeprob.explain import explain
from toeprob.interview import Interview
from toeprob.questions import suggest_questions

OUT = Path(__file__).resolve().parent / "images"
STORY = {"cramp": True, "at_rest_or_night": True, "numbness": True, "burning_pain": True}
MORE = {**STORY, "diabetes": True, "tingling": True}
HTML_PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="margin:0;padding:14px;background:white;color:#1a1a1a">{body}</body></html>'
)


def _save(name: str, draw: Callable[[], object], dpi: int = 110) -> Path:
    ax = draw()
    figure = ax.figure  # type: ignore[attr-defined]
    path = OUT / f"{name}.png"
    figure.savefig(path, dpi=dpi, facecolor="white")
    plt.close(figure)
    return path


def render_plots() -> list[Path]:
    """Every plot of the quickstart story, the network and a neighbourhood."""
    model = toeprob.load_model()
    before, after = toeprob.rank_causes(STORY), toeprob.rank_causes(MORE)
    return [
        _save("quickstart", lambda: after.plot(top=8)),
        _save(
            "comparison", lambda: toeprob.plot_posteriors({"story": before, "+ diabetes, tingling": after})
        ),
        _save("explanation", lambda: explain(MORE, "peripheral_neuropathy").plot()),
        _save("network", lambda: model.draw(), dpi=90),
        _save("neighbourhood", lambda: model.draw(nodes=["tetanus", "foot_drop"])),
    ]


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


def render_html(browser: str) -> list[Path]:
    """Screenshots of the HTML reprs of a diagnosis, an explanation, questions, an interview, the model."""
    interview = Interview({"cramp": True})
    for answer in ("yes", "no", "yes"):
        question = interview.next_question()
        if question is None:
            break
        interview.answer(question.id, answer)
    reprs = {
        "html_diagnosis": toeprob.rank_causes(MORE)._repr_html_(),
        "html_explanation": explain(MORE, "peripheral_neuropathy")._repr_html_(),
        "html_questions": suggest_questions(STORY, k=5)._repr_html_(),
        "html_interview": interview._repr_html_(),
        "html_model": toeprob.load_model()._repr_html_(),
    }
    paths = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in reprs.items():
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
            paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-html", action="store_true", help="skip the HTML screenshots")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    written = render_plots()
    browser = None if args.no_html else _browser()
    if browser:
        written += render_html(browser)
    elif not args.no_html:
        print("no chromium on the PATH: HTML reprs not rendered", file=sys.stderr)
    for path in written:
        print(path.relative_to(OUT.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
