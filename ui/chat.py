"""One chat turn and one API call over the index: what the Gradio handlers run, without Gradio.

The chat keeps two lists per browser session: `chat`, the messages as displayed (escaped
HTML), and `conversation`, the plain question/answer messages that the answerer reads to
resolve follow-ups such as 他还参加了哪些活动？. Errors a user can cause (`NewsqaError`) become
a friendly chat line; anything else is a bug and propagates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from embeddings.errors import NewsqaError
from embeddings.settings import Settings
from qa.answer import Answer, answer
from qa.archive import ArchiveResult
from qa.history import Turn, normalize_history
from qa.retrieve import check_question
from ui.render import (
    PLACEHOLDER_HTML,
    answer_message,
    answer_to_dict,
    error_message,
    question_message,
    render_sources,
)

__all__ = [
    "Answerer",
    "HistoryFormatError",
    "Reply",
    "api_answer",
    "local_answerer",
    "parse_history",
    "respond",
]

Message = dict[str, object]


class HistoryFormatError(NewsqaError):
    """The API's history_json is not a JSON list of chat messages or (question, answer) pairs."""


class Answerer(Protocol):
    """Answers one question given the turns so far: in this process (`local_answerer`) or in
    `newsqa serve`'s worker process (`ui.worker.AnswerWorker.answer`)."""

    def __call__(
        self,
        question: str,
        history: Sequence[Turn] = (),
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> Answer: ...


def local_answerer(settings: Settings) -> Answerer:
    """Answers over `settings`' index in this process, loading the model and index on first use."""
    return partial(answer, settings=settings)


@dataclass(frozen=True)
class Reply:
    chat: list[Message]  # displayed messages, escaped HTML
    conversation: list[Message]  # plain messages of the answered turns, for follow-ups
    sources_html: str
    archive: ArchiveResult | None = None  # an archive-wide answer's count, months and first page


def respond(
    answerer: Answerer,
    question: str,
    chat: list[Message],
    conversation: list[Message],
    date_from: str = "",
    date_to: str = "",
) -> Reply:
    """Answer `question` in the context of `conversation`; append the exchange to both lists.

    `date_from` / `date_to` (YYYY-MM-DD, blank for open) restrict the passages searched."""
    shown = [{"role": "user", "content": question_message(question.strip())}] if question.strip() else []
    try:
        question = check_question(question)  # before loading anything: an empty question is instant
        result = answerer(
            question,
            normalize_history(conversation),
            date_from=date_from.strip() or None,
            date_to=date_to.strip() or None,
        )
    except NewsqaError as error:
        reply = {"role": "assistant", "content": error_message(error)}
        return Reply([*chat, *shown, reply], list(conversation), PLACEHOLDER_HTML)
    turn = [{"role": "user", "content": question}, {"role": "assistant", "content": result.text}]
    reply = {"role": "assistant", "content": answer_message(result)}
    return Reply([*chat, *shown, reply], [*conversation, *turn], render_sources(result), result.archive)


def parse_history(history_json: str) -> list[Turn]:
    """The API's history: a JSON list of {"role", "content"} messages or [question, answer] pairs."""
    try:
        items = json.loads(history_json or "[]")
    except json.JSONDecodeError as error:
        raise HistoryFormatError(f'history_json is not valid JSON ({error}); pass e.g. "[]"') from None
    if not isinstance(items, list):
        raise HistoryFormatError(
            'history_json must be a JSON list of {"role": ..., "content": ...} messages '
            "or [question, answer] pairs"
        )
    return normalize_history(items)


def api_answer(answerer: Answerer, question: str, history_json: str = "[]") -> dict:
    """The answer to `question` as a JSON-serialisable dict (see ui.render.answer_to_dict)."""
    history = parse_history(history_json)
    return answer_to_dict(answerer(check_question(question), history))
