"""What a question asks for, and the short answer of that kind found in a sentence.

Pure functions over strings: `classify` reads the question word (谁, 多少, 什么时候, 哪个镇…),
`extract_short_answer` finds a person, a number with its unit, a date, a place or a title in a
sentence, guided by the question (多少公里 wants 公里; 汉滨区区长是谁 wants the 区长 of 汉滨).
"""

from __future__ import annotations

import re
from enum import Enum

from embeddings.extract.people import find_people

__all__ = ["FRAME_WORDS", "QuestionType", "answer_fit", "classify", "extract_short_answer", "person_fit"]


class QuestionType(Enum):
    PERSON = "person"
    TITLE = "title"
    NUMBER = "number"
    DATE = "date"
    PLACE = "place"
    OTHER = "other"


_PATTERNS = [
    (QuestionType.TITLE, re.compile(r"什么职务|什么职位|担任什么|什么身份|哪些职务")),
    (QuestionType.DATE, re.compile(r"什么时候|何时|哪天|哪一天|几月几日|什么时间|哪年|几号")),
    (QuestionType.NUMBER, re.compile(r"多少|几[个条年次人天名项件篇位家]|多长|多大|多远|多高")),
    (QuestionType.PERSON, re.compile(r"谁|哪位|哪个人|什么人|哪些人|哪些领导|哪几位")),
    (
        QuestionType.PLACE,
        re.compile(r"哪里|哪儿|在哪|什么地方|哪个地方|哪[个座家所]?[镇村区县市街道馆院校河浜]"),
    ),
]
_TWO_CHARACTER_UNITS = frozenset(
    ["公里", "千米", "平方米", "公顷", "万元", "亿元", "万人", "人次", "个月", "小时", "分钟"]
)
_UNIT_SYNONYMS = {"年": ("年", "载"), "公里": ("公里", "千米")}
# Words that only frame the question; no answer sentence needs to contain them.
FRAME_WORDS = frozenset(
    [
        "担任",
        "职务",
        "职位",
        "身份",
        "时候",
        "时间",
        "何时",
        "地方",
        "哪里",
        "哪儿",
        "多少",
        "是谁",
        "哪位",
        "哪个",
        "哪些",
    ]
)
_NUMBER = r"(?:近|约|超过|共|达)?(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)(?:余|多)?(?:万|亿)?"
_DATE = re.compile(
    r"\d{4}年\d{1,2}月\d{1,2}日|\d{1,2}月\d{1,2}日(?:[—\-－至到]\d{1,2}日)?|\d{4}年\d{1,2}月|\d{4}年"
    r"|昨天(?:上午|下午|晚上)?|今天(?:上午|下午)?|前天"
)
_PLACE_SUFFIXES = "镇|街道|村|区|县|市|纪念馆|展示馆|馆|院|浜|河|湖|路"
_PLACE = re.compile(rf"[\u4e00-\u9fff]{{2,8}}?(?:{_PLACE_SUFFIXES})")


def classify(question: str) -> QuestionType:
    for kind, pattern in _PATTERNS:
        if pattern.search(question):
            return kind
    return QuestionType.OTHER


def _asked_unit(question: str) -> str | None:
    match = re.search(r"(?:多少|几)([\u4e00-\u9fff]{1,2})", question)
    if not match:
        return None
    unit = match.group(1)
    return unit if unit not in ("时候", "地方", "人") else None


def _number(question: str, sentence: str) -> str | None:
    unit = _asked_unit(question)
    if unit:
        # 多少公里 -> 公里, 多少条 -> 条, 多少年 -> 年 or 载; try the two-character unit first.
        for candidate in [unit] if len(unit) == 1 else [unit, unit[0]]:
            units = "|".join(map(re.escape, _UNIT_SYNONYMS.get(candidate, (candidate,))))
            found = re.search(rf"{_NUMBER}(?:{units})", sentence)
            if found:
                return found.group(0)
    found = re.search(rf"{_NUMBER}[\u4e00-\u9fff%]{{0,2}}", sentence)
    return found.group(0) if found and re.search(r"\d", found.group(0)) else None


