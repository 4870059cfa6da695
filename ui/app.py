"""The Gradio app: chat on the left, cited sources on the right, and one public API endpoint.

`build_app(settings)` lays out the page and wires the handlers of `ui.chat`; the server
(`ui.server.serve`) adds the queue, the theme and the CSS at launch, as Gradio 6 wants them there.
The chat handlers are private (not callable by API clients); the one public endpoint is
`/answer` (question, history_json) -> dict, for `gradio_client`.

No `from __future__ import annotations` here: `gr.api` reads the endpoint's return annotation with
`inspect.signature`, which would then see the string "dict" rather than the type.
"""

import gradio as gr

from embeddings.errors import NewsqaError
from embeddings.library import BuildJobs
from embeddings.settings import Settings
from embeddings.store.index import read_people
from qa import archive
from qa.archive import ArchiveResult
from qa.officials import Person, group_people
from ui.chat import Answerer, api_answer, local_answerer, respond
from ui.library_page import library_tab
from ui.render import (
    KIND_WORDS,
    PLACEHOLDER_HTML,
    archive_items_html,
    entity_profile_html,
    error_message,
    months_chart_html,
)

__all__ = ["CSS", "EXAMPLES", "build_app", "theme"]

EXAMPLES = [
    "前黄浜全长多少公里？",
    "武进区区长是谁？",
    "乔俊杰担任什么职务？",
    "南夏墅街道与哪个镇签订了结对帮扶协议？",
]
MODEL_LANE = "model"  # concurrency group shared by every handler that runs the model
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "WenQuanYi Micro Hei",
    "system-ui",
    "sans-serif",
]
MONO_FONTS = ["Noto Sans Mono CJK SC", "DejaVu Sans Mono", "ui-monospace", "monospace"]
INTRO = (
    "## 报纸问答\n"
    "就本地报纸版面提问，先给出简短答案和把握程度，回答中的每一句都摘自原文，并以 [1]、[2] 标出出处；"
    "右侧列出被引用的段落（标题、记者、日期、版次、文件与字符位置），被引用的句子高亮显示；"
    "来自版面 PDF 或扫描件的段落还附上版面截图，被引用的句子在图上标出。"
    "可以接着追问，例如先问“乔俊杰担任什么职务？”，再问“他还参加了哪些活动？”。"
)
CSS = """
.nqa-sources { display: flex; flex-direction: column; gap: 10px; }
.nqa-empty { color: var(--body-text-color-subdued); padding: 12px; }
.nqa-timing { color: var(--body-text-color-subdued); font-size: 0.9em; }
.nqa-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  background: var(--block-background-fill); }
.nqa-title { font-weight: 600; font-size: 1.05em; }
.nqa-number { color: var(--color-accent); font-weight: 700; }
.nqa-subtitle { color: var(--body-text-color-subdued); margin-top: 2px; }
.nqa-meta { color: var(--body-text-color-subdued); font-size: 0.85em; margin: 4px 0 6px; }
.nqa-source { font-family: var(--font-mono); }
.nqa-text { margin: 0; line-height: 1.7; white-space: pre-wrap; }
.nqa-text mark { background: #fde68a; color: #1f2937; padding: 0 1px; border-radius: 2px; }
.nqa-notice { border-left: 4px solid #f59e0b; padding: 8px 12px; background: var(--block-background-fill); }
.nqa-related { margin: 6px 0 0; }
.nqa-short { font-size: 1.35em; margin-bottom: 6px; }
.nqa-confidence { font-size: 0.65em; font-weight: 600; padding: 1px 8px; border-radius: 10px;
  background: var(--block-background-fill); border: 1px solid var(--border-color-primary);
  vertical-align: middle; }
.nqa-text strong.nqa-answer { background: #f59e0b; color: #111827; border-radius: 2px; }
.nqa-kicker { color: var(--body-text-color-subdued); font-size: 0.9em; }
.nqa-also { color: var(--body-text-color-subdued); font-size: 0.85em; margin-bottom: 4px; }
.nqa-page { margin: 8px 0 0; }
.nqa-uncertain { color: #b45309; }
.nqa-crop { max-width: 100%; border: 1px solid var(--border-color-primary); border-radius: 4px; }
.nqa-page figcaption { color: var(--body-text-color-subdued); font-size: 0.85em; }
.nqa-archive-list, .nqa-timeline, .nqa-ranked { margin: 6px 0; padding-left: 2em; }
.nqa-item { margin-bottom: 8px; }
.nqa-item .nqa-text { font-size: 0.95em; }
.nqa-date { color: var(--body-text-color-subdued); font-family: var(--font-mono); }
.nqa-archive-head { font-size: 1.05em; margin-bottom: 2px; }
.nqa-source-table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
.nqa-source-table th, .nqa-source-table td { border-bottom: 1px solid var(--border-color-primary);
  padding: 4px 6px; text-align: left; vertical-align: top; }
.nqa-warnings { color: #b45309; font-size: 0.85em; }
.nqa-progress { width: 100%; height: 14px; }
.nqa-job { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; }
.nqa-job-state { font-weight: 600; }
.nqa-refused { color: #b45309; }
.nqa-article-list, .nqa-chunks { margin: 6px 0; padding-left: 2em; }
.nqa-chart { display: flex; align-items: flex-end; gap: 3px; height: 200px; overflow-x: auto;
  padding: 4px 0; border-bottom: 1px solid var(--border-color-primary); }
.nqa-bar { flex: 1 0 22px; max-width: 56px; height: 100%; display: flex; flex-direction: column;
  justify-content: flex-end; align-items: stretch; background: none; border: 0; padding: 0;
  font: inherit; color: inherit; }
button.nqa-bar { cursor: pointer; }
.nqa-bar-track { flex: 1; display: flex; flex-direction: column; justify-content: flex-end; }
.nqa-bar-fill { display: block; background: var(--color-accent); opacity: 0.75; min-height: 1px;
  border-radius: 3px 3px 0 0; }
button.nqa-bar:hover .nqa-bar-fill, .nqa-bar[aria-pressed="true"] .nqa-bar-fill { opacity: 1; }
.nqa-bar[aria-pressed="true"] .nqa-bar-month { font-weight: 700; color: var(--body-text-color); }
.nqa-bar-count { font-size: 0.75em; text-align: center; }
.nqa-bar-month { font-size: 0.7em; text-align: center; color: var(--body-text-color-subdued);
  font-family: var(--font-mono); white-space: nowrap; }
"""


