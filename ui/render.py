"""Answer -> what the UI shows: source cards and chat messages as HTML, the API's JSON dict.

Pure functions, no Gradio and no model, so tests can call them on hand-made answers. Every piece
of corpus or user text passes through `html.escape` on its way out: a newspaper line
`<script>…</script>` is shown as those characters and never runs. (The chat renders its messages
as sanitised HTML with Markdown off, so escaped text shows literally and copies without
Markdown backslashes.)
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path

from embeddings.errors import (
    IndexMismatchError,
    IndexMissingError,
    ModelError,
    NewsqaError,
    QuestionError,
)
from qa.answer import Answer, Citation, confidence_words
from qa.archive import ArchiveItem, ArchiveResult, EntityProfile
from qa.retrieve import MAX_QUESTION_CHARS, PassageHit

__all__ = [
    "KIND_WORDS",
    "PLACEHOLDER_HTML",
    "answer_message",
    "answer_to_dict",
    "archive_items_html",
    "archive_to_dict",
    "entity_profile_html",
    "error_message",
    "highlight",
    "hit_to_dict",
    "months_chart_html",
    "page_label",
    "question_message",
    "render_sources",
    "source_card",
]

PLACEHOLDER_HTML = (
    '<div class="nqa-sources nqa-empty">提问后，这里会列出回答引用的原文段落，被引用的句子以高亮标出。</div>'
)
NO_ANSWER = "没有找到答案"
UNKNOWN_DATE = "日期未知"
_ERROR_HINTS: dict[type[NewsqaError], str] = {
    QuestionError: f"请输入一个问题（不能为空，最多 {MAX_QUESTION_CHARS} 字），例如：前黄浜全长多少公里？",
    IndexMissingError: "还没有索引：请先运行 newsqa build 建立索引。",
    IndexMismatchError: "索引与当前模型不匹配：请用 newsqa build 重新建立索引。",
    ModelError: "嵌入模型无法加载。",
}


def _passage_spans(hit: PassageHit, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Article spans -> sorted, merged spans of `hit.text`, clipped to the passage."""
    clipped = sorted(
        (max(start, hit.start) - hit.start, min(end, hit.end) - hit.start)
        for start, end in spans
        if start < hit.end and end > hit.start
    )
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        elif start < end:
            merged.append((start, end))
    return merged


def highlight(
    hit: PassageHit, spans: Iterable[tuple[int, int]] = (), answer_span: tuple[int, int] | None = None
) -> str:
    """The passage text, escaped, with the cited article spans wrapped in <mark> and the short
    answer inside them in <strong class="nqa-answer">."""
    sentences = _passage_spans(hit, spans)
    answer = _passage_spans(hit, [answer_span]) if answer_span else []
    cuts = sorted({0, len(hit.text), *(p for span in sentences + answer for p in span)})
    parts, open_mark = [], False
    for start, end in pairwise(cuts):
        in_mark = any(s <= start < e for s, e in sentences)
        in_answer = any(s <= start < e for s, e in answer)
        if in_mark != open_mark:
            parts.append("<mark>" if in_mark else "</mark>")
            open_mark = in_mark
        text = html.escape(hit.text[start:end])
        parts.append(f'<strong class="nqa-answer">{text}</strong>' if in_answer else text)
    if open_mark:
        parts.append("</mark>")
    return "".join(parts)


def page_label(page: str, page_name: str) -> str:
    """第3版 · 要闻 from 版次 as printed (3, 03, A03, 第3版, 第A03版) and 版名."""
    label = page if not page or page.startswith("第") else f"第{page}版"
    return " · ".join(filter(None, [label, page_name]))


def _printed_on(hit: PassageHit) -> str:
    """Where the cited passage is printed: the PDF or scan page of its first box."""
    if not hit.boxes:
        return ""
    pages = sorted({box.page for box in hit.boxes})
    return "页面 " + "、".join(str(p) for p in pages)


def _link(url: str, text: str) -> str:
    if url.startswith(("http://", "https://")):
        return f'<a class="nqa-url" href="{html.escape(url)}" target="_blank" rel="noopener">{text}</a>'
    return text


