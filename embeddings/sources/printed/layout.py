"""Printed pages → articles: the layout analysis shared by page PDFs (text layer) and scans (OCR).

A `PrintedPage` is what a PDF's text layer or an OCR engine says is on one page: lines of text
with their boxes, font sizes and weight. `articles_from_pages` turns the pages of one build into
articles: columns put in reading order, headlines told from body text by size and weight,
bylines, article boundaries, `转第X版` / `下转` / `上接` continuations joined across pages, and
each article's `boxes` recording where every line of its text is printed.

How a page is read:

* masthead: lines in the page's top band that are wholly a masthead field (a date such as
  2024年6月28日, a 版次 such as 第3版 / A03 / 03版, a paper name such as 武进日报, an editor's
  credit, a registration number) mark the band; everything down to the lowest of them is the
  masthead, not text. The 版名 is the short line beside the 版次. What the band does not tell
  comes from the file's name (its date; a 版 number such as `_p3`, `A03`, `03版` for a one-page
  file), else the 版次 is the page's number in its file;
* headlines: lines clearly larger than the page's body text (`_HEADLINE_RATIO`), stacked into
  groups; a bold or somewhat larger line, or one starting with ——, right above or below a group
  joins it. In a group the largest lines are the title, those above it the kicker (引题), those
  below it the subtitle (副题);
* columns: body lines are chained into runs down a column (same left edge give or take an
  indent, no wider gap than a blank line). A run directly under a headline belongs to it; a run
  directly under another run continues that run's article. The runs beside them at the same
  height, under a title shorter than its article, go to the article whose title then sits best
  over its columns (flush left or centred). What no headline claims becomes an article titled
  by its first sentence;
* text: an article's runs are read column by column, left to right, each top to bottom. A line
  indented by about two characters starts a paragraph, and so does the line after one that ends
  short with sentence-final punctuation. A byline (`本报记者 X`, `□记者 X`, `本报讯（记者 X）`) is
  the first paragraph of its own and gives the reporter;
* continuations: an article ending `（下转第2版）` is joined with the one on that 版 that begins
  `（上接第1版）` under the repeated headline, in the same file or another file of the build.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from embeddings.articles import Article, Placement, PrintedBox
from embeddings.sources.metadata import date_from_name, valid_date
from embeddings.sources.reading import LoadResult, SourceFile, page_image_key
from embeddings.sources.text import DATELINE, ends_sentence, fallback_title, glue, reporter_from_credit

__all__ = ["LOW_CONFIDENCE", "Box", "PageLine", "PrintedPage", "articles_from_pages"]

logger = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, top, x1, bottom

LOW_CONFIDENCE = 0.8  # OCR lines read with less confidence are marked uncertain in the article

_HEADER_BAND = 0.2  # share of the page's height searched for the masthead
_HEADLINE_RATIO = 1.25  # lines this much larger than the body text are headlines
_NEAR_HEADLINE_RATIO = 1.08  # a kicker or subtitle is at least this much larger, or bold
_HEADLINE_GAP_EMS = 0.8  # lines of one headline stand at most this far apart (in their size)
_MAX_TITLE_LINES = 3  # a longer run of large lines is a lead paragraph set large, not a title
_RUN_GAP_EMS = 1.2  # a wider gap between two lines of a column breaks the run
_INDENT_EMS = 1.0  # a paragraph's first line is indented by two characters; one is enough
_SHORT_LINE_EMS = 1.5  # a line ending this far before its column's right edge ended short
_COLUMN_GAP_EMS = 3.0  # neighbouring columns stand at most this far apart
_ABOVE_OVERLAP = 0.3  # a line is above a run when it covers this share of the narrower of the two

_MASTHEAD_FIELDS = (
    re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?:(?:星期|周)[一二三四五六日天])?(?:农历\S*)?"),
    re.compile(r"(?:星期|周)[一二三四五六日天]|农历\S+"),
    re.compile(r"[\u4e00-\u9fff]{2,8}(?:日报|晚报|时报|商报|周报|早报|报)"),
    re.compile(r".*(?:CN\d{2}-\d{4}|国内统一连续出版物号|邮发代号|总第\d+期).*"),
    re.compile(r"(?:责任编辑|责编|编辑|美编|校对|版式|组版|值班)[：:].*"),
)
_PAPER = _MASTHEAD_FIELDS[2]
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_PAGE_LABEL = re.compile(
    r"(?P<page>第[A-Z]?\d{1,3}版|[A-Z]\d{1,3}版?|\d{1,3}版)(?:[：:·|｜]?(?P<name>[\u4e00-\u9fff]{2,8}))?"
)
_PAGE_NAME = re.compile(r"[\u4e00-\u9fff]{2,8}")
_NAME_PAGE = re.compile(
    r"(?:^|[_\-\s.])[pP](?P<number>\d{1,3})(?=$|[_\-\s.])|(?<![A-Za-z0-9])(?P<label>[A-Z]\d{2,3}|\d{1,3}版)(?!\d)"
)
_NAME_END = re.compile(r"[\u4e00-\u9fff·]+$")
_NAME_START = re.compile(r"[\u4e00-\u9fff·]+")
_SUBTITLE_DASH = re.compile(r"^[—一\-－–~～]{2}")  # ——, which OCR reads as 一一 or -一
_PAGE_NUMBER = re.compile(r"([A-Z]?)0*(\d+)")
_PAGE_REF = r"\s*(?P<page>(?:第\s*)?[A-Z]?\d{1,3}\s*版)\s*"
_CONTINUES_ON = re.compile(rf"[（(]\s*(?:下转|转){_PAGE_REF}[)）]")
_CONTINUED_FROM = re.compile(rf"[（(]\s*(?:上接|接){_PAGE_REF}[)）]")
# Stricter than the text pages' byline: a column line such as 记者从区教育局获悉 is no byline.
# OCR reads the box of □记者 as 口.
_JOB = r"(?:记者|通讯员|实习生)"
_ROLE = rf"(?:本报|特约)?{_JOB}"
# Names 2 to 4 characters each, maybe run together (OCR drops the space between them).
_NAMES = r"[\u4e00-\u9fff·]{2,8}(?:[\s、]+[\u4e00-\u9fff·]{2,4})*"
_BYLINE = re.compile(
    rf"(?:[□■◇◆口]\s*{_ROLE}\s*|(?:本报|特约){_JOB}\s*|{_JOB}\s+){_NAMES}(?:\s+{_ROLE}\s*{_NAMES})*"
)


@dataclass(frozen=True)
class PageLine:
    text: str
    box: tuple[float, float, float, float]  # x0, top, x1, bottom in the page's units (points or pixels)
    size: float  # font size (glyph height) in the same units
    bold: bool = False
    confidence: float = 1.0  # the OCR's confidence in this line; 1.0 for a text layer


@dataclass(frozen=True)
class PrintedPage:
    file: SourceFile
    number: int  # 1-based page of the file
    width: float  # in the units of the line boxes
    height: float
    lines: tuple[PageLine, ...]
    ocr: bool = False  # the lines come from OCR, not from a text layer


@dataclass(frozen=True)
class Masthead:
    """What a page's top band (or its file's name) says about the page."""

    paper: str = ""
    date: str | None = None
    page: str = ""  # 版次 as printed: 第3版, A03, 03版; else the page's number in its file
    page_name: str = ""  # 版名
    bottom: float = 0.0  # where the masthead ends, in the page's units; 0 without one


@dataclass(frozen=True)
class _Headline:
    lines: tuple[PageLine, ...]  # top to bottom

    @property
    def box(self) -> Box:
        return _union(line.box for line in self.lines)


@dataclass(eq=False)
class _Run:
    """Body lines chained down one column."""

    lines: list[PageLine]

    @property
    def left(self) -> float:
        return min(line.box[0] for line in self.lines)

    @property
    def right(self) -> float:
        return max(line.box[2] for line in self.lines)

    @property
    def top(self) -> float:
        return self.lines[0].box[1]


@dataclass(eq=False)
class _Story:
    headline: _Headline | None
    runs: list[_Run] = field(default_factory=list)


@dataclass(frozen=True)
class _Piece:
    """One printed line's share of an article's text."""

    text: str
    line: PageLine
    page: PrintedPage
    starts_paragraph: bool


@dataclass(eq=False)
class _Draft:
    """An article before its text is assembled, so that a continuation can still be appended."""

    page: PrintedPage
    masthead: Masthead
    kicker: str
    title: str
    subtitle: str
    reporter: str
    byline: list[_Piece]  # its own first paragraph; two pieces when it runs onto a second line
    pieces: list[_Piece]
    continues_on: str = ""  # the 版 of `（下转第2版）`
    continued_from: str = ""  # the 版 of `（上接第1版）`
    also_printed: list[Placement] = field(default_factory=list)


def articles_from_pages(pages: Sequence[PrintedPage]) -> LoadResult:
    """The articles printed on `pages` (all pages of one build), continuations joined."""
    pages_per_file = Counter(page.file.path for page in pages)
    drafts: list[_Draft] = []
    for page in pages:
        masthead = _read_masthead(page, only_page=pages_per_file[page.file.path] == 1)
        drafts.extend(_page_drafts(page, masthead))
    drafts, warnings = _join_continuations(drafts)
    return LoadResult([_article(draft) for draft in drafts], warnings)


# --- masthead -----------------------------------------------------------------------------------


def _read_masthead(page: PrintedPage, only_page: bool = False) -> Masthead:
    """The masthead fields of `page`; what the top band lacks comes from the file's name (its 版
    number only when `only_page`: the file holds this one page)."""
    band = [line for line in page.lines if line.box[1] < _HEADER_BAND * page.height]
    fields = [line for line in band if _is_masthead_field(line.text)]
    bottom = max((line.box[3] for line in fields), default=0.0)
    header = sorted(
        (line for line in page.lines if line.box[1] < bottom), key=lambda line: (line.box[1], line.box[0])
    )
    texts = [_compact(line.text) for line in header]
    date = next((found for text in texts for found in _dates(text)), None)
    paper = next((text for text in texts if _PAPER.fullmatch(text)), "")
    label_line = next((line for line in header if _PAGE_LABEL.fullmatch(_compact(line.text))), None)
    label, name = "", ""
    if label_line is not None:
        match = _PAGE_LABEL.fullmatch(_compact(label_line.text))
        label, name = match.group("page"), match.group("name") or _page_name(label_line, header)
    return Masthead(
        paper=paper,
        date=date or date_from_name(page.file.name),
        page=label or (_page_from_name(page.file.name) if only_page else "") or str(page.number),
        page_name=name,
        bottom=bottom,
    )


def _is_masthead_field(text: str) -> bool:
    compact = _compact(text)
    return any(pattern.fullmatch(compact) for pattern in _MASTHEAD_FIELDS) or bool(
        _PAGE_LABEL.fullmatch(compact)
    )


def _dates(text: str) -> list[str]:
    return [found for match in _DATE.finditer(text) if (found := valid_date(*match.groups()))]


def _page_name(label_line: PageLine, header: list[PageLine]) -> str:
    """The 版名: the short line nearest the 版次 on its row that is no other masthead field."""
    row = [
        line
        for line in header
        if line is not label_line
        and abs(line.box[1] - label_line.box[1]) < label_line.size
        and _PAGE_NAME.fullmatch(_compact(line.text))
        and not _is_masthead_field(line.text)
    ]
    nearest = min(row, key=lambda line: _gap(line.box, label_line.box), default=None)
    return _compact(nearest.text) if nearest else ""


def _page_from_name(name: str) -> str:
    match = _NAME_PAGE.search(Path(name).stem)
    if match is None:
        return ""
    return match.group("number") or match.group("label")


# --- headlines, runs and articles on one page ----------------------------------------------------


def _page_drafts(page: PrintedPage, masthead: Masthead) -> list[_Draft]:
    content = [line for line in page.lines if line.box[1] >= masthead.bottom and line.text.strip()]
    if not content:
        return []
    em = _body_size(content)
    content = _join_spaced_bylines(content, em)
    headlines, body = _headlines(content, em)
    stories = _assign_runs(_column_runs(body, em), headlines, em)
    drafts = [_draft(story, page, masthead, em) for story in stories if story.runs]
    for story in stories:
        if not story.runs and story.headline:
            logger.debug(
                "%s p%d: headline without text: %r", page.file.name, page.number, story.headline.lines
            )
    return [draft for draft in drafts if draft.pieces or draft.byline]


def _body_size(lines: Sequence[PageLine]) -> float:
    """The size most of the page's text is set in: the median over characters."""
    sizes = sorted((line.size, len(line.text)) for line in lines)
    half, seen = sum(count for _, count in sizes) / 2, 0
    for size, count in sizes:
        seen += count
        if seen >= half:
            return size
    return sizes[-1][0]


