"""Dates in Chinese news text and questions, resolved to inclusive calendar ranges.

Contract: text in, `DateMention`s out — exact character spans into the text, in order, never
overlapping (leftmost first, then longest: 昨天上午 over 昨天, 2024年6月28日 over 2024年) — each resolved
against an anchor date: the publication date of an article, or the newest issue date of the archive
when reading a question. Expressions that need the anchor (昨天, 上个月, 6月26日 without a year) are
still reported without one, with `range=None`.

Each family of expressions is one regex with named groups plus one small resolver, and `event_dates`
and `question_date_range` share the scanner, so articles and questions never disagree on what a date
is. Years, months and days are read from Arabic digits only (full-width ones too): Chinese numerals in
this paper are counts and ordinals (二十届二中全会, 三年行动计划), not dates.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta

from chinese_calendar import Holiday, is_holiday
from chinese_calendar.constants import holidays as HOLIDAY_DAYS

__all__ = [
    "DateMention",
    "DateRange",
    "event_dates",
    "parse_iso",
    "question_date_range",
    "spelled_out",
    "written",
]

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso(value: str) -> date:
    """`"2024-06-28"` -> `date(2024, 6, 28)`; any other shape is a ValueError naming the format."""
    text = value.strip()
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(f"invalid date {value!r}: expected YYYY-MM-DD, e.g. 2024-06-28")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"invalid date {value!r} ({error}): expected a real day as YYYY-MM-DD") from None


@dataclass(frozen=True)
class DateRange:
    """Calendar days from `start` to `end`, both included; `start <= end`."""

    start: date
    end: date

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            # A datetime is a date subclass, but comparing it with a date fails later, far from here.
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(
                    f"DateRange.{name} must be a datetime.date, got {value!r}; "
                    "use DateRange.from_iso for YYYY-MM-DD strings"
                )
        if self.start > self.end:
            raise ValueError(
                f"DateRange start {self.start} is after end {self.end}: pass the earlier date as start"
            )

    @classmethod
    def from_iso(cls, start: str, end: str) -> DateRange:
        return cls(parse_iso(start), parse_iso(end))

    def overlaps(self, other: DateRange) -> bool:
        return self.start <= other.end and other.start <= self.end

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def iso(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a text: `text[start:end] == expression`."""

    start: int
    end: int
    expression: str
    range: DateRange | None  # None when it needs an anchor that was not given, or names no real day


# --- calendar arithmetic: every helper returns None instead of leaving date's range ------------------


def _valid_day(year: int, month: int, day: int) -> date | None:
    if not (MINYEAR <= year <= MAXYEAR and 1 <= month <= 12):
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None  # 2月30日 is a date expression but names no day
    return date(year, month, day)


def _span(start: date | None, end: date | None) -> DateRange | None:
    if start is None or end is None or start > end:
        return None
    return DateRange(start, end)


def _single_day(day: date | None) -> DateRange | None:
    return _span(day, day)


def _year_range(year: int) -> DateRange | None:
    return _span(_valid_day(year, 1, 1), _valid_day(year, 12, 31))


