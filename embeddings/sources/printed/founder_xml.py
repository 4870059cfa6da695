"""Founder page XML (方正见报 XML, `.xml`): one printed page per file → its articles.

Founder's pagination systems export a page as XML with Chinese element names: the page (`<版面>`,
`<大样>`) carries `日期`, `报名`, `版次`, `版名` as child elements or attributes, and each story is a
`<小样>` with `引题`, `标题`, `副题`, `作者` and its text in `内容` (lines, child elements, or a CDATA
section holding `<P>` paragraphs).

A story continued on another page (`<下转>第3版</下转>`, or `（下转第3版）` in its text) is joined with
the part that says `上接` this page on that page, the one with the same headline where several do;
the article is printed on the first page and records the second in `also_printed`. The markers
themselves are page furniture and leave the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree
from lxml.html import fragment_fromstring

from embeddings.articles import Article, Placement
from embeddings.sources.continuations import join_continuations, split_markers
from embeddings.sources.metadata import date_from_name
from embeddings.sources.reading import LoadResult, SourceFile
from embeddings.sources.text import fallback_title
from embeddings.sources.web.founder_epaper import block_paragraphs, date_in_text, reporter_of

__all__ = ["SUFFIXES", "read_articles"]

SUFFIXES = (".xml",)

_PAGE_TAGS = frozenset({"版面", "大样"})
_STORY = "小样"
_HTML_PARAGRAPHS = re.compile(r"<\s*(?:p|br)\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Story:
    """One 小样 of one page file."""

    file: SourceFile
    page: str
    page_name: str
    date: str | None
    paper: str
    kicker: str
    title: str
    subtitle: str
    credit: str
    paragraphs: tuple[str, ...]
    continues_on: str = ""  # 下转: the page its text goes on to
    continued_from: str = ""  # 上接: the page its text comes from


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    stories: list[_Story] = []
    warnings: list[str] = []
    for file in files:
        found, problem = _read_page(file)
        stories.extend(found)
        if problem:
            warnings.append(problem)
    return LoadResult([_article(story, rest) for story, rest in join_continuations(stories)], warnings)


def _read_page(file: SourceFile) -> tuple[list[_Story], str]:
    """The stories of one page file, or none and the warning that says why."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.parse(str(file.path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        return [], f"{file.name}: not a Founder page XML file (not well-formed: {exc.msg}); skipped"
    except OSError as exc:
        return [], f"{file.name}: cannot read ({exc}); skipped"
    stories = list(root.iter(_STORY))
    if root.tag not in _PAGE_TAGS and not stories:
        root_name = etree.QName(root).localname
        return [], f"{file.name}: not a Founder page XML file (root element <{root_name}>); skipped"
    if not stories:
        return [], f"{file.name}: Founder page XML without stories (<小样>); skipped"
    page = {name: _page_field(root, name) for name in ("日期", "报名", "版次", "版名")}
    date = date_in_text(page["日期"]) or date_from_name(page["日期"])
    found = [_story(file, element, page, date) for element in stories]
    return [story for story in found if story.paragraphs], ""


def _page_field(root: etree._Element, name: str) -> str:
    """A page attribute: an attribute or a child element of the page, never of a story."""
    values = root.xpath(f"//@{name}[not(ancestor::{_STORY})] | //{name}[not(ancestor::{_STORY})]")
    texts = (value if isinstance(value, str) else "".join(value.itertext()) for value in values)
    return next((text.strip() for text in texts if text.strip()), "")


def _story(file: SourceFile, element: etree._Element, page: dict[str, str], date: str | None) -> _Story:
    def field(name: str) -> str:
        found = element.find(name)
        return " ".join("".join(found.itertext()).split()) if found is not None else ""

    content = element.find("内容")
    lines = _paragraphs(content) if content is not None else []
    paragraphs, continues_on, continued_from = split_markers(lines)
    return _Story(
        file=file,
        page=page["版次"],
        page_name=page["版名"],
        date=date,
        paper=page["报名"],
        kicker=field("引题"),
        title=field("标题"),
        subtitle=field("副题"),
        credit=field("作者"),
        paragraphs=paragraphs,
        continues_on=field("下转") or continues_on,
        continued_from=field("上接") or continued_from,
    )


def _paragraphs(content: etree._Element) -> list[str]:
    # Child elements (<P>, <段落>) end a paragraph as a line break does.
    text = "\n".join(content.itertext())
    if _HTML_PARAGRAPHS.search(text):  # a CDATA section holding the web edition's <P>s
        return block_paragraphs(fragment_fromstring(text, create_parent="div"))
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def _article(story: _Story, continuations: Sequence[_Story]) -> Article:
    paragraphs = [*story.paragraphs, *(p for part in continuations for p in part.paragraphs)]
    text = "\n".join(paragraphs)
    return Article(
        title=story.title or fallback_title(text),
        text=text,
        source=story.file.name,
        subtitle=story.subtitle,
        reporter=reporter_of(story.credit, paragraphs),
        date=story.date,
        kicker=story.kicker,
        paper=story.paper,
        page=story.page,
        page_name=story.page_name,
        format="founder-xml",
        also_printed=tuple(
            Placement(part.file.name, part.page, part.page_name, part.date) for part in continuations
        ),
    )
