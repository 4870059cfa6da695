"""Realistic newspaper page PDFs and their ground truth, for the layout tests and bench/pages.py.

`make_issue(seed)` lays out an issue the way a Chinese daily is set: an A3 page with a masthead
(报名, date, 版次, 版名), a 4-, 5- or 6-column grid cut into tiers of article blocks, each a
kicker (引题), a title over one to three columns, a subtitle (副题), a byline in one of the usual
forms and body text with two-character paragraph indents flowing down its columns. One article of
page 1 runs out of room and continues on page 2 (`（下转第2版）` / `（上接第1版）` under the
repeated headline). Text comes from templates filled by a seeded random generator, so a seed is
always the same issue. `write_pdf` draws pages with reportlab in the Debian CJK font; the ground
truth (`TruthArticle`, `TruthPage`) is derived from what was drawn, line by line.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A3
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from embeddings.articles import Article

__all__ = [
    "DrawnLine",
    "Issue",
    "Scores",
    "TruthArticle",
    "TruthPage",
    "best_matches",
    "char_f1",
    "make_issue",
    "score",
    "write_pdf",
]

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
REGULAR = "NewsRegular"
BOLD = "NewsBold"  # the same glyphs under a bold face name, as a headline font reports itself
PAGE_WIDTH, PAGE_HEIGHT = A3
MARGIN_X = 40.0
BOTTOM_MARGIN = 40.0
GUTTER = 12.0
TIER_GAP = 18.0
BODY_SIZE = 9.5
LEADING = 14.0
MIN_TIER_HEIGHT = 260.0
NO_LINE_START = "，。、；：！？）》”’"
_NOT_COUNTED = re.compile(r"[\W_]")  # whitespace and punctuation, which character F1 leaves out


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


PAPERS = _words("武进日报 常州日报 江南晚报 金坛时报")
PAGE_NAMES = _words("综合新闻 经济 社会 文化 区域新闻 民生 专题 镇村")
WEEKDAYS = "一二三四五六日"
PLACES = _words(
    "湖塘镇 牛塘镇 洛阳镇 遥观镇 横林镇 横山桥镇 雪堰镇 前黄镇 礼嘉镇 "
    "嘉泽镇 湟里镇 南夏墅街道 西湖街道 高新区 西太湖科技产业园 经开区 潞城街道"
)
ORGS = _words(
    "区发改委 区教育局 区卫健委 区住建局 区农业农村局 区文旅局 区市场监管局 "
    "区人社局 区交通运输局 区生态环境局 区总工会 团区委 区妇联 区科技局 "
    "区应急管理局 区民政局"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁"
    "蔡蒋余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛"
    "段雷侯龙史陶黎贺顾毛郝龚邵万钱严戴孔汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲芬燕彬斌宇浩凯健俊"
    "帆旭宁琳晨欣怡佳雯婷睿哲航鹏飞云峰"
)
JOBS = _words("党委书记 镇长 局长 副区长 总经理 董事长 负责人 主任 村党总支书记 校长 院长")
ROLES = _words("市民 村民 居民 企业负责人 志愿者 游客 家长 种植户 社区工作者")
TOPICS = _words(
    "智能制造 乡村振兴 营商环境 城市更新 生态保护 文明城市创建 安全生产 "
    "民生实事 科技创新 人才引进 数字经济 老旧小区改造 河湖治理 基层治理 "
    "养老服务 文旅融合 新能源汽车产业 绿色低碳发展 农村人居环境整治 "
    "优质教育资源供给"
)
PROJECTS = _words(
    "新能源电池项目 智能装备产业园 高端医疗器械项目 光伏组件生产线 算力数据中心 "
    "物流枢纽 污水处理厂提标改造工程 城市快速路 体育公园 人才公寓 半导体材料项目"
)
COMPANIES = _words("星宇车灯 天合光能 中天钢铁 东方盛虹 恒立液压 武进不锈 科华数据 瑞声科技")
MACHINES = _words("焊接机器人 数控机床 自动化分拣线 激光切割设备 智能检测仪")
QUOTES = (
    "现在家门口就能办成事，心里踏实多了。",
    "政策给力，我们扩大生产的底气更足了。",
    "以前一下雨路就没法走，如今出门都是柏油路。",
    "孩子放学后有地方去，我们上班也安心。",
    "订单已经排到了年底，工人们都在加班加点。",
    "这次培训很实用，学到的技术回去就能用上。",
)
SLOGANS = _words("党建+网格 企业点单、政府买单 一站式服务 线上+线下 村企联建")
KICKERS = (
    "聚焦高质量发展",
    "奋力推进中国式现代化新实践",
    "践行新思想 奋进新征程",
    "关注民生实事",
    "“四敢”争先 实干担当",
    "一线观察",
    "项目建设看{place}",
)
TITLES = (
    "{place}加快推进{topic}",
    "{topic}跑出“加速度”",
    "{place}{project}开工建设",
    "全区{topic}工作推进会召开",
    "{place}：{topic}绘就新图景",
    "{n}个{topic}项目集中签约",
    "{company}上半年产值增长{pct}%",
    "{org}扎实开展{topic}专项行动",
    "{place}打造{topic}新高地",
    "让{topic}成果惠及更多群众",
)
SUBTITLES = ("——{place}推进{topic}工作综述", "——记{place}{job}{person}", "——{org}深化{topic}见闻")
SENTENCES = (
    "{month}月{day}日，{place}召开{topic}工作推进会，{job}{person}出席会议并讲话。",
    "今年以来，{place}累计完成{topic}相关投资{money}亿元，同比增长{pct}%。",
    "{person}指出，要坚持问题导向，把{topic}作为当前的重要任务，切实抓紧抓实。",
    "据了解，{project}总投资约{money}亿元，占地{area}亩，预计{year}年底建成投产。",
    "“{quote}”{role}{person}说。",
    "截至{month}月底，全区已完成{topic}项目{n}个，惠及群众{n2}万人次。",
    "{org}相关负责人介绍，下一步将围绕{topic}，进一步完善政策体系，强化要素保障。",
    "项目建成后，预计可实现年产值{money}亿元，新增就业岗位{n}个。",
    "活动现场，{n}余名志愿者分成{k}个小组，为群众提供政策咨询、义诊和家电维修等服务。",
    "会议强调，各地各部门要压紧压实责任，确保{topic}各项任务按时保质完成。",
    "近年来，{place}通过“{slogan}”模式，探索出一条{topic}的新路子。",
    "目前，{place}已建成{n}个5G基站，实现重点区域网络全覆盖。",
    "在{company}的生产车间里，工人们正忙着调试新上线的{machine}。",
    "{person}表示，将以此次活动为契机，持续提升群众的获得感、幸福感和安全感。",
    "据统计，今年上半年{place}实现GDP {money}亿元，增速位居全区前列。",
    "“{quote}”{person}告诉记者，{place}还将推出{n}项便民举措。",
    "{year}年，{place}共引进各类人才{n2}名，其中高层次人才{n}名。",
    "该企业负责人{person}介绍，去年公司研发投入达{money}亿元，占营业收入的{pct}%。",
)


@dataclass(frozen=True)
class DrawnLine:
    """One run of text as drawn; `baseline` counts from the page's top, like pdfplumber's `top`."""

    text: str
    x: float
    baseline: float
    size: float
    role: str  # masthead, kicker, title, subtitle, byline, body, marker
    bold: bool = False  # drawn in the bold face
    stroked: bool = False  # fake bold: filled and stroked, as word processors do
    paragraph: int = -1  # body lines: index of the paragraph within its article

    @property
    def font(self) -> str:
        return BOLD if self.bold else REGULAR

    @property
    def width(self) -> float:
        return pdfmetrics.stringWidth(self.text, self.font, self.size)

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Where the glyphs are, as fractions of the page: x0, top, x1, bottom."""
        ascent, descent = pdfmetrics.getAscentDescent(self.font, self.size)
        return (
            self.x / PAGE_WIDTH,
            (self.baseline - ascent) / PAGE_HEIGHT,
            (self.x + self.width) / PAGE_WIDTH,
            (self.baseline - descent) / PAGE_HEIGHT,
        )


