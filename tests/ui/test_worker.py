"""The answering worker process of `newsqa serve`: real model, real sample index, real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from embeddings.build import BuildReport
from embeddings.errors import IndexMissingError, QuestionError
from embeddings.settings import Settings
from qa.answer import answer
from qa.history import normalize_history
from ui.worker import AnswerWorker

pytestmark = pytest.mark.slow

QUESTION = "前黄浜全长多少公里？"
START_SECONDS = 120


@pytest.fixture(scope="module")
def worker(sample_index: BuildReport, sample_settings: Settings) -> Iterator[AnswerWorker]:
    started = AnswerWorker(sample_settings)
    started.start().result(timeout=START_SECONDS)
    yield started
    started.close()


def _gone(pid: int) -> bool:
    """True once `pid` has exited (a zombie counts: nobody may reap it in a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


def test_worker_answers_as_this_process_does(worker: AnswerWorker, sample_settings: Settings) -> None:
    assert worker.pid != os.getpid()
    remote = worker.answer(QUESTION)
    local = answer(QUESTION, settings=sample_settings)
    assert "2.3公里" in remote.text
    assert (remote.text, remote.citations) == (local.text, local.citations)


def test_worker_takes_history_and_dates(worker: AnswerWorker, sample_settings: Settings) -> None:
    history = [("乔俊杰担任什么职务？", "区委书记")]
    follow = worker.answer("他还参加了哪些活动？", normalize_history(history))
    assert "乔俊杰" in follow.search_query
    outside = worker.answer(QUESTION, date_from="1990-01-01", date_to="1990-12-31")
    assert outside.abstained and not outside.citations


def test_user_errors_come_back_as_themselves(worker: AnswerWorker) -> None:
    with pytest.raises(QuestionError, match="date"):
        worker.answer(QUESTION, date_from="2024-13-40")


def test_two_threads_ask_at_once(worker: AnswerWorker) -> None:
    questions = [QUESTION, "乔俊杰担任什么职务？"] * 3
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(worker.answer, questions))
    assert [a.question for a in answers] == questions
    assert all(a.citations for a in answers)


def test_a_missing_index_fails_the_start(sample_settings: Settings, tmp_path: Path) -> None:
    failed = AnswerWorker(replace(sample_settings, index_dir=tmp_path / "nothing-here"))
    with pytest.raises(IndexMissingError, match="nothing-here"):
        failed.start().result(timeout=START_SECONDS)
    failed.close()


def test_a_killed_worker_is_replaced(sample_index: BuildReport, sample_settings: Settings) -> None:
    worker = AnswerWorker(sample_settings)
    worker.start().result(timeout=START_SECONDS)
    try:
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        assert _wait_gone(first)
        assert "2.3公里" in worker.answer(QUESTION).text
        assert worker.pid not in (first, os.getpid())
    finally:
        worker.close()


def test_the_worker_ends_with_a_killed_parent(sample_index: BuildReport, sample_settings: Settings) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from embeddings.settings import Settings\n"
        "from ui.worker import AnswerWorker\n"
        "worker = AnswerWorker(Settings(home=Path(sys.argv[1]), index_dir=Path(sys.argv[2])))\n"
        "worker.start().result()\n"
        "print(worker.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    home, index = sample_settings.home, sample_settings.resolved_index_dir
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(home), str(index)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        child = int(json.loads(parent.stdout.readline()))
        assert not _gone(child)
        parent.send_signal(signal.SIGKILL)  # no atexit, no finalizer: only the worker's own watch
        parent.wait(timeout=10)
        assert _wait_gone(child), "the worker outlived its parent"
    finally:
        parent.kill()
        parent.wait()