def _month_range(year: int, month: int) -> DateRange | None:
    if not MINYEAR <= year <= MAXYEAR:
        return None
    return _span(_valid_day(year, month, 1), _valid_day(year, month, calendar.monthrange(year, month)[1]))


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _months_before(day: date, count: int) -> date | None:
    """The same day `count` months earlier, clamped to the month's end (03-31 -> 02-29)."""
    year, month = _shift_month(day.year, day.month, -count)
    if not MINYEAR <= year <= MAXYEAR:
        return None
    return _valid_day(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shift_days(day: date, count: int) -> date | None:
    try:
        return day + timedelta(days=count)
    except OverflowError:  # past date.min or date.max: there is no such day to name
        return None


def _week(anchor: date, delta: int) -> DateRange | None:
    """Monday to Sunday of the anchor's week moved by `delta` weeks."""
    monday = _shift_days(anchor, 7 * delta - anchor.weekday())
    return None if monday is None else _span(monday, _shift_days(monday, 6))


# --- regex pieces ------------------------------------------------------------------------------------

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_SP = r"[ \u3000]?"  # text extracted from PDFs often spaces the units out: "2024 年 6 月"
_NO_DIGIT_BEFORE = r"(?<![0-9.])"  # the 2024 in 12024 or 1.2024 is not a year


def _year(name: str) -> str:
    return rf"(?P<{name}>(?:19|20)[0-9]{{2}}){_SP}年"


def _month(name: str) -> str:
    return rf"(?P<{name}>1[0-2]|0?[1-9]){_SP}月"


def _day(name: str) -> str:
    return rf"(?P<{name}>3[01]|[12][0-9]|0?[1-9]){_SP}[日号]"


def _words(words: Iterable[str], guarded: dict[str, str]) -> str:
    """Alternation of `words`, longest first, with a guard regex in place of the risky ones."""
    ordered = sorted(words, key=len, reverse=True)
    return "|".join(guarded.get(word, re.escape(word)) for word in ordered)


_RANGE_SEP = r"(?:——|—|–|－|-|~|～|至|到)"
_DAYPART = r"(?P<daypart>上午|下午|中午|晚上|晚间|夜间|凌晨|早上|早晨|傍晚)?"
_SINCE = r"(?P<since>以来|至今)?"  # 今年以来, 6月以来: from the expression's start up to the anchor

_YEAR_WORDS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}
_DAY_WORDS = {"前天": -2, "昨天": -1, "昨日": -1, "昨晚": -1, "今天": 0, "今日": 0, "今晨": 0, "明天": 1}
_WEEK_WORDS = {
    "上周": -1, "上星期": -1, "上个星期": -1,
    "本周": 0, "这周": 0, "本星期": 0, "这个星期": 0,
    "下周": 1, "下个星期": 1,
}  # fmt: skip
_MONTH_WORDS = {"上个月": -1, "上月": -1, "本月": 0, "这个月": 0, "下个月": 1, "下月": 1}
# A few days, said loosely, read as 近日: the week before the anchor.
_LATELY_WORDS = ("近日", "日前", "这几天", "这几日", "最近几天", "近几天", "近几日", "过去几天")
_LATELY_DAYS = 7
# Words that are also the start or end of other words: 前天津市委书记, 接近日本, 这周边, and X日前
# meaning "before day X" (节日前, 工作日前, 开放日前) rather than "the other day".
_GUARDS = {
    "前天": "前天(?!津)",
    "近日": "近日(?!本)",
    "这周": "这周(?!边)",
    "日前": "(?<![节假生作念期末首每当次翌止同该即本平多数连终全半周元昔往题庆放])日前",
}
_CN_COUNTS = {**dict(zip("一二三四五六七八九十", range(1, 11), strict=True)), "两": 2}


# --- resolvers: one per family, (match, anchor) -> range ---------------------------------------------

_Resolver = Callable[[re.Match[str], date | None], DateRange | None]


def _in_year(year: int, month: str | None, day: str | None) -> DateRange | None:
    """The year, one month of it, or one day of it, as far as the expression went."""
    if month is None:
        return _year_range(year)
    if day is None:
        return _month_range(year, int(month))
    return _single_day(_valid_day(year, int(month), int(day)))


def _year_of(match: re.Match[str], anchor: date | None) -> int | None:
    """The year a match writes (2024年) or names (去年), else the anchor's; None without an anchor."""
    if match["year"] is not None:
        return int(match["year"])
    if anchor is None:
        return None
    return anchor.year + (_YEAR_WORDS[match["rel_year"]] if match["rel_year"] else 0)