def _join_spaced_bylines(lines: list[PageLine], em: float) -> list[PageLine]:
    """A byline printed with a wide space (本报记者　王明) falls apart at the gap into two pieces
    side by side on one row: put them together again."""
    ordered = sorted(lines, key=lambda line: (round(line.box[1] / em), line.box[0]))
    joined: list[PageLine] = []
    for line in ordered:
        last = joined[-1] if joined else None
        text = f"{last.text} {line.text}" if last else ""
        if last is not None and _side_by_side(last, line, em) and _BYLINE.fullmatch(text):
            joined[-1] = PageLine(
                text=text,
                box=_union((last.box, line.box)),
                size=max(last.size, line.size),
                bold=last.bold and line.bold,
                confidence=min(last.confidence, line.confidence),
            )
        else:
            joined.append(line)
    return joined


def _side_by_side(left: PageLine, right: PageLine, em: float) -> bool:
    same_row = abs(left.box[1] - right.box[1]) < 0.3 * em and abs(left.size - right.size) < 0.2 * em
    return same_row and 0 <= right.box[0] - left.box[2] < _COLUMN_GAP_EMS * em


def _headlines(lines: list[PageLine], em: float) -> tuple[list[_Headline], list[PageLine]]:
    """Headline groups (each top to bottom) and the body lines left."""
    groups: list[list[PageLine]] = []
    for line in sorted((line for line in lines if line.size >= _HEADLINE_RATIO * em), key=lambda x: x.box[1]):
        group = next((group for group in groups if _stacked(group[-1], line)), None)
        if group is None:
            groups.append([line])
        else:
            group.append(line)
    grouped = {id(line) for group in groups for line in group}
    for group in groups:
        _attach_kicker_and_subtitle(group, [line for line in lines if id(line) not in grouped], em, grouped)
    groups = [group for group in groups if _title_lines(group) <= _MAX_TITLE_LINES]
    kept = {id(line) for group in groups for line in group}
    headlines = [_Headline(tuple(sorted(group, key=lambda line: line.box[1]))) for group in groups]
    return headlines, [line for line in lines if id(line) not in kept]


