"""The notebooks in ``notebooks/`` run from top to bottom and their stored outputs are up to date.

The notebooks are stored with their outputs, so that a reader browsing the repository sees the
tables and plots. Each notebook runs here in a fresh kernel started with *this* interpreter (see
``notebooks/execute_notebooks.py``, which also writes the outputs), and every stored text output
(printed text, tables, HTML, Markdown, plain reprs) must equal the fresh run's; images and
execution counts are not compared. When a change alters what a notebook shows, run
``uv run python notebooks/execute_notebooks.py`` and commit the notebooks.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

SCRIPT = Path(__file__).resolve().parent.parent / "notebooks" / "execute_notebooks.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("execute_notebooks", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["execute_notebooks"] = module
    spec.loader.exec_module(module)
    return module


runner = _load()
NOTEBOOKS = runner.NOTEBOOKS


def test_there_are_notebooks() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert "01_quickstart.ipynb" in names and "02_knowledge_base.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), f"{path.name}: run execute_notebooks.py"
    outputs = [o for cell in code for o in cell.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs) or path.name.startswith("03")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_stored_outputs_are_current(path: Path) -> None:
    nb = runner.execute(path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # rich display and plots really rendered
    assert any("text/html" in o.get("data", {}) for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)
    stale = runner.stale(path, nb)
    assert stale == [], (
        f"{path.name}: the stored outputs of code cells {stale} differ from a fresh run; "
        "run `uv run python notebooks/execute_notebooks.py` and commit the notebook."
    )


def test_the_comparison_sees_text_but_not_images_or_counts() -> None:
    make = nbformat.v4
    cell = make.new_code_cell("x", execution_count=1)
    cell.outputs = [
        make.new_output("stream", name="stdout", text="a 0.25\n"),
        make.new_output("display_data", data={"text/plain": "<Figure>", "image/png": "AAAA"}),
    ]
    other = make.new_code_cell("x", execution_count=7)
    other.outputs = [
        make.new_output("stream", name="stdout", text="a 0.25\n"),
        make.new_output("display_data", data={"text/plain": "<Figure>", "image/png": "BBBB"}),
    ]
    changed = make.new_code_cell("x", execution_count=1)
    changed.outputs = [make.new_output("stream", name="stdout", text="a 0.26\n")]
    one, two, three = (make.new_notebook(cells=[c]) for c in (cell, other, changed))
    assert runner.text_outputs(one) == runner.text_outputs(two)
    assert runner.text_outputs(one) != runner.text_outputs(three)


@pytest.mark.slow
def test_kernel_uses_this_interpreter(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    out = runner.execute(path, timeout=60).cells[0].outputs[0]["text"].strip()
    assert os.path.realpath(out) == os.path.realpath(sys.executable)
