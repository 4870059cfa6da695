"""The optional LLM path against a real HTTP server that speaks the chat-completions protocol.

The server (started by the test on a loopback port) reads the numbered passages from the prompt
and answers with one supported sentence, one sentence whose marker points at the wrong passage,
and one invented sentence; the checked answer must keep, re-point and drop them respectively.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from embeddings.settings import LLMSettings
from qa.answer import answer_with
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow

QUESTION = "前黄浜全长多少公里？"


def _passage_numbers(prompt: str) -> dict[int, str]:
    found = re.findall(r"\[(\d+)\]《[^》]*》(.*?)(?=\n\n\[\d+\]《|\n\n问题：)", prompt, re.S)
    return {int(n): text for n, text in found}


def _reply(prompt: str) -> str:
    passages = _passage_numbers(prompt)
    river = next(n for n, text in passages.items() if "2.3公里" in text)
    other = next(n for n in passages if n != river)
    return (
        f"前黄浜全长2.3公里[{river}]。"
        f"前黄浜途经前黄集镇区约1.2公里[{other}]。"  # true, but cited to the wrong passage
        f"前黄浜是全国最长的河流，全长5000公里[{river}]。"  # invented
    )


@pytest.fixture
def chat_server() -> Iterator[Callable[[str], LLMSettings]]:
    """Start a chat-completions server; behaviour: "ok", "slow" (sleeps past the timeout), "error"."""
    servers = []

    def start(behaviour: str) -> LLMSettings:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                assert self.path == "/v1/chat/completions"
                if behaviour == "slow":
                    time.sleep(3)
                if behaviour == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                content = _reply(body["messages"][-1]["content"])
                payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return LLMSettings(base_url=f"http://127.0.0.1:{server.server_port}/v1", model="test", timeout=1.0)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_generated_answer_keeps_repoints_and_drops(sample_index, sample_settings, chat_server) -> None:
    retriever = get_retriever(sample_settings)
    result = answer_with(retriever, QUESTION, llm=chat_server("ok"))
    assert result.generated
    assert "前黄浜全长2.3公里" in result.text
    assert "5000公里" not in result.text and "全国最长" not in result.text
    # Every marker points at a passage that contains what the sentence says.
    for sentence, number in re.findall(r"([^\[\]]+)\[(\d+)\]", result.text):
        citation = next(c for c in result.citations if c.number == int(number))
        for figure in re.findall(r"\d+(?:\.\d+)?公里", sentence):
            assert figure in citation.hit.text


@pytest.mark.parametrize("behaviour", ["slow", "error"])
def test_failing_endpoint_falls_back_to_extractive(
    sample_index, sample_settings, chat_server, behaviour
) -> None:
    retriever = get_retriever(sample_settings)
    result = answer_with(retriever, QUESTION, llm=chat_server(behaviour))
    assert not result.generated
    assert result.short_answer == "2.3公里"
    assert "前黄浜全长2.3公里" in result.text
