"""Install weight: what installing toeprob brings in, core only and with each extra.

Builds the wheel of this checkout, installs it into a fresh virtual environment per variant (with uv,
from the package index, the same resolution pip makes), and reports the number of installed
distributions and the installed size of ``site-packages`` (apparent bytes of the installed files).
A last row installs only numpy, scipy and pandas, to show what pgmpy adds on top of them.

Run from the repository root (needs uv and the network to the package index; about a minute with a
warm cache)::

    uv run python benchmarks/install_weight.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "core": "",
    "[plot]": "[plot]",
    "[parquet]": "[parquet]",
    "[dask]": "[dask]",
    "[plot,parquet,dask]": "[plot,parquet,dask]",
}
LIST_DISTRIBUTIONS = """
import importlib.metadata as md, json, os
out = {}
for d in md.distributions():
    size = 0
    for f in d.files or []:
        p = d.locate_file(f)
        if os.path.isfile(p):
            size += os.path.getsize(p)
    out[d.metadata["Name"].lower()] = size
print(json.dumps(out))
"""


def _run(*args: str) -> str:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    return subprocess.run(args, check=True, capture_output=True, text=True, env=env, cwd=ROOT).stdout


def _measure(folder: Path, *requirements: str) -> dict[str, int]:
    _run("uv", "venv", "--quiet", "--python", sys.executable, str(folder))
    python = str(folder / "bin" / "python")
    _run("uv", "pip", "install", "--quiet", "--python", python, *requirements)
    sizes: dict[str, int] = json.loads(_run(python, "-c", LIST_DISTRIBUTIONS))
    return sizes


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _run("uv", "build", "--wheel", "--quiet", "--out-dir", str(work / "dist"))
        wheel = next((work / "dist").glob("toeprob-*.whl"))
        rows = []
        core: dict[str, int] = {}
        for label, extra in VARIANTS.items():
            sizes = _measure(work / f"venv{len(rows)}", f"toeprob{extra} @ {wheel.as_uri()}")
            core = core or sizes
            rows.append((label, sizes))
        rows.append(("numpy+scipy+pandas only", _measure(work / "venv-base", "numpy", "scipy", "pandas")))
    print("| install | distributions | installed size |")
    print("|---|---:|---:|")
    for label, sizes in rows:
        print(f"| {label} | {len(sizes)} | {sum(sizes.values()) / 2**20:.0f} MiB |")
    print("\nLargest distributions of the core install:")
    for name, size in sorted(core.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {name:<24} {size / 2**20:6.1f} MiB")


if __name__ == "__main__":
    main()
