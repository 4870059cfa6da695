"""What a question asks for: its kind, and the shape a span must have to answer it."""

from __future__ import annotations

import pytest

from qa.question_types import QuestionType, answer_shape, classify


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("新疆生产建设兵团是在哪一年组建的？", QuestionType.DATE),  # 哪一年 is a time, not a place (哪)
        ("哪个月提到台风的报道最多？", QuestionType.DATE),
        ("第十五届中国航展在哪里举办？", QuestionType.PLACE),
        ("它有多少家企业参展？", QuestionType.NUMBER),
        ("谁是国家统计局局长？", QuestionType.PERSON),
    ],
)
def test_classify(question: str, kind: QuestionType) -> None:
    assert classify(question) is kind


@pytest.mark.parametrize(
    ("question", "fits", "does_not_fit"),
    [
        (
            "中央经济工作会议在哪里举行？",
            ["北京", "珠海国际航展中心", "罗斯海恩克斯堡岛"],
            ["闭幕", "举行", "在"],
        ),
        ("谁出席了会议？", ["李强", "丁薛祥等", "国务院总理"], ["出席", "主持"]),
        ("它有多少家企业参展？", ["超过890家", "三千余家", "第5个"], ["企业", "参展"]),
        ("这是第几次参加奥运会？", ["首次", "第3次"], ["参加"]),
        ("嫦娥六号是什么时候发射的？", ["5月3日", "上午", "去年", "凌晨"], ["发射", "成功"]),
        (
            "代表团是哪天来武进的？",
            ["6月26日—27日", "昨天", "七月初四", "十月廿一", "周三"],
            ["2024年", "3月", "来"],
        ),
        (
            "夏粮产量占全年粮食产量的比例是多少？",
            ["1/5以上", "40%以上", "三分之一", "近七成", "两倍"],
            ["2995.6亿斤", "3.3亿亩", "全年"],
        ),
        ("该地区占全国面积的多少？", ["约52%"], ["1267万平方公里"]),
        ("代表团在武进待了几天？", ["两天", "6月26日—27日", "3个晚上"], ["2024年", "6月", "2"]),
        ("苏陕协作已经持续了多少年？", ["28年", "近三十载"], ["6月26日", "28", "2024年"]),
        ("慈禧太后出生于西元几年？", ["1835年"], ["出生"]),  # the calendar's year asked
        (
            "全国碳市场启动于哪一年？",
            ["2021年", "二〇二一年", "民国三十九年", "民国9年", "民国初年", "嘉熙二年冬", "去年", "1990年代"],
            ["三年", "二十年", "7月16日"],
        ),
        ("嘉义于民国几年升格为省辖市？", ["1982年", "民国七十一年"], ["升格"]),
        ("这是儒略日的第几天？", ["第3", "0"], ["当天"]),  # an ordinal: any number
        ("有多少年轻人参加了抗议？", ["2000人", "上千"], ["年轻人"]),  # 年 of 年轻人 is no unit
    ],
)
def test_a_span_must_have_the_shape_asked_for(
    question: str, fits: list[str], does_not_fit: list[str]
) -> None:
    shape = answer_shape(question)
    assert shape is not None
    assert all(shape(span) for span in fits), [span for span in fits if not shape(span)]
    assert not any(shape(span) for span in does_not_fit), [span for span in does_not_fit if shape(span)]


def test_a_count_of_the_thing_asked_is_the_answer_where_the_passage_counts_it() -> None:
    shape = answer_shape("喀什古城的主要巷道上悬挂起多少灯笼？")
    assert shape is not None
    text = "喀什古城的12条主要巷道上悬挂起5万多个灯笼，古城夜空流光溢彩。"

    def fits(span: str) -> bool:
        start = text.index(span)
        return shape(span, text[:start], text[start + len(span) :])

    assert fits("5万多个") and fits("5万多个灯笼")
    assert not fits("12条")  # a number of the sentence, but of the streets
    parks = "有2处国家湿地公园，1处国家森林公园。"
    shape = answer_shape("境内有多少处国家森林公园？")
    assert shape("1处", parks[:10], parks[12:]) and not shape("2处", parks[:1], parks[3:])
    # Where the passage counts no 灯笼, any number may answer (the count may be written 5万余盏).
    assert shape("12条", "喀什古城的", "主要巷道上悬挂起灯笼")
    # 多少公里 asks a unit, 多少个 a measure word: no noun to look for.
    assert answer_shape("西渝高铁全长多少公里？")("739公里", "", "，连接西安和重庆")


@pytest.mark.parametrize(
    "question",
    ["国务院第九次专题学习的主题是什么？", "黄花镇是由哪几个乡镇组建而成的？", "李强担任什么职务？"],
)
def test_questions_of_no_particular_shape_take_any_span(question: str) -> None:
    assert answer_shape(question) is None
