"""Follow-up questions: carry the person or topic of the previous turn into the search, no LLM.

A question that leans on the conversation (他/她/其/该…, or 那… / 还… with no subject of its own)
is searched with the previous turn's person: 乔俊杰担任什么职务？ then 他还参加了哪些活动？
searches 乔俊杰还参加了哪些活动？. 他们 stands first for a group the previous question asked
about: 中国体育代表团获得了多少枚金牌？ then 他们一共获得多少枚奖牌？, and 它 for the thing it asked
about (秦岭站在哪里？ then 它是什么时候建成的？ searches 秦岭站是…). When the previous turn
names nobody, a personal pronoun (他, 她, 此人…) is resolved to the official the previous
answer's cited article is about; when that article names nobody either, the follow-up is left
unresolved and says so (searching the two questions glued together would only repeat the
previous answer). Other leaning questions (其…, 还有…, 这次…) are searched with the previous question's
topic (全国碳市场启动几年了？ then 此次启动以来减排成本降低了多少？ searches 全国碳市场启动 启动以来…:
with the whole previous question, the reader answered it again), and 其中… with the previous
question's words (其中提到新质生产力的有多少篇？ after a count). X呢？ asks the previous
question of X where X is a date, a person or a place and the previous question names one of that
kind (广西2023年经济总量是多少？ then 2012年呢？ searches 广西2012年经济总量是多少？). A question that
names its own subject (那汉滨区的区长是谁？) is searched as asked, minus the leading 那.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.extract.dates import event_dates
from embeddings.extract.people import find_people

__all__ = ["FollowUp", "Turn", "contextualize", "normalize_history"]

_PRONOUN = re.compile(r"他们|她们|它们|他|她|它|其(?![中他余实次])|该人|此人|这位|那位")
# 其中… narrows what the previous question asked about (2024年3月有多少篇报道提到两会？ then
# 其中提到新质生产力的有多少篇？): both are searched, glued together.
_AMONG = re.compile(r"^(?:那么|那)?其中[，,]?")
_THING = re.compile(r"它们|它")
# Where a question's topic ends: 秦岭站|在哪里, 第十五届中国航展|在哪里举办, 嫦娥六号|从月球…
_TOPIC_END = re.compile(
    r"在哪|在什么|位于|什么时候|何时|为什么|怎么|如何|是(?:什么|哪|谁|多少|几)|有(?:多少|哪|几)|从|于|哪|多少|几|谁|是|有|在"
)
_PERSONAL = re.compile(r"他们|她们|他|她|该人|此人|这位|那位")
_CITATION_MARK = re.compile(r"\[\d+\]")
_MIN_QUOTE = 6  # characters of a quoted sentence enough to find its article
_LEANING_START = re.compile(r"^(?:那么|那|还有|另外|此外|然后|这次|此次)[，,]?")
_PLURAL = re.compile(r"他们|她们")
# A group a plural pronoun can stand for: the previous question's noun phrase that ends in a
# collective or people noun (巴黎奥运会中国体育代表团, 神舟十八号乘组, 两院院士, 区领导).
_GROUP = re.compile(
    r"[\u4e00-\u9fff·—\-]{1,14}?(?:代表团|乘组|机组|球队|团队|小组|班子|委员会|协会|学会|公司|集团|企业|"
    r"政府|部门|机构|学校|大学|医院|院士|代表|委员|领导人|领导|干部|专家|学者|志愿者|运动员|航天员|队员|"
    r"学生|教师|医生|村民|居民|群众|员工|工人|农民|记者|选手)"
)
_QUESTION_LEAD = re.compile(r"^(?:请问|那么|那)[，,]?")
# X呢？ asks the previous question again of X: 2012年呢？ after 广西2023年经济总量是多少？
_ELLIPTIC = re.compile(r"^(?:那么|那)?[，,]?(?P<part>[^，。？?！!]{1,16}?)呢[？?]?$")
_PLACE_SUFFIX = "省|市|区|县|镇|乡|村|街道"
_PLACE_NAME = re.compile(rf"[\u4e00-\u9fff]{{1,8}}?(?:{_PLACE_SUFFIX})")
_OWN_SUBJECT = re.compile(rf"[\u4e00-\u9fff]{{2,}}(?:{_PLACE_SUFFIX}|会|馆|浜)")


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""


@dataclass(frozen=True)
class FollowUp:
    query: str  # the question to search
    unresolved: str | None = None  # a pronoun that nobody in the conversation could stand for


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


def _cited_person(answer: str, index) -> str | None:
    """The official most mentioned in the article that the previous answer quotes, if any."""
    quotes = [q.strip() for q in _CITATION_MARK.split(answer) if len(q.strip()) >= _MIN_QUOTE]
    quoted = next((aid for q in quotes for aid, article in index.articles.items() if q in article.text), None)
    if quoted is None:
        return None
    names = [r.name for r in index.people if r.article_id == quoted and r.role == "official"]
    return max(dict.fromkeys(names), key=names.count) if names else None


def _asked_of(previous: str, part: str, names: frozenset[str]) -> str | None:
    """The previous question asked of `part` instead of what it named of the same kind: a date
    (2023年 -> 2012年, 6月 -> 上个月), a person (习近平 -> 李强) or a place (武进区 -> 汉滨区);
    None when `part` is none of these or the previous question names nothing of its kind."""
    dates = event_dates(part, None)
    if dates and (dates[0].start, dates[0].end) == (0, len(part)):
        if not (old := event_dates(previous, None)):
            return None
        # 2024年3月 then 6月呢: the year stays.
        year = re.match(r"\d{4}年", old[0].expression)
        if year and "年" not in part:
            part = year.group() + part
        return previous[: old[0].start] + part + previous[old[0].end :]
    people = [p.name for p in find_people(previous)] + [n for n in names if n in previous]
    if people and (part in names or [p.name for p in find_people(part)] == [part]):
        return previous.replace(min(people, key=previous.index), part, 1)
    if _PLACE_NAME.fullmatch(part) and (place := _PLACE_NAME.search(previous)):
        return previous[: place.start()] + part + previous[place.end() :]
    return None


def contextualize(question: str, history: Sequence[Turn], index=None) -> FollowUp:
    """The question to search: rewritten with the previous turn's subject when it leans on it."""
    if not history:
        return FollowUp(question)
    names = frozenset(index.tokenizer.extra_words) if index is not None else frozenset()
    previous = history[-1]
    if among := _AMONG.match(question):
        return FollowUp(f"{previous.question} {question[among.end() :]}")
    if (elliptic := _ELLIPTIC.match(question)) and (
        asked := _asked_of(previous.question, elliptic.group("part"), names)
    ):
        return FollowUp(asked)
    pronoun = _PRONOUN.search(question)
    stripped = _LEANING_START.sub("", question)
    if not pronoun and stripped == question:
        return FollowUp(question)
    if not pronoun and (_OWN_SUBJECT.search(stripped) or any(n in stripped for n in names)):
        return FollowUp(stripped)
    topic = _topic(previous.question)
    if pronoun and _THING.fullmatch(pronoun.group(0)):
        # 它 is the thing the previous question asked about, never a person.
        if topic:
            return FollowUp(_PRONOUN.sub(topic, stripped, count=1))
        return FollowUp(f"{previous.question} {stripped}")
    if pronoun and _PLURAL.fullmatch(pronoun.group(0)) and (group := _GROUP.search(previous.question)):
        # 他们 after a question about a group is that group, before anyone its answer names.
        subject = _QUESTION_LEAD.sub("", group.group(0))
        return FollowUp(_PRONOUN.sub(subject, stripped, count=1))
    person = _focus(previous, names)
    if person is None and pronoun and _PERSONAL.fullmatch(pronoun.group(0)):
        person = _cited_person(previous.answer, index) if index is not None else None
        if person is None:
            return FollowUp(question, unresolved=pronoun.group(0))
    if person:
        return FollowUp(_PRONOUN.sub(person, stripped, count=1) if pronoun else f"{person}{stripped}")
    # The previous question's topic, not the whole question: read with its question word as well
    # (全国碳市场启动几年了？ 此次启动以来减排成本降低了多少？), the reader answers it again (三年).
    return FollowUp(f"{topic} {stripped}" if topic else f"{previous.question} {stripped}")


def _topic(question: str) -> str:
    """What a question asks about, before its question word (秦岭站 of 秦岭站在哪里？), or ""
    when that is under two characters."""
    end = _TOPIC_END.search(question)
    topic = _QUESTION_LEAD.sub("", question[: end.start() if end else None])
    return topic if len(topic) >= 2 else ""
