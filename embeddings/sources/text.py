"""Text pages (`.txt`, `.md`): one newspaper page → its articles.

A page's date comes from a first line `date: 2024-06-28` (removed from the text), else from a date
in its name as shown, folder included (see `embeddings.sources.metadata.date_from_name`); otherwise
it stays unknown, never guessed.

A page is read as blocks separated by blank lines. Three kinds of block matter:

* headlines: markdown headings (`# title`, `### ——subtitle`), or, on plain pages, a run of one to
  three short blocks without sentence-final punctuation that follows a finished sentence (or the
  page start), not a headline still waiting for its body, and is followed by a byline or body
  text. The first block is the title (its lines joined without a space, as a headline wrapped over
  two lines); later blocks are the subtitle (lines joined with a space, as they are usually two
  parallel phrases);
* bylines: `本报讯（记者 X）…` opening a paragraph, or a line `□ 记者 X`; both give the reporter and
  the byline, as printed, becomes the article's first paragraph of its own, so that "who wrote
  this" can be cited to a span of the text like any other fact;
* body text: everything else. A line that does not end a sentence was cut by a column break and is
  joined to the next one; a paragraph that repeats text already in the article is a pull quote and
  is dropped.

Text before the first headline, or a page without any, becomes an article titled by its first
sentence (cut to 30 characters): a file stem such as `000_540523ca5f8d8d9a` means nothing to a reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from embeddings.articles import Article
from embeddings.sources.decode import text_sources
from embeddings.sources.metadata import date_from_name, parse_iso_date
from embeddings.sources.reading import LoadResult, SourceFile

__all__ = [
    "DATELINE",
    "SENTENCE_END",
    "SUFFIXES",
    "byline_names",
    "ends_sentence",
    "fallback_title",
    "fix_ocr_words",
    "glue",
    "parse_page",
    "read_articles",
    "reporter_from_credit",
]

SUFFIXES = (".md", ".txt")

logger = logging.getLogger(__name__)

SENTENCE_END = '。！？!?…；;"”」』'
_CLOSING_BRACKETS = ")）】]"
_MAX_HEADLINE_BLOCKS = 3  # title + up to two subtitle blocks; a longer run of short lines is a list
_MAX_HEADLINE_CHARS = 40
_MIN_REPEAT_CHARS = 10  # shorter repeats are ordinary phrases, not pull quotes
_QUOTE_WINDOW_LINES = 60  # how far from its source a pull quote may stand, in lines
_FALLBACK_TITLE_CHARS = 30
_FRONT_MATTER_DATE = re.compile(r"^date\s*[:：]\s*(?P<value>\S+)\s*$", re.IGNORECASE)

# CJK ideographs, CJK and full-width punctuation, curly quotes.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef\u2018-\u201f"
# The OCR of these pages read the conjunction 和 as the English word "and".
_OCR_AND = re.compile(rf"(?<=[{_CJK}])\s+and\s+(?=[{_CJK}])")
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_ROLE = r"(?:本报|特约)?(?:记者|通讯员|实习生)"
DATELINE = re.compile(r"^本报讯\s*(?:[(（](?P<credit>[^()（）]*)[)）])?\s*")
_BYLINE_LINE = re.compile(rf"^(?:[□■◇◆]\s*{_ROLE}\s*|{_ROLE}\s+)\S")
_MAX_BYLINE_CHARS = 30


@dataclass(frozen=True)
class _Block:
    lines: tuple[str, ...]
    level: int = 0  # markdown heading level; 0 for plain text

    @property
    def text(self) -> str:
        return _glue_all(self.lines)


@dataclass
class _Draft:
    """An article while the page is being read."""

    title: str = ""
    subtitle: str = ""
    reporter: str = ""
    byline: str = ""
    lines: list[str] = field(default_factory=list)

    def ends_sentence(self) -> bool:
        return not self.lines or ends_sentence(self.lines[-1])

    def awaits_body(self) -> bool:
        return bool(self.title) and not self.lines


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    articles: list[Article] = []
    warnings: list[str] = []
    for file, text in text_sources(files, warnings):
        text, page_date, problems = _split_front_matter(text, file.name)
        warnings.extend(problems)
        found = parse_page(text, file.name)
        if not found:
            warnings.append(f"{file.name}: no article text found, skipped")
        page_date = page_date or date_from_name(file.name)
        if page_date:
            found = [replace(article, date=page_date) for article in found]
        articles.extend(found)
    return LoadResult(articles, warnings)


def _split_front_matter(text: str, source: str) -> tuple[str, str | None, list[str]]:
    """Remove a first line `date: yyyy-mm-dd`; returns (text, date or None, warnings)."""
    lines = text.split("\n")
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    match = _FRONT_MATTER_DATE.match(lines[first].strip()) if first is not None else None
    if match is None:
        return text, None, []
    del lines[first]
    found = parse_iso_date(match.group("value"))
    if found is None:
        bad = match.group("value")
        return "\n".join(lines), None, [f"{source}: bad date '{bad}', expected YYYY-MM-DD; date left unknown"]
    return "\n".join(lines), found, []


def parse_page(text: str, source: str) -> list[Article]:
    """The articles on one page, in page order; each gets `source` as its source."""
    articles = []
    for draft in _segment(_split_blocks(text)):
        paragraphs = _join_column_breaks(_drop_pull_quotes(draft.lines))
        body = "\n".join([draft.byline, *paragraphs] if draft.byline else paragraphs)
        title = draft.title or fallback_title(body)
        articles.append(
            Article(title=title, text=body, source=source, subtitle=draft.subtitle, reporter=draft.reporter)
        )
    return articles


def ends_sentence(line: str) -> bool:
    """True when the line ends with sentence-final punctuation (closing brackets after it allowed)."""
    stripped = line.rstrip().rstrip(_CLOSING_BRACKETS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def fix_ocr_words(text: str) -> str:
    """Undo OCR misreadings that are certain: " and " between Chinese characters was 和."""
    return _OCR_AND.sub("和", text)


def fallback_title(body: str) -> str:
    """A title for text without a headline: its first sentence, cut to 30 characters."""
    pieces = re.split(f"[{re.escape(SENTENCE_END)}\n]", body)
    sentence = next((piece.strip() for piece in pieces if piece.strip()), body.strip())
    if len(sentence) > _FALLBACK_TITLE_CHARS:
        return sentence[:_FALLBACK_TITLE_CHARS] + "…"
    return sentence


def _split_blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    lines: list[str] = []
    for raw in text.splitlines():
        line = fix_ocr_words(raw.strip())
        heading = _MARKDOWN_HEADING.match(line)
        if not line or heading:
            if lines:
                blocks.append(_Block(tuple(lines)))
            lines = []
        if heading:
            blocks.append(_Block((heading.group(2),), level=len(heading.group(1))))
        elif line:
            lines.append(line)
    if lines:
        blocks.append(_Block(tuple(lines)))
    return blocks


def _segment(blocks: list[_Block]) -> list[_Draft]:
    drafts = [_Draft()]  # the first one collects any text before the first headline
    i = 0
    while i < len(blocks):
        current, block = drafts[-1], blocks[i]
        # A pull quote right before a headline would otherwise be read as its title.
        recent = _glue_all(current.lines[-_QUOTE_WINDOW_LINES:])
        if not block.level and current.ends_sentence() and _is_repeat(block.text, recent):
            logger.debug("dropped pull quote %r", block.text)
            i += 1
            continue
        size = _headline_size(blocks, i, current)
        if size:
            drafts.append(_headline_draft(blocks[i : i + size]))
            i += size
            continue
        _add_body_block(current, block)
        i += 1
    kept = [draft for draft in drafts if draft.lines]
    for draft in drafts:
        if not draft.lines and draft.title:
            logger.debug("headline without body text skipped: %r", draft.title)
    return kept


def _headline_size(blocks: list[_Block], i: int, current: _Draft) -> int:
    """How many blocks from `i` form a headline (title + subtitles); 0 when `i` is no headline."""
    first = blocks[i]
    if first.level:
        size = 1
        while i + size < len(blocks) and size < _MAX_HEADLINE_BLOCKS and blocks[i + size].level > first.level:
            size += 1
        return size
    # A paragraph cut by a column break continues in the next block, and a headline's first
    # paragraph may be short: neither is a headline.
    if current.awaits_body() or not (current.ends_sentence() and _is_headline_like(first)):
        return 0
    size = 1
    while i + size < len(blocks) and _is_headline_like(blocks[i + size]):
        size += 1
    after = i + size
    if size > _MAX_HEADLINE_BLOCKS or after == len(blocks) or blocks[after].level:
        return 0
    return size


def _is_headline_like(block: _Block) -> bool:
    if block.level or len(block.lines) > 2 or byline_names(block.lines[0]) is not None:
        return False
    text = block.text
    if len(text) > _MAX_HEADLINE_CHARS or "。" in text or DATELINE.match(text):
        return False
    return not any(ends_sentence(line) for line in block.lines)


def _headline_draft(blocks: list[_Block]) -> _Draft:
    title = blocks[0].text
    subtitle = " ".join(" ".join(block.lines) for block in blocks[1:])
    return _Draft(title=title, subtitle=subtitle)


def _add_body_block(draft: _Draft, block: _Block) -> None:
    """Append a block's lines to the draft, taking any byline out as the reporter and byline."""
    for line in block.lines:
        names = byline_names(line)
        if names is not None:
            draft.reporter = draft.reporter or names
            draft.byline = draft.byline or line.strip()
            continue
        dateline = DATELINE.match(line)
        if dateline:
            if dateline.group("credit"):
                draft.reporter = draft.reporter or reporter_from_credit(dateline.group("credit"))
            draft.byline = draft.byline or line[: dateline.end()].strip()
            line = line[dateline.end() :]
        if line:
            draft.lines.append(line)