def _stacked(upper: PageLine, lower: PageLine) -> bool:
    """`lower` stands right under `upper`, overlapping it: the next line of one headline."""
    gap = lower.box[1] - upper.box[3]
    near = -0.3 * upper.size <= gap <= _HEADLINE_GAP_EMS * max(upper.size, lower.size)
    return near and _overlap(upper.box, lower.box) > 0


def _attach_kicker_and_subtitle(
    group: list[PageLine], free: list[PageLine], em: float, grouped: set[int]
) -> None:
    """Add the bold or larger lines right above or below the group (引题, 副题) to it."""
    candidates = [
        line
        for line in free
        if line.bold or line.size >= _NEAR_HEADLINE_RATIO * em or _SUBTITLE_DASH.match(line.text)
    ]
    changed = True
    while changed:
        changed = False
        top = min(group, key=lambda line: line.box[1])
        bottom = max(group, key=lambda line: line.box[3])
        for line in candidates:
            if id(line) not in grouped and (_stacked(line, top) or _stacked(bottom, line)):
                group.append(line)
                grouped.add(id(line))
                changed = True


def _title_lines(group: list[PageLine]) -> int:
    biggest = max(line.size for line in group)
    return sum(line.size >= 0.9 * biggest for line in group)


def _column_runs(lines: list[PageLine], em: float) -> list[_Run]:
    """Body lines chained down their columns, top to bottom."""
    runs: list[_Run] = []
    for line in sorted(lines, key=lambda line: (line.box[1], line.box[0])):
        fits = [run for run in runs if _continues_run(run, line, em)]
        if fits:
            min(fits, key=lambda run: abs(run.left - line.box[0])).lines.append(line)
        else:
            runs.append(_Run([line]))
    return runs


