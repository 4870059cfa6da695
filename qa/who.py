"""Questions about people, answered from the people table instead of by retrieval alone.

A name occurs in many passages and a title sits in one byline-style run, so ranking passages
answers 乔俊杰担任什么职务 or 乔俊杰参加了哪些活动 poorly. These patterns go to the mentions the
index recorded (`SearchIndex.people`), each cited to the sentence that states it:

    X担任什么职务 / X是谁            the titles, each cited
    谁是区长 / 武进区委书记是谁       the person whose title fits, cited
    X参加了哪些活动 / X去了哪里       a timeline, one line per article, each cited
    朱梦琪报道了哪些新闻              the reporter's articles, cited to their bylines
    X是哪位记者写的 / X的作者是谁     the reporters of the article headlined X, cited to its byline
Anything else returns None and is answered extractively; there, `answer_attendance` answers

    谁参加了X / 哪些领导出席了X       who the attendance line of the passage retrieved first
                                      names (区领导薛红霞、胡泊参加会议), cited to it
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from embeddings.chunking import split_sentences
from embeddings.extract.dates import parse_iso, written
from embeddings.extract.entities import tag_words
from embeddings.extract.people import TITLE_WORDS, PersonRecord
from qa.officials import LISTED_ONLY, Person, group_people
from qa.question_types import person_fit
from qa.retrieve import DateScope, PassageHit, Retriever

__all__ = ["PeopleAnswer", "answer_about_people", "answer_attendance"]

_TITLE_Q = re.compile(r"(?:担任|是|任)?(?:什么|哪些|何)(?:职务|职位|身份|官)|是谁|是什么人|是哪位")
_ACTIVITY_Q = re.compile(
    r"(?:都|还)?(?:参加了?|出席了?|去了|到过|做了|开展了|有)(?:哪些|什么)|去了哪里|去过哪里"
)
_REPORTER_Q = re.compile(r"(?:报道|写|采写)(?:了|过)?(?:哪些|什么|哪一?篇|哪几篇)")
_AUTHOR_Q = re.compile(
    r"是?(?:哪位|哪个|哪名|哪些|什么|谁)(?:记者)?(?:写|采写|撰写|报道)的|的?(?:作者|记者)是谁"
)
# Articles a timeline quotes: 习近平 is in a third of a year's national news; the count says the rest.
TIMELINE_LINES = 20
_TOPIC_TAIL = re.compile(r"(?:这篇|该)?(?:文章|报道|稿件|新闻)?$")
_WHO_HOLDS = re.compile(r"^(?:请问)?(?:谁是(?P<a>.{2,12}?)|(?P<b>.{2,12}?)是谁)[？?。]?$")
_ASKED_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,4}?)([省市区县镇])")  # 北京, 市 of 北京市市长
_PLACE_UNIT = re.compile(r"^([\u4e00-\u9fff]{2,4}?)([省市区县镇])(?:委|政府|人大)?$")  # 重庆, 市 of 重庆市委

_ATTENDED_Q = re.compile(
    r"(?:谁|哪些[^，。？]{0,4}?(?:人|领导|嘉宾|代表|官员)|哪(?:几)?位[^，。？]{0,4}?)"
    r"(?:也|还|一同|共同)?(?:参加|出席|陪同)"
)
# A report's attendance line: 区领导薛红霞、胡泊参加会议。/ 丁薛祥出席。/ 王毅出席并讲话。/ 王毅参加
# 会见。/ 省委书记信长星陪同。(not 在…陪同下, which names the host's escort mid-sentence). The
# host is named in the opening sentence (乔俊杰主持召开…会议), which shares the question's words,
# so the reader alone answers 谁参加了…会议 with the host.
_ATTENDANCE = re.compile(
    r"(?:参加|出席|陪同)了?(?:相关)?(?:会议|活动|调研|考察|座谈会?|仪式|典礼|开幕式|闭幕式|签约仪式|会见|会谈|发布会)?"
    r"(?=[。，；！]|并|$)"
)
# 谁在…学习时作讲解 / 谁作交流发言: the act asked, found as written at a clause's end
# (复旦大学教授吴玉韶作讲解。), where the reader answers with the host of the opening sentence.
# 作 on its own, not the end of 工作: 作政府工作报告 is no 作报告.
_ACT_START = r"(?<![工合创写动操协运制])"
_ACT = rf"{_ACT_START}作(?:交流|主旨|专题|辅导|重点|书面)?(?:讲解|发言|报告|演讲|讲座)"
_ACT_Q = re.compile(rf"(?:谁|哪(?:几)?位|哪些人)[^，。？]*?({_ACT})")
# Untitled names in a row, the way a report lists its attendees: 李干杰、张国清、铁凝和陈竺.
_NAME_LIST = re.compile(r"[\u4e00-\u9fff]{2,4}(?:[、和][\u4e00-\u9fff]{2,4})+")
_LEADERS_Q = re.compile(r"领导|官员|哪位|哪几位")
_CLAUSE_END = re.compile(r"[，；：。！？,;:!?]")
_ADVERB_TAIL = re.compile(r"(?:也|还|一同|共同|均|分别|亦|一起)+$")
_PEOPLE_NOUN = re.compile(r"人|员|者|代表|同志|领导|嘉宾|官员|负责人|教授|专家|院士")


@dataclass(frozen=True)
class _Sentence:
    """A sentence of an article, cited as a person mention's sentence is."""

    article_id: str
    sentence_start: int
    sentence_end: int


