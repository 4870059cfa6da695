"""Dates: ranges, date expressions in news text and questions, resolved against an anchor date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embeddings.extract.dates import (
    DateMention,
    DateRange,
    event_dates,
    parse_iso,
    question_date_range,
    spelled_out,
    written,
)

PUB = date(2024, 6, 28)  # a Friday: the sample pages' publication date


def r(start: str, end: str | None = None) -> DateRange:
    return DateRange.from_iso(start, end or start)


def found(text: str, published: date | None = PUB) -> list[tuple[str, tuple[str, str] | None]]:
    return [(m.expression, m.range.iso() if m.range else None) for m in event_dates(text, published)]


# --- DateRange and parse_iso -----------------------------------------------------------------------


def test_parse_iso_reads_a_day() -> None:
    assert parse_iso("2024-06-28") == date(2024, 6, 28)
    assert parse_iso(" 2024-06-28\n") == date(2024, 6, 28)


@pytest.mark.parametrize("value", ["2024/06/28", "20240628", "2024-6-28", "June 28", "", "2024-06-28T10:00"])
def test_parse_iso_rejects_other_shapes_naming_the_format(value: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_iso(value)


def test_parse_iso_rejects_days_that_do_not_exist() -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_iso("2023-02-29")
    assert parse_iso("2024-02-29") == date(2024, 2, 29)


def test_date_range_requires_start_before_end() -> None:
    with pytest.raises(ValueError, match="pass the earlier date as start"):
        DateRange(date(2024, 6, 30), date(2024, 6, 1))
    assert DateRange(PUB, PUB).iso() == ("2024-06-28", "2024-06-28")


def test_date_range_rejects_strings_and_datetimes() -> None:
    with pytest.raises(TypeError, match="from_iso"):
        DateRange("2024-06-01", "2024-06-30")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"datetime\.date"):
        DateRange(datetime(2024, 6, 1), date(2024, 6, 30))  # type: ignore[arg-type]


def test_date_range_from_iso_and_iso_round_trip() -> None:
    june = DateRange.from_iso("2024-06-01", "2024-06-30")
    assert june == DateRange(date(2024, 6, 1), date(2024, 6, 30))
    assert DateRange.from_iso(*june.iso()) == june
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        DateRange.from_iso("2024-06", "2024-06-30")


def test_date_range_contains_is_inclusive() -> None:
    june = r("2024-06-01", "2024-06-30")
    assert june.contains(date(2024, 6, 1)) and june.contains(date(2024, 6, 30))
    assert not june.contains(date(2024, 5, 31)) and not june.contains(date(2024, 7, 1))


def test_date_range_overlaps_when_sharing_a_single_day() -> None:
    june = r("2024-06-01", "2024-06-30")
    assert june.overlaps(r("2024-06-30", "2024-07-05")) and r("2024-06-30", "2024-07-05").overlaps(june)
    assert june.overlaps(r("2024-06-10"))
    assert r("2024-01-01", "2024-12-31").overlaps(june)
    assert not june.overlaps(r("2024-07-01", "2024-07-31"))
    assert not r("2024-07-01", "2024-07-31").overlaps(june)


# --- event_dates: the sample pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "本报讯 (记者 朱梦琪) 昨天,市委常委、区委书记乔俊杰就落实",
            [("昨天", ("2024-06-27", "2024-06-27"))],
        ),
        ("本报讯（记者 黄雅婷）昨天上午，市委常委", [("昨天上午", ("2024-06-27", "2024-06-27"))]),
        ("今年以来，全区各级党组织坚持", [("今年以来", ("2024-01-01", "2024-06-28"))]),
        ("本报讯（记者 张可馨）6月26日—27日，陕西省", [("6月26日—27日", ("2024-06-26", "2024-06-27"))]),
        ("2023年是全面贯彻落实党的二十大精神的开局之年", [("2023年", ("2023-01-01", "2023-12-31"))]),
        (
            "本报讯（记者 朱梦琪）昨天下午，市委常委、区委书记、区委党建工作领导小组组长乔俊杰"
            "主持召开2024年区委党建工作领导小组第二次会议",
            [("昨天下午", ("2024-06-27", "2024-06-27")), ("2024年", ("2024-01-01", "2024-12-31"))],
        ),
    ],
)
def test_sample_page_phrases(text: str, expected: list[tuple[str, tuple[str, str]]]) -> None:
    assert found(text) == expected


def test_mentions_carry_exact_spans() -> None:
    text = "本报讯 (记者 朱梦琪) 昨天,市委常委"
    assert event_dates(text, PUB) == [DateMention(13, 15, "昨天", r("2024-06-27"))]


@pytest.mark.parametrize(
    "text",
    [
        "前黄浜全长2.3公里，途经前黄集镇区约1.2公里",
        "建东村现有小微水体38条，已完成常规清淤整治38条",
        "全长260米，因232省道修筑后长期不疏通",
        "聚焦全市“532”发展战略和区委“三大任务”",
        "深入学习党的二十大精神和二十届二中全会精神",
        "一年来,区人大常委会",
        "三年行动计划",
        "武进与汉滨两地的协作已经走过多少年？",
        "12024年的编号",  # not a year: a longer number
        "整改须在3日内完成",  # a duration, not the 3rd
        "节日前夕，工作日前完成",  # before a (holi)day, not 日前 "the other day"
        "接近日本的水平",  # 近日 is not a word here
        "前天津市委书记",
        "这一天，他来到了前黄镇",  # the day the text was telling of, not the anchor
        "这两个项目已完工",
    ],
)
def test_numbers_and_words_that_are_not_dates(text: str) -> None:
    assert event_dates(text, PUB) == []


# --- event_dates: absolute expressions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年6月28日", ("2024-06-28", "2024-06-28")),
        ("2024年6月", ("2024-06-01", "2024-06-30")),
        ("2024年2月", ("2024-02-01", "2024-02-29")),
        ("2023年2月", ("2023-02-01", "2023-02-28")),
        ("2024年6月份", ("2024-06-01", "2024-06-30")),
        ("2024年", ("2024-01-01", "2024-12-31")),
        ("2024-06-28", ("2024-06-28", "2024-06-28")),
        ("2024/6/8", ("2024-06-08", "2024-06-08")),
        ("2024 年 6 月 28 日", ("2024-06-28", "2024-06-28")),
        ("２０２４年６月２８日", ("2024-06-28", "2024-06-28")),
        ("2024年6月28日上午", ("2024-06-28", "2024-06-28")),
        ("6月26日—27日", ("2024-06-26", "2024-06-27")),
        ("6月26日至27日", ("2024-06-26", "2024-06-27")),
        ("6月26日-7月2日", ("2024-06-26", "2024-07-02")),
        ("12月30日至1月2日", ("2024-12-30", "2025-01-02")),
        ("2023年12月30日至2024年1月2日", ("2023-12-30", "2024-01-02")),
        ("6月26日", ("2024-06-26", "2024-06-26")),
        ("6月", ("2024-06-01", "2024-06-30")),
        ("28日上午", ("2024-06-28", "2024-06-28")),
        ("2024年上半年", ("2024-01-01", "2024-06-30")),
        ("2023年下半年", ("2023-07-01", "2023-12-31")),
        # Holidays as their days off (the State Council's arrangement, chinese_calendar's tables).
        ("2023年元旦假期", ("2022-12-31", "2023-01-02")),
        ("2023年国庆黄金周", ("2023-09-29", "2023-10-06")),  # with 中秋 that year
    ],
)
def test_absolute_expressions(text: str, expected: tuple[str, str]) -> None:
    assert found(text) == [(text, expected)]


@pytest.mark.parametrize(
    "text", ["2024年6月28日", "2024年6月", "2024年", "2024-06-28", "2023年12月30日至2024年1月2日"]
)
def test_dates_with_a_year_need_no_publication_date(text: str) -> None:
    [mention] = event_dates(text, None)
    assert mention.range == event_dates(text, PUB)[0].range


@pytest.mark.parametrize("text", ["6月26日—27日", "6月26日", "6月", "28日", "6月份"])
def test_dates_without_a_year_are_reported_unresolved_without_a_publication_date(text: str) -> None:
    assert found(text, None) == [(text, None)]


def test_a_day_that_does_not_exist_is_reported_unresolved() -> None:
    assert found("2月30日") == [("2月30日", None)]
    assert found("6月28日至26日") == [("6月28日至26日", None)]  # reversed


def test_longest_match_wins() -> None:
    assert [m.expression for m in event_dates("2024年6月28日，昨天上午，今年上半年", PUB)] == [
        "2024年6月28日",
        "昨天上午",
        "今年上半年",
    ]


def test_several_mentions_come_in_text_order() -> None:
    text = "去年，今年以来；2024年6月26日—27日在汉滨，昨天"
    mentions = event_dates(text, PUB)
    assert [m.expression for m in mentions] == ["去年", "今年以来", "2024年6月26日—27日", "昨天"]
    assert all(text[m.start : m.end] == m.expression for m in mentions)


# --- event_dates: relative expressions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天", ("2024-06-27", "2024-06-27")),
        ("昨日", ("2024-06-27", "2024-06-27")),
        ("昨天下午", ("2024-06-27", "2024-06-27")),
        ("昨天晚上", ("2024-06-27", "2024-06-27")),
        ("前天", ("2024-06-26", "2024-06-26")),
        ("今天", ("2024-06-28", "2024-06-28")),
        ("今日", ("2024-06-28", "2024-06-28")),
        ("明天", ("2024-06-29", "2024-06-29")),
        ("上周", ("2024-06-17", "2024-06-23")),
        ("本周", ("2024-06-24", "2024-06-30")),
        ("上个月", ("2024-05-01", "2024-05-31")),
        ("上月", ("2024-05-01", "2024-05-31")),
        ("本月", ("2024-06-01", "2024-06-30")),
        ("今年", ("2024-01-01", "2024-12-31")),
        ("去年", ("2023-01-01", "2023-12-31")),
        ("前年", ("2022-01-01", "2022-12-31")),
        ("今年以来", ("2024-01-01", "2024-06-28")),
        ("今年上半年", ("2024-01-01", "2024-06-30")),
        ("上半年", ("2024-01-01", "2024-06-30")),  # of the paper's year
        ("下半年", ("2024-07-01", "2024-12-31")),
        ("一季度", ("2024-01-01", "2024-03-31")),
        ("第三季度", ("2024-07-01", "2024-09-30")),
        ("前三季度", ("2024-01-01", "2024-09-30")),
        ("去年四季度", ("2023-10-01", "2023-12-31")),
        ("国庆假期", ("2024-10-01", "2024-10-07")),
        ("春节期间", ("2024-02-10", "2024-02-17")),
        ("端午节假期", ("2024-06-08", "2024-06-10")),  # 10日 off, a weekend before it
        ("去年6月", ("2023-06-01", "2023-06-30")),
        ("近日", ("2024-06-21", "2024-06-28")),
        ("日前", ("2024-06-21", "2024-06-28")),
        ("6月以来", ("2024-06-01", "2024-06-28")),
        ("近一个月", ("2024-05-28", "2024-06-28")),
        ("最近一周", ("2024-06-21", "2024-06-28")),
        ("这两天", ("2024-06-26", "2024-06-28")),  # as 近两天
        ("这3个月", ("2024-03-28", "2024-06-28")),
        ("这几天", ("2024-06-21", "2024-06-28")),  # a few days, loosely: as 近日
        ("最近几天", ("2024-06-21", "2024-06-28")),
    ],
)
def test_relative_expressions(text: str, expected: tuple[str, str]) -> None:
    assert found(text) == [(text, expected)]
    assert found(text, None) == [(text, None)]


def test_relative_expressions_cross_month_and_year_boundaries() -> None:
    new_year = date(2024, 1, 3)  # a Wednesday
    assert found("上周", new_year) == [("上周", ("2023-12-25", "2023-12-31"))]
    assert found("上个月", new_year) == [("上个月", ("2023-12-01", "2023-12-31"))]
    assert found("昨天", date(2024, 3, 1)) == [("昨天", ("2024-02-29", "2024-02-29"))]
    assert found("近一个月", date(2024, 3, 31)) == [("近一个月", ("2024-02-29", "2024-03-31"))]


def test_relative_expressions_at_the_ends_of_the_calendar_resolve_to_none() -> None:
    assert found("昨天", date.min) == [("昨天", None)]
    assert found("明天", date.max) == [("明天", None)]
    assert found("前年", date(2, 6, 1)) == [("前年", None)]


def test_reporter_learned_it_the_other_day() -> None:
    assert found("记者日前从区住建局获悉") == [("日前", ("2024-06-21", "2024-06-28"))]


# --- question_date_range ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected_range", "rest"),
    [
        ("2024年6月有哪些活动？", r("2024-06-01", "2024-06-30"), "有哪些活动？"),
        ("2024年6月28日开了什么会？", r("2024-06-28"), "开了什么会？"),
        ("2024年区委开了哪些会？", r("2024-01-01", "2024-12-31"), "区委开了哪些会？"),
        ("6月有哪些活动？", r("2024-06-01", "2024-06-30"), "有哪些活动？"),
        ("6月份有哪些活动？", r("2024-06-01", "2024-06-30"), "有哪些活动？"),
        ("上个月乔俊杰去了哪里？", r("2024-05-01", "2024-05-31"), "乔俊杰去了哪里？"),
        ("乔俊杰上个月去了哪里？", r("2024-05-01", "2024-05-31"), "乔俊杰去了哪里？"),
        ("上个月，乔俊杰去了哪里？", r("2024-05-01", "2024-05-31"), "乔俊杰去了哪里？"),
        ("本月有什么新闻？", r("2024-06-01", "2024-06-30"), "有什么新闻？"),
        ("这个月有什么新闻？", r("2024-06-01", "2024-06-30"), "有什么新闻？"),
        ("去年区政协收集了多少条信息？", r("2023-01-01", "2023-12-31"), "区政协收集了多少条信息？"),
        ("今年有哪些会议？", r("2024-01-01", "2024-12-31"), "有哪些会议？"),
        ("前年有哪些会议？", r("2022-01-01", "2022-12-31"), "有哪些会议？"),
        ("上周乔俊杰调研了什么？", r("2024-06-17", "2024-06-23"), "乔俊杰调研了什么？"),
        ("最近一周有哪些活动？", r("2024-06-21", "2024-06-28"), "有哪些活动？"),
        ("近一个月有哪些活动？", r("2024-05-28", "2024-06-28"), "有哪些活动？"),
        ("这两天有哪些新闻？", r("2024-06-26", "2024-06-28"), "有哪些新闻？"),
        ("这几天乔俊杰去了哪里？", r("2024-06-21", "2024-06-28"), "乔俊杰去了哪里？"),
        ("6月以来开了哪些会？", r("2024-06-01", "2024-06-28"), "开了哪些会？"),
        ("今年以来开了哪些会？", r("2024-01-01", "2024-06-28"), "开了哪些会？"),
        ("6月下旬乔俊杰去了哪里？", r("2024-06-21", "2024-06-30"), "乔俊杰去了哪里？"),
        ("2月上旬开了哪些会？", r("2024-02-01", "2024-02-10"), "开了哪些会？"),
        ("上个月中旬开了哪些会？", r("2024-05-11", "2024-05-20"), "开了哪些会？"),
        ("2024年5月10日以后开了哪些会？", DateRange(date(2024, 5, 10), date.max), "开了哪些会？"),
        ("3月起有哪些新规？", DateRange(date(2024, 3, 1), date.max), "有哪些新规？"),
        ("6月10日之前开了哪些会？", DateRange(date.min, date(2024, 6, 10)), "开了哪些会？"),
        ("2024年以前有多少篇报道？", DateRange(date.min, date(2023, 12, 31)), "有多少篇报道？"),
        (
            "区政协2023年全年收集了多少条信息线索？",
            r("2023-01-01", "2023-12-31"),
            "区政协全年收集了多少条信息线索？",
        ),
    ],
)
def test_question_date_range(question: str, expected_range: DateRange, rest: str) -> None:
    assert question_date_range(question, PUB) == (expected_range, rest)


def test_question_with_an_absolute_date_needs_no_newest_date() -> None:
    assert question_date_range("2024年6月有哪些活动？", None) == (
        r("2024-06-01", "2024-06-30"),
        "有哪些活动？",
    )


@pytest.mark.parametrize("question", ["上个月乔俊杰去了哪里？", "6月有哪些活动？", "今年以来开了哪些会？"])
def test_question_with_a_relative_date_and_no_newest_date_is_unchanged(question: str) -> None:
    assert question_date_range(question, None) == (None, question)


@pytest.mark.parametrize(
    "question", ["乔俊杰担任什么职务？", "前黄浜全长多少公里？", "武进与汉滨两地的协作已经走过多少年？", ""]
)
def test_question_without_a_time_expression_is_unchanged(question: str) -> None:
    assert question_date_range(question, PUB) == (None, question)


# --- properties --------------------------------------------------------------------------------------

DATE_PHRASES = [
    "2024年6月28日", "2024年6月", "2024年", "2024-06-28", "6月26日—27日", "6月26日至27日",
    "6月26日-7月2日", "12月30日至1月2日", "2月30日", "6月", "6月份", "28日", "昨天", "昨日", "昨天上午",
    "昨天下午", "前天", "今天", "今日", "明天", "上周", "本周", "上个月", "上月", "本月", "今年", "去年",
    "前年", "今年以来", "今年上半年", "近日", "日前", "最近一周", "近一个月", "6月以来", "去年6月",
    "２０２４年６月", "这两天", "这几天", "上半年", "三季度", "前三季度", "去年四季度", "国庆假期",
    "春节期间",
]  # fmt: skip
FILLER = "区委书记乔俊杰调研前黄浜全长公里条省道会议召开“”，。、：2.3 0123456789-"
filler = st.text(alphabet=FILLER, max_size=6)
texts = st.lists(st.one_of(st.sampled_from(DATE_PHRASES), filler), max_size=12).map("".join)
anchors = st.one_of(st.none(), st.dates())


def assert_well_formed(text: str, mentions: list[DateMention]) -> None:
    for mention in mentions:
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start : mention.end] == mention.expression
        if mention.range is not None:
            assert mention.range.start <= mention.range.end
    for before, after in pairwise(mentions):
        assert before.end <= after.start


@given(texts, anchors)
def test_spans_are_exact_ordered_and_ranges_valid(text: str, published: date | None) -> None:
    assert_well_formed(text, event_dates(text, published))


@given(st.lists(st.sampled_from(DATE_PHRASES), min_size=1, max_size=6), st.dates(date(1900, 1, 1)))
def test_phrases_separated_by_commas_are_each_found(phrases: list[str], published: date) -> None:
    text = "，".join(phrases)
    assert [m.expression for m in event_dates(text, published)] == phrases


# Filler that can neither extend 昨天 (上午, 以来, …) nor be read as a date itself.
PLAIN = st.text(alphabet="区委书记乔俊杰调研会议召开公里条省道“”，。、 ", max_size=10)


@given(PLAIN, PLAIN, st.dates())
def test_yesterday_is_exactly_the_day_before_publication(before: str, after: str, published: date) -> None:
    [mention] = event_dates(f"{before}昨天{after}", published)
    assert (mention.start, mention.end, mention.expression) == (len(before), len(before) + 2, "昨天")
    day = published - timedelta(days=1) if published > date.min else None
    assert mention.range == (None if day is None else DateRange(day, day))


@given(texts, st.dates(date(1900, 1, 1), date(2100, 12, 31)))
def test_full_width_digits_read_like_ascii_ones(text: str, published: date) -> None:
    wide = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert [m.range for m in event_dates(wide, published)] == [m.range for m in event_dates(text, published)]


@given(texts, anchors)
def test_question_range_is_the_first_resolved_mention(question: str, newest: date | None) -> None:
    found_range, rest = question_date_range(question, newest)
    resolved = [m for m in event_dates(question, newest) if m.range is not None]
    if not resolved:
        assert (found_range, rest) == (None, question)
    else:
        assert found_range == resolved[0].range
        assert len(rest) <= len(question) - len(resolved[0].expression)


def test_chinese_numeral_month_in_a_question() -> None:
    window, rest = question_date_range("六月有哪些活动？", date(2024, 6, 28))
    assert window == DateRange(date(2024, 6, 1), date(2024, 6, 30)) and rest == "有哪些活动？"
    assert question_date_range("十一月份开了什么会？", date(2024, 12, 5))[0] == DateRange(
        date(2024, 11, 1), date(2024, 11, 30)
    )
    assert question_date_range("二十届二中全会讲了什么？", date(2024, 6, 28))[0] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昨天上午", [("昨天上午", "2024年6月27日")]),
        ("6月26日—27日", [("6月26日—27日", "2024年6月26日至27日")]),
        ("去年", [("去年", "2023年")]),
        ("上半年", [("上半年", "2024年上半年")]),
        ("前三季度", [("前三季度", "2024年前三季度")]),
        ("上个月", [("上个月", "2024年5月")]),
        ("26日", [("26日", "2024年6月26日")]),
        ("本周", [("本周", "2024年6月24日至30日")]),
        ("昨天上午，副区长孙益锋带队调研", [("昨天上午", "2024年6月27日")]),
        ("2024年6月26日", []),  # stated in full already
        ("近日", []),  # some day of the last week: not a date the paper printed
        ("今年以来", []),
        ("最近三天", []),
        ("这两天", []),
        ("这几天", []),
        ("上周五", []),  # the scanner reads 上周 alone; its week is not the Friday
    ],
)
def test_relative_dates_are_written_out_from_the_publication_date(text: str, expected: list) -> None:
    assert spelled_out(text, date(2024, 6, 28)) == expected


def test_a_range_across_months_and_years_is_written_in_full() -> None:
    assert written(DateRange(date(2024, 6, 30), date(2024, 7, 2))) == "2024年6月30日至7月2日"
    assert written(DateRange(date(2024, 12, 30), date(2025, 1, 2))) == "2024年12月30日至2025年1月2日"
    assert written(DateRange(date(2024, 10, 1), date.max)) == "2024年10月1日起"
    assert written(DateRange(date.min, date(2024, 2, 29))) == "2024年2月29日及以前"