def _resolve_calendar(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """2024年 / 2024年6月(份) / 2024年6月28日 / 去年6月 / 今年上半年 / 2024年下半年."""
    if (year := _year_of(match, anchor)) is None:
        return None
    if match["half"] is not None:
        first, last = (1, 6) if match["half"] == "上" else (7, 12)
        return _span(_valid_day(year, first, 1), _valid_day(year, last, 30 if last == 6 else 31))
    return _in_year(year, match["month"], match["day"])


_QUARTER_NUMBERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _resolve_part_of_year(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """上半年 / 一季度 / 第三季度 / 前三季度 / 去年四季度: of the year named, else the anchor's."""
    if (year := _year_of(match, anchor)) is None:
        return None
    if match["half"] is not None:
        first, last = (1, 6) if match["half"] == "上" else (7, 12)
    else:
        last = 3 * _QUARTER_NUMBERS[match["quarter"]]
        first = 1 if match["upto"] else last - 2
    start, end = _month_range(year, first), _month_range(year, last)
    return _span(start.start, end.end) if start and end else None


# A holiday as its days off in the year named (else the anchor's), from chinese_calendar's tables of
# the State Council's arrangements (2004 on): 2024年国庆假期 is 10月1日至7日, 春节 moves every year.
_HOLIDAYS = {"元旦": "元旦", "春节": "春节", "清明": "清明", "五一": "劳动节", "劳动节": "劳动节"}
_HOLIDAYS |= {"端午": "端午", "中秋": "中秋", "国庆": "国庆节"}


def _resolve_holiday(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """国庆假期 / 春节期间 / 2024年五一假期: the days off of that holiday around the year's."""
    if (year := _year_of(match, anchor)) is None:
        return None
    name = next(h.value for h in Holiday if h.chinese == _HOLIDAYS[match["holiday"]])
    days = sorted(
        day for day, holiday in HOLIDAY_DAYS.items() if holiday == name and abs(day.year - year) <= 1
    )
    # 元旦's days off may start on 12月30日: the run of days that holds one of the year's.
    runs: list[list[date]] = []
    for day in days:
        if runs and (day - runs[-1][-1]).days <= 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    run = next((r for r in runs if any(day.year == year for day in r)), None)
    if run is None:
        return None
    # The tables list the days taken off work; a weekend next to them is part of the break (端午
    # 2024: 6月10日 listed, 8日 and 9日 a weekend).
    first, last = run[0], run[-1]
    while _day_off(first - timedelta(days=1)):
        first -= timedelta(days=1)
    while _day_off(last + timedelta(days=1)):
        last += timedelta(days=1)
    return _span(first, last)


def _day_off(day: date) -> bool:
    try:
        return is_holiday(day)
    except NotImplementedError:  # a year its tables do not cover
        return False


def _resolve_iso(match: re.Match[str], anchor: date | None) -> DateRange | None:
    return _in_year(int(match["year"]), match["month"], match["day"])


def _resolve_month_day(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """6月 / 6月份 / 6月28日: the year is the anchor's (kept simple; no guessing of the previous year)."""
    return None if anchor is None else _in_year(anchor.year, match["month"], match["day"])


def _resolve_day_of_month(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """28日: a day of the anchor's month."""
    return None if anchor is None else _single_day(_valid_day(anchor.year, anchor.month, int(match["day"])))


def _resolve_range(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """6月26日—27日 / 6月26日至7月2日 / 2023年12月30日至2024年1月2日.

    A missing end year or month is the start's; the start year is the anchor's when not written.
    """
    if match["y1"] is not None:
        year = int(match["y1"])
    elif anchor is not None:
        year = anchor.year
    else:
        return None
    start = _valid_day(year, int(match["m1"]), int(match["d1"]))
    end_month = int(match["m2"] or match["m1"])
    # 12月30日至1月2日 without a second year crosses into the next one.
    crosses_new_year = match["y2"] is None and match["m2"] is not None and end_month < int(match["m1"])
    end_year = int(match["y2"]) if match["y2"] is not None else year + int(crosses_new_year)
    return _span(start, _valid_day(end_year, end_month, int(match["d2"])))


def _resolve_recent(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """最近一周 / 近一个月 / 近3年来: from that long before the anchor up to the anchor."""
    if anchor is None:
        return None
    raw = match["count"]
    count = _CN_COUNTS[raw] if raw in _CN_COUNTS else int(raw)
    unit = match["unit"].removeprefix("个")
    if unit in ("天", "日"):
        start = _shift_days(anchor, -count)
    elif unit in ("周", "星期"):
        start = _shift_days(anchor, -7 * count)
    else:
        start = _months_before(anchor, count * (12 if unit == "年" else 1))
    return _span(start, anchor)


def _resolve_relative_day(match: re.Match[str], anchor: date | None) -> DateRange | None:
    if anchor is None:
        return None
    day = _shift_days(anchor, _DAY_WORDS[match["word"]])
    return _single_day(day)


def _resolve_period(match: re.Match[str], anchor: date | None) -> DateRange | None:
    """上周 / 本月 / 近日 …: weeks run Monday to Sunday, months are whole calendar months."""
    if anchor is None:
        return None
    word = match["word"]
    if word in _WEEK_WORDS:
        return _week(anchor, _WEEK_WORDS[word])
    if word in _MONTH_WORDS:
        return _month_range(*_shift_month(anchor.year, anchor.month, _MONTH_WORDS[word]))
    return _span(_shift_days(anchor, -_LATELY_DAYS), anchor)  # 近日, 日前


# --- families and the scanner ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    """One kind of date expression: its regex (named groups) and how a match becomes a range."""

    name: str
    pattern: re.Pattern[str]
    resolve: _Resolver


def _family(name: str, body: str, resolve: _Resolver, *, day_level: bool) -> _Family:
    # 昨天上午 is still 昨天; only expressions naming a day take a time of day after them.
    suffix = (_DAYPART if day_level else "") + _SINCE
    return _Family(name, re.compile(body + suffix), resolve)


_YEAR_PART = rf"(?:{_NO_DIGIT_BEFORE}{_year('year')}|(?P<rel_year>{_words(_YEAR_WORDS, {})}))"
_FAMILIES = (
    _family(
        "range",
        rf"{_NO_DIGIT_BEFORE}(?:{_year('y1')}{_SP})?{_month('m1')}{_SP}{_day('d1')}"
        rf"{_SP}{_RANGE_SEP}{_SP}(?:{_year('y2')}{_SP})?(?:{_month('m2')}{_SP})?{_day('d2')}",
        _resolve_range,
        day_level=False,
    ),
    _family(
        "calendar",
        rf"{_YEAR_PART}(?:{_SP}{_month('month')}(?:{_SP}{_day('day')}|份)?|(?P<half>[上下])半年)?",
        _resolve_calendar,
        day_level=True,
    ),
    _family(
        "part_of_year",
        rf"(?:{_YEAR_PART}{_SP})?(?:(?P<half>[上下])半年|(?P<upto>前)?第?(?P<quarter>[一二三四1-4])个?季度)",
        _resolve_part_of_year,
        day_level=False,
    ),
    _family(
        "holiday",
        rf"(?:{_YEAR_PART}{_SP})?(?P<holiday>{'|'.join(_HOLIDAYS)})节?(?:期间|假期|长假|黄金周|小长假)",
        _resolve_holiday,
        day_level=False,
    ),
    _family(
        "iso",
        rf"{_NO_DIGIT_BEFORE}(?P<year>(?:19|20)[0-9]{{2}})(?P<sep>[-/.])(?P<month>1[0-2]|0?[1-9])"
        rf"(?P=sep)(?P<day>3[01]|[12][0-9]|0?[1-9])(?![0-9])",
        _resolve_iso,
        day_level=True,
    ),
    _family(
        "month_day",
        rf"{_NO_DIGIT_BEFORE}{_month('month')}(?:{_SP}{_day('day')}|份)?",
        _resolve_month_day,
        day_level=True,
    ),
    # 3日内 is a duration, not the 3rd.
    _family(
        "day_of_month",
        rf"{_NO_DIGIT_BEFORE}(?P<day>3[01]|[12][0-9]|0?[1-9]){_SP}日(?!内)",
        _resolve_day_of_month,
        day_level=True,
    ),
    _family(
        "recent",
        # 这两天 / 这3个月 as 近两天; 这一天 and 这一年 point back in the text, not at the anchor.
        rf"(?:最近|近|过去|这(?=[2-9两三四五六七八九十]|1[0-9]))(?P<count>[0-9]{{1,2}}|[{''.join(_CN_COUNTS)}])"
        r"(?P<unit>天|日|周|个星期|星期|个月|月|年)来?",
        _resolve_recent,
        day_level=False,
    ),
    _family(
        "relative_day", rf"(?P<word>{_words(_DAY_WORDS, _GUARDS)})", _resolve_relative_day, day_level=True
    ),
    _family(
        "period",
        rf"(?P<word>{_words([*_WEEK_WORDS, *_MONTH_WORDS, *_LATELY_WORDS], _GUARDS)})",
        _resolve_period,
        day_level=False,
    ),
)


def _resolve(family: _Family, match: re.Match[str], anchor: date | None) -> DateRange | None:
    base = family.resolve(match, anchor)
    if base is None or match["since"] is None:
        return base
    return None if anchor is None else _span(base.start, anchor)


def _scan(text: str, anchor: date | None) -> list[DateMention]:
    # The translation maps one character to one, so spans found in `haystack` index `text` as well.
    haystack = text.translate(_FULLWIDTH_DIGITS)
    found = [(match, family) for family in _FAMILIES for match in family.pattern.finditer(haystack)]
    # Leftmost first, then longest; equal spans keep the family order above.
    found.sort(key=lambda pair: (pair[0].start(), -pair[0].end()))
    mentions: list[DateMention] = []
    taken_until = 0
    for match, family in found:
        if match.start() < taken_until:
            continue
        start, end = match.span()
        mentions.append(DateMention(start, end, text[start:end], _resolve(family, match, anchor)))
        taken_until = end
    return mentions


def event_dates(text: str, published: date | None) -> list[DateMention]:
    """Date expressions in an article, resolved against its publication date when it is known."""
    return _scan(text, published)


# Expressions that name a window the text does not state (近日: some day of the last week; 今年以来:
# since January): written out as dates they would read as facts the paper never printed.
_VAGUE = re.compile(rf"^(?:{'|'.join(_LATELY_WORDS)}|最近|近|过去|这)|(?:以来|至今)$")
_WEEKDAYS = set("一二三四五六日天末")


def written(window: DateRange) -> str:
    """A range as Chinese prose: 2024年6月27日, 2024年6月26日至27日, 2024年6月, 2024年, and open
    ones (a filter's or 10月以后's): 2024年10月1日起, 2024年2月29日及以前."""
    start, end = window.start, window.end
    if start == date.min or end == date.max:
        if start == date.min and end == date.max:
            return "全部日期"
        return (
            f"{written(_single_day(end))}及以前" if start == date.min else f"{written(_single_day(start))}起"
        )
    if window == _year_range(start.year):
        return f"{start.year}年"
    if window == _month_range(start.year, start.month):
        return f"{start.year}年{start.month}月"
    if part := _part_of_year(window):
        return f"{start.year}年{part}"
    first = f"{start.year}年{start.month}月{start.day}日"
    if start == end:
        return first
    if start.year != end.year:
        return f"{first}至{end.year}年{end.month}月{end.day}日"
    return f"{first}至{end.day}日" if start.month == end.month else f"{first}至{end.month}月{end.day}日"


def _part_of_year(window: DateRange) -> str:
    """上半年, 第三季度, 前三季度 when `window` is one of a year, else ""."""
    start, end = window.start, window.end
    quarters = {3: "一", 6: "二", 9: "三", 12: "四"}
    if (
        start.year != end.year
        or start.day != 1
        or window != _span(start, _month_range(end.year, end.month).end)
    ):
        return ""
    if (start.month, end.month) in ((1, 6), (7, 12)):
        return "上半年" if start.month == 1 else "下半年"
    if end.month in quarters and start.month == end.month - 2:
        return f"第{quarters[end.month]}季度"
    if end.month in quarters and start.month == 1:
        return f"前{quarters[end.month]}季度"
    return ""


def spelled_out(text: str, published: date) -> list[tuple[str, str]]:
    """The date expressions of `text` that only its publication date makes a date (昨天上午,
    6月26日—27日, 去年), each with that date written out: [("昨天上午", "2024年6月27日")]. Vague
    ones (近日, 最近三天, 今年以来) are left as printed, and so is a week that names its day
    (上周五: the scanner reads 上周 alone)."""
    free = {(m.start, m.end): m.range for m in _scan(text, None)}
    return [
        (m.expression, written(m.range))
        for m in _scan(text, published)
        if m.range is not None
        and free.get((m.start, m.end)) is None
        and not _VAGUE.search(m.expression)
        and not (m.expression.endswith(("周", "星期")) and text[m.end : m.end + 1] in _WEEKDAYS)
    ]


_CHINESE_MONTH = re.compile(r"(?<![一二三四五六七八九十〇零])(十[一二]?|[一二三四五六七八九])月")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _arabic_months(question: str) -> str:
    """六月 -> 6月 in a question. Only questions: in article text such numerals are mostly counts."""

    def number(match: re.Match[str]) -> str:
        word = match.group(1)
        value = 10 + _CHINESE_DIGITS.get(word[1:], 0) if word.startswith("十") else _CHINESE_DIGITS[word]
        return f"{value}月"

    return _CHINESE_MONTH.sub(number, question)


# What a question may say right after a date to narrow or open it: 6月下旬, 10月以后, 2024年以前.
# Questions only: in an article, 自7月1日起施行 names the day the rule starts, not a window to now.
_QUESTION_BOUND = re.compile(r"(?P<part>上旬|中旬|下旬)?(?P<bound>以后|之后|以前|之前|起)?")
_TEN_DAYS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31)}


def _bounded(window: DateRange, part: str | None, bound: str | None) -> DateRange:
    """`window` narrowed to a month's 上旬/中旬/下旬 and opened by 以后 (to any later day) or
    以前 (to any earlier day; before a day inclusive, before a month or year exclusive)."""
    if part and window == _month_range(window.start.year, window.start.month):
        first, last = _TEN_DAYS[part]
        window = DateRange(window.start.replace(day=first), window.end.replace(day=min(last, window.end.day)))
    if bound in ("以后", "之后", "起"):
        return DateRange(window.start, date.max)
    if bound in ("以前", "之前"):
        end = window.end if window.start == window.end else window.start - timedelta(days=1)
        return DateRange(date.min, end)
    return window


def question_date_range(question: str, newest: date | None) -> tuple[DateRange | None, str]:
    """The time filter a question asks for, and the question without that expression.

    Relative expressions (上个月, 6月, 今年以来) resolve against `newest`, the newest issue date in the
    archive; 6月下旬, 10月以后 and 2024年以前 narrow or open the window. The first expression that
    resolves wins; with none, the question comes back unchanged.
    """
    question = _arabic_months(question)
    for mention in _scan(question, newest):
        if mention.range is not None:
            after = _QUESTION_BOUND.match(question, mention.end)
            window = _bounded(mention.range, after["part"], after["bound"])
            rest = (question[: mention.start] + question[after.end() :]).strip()
            # "上个月，乔俊杰…" should not leave a stray comma in front of the keywords.
            return window, rest.lstrip("，,、：:；; \u3000")
    return None, question