def _continues_run(run: _Run, line: PageLine, em: float) -> bool:
    last = run.lines[-1]
    gap = line.box[1] - last.box[3]
    if not -0.3 * em <= gap <= _RUN_GAP_EMS * max(line.size, last.size):
        return False
    # The run's width, not the last line's: a paragraph's short last line may end before the
    # next one's indent.
    column = (run.left, 0.0, run.right, 0.0)
    return abs(line.box[0] - run.left) <= _COLUMN_GAP_EMS * em and _overlap(line.box, column) > 0


def _assign_runs(runs: list[_Run], headlines: list[_Headline], em: float) -> list[_Story]:
    """Which article each run belongs to (see the module's docstring); stories in page order."""
    stories = [_Story(headline) for headline in headlines]
    owner: dict[int, _Story] = {}  # id(run) → story
    above = {id(run): _line_above(run, runs, headlines, em) for run in runs}
    pending = sorted(runs, key=lambda run: (run.top, run.left))
    while pending:
        assigned = _assign_directly(pending, above, stories, headlines, owner, em)
        assigned = assigned or _assign_beside(pending, runs, owner, em)
        assigned = assigned or _assign_below_text(pending, above, owner)
        if not assigned:  # text under no headline: an article of its own, titled by its text
            stories.append(_Story(None))
            _claim(owner, pending[0], stories[-1])
        pending = [run for run in pending if id(run) not in owner]
    return sorted(stories, key=_story_position)


