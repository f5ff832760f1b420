"""The notebooks in ``notebooks/`` are stored without outputs and run from top to bottom without error.

Each notebook runs in a fresh kernel started with *this* interpreter (``sys.executable -m
ipykernel_launcher``), so no Jupyter kernelspec needs to be installed (a fresh clone works) and the
kernel sees the same environment as the tests. The working directory is ``notebooks/``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager  # noqa: E402
from jupyter_client.manager import KernelManager  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
KERNEL_NAME = "toeprob-current-python"


class CurrentPythonKernelSpecs(KernelSpecManager):  # type: ignore[misc]
    """One kernelspec, whatever is installed: ipykernel run by the interpreter running the tests."""

    def find_kernel_specs(self) -> dict[str, str]:
        return {KERNEL_NAME: ""}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name="Python (current interpreter)",
            language="python",
            env={
                "MPLBACKEND": "module://matplotlib_inline.backend_inline",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            },
        )


def execute(path: Path, timeout: int = 120) -> Any:
    """Run the notebook at ``path`` in a fresh kernel; return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentPythonKernelSpecs())
    client = nbclient.NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def test_there_are_notebooks() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert "01_quickstart.ipynb" in names and "02_knowledge_base.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    nb = execute(path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # rich display and plots really rendered
    assert any("text/html" in o.get("data", {}) for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_kernel_uses_this_interpreter(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    out = execute(path, timeout=60).cells[0].outputs[0]["text"].strip()
    assert os.path.realpath(out) == os.path.realpath(sys.executable)
