"""The training command on a tiny plan: killed after a checkpoint, it resumes, then exports and
calibrates a reader that loads; --refine trains that reader further, once. Real data
(../shared/train), real model, a few steps."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from qa.reader.model import READER_WEIGHTS, read_card
from tests.conftest import SHARED_DIR, subprocess_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--positives", "24", "--paragraph-negatives", "4", "--retrieved-negatives", "4", "--batch-size", "4"]
TINY_REFINEMENT = ["--refine", "--positives", "8", "--retrieved-negatives", "8", "--batch-size", "4"]


def _train(home: Path, out: Path, work: Path, plan: Sequence[str] = TINY) -> subprocess.Popen:
    # Calibrated at fp32: quantizing the tiny reader to int8 (NNCF) would add a minute and test
    # nothing about training; the shipped reader's int8 path is tested in test_reader_answers.
    env = subprocess_env(home, NEWSQA_PRECISION="fp32")
    command = [
        sys.executable, "-m", "qa.reader.train", *plan, "--checkpoint-every", "1",
        "--calibration-questions", "4", "--train-dir", str(SHARED_DIR / "train"),
        "--out", str(out), "--work-dir", str(work),
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _checkpoint_step(work: Path) -> int:
    import torch

    path = work / "checkpoint.pt"
    return torch.load(path, weights_only=False)["record"]["step"] if path.is_file() else 0


def test_training_resumes_after_a_kill_exports_a_loadable_reader_and_refines_it_once(
    tmp_path: Path, make_home
) -> None:
    if not (SHARED_DIR / "train").is_dir():
        pytest.skip("../shared/train is absent")
    home, out, work = make_home(tmp_path / "home"), tmp_path / "out", tmp_path / "work"
    first = _train(home, out, work)
    deadline = time.monotonic() + 300
    while _checkpoint_step(work) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = _checkpoint_step(work)
    assert killed_at >= 2 and not (out / READER_WEIGHTS).exists()
    second = _train(home, out, work)
    log, _ = second.communicate(timeout=600)
    assert second.returncode == 0, log
    assert f"resuming at step {killed_at}" in log
    card = read_card(out)
    total = card.training["steps"]
    assert total > killed_at and total == len(card.training["losses"])  # one loss per checkpointed step
    assert "fp32" in card.calibration and set(card.calibration) <= {"fp32", "int8"}
    for precision, scores in card.calibration.items():  # each precision calibrated on its own
        assert scores["questions"] == 4
        assert scores["precision"].split()[0] == precision  # "fp32 (torch)" without OpenVINO
        assert card.threshold(precision) == scores["threshold"]
    assert json.loads((out / "reader.json").read_text())["training"]["data"]["positives"] <= 24
    assert "CC BY-SA" in (out / "MODEL_CARD.md").read_text()

    weights = (out / READER_WEIGHTS).read_bytes()
    refining = _train(home, out, work, TINY_REFINEMENT)
    log, _ = refining.communicate(timeout=600)
    assert refining.returncode == 0, log
    refined = read_card(out)
    assert refined.training["steps"] == total  # the first run's record is kept
    assert 0 < refined.training["refinement"]["steps"] <= 4  # (8 answers + 8 negatives) / 4
    assert refined.training["refinement"]["plan"]["distractor_choices"] == 3
    assert (out / READER_WEIGHTS).read_bytes() != weights and "fp32" in refined.calibration
    assert "--refine" in (out / "MODEL_CARD.md").read_text()
    again = _train(home, out, work, TINY_REFINEMENT)
    log, _ = again.communicate(timeout=120)
    assert again.returncode == 2 and "refined already" in log and "Traceback" not in log