def byline_names(line: str) -> str | None:
    """The reporter named by a byline line such as `□ 记者 史莲寅`; None for any other line."""
    if len(line) > _MAX_BYLINE_CHARS or any(mark in line for mark in "，,。：:"):
        return None
    return reporter_from_credit(line) if _BYLINE_LINE.match(line) else None


def reporter_from_credit(credit: str) -> str:
    """`记者 朱梦琪 通讯员 王某` → `朱梦琪`: the reporter's names, else whoever is credited first."""
    credit = credit.lstrip("□■◇◆ ")
    parts = [part.strip() for part in re.split(_ROLE, credit)]
    roles = re.findall(_ROLE, credit)
    named = [(role, part) for role, part in zip(roles, parts[1:], strict=True) if part]
    for role, names in named:
        if role.endswith("记者"):
            return names
    return named[0][1] if named else ""


def _needle(candidate: str) -> str:
    return _compact(candidate).strip(SENTENCE_END + "，,、")


def _is_repeat(candidate: str, text: str) -> bool:
    needle = _needle(candidate)
    return len(needle) >= _MIN_REPEAT_CHARS and needle in _compact(text)


def _drop_pull_quotes(lines: list[str]) -> list[str]:
    """Drop standalone lines that repeat text found elsewhere in the article (pull quotes).

    Compared without whitespace, which is what joining column breaks changes, since the quoted
    sentence is often cut by one. A pull quote sits near what it quotes, so each line is compared
    with the `_QUOTE_WINDOW_LINES` lines around it: linear time even for a 20 MB page without
    headlines. Checked from the end so that of two identical paragraphs the first is kept.
    """
    kept = list(lines)
    compact = [_compact(line) for line in kept]
    for k in range(len(kept) - 1, -1, -1):
        standalone = k == 0 or ends_sentence(kept[k - 1])
        needle = _needle(kept[k])
        if not standalone or len(needle) < _MIN_REPEAT_CHARS:
            continue
        around = compact[max(0, k - _QUOTE_WINDOW_LINES) : k] + compact[k + 1 : k + 1 + _QUOTE_WINDOW_LINES]
        if needle in "".join(around):
            logger.debug("dropped pull quote %r", kept[k])
            del kept[k], compact[k]
    return kept


def _join_column_breaks(lines: list[str]) -> list[str]:
    """Lines → paragraphs: a line not ending a sentence continues on the next line."""
    paragraphs: list[str] = []
    for line in lines:
        if paragraphs and not ends_sentence(paragraphs[-1]):
            paragraphs[-1] = glue(paragraphs[-1], line)
        else:
            paragraphs.append(line)
    return paragraphs


def glue(left: str, right: str) -> str:
    # Chinese needs no space at a line break; two Latin words do.
    if left and right and _is_latin(left[-1]) and _is_latin(right[0]):
        return f"{left} {right}"
    return left + right


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _glue_all(lines: list[str] | tuple[str, ...]) -> str:
    text = ""
    for line in lines:
        text = glue(text, line)
    return text


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)