def _claim(owner: dict[int, _Story], run: _Run, story: _Story) -> None:
    owner[id(run)] = story
    story.runs.append(run)


def _story_position(story: _Story) -> tuple[float, float]:
    if story.headline is not None:
        return story.headline.box[1], story.headline.box[0]
    return (story.runs[0].top, story.runs[0].left) if story.runs else (0.0, 0.0)


def _line_above(
    run: _Run, runs: list[_Run], headlines: list[_Headline], em: float
) -> tuple[PageLine, _Headline | _Run] | None:
    """The nearest line above the run's top that covers it, with the headline or run it is in."""
    x_range = (run.left, 0.0, run.right, 0.0)
    best: tuple[PageLine, _Headline | _Run] | None = None
    sources: list[tuple[PageLine, _Headline | _Run]] = [(line, h) for h in headlines for line in h.lines]
    sources += [(line, other) for other in runs if other is not run for line in other.lines]
    for line, source in sources:
        if line.box[3] > run.top + 0.3 * em:
            continue
        width = min(line.box[2] - line.box[0], run.right - run.left)
        if _overlap(line.box, x_range) >= _ABOVE_OVERLAP * width and (
            best is None or line.box[3] > best[0].box[3]
        ):
            best = (line, source)
    return best


def _assign_directly(
    pending: list[_Run],
    above: dict[int, tuple[PageLine, _Headline | _Run] | None],
    stories: list[_Story],
    headlines: list[_Headline],
    owner: dict[int, _Story],
    em: float,
) -> bool:
    """Runs right under a headline, and runs under a run with no headline beside the gap."""
    found = False
    for run in pending:
        over = above[id(run)]
        if over is None:
            continue
        line, source = over
        if isinstance(source, _Headline):
            _claim(owner, run, stories[headlines.index(source)])
            found = True
        elif id(source) in owner and not _headline_beside(run, line.box[3], headlines, em):
            _claim(owner, run, owner[id(source)])
            found = True
    return found


def _headline_beside(run: _Run, after: float, headlines: list[_Headline], em: float) -> bool:
    """A headline stands between `after` and the run's top in a neighbouring column: a new
    article may begin there, under a title shorter than its columns."""
    width = run.right - run.left
    return any(
        h.box[1] >= after - 0.3 * em
        and h.box[3] <= run.top + 0.3 * em
        and _gap(h.box, (run.left, 0, run.right, 0)) <= 1.5 * width
        for h in headlines
    )


def _assign_beside(pending: list[_Run], runs: list[_Run], owner: dict[int, _Story], em: float) -> bool:
    """Runs beside claimed runs at the same height: split each row of neighbouring columns
    between the articles claiming some of them, where their titles sit best over their columns."""
    found = False
    for run in pending:
        if id(run) in owner:
            continue
        row = _aligned_row(run, runs, em)
        claimed = [k for k, other in enumerate(row) if id(other) in owner]
        if not claimed:
            continue
        for start, end in zip([None, *claimed], [*claimed, None], strict=True):
            _split_between(row, start, end, owner)
        found = True
    return found


