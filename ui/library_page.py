"""The 资料库 tab: upload files, follow the build job, list, inspect and remove sources.

A view over `embeddings.library` (the same calls `newsqa add|sources|remove` make): uploads are
checked and copied into the index's archive folder, a build job is queued (one at a time; the
chat answers from the live generation until the new one is complete), and the job's progress is
read from the server every second, so a reloaded page, or a second browser, shows the same job.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from embeddings.errors import NewsqaError
from embeddings.library import (
    ACCEPTED_SUFFIXES,
    BuildJobs,
    add_files,
    article_detail,
    find_titles,
    list_sources,
    remove_file,
    source_articles,
)
from embeddings.settings import Settings
from ui.library_render import (
    add_report_html,
    article_detail_html,
    articles_html,
    job_html,
    source_label,
    sources_html,
)
from ui.render import error_message

__all__ = ["library_tab"]

POLL_SECONDS = 1.0
INTRO = (
    "上传报纸版面（PDF、扫描图片、网页、TXT、MD、JSONL，或它们的 zip 压缩包），"
    "文件保存在索引的资料库文件夹中，随后自动更新索引：只嵌入新的文章，建好之前问答照常使用现有索引。"
    "下面列出资料库的每个来源；选择一个来源查看它的文章，再选择一篇文章，查看它在索引中的段落和其中的人物、地点。"
)


def library_tab(settings: Settings, jobs: BuildJobs) -> gr.Tab:
    """Lay out the tab inside the current Blocks and wire its handlers."""

    def sources_update():
        try:
            sources = list_sources(settings)
        except NewsqaError as error:
            return f'<div class="nqa-notice">{error_message(error)}</div>', gr.update(choices=[])
        return sources_html(sources), gr.update(choices=[(source_label(s), s.name) for s in sources])

    def job_update(seen: str | None):
        """The job panel and cancel button when the job changed since `seen`, else skips; the
        source list too when a job has just finished."""
        job = jobs.latest()
        shown = job_html(job)
        if shown == seen:
            return gr.skip(), gr.skip(), seen, gr.skip(), gr.skip()
        cancel = gr.update(visible=bool(job and job.active))
        finished = job is not None and not job.active and seen is not None
        listing = sources_update() if finished else (gr.skip(), gr.skip())
        return shown, cancel, shown, *listing

    def refresh():
        job = jobs.latest()
        shown = job_html(job)
        return shown, gr.update(visible=bool(job and job.active)), shown, *sources_update()

    def add(paths: list[str] | None):
        if not paths:
            return '<div class="nqa-notice">请先选择要上传的文件。</div>', gr.skip(), *refresh()
        uploads = [(Path(p).name, Path(p)) for p in paths]
        try:
            report = add_files(settings, uploads)
        except NewsqaError as error:
            return f'<div class="nqa-notice">{error_message(error)}</div>', gr.skip(), *refresh()
        if report.stored:
            jobs.submit("上传 " + "、".join(f.name for f in report.stored))
        return add_report_html(report), None, *refresh()

    def cancel():
        job = jobs.latest()
        if job is not None and job.active:
            try:
                jobs.cancel(job.id)
            except NewsqaError as error:
                gr.Warning(error_message(error))
        return refresh()

    def show_source(name: str | None):
        if not name:
            return "", gr.update(choices=[], value=None)
        try:
            rows = source_articles(settings, name)
        except NewsqaError as error:
            return f'<div class="nqa-empty">{error_message(error)}</div>', gr.update(choices=[], value=None)
        choices = [(f"{r.title} · {r.date or '日期未知'}", r.id) for r in rows]
        return articles_html(rows, name), gr.update(choices=choices, value=None)

    def search(text: str):
        rows = find_titles(settings, text or "")
        choices = [(f"{r.title} · {r.date or '日期未知'}", r.id) for r in rows]
        return articles_html(rows, f"标题含“{(text or '').strip()}”"), gr.update(choices=choices, value=None)

    def show_article(article_id: str | None):
        if not article_id:
            return ""
        try:
            return article_detail_html(article_detail(settings, article_id))
        except NewsqaError as error:
            return f'<div class="nqa-empty">{error_message(error)}</div>'

    def ask_remove(name: str | None):
        sources = {s.name: s for s in list_sources(settings)}
        source = sources.get(name or "")
        if source is None:
            return gr.update(visible=False), "请先在上面选择一个来源。"
        if not source.removable:
            return gr.update(visible=False), (
                f"{name} 不在资料库文件夹中（由命令行从其他文件夹建立索引），这里不能删除它；"
                "newsqa 从不删除资料库以外的文件。"
            )
        return gr.update(
            visible=True
        ), f"确定从资料库删除 **{name}** 吗？删除后会重建索引，其中的文章将不再被检索。"

    def remove(name: str | None):
        note = ""
        try:
            note = remove_file(settings, (name or "").removeprefix("sources/")).zh
            jobs.submit(f"删除 {name}")
        except NewsqaError as error:
            note = error_message(error)
        return gr.update(visible=False), note, *refresh()

    with gr.Tab("资料库", id="library", elem_id="nqa-library") as tab:
        gr.Markdown(INTRO)
        upload = gr.File(
            # Any file is sent on (no file_types filter): the server then says why it refuses one.
            label=f"上传文件或 zip（{' '.join(ACCEPTED_SUFFIXES)}；每个不超过 {settings.max_upload_mb} MB）",
            file_count="multiple",
            type="filepath",
            elem_id="nqa-upload",
        )
        add_button = gr.Button("加入资料库并更新索引", variant="primary", elem_id="nqa-upload-go")
        upload_note = gr.HTML("", elem_id="nqa-upload-note")
        job_view = gr.HTML(job_html(None), elem_id="nqa-job")
        cancel_button = gr.Button("取消任务", elem_id="nqa-job-cancel", visible=False)
        gr.Markdown("### 来源")
        sources_view = gr.HTML("", elem_id="nqa-source-list")
        with gr.Row(equal_height=True):
            source_pick = gr.Dropdown(
                [], value=None, label="来源（选择后列出它的文章）", elem_id="nqa-source-pick", scale=4
            )
            remove_button = gr.Button("删除此来源", variant="stop", elem_id="nqa-source-remove", scale=1)
        remove_note = gr.Markdown("", elem_id="nqa-remove-note")
        with gr.Row(visible=False, elem_id="nqa-remove-confirm-row") as confirm_row:
            confirm_button = gr.Button("确认删除", variant="stop", elem_id="nqa-remove-confirm")
            keep_button = gr.Button("不删除", elem_id="nqa-remove-keep")
        title_search = gr.Textbox(
            label="搜索标题", placeholder="输入标题中的词，按回车", elem_id="nqa-title-search", max_lines=1
        )
        articles_view = gr.HTML("", elem_id="nqa-source-articles")
        article_pick = gr.Dropdown(
            [], value=None, label="文章（查看它在索引中的段落与人物、地点）", elem_id="nqa-article-pick"
        )
        article_view = gr.HTML("", elem_id="nqa-article-detail")
        seen_job = gr.State(None)
        timer = gr.Timer(POLL_SECONDS)

    private = {"api_visibility": "private"}
    shown = [job_view, cancel_button, seen_job, sources_view, source_pick]
    tab.select(refresh, None, shown, **private)
    timer.tick(job_update, [seen_job], shown, queue=False, show_progress="hidden", **private)
    add_button.click(add, [upload], [upload_note, upload, *shown], **private)
    cancel_button.click(cancel, None, shown, **private)
    source_pick.input(show_source, [source_pick], [articles_view, article_pick], **private)
    title_search.submit(search, [title_search], [articles_view, article_pick], **private)
    article_pick.input(show_article, [article_pick], [article_view], **private)
    remove_button.click(ask_remove, [source_pick], [confirm_row, remove_note], **private)
    keep_button.click(lambda: (gr.update(visible=False), ""), None, [confirm_row, remove_note], **private)
    confirm_button.click(remove, [source_pick], [confirm_row, remove_note, *shown], **private)
    return tab
