"""What a question asks for, and the short answer of that kind found in a sentence.

Pure functions over strings: `classify` reads the question word (谁, 多少, 什么时候, 哪个镇…),
`extract_short_answer` finds a person, a number with its unit, a date, a place or a title in a
sentence, guided by the question (多少公里 wants 公里; 汉滨区区长是谁 wants the 区长 of 汉滨).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from embeddings.extract.entities import tag_words
from embeddings.extract.people import TITLE_WORDS, find_people

__all__ = [
    "FRAME_WORDS",
    "QuestionType",
    "answer_fit",
    "answer_shape",
    "classify",
    "extract_short_answer",
    "person_fit",
]


class QuestionType(Enum):
    PERSON = "person"
    TITLE = "title"
    NUMBER = "number"
    DATE = "date"
    PLACE = "place"
    OTHER = "other"


_PATTERNS = [
    (QuestionType.TITLE, re.compile(r"什么职务|什么职位|担任什么|什么身份|哪些职务")),
    (QuestionType.DATE, re.compile(r"什么时候|何时|哪天|哪一天|几月几日|什么时间|哪一?年|哪个月|几号")),
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


# What an answer of each kind holds at least, so that a span without it cannot answer: a number
# (or 首, for 第几次), a time word, a noun. Of the training sets' gold answers to the questions
# shaped so (ratios, lengths of time and counts of a thing below included), 16 of 4,487 lack it
# (place 1 of 1,409, person 3 of 1,267, date 7 of 1,269, number 5 of 542: bench/answer_shapes.py),
# while a span such as 闭幕 for 在哪里举行 is no place at all.
_OTHER_ASKED = re.compile(r"谁|哪|什么|何|怎")
_DIGITS = "0-9０-９零〇一二两三四五六七八九十百千万亿几"
_NUMERAL = re.compile(f"[{_DIGITS}数半双首]")
_TIME = re.compile(f"[{_DIGITS}年月日时秒世纪代朝期间前后初末春夏秋冬晨晚夜今昨明]")
# jieba's dictionary tags of verbs, adjectives, adverbs, prepositions, conjunctions and
# particles: a span of such words alone holds no noun. Single-character morphemes (zg, vg…) are
# not among them, since a rare name is cut into them (孙綝: 孙 zg, 綝 zg).
_NOT_NOUN_TAG = re.compile(r"(?:v|vd|vi|vq|a|ad|d|p|c|u[a-z]*|y|e|o|z)")


def _holds_noun(span: str) -> bool:
    words = tag_words(span)
    return bool(words) and not all(_NOT_NOUN_TAG.fullmatch(word.tag) for word in words)


def _holds_time(span: str) -> bool:
    return bool(_TIME.search(span)) or any(word.tag.startswith("t") for word in tag_words(span))


# 哪天 / 几号 / 几月几日 ask for a day: a year (2024年) or a month alone does not answer.
_DAY_ASKED = re.compile(r"哪一?天|哪一?日|几号|几月几日|几日")
_DAY = re.compile(rf"[日号天夕昨今明]|周|星期|节|初[{_DIGITS}]|月[{_DIGITS}廿卅]")


def _holds_day(span: str) -> bool:
    return bool(_DAY.search(span))


# 哪一年 / 何年 ask a year of the calendar: 1949, 一九四九年, 民国9年, 嘉熙二年, 民国初年, 去年, 90年代; a
# count of years (三年, 二十年) does not answer (全国碳市场启动于哪一年 had been answered 三年). Of the
# training sets' 666 such questions, 1 gold answer holds none (俄罗斯科学院院士).
_YEAR_ASKED = re.compile(r"哪一?年(?![级龄代])|何年")
_CALENDAR = re.compile(
    r"[0-9０-９]{2,}(?![0-9０-９]|[月日号天个万亿%])|[〇零一二三四五六七八九]{4}年|[\u4e00-\u9fff]{2}(?:元|[一二三四五六七八九十]{1,3}|[0-9]{1,3})年"
    r"|[去今明前]年|同年|当年|翌年|次年|隔年|初年|末年|年代|世纪|[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]"
)


def answer_shape(question: str) -> Callable[..., bool] | None:
    """Whether a span (with the passage's text `before` and `after` it) is of the shape the
    question asks for (a number for 多少, a ratio for 占比多少, a time for 何时, a noun for 谁 and
    哪里, not a deputy's name for 谁是市长, the number of the thing counted for 多少灯笼), or None
    when the question asks for no particular shape: `shape(span, before="", after="") -> bool`."""
    kind = classify(question)
    # 多少公里 / 几个 / 第几 ask for a number; 编号是多少 may be KK, 有多大 a region, 哪几个 a list,
    # and beside another question word 几 asks nothing (为未来几年…奠下基础的是哪位球员).
    counted = _asked_unit(question) or "第几" in question
    plain = not _OTHER_ASKED.search(question)
    counting = None
    if kind is QuestionType.NUMBER and plain and _RATIO_ASKED.search(question):
        holds = _RATIO.search
    elif kind is QuestionType.NUMBER and counted and plain:
        holds = _holds_duration(question) or _NUMERAL.search
        counting = _counting(question)
    elif kind is QuestionType.DATE:
        if _DAY_ASKED.search(question):
            holds = _holds_day
        else:
            holds = _CALENDAR.search if _YEAR_ASKED.search(question) else _holds_time
    elif kind in (QuestionType.PERSON, QuestionType.PLACE):
        holds = _holds_noun
    else:
        return None
    # 谁是北京市市长 asks for the holder of a title: a name right after 副市长 holds another.
    deputies = (
        tuple("副" + t for t in re.findall(_TITLE_CORE, question) if t[0] != "副")
        if kind is QuestionType.PERSON
        else ()
    )

    def shape(span: str, before: str = "", after: str = "") -> bool:
        if not holds(span) or (deputies and before.endswith(deputies)):
            return False
        # 多少灯笼, where the passage counts 灯笼 (5万多个灯笼): the span is a count of 灯笼, maybe
        # with words between (2条巴士路线), not another number of the sentence (12条主要巷道).
        return counting is None or counting.fits(span, before + span + after, after)

    return shape


# A ratio is asked (占比多少, 比例是多少, 占全国面积的多少, 几倍, 几成); 占地多少 asks an area. A
# ratio answer holds a percentage, a fraction, 成 or 倍. All 10 such training questions' gold
# answers hold one (bench/answer_shapes.py).
_RATIO_ASKED = re.compile(
    r"(?:比例|占比|百分比|比重|比率|份额)[^，。？]{0,4}(?:多少|几)|百分之几|几成|[几多少]倍"
    r"|占[^地，。？]{0,12}的(?:多少|几)"
)
_RATIO = re.compile(rf"[%％‰]|分之|[{_DIGITS}]成|倍|[0-9]\s*/\s*[0-9]|[0-9]+比[0-9]+|半数|一半|过半|多半")
# A length of time is asked (待了几天, 多少年, 几个小时): the answer holds that unit or one of its
# kind (7日, 三十载), not just any number (2024年 is no count of days). Of the training sets'
# gold answers to such questions, 1 of 50 holds none (四十七 for 多少岁), and none to 多少年 is a
# year of the calendar alone.
_DURATIONS = {
    "天": ("天", "日", "晚", "夜", "宿"),
    "年": ("年", "载"),
    "岁": ("岁",),
    "小时": ("小时", "钟头"),
    "分钟": ("分钟",),
    "周": ("周", "星期"),
}


def _holds_duration(question: str) -> Callable[[str], bool] | None:
    # 第几天 asks an ordinal, 前几年 a time, 西元几年 / 民国几年 a year of the calendar.
    asked = re.search(r"(?:多少|(?<![第前后近这元])(?<!民国)几)个?(天|年|岁|小时|分钟|周)", question)
    # The unit is a word of its own: 多少年轻人 asks no years.
    if not asked or asked.end() not in {word.end for word in tag_words(question)}:
        return None
    units = _DURATIONS[asked.group(1)]
    # A year of the calendar is no count of years: 协作持续了多少年 is not answered 2024年.
    calendar = _CALENDAR_YEAR if asked.group(1) == "年" else None
    return lambda span: (
        bool(_NUMERAL.search(span))
        and any(unit in span for unit in units)
        and not (calendar and calendar.fullmatch(span))
    )


_CALENDAR_YEAR = re.compile(r"(?:公元前?|西元前?)?[0-9]{4}年")


# Measure words between a number and what it counts (5万多个灯笼, 5246名旅客).
_MEASURES = "个名位家件条项种座所只头台辆架艘部本篇首张间处块棵株片"


# A number, maybe a measure word (5万多个, 六座 with spaces around); 许多 counts nothing.
_COUNT = rf"[{_DIGITS}][{_DIGITS}余多]*\s*[{_MEASURES}]?\s*"
_MODIFIER = 6  # characters between a count and what it counts at most (2条巴士路线)


@dataclass(frozen=True)
class _Counting:
    """How a passage counts the noun a question asks the number of: `right_after` a number
    (5万多个灯笼), or `near` one, a few words between (2条巴士路线)."""

    right_after: re.Pattern
    near: re.Pattern
    reach: int  # how far past a span's end its count's noun may end

    def fits(self, span: str, passage: str, after: str) -> bool:
        """Whether `span` (followed by `after`) counts the noun, or the passage counts it nowhere
        right after a number (then any number may answer: 5万余盏 for 多少灯笼)."""
        if not self.right_after.search(passage):
            return True
        count = self.near.search(span + after[: self.reach])
        return count is not None and count.start() < len(span)  # its own count: not 2处 of 2处…，1处X


def _counting(question: str) -> _Counting | None:
    """How the passage would count what the question asks the number of (多少灯笼, 多少名旅客:
    灯笼, 旅客), or None when it asks a unit (多少公里) or a measure word alone (多少个)."""
    match = re.search(rf"(?:多少|几)[{_MEASURES}]?([\u4e00-\u9fff]+)", question)
    words = tag_words(match.group(1)) if match else []
    if not words or not words[0].tag.startswith("n") or len(words[0].text) < 2:
        return None
    noun = re.escape(words[0].text)
    return _Counting(
        re.compile(_COUNT + noun),
        re.compile(rf"{_COUNT}(?:[^\W{_DIGITS}]|\s){{0,{_MODIFIER}}}?{noun}"),
        len(words[0].text) + _MODIFIER + 3,  # a measure word and spaces
    )


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


# The titles the people table knows, longest first (总书记 before 书记, 局长 as well as 区长).
_TITLE_CORE = "|".join(map(re.escape, TITLE_WORDS))
_TITLE_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(?:区委|市委|县委|区|市|县|镇)")
_LOCALITY = re.compile(r"(?:[区市县镇]|街道)$")
_UNIT_KINDS = frozenset(
    "银行 公司 企业 集团 医院 学校 大学 学院 单位 机构 部门 组织 协会 学会 基金会 委员会".split()  # noqa: SIM905
)


def _office(title: str, core: str) -> str:
    """The office a title names for its `core` word: before it in its part, else in the part
    before (外交部 of 中共中央政治局委员、外交部部长; 国家市场监督管理总局 of
    国家市场监督管理总局党组书记、局长; none in 区委副书记、区长, the paper's own district)."""
    parts = re.split(r"[、，,]", title)
    at = next((n for n, part in enumerate(parts) if core in part), None)
    if at is None:
        return ""
    for part in (parts[at][: parts[at].index(core)], *(parts[at - 1 : at] if at else ())):
        first = re.search(_TITLE_CORE, part)
        office = re.sub(r"^(?:区委|市委|县委|党组|副)+", "", part[: first.start()] if first else part)
        if len(office) >= 2:  # one character is a cut word's end (协 of 教协会长), no office
            return office
    return ""


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
            # 国家移民管理局局长 asked: 国家市场监督管理总局局长 is another office's 局长, and a
            # bare 院长 stands for the paper's own district's offices, not for 中国科学院.
            # A unit's kind (银行, 公司) is no office: 银行行长 does not answer 亚洲开发银行行长是谁.
            office = _office(title, core)
            if office and office not in _UNIT_KINDS and office in question:
                score += 1
            elif len(place) >= 3 and (place[-3:] not in office if office else not _LOCALITY.search(place)):
                score -= 2
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
