"""Running `newsqa serve` and asking it in a browser, for the UI's end-to-end tests.

A server gets its own NEWSQA_HOME and a free port and is always terminated, then killed if it
lingers. The browser is the system Chromium driven by Playwright (fixtures in conftest.py).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

NEWSQA = Path(sys.executable).parent / "newsqa"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
START_TIMEOUT = 180  # seconds for a server to load the model, build the sample index and listen
ANSWER_TIMEOUT = 60_000  # milliseconds for one answer to appear in the browser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(home: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `newsqa serve` (with `env` added to its environment) until the port answers; yield its
    URL; always stop it."""
    port = free_port()
    env = subprocess_env(home, NO_PROXY="127.0.0.1,localhost", **(env or {}))
    command = [str(NEWSQA), "serve", "--port", str(port), "--home", str(home), *args]
    url = f"http://127.0.0.1:{port}/"
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not answers(url):
                if server.poll() is not None:
                    pytest.fail(f"newsqa serve exited with {server.returncode}:\n{log.read_text()}")
                if time.monotonic() > deadline:
                    pytest.fail(f"newsqa serve did not answer within {START_TIMEOUT}s:\n{log.read_text()}")
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)


def ask(page, question: str) -> str:
    """Type `question`, click 提问, wait for the reply; return the reply's text."""
    from playwright.sync_api import expect

    replies = page.locator('#nqa-chat [data-testid="bot"]')
    before = replies.count()
    page.get_by_placeholder("输入问题").fill(question)
    page.get_by_role("button", name="提问", exact=True).click()
    expect(replies).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return replies.last.inner_text()
