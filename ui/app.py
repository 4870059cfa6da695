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
from embeddings.settings import Settings
from embeddings.store.index import read_people
from qa.officials import Person, group_people
from ui.chat import Answerer, api_answer, local_answerer, respond
from ui.render import PLACEHOLDER_HTML

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


def build_app(settings: Settings, answerer: Answerer | None = None) -> gr.Blocks:
    """The chat page over the index of `settings`. Questions go to `answerer`, by default
    answered in this process, loading the model and index on first use."""
    answerer = answerer or local_answerer(settings)

    def ask(question: str, chat: list, conversation: list, date_from: str, date_to: str):
        reply = respond(answerer, question, chat or [], conversation or [], date_from, date_to)
        return "", reply.chat, reply.conversation, reply.sources_html

    people = people_of(settings)

    def ask_about(row: int, chat: list, conversation: list, date_from: str, date_to: str):
        return ask(person_question(people[row]), chat, conversation, date_from, date_to)

    def clear():
        return "", [], [], PLACEHOLDER_HTML

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
        with gr.Row(equal_height=False):
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
                    date_to = gr.Textbox(label="截止日期", placeholder="YYYY-MM-DD，可空", elem_id="nqa-to")
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
                gr.Markdown("### 引用来源")
                sources = gr.HTML(PLACEHOLDER_HTML, elem_id="nqa-sources", js_on_load=None)
        conversation = gr.State([])

        gr.on(
            [ask_button.click, question.submit],
            ask,
            inputs=[question, chat, conversation, date_from, date_to],
            outputs=[question, chat, conversation, sources],
            api_visibility="private",
            concurrency_id=MODEL_LANE,
        )
        if people:
            people_table.click(
                ask_about,
                inputs=[people_table, chat, conversation, date_from, date_to],
                outputs=[question, chat, conversation, sources],
                api_visibility="private",
                concurrency_id=MODEL_LANE,
            )
        gr.on(
            [clear_button.click, chat.clear],  # the chat's own trash icon clears the context too
            clear,
            outputs=[question, chat, conversation, sources],
            api_visibility="private",
            queue=False,
        )
        gr.api(answer, api_name="answer", concurrency_id=MODEL_LANE)
    return demo