@dataclass(frozen=True)
class TruthArticle:
    title: str
    kicker: str
    subtitle: str
    reporter: str
    text: str  # as `Article.text` should read: the byline its own first paragraph
    pages: tuple[int, ...]  # pages of the issue it is printed on
    lines: tuple[tuple[int, DrawnLine], ...]  # (page, line) for each byline and body line


@dataclass(frozen=True)
class TruthPage:
    number: int
    paper: str
    date: str
    page_label: str  # 版次 as printed
    page_name: str  # 版名
    columns: int
    lines: tuple[DrawnLine, ...]
    rules: tuple[tuple[float, float, float, float], ...] = ()  # x0, y0, x1, y1 from the top


@dataclass(frozen=True)
class Issue:
    pages: tuple[TruthPage, ...]
    articles: tuple[TruthArticle, ...]


@dataclass(eq=False)
class _Story:
    """An article while it is laid out: its headline, the text still to draw and the lines drawn."""

    title: str
    kicker: str
    subtitle: str
    reporter: str
    byline: str
    dateline: bool  # the byline opens the first paragraph (本报讯（记者 X）) instead of its own line
    paragraphs: list[str]  # not drawn yet
    begun: int = 0  # paragraphs begun so far
    cut: bool = False  # the first paragraph left was begun on an earlier page
    lines: list[tuple[int, DrawnLine]] = field(default_factory=list)


