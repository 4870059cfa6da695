"""Serve the chat UI locally: index ready, model warm, queue sized for a 2-core CPU, nothing online.

`serve(settings)` builds the default index when it is missing (progress through `progress`),
starts the answering worker (ui.worker: it loads the model and index and runs one query, so the
first user's question is fast, while this process imports Gradio), then launches Gradio on
127.0.0.1 with no share link, no analytics, no MCP server, no monitoring page and no run
history; the theme uses system fonts, so the page fetches nothing from the internet.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

from embeddings.errors import NewsqaError
from embeddings.settings import Settings

__all__ = ["CONCURRENCY", "host_warning", "launch_options", "serve"]

log = logging.getLogger(__name__)

CONCURRENCY = 2  # questions answered at once: the model runs on 2 CPU cores
QUEUE_SIZE = 64  # questions waiting beyond that; more get "queue full"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
UPLOAD_SLACK = 16 * 1024**2  # bytes Gradio accepts past the archive page's limit


def host_warning(host: str) -> str | None:
    """What to tell the user when `host` (0.0.0.0, a LAN address…) opens the UI to the network."""
    if host in LOCAL_HOSTS:
        return None
    return f"serving on {host}: anyone on your network can use this UI; use --host 127.0.0.1 to keep it local"


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """`user:password` -> (user, password); None when no login is asked for."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise NewsqaError("--auth / NEWSQA_AUTH must look like user:password")
    return user, password


def launch_options(
    host: str, port: int, auth: tuple[str, str] | None = None, max_upload_bytes: int | None = None
) -> dict:
    """Keyword arguments for `Blocks.launch`: local, private, offline, optionally behind a login."""
    return {
        "auth": auth,
        "server_name": host,
        "server_port": port,
        "share": False,
        "inbrowser": False,
        "ssr_mode": False,  # no Node server
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "run_history": False,  # questions are not stored in the browser
        "footer_links": ["api"],
        "show_error": False,  # unexpected errors stay in the server log; NewsqaErrors reach users anyway
        # Gradio's own bound, above the archive page's (which says what the limit is and why).
        "max_file_size": max_upload_bytes + UPLOAD_SLACK if max_upload_bytes else None,
    }


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 7860,
    progress: Callable[[int, int], None] | None = None,
    auth: str | None = None,
) -> None:
    """Load the index and model, then serve the chat UI at http://host:port until interrupted.

    `auth` ("user:password", else NEWSQA_AUTH) puts the page and its API behind a login."""
    login = parse_auth(auth or os.environ.get("NEWSQA_AUTH"))
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported
    warning = host_warning(host)
    if warning:
        log.warning(warning)
    from embeddings.build import ensure_default_index

    ensure_default_index(settings, progress)  # here, not in the worker: its progress bar shows
    print(f"loading the model and index ({settings.resolved_index_dir}) …", file=sys.stderr, flush=True)
    from ui.worker import AnswerWorker

    worker = AnswerWorker(settings)
    ready = worker.start()  # the worker loads the model and index while Gradio is imported below
    from ui.app import CSS, build_app, theme

    try:
        ready.result()
        demo = build_app(settings, worker.answer)
        demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
        demo.launch(theme=theme(), css=CSS, **launch_options(host, port, login, settings.max_upload_bytes))
    finally:
        worker.close()
