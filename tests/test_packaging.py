"""The built package is complete: sdist -> wheel built from that sdist -> fresh environment -> it runs.

This is how a user meets toeprob (``pip install toeprob``), and what an editable install cannot show:
the wheel must carry the model file, and the model must load through ``importlib.resources`` from the
installed package. The environment lives in a temporary directory outside the repository and the
commands run from there, so nothing is imported from the source tree.

Dependencies are pinned to the versions of the environment running the tests and installed offline
from the uv cache when it has them (a second try with the package index otherwise), so the test
takes a few seconds once the cache is warm.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def _uv() -> list[str]:
    found = os.environ.get("UV") or shutil.which("uv")
    if found:
        return [found]
    try:
        import uv  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pytest.skip("uv is not installed: the packaging test builds and installs with uv")
    return [sys.executable, "-m", "uv"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, check=False, timeout=600)


def _uv_cached_then_online(args: list[str], cwd: Path) -> None:
    """Run a uv command offline (from the cache); if that fails, once more with the package index."""
    offline = _run([*_uv(), *args, "--offline"], cwd)
    if offline.returncode == 0:
        return
    online = _run([*_uv(), *args], cwd)
    assert online.returncode == 0, f"uv {' '.join(args)} failed:\n{offline.stderr}\n{online.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh environment holding the wheel built from the sdist."""
    work = tmp_path_factory.mktemp("packaging")
    dist = work / "dist"
    _uv_cached_then_online(["build", "--sdist", "--out-dir", str(dist), str(ROOT)], work)
    (sdist,) = dist.glob("toeprob-*.tar.gz")
    _uv_cached_then_online(["build", "--wheel", "--out-dir", str(dist), str(sdist)], work)
    (wheel,) = dist.glob("toeprob-*.whl")

    pins = work / "constraints.txt"
    frozen = _run([*_uv(), "pip", "freeze", "--python", sys.executable], work)
    assert frozen.returncode == 0, frozen.stderr
    pins.write_text(
        "\n".join(
            line
            for line in frozen.stdout.splitlines()
            if "==" in line and not line.lower().startswith("toeprob")
        )
    )
    venv = work / "venv"
    _uv_cached_then_online(["venv", "--python", sys.executable, str(venv)], work)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    _uv_cached_then_online(
        ["pip", "install", "--python", str(python), "--constraint", str(pins), str(wheel)], work
    )
    return python.parent


def test_the_sdist_carries_the_model_inside_the_package(tmp_path: Path) -> None:
    import tarfile

    _uv_cached_then_online(["build", "--sdist", "--out-dir", str(tmp_path), str(ROOT)], tmp_path)
    (sdist,) = tmp_path.glob("toeprob-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "src/toeprob/models/default.toml" in names
    assert "src/toeprob/py.typed" in names


def test_installed_cli_ranks_outside_the_repository(installed: Path) -> None:
    result = _run([str(installed / "toeprob"), "rank", "cramp=yes"], installed.parent.parent)
    assert result.returncode == 0, result.stderr
    assert "Most likely causes:" in result.stdout and "not a medical device" in result.stdout


def test_installed_package_loads_its_model_through_importlib_resources(installed: Path) -> None:
    code = (
        "import importlib.resources, toeprob, toeprob.results.serialize; "
        "d = toeprob.rank_causes({'cramp': True}); "
        "print(toeprob.__file__); "
        "print(importlib.resources.files('toeprob').joinpath('models', 'default.toml').is_file() "
        "and bool(toeprob.results.serialize.json_schema('diagnosis'))); "
        "print(d.top.cause, d.model_name)"
    )
    result = _run([str(installed / "python"), "-c", code], installed.parent.parent)
    assert result.returncode == 0, result.stderr
    where, is_file, top = result.stdout.splitlines()
    assert Path(where).resolve().is_relative_to(installed.parent.resolve())  # not the source tree
    assert is_file == "True"
    cause, model_name = top.split()
    assert model_name == "default" and cause