def _crop_figure(hit: PassageHit, crop: str | None) -> str:
    if not crop:
        return ""
    try:
        data = base64.b64encode(Path(crop).read_bytes()).decode()
    except OSError:  # the cache was cleared under a running server: the text still cites
        return ""
    caption = " · ".join(filter(None, [page_label(hit.page, hit.page_name), _printed_on(hit)]))
    return (
        f'<figure class="nqa-page"><img class="nqa-crop" alt="{html.escape(caption)}" '
        f'src="data:image/jpeg;base64,{data}"><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def source_card(
    hit: PassageHit,
    number: int | None = None,
    spans: Sequence[tuple[int, int]] = (),
    answer_span: tuple[int, int] | None = None,
    crop: str | None = None,
) -> str:
    """One passage as a card: [number], 引题, title, subtitle, reporter, date, paper and 版, the
    source (a link to the article's URL when it has one) and span, the text, and for a printed
    page the crop of the page with the cited sentences marked."""
    marker = f'<span class="nqa-number">[{number}]</span> ' if number is not None else ""
    kicker = f'<div class="nqa-kicker">{html.escape(hit.kicker)}</div>' if hit.kicker else ""
    subtitle = f'<div class="nqa-subtitle">{html.escape(hit.subtitle)}</div>' if hit.subtitle else ""
    meta = [f"记者 {html.escape(hit.reporter)}"] if hit.reporter else []
    meta.append(html.escape(hit.date) if hit.date else UNKNOWN_DATE)
    printed = " ".join(filter(None, [hit.paper, page_label(hit.page, hit.page_name)]))
    if printed:
        meta.append(f'<span class="nqa-printed">{html.escape(printed)}</span>')
    where = " · ".join(filter(None, [hit.source, _printed_on(hit), f"字符 {hit.start}–{hit.end}"]))
    meta.append(f'<span class="nqa-source">{_link(hit.url, html.escape(where))}</span>')
    if hit.uncertain:
        meta.append('<span class="nqa-uncertain">含 OCR 识别不确定的文字，请对照版面核实</span>')
    if hit.external_id:
        meta.append(f'<span class="nqa-external-id">ID {html.escape(hit.external_id)}</span>')
    also = [
        " ".join(filter(None, [place.date or "", page_label(place.page, place.page_name) or place.source]))
        for place in hit.also_printed
    ]
    also_html = f'<div class="nqa-also">又见：{html.escape("；".join(also))}</div>' if also else ""
    number_attr = f' data-number="{number}"' if number is not None else ""
    return (
        f'<article class="nqa-card"{number_attr}>{kicker}'
        f'<div class="nqa-title">{marker}{html.escape(hit.title)}</div>{subtitle}'
        f'<div class="nqa-meta">{" · ".join(meta)}</div>{also_html}'
        f'<p class="nqa-text">{highlight(hit, spans, answer_span)}</p>{_crop_figure(hit, crop)}</article>'
    )


def _timing(answer: Answer) -> str:
    return f'<div class="nqa-timing">用时 {answer.seconds:.2f} 秒</div>'


def render_sources(answer: Answer) -> str:
    """The right-hand panel: cited passages, or a notice and the closest passages (可能相关)."""
    if answer.abstained:
        related = "".join(source_card(hit) for hit in answer.related)
        body = (
            f'<div class="nqa-notice"><strong>{NO_ANSWER}</strong>：{html.escape(answer.text)}'
            "下面是检索到的最接近的段落，仅供参考。</div>"
            + (f'<h4 class="nqa-related">可能相关</h4>{related}' if related else "")
        )
    else:
        body = "".join(
            source_card(c.hit, c.number, c.spans, c.answer_span, c.page_crop) for c in answer.citations
        )
    return f'<div class="nqa-sources">{_timing(answer)}{body}</div>'


def question_message(question: str) -> str:
    """The user's question as a chat message."""
    return html.escape(question)


def answer_message(answer: Answer) -> str:
    """The chat reply: the short answer first and large, with the reader's confidence in words,
    then the cited sentences with their [n] markers; or the no-answer notice."""
    if answer.abstained:
        return f"<strong>{NO_ANSWER}。</strong>{html.escape(answer.text)}右侧列出了可能相关的段落。"
    note = "<br><small>（由语言模型根据引用段落生成，每句已核对出处）</small>" if answer.generated else ""
    text, head = answer.text, ""
    if answer.short_answer and not answer.generated:
        first, _, rest = text.partition("\n\n")
        words = confidence_words(answer.confidence)
        badge = f' <span class="nqa-confidence">{html.escape(words)}</span>' if words else ""
        head = f'<div class="nqa-short"><strong>{html.escape(first)}</strong>{badge}</div>'
        text = rest
    return head + html.escape(text) + note


def error_message(error: NewsqaError) -> str:
    """A user-fixable error as a friendly line, HTML-escaped: its Chinese words (the error's own,
    else its kind's), then the library's English as the detail."""
    kind_hint = next((text for kind, text in _ERROR_HINTS.items() if isinstance(error, kind)), "出错了。")
    hint = error.zh or kind_hint
    return f"⚠️ {html.escape(hint)}（{html.escape(str(error))}）"


