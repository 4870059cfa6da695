"""Build jobs of one index: queued, one at a time, each run in a child process and followed
through files, so a page reload (or a second browser) reads the same progress from the server.

`<index>/jobs/<id>.json` is the job as the server sees it (state, what asked for it, outcome);
`<id>.progress.json` is written by the child only (stage, chunks embedded, the result), so the two
never overwrite each other. A build reads the archive as it is when it starts, so a job queued
behind a running one stands for every change made meanwhile: a second upload joins it.

Why a child process: a build keeps both cores busy for seconds to minutes; in its own process the
server stays responsive, and cancelling is a signal: the child stops where it is, the unfinished
generation folder is deleted (`build_index` cleans up on any exit) and the live generation, which
the chat goes on answering from, is never touched until a build completes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from embeddings.errors import NewsqaError
from embeddings.settings import ChunkingSettings, Settings

__all__ = ["ACTIVE", "BuildJobs", "Job", "run_job"]

log = logging.getLogger(__name__)

JOBS_FOLDER = "jobs"
KEEP_JOBS = 20  # finished jobs kept for their messages
ACTIVE = ("queued", "running", "cancelling")
CANCEL_GRACE = 20  # seconds a cancelled build has to stop before it is killed
PROGRESS_EVERY = 0.3  # seconds between progress writes of the child
CHILD = "import sys; from embeddings.library.jobs import run_job; run_job(sys.argv[1])"


@dataclass(frozen=True)
class Job:
    id: str
    state: str  # queued, running, cancelling, done, failed, cancelled
    reasons: list[str]  # what asked for it: "上传 0105.jsonl", "删除 0105.jsonl"
    created: float
    started: float | None = None
    finished: float | None = None
    pid: int | None = None
    stage: str = ""  # reading, embedding, writing (while running)
    done: int = 0  # chunks embedded
    total: int = 0
    message: str = ""  # the outcome, one line
    warnings: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


def _write_json(path: Path, data: dict) -> None:
    work = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    work.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(work, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _settings_data(settings: Settings) -> dict:
    return {
        "home": str(settings.home),
        "model": settings.model,
        "index_dir": str(settings.resolved_index_dir),
        "precision": settings.precision,
        "batch_size": settings.batch_size,
        "chunking": asdict(settings.chunking),
    }


def _settings_from(data: dict) -> Settings:
    return Settings(
        home=Path(data["home"]),
        model=data["model"],
        index_dir=Path(data["index_dir"]),
        precision=data["precision"],
        batch_size=data["batch_size"],
        chunking=ChunkingSettings(**data["chunking"]),
    )


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class BuildJobs:
    """The build queue of `settings`' index, run by a thread of this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = settings.resolved_index_dir / JOBS_FOLDER
        self._runner: threading.Thread | None = None
        self._guard = threading.Lock()

    def _lock(self):
        from filelock import FileLock

        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.folder / ".lock"), timeout=30)

    def _path(self, job_id: str) -> Path:
        return self.folder / f"{job_id}.json"

    def _save(self, job: Job) -> Job:
        _write_json(
            self._path(job.id), {k: v for k, v in asdict(job).items() if k not in ("stage", "done", "total")}
        )
        return job

    def _load(self, path: Path) -> Job | None:
        data = _read_json(path)
        if data is None:
            return None
        job = Job(**data)
        progress = _read_json(path.with_suffix(".progress.json")) or {}
        if job.state in ("running", "cancelling"):
            job = replace(
                job,
                stage=progress.get("stage", ""),
                done=progress.get("done", 0),
                total=progress.get("total", 0),
            )
        return job

    def jobs(self) -> list[Job]:
        """Every kept job, oldest first."""
        if not self.folder.is_dir():
            return []
        found = [self._load(p) for p in self.folder.glob("*.json") if not p.name.endswith(".progress.json")]
        return sorted((j for j in found if j is not None), key=lambda j: j.created)

    def job(self, job_id: str) -> Job | None:
        """One job by its id, with its progress; None when it is not kept (or never was)."""
        return self._load(self._path(job_id))

    def latest(self) -> Job | None:
        """The job to show: the running or queued one, else the last finished. A job left running
        by a server that has stopped is marked failed."""
        jobs = self.jobs()
        with self._guard:
            runner_alive = self._runner is not None and self._runner.is_alive()
        for job in jobs:
            if job.state in ("running", "cancelling") and not runner_alive and not _alive(job.pid):
                self._save(
                    replace(job, state="failed", finished=time.time(), message="中断：服务在建索引时停止了")
                )
        jobs = self.jobs()
        active = [j for j in jobs if j.active]
        return active[0] if active else (jobs[-1] if jobs else None)

    def submit(self, reason: str) -> Job:
        """Queue a rebuild for `reason`; joins a job that is queued and not started yet."""
        with self._lock():
            queued = [j for j in self.jobs() if j.state == "queued"]
            if queued:
                job = self._save(replace(queued[0], reasons=[*queued[0].reasons, reason]))
            else:
                job = self._save(
                    Job(
                        id=f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}",
                        state="queued",
                        reasons=[reason],
                        created=time.time(),
                    )
                )
        self._start_runner()
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop a job: a queued one never starts, a running one is signalled to stop; the live
        index stays what it was. NewsqaError for a job that has already finished."""
        with self._lock():
            job = self._load(self._path(job_id))
            if job is None or not job.active:
                raise NewsqaError(
                    "this job has already finished; there is nothing to cancel",
                    zh="这个任务已经结束，无需取消。",
                )
            if job.state == "queued":
                return self._save(
                    replace(job, state="cancelled", finished=time.time(), message="已取消（未开始）")
                )
            job = self._save(replace(job, state="cancelling"))
        if job.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(job.pid, signal.SIGTERM)
        return job

    def _start_runner(self) -> None:
        with self._guard:
            if self._runner is None or not self._runner.is_alive():
                self._runner = threading.Thread(target=self._run_queue, name="newsqa-build-jobs", daemon=True)
                self._runner.start()

    def _run_queue(self) -> None:
        while True:
            with self._lock():
                queued = [j for j in self.jobs() if j.state == "queued"]
                if not queued:
                    return
                job = queued[0]
                path = self._path(job.id)
                _write_json(
                    path.with_suffix(".progress.json"),
                    {"stage": "reading", "settings": _settings_data(self.settings)},
                )
                log_file = (self.folder / f"{job.id}.log").open("w")
                child = subprocess.Popen(
                    [sys.executable, "-c", CHILD, str(path.with_suffix(".progress.json"))],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
                job = self._save(replace(job, state="running", started=time.time(), pid=child.pid))
            self._wait(job, child)
            log_file.close()
            self._prune()

    def _wait(self, job: Job, child: subprocess.Popen) -> None:
        while child.poll() is None:
            current = self._load(self._path(job.id))
            if current is not None and current.state == "cancelling":
                try:
                    child.wait(timeout=CANCEL_GRACE)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                break
            time.sleep(0.5)
        result = (_read_json(self._path(job.id).with_suffix(".progress.json")) or {}).get("result")
        with self._lock():
            current = self._load(self._path(job.id)) or job
            if current.state == "cancelling":
                outcome = {"state": "cancelled", "message": "已取消：索引保持原样"}
            elif result:
                outcome = result
            else:
                tail = (self.folder / f"{job.id}.log").read_text(errors="replace").strip().splitlines()[-1:]
                outcome = {
                    "state": "failed",
                    "message": f"建索引的进程意外退出（{child.returncode}）：{' '.join(tail)}",
                }
            self._save(replace(current, finished=time.time(), pid=None, **outcome))

    def _prune(self) -> None:
        finished = [j for j in self.jobs() if not j.active]
        for job in finished[:-KEEP_JOBS]:
            for suffix in (".json", ".progress.json", ".log"):
                (self.folder / f"{job.id}{suffix}").unlink(missing_ok=True)


class _Cancelled(BaseException):
    """Raised in the child on SIGTERM, so `build_index` deletes its unfinished generation."""


def run_job(progress_path: str | Path) -> None:
    """The child's side: rebuild the index, writing progress and the result to `progress_path`."""
    from embeddings.build import rebuild

    handler = logging.StreamHandler()  # warnings to the job's log; bm25s logs at DEBUG otherwise
    handler.setLevel(logging.WARNING)
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    progress_path = Path(progress_path)
    state = _read_json(progress_path) or {}
    settings = _settings_from(state["settings"])
    last = [0.0]

    def write(**fields) -> None:
        state.update(fields)
        _write_json(progress_path, state)

    def progress(done: int, total: int) -> None:
        if done >= total or time.monotonic() - last[0] > PROGRESS_EVERY:
            last[0] = time.monotonic()
            write(stage="writing" if done >= total else "embedding", done=done, total=total)

    def stop(_signum, _frame) -> None:
        raise _Cancelled

    signal.signal(signal.SIGTERM, stop)
    try:
        report = rebuild(settings, progress=progress)
    except _Cancelled:
        write(result={"state": "cancelled", "message": "已取消：索引保持原样"})
        return
    except NewsqaError as error:
        write(result={"state": "failed", "message": f"失败：{error}；索引保持原样"})
        return
    counts = report.manifest.counts
    message = (
        f"完成：{counts['articles']} 篇文章，{counts['chunks']} 个段落"
        f"（新增 {report.changes.added}、修改 {report.changes.changed}、删除 {report.changes.removed}；"
        f"嵌入 {report.embedded} 个段落，复用 {report.reused} 个）"
    )
    write(result={"state": "done", "message": message, "warnings": report.warnings})
