"""Pure rendering: hand-made answers, no model. Corpus markup must come out as inert text."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from embeddings.errors import IndexMissingError, NewsqaError, QuestionError
from qa.answer import ABSTAIN_TEXT, Answer, Citation
from qa.archive import ArchiveItem, ArchiveResult, EntityProfile, EntitySummary
from qa.retrieve import PassageHit
from ui.render import (
    UNKNOWN_DATE,
    answer_message,
    answer_to_dict,
    archive_items_html,
    entity_profile_html,
    error_message,
    highlight,
    question_message,
    render_sources,
    source_card,
)

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ARTICLE = f"开头一句。前黄浜全长2.3公里，{SCRIPT}途经集镇。中间一句{IMG}。最后一句。"
CITED = f"前黄浜全长2.3公里，{SCRIPT}途经集镇。"
SECOND = f"中间一句{IMG}。"


def _hit(start: int, end: int, **fields) -> PassageHit:
    values = {
        "text": ARTICLE[start:end],
        "score": 0.5,
        "article_id": "a1",
        "title": f"标题{SCRIPT}",
        "subtitle": f"副标题{IMG}",
        "date": None,
        "reporter": "<b>黄雅婷</b>",
        "source": "wujin/<i>page</i>.txt",
        "start": start,
        "end": end,
    }
    return PassageHit(**{**values, **fields})


def _span(sentence: str) -> tuple[int, int]:
    start = ARTICLE.index(sentence)
    return start, start + len(sentence)


def _answer() -> Answer:
    first = _hit(0, len(ARTICLE))
    second = _hit(ARTICLE.index(SECOND), len(ARTICLE), article_id="a2", date="2024-06-28", title="第二篇")
    text = f"2.3公里[1]\n\n{CITED}[1]{SECOND}[2]"
    citations = [Citation(1, first, (_span(CITED),)), Citation(2, second, (_span(SECOND),))]
    return Answer(
        "前黄浜全长多少公里？", "前黄浜全长多少公里？", text, "2.3公里", False, citations, [], 0.123
    )


def _assert_inert(markup: str) -> None:
    assert "<script" not in markup.lower() and "<img" not in markup.lower(), markup
    assert "onerror=alert" not in markup.replace("&lt;img src=x onerror=alert(1)&gt;", "")


def test_sources_escape_corpus_markup() -> None:
    markup = render_sources(_answer())
    _assert_inert(markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in markup
    assert "&lt;b&gt;黄雅婷&lt;/b&gt;" in markup and "wujin/&lt;i&gt;page&lt;/i&gt;.txt" in markup


def test_cited_spans_are_marked() -> None:
    marked = re.findall(r"<mark>(.*?)</mark>", render_sources(_answer()))
    assert marked == [
        "前黄浜全长2.3公里，&lt;script&gt;alert(1)&lt;/script&gt;途经集镇。",
        "中间一句&lt;img src=x onerror=alert(1)&gt;。",
    ]


def test_card_numbers_match_answer_markers() -> None:
    answer = _answer()
    markup = render_sources(answer)
    in_text = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert [int(n) for n in re.findall(r'data-number="(\d+)"', markup)] == [1, 2]
    assert {int(n) for n in re.findall(r'class="nqa-number">\[(\d+)\]', markup)} == in_text == {1, 2}


def test_card_shows_metadata_and_span() -> None:
    hit = _hit(5, 30)
    card = source_card(hit, 3, ())
    assert "[3]" in card and "字符 5–30" in card and UNKNOWN_DATE in card
    assert "2024-06-28" in source_card(_hit(5, 30, date="2024-06-28"))
    assert 'data-number="3"' in card and "data-number" not in source_card(hit)


def test_highlight_clips_and_merges_spans() -> None:
    hit = _hit(5, 20)  # "前黄浜全长2.3公里，<script>…" starts at 5
    text = ARTICLE[5:20]
    assert highlight(hit, ()) == text.replace("<", "&lt;").replace(">", "&gt;")
    # a span starting before the passage is clipped to it; overlapping spans merge
    out = highlight(hit, [(0, 8), (7, 10), (12, 13)])
    assert out.startswith("<mark>" + ARTICLE[5:10] + "</mark>")
    assert out.count("<mark>") == 2
    assert highlight(hit, [(40, 50)]).count("<mark>") == 0  # outside the passage


def test_abstained_answer_shows_notice_and_related() -> None:
    related = [_hit(0, 10), _hit(10, 25, title="另一篇")]
    answer = Answer("天气？", "天气？", ABSTAIN_TEXT, None, True, [], related, 0.05)
    markup = render_sources(answer)
    _assert_inert(markup)
    assert "没有找到答案" in markup and "可能相关" in markup and "另一篇" in markup
    assert "<mark>" not in markup and "data-number" not in markup
    assert "用时 0.05 秒" in markup
    assert "没有找到答案" in answer_message(answer)


def test_timing_is_shown() -> None:
    assert "用时 0.12 秒" in render_sources(_answer())


def test_chat_messages_escape_text() -> None:
    message = answer_message(_answer())
    _assert_inert(message)
    assert "[1]" in message and "[2]" in message and "2.3公里" in message
    assert question_message(f"问{SCRIPT}") == "问&lt;script&gt;alert(1)&lt;/script&gt;"


def test_errors_are_friendly() -> None:
    message = error_message(QuestionError("the question is empty"))
    assert "请输入一个问题" in message and "the question is empty" in message
    assert "newsqa build" in error_message(IndexMissingError(f"no index at {IMG}"))
    own_words = error_message(NewsqaError("the archive is empty", zh=f"资料库是空的{IMG}"))
    assert own_words.startswith("⚠️ 资料库是空的&lt;img") and "（the archive is empty）" in own_words
    _assert_inert(own_words)
    _assert_inert(error_message(IndexMissingError(f"no index at {IMG}")))


def test_api_dict_is_json_with_spans_and_quotes() -> None:
    result = answer_to_dict(_answer())
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    assert result["short_answer"] == "2.3公里" and result["abstained"] is False
    first, second = result["citations"]
    assert first["number"] == 1 and first["title"] == f"标题{SCRIPT}"
    assert first["spans"] == [list(_span(CITED))] and first["quotes"] == [CITED]
    assert second["quotes"] == [SECOND] and second["date"] == "2024-06-28"
    assert {"reporter", "source", "start", "end", "text"} <= set(first)


def _read_answer() -> Answer:
    """As the span reader answers: the short answer is a span inside the cited sentence."""
    answer = _answer()
    start = ARTICLE.index("2.3公里")
    first = replace(answer.citations[0], answer_span=(start, start + len("2.3公里")))
    return replace(answer, citations=[first, *answer.citations[1:]], confidence=0.97)


def test_answer_span_is_highlighted_inside_the_cited_sentence() -> None:
    answer = _read_answer()
    card = source_card(answer.citations[0].hit, 1, answer.citations[0].spans, answer.citations[0].answer_span)
    _assert_inert(card)
    mark = re.search(r"<mark>(.*?)</mark>", card).group(1)
    assert '<strong class="nqa-answer">2.3公里</strong>' in mark  # the span, inside the sentence's mark
    assert re.sub(r"<[^>]+>", "", mark) == CITED.replace("<", "&lt;").replace(">", "&gt;")
    assert card.count("<mark>") == card.count("</mark>") == 1


def test_short_answer_leads_with_the_confidence_in_words() -> None:
    message = answer_message(_read_answer())
    _assert_inert(message)
    assert message.startswith('<div class="nqa-short"><strong>2.3公里[1]</strong>')
    assert '<span class="nqa-confidence">很确定</span>' in message
    assert message.index("nqa-short") < message.index("前黄浜全长")  # the sentence follows
    unsure = answer_message(replace(_read_answer(), confidence=0.6))
    assert "不确定" in unsure
    result = answer_to_dict(_read_answer())
    assert result["confidence"] == 0.97 and result["confidence_words"] == "很确定"
    assert result["citations"][0]["answer_span"] == list(_read_answer().citations[0].answer_span)


def _archive_item(**fields) -> ArchiveItem:
    values = {
        "article_id": "a<1>",
        "title": f"乡村振兴{SCRIPT}",
        "date": "2024-02-03",
        "quote": f"推进乡村振兴{IMG}。",
        "span": (0, 10),
        "mentions": 1,
        "reprints": (("a2", "2024-02-04", f"转载{SCRIPT}"),),
    }
    return ArchiveItem(**{**values, **fields})


def _archive_result(**fields) -> ArchiveResult:
    values = {
        "question": "有多少篇报道提到乡村振兴？",
        "asked": "count",
        "terms": ("乡村振兴",),
        "counted": f"关键词：乡村振兴{SCRIPT}",
        "window": None,
        "articles": 26,
        "stories": 25,
        "mentions": 30,
        "undated": 0,
        "dates_known": True,
        "months": [("2024-01", 4), ("2024-02", 21)],
        "items": [_archive_item(), _archive_item(article_id="b", date=None, quote="", reprints=())],
        "page": 2,
        "page_size": 20,
    }
    return ArchiveResult(**{**values, **fields})


def test_archive_items_are_escaped_numbered_and_paged() -> None:
    shown = archive_items_html(_archive_result())
    assert "<script>" not in shown and "<img" not in shown
    assert "&lt;script&gt;" in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "共 <strong>25</strong> 篇报道" in shown and "26 篇文章" in shown and "第 2/2 页" in shown
    assert '<ol class="nqa-archive-list" start="21">' in shown and shown.count('class="nqa-item"') == 2
    assert "<mark>乡村振兴</mark>" in shown and "（标题中提到）" in shown and UNKNOWN_DATE in shown
    assert "又见：2024-02-04《转载&lt;script&gt;" in shown and 'data-article-id="a&lt;1&gt;"' in shown


def test_archive_items_of_one_month_count_that_month() -> None:
    shown = archive_items_html(_archive_result(month="2024-02", page=1))
    assert "2024-02：21 篇" in shown and "第 1/2 页" in shown


def test_a_busiest_month_ranking_names_its_months_in_chinese() -> None:
    from qa.archive.answers import RankedEntity

    months = [
        RankedEntity("2024年2月", "month", "", 21, 21, _archive_item()),
        RankedEntity("2024年1月", "month", "", 4, 4, _archive_item()),
    ]
    shown = archive_items_html(_archive_result(asked="most", ranked=months, period="month"))
    assert (
        "2024年2月</span> 月份 · 21 篇报道" in shown
        and "month" not in shown.split("nqa-ranked")[1].split("</ol>")[0]
    )


def test_archive_without_items_says_so() -> None:
    shown = archive_items_html(_archive_result(items=[], stories=0, articles=0, months=[]))
    assert "没有符合条件的报道" in shown


def test_entity_profile_is_escaped_with_titles_and_timeline() -> None:
    summary = EntitySummary(f"乔俊杰{SCRIPT}", "person", "", 3, 4, 9, "2024-01-02", "2024-05-06")
    profile = EntityProfile(
        summary=summary,
        titles=[(f"区长{IMG}", 3)],
        months=[("2024-01", 1), ("2024-05", 2)],
        co_people=[("黄雅婷", 2)],
        co_places=[("南夏墅街道", 1)],
        timeline=[_archive_item(quote=f"乔俊杰{SCRIPT}出席。"), _archive_item(date="2024-05-06")],
        other_kinds=["reporter"],
    )
    shown = entity_profile_html(profile)
    assert "<script>" not in shown and "<img" not in shown
    assert "乔俊杰&lt;script&gt;" in shown and "人物" in shown and "区长&lt;img" in shown
    assert "首次出现：2024-01-02" in shown and "最近出现：2024-05-06" in shown
    assert "3 篇报道（4 篇文章）" in shown and "黄雅婷（2篇）" in shown and "南夏墅街道（1篇）" in shown
    assert shown.count('class="nqa-item"') == 2
    assert "<mark>乔俊杰&lt;script&gt;alert(1)&lt;/script&gt;</mark>出席" in shown
    assert "同名的还有：记者" in shown


def test_archive_page_html_escapes_and_says_what_happened() -> None:
    from embeddings.library import AddReport, Job, Refusal, SourceSummary, StoredFile
    from ui.library_render import add_report_html, job_html, sources_html

    report = AddReport(
        [StoredFile("<b>0101</b>.md", 2048, replaced=True)],
        [Refusal("<i>x</i>.docx: unknown format '.docx'", "<i>x</i>.docx：不支持的格式“.docx”")],
    )
    shown = add_report_html(report)
    assert "已替换：&lt;b&gt;0101&lt;/b&gt;.md（2 KB）" in shown
    assert "未加入：&lt;i&gt;x&lt;/i&gt;.docx：不支持的格式“.docx”" in shown
    running = Job("j1", "running", ["上传 a.md"], 0.0, stage="embedding", done=30, total=120)
    assert '<progress class="nqa-progress" max="120" value="30">' in job_html(running)
    assert "嵌入段落：30/120 个段落（25%）" in job_html(running)
    failed = Job("j2", "failed", ["上传 b.md"], 0.0, finished=1.0, message="失败：<script>")
    assert "失败：&lt;script&gt;" in job_html(failed) and "<progress" not in job_html(failed)
    assert "还没有" in job_html(None)
    source = SourceSummary("sources/a.md", "pending", 0, file="a.md", size=10, warnings=["a.md: <i>bad</i>"])
    table = sources_html([source])
    assert 'data-status="pending"' in table and "待索引" in table and "&lt;i&gt;bad&lt;/i&gt;" in table
