"""The archive page's HTML: the build job, the source list, a source's articles, one article as
indexed. Pure functions over `embeddings.library`'s dataclasses; every text is escaped."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

from embeddings.library import AddReport, ArticleDetail, ArticleRow, Job, SourceSummary
from ui.render import UNKNOWN_DATE, page_label

__all__ = [
    "add_report_html",
    "article_detail_html",
    "articles_html",
    "job_html",
    "source_label",
    "sources_html",
]

STATE_WORDS = {
    "queued": "排队中",
    "running": "正在建立索引",
    "cancelling": "正在取消",
    "done": "已完成",
    "failed": "失败",
    "cancelled": "已取消",
}
SOURCE_COLUMNS = ("文件", "状态", "文章", "读取方式", "报纸", "日期", "版面", "警告")
STAGE_WORDS = {"reading": "读取文件", "embedding": "嵌入段落", "writing": "写入索引"}
STATUS_WORDS = {"indexed": "已索引", "pending": "待索引", "removed": "已删除，待重建索引"}
FORMAT_WORDS = {
    "text": "文本",
    "jsonl": "JSONL",
    "html": "网页",
    "pdf": "PDF 文字层",
    "ocr": "OCR 识别",
    "founder-xml": "方正 XML",
}


def _e(text: object) -> str:
    return html.escape(str(text))


def _size(count: int) -> str:
    return (
        f"{count} 字节"
        if count < 1024
        else f"{count / 1024:.0f} KB"
        if count < 1024**2
        else f"{count / 1024**2:.1f} MB"
    )


def add_report_html(report: AddReport) -> str:
    """What an upload did: the files kept (replaced ones said so) and each refused one, why."""
    rows = [
        f'<li class="nqa-stored">{"已替换" if f.replaced else "已加入"}：'
        f"{_e(f.name)}（{f.size / 1024:.0f} KB）</li>"
        for f in report.stored
    ]
    rows += [f'<li class="nqa-refused">未加入：{_e(refusal.zh)}</li>' for refusal in report.refused]
    return f'<ul class="nqa-upload-report">{"".join(rows)}</ul>' if rows else ""


def job_html(job: Job | None) -> str:
    """The current (or last) build job: state, stage, a progress bar, the outcome and warnings."""
    if job is None:
        return '<div class="nqa-job nqa-empty">还没有建立索引的任务。</div>'
    why = "；".join(job.reasons)
    head = f'<div class="nqa-job-state">{_e(STATE_WORDS.get(job.state, job.state))}：{_e(why)}</div>'
    body = ""
    if job.state in ("running", "cancelling"):
        stage = STAGE_WORDS.get(job.stage, job.stage)
        if job.total:
            percent = 100 * job.done / job.total
            body = (
                f'<progress class="nqa-progress" max="{job.total}" value="{job.done}"></progress>'
                f'<div class="nqa-meta">{_e(stage)}：{job.done}/{job.total} 个段落（{percent:.0f}%）</div>'
            )
        else:
            body = f'<progress class="nqa-progress"></progress><div class="nqa-meta">{_e(stage)}…</div>'
        body += '<div class="nqa-meta">建好之前，问答仍使用现有的索引。</div>'
    elif job.state == "queued":
        body = '<div class="nqa-meta">等待前一个任务完成。</div>'
    if job.message:
        body += f'<div class="nqa-job-message">{_e(job.message)}</div>'
    if job.finished:
        body += (
            f'<div class="nqa-meta">结束于 {time.strftime("%H:%M:%S", time.localtime(job.finished))}</div>'
        )
    if job.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in job.warnings)
        body += (
            f'<details class="nqa-job-warnings" open><summary>{len(job.warnings)} 条警告</summary>'
            f"<ul>{items}</ul></details>"
        )
    return f'<div class="nqa-job" data-state="{_e(job.state)}">{head}{body}</div>'


def source_label(source: SourceSummary) -> str:
    return f"{source.name} · {STATUS_WORDS[source.status]} · {source.articles} 篇"


def _read_as(formats: dict[str, int]) -> str:
    return "、".join(f"{FORMAT_WORDS.get(kind, kind)} {n}" for kind, n in formats.items()) or "—"


def sources_html(sources: Sequence[SourceSummary]) -> str:
    """The archive's sources as a table: file, state, articles, how read, papers, dates, pages,
    warnings."""
    if not sources:
        return '<div class="nqa-empty">资料库还是空的：上传版面文件开始。</div>'
    rows = []
    for s in sources:
        dates = f"{s.first_date} – {s.last_date}" if s.first_date else UNKNOWN_DATE
        dates = dates if s.first_date != s.last_date else s.first_date
        where = "资料库" if s.file else "外部文件夹"
        warnings = "".join(f"<div>{_e(w)}</div>" for w in s.warnings)
        size = _size(s.size) if s.size is not None else ""
        rows.append(
            f'<tr class="nqa-source-row" data-source="{_e(s.name)}" data-status="{_e(s.status)}">'
            f'<td class="nqa-source">{_e(s.name)}<div class="nqa-meta">{where} {size}</div></td>'
            f"<td>{_e(STATUS_WORDS[s.status])}</td><td>{s.articles}</td><td>{_e(_read_as(s.formats))}</td>"
            f"<td>{_e('、'.join(s.papers) or '—')}</td><td>{_e(dates or UNKNOWN_DATE)}</td>"
            f'<td>{_e(" ".join(s.pages) or "—")}</td><td class="nqa-warnings">{warnings}</td></tr>'
        )
    head = "".join(f"<th>{word}</th>" for word in SOURCE_COLUMNS)
    total = sum(s.articles for s in sources if s.status == "indexed")
    return (
        f'<div class="nqa-meta">{len(sources)} 个来源，已索引 {total} 篇文章</div>'
        f'<table class="nqa-source-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _article_line(row: ArticleRow) -> str:
    where = " · ".join(
        filter(None, [row.date or UNKNOWN_DATE, row.paper, page_label(row.page, row.page_name)])
    )
    by = f" · {_e(row.reporter)}" if row.reporter else ""
    ocr = f" · {row.uncertain} 处识别存疑" if row.uncertain else ""
    return (
        f'<li class="nqa-article-row" data-article-id="{_e(row.id)}">'
        f'<span class="nqa-title">{_e(row.title)}</span>'
        f'<div class="nqa-meta">{_e(where)}{by} · {_e(FORMAT_WORDS.get(row.format, row.format))}'
        f"{ocr} · {row.chars} 字，{row.chunks} 个段落 · {_e(row.source)}</div></li>"
    )


def articles_html(rows: Sequence[ArticleRow], heading: str) -> str:
    """A list of articles under `heading` (a source's, or a title search's)."""
    if not rows:
        return f'<div class="nqa-empty">{_e(heading)}：没有文章。</div>'
    items = "".join(_article_line(row) for row in rows)
    return (
        f'<h4 class="nqa-related">{_e(heading)}（{len(rows)} 篇）</h4>'
        f'<ol class="nqa-article-list">{items}</ol>'
    )


def _names(pairs: Sequence[tuple[str, str]]) -> str:
    return "、".join(f"{_e(name)}（{_e(extra)}）" if extra else _e(name) for name, extra in pairs) or "无"


def article_detail_html(detail: ArticleDetail) -> str:
    """One article as the index holds it: the chunks a question is matched against, and the
    people, places and organisations the archive tables found in it."""
    chunks = "".join(
        f'<li class="nqa-chunk"><div class="nqa-meta">字符 {c.start}–{c.end}</div>'
        f'<p class="nqa-text">{_e(c.text)}</p></li>'
        for c in detail.chunks
    )
    also = (
        f'<div class="nqa-also">又见：{_e("；".join(detail.also_printed))}</div>'
        if detail.also_printed
        else ""
    )
    return (
        f'<div class="nqa-article-detail" data-article-id="{_e(detail.article.id)}">'
        f'<div class="nqa-title">{_e(detail.article.title)}</div>{also}'
        f'<div class="nqa-detail-people">人物：{_names(detail.people)}</div>'
        f'<div class="nqa-detail-places">地点：{_names(detail.places)}</div>'
        f'<div class="nqa-detail-orgs">机构：{_names(detail.organisations)}</div>'
        f'<h4 class="nqa-related">索引中的段落（{len(detail.chunks)}）</h4>'
        f'<ol class="nqa-chunks">{chunks}</ol></div>'
    )