Cite = Callable[[PersonRecord | _Sentence], int]


def _citer(retriever: Retriever, hits: list[PassageHit], spans: dict[int, list[tuple[int, int]]]) -> Cite:
    """A function giving each cited sentence its marker number; one number per passage."""

    def cite(record: PersonRecord | _Sentence) -> int:
        start, end = retriever.passage_span(record.article_id, record.sentence_start, record.sentence_end)
        same = (
            n
            for n, h in enumerate(hits, 1)
            if (h.article_id, h.start, h.end) == (record.article_id, start, end)
        )
        number = next(same, None)
        if number is None:
            hits.append(retriever.hit_for(record.article_id, start, end, 1.0))
            number = len(hits)
        if (record.sentence_start, record.sentence_end) not in spans.setdefault(number, []):
            spans[number].append((record.sentence_start, record.sentence_end))
        return number

    return cite


def _quote(retriever: Retriever, record: PersonRecord) -> str:
    return retriever.index.articles[record.article_id].text[record.sentence_start : record.sentence_end]


def _titles_answer(retriever: Retriever, person: Person, cite: Cite) -> tuple[str, str]:
    lines, seen = [], set()
    for record in person.mentions:
        untitled = record.role != "official" or not record.title  # 习近平指出…: names, states no title
        if untitled or record.title in seen or (record.title == LISTED_ONLY and len(person.titles) > 1):
            continue
        seen.add(record.title)
        lines.append(f"{_quote(retriever, record)}[{cite(record)}]")
    short = "、".join(person.title_parts)
    return short, f"{person.name}：{short}\n\n" + "\n".join(lines)


def _timeline(
    retriever: Retriever, person: Person, cite: Cite, scope: DateScope | None
) -> tuple[str, str] | None:
    """One line per article naming `person`, by date, within `scope` (undated articles after the
    dated ones where the question named the time, none under a date filter); None when no
    article of the scope names them. The first TIMELINE_LINES are quoted and cited."""
    first_per_article: dict[str, PersonRecord] = {}
    for record in person.mentions:
        first_per_article.setdefault(record.article_id, record)
    records = sorted(first_per_article.values(), key=lambda r: (r.date or "9999", r.article_title))
    when = ""
    if scope is not None:
        window = scope.window
        records = [
            r
            for r in records
            if (r.date and window.contains(parse_iso(r.date))) or (not r.date and scope.keep_undated)
        ]
        when = f"在{written(window)}"
    if not records:
        return None
    # In a national archive most mentions are others' stories (李希在四川调研 quotes 习近平总书记):
    # past TIMELINE_LINES, the person's own, headlined with their name first, are the ones listed.
    headlined = [r for r in records if r.article_title.startswith(person.name)]
    shown = headlined if len(records) > TIMELINE_LINES and headlined else records
    lines = [
        f"· {r.date or '日期未知'}《{r.article_title}》：{_quote(retriever, r)}[{cite(r)}]"
        for r in shown[:TIMELINE_LINES]
    ]
    count = len(records)
    head = [f"{person.name}{when}{'报道了' if person.role == 'reporter' else '出现在'}{count}篇文章"]
    if person.role != "reporter":
        head[0] += "中"
    if shown is headlined:
        head.append(f"其中{len(shown)}篇的标题以{person.name}开头")
    if len(shown) > TIMELINE_LINES:
        head.append(f"按日期列出前{TIMELINE_LINES}篇")
    elif shown is headlined:
        head.append("按日期列出")
    return f"{count}篇", "，".join(head) + "：\n" + "\n".join(lines)


