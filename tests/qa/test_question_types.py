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
    ],
)
def test_a_span_must_have_the_shape_asked_for(
    question: str, fits: list[str], does_not_fit: list[str]
) -> None:
    shape = answer_shape(question)
    assert shape is not None
    assert all(shape(span) for span in fits), [span for span in fits if not shape(span)]
    assert not any(shape(span) for span in does_not_fit), [span for span in does_not_fit if shape(span)]


@pytest.mark.parametrize(
    "question",
    ["国务院第九次专题学习的主题是什么？", "黄花镇是由哪几个乡镇组建而成的？", "李强担任什么职务？"],
)
def test_questions_of_no_particular_shape_take_any_span(question: str) -> None:
    assert answer_shape(question) is None