def _aligned_row(run: _Run, runs: list[_Run], em: float) -> list[_Run]:
    """The runs starting at the run's height in the columns next to it, left to right, up to the
    first gap wider than a gutter."""
    level = sorted((other for other in runs if abs(other.top - run.top) <= 0.6 * em), key=lambda r: r.left)
    k = level.index(run)
    start, end = k, k + 1
    while start > 0 and level[start].left - level[start - 1].right <= _COLUMN_GAP_EMS * em:
        start -= 1
    while end < len(level) and level[end].left - level[end - 1].right <= _COLUMN_GAP_EMS * em:
        end += 1
    return level[start:end]


def _split_between(row: list[_Run], start: int | None, end: int | None, owner: dict[int, _Story]) -> None:
    """Give the unclaimed runs between the claimed runs row[start] and row[end] (None: the row's
    end) to their articles: all to the one there is, else split where the titles fit best."""
    lo = 0 if start is None else start + 1
    hi = len(row) if end is None else end
    between = row[lo:hi]
    if not between:
        return
    left = owner[id(row[start])] if start is not None else None
    right = owner[id(row[end])] if end is not None else None
    if left is None or right is None or left is right:
        for run in between:
            _claim(owner, run, left or right)
        return
    cut = min(range(len(between) + 1), key=lambda k: _misfit(left, between[:k]) + _misfit(right, between[k:]))
    for k, run in enumerate(between):
        _claim(owner, run, left if k < cut else right)


def _misfit(story: _Story, extra: list[_Run]) -> float:
    """How far the story's headline is from flush left or centred over its columns with `extra`."""
    if story.headline is None:
        return 0.0
    runs = story.runs + extra
    if not runs:
        return 0.0
    left, right = min(run.left for run in runs), max(run.right for run in runs)
    x0, _, x1, _ = story.headline.box
    return min(abs(left - x0), abs((left + right) / 2 - (x0 + x1) / 2))


def _assign_below_text(
    pending: list[_Run], above: dict[int, tuple[PageLine, _Headline | _Run] | None], owner: dict[int, _Story]
) -> bool:
    """Runs under a claimed run, though a headline stands beside the gap: the text goes on."""
    found = False
    for run in pending:
        over = above[id(run)]
        if id(run) not in owner and over is not None and id(over[1]) in owner:
            _claim(owner, run, owner[id(over[1])])
            found = True
    return found


# --- one article's text ------------------------------------------------------------------------


def _draft(story: _Story, page: PrintedPage, masthead: Masthead, em: float) -> _Draft:
    runs = [_Run(list(run.lines)) for run in story.runs]
    byline = _take_byline(runs, em)
    continues_on, continued_from = "", ""
    for run in runs:
        for k, line in enumerate(run.lines):
            line, found = _cut_marker(line, _CONTINUES_ON)
            continues_on = continues_on or found
            line, found = _cut_marker(line, _CONTINUED_FROM)
            continued_from = continued_from or found
            run.lines[k] = line
        run.lines = [line for line in run.lines if line.text]
    pieces = _pieces([run for run in runs if run.lines], page)
    if byline is not None:
        reporter, byline_pieces = reporter_from_credit(byline.text), [_Piece(byline.text, byline, page, True)]
    else:
        reporter, byline_pieces, pieces = _split_dateline(pieces)
    kicker, title, subtitle = _headline_parts(story.headline) if story.headline else ("", "", "")
    return _Draft(
        page, masthead, kicker, title, subtitle, reporter, byline_pieces, pieces, continues_on, continued_from
    )


def _split_dateline(pieces: list[_Piece]) -> tuple[str, list[_Piece], list[_Piece]]:
    """(reporter, byline, rest) when the text opens 本报讯（记者 X）, whose credit may run on
    into the second line; ("", [], pieces) otherwise."""
    first = pieces[0].text if pieces else ""
    match = DATELINE.match(first)
    if match is None:
        return "", [], pieces
    runs_on = (
        match.group("credit") is None and first[match.end() :].startswith(("（", "(")) and len(pieces) > 1
    )
    space = _name_break(first, pieces[1].text) if runs_on else ""
    if (
        runs_on
        and (longer := DATELINE.match(f"{first}{space}{pieces[1].text}"))
        and longer.group("credit") is not None
    ):
        head, tail = _split_piece(pieces[1], longer.end() - len(first) - len(space))
        byline = [pieces[0], replace(head, starts_paragraph=False)]
        rest = [tail, *pieces[2:]]
        match = longer
    else:
        head, tail = _split_piece(pieces[0], match.end())
        byline, rest = [head], [tail, *pieces[1:]]
    return reporter_from_credit(match.group("credit") or ""), byline, [piece for piece in rest if piece.text]


