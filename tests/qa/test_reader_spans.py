"""Pure pieces of the reader: span search over logits, span trimming, word edges, CMRC metrics."""

from __future__ import annotations

import numpy as np
import pytest

from embeddings.store.keywords import KeywordTokenizer
from qa.answer import confidence_words, end_at_word_edge
from qa.reader.metrics import exact_match, f1
from qa.reader.spans import snap_to_text, top_spans


def test_top_spans_respect_order_length_and_the_passage() -> None:
    # tokens: 0 CLS, 1 question, 2 SEP, 3..6 passage
    offsets = np.array([(0, 0), (0, 2), (0, 0), (0, 2), (2, 4), (4, 6), (6, 8)])
    mask = np.array([False, False, False, True, True, True, True])
    start = np.array([1.0, 9.0, 0.0, 0.5, 3.0, 0.0, 0.0])  # the question token is never a span
    end = np.array([1.0, 9.0, 0.0, 1.0, 0.0, 2.0, 0.0])
    (span,) = top_spans(start, end, offsets, mask, max_tokens=4)
    assert (span.start, span.end) == (2, 6)  # tokens 4..5: 3.0 + 2.0
    assert span.score == pytest.approx(5.0) and span.margin == pytest.approx(3.0)
    (short,) = top_spans(start, end, offsets, mask, max_tokens=1)
    assert (short.start, short.end) == (2, 4)  # token 4 alone: 3.0 + 0.0
    assert top_spans(start, end, offsets, np.zeros(7, bool)) == []
    # Best first, each span once, never more than the window holds (4 + 3 + 2 + 1 spans here).
    ranked = top_spans(start, end, offsets, mask, max_tokens=4, count=50)
    assert len(ranked) == 10 and len({(s.start, s.end) for s in ranked}) == 10
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert [s.score for s in ranked[:6]] == pytest.approx([5.0, 3.0, 3.0, 2.5, 2.0, 1.5])
    assert {(s.start, s.end) for s in ranked[1:3]} == {(2, 4), (2, 8)}


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("全长2.3公里，途经", (2, 8), "2.3公里"),
        ("，吉河镇。", (0, 5), "吉河镇"),
        ("出版了《乡村振兴》一书", (3, 8), "《乡村振兴》"),
        ("出版了《乡村振兴一书", (3, 8), "乡村振兴"),
        ("“两湖”创新区", (0, 4), "“两湖”"),
        ("中文俗称“伦敦碗”。", (0, 10), "中文俗称“伦敦碗”"),
        ("出版的《文集》（1799）", (0, 8), "出版的《文集》"),
        ("最著名的是杜威和「吉祥兄弟」。", (5, 13), "杜威和「吉祥兄弟」"),
        ("山西人（一说宁夏人），生于", (0, 9), "山西人（一说宁夏人）"),
        ("《甲》、《乙》和《丙》", (0, 10), "《甲》、《乙》和《丙》"),
        ("作“火花”（队名）", (0, 6), "作“火花”"),
        ("这些困难在1851年被解决", (7, 10), "1851年"),  # the reader's pieces ▁18 51: no 51年
        ("全长12.35公里", (5, 9), "12.35公里"),
        ("属下的Hyaenodon weilini", (0, 11), "属下的Hyaenodon"),
        ("在Comic Gum2006年1月号", (1, 10), "Comic Gum"),  # a word and a number: two runs
    ],
)
def test_snap_to_text_trims_punctuation_and_keeps_paired_marks(text: str, span, expected: str) -> None:
    start, end = snap_to_text(text, *span)
    assert text[start:end] == expected


def test_an_end_inside_a_token_that_crosses_words_moves_to_the_word_edge() -> None:
    text = "会议于6月26日在区行政中心召开"
    words = [(0, 2), (2, 3), (3, 4), (4, 5), (5, 7), (7, 8), (8, 9), (9, 10), (10, 12), (12, 14), (14, 16)]
    # the reader's last token is 日在 (2 characters): the answer ends at the word edge inside it
    assert text[3 : end_at_word_edge(text, 3, 9, words, last_token=2)] == "6月26日"
    assert end_at_word_edge(text, 3, 9, words, last_token=1) == 9  # a one-character token: kept
    assert end_at_word_edge(text, 8, 9, words, last_token=2) == 9  # never empty
    latin = "Millennium Kitchen"  # jieba's edges between Latin words are no answer edges
    assert end_at_word_edge(latin, 0, 18, [(0, 10), (10, 11), (11, 18)], last_token=8) == 18


def test_an_answer_never_ends_on_a_dangling_conjunction() -> None:
    text = "我国已与59个国家和地区签署协议，中华人民共和国"
    words = KeywordTokenizer().word_spans(text)
    assert text[4 : end_at_word_edge(text, 4, 10, words, last_token=1)] == "59个国家"
    assert end_at_word_edge(text, 4, 12, words, last_token=1) == 12  # 59个国家和地区, whole
    assert end_at_word_edge(text, 17, 23, words, last_token=1) == 23  # 中华人民共和: 和 of 共和国 stays
    assert end_at_word_edge(text, 9, 10, words, last_token=1) == 10  # never empty


def test_an_answer_keeps_the_unit_that_its_measure_word_begins() -> None:
    text = "本次活动为期1个月，重点面向民营企业，已持续3个小时"
    words = KeywordTokenizer().word_spans(text)  # jieba: 1 | 个 | 月
    # the reader's last token 个月 is cut at jieba's edge, or it points at 个 alone: 1个月 either way
    assert text[6 : end_at_word_edge(text, 6, 9, words, last_token=2)] == "1个月"
    assert text[6 : end_at_word_edge(text, 6, 8, words, last_token=1)] == "1个月"
    at = text.index("3个")
    assert text[at : end_at_word_edge(text, at, at + 2, words, last_token=1)] == "3个小时"
    other = "共建成5个村和2个社区"  # 村 is what 5个 counts, no unit: 5个 stays
    assert end_at_word_edge(other, 3, 5, KeywordTokenizer().word_spans(other), last_token=1) == 5


def test_cmrc_metrics() -> None:
    assert exact_match("2.3公里。", ["2.3公里"]) == 1.0
    assert exact_match("约2.3公里", ["2.3公里"]) == 0.0
    # units 约 | 2.3 | 公 | 里 against 2.3 | 公 | 里: precision 3/4, recall 1
    assert f1("约2.3公里", ["2.3公里"]) == pytest.approx(2 * 0.75 / 1.75)
    assert f1("北京大学", ["清华大学", "北京大学"]) == 1.0
    assert f1("完全无关", ["北京"]) == 0.0


def test_confidence_in_words() -> None:
    assert confidence_words(None) == ""
    assert confidence_words(0.99) == "很确定" and confidence_words(0.8) == "较确定"
    assert confidence_words(0.5) == "不确定"