def _named(query: str, people: Sequence[Person], role: str | None = None) -> Person | None:
    named = [p for p in people if p.name in query and (role is None or p.role == role)]
    return max(named, key=lambda p: (len(p.name), p.role == "official")) if named else None


def _holder(retriever: Retriever, query: str, people: Sequence[Person]) -> PersonRecord | None:
    """谁是区长 / 汉滨区区长是谁: the mention of the official whose title fits best, if it fits the
    title asked. A title that does not name the place asked does not answer where its sentence
    names another place of that level and not the one asked: 重庆市委书记袁家军和市长胡衡华 is
    重庆's mayor, not 北京's; a local paper's 市委书记陈金虎 names no place and is its own city's."""
    asked = _WHO_HOLDS.match(query)
    wanted = asked and (asked.group("a") or asked.group("b"))
    if not wanted or not any(word in wanted for word in TITLE_WORDS):
        return None
    place = _ASKED_PLACE.match(wanted)
    articles = retriever.index.articles

    def elsewhere(record: PersonRecord) -> bool:
        if not place or place.group(1) in record.title:
            return False
        sentence = articles[record.article_id].text[record.sentence_start : record.sentence_end]
        if place.group(1) in sentence:
            return False
        units = (_PLACE_UNIT.match(w.text) for w in tag_words(sentence) if w.tag in ("ns", "nt"))
        return any(u and u.group(2) == place.group(2) and u.group(1) != place.group(1) for u in units)

    fit = {title: person_fit(wanted, title) for p in people if p.role == "official" for title in p.titles}
    fitting = (
        record
        for p in people
        if p.role == "official"
        for record in p.mentions
        if fit.get(record.title, 0) >= 2 and not elsewhere(record)
    )
    return max(fitting, key=lambda record: fit[record.title], default=None)


@lru_cache(maxsize=4)
def _people_table(index) -> list[Person]:  # index: embeddings.store.index.SearchIndex, hashed by identity
    """Grouped once per loaded index, not once per question."""
    return group_people(index.people)


@lru_cache(maxsize=4)
def _officials(index) -> frozenset[str]:  # index: SearchIndex, hashed by identity
    """The names the archive gives a title somewhere: 王毅参加会见 names him untitled."""
    return frozenset(record.name for record in index.people if record.role == "official")


@lru_cache(maxsize=4)
def _named_in(index) -> dict[str, set[str]]:  # index: SearchIndex, hashed by identity
    """Article id -> the names of the people (not reporters) it mentions; once per loaded index."""
    named: dict[str, set[str]] = {}
    for record in index.people:
        if record.role != "reporter":
            named.setdefault(record.article_id, set()).add(record.name)
    return named


def _authors(retriever: Retriever, query: str, cite: Cite) -> tuple[str, str] | None:
    """X是哪位记者写的: the reporters in the byline of the article whose headline holds X."""
    asked = _AUTHOR_Q.search(query)
    topic = _TOPIC_TAIL.sub("", query[: asked.start()]).strip("《》“”\"' ") if asked else ""
    if len(topic) < 4:
        return None
    articles = retriever.index.articles

    def headed(record: PersonRecord) -> bool:
        article = articles[record.article_id]
        return topic in f"{article.title}{article.subtitle}" or article.title in topic

    records = [r for r in retriever.index.people if r.role == "reporter" and headed(r)]
    if not records:
        return None
    names = list(dict.fromkeys(r.name for r in records))
    first = {r.name: r for r in reversed(records)}
    number = cite(first[names[0]])
    # Reporters of one byline share its sentence: quote each sentence once.
    sentences = dict.fromkeys((first[n].article_id, first[n].sentence_start) for n in names)
    by_sentence = {(first[n].article_id, first[n].sentence_start): first[n] for n in reversed(names)}
    quoted = "".join(f"{_quote(retriever, by_sentence[s])}[{cite(by_sentence[s])}]" for s in sentences)
    return "、".join(names), f"{'、'.join(names)}[{number}]\n\n{quoted}"