@dataclass(frozen=True)
class _Block:
    x0: float
    top: float
    x1: float
    bottom: float
    columns: int


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_PATH), subfontIndex=0))
    bold = TTFont(BOLD, str(FONT_PATH), subfontIndex=0)
    bold.face.name = b"WenQuanYiMicroHei-Bold"
    pdfmetrics.registerFont(bold)


@cache
def _char_width(char: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(char, font, size)


class _Writer:
    """Names, numbers and sentences of local news, drawn from a seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used_titles: set[str] = set()

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN, self.rng.choice((1, 2))))

    def fill(self, template: str) -> str:
        r = self.rng
        values = {
            "place": r.choice(PLACES),
            "org": r.choice(ORGS),
            "topic": r.choice(TOPICS),
            "project": r.choice(PROJECTS),
            "company": r.choice(COMPANIES),
            "machine": r.choice(MACHINES),
            "quote": r.choice(QUOTES),
            "slogan": r.choice(SLOGANS),
            "role": r.choice(ROLES),
            "job": r.choice(JOBS),
            "person": self.person(),
            "month": r.randint(1, 12),
            "day": r.randint(1, 28),
            "money": f"{r.uniform(1, 300):.{r.choice((1, 2))}f}",
            "pct": f"{r.uniform(2, 40):.1f}",
            "area": r.randint(20, 900),
            "year": r.randint(2019, 2027),
            "n": r.randint(3, 90),
            "n2": r.randint(100, 9000),
            "k": r.randint(2, 9),
        }
        return template.format(**values)

    def title(self) -> str:
        while True:
            title = self.fill(self.rng.choice(TITLES))
            if title not in self.used_titles and len(title) <= 18:
                self.used_titles.add(title)
                return title

    def paragraph(self) -> str:
        return "".join(self.fill(template) for template in self.rng.sample(SENTENCES, self.rng.randint(2, 4)))

    def story(self, paragraphs: int) -> _Story:
        r = self.rng
        reporters = " ".join(self.person() for _ in range(r.choice((1, 1, 1, 2))))
        form = r.choice(("本报记者 {}", "□记者 {}", "本报讯（记者 {}）", "本报讯（记者 {}）", ""))
        byline = form.format(reporters)
        body = [self.paragraph() for _ in range(paragraphs)]
        dateline = form.startswith("本报讯")
        if dateline:
            body[0] = byline + body[0]
        return _Story(
            title=self.title(),
            kicker=self.fill(r.choice(KICKERS)) if r.random() < 0.4 else "",
            subtitle=self.fill(r.choice(SUBTITLES)) if r.random() < 0.35 else "",
            reporter=reporters if form else "",
            byline=byline,
            dateline=dateline,
            paragraphs=body,
        )


def make_issue(seed: int, page_count: int = 2, columns: Sequence[int] = (), masthead: bool = True) -> Issue:
    """An issue of `page_count` pages; page 1's continued article ends on page 2.

    `columns` gives each page's grid (default: 4, 5 or 6 at random); `masthead=False` leaves the
    top band empty, so only a file's name can tell the page's date and 版次.
    """
    register_fonts()
    rng = random.Random(seed)
    writer = _Writer(rng)
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(900))
    paper = rng.choice(PAPERS)
    label_style = rng.choice(("第{}版", "A{:02d}版", "{:02d}版"))
    labels = [label_style.format(number) for number in range(1, page_count + 2)]
    pages: list[TruthPage] = []
    stories: list[_Story] = []
    carried: _Story | None = None
    for number in range(1, page_count + 1):
        grid = columns[number - 1] if len(columns) >= number else rng.choice((4, 5, 6))
        name = "要闻" if number == 1 else rng.choice(PAGE_NAMES)
        label = labels[number - 1].removesuffix("版") if label_style.startswith("A") else labels[number - 1]
        header = _masthead(number, paper, day, label, name) if masthead else []
        top = max((line.baseline for line in header), default=30.0) + 22.0
        page = _lay_out_page(writer, number, grid, top, carried, labels, page_count)
        rules = (
            page.rules if not header else ((MARGIN_X, top - 10, PAGE_WIDTH - MARGIN_X, top - 10), *page.rules)
        )
        pages.append(
            TruthPage(number, paper, day.isoformat(), label, name, grid, (*header, *page.lines), rules)
        )
        stories.extend(story for story in page.stories if all(story is not seen for seen in stories))
        carried = page.goes_on
    return Issue(tuple(pages), tuple(_truth(story) for story in stories))


def _masthead(number: int, paper: str, day: date, label: str, name: str) -> list[DrawnLine]:
    when = f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS[day.weekday()]}"
    right = PAGE_WIDTH - MARGIN_X
    if number == 1:
        return [
            DrawnLine(paper, MARGIN_X, 88.0, 54.0, "masthead", bold=True),
            DrawnLine(when, right - 170, 52.0, 11.0, "masthead"),
            DrawnLine(label, right - 170, 70.0, 11.0, "masthead"),
            DrawnLine(name, right - 100, 70.0, 11.0, "masthead"),
            DrawnLine("国内统一连续出版物号 CN32-0056", right - 170, 88.0, 8.0, "masthead"),
        ]
    editor = f"责任编辑：{_Writer(random.Random(number)).person()}"
    return [
        DrawnLine(label, MARGIN_X, 50.0, 12.0, "masthead", bold=True),
        DrawnLine(name, MARGIN_X + 60, 50.0, 12.0, "masthead", bold=True),
        DrawnLine(paper, PAGE_WIDTH / 2 - 24, 50.0, 12.0, "masthead"),
        DrawnLine(when, right - 250, 50.0, 10.0, "masthead"),
        DrawnLine(editor, right - 100, 50.0, 9.0, "masthead"),
    ]


def _tiers(rng: random.Random, grid: int, top: float) -> list[list[_Block]]:
    """Rows of article blocks: 4 to 8 blocks, each one to three columns wide."""
    bottom = PAGE_HEIGHT - BOTTOM_MARGIN
    width = (PAGE_WIDTH - 2 * MARGIN_X - (grid - 1) * GUTTER) / grid
    while True:
        count = rng.choice((2, 3, 3))
        spans = [_partition(rng, grid) for _ in range(count)]
        if 4 <= sum(map(len, spans)) <= 8:
            break
    shares = [rng.uniform(0.8, 1.2) for _ in range(count)]
    usable = bottom - top - TIER_GAP * (count - 1)
    heights = [max(MIN_TIER_HEIGHT, usable * share / sum(shares)) for share in shares]
    heights[-1] = usable - sum(heights[:-1])
    rows, y = [], top
    for row_spans, height in zip(spans, heights, strict=True):
        row, column = [], 0
        for span in row_spans:
            x0 = MARGIN_X + column * (width + GUTTER)
            row.append(_Block(x0, y, x0 + span * width + (span - 1) * GUTTER, y + height, span))
            column += span
        rows.append(row)
        y += height + TIER_GAP
    return rows


def _partition(rng: random.Random, grid: int) -> list[int]:
    spans: list[int] = []
    while sum(spans) < grid:
        spans.append(min(rng.choice((1, 2, 2, 3, 3)), grid - sum(spans)))
    return spans


@dataclass(frozen=True)
class _LaidOut:
    lines: tuple[DrawnLine, ...]
    rules: tuple[tuple[float, float, float, float], ...]
    stories: tuple[_Story, ...]
    goes_on: _Story | None  # the story continued on the next page


def _lay_out_page(
    writer: _Writer,
    number: int,
    grid: int,
    top: float,
    carried: _Story | None,
    labels: list[str],
    page_count: int,
) -> _LaidOut:
    """Fill one page's blocks with stories, the story `carried` from the page before first."""
    rows = _tiers(writer.rng, grid, top)
    lines: list[DrawnLine] = []
    stories: list[_Story] = []
    goes_on: _Story | None = None
    # Page 1's widest block of the last tier runs out of room and ends on page 2.
    wide = max(rows[-1], key=lambda block: block.columns) if number == 1 and page_count > 1 else None
    for row in rows:
        for block in row:
            if carried is not None and block is rows[0][0]:
                story, head = carried, _headline_lines(writer.rng, carried, block, repeat=True)
                intro = [f"（上接{labels[number - 2]}）"]
            else:
                story = writer.story(paragraphs=30 if block is wide else 14)
                head, intro = _headline_lines(writer.rng, story, block), []
                goes_on = story if block is wide else goes_on
            body_top = max(line.baseline for line in head) + 10.0
            outro = f"（下转{labels[number]}）" if story is goes_on else ""
            lines.extend(head + _flow(story, block, body_top, number, intro, outro))
            stories.append(story)
    rules = tuple(
        (MARGIN_X, row[0].bottom + 9, PAGE_WIDTH - MARGIN_X, row[0].bottom + 9) for row in rows[:-1]
    )
    return _LaidOut(tuple(lines), rules, tuple(stories), goes_on)


def _headline_lines(
    rng: random.Random, story: _Story, block: _Block, repeat: bool = False
) -> list[DrawnLine]:
    """Kicker, title (one or two lines), subtitle and a `本报记者` byline, stacked from the block's
    top, all centred over the block or all flush left; `repeat` is the headline of a continuation."""
    width = block.x1 - block.x0
    centred = rng.random() < 0.5
    lines: list[DrawnLine] = []
    y = block.top + 4.0

    def add(text: str, size: float, role: str, bold: bool = False, stroked: bool = False) -> None:
        nonlocal y
        for part in _balanced(text, BOLD if bold else REGULAR, size, width):
            y += size * 1.05
            part_width = pdfmetrics.stringWidth(part, BOLD if bold else REGULAR, size)
            x = block.x0 + (width - part_width) / 2 if centred else block.x0
            lines.append(DrawnLine(part, x, y, size, role, bold=bold, stroked=stroked))
            y += size * 0.35

    if story.kicker and not repeat:
        add(story.kicker, BODY_SIZE + 1.5, "kicker", stroked=True)
    size = rng.choice((22.0, 26.0, 30.0))
    if pdfmetrics.stringWidth(story.title, BOLD, size) > width:  # two lines, smaller if need be
        size = max(16.0, min(size, width / ((len(story.title) + 1) // 2) * 0.98))
    add(story.title, size, "title", bold=True)
    if story.subtitle and not repeat:
        add(story.subtitle, 12.0, "subtitle", bold=rng.random() < 0.5)
    if story.byline.startswith("本报记者") and not repeat:
        y += 4.0
        add(story.byline, BODY_SIZE, "byline")
    return lines


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaks at `width`. A comma or closing mark never starts a line: the character
    before it goes down with it (推出), as typesetters do, so no line runs into the gutter."""
    lines, start, used = [], 0, 0.0
    for k, char in enumerate(text):
        advance = _char_width(char, font, size)
        if used + advance > width and k > start:
            cut = k - 1 if char in NO_LINE_START and k - 1 > start else k
            lines.append(text[start:cut])
            start, used = cut, sum(_char_width(c, font, size) for c in text[cut:k])
        used += advance
    return [*lines, text[start:]]


def _balanced(text: str, font: str, size: float, width: float) -> list[str]:
    """A headline's lines of about equal length, so that no word is left alone on the last one."""
    count = len(_wrap(text, font, size, width))
    per_line = -(-len(text) // count)
    return [text[k : k + per_line] for k in range(0, len(text), per_line)]


def _flow(
    story: _Story, block: _Block, top: float, page: int, intro: list[str], outro: str
) -> list[DrawnLine]:
    """Lay the story's paragraphs down the block's columns, left to right. When it continues on
    the next page, the last line says so and what does not fit stays in `story.paragraphs`."""
    width = (block.x1 - block.x0 - (block.columns - 1) * GUTTER) / block.columns
    per_column = int((block.bottom - top) / LEADING)
    slots = [
        (block.x0 + c * (width + GUTTER), top + (k + 0.8) * LEADING)
        for c in range(block.columns)
        for k in range(per_column)
    ]
    if outro:
        slots, outro_slot = slots[:-1], slots[-1]
    drawn: list[DrawnLine] = []
    for text in intro:
        x, baseline = slots.pop(0)
        drawn.append(DrawnLine(text, x, baseline, BODY_SIZE, "marker"))
    if story.byline.startswith("□") and not story.lines:
        x, baseline = slots.pop(0)
        drawn.append(DrawnLine(story.byline, x, baseline, BODY_SIZE, "byline"))
    while story.paragraphs and slots:
        indent = 0.0 if story.cut else 2 * BODY_SIZE
        story.begun += 0 if story.cut else 1
        pieces = _wrap(story.paragraphs[0], REGULAR, BODY_SIZE, width - indent)
        if len(pieces) > 1:  # only the first line is indented
            rest = _wrap("".join(pieces[1:]), REGULAR, BODY_SIZE, width)
            pieces = [pieces[0], *rest]
        placed = min(len(pieces), len(slots))
        for k, piece in enumerate(pieces[:placed]):
            x, baseline = slots.pop(0)
            x += indent if k == 0 else 0.0
            drawn.append(DrawnLine(piece, x, baseline, BODY_SIZE, "body", paragraph=story.begun - 1))
        story.cut = placed < len(pieces)
        if story.cut:
            story.paragraphs[0] = "".join(pieces[placed:])
        else:
            story.paragraphs.pop(0)
    if outro:
        x, baseline = outro_slot
        x += width - pdfmetrics.stringWidth(outro, REGULAR, BODY_SIZE)
        drawn.append(DrawnLine(outro, x, baseline, BODY_SIZE, "marker"))
    else:
        story.paragraphs.clear()
    story.lines.extend((page, line) for line in drawn if line.role in ("body", "byline"))
    return drawn


def _truth(story: _Story) -> TruthArticle:
    paragraphs: dict[int, str] = {}
    for _, line in story.lines:
        if line.role == "body":
            paragraphs[line.paragraph] = paragraphs.get(line.paragraph, "") + line.text
    body = [paragraphs[k] for k in sorted(paragraphs)]
    if story.dateline:
        body[0] = body[0].removeprefix(story.byline)
    text = "\n".join([story.byline, *body] if story.byline else body)
    return TruthArticle(
        title=story.title,
        kicker=story.kicker,
        subtitle=story.subtitle,
        reporter=story.reporter,
        text=text,
        pages=tuple(sorted({page for page, _ in story.lines})),
        lines=tuple(story.lines),
    )


def write_pdf(path: Path, pages: Sequence[TruthPage], encrypt: str | None = None) -> Path:
    """Draw `pages` into one PDF at `path`, one PDF page each."""
    register_fonts()
    pdf = canvas.Canvas(str(path), pagesize=A3, encrypt=encrypt)
    for page in pages:
        for x0, y0, x1, y1 in page.rules:
            pdf.setLineWidth(0.6)
            pdf.line(x0, PAGE_HEIGHT - y0, x1, PAGE_HEIGHT - y1)
        for line in page.lines:
            # The render mode is graphics state, outlasting the text object: kept within q … Q.
            pdf.saveState()
            text = pdf.beginText(line.x, PAGE_HEIGHT - line.baseline)
            text.setFont(line.font, line.size)
            if line.bold or line.stroked:
                pdf.setLineWidth(line.size / 40)
                text.setTextRenderMode(2)
            text.textOut(line.text)
            pdf.drawText(text)
            pdf.restoreState()
        pdf.showPage()
    pdf.save()
    return path


@dataclass(frozen=True)
class Scores:
    """How well articles read from the pages match the truth: each truth article is matched to
    the predicted article with the best character F1."""

    text_f1: tuple[float, ...]  # per truth article
    titles: float  # shares of truth articles whose match has the right title, reporter, …
    reporters: float
    kickers: float
    subtitles: float
    segmentation_f1: float  # harmonic mean of the truth side's and the prediction side's mean F1


def char_f1(predicted: str, truth: str) -> float:
    """Character F1 as in CMRC, over the multisets of characters without whitespace and punctuation."""
    a, b = Counter(_NOT_COUNTED.sub("", predicted)), Counter(_NOT_COUNTED.sub("", truth))
    common = sum((a & b).values())
    return 2 * common / (a.total() + b.total()) if common else 0.0


def best_matches(predicted: Sequence[Article], truth: Sequence[TruthArticle]) -> list[Article]:
    """For each truth article, the predicted article whose text matches it best."""
    return [max(predicted, key=lambda article: char_f1(article.text, wanted.text)) for wanted in truth]


def score(predicted: Sequence[Article], truth: Sequence[TruthArticle]) -> Scores:
    matches = best_matches(predicted, truth)
    recall = [char_f1(found.text, wanted.text) for found, wanted in zip(matches, truth, strict=True)]
    precision = [max(char_f1(found.text, wanted.text) for wanted in truth) for found in predicted]
    mean_recall, mean_precision = sum(recall) / len(recall), sum(precision) / max(len(precision), 1)
    pairs = list(zip(matches, truth, strict=True))

    def share(same) -> float:
        return sum(1 for found, wanted in pairs if same(found, wanted)) / len(pairs)

    return Scores(
        text_f1=tuple(recall),
        titles=share(lambda found, wanted: found.title == wanted.title),
        reporters=share(lambda found, wanted: found.reporter == wanted.reporter),
        kickers=share(lambda found, wanted: found.kicker == wanted.kicker),
        subtitles=share(lambda found, wanted: found.subtitle == wanted.subtitle),
        segmentation_f1=2 * mean_recall * mean_precision / (mean_recall + mean_precision or 1.0),
    )