def hit_to_dict(hit: PassageHit) -> dict:
    fields = asdict(hit)
    fields.pop("score")
    fields["boxes"] = [
        # `file` is a path on the server's disk; the page and region say where it is printed.
        {**{k: v for k, v in box.items() if k != "file"}, "box": list(box["box"])}
        for box in fields["boxes"]
    ]
    fields["also_printed"] = list(fields["also_printed"])
    fields["uncertain"] = [list(span) for span in fields["uncertain"]]
    return fields


def _citation_dict(citation: Citation) -> dict:
    return {
        "number": citation.number,
        **hit_to_dict(citation.hit),
        "spans": [list(span) for span in citation.spans],
        "answer_span": list(citation.answer_span) if citation.answer_span else None,
        "page_crop": bool(citation.page_crop),
        "quotes": [
            citation.hit.text[s - citation.hit.start : e - citation.hit.start] for s, e in citation.spans
        ],
    }


def answer_to_dict(answer: Answer) -> dict:
    """The API's JSON: answer text with markers, short answer, citations with spans, timing."""
    return {
        "question": answer.question,
        "search_query": answer.search_query,
        "text": answer.text,
        "short_answer": answer.short_answer,
        "abstained": answer.abstained,
        "generated": answer.generated,
        "confidence": answer.confidence,
        "confidence_words": confidence_words(answer.confidence),
        "citations": [_citation_dict(c) for c in answer.citations],
        "related": [hit_to_dict(hit) for hit in answer.related],
        "seconds": round(answer.seconds, 3),
        # An archive answer's whole result: counts, what was counted, this page, per month.
        "archive": archive_to_dict(answer.archive) if answer.archive else None,
    }


def archive_to_dict(result: ArchiveResult) -> dict:
    return {**asdict(result), "pages": result.pages}


KIND_WORDS = {
    "term": "关键词",
    "person": "人物",
    "reporter": "记者",
    "place": "地点",
    "organisation": "机构",
    "month": "月份",
    "year": "年份",
}
TIMELINE_SHOWN = 200  # timeline items rendered on an entity page; the count above says how many in all


def _mark_terms(text: str, terms: Sequence[str]) -> str:
    """`text` escaped, with every occurrence of the terms in <mark> (the terms escaped alike)."""
    escaped = html.escape(text)
    for term in sorted({html.escape(t) for t in terms if t}, key=len, reverse=True):
        escaped = escaped.replace(term, f"<mark>{term}</mark>")
    return escaped


def _archive_item(item: ArchiveItem, terms: Sequence[str]) -> str:
    """One story: date, 《title》, the sentence that matched, and where else it was printed."""
    quote = (
        f'<p class="nqa-text">{_mark_terms(item.quote, terms)}</p>'
        if item.quote
        else '<p class="nqa-text nqa-empty">（标题中提到）</p>'
    )
    again = "；".join(f"{date or UNKNOWN_DATE}《{title}》" for _, date, title in item.reprints)
    also = f'<div class="nqa-also">又见：{html.escape(again)}</div>' if again else ""
    return (
        f'<li class="nqa-item" data-article-id="{html.escape(item.article_id)}" '
        f'data-date="{html.escape(item.date or "")}">'
        f'<span class="nqa-date">{html.escape(item.date or UNKNOWN_DATE)}</span> '
        f'<span class="nqa-title">《{html.escape(item.title)}》</span>{also}{quote}</li>'
    )