def _name_break(before: str, after: str) -> str:
    """A line break inside a byline's names: a space between two names, nothing inside one (a
    Chinese name has two characters at least)."""
    last, first = _NAME_END.search(before), _NAME_START.match(after)
    return " " if last and first and len(last.group()) >= 2 and len(first.group()) >= 2 else ""


def _take_byline(runs: list[_Run], em: float) -> PageLine | None:
    """Remove and return the byline: the first line of one of the article's top runs."""
    top = min(run.top for run in runs)
    for run in sorted(runs, key=lambda run: (run.top, run.left)):
        if run.top <= top + 2 * em and _BYLINE.fullmatch(run.lines[0].text.strip()):
            line = run.lines.pop(0)
            if not run.lines:
                runs.remove(run)
            return line
    return None


def _cut_marker(line: PageLine, marker: re.Pattern[str]) -> tuple[PageLine, str]:
    """The line without a continuation marker, and the marker's 版 ("" when it has none)."""
    match = marker.search(line.text)
    if match is None:
        return line, ""
    before, after = _part(line, 0, match.start()), _part(line, match.end(), len(line.text))
    if before.text and after.text:  # a marker inside the line: the text around it stays
        return replace(line, text=glue(before.text, after.text)), _compact(match.group("page"))
    return before if before.text else after, _compact(match.group("page"))


def _pieces(runs: list[_Run], page: PrintedPage) -> list[_Piece]:
    """The article's lines in reading order, each marked where a paragraph starts."""
    pieces: list[_Piece] = []
    previous: tuple[PageLine, float] | None = None  # the line before and its column's right edge
    for column in _columns(runs):
        left = min(line.box[0] for run in column for line in run.lines)
        right = max(line.box[2] for run in column for line in run.lines)
        for run in column:
            for line in run.lines:
                indented = line.box[0] - left >= _INDENT_EMS * line.size
                after_short = previous is not None and _ended_paragraph(*previous)
                pieces.append(_Piece(line.text, line, page, indented or after_short))
                previous = (line, right)
    return pieces


def _ended_paragraph(line: PageLine, right: float) -> bool:
    return line.box[2] < right - _SHORT_LINE_EMS * line.size and ends_sentence(line.text)


def _columns(runs: list[_Run]) -> list[list[_Run]]:
    """Runs grouped into columns (overlapping half the narrower), left to right, each top down."""
    columns: list[list[_Run]] = []
    for run in sorted(runs, key=lambda run: run.left):
        box = (run.left, 0.0, run.right, 0.0)
        for column in columns:
            other = (column[0].left, 0.0, column[0].right, 0.0)
            if _overlap(box, other) >= 0.5 * min(run.right - run.left, column[0].right - column[0].left):
                column.append(run)
                break
        else:
            columns.append([run])
    return [sorted(column, key=lambda run: run.top) for column in columns]


def _split_piece(piece: _Piece, at: int) -> tuple[_Piece, _Piece]:
    head, tail = _part(piece.line, 0, at), _part(piece.line, at, len(piece.text))
    return _Piece(head.text, head, piece.page, True), _Piece(tail.text, tail, piece.page, True)


def _part(line: PageLine, start: int, end: int) -> PageLine:
    """The characters start:end of a line, their box its share of the line's width."""
    text = line.text[start:end]
    start += len(text) - len(text.lstrip())
    end -= len(text) - len(text.rstrip())
    x0, top, x1, bottom = line.box
    share = (x1 - x0) / max(len(line.text), 1)
    return replace(
        line, text=text.strip(), box=(x0 + share * start, top, x0 + share * max(end, start), bottom)
    )


def _headline_parts(headline: _Headline) -> tuple[str, str, str]:
    """(kicker, title, subtitle): the largest lines are the title, the lines above and below it
    the kicker and the subtitle."""
    lines = headline.lines
    biggest = max(line.size for line in lines)
    title_rows = [k for k, line in enumerate(lines) if line.size >= 0.9 * biggest]
    first, last = title_rows[0], title_rows[-1]
    subtitle = _SUBTITLE_DASH.sub("——", _glued(lines[last + 1 :]))
    return _glued(lines[:first]), _glued(lines[first : last + 1]), subtitle


