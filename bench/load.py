"""Load on the chat server: many API clients asking at once, latency and throughput.

    python bench/load.py [--clients 20] [--questions 10] [--shared ../shared]

Starts `newsqa serve` on a free loopback port with the home of NEWSQA_HOME (or the default),
offline, and waits until the page answers (the server first loads the model and index and answers
one warm-up question). Then --clients threads, each with its own `gradio_client.Client`, start
together and ask --questions questions each through the `/answer` endpoint, the questions of
../shared/eval/wujin_questions.jsonl taken in turn. Only 127.0.0.1 is contacted; every request,
the start-up and the whole run have a time limit, and the server is stopped in every case.
Writes bench/results/load.json (per-request latencies too) and the README table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme import replace_section  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from ui.server import CONCURRENCY, QUEUE_SIZE  # noqa: E402

HOST = "127.0.0.1"
STARTUP_SECONDS = 300  # model, index and warm-up question
REQUEST_SECONDS = 120  # one question, queueing included
RUN_SECONDS = 900  # the whole load, client connections included
MAX_REQUESTS = 2000
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "NO_PROXY": f"{HOST},localhost",
}


@dataclass(frozen=True)
class Request:
    client: int
    question: str
    seconds: float
    ok: bool
    error: str | None = None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def start_server(port: int, home: Path, log, extra_args: Sequence[str] = ()) -> subprocess.Popen:
    """`newsqa serve` on HOST:port, offline, its output going to `log`."""
    newsqa = Path(sys.executable).with_name("newsqa")
    command = [str(newsqa), "serve", "--host", HOST, "--port", str(port), "--home", str(home), *extra_args]
    env = {**os.environ, **OFFLINE_ENV}
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)


@contextlib.contextmanager
def running_server(home: Path, extra_args: Sequence[str] = ()) -> Iterator[tuple[subprocess.Popen, str]]:
    """`newsqa serve` on a free port while the block runs: (process, url). Its log is printed
    if the block fails; the server is stopped in every case."""
    port = free_port()
    with tempfile.TemporaryFile(mode="w+", prefix="newsqa-serve-") as log:
        server = start_server(port, home, log, extra_args)
        try:
            yield server, f"http://{HOST}:{port}/"
        except BaseException:
            log.seek(0)
            print(log.read()[-4000:], file=sys.stderr)
            raise
        finally:
            stop_server(server)


def wait_until_up(server: subprocess.Popen, url: str, seconds: float) -> float:
    """Poll `url` until it answers 200; the seconds that took. Fails if the server exits or is late."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"the server did not answer {url} within {seconds} s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


def ask_one(client, number: int, question: str, deadline: float) -> Request:
    """One `/answer` call, timed from submission to result; a success is a dict with a "text"."""
    timeout = min(REQUEST_SECONDS, deadline - time.monotonic())
    started = time.perf_counter()
    job = client.submit(question, "[]", api_name="/answer")
    try:
        result = job.result(timeout=timeout)
    except Exception as error:  # a failed request is a result to count
        return Request(number, question, time.perf_counter() - started, False, repr(error)[:300])
    seconds = time.perf_counter() - started
    ok = isinstance(result, dict) and "text" in result
    return Request(number, question, seconds, ok, None if ok else f"unexpected result: {result!r}"[:300])


def client_run(url: str, number: int, questions: list[str], start, deadline: float) -> list[Request]:
    """Connect, wait for the other clients, then ask `questions` one after another."""
    from gradio_client import Client

    client = Client(
        url,
        verbose=False,
        analytics_enabled=False,
        download_files=False,
        httpx_kwargs={"timeout": REQUEST_SECONDS},
    )
    try:
        start.wait(timeout=max(0.0, deadline - time.monotonic()))
        done = []
        for question in questions:
            if time.monotonic() >= deadline:
                done.append(Request(number, question, 0.0, False, "run time limit reached"))
                continue
            done.append(ask_one(client, number, question, deadline))
        return done
    finally:
        client.close()