def archive_items_html(result: ArchiveResult) -> str:
    """An archive answer's list: what was counted, the page (or the chosen month) of its stories,
    each with its quoted sentence and reprints; for a "most", "entities" or "compare" question
    the ranking first."""
    head = [f"共 <strong>{result.stories}</strong> 篇报道"]
    if result.articles != result.stories:
        head.append(f"{result.articles} 篇文章（转载合并）")
    if result.month:
        month_stories = dict(result.months).get(result.month, 0)
        head.append(f"{html.escape(result.month)}：{month_stories} 篇")
    pages = -(-dict(result.months).get(result.month, 0) // result.page_size) if result.month else result.pages
    if result.asked not in ("most", "entities", "compare", "first", "last"):
        head.append(f"第 {result.page}/{max(1, pages)} 页")
    summary = f'<div class="nqa-archive-head">{" · ".join(head)}</div>'
    counted = f'<div class="nqa-meta">统计口径：{html.escape(result.counted)}</div>'
    ranked = ""
    if result.ranked:
        rows = "".join(
            f'<li><span class="nqa-title">{html.escape(r.name)}</span> '
            f"{html.escape(KIND_WORDS.get(r.kind, r.kind))}"
            f"{'（' + html.escape(r.category) + '）' if r.category else ''} · {r.stories} 篇报道</li>"
            for r in result.ranked
        )
        ranked = f'<ol class="nqa-ranked">{rows}</ol>'
    if not result.items:
        body = '<div class="nqa-empty">没有符合条件的报道。</div>'
    else:
        first = 1 if result.ranked else (result.page - 1) * result.page_size + 1
        items = "".join(_archive_item(item, result.terms) for item in result.items)
        body = f'<ol class="nqa-archive-list" start="{first}">{items}</ol>'
    return f'<div class="nqa-archive">{summary}{counted}{ranked}{body}</div>'


def _counts(pairs: Sequence[tuple[str, int]], unit: str) -> str:
    return "、".join(f"{html.escape(name)}（{count}{unit}）" for name, count in pairs) or "无"


def entity_profile_html(profile: EntityProfile) -> str:
    """One person, reporter, place or organisation: who, when, how often, with whom, and the
    dated timeline of the sentences naming it."""
    who = profile.summary
    kind = KIND_WORDS.get(who.kind, who.kind)
    category = f"（{html.escape(who.category)}）" if who.category else ""
    facts = [
        f"首次出现：{html.escape(who.first_date or UNKNOWN_DATE)}",
        f"最近出现：{html.escape(who.last_date or UNKNOWN_DATE)}",
        f"{who.stories} 篇报道（{who.articles} 篇文章）",
    ]
    rows = [f'<div class="nqa-meta">{" · ".join(facts)}</div>']
    if profile.titles:
        rows.append(f'<div class="nqa-entity-titles">职务：{_counts(profile.titles[:8], "次")}</div>')
    if profile.other_kinds:
        others = "、".join(html.escape(KIND_WORDS.get(k, k)) for k in profile.other_kinds)
        rows.append(f'<div class="nqa-also">同名的还有：{others}（可能不是同一人）</div>')
    rows.append(f'<div class="nqa-co-people">同时提到的人物：{_counts(profile.co_people, "篇")}</div>')
    rows.append(f'<div class="nqa-co-places">同时提到的地点：{_counts(profile.co_places, "篇")}</div>')
    shown = profile.timeline[:TIMELINE_SHOWN]
    more = (
        f'<div class="nqa-meta">（只列出前 {len(shown)} 篇，共 {len(profile.timeline)} 篇）</div>'
        if len(profile.timeline) > len(shown)
        else ""
    )
    items = "".join(_archive_item(item, (who.name,)) for item in shown)
    return (
        f'<div class="nqa-entity" data-kind="{html.escape(who.kind)}">'
        f'<div class="nqa-title nqa-entity-name">{html.escape(who.name)} '
        f'<span class="nqa-kicker">{html.escape(kind)}{category}</span></div>{"".join(rows)}'
        f'<h4 class="nqa-related">时间线</h4><ol class="nqa-timeline">{items}</ol>{more}</div>'
    )


def _month_span(months: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Every month from the first to the last (YYYY-MM), a month with no story as 0: a gap in
    coverage is an empty bar, not a month that silently is not there."""
    counts = dict(months)
    if not counts:
        return []
    year, month = map(int, min(counts).split("-"))
    last = max(counts)
    span = []
    while (label := f"{year:04d}-{month:02d}") <= last:
        span.append((label, counts.get(label, 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return span


def months_chart_html(
    months: Sequence[tuple[str, int]], chosen: str | None = None, clickable: bool = True
) -> str:
    """Stories per month as a bar chart. Bars are buttons (`data-month`) when `clickable`: a
    click lists that month (the page's script sends it to the server); `chosen` is drawn
    pressed. Plain HTML rather than a plot component, because Gradio's BarPlot selects by
    dragging a range and never reports a click on one bar."""
    span = _month_span(months)
    if not span:
        return ""
    top = max(count for _, count in span) or 1
    tag = "button" if clickable else "div"
    bars = []
    for month, count in span:
        label = f"{month}：{count} 篇"
        pressed = f' aria-pressed="{str(month == chosen).lower()}"' if clickable else ""
        bars.append(
            f'<{tag} class="nqa-bar" data-month="{html.escape(month)}" data-stories="{count}" '
            f'title="{html.escape(label)}" aria-label="{html.escape(label)}"{pressed}>'
            f'<span class="nqa-bar-count">{count or ""}</span>'
            f'<span class="nqa-bar-track"><span class="nqa-bar-fill" '
            f'style="height:{100 * count / top:.1f}%"></span></span>'
            f'<span class="nqa-bar-month">{html.escape(month[2:])}</span></{tag}>'
        )
    return (
        f'<div class="nqa-chart" role="group" aria-label="每月报道篇数（最多 {top} 篇）">'
        f"{''.join(bars)}</div>"
    )