# Longest first: 总书记 before 书记, 委员长 before 委员.
_TITLE_CORE = (
    r"总书记|副?委员长|副?区长|副?书记|副?市长|副?县长|副?省长|副?主任|副?主席|副?总理|国务委员|"
    r"副?总统|首相|国王|秘书长|副?部长|外长|大使|议长|常委"
)
_TITLE_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?:区委|市委|县委|区|市|县|镇)")


def person_fit(question: str, title: str) -> int:
    """How well a person's title matches the title and place a question asks about.

    汉滨区区长是谁: 汉滨区委副书记、区长 fits (+2 title, +1 place); 区委副书记、区长 (the paper's
    own district) fits the title but names no place; a title naming another place is penalised.
    """
    score = 0
    for asked in re.findall(rf"([\u4e00-\u9fff]{{0,4}}?)({_TITLE_CORE})", question):
        place, core = asked[0].rstrip("的"), asked[1]
        if core in title and (core.startswith("副") or "副" + core not in title):
            score += 2
            score += place[-2:] + core in title  # 区委书记 asked: 区委书记 fits better than 市委书记
        title_place = _TITLE_PLACE.match(title)
        if title_place and title_place.group(1) not in question:
            score -= 2
        elif place and place[:2] in title:
            score += 1
    return score


def _people(question: str, sentence: str):
    people = [p for p in find_people(sentence) if p.name not in question]
    wanted = "reporter" if "记者" in question else "official"
    return [p for p in people if p.role == wanted] or people


def _person(question: str, sentence: str) -> str | None:
    people = sorted(_people(question, sentence), key=lambda p: -person_fit(question, p.title))
    return people[0].name if people else None


def _title(question: str, sentence: str) -> str | None:
    for person in find_people(sentence):
        if person.name in question and person.role == "official" and person.title != "区领导":
            return person.title
    return None


def _place(question: str, sentence: str) -> str | None:
    asked = re.search(rf"哪[个座家所条]?({_PLACE_SUFFIXES})", question)
    suffix = asked.group(1) if asked else _PLACE_SUFFIXES
    for found in re.finditer(rf"[\u4e00-\u9fff]{{1,8}}?(?:{suffix})", sentence):
        place = found.group(0)
        # Skip places the question already names, and leading verbs (来到前黄镇 -> 前黄镇).
        place = re.sub(r"^.*?(?:来到|前往|赴|到|在|与|和|去)", "", place)
        if len(place) >= 2 and place not in question:
            return place
    return None


def extract_short_answer(kind: QuestionType, question: str, sentence: str) -> str | None:
    """The short answer of `kind` in `sentence`, or None when the sentence has none."""
    if kind is QuestionType.NUMBER:
        return _number(question, sentence)
    if kind is QuestionType.PERSON:
        return _person(question, sentence)
    if kind is QuestionType.TITLE:
        return _title(question, sentence)
    if kind is QuestionType.DATE:
        # A date the question already names (2024年 in the meeting's name) is not the answer.
        dates = [d.group(0) for d in _DATE.finditer(sentence) if d.group(0) not in question]
        return dates[0] if dates else None
    if kind is QuestionType.PLACE:
        return _place(question, sentence)
    return None


def answer_fit(kind: QuestionType, question: str, sentence: str) -> float:
    """0 when the sentence holds no short answer of the asked kind; more the better it fits."""
    short = extract_short_answer(kind, question, sentence)
    if short is None:
        return 0.0
    if kind is QuestionType.PERSON:
        best = max((person_fit(question, p.title) for p in _people(question, sentence)), default=0)
        return 1.0 + 0.5 * max(best, -1)
    return 1.0
