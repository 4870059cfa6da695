"""Answer the chat's questions in a worker process, so the server starts while the model loads.

Why a process: on 2 cores `newsqa serve` spends about 2.5 s importing Gradio and about 2.6 s
loading the model, its 250k-piece tokenizer, jieba's dictionary and the index. Both are Python
work holding the GIL, so threads cannot overlap them; two processes can, and once serving, the
web server's event loop no longer waits on the GIL while an answer is computed.

The worker is a `multiprocessing` manager server (stdlib): every thread that calls it gets its
own connection and its own thread in the worker, so two questions, or two slow LLM calls, still
run at once. Errors a user can cause (`NewsqaError`) come back as themselves. The worker exits
with its parent, however the parent ends.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from multiprocessing.managers import BaseManager

from embeddings.extract.entities import tag_words
from embeddings.settings import Settings
from qa.answer import Answer
from qa.history import Turn
from ui.chat import local_answerer

__all__ = ["AnswerService", "AnswerWorker"]

log = logging.getLogger(__name__)

PARENT_POLL_SECONDS = 0.5
WARMUP_QUESTION = "前黄浜全长多少公里？"


class AnswerService:
    """What lives in the worker: `answer` is `ui.chat.local_answerer` over `settings`' index."""

    def __init__(self, settings: Settings) -> None:
        self.answer = local_answerer(settings)

    def warm_up(self) -> None:
        """Load the model and index and answer one question (raises NewsqaError if they can't)."""
        self.answer(WARMUP_QUESTION)
        # jieba's tag table, which the answer-shape check of who/where/when questions reads
        # (~1.5 s to load): here, not in the first such question a user asks.
        tag_words(WARMUP_QUESTION)

    def pid(self) -> int:
        return os.getpid()


class _Manager(BaseManager):
    pass


_Manager.register("AnswerService", AnswerService, exposed=("warm_up", "answer", "pid"))


def _exit_with(parent: int) -> None:
    """In the worker: end when the parent process is gone (even killed, so no atexit ran)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="newsqa-parent-watch", daemon=True).start()


class AnswerWorker:
    """A worker process answering over `settings`' index; `answer` is safe from many threads.

    A worker that dies while serving (killed, out of memory) is replaced on the next question,
    which waits for the new one to load instead of failing."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # one replacement at a time
        self._manager: _Manager | None = None
        self._service: AnswerService | None = None

    def start(self) -> Future[AnswerWorker]:
        """Start the worker and warm it up in a background thread; the future fails with the
        worker's NewsqaError when the model or index cannot be loaded."""
        ready: Future[AnswerWorker] = Future()

        def run() -> None:
            try:
                with self._lock:
                    self._launch()
            except BaseException as error:  # handed to whoever waits on the future
                ready.set_exception(error)
            else:
                ready.set_result(self)

        threading.Thread(target=run, name="newsqa-worker-start", daemon=True).start()
        return ready

    def _launch(self) -> None:
        # spawn, not fork: the parent may already run threads (Gradio, OpenVINO, tqdm).
        manager = _Manager(ctx=multiprocessing.get_context("spawn"))
        manager.start(initializer=_exit_with, initargs=(os.getpid(),))
        try:
            service = manager.AnswerService(self.settings)  # type: ignore[attr-defined]
            service.warm_up()
        except BaseException:
            manager.shutdown()
            raise
        self._manager, self._service = manager, service

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self._started().pid()

    def _started(self) -> AnswerService:
        if self._service is None:
            raise RuntimeError("the AnswerWorker is not started, or closed")
        return self._service

    def answer(
        self,
        question: str,
        history: Sequence[Turn] = (),
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Answer:
        service = self._started()
        try:
            return service.answer(question, list(history), date_from=date_from, date_to=date_to)
        except (EOFError, ConnectionError) as error:  # the worker process is gone
            log.warning("the answering process stopped (%s); starting a new one", error)
            with self._lock:
                if self._service is service:  # not replaced yet by another thread
                    self._shutdown()
                    self._launch()
            return self._started().answer(question, list(history), date_from=date_from, date_to=date_to)

    def _shutdown(self) -> None:
        if self._manager is not None:
            self._manager.shutdown()
        self._manager = self._service = None

    def close(self) -> None:
        """Stop the worker process."""
        with self._lock:
            self._shutdown()