PeopleAnswer = tuple[str, str, list[PassageHit], dict[int, list[tuple[int, int]]]]


def answer_attendance(retriever: Retriever, query: str, hit: PassageHit) -> PeopleAnswer | None:
    """谁参加了X (or 谁在X作讲解): who the attendance lines (the lines of the act asked) of the
    article of `hit` (the passage retrieved first for X) name, in the article's order; None when
    the question is another or the article has no such line. Returned as `answer_about_people`
    returns."""
    if _ATTENDED_Q.search(query):
        act = _ATTENDANCE
    elif asked := _ACT_Q.search(query):
        act = re.compile(rf"{_ACT_START}{re.escape(asked.group(1))}(?=[。，；！]|$)")
    else:
        return None
    hits: list[PassageHit] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    cite = _citer(retriever, hits, spans)
    text = retriever.index.articles[hit.article_id].text
    names = _named_in(retriever.index).get(hit.article_id, set())
    lines = []  # (who, sentence start, sentence end, names someone), in the article's order
    for start, end in split_sentences(text):
        for line in act.finditer(text, start, end):
            clause = max((m.end() for m in _CLAUSE_END.finditer(text, start, line.start())), default=start)
            # 国务院副总理刘国中，国务委员王小洪、谌贻琴作交流发言: titled names across a comma.
            while clause > start and text[clause - 1] in "，,":
                before = max((m.end() for m in _CLAUSE_END.finditer(text, start, clause - 1)), default=start)
                if not any(text[before : clause - 1].endswith(name) for name in names):
                    break
                clause = before
            who = _ADVERB_TAIL.sub("", text[clause : line.start()]).strip()
            named = (
                any(name in who for name in names)
                or bool(_NAME_LIST.fullmatch(who))
                or any(part in _officials(retriever.index) for part in re.split(r"[、和]", who))
            )
            if len(who) >= 2 and (named or _PEOPLE_NOUN.search(who)):
                lines.append((who, start, end, named))
    if not lines:
        return None
    # A national report names its attendees in several lines (丁薛祥出席…。李干杰、张国清…出席。
    # …代表参加会议。): all are the answer, in the article's order. 哪些领导出席了… asks for
    # names: the lines naming someone, where there are any.
    wanted = [line for line in lines if line[3]] if _LEADERS_Q.search(query) else []
    chosen = wanted or lines
    short = "；".join(dict.fromkeys(who for who, *_ in chosen))
    sentences = dict.fromkeys((start, end) for _, start, end, _ in chosen)  # a sentence quoted once
    numbers = [cite(_Sentence(hit.article_id, start, end)) for start, end in sentences]
    quoted = "".join(f"{text[start:end]}[{n}]" for (start, end), n in zip(sentences, numbers, strict=True))
    return short, f"{short}[{numbers[0]}]\n\n{quoted}", hits, spans


def answer_about_people(
    retriever: Retriever, query: str, scope: DateScope | None = None
) -> PeopleAnswer | None:
    """(short answer, answer text, cited passages, cited spans per marker) or None. A timeline
    (X参加了哪些活动, X去了哪里) keeps to `scope`, the dates asked (`Retriever.date_scope`)."""
    people = _people_table(retriever.index)
    hits: list[PassageHit] = []
    spans: dict[int, list[tuple[int, int]]] = {}
    cite = _citer(retriever, hits, spans)
    if authors := _authors(retriever, query, cite):
        short, text = authors
    elif _REPORTER_Q.search(query) and (reporter := _named(query, people, "reporter")):
        if not (timeline := _timeline(retriever, reporter, cite, scope)):
            return None
        short, text = timeline
    elif _ACTIVITY_Q.search(query) and (person := _named(query, people, "official")):
        if not (timeline := _timeline(retriever, person, cite, scope)):
            return None
        short, text = timeline
    elif _TITLE_Q.search(query) and (person := _named(query, people)):
        short, text = _titles_answer(retriever, person, cite)
    elif record := _holder(retriever, query, people):
        number = cite(record)
        short, text = record.name, f"{record.name}[{number}]\n\n{_quote(retriever, record)}[{number}]"
    else:
        return None
    return short, text, hits, spans
