"""Chat turns and the API call, in process: user errors without a model, answers with the real one."""

from __future__ import annotations

import json

import pytest

from embeddings.build import BuildReport
from embeddings.settings import Settings
from qa.retrieve import MAX_QUESTION_CHARS
from ui.chat import HistoryFormatError, api_answer, local_answerer, parse_history, respond
from ui.render import PLACEHOLDER_HTML

QUESTION = "前黄浜全长多少公里？"
TITLE = "乔俊杰督查突出环境问题整改工作推进情况"


# --- fast: the question is refused before anything loads ----------------------------------------


@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_is_a_friendly_message(settings: Settings, question: str) -> None:
    earlier = [{"role": "user", "content": "旧问题"}, {"role": "assistant", "content": "旧回答"}]
    reply = respond(local_answerer(settings), question, list(earlier), list(earlier))
    assert reply.chat[:2] == earlier and len(reply.chat) == 3  # no empty user bubble
    assert reply.chat[-1]["role"] == "assistant" and "请输入一个问题" in reply.chat[-1]["content"]
    assert "Traceback" not in reply.chat[-1]["content"]
    assert reply.conversation == earlier and reply.sources_html == PLACEHOLDER_HTML


def test_over_long_question_is_a_friendly_message(settings: Settings) -> None:
    question = "前黄浜" * (MAX_QUESTION_CHARS // 3 + 1) + "<script>alert(1)</script>"
    reply = respond(local_answerer(settings), question, [], [])
    assert [m["role"] for m in reply.chat] == ["user", "assistant"]
    assert "<script" not in reply.chat[0]["content"] and "&lt;script&gt;" in reply.chat[0]["content"]
    assert f"最多 {MAX_QUESTION_CHARS} 字" in reply.chat[1]["content"]
    assert reply.conversation == []


def test_history_json_forms() -> None:
    messages = [
        {"role": "user", "content": "乔俊杰担任什么职务？"},
        {"role": "assistant", "content": "区委书记"},
    ]
    (turn,) = parse_history(json.dumps(messages, ensure_ascii=False))
    assert (turn.question, turn.answer) == ("乔俊杰担任什么职务？", "区委书记")
    (pair,) = parse_history('[["乔俊杰担任什么职务？", "区委书记"]]')
    assert pair == turn
    assert parse_history("") == parse_history("[]") == []
    for bad in ("{oops", '{"role": "user"}', "3"):
        with pytest.raises(HistoryFormatError, match="history_json"):
            parse_history(bad)


# --- slow: the real model on the bundled sample ----------------------------------------------------


@pytest.mark.slow
def test_answer_and_follow_up(sample_index: BuildReport, sample_settings: Settings) -> None:
    first = respond(local_answerer(sample_settings), QUESTION, [], [])
    assert "2.3公里" in first.chat[-1]["content"]
    assert TITLE in first.sources_html
    # the cited sentence is marked, the short answer inside it picked out
    assert '<mark>前黄浜全长<strong class="nqa-answer">2.3公里</strong>' in first.sources_html
    assert first.conversation[-1]["content"].startswith("2.3公里[1]")  # plain text, not HTML

    asked = respond(local_answerer(sample_settings), "乔俊杰担任什么职务？", first.chat, first.conversation)
    follow = respond(local_answerer(sample_settings), "他还参加了哪些活动？", asked.chat, asked.conversation)
    assert len(follow.chat) == 6 and len(follow.conversation) == 6
    assert "乔俊杰" in follow.chat[-1]["content"]


@pytest.mark.slow
def test_api_answer(sample_index: BuildReport, sample_settings: Settings) -> None:
    result = api_answer(local_answerer(sample_settings), QUESTION)
    assert "2.3公里" in result["text"] and result["short_answer"] == "2.3公里"
    assert TITLE in [c["title"] for c in result["citations"]]
    history = json.dumps([["乔俊杰担任什么职务？", "市委常委、区委书记"]], ensure_ascii=False)
    follow = api_answer(local_answerer(sample_settings), "他还参加了哪些活动？", history)
    assert follow["search_query"].startswith("乔俊杰") and "乔俊杰" in follow["text"]