def theme() -> gr.themes.Base:
    """The default theme over system fonts with CJK glyphs: no font is fetched from the web."""
    return gr.themes.Default(font=CJK_FONTS, font_mono=MONO_FONTS)


def people_of(settings: Settings) -> list[Person]:
    """Everyone in the index's people table, most-mentioned first; none before the first build."""
    try:
        return group_people(read_people(settings.resolved_index_dir))
    except NewsqaError:
        return []


def person_label(person: Person) -> str:
    return f"{person.name} · {person.title} · {person.article_count}篇"


def person_question(person: Person) -> str:
    """What clicking a person asks: their activities, or a reporter's articles."""
    return f"{person.name}报道了哪些新闻？" if person.role == "reporter" else f"{person.name}参加了哪些活动？"


ALL_MONTHS = "全部月份"
ENTITY_ORDER = ("person", "place", "organisation", "reporter")  # people first, reporters last
ENTITIES_PER_KIND = 300


# Sends a bar's month to the server; bound once on the component, so it survives re-renders.
BAR_CLICK_JS = """
element.addEventListener('click', (event) => {
  const bar = event.target.closest('button.nqa-bar');
  if (bar) trigger('click', {month: bar.dataset.month});
});
"""


def months_chart(elem_id: str, clickable: bool = True) -> gr.HTML:
    """A bar chart of stories per month (filled by `months_chart_html`); a click on a bar of a
    clickable one fires the component's `click` event with that month."""
    return gr.HTML("", elem_id=elem_id, js_on_load=BAR_CLICK_JS if clickable else None)


def clicked_month(event: gr.EventData, months: list[str]) -> str | None:
    """The month of the bar a click named, if it is one of the answer's months."""
    month = getattr(event, "month", None) if event is not None else None
    return month if month in months else None


def entity_choices(settings: Settings) -> list[tuple[str, str]]:
    """(label, "kind:name") for the entity dropdown: people, places, organisations, reporters."""
    choices = []
    for kind in ENTITY_ORDER:
        for found in archive.entities(kind, limit=ENTITIES_PER_KIND, settings=settings):
            label = f"{found.name} · {KIND_WORDS[kind]}{'·' + found.category if found.category else ''}"
            choices.append((f"{label} · {found.stories}篇", f"{kind}:{found.name}"))
    return choices