def _glued(lines: Sequence[PageLine]) -> str:
    text = ""
    for line in lines:
        text = glue(text, line.text.strip())
    return text


# --- continuations and articles ----------------------------------------------------------------


def _join_continuations(drafts: list[_Draft]) -> tuple[list[_Draft], list[str]]:
    """Append each `（上接第X版）` part to the article on 版 X that continues on its 版."""
    joined: set[int] = set()
    for rest in drafts:
        if not rest.continued_from:
            continue
        parts = [
            draft
            for draft in drafts
            if draft.continues_on
            and draft is not rest
            and id(draft) not in joined
            and _same_page(draft.masthead.page, rest.continued_from)
            and _same_page(rest.masthead.page, draft.continues_on)
        ]
        part = max(parts, key=lambda draft: _similarity(draft.title, rest.title), default=None)
        if part is None or (rest.title and _similarity(part.title, rest.title) < 0.5):
            continue
        part.pieces.extend(rest.pieces)
        part.also_printed.append(
            Placement(rest.page.file.name, rest.masthead.page, rest.masthead.page_name, rest.masthead.date)
        )
        part.continues_on = ""
        joined.add(id(part))
        joined.add(id(rest))
    kept = [draft for draft in drafts if not (draft.continued_from and id(draft) in joined)]
    warnings = [
        f"{draft.page.file.name}: page {draft.page.number}: '{draft.title}' continues on 版 "
        f"{draft.continues_on}, which is not in this build; only the part on this page is indexed"
        for draft in kept
        if draft.continues_on
    ]
    return kept, warnings


def _same_page(label: str, other: str) -> bool:
    """第2版, A02, 02版 and 2 name the same 版 (a letter counts only when both have one)."""
    a, b = _PAGE_NUMBER.search(label), _PAGE_NUMBER.search(other)
    if a is None or b is None:
        return False
    letters_agree = not (a.group(1) and b.group(1)) or a.group(1) == b.group(1)
    return letters_agree and int(a.group(2)) == int(b.group(2))


def _similarity(a: str, b: str) -> float:
    """Character F1 of two titles: a repeated headline is often shortened."""
    common = sum((Counter(a) & Counter(b)).values())
    return 2 * common / (len(a) + len(b)) if a and b else 0.0


def _article(draft: _Draft) -> Article:
    """Assemble the text: paragraphs joined by "\n", each printed line's span boxed."""
    pieces = draft.byline + draft.pieces
    text, boxes, uncertain = "", [], []
    for k, piece in enumerate(pieces):
        # The byline is a paragraph of its own, whatever its last line looked like.
        if text and (piece.starts_paragraph or k == len(draft.byline)):
            text += "\n"
        text = glue(text, piece.text) if text and not text.endswith("\n") else text + piece.text
        start = len(text) - len(piece.text)
        boxes.append(_printed_box(piece, start, len(text)))
        if piece.line.confidence < LOW_CONFIDENCE:
            uncertain.append((start, len(text)))
    masthead = draft.masthead
    return Article(
        title=draft.title or fallback_title(text),
        text=text,
        source=draft.page.file.name,
        subtitle=draft.subtitle,
        reporter=draft.reporter,
        date=masthead.date,
        kicker=draft.kicker,
        paper=masthead.paper,
        page=masthead.page,
        page_name=masthead.page_name,
        format="ocr" if draft.page.ocr else "pdf",
        boxes=tuple(boxes),
        also_printed=tuple(draft.also_printed),
        uncertain=tuple(uncertain),
    )


def _printed_box(piece: _Piece, start: int, end: int) -> PrintedBox:
    page = piece.page
    x0, top, x1, bottom = piece.line.box
    fractions = (
        _clip(x0 / page.width),
        _clip(top / page.height),
        _clip(x1 / page.width),
        _clip(bottom / page.height),
    )
    path = page.file.path
    return PrintedBox(start, end, str(path), page.number, fractions, page_image_key(path, page.number))


# --- geometry ----------------------------------------------------------------------------------


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def _overlap(a: Box, b: Box) -> float:
    """Horizontal overlap of two boxes."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0]))


def _gap(a: Box, b: Box) -> float:
    """Horizontal distance between two boxes; 0 when they overlap."""
    return max(0.0, max(a[0], b[0]) - min(a[2], b[2]))


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
