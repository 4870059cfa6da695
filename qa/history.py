"""Follow-up questions: carry the person or topic of the previous turn into the search, no LLM.

A question that leans on the conversation (他/她/其/该…, or 那… / 还… with no subject of its own)
is searched with the previous turn's person, or failing that the previous question's words:
乔俊杰担任什么职务？ then 他还参加了哪些活动？ searches 乔俊杰还参加了哪些活动？. A question that
names its own subject (那汉滨区的区长是谁？) is searched as asked, minus the leading 那.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.people import find_people

__all__ = ["Turn", "contextualize", "normalize_history"]

_PRONOUN = re.compile(r"他们|她们|他|她|其|该人|此人|这位|那位")
_LEANING_START = re.compile(r"^(?:那么|那|还有|另外|此外|然后)[，,]?")
_OWN_SUBJECT = re.compile(r"[\u4e00-\u9fff]{2,}(?:区|镇|市|县|村|街道)|[\u4e00-\u9fff]{2,}(?:会|馆|浜)")


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""


def _text_of(content: object) -> str:
    """Message content as text: a string, or Gradio 6's list of {"type": "text", "text": …} parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def normalize_history(history: Sequence | None) -> list[Turn]:
    """(question, answer) pairs, Turns, or chat messages with role/content -> Turns."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, dict):
            content = _text_of(item.get("content"))
            if item.get("role") == "user":
                turns.append(Turn(content))
            elif item.get("role") == "assistant" and turns:
                turns[-1] = Turn(turns[-1].question, content)
        elif isinstance(item, list | tuple) and len(item) == 2:
            turns.append(Turn(str(item[0] or ""), str(item[1] or "")))
    return turns


def _focus(turn: Turn, names: frozenset[str]) -> str | None:
    """The person the previous turn was about: named in its question, else in its answer."""
    for text in (turn.question, turn.answer):
        named = [n for n in names if n in text] + [p.name for p in find_people(text)]
        if named:
            return min(named, key=text.index)
    return None


def contextualize(question: str, history: Sequence[Turn], index=None) -> str:
    """The question to search: rewritten with the previous turn's subject when it leans on it."""
    if not history:
        return question
    names = frozenset(index.tokenizer.extra_words) if index is not None else frozenset()
    previous = history[-1]
    has_pronoun = bool(_PRONOUN.search(question))
    stripped = _LEANING_START.sub("", question)
    leans = has_pronoun or stripped != question
    if not leans:
        return question
    if not has_pronoun and (_OWN_SUBJECT.search(stripped) or any(n in stripped for n in names)):
        return stripped
    person = _focus(previous, names)
    if person:
        return _PRONOUN.sub(person, stripped, count=1) if has_pronoun else f"{person}{stripped}"
    return f"{previous.question} {stripped}"
