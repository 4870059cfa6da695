"""Optional generated answers from an OpenAI-compatible chat endpoint, held to their citations.

When a user configures an endpoint (NEWSQA_LLM_BASE_URL, NEWSQA_LLM_MODEL, NEWSQA_LLM_API_KEY or
the matching CLI flags), the numbered passages go to the model with the instruction to answer
only from them, marking each sentence [n]. Every sentence that comes back is then checked against
the passage its marker names: kept when that passage supports it, re-pointed when another passage
does, dropped otherwise. Any HTTP error, timeout or an answer with nothing supported left falls
back to the extractive answer. Plain `urllib`: one POST needs no client library.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence

from embeddings.settings import LLMSettings
from qa.retrieve import PassageHit

__all__ = ["LLMError", "chat_completion", "supported_sentences"]

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "你是新闻档案问答助手。只根据用户给出的编号段落回答问题，不要使用段落以外的知识。"
    "每一句话后面用方括号标出它依据的段落编号，例如[1]。段落中没有答案时，只回答：文章中没有提到。"
)
SUPPORT_THRESHOLD = 0.6  # share of a sentence's words that its passage must contain
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?(?:\s*\[\d+\])*")
_MARKER = re.compile(r"\[(\d+)\]")


class LLMError(Exception):
    """The endpoint failed, timed out or answered in an unexpected shape."""


def _prompt(question: str, hits: Sequence[PassageHit]) -> str:
    passages = "\n\n".join(f"[{n}]《{hit.title}》{hit.text}" for n, hit in enumerate(hits, start=1))
    return f"段落：\n{passages}\n\n问题：{question}"


def chat_completion(settings: LLMSettings, question: str, hits: Sequence[PassageHit]) -> str:
    """The model's raw answer text; LLMError on any failure."""
    body = {
        "model": settings.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": _prompt(question, hits)},
        ],
    }
    request = urllib.request.Request(
        settings.base_url.rstrip("/") + "/chat/completions",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {settings.api_key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            payload = json.loads(response.read().decode("utf-8"))
        return str(payload["choices"][0]["message"]["content"])
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"chat endpoint {settings.base_url} failed: {exc}") from exc


def supported_sentences(
    text: str, hits: Sequence[PassageHit], support: Callable[[str, str], float]
) -> list[tuple[str, int]]:
    """(sentence without markers, passage number) for each generated sentence a passage supports.

    `support(sentence, passage_text)` scores in [0, 1]. A sentence is kept with its own marker
    when that passage supports it, re-pointed to the best-supporting passage otherwise, and
    dropped when no passage reaches SUPPORT_THRESHOLD.
    """
    kept = []
    for match in _SENTENCE.finditer(text):
        sentence = _MARKER.sub("", match.group(0)).strip()
        if len(sentence) < 2:
            continue
        claimed = [int(n) for n in _MARKER.findall(match.group(0)) if 1 <= int(n) <= len(hits)]
        scores = {n: support(sentence, hits[n - 1].text) for n in range(1, len(hits) + 1)}
        own = [n for n in claimed if scores[n] >= SUPPORT_THRESHOLD]
        best = max(scores, key=scores.get, default=None)
        if own:
            kept.append((sentence, own[0]))
        elif best is not None and scores[best] >= SUPPORT_THRESHOLD:
            log.info("re-pointed %r from %s to [%d]", sentence, claimed, best)
            kept.append((sentence, best))
        else:
            log.info("dropped unsupported sentence %r", sentence)
    return kept