def run_load(url: str, rows: list[dict], clients: int, per_client: int) -> tuple[list[Request], float]:
    """All clients at once; every request (those never made count as failures) and the wall time."""
    import gradio_client  # noqa: F401 - imported once here, not by 20 threads at once

    deadline = time.monotonic() + RUN_SECONDS
    start = threading.Barrier(clients + 1)
    results: dict[int, list[Request]] = {}
    errors: dict[int, str] = {}

    def work(number: int) -> None:
        mine = [rows[(number * per_client + j) % len(rows)]["question"] for j in range(per_client)]
        try:
            results[number] = client_run(url, number, mine, start, deadline)
        except Exception as error:  # reported as failed requests below
            errors[number] = repr(error)[:300]
            start.abort()

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a client that failed to connect
        start.wait(timeout=max(0.0, deadline - time.monotonic()))  # every client connected
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + REQUEST_SECONDS - time.monotonic()))
    wall = time.perf_counter() - started
    requests = []
    for number in range(clients):
        made = results.get(number, [])
        requests += made
        reason = errors.get(number, "client did not finish")
        requests += [Request(number, "", 0.0, False, reason)] * (per_client - len(made))
    return requests, wall


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of non-empty `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def summarize(requests: list[Request], wall: float, clients: int, per_client: int) -> dict:
    seconds = [r.seconds for r in requests if r.ok] or [0.0]
    return {
        "clients": clients,
        "questions_per_client": per_client,
        "requests": len(requests),
        "errors": sum(not r.ok for r in requests),
        "p50_seconds": round(percentile(seconds, 0.50), 3),
        "p95_seconds": round(percentile(seconds, 0.95), 3),
        "max_seconds": round(max(seconds), 3),
        "throughput_per_second": round(sum(r.ok for r in requests) / wall, 2),
        "wall_seconds": round(wall, 1),
        "queue": {"concurrency": CONCURRENCY, "max_size": QUEUE_SIZE},
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }


def table(summary: dict) -> str:
    s = summary
    return (
        "| clients × questions | errors | p50 | p95 | max | throughput | wall time | concurrency | CPU |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
        f"| {s['clients']} × {s['questions_per_client']} | {s['errors']}/{s['requests']} "
        f"| {s['p50_seconds']} s | {s['p95_seconds']} s | {s['max_seconds']} s "
        f"| {s['throughput_per_second']} req/s | {s['wall_seconds']} s | {s['queue']['concurrency']} "
        f"| {s['cores']} cores, {s['cpu']} |"
    )


def serve_and_load(home: Path, rows: list[dict], clients: int, per_client: int):
    """Start the server, load it, stop it: (requests, wall seconds, start-up seconds)."""
    with running_server(home) as (server, url):
        startup = wait_until_up(server, url, STARTUP_SECONDS)
        print(f"server up after {startup:.0f} s at {url}", file=sys.stderr, flush=True)
        requests, wall = run_load(url, rows, clients, per_client)
    return requests, wall, startup


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    if not (args.clients >= 1 and args.questions >= 1 and args.clients * args.questions <= MAX_REQUESTS):
        parser.error(f"--clients and --questions must be at least 1, with at most {MAX_REQUESTS} requests")
    rows = [json.loads(line) for line in (args.shared / "eval/wujin_questions.jsonl").open(encoding="utf-8")]
    os.environ.update(OFFLINE_ENV)  # for gradio_client in this process too
    requests, wall, startup = serve_and_load(Settings.from_env().home, rows, args.clients, args.questions)
    summary = summarize(requests, wall, args.clients, args.questions) | {"startup_seconds": round(startup, 1)}
    details = [asdict(r) | {"seconds": round(r.seconds, 3)} for r in requests]
    out = ROOT / "bench" / "results" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "requests": details}, ensure_ascii=False, indent=2))
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    for r in requests:
        if not r.ok:
            print("failed:", r.client, r.question, r.error)
    if summary["errors"]:
        raise SystemExit(f"{summary['errors']} of {summary['requests']} requests failed; README not updated")
    replace_section("load-bench", table(summary))


if __name__ == "__main__":
    main()
