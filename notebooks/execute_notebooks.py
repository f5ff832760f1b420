"""Run the notebooks and store their outputs, so that a reader browsing the repository sees them.

Usage (from the project root)::

    uv run python notebooks/execute_notebooks.py          # run every notebook, write the outputs
    uv run python notebooks/execute_notebooks.py --check  # exit 1 if stored outputs are out of date

Each notebook runs in a fresh kernel started with *this* interpreter (``sys.executable -m
ipykernel_launcher``), so no Jupyter kernelspec needs to be installed and the kernel sees the project's
environment; the working directory is ``notebooks/``. The test suite (``tests/test_notebooks.py``)
runs the notebooks the same way and checks that the stored outputs match a fresh run in content:
every text output (printed text, tables, HTML, Markdown, plain reprs) must be equal; images,
execution counts and standard error (warnings of third-party libraries, which vary with their
versions and install paths) are not compared.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted(HERE.glob("*.ipynb"))
KERNEL_NAME = "toeprob-current-python"
TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "application/json")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class CurrentPythonKernelSpecs(KernelSpecManager):  # type: ignore[misc]
    """One kernelspec, whatever is installed: ipykernel run by the current interpreter."""

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


def execute(path: Path, timeout: int = 300) -> Any:
    """Run the notebook at ``path`` in a fresh kernel; return the executed notebook (not saved)."""
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentPythonKernelSpecs())
    client = nbclient.NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    text = _ADDRESS.sub(" at 0x…", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def text_outputs(nb: Any) -> list[list[tuple[str, str]]]:
    """Per code cell, its outputs as ``(type, text)`` pairs: what the comparison looks at."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type == "stream":
                if out.name == "stdout":  # stderr holds library warnings that vary with versions
                    outputs.append(("stream:stdout", _text(out.text)))
            elif out.output_type == "error":
                outputs.append(("error", f"{out.ename}: {out.evalue}"))
            else:
                data = out.get("data", {})
                outputs += [(kind, _text(data[kind])) for kind in TEXT_TYPES if kind in data]
        cells.append(outputs)
    return cells


def stale(path: Path, executed: Any) -> list[int]:
    """The numbers (1-based, code cells only) of the cells whose stored text outputs differ."""
    stored = text_outputs(nbformat.read(path, as_version=4))
    fresh = text_outputs(executed)
    if len(stored) != len(fresh):
        return list(range(1, max(len(stored), len(fresh)) + 1))
    return [i for i, (a, b) in enumerate(zip(stored, fresh, strict=True), start=1) if a != b]


def _drop_stderr(nb: Any) -> None:
    """Leave standard error out of the stored notebook: third-party warnings, which vary with library
    versions and name the paths of the machine that ran it."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks with stale outputs")
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    args = parser.parse_args(argv)
    paths = [HERE / name for name in args.names] if args.names else NOTEBOOKS
    status = 0
    for path in paths:
        executed = execute(path)
        if args.check:
            cells = stale(path, executed)
            if cells:
                print(f"{path.name}: outputs of code cells {cells} are out of date", file=sys.stderr)
                status = 1
            continue
        executed.metadata.pop("widgets", None)
        _drop_stderr(executed)
        nbformat.write(executed, path)
        print(f"{path.relative_to(HERE.parent)}: outputs stored")
    return status


if __name__ == "__main__":
    sys.exit(main())