def build_app(settings: Settings, answerer: Answerer | None = None) -> gr.Blocks:
    """The chat page over the index of `settings`. Questions go to `answerer`, by default
    answered in this process, loading the model and index on first use."""
    answerer = answerer or local_answerer(settings)

    def archive_view(result: ArchiveResult | None, date_from: str = "", date_to: str = "") -> tuple:
        """The archive panel's updates: shown with chart, months, list and pager, or hidden."""
        if result is None:
            hidden = gr.update(visible=False)
            return hidden, "", gr.update(choices=[ALL_MONTHS], value=ALL_MONTHS), "", "", None
        state = {"question": result.question, "from": date_from, "to": date_to, "page": result.page}
        state |= {"month": result.month, "months": [m for m, _ in result.months]}
        months = gr.update(choices=[ALL_MONTHS, *state["months"]], value=result.month or ALL_MONTHS)
        pager = "" if result.ranked else f"第 {result.page} 页"
        return (
            gr.update(visible=True),
            months_chart_html(result.months, result.month),
            months,
            archive_items_html(result),
            pager,
            state,
        )

    def ask(question: str, chat: list, conversation: list, date_from: str, date_to: str):
        reply = respond(answerer, question, chat or [], conversation or [], date_from, date_to)
        panel = archive_view(reply.archive, date_from, date_to)
        return "", reply.chat, reply.conversation, reply.sources_html, *panel

    def archive_page(state: dict | None, page: int, month: str | None):
        """Another page, or one month, of the last archive answer (from the whole index)."""
        if not state:
            return (gr.skip(),) * len(paged)
        result = archive.query(
            state["question"],
            page=max(1, page),
            month=month,
            settings=settings,
            date_from=(state["from"] or "").strip() or None,
            date_to=(state["to"] or "").strip() or None,
        )
        if result is None:
            return (gr.skip(),) * len(paged)
        return archive_view(result, state["from"], state["to"])[1:]

    def previous_page(state: dict | None):
        return archive_page(state, (state or {}).get("page", 1) - 1, (state or {}).get("month"))

    def next_page(state: dict | None):
        page = (state or {}).get("page", 1)
        return archive_page(state, page + 1, (state or {}).get("month"))

    def pick_month(state: dict | None, month: str):
        return archive_page(state, 1, None if month in (None, ALL_MONTHS) else month)

    def pick_bar(state: dict | None, event: gr.EventData):
        month = clicked_month(event, (state or {}).get("months", []))
        return archive_page(state, 1, month) if month else (gr.skip(),) * len(paged)

    def load_entities(loaded: bool):
        """The entity list, read from the index when the tab is first opened (not at start-up)."""
        if loaded:
            return gr.skip(), True
        try:
            choices = entity_choices(settings)
        except NewsqaError as error:
            gr.Warning(error_message(error))
            return gr.skip(), False
        return gr.update(choices=choices, value=None), True

    def show_entity(choice: str | None):
        kind, _, name = (choice or "").partition(":")
        found = archive.profile(name, kind, settings=settings) if name else None
        if found is None:
            return '<div class="nqa-empty">在索引中没有找到这个名字。</div>', gr.update(visible=False)
        return entity_profile_html(found), months_chart_html(found.months, clickable=False)

    people = people_of(settings)

    def ask_about(row: int, chat: list, conversation: list, date_from: str, date_to: str):
        return ask(person_question(people[row]), chat, conversation, date_from, date_to)

    def clear():
        return "", [], [], PLACEHOLDER_HTML, *archive_view(None)

    def answer(question: str, history_json: str = "[]") -> dict:
        """Answer a question about the newspaper archive with cited sentences.

        history_json: the conversation so far, a JSON list of {"role", "content"} messages or
        [question, answer] pairs ("[]" for none). Returns text (with [n] markers), short_answer,
        abstained, citations (number, title, reporter, date, source, start, end, text, spans,
        quotes), related passages when abstaining, and seconds.
        """
        try:
            return api_answer(answerer, question, history_json)
        except NewsqaError as error:
            raise gr.Error(str(error)) from None

    with gr.Blocks(title="newsqa 报纸问答", analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("问答", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        label="对话",
                        elem_id="nqa-chat",
                        height=520,
                        feedback_options=None,
                        buttons=["copy"],
                        group_consecutive_messages=False,
                        render_markdown=False,  # messages are escaped HTML (ui.render), shown as written
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            show_label=False,
                            placeholder="输入问题，例如：前黄浜全长多少公里？",
                            elem_id="nqa-question",
                            scale=6,
                            max_lines=4,
                        )
                        ask_button = gr.Button(
                            "提问", variant="primary", elem_id="nqa-ask", scale=1, min_width=80
                        )
                        clear_button = gr.Button("清空", elem_id="nqa-clear", scale=1, min_width=80)
                    with gr.Row():
                        date_from = gr.Textbox(
                            label="起始日期", placeholder="YYYY-MM-DD，可空", elem_id="nqa-from"
                        )
                        date_to = gr.Textbox(
                            label="截止日期", placeholder="YYYY-MM-DD，可空", elem_id="nqa-to"
                        )
                    gr.Examples(
                        [[q] for q in EXAMPLES],
                        inputs=[question],
                        label="示例问题（点击填入）",
                        cache_examples=False,
                        api_visibility="private",
                    )
                    with gr.Accordion("人物（点击提问）", open=False, elem_id="nqa-people"):
                        people_table = gr.Dataset(
                            components=[gr.Textbox(visible=False)],
                            samples=[[person_label(p)] for p in people] or [["（索引中还没有人物）"]],
                            type="index",
                            samples_per_page=30,
                            label=None,
                        )
                with gr.Column(scale=2):
                    with gr.Column(visible=False, elem_id="nqa-archive") as archive_panel:
                        gr.Markdown("### 按月统计（点击柱形或选择月份，列出该月的报道）")
                        archive_chart = months_chart("nqa-archive-chart")
                        archive_month = gr.Dropdown(
                            [ALL_MONTHS], value=ALL_MONTHS, label="月份", elem_id="nqa-archive-month"
                        )
                        archive_items = gr.HTML("", elem_id="nqa-archive-items")
                        with gr.Row():
                            previous_button = gr.Button("上一页", elem_id="nqa-archive-prev", min_width=80)
                            archive_pager = gr.Markdown("", elem_id="nqa-archive-page")
                            next_button = gr.Button("下一页", elem_id="nqa-archive-next", min_width=80)
                    gr.Markdown("### 引用来源")
                    sources = gr.HTML(PLACEHOLDER_HTML, elem_id="nqa-sources", js_on_load=None)
            with gr.Tab("人物与地点", id="entities", elem_id="nqa-entities") as entity_tab:
                entity_pick = gr.Dropdown(
                    [],
                    value=None,
                    label="人物、地点、机构、记者（按报道篇数排列，可输入名字筛选）",
                    filterable=True,
                    elem_id="nqa-entity",
                )
                entity_chart = months_chart("nqa-entity-chart", clickable=False)
                entity_page = gr.HTML(
                    '<div class="nqa-empty">选择一个名字，查看它的时间线。</div>', elem_id="nqa-entity-page"
                )
            library_tab(settings, BuildJobs(settings))
        conversation = gr.State([])
        archive_state = gr.State(None)
        entities_loaded = gr.State(False)
        paged = [archive_chart, archive_month, archive_items, archive_pager, archive_state]
        panel = [archive_panel, *paged]

        gr.on(
            [ask_button.click, question.submit],
            ask,
            inputs=[question, chat, conversation, date_from, date_to],
            outputs=[question, chat, conversation, sources, *panel],
            api_visibility="private",
            concurrency_id=MODEL_LANE,
        )
        if people:
            people_table.click(
                ask_about,
                inputs=[people_table, chat, conversation, date_from, date_to],
                outputs=[question, chat, conversation, sources, *panel],
                api_visibility="private",
                concurrency_id=MODEL_LANE,
            )
        gr.on(
            [clear_button.click, chat.clear],  # the chat's own trash icon clears the context too
            clear,
            outputs=[question, chat, conversation, sources, *panel],
            api_visibility="private",
            queue=False,
        )
        private = {"api_visibility": "private"}
        previous_button.click(previous_page, [archive_state], paged, **private)
        next_button.click(next_page, [archive_state], paged, **private)
        archive_month.input(pick_month, [archive_state, archive_month], paged, **private)
        archive_chart.click(pick_bar, [archive_state], paged, **private)
        entity_tab.select(load_entities, [entities_loaded], [entity_pick, entities_loaded], **private)
        entity_pick.input(show_entity, [entity_pick], [entity_page, entity_chart], **private)
        gr.api(answer, api_name="answer", concurrency_id=MODEL_LANE)
    return demo
