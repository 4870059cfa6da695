"""E-paper and news web pages (`.htm`, `.html`, `.shtml`) → articles.

Each page is read by the first template that recognises it: people.cn's e-paper
(`embeddings.sources.web.people_epaper`), Founder's 数字报 (`embeddings.sources.web.founder_epaper`), else
trafilatura, which finds the one article of a news page among its navigation, sidebars and comments.
A page turns out to be one of:

* an article page → its article;
* a page index (an e-paper's page of one printed 版) → no article, but the articles it links take its
  版次, 版名, date and paper; an article linked from two page indexes (转版) is one article with the
  other page in `also_printed`. The page picture and page PDF it links are `LoadResult.covers`, so
  that no other format reads them again as scans;
* anything else (a home page, an error page) → a warning.

Pictures a page shows (`<img>`) are covered too: they are its illustrations, never pages of their own.
A page's encoding is the one its `<meta>` declares, else detected as for text files. An article's `url`
is its original address when the page says it (canonical link, og:url, the `saved from url` comment
browsers leave, the e-paper's metadata), else the file as citations name it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from embeddings.articles import Article, Placement
from embeddings.errors import CorpusError
from embeddings.sources.continuations import join_continuations, page_key, split_markers
from embeddings.sources.decode import read_text_file
from embeddings.sources.dedupe import placement_of
from embeddings.sources.metadata import parse_iso_date
from embeddings.sources.reading import LoadResult, SourceFile
from embeddings.sources.text import fallback_title
from embeddings.sources.web import founder_epaper, people_epaper
from embeddings.sources.web.founder_epaper import PageArticle, PageIndex, SavedPage, reporter_of

__all__ = ["SUFFIXES", "read_articles"]

SUFFIXES = (".htm", ".html", ".shtml")

logger = logging.getLogger(__name__)

# Tried in this order: people.cn's pages carry Founder's marks too.
_TEMPLATES = (people_epaper, founder_epaper)
_CHARSET_WINDOW = 4096  # the <meta> that declares the encoding stands in the head
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w-]+)", re.IGNORECASE)
_GB_CHARSETS = frozenset({"gb2312", "gbk", "x-gbk", "gb_2312-80", "csgb2312"})  # they use GBK's characters
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.IGNORECASE)
# 来源：常州日报 2024-06-28, 责任编辑：周十, （责编：杨光宇）
_FURNITURE_LINE = re.compile(
    r"^[(（【\[]?\s*(?:来源|稿源|作者|发布时间|发布日期|时间|日期|责任编辑|责编|编辑|审核|校对|签发)\s*[:：]"
)
_MIN_ARTICLE_CHARS = 50  # less is an error page's message or a few links, not an article
_Linked = tuple[SavedPage, PageIndex]


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    indexes: list[_Linked] = []
    found: list[tuple[SavedPage, PageArticle]] = []
    covers: set[Path] = set()
    warnings: list[str] = []
    for file in files:
        page, problem = _open(file)
        if page is None:
            warnings.append(problem)
            continue
        read = _read_page(page)
        covers.update(_local_files(page, page.root.xpath("//img/@src")))
        if isinstance(read, PageIndex):
            indexes.append((page, read))
            covers.update(_local_files(page, read.pictures))
        elif read is None:
            warnings.append(
                f"{file.name}: no article found in this page (a home, error or index page?); skipped. "
                "Save the article pages themselves"
            )
        else:
            found.append((page, read))
    linked = _links(indexes)
    pages = [_article(page, fields, linked.get(page.file.path.resolve(), [])) for page, fields in found]
    articles = _joined(pages)
    read_paths = {page.file.path.resolve() for page, _ in found}
    warnings.extend(_unread_links(indexes, read_paths))
    return LoadResult(articles, warnings, frozenset(covers))


def _read_page(page: SavedPage) -> PageArticle | PageIndex | None:
    """What one page is: an article, a page index, or neither (None)."""
    for template in _TEMPLATES:
        if template.recognises(page):
            read = template.read_article(page) or template.read_index(page)
            if read is not None:
                return read
    return _news_article(page)


def _open(file: SourceFile) -> tuple[SavedPage | None, str]:
    """The page decoded and parsed, or None and the warning that says why not."""
    try:
        text = _decode(file.path)
    except CorpusError as exc:
        return None, f"{exc}; skipped"
    if not text.strip():
        return None, f"{file.name}: empty file, skipped"
    try:
        root = document_fromstring(_XML_DECLARATION.sub("", text))
    except (etree.ParserError, ValueError) as exc:
        return None, f"{file.name}: not an HTML page ({exc}); skipped"
    return SavedPage(file, text, root, _original_url(root, text)), ""


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    declared = _META_CHARSET.search(data[:_CHARSET_WINDOW])
    if declared:
        charset = declared.group(1).decode("ascii").lower()
        try:
            return data.decode(_codec(charset))
        except (LookupError, UnicodeDecodeError):
            logger.debug("%s: not in its declared charset %s; detecting", path, charset)
    return read_text_file(path)


def _codec(charset: str) -> str:
    if charset in _GB_CHARSETS:
        return "gb18030"
    return "utf-8-sig" if charset in ("utf-8", "utf8") else charset


def _original_url(root: HtmlElement, text: str) -> str:
    saved_from = _SAVED_FROM.search(text[:_CHARSET_WINDOW])
    candidates = [
        *root.xpath("//link[@rel='canonical']/@href"),
        *root.xpath("//meta[@property='og:url']/@content"),
        *([saved_from.group(1)] if saved_from else []),
    ]
    return next((url.strip() for url in candidates if url.strip().startswith(("http://", "https://"))), "")


def _news_article(page: SavedPage) -> PageArticle | None:
    """The article of any other news page, found by trafilatura; None when it finds too little text."""
    import trafilatura  # half a second to load; only pages of no known e-paper template need it

    found = trafilatura.bare_extraction(
        page.html,
        url=page.url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if found is None:
        return None
    lines = [line.strip() for line in (found.text or "").split("\n") if line.strip()]
    paragraphs = _without_page_furniture(lines, found.title or "")
    if sum(len(paragraph) for paragraph in paragraphs) < _MIN_ARTICLE_CHARS:
        return None
    return PageArticle(
        title=found.title or "",
        paragraphs=paragraphs,
        credit=found.author or "",
        date=parse_iso_date(found.date or ""),
        paper=found.sitename or "",
        url=found.url or "",
    )


def _without_page_furniture(paragraphs: list[str], title: str) -> tuple[str, ...]:
    """The paragraphs without the headline and the lines of source, time and editor around the text
    that trafilatura keeps when they stand inside the article's element."""
    start, end = 0, len(paragraphs)
    while start < end and (paragraphs[start] == title or _FURNITURE_LINE.match(paragraphs[start])):
        start += 1
    while end > start and _FURNITURE_LINE.match(paragraphs[end - 1]):
        end -= 1
    return tuple(paragraphs[start:end])


def _local_files(page: SavedPage, hrefs: Iterable[str]) -> set[Path]:
    """The files that exist among the page's relative links, resolved against the page's folder."""
    files = set()
    for href in hrefs:
        parts = urlsplit(href.strip())
        if parts.scheme or parts.netloc or not parts.path:
            continue
        path = (page.file.path.parent / unquote(parts.path)).resolve()
        if path.is_file():
            files.add(path)
    return files


def _links(indexes: Sequence[_Linked]) -> dict[Path, list[_Linked]]:
    """Each linked article page (resolved path) → the page indexes that link it, in reading order."""
    linked: dict[Path, list[_Linked]] = {}
    for page, index in indexes:
        for path in _local_files(page, index.articles):
            linked.setdefault(path, []).append((page, index))
    return linked


def _article(page: SavedPage, fields: PageArticle, linked: Sequence[_Linked]) -> Article:
    """The article, its printed place completed from the page index that shows it."""
    # The page index of the article's own page; the first one when the article does not say its page.
    index = next((i for _, i in linked if not fields.page or page_key(i.page) == page_key(fields.page)), None)
    page_code = fields.page or (index.page if index else "")
    date = fields.date or (index.date if index else None)
    others = [
        Placement(link_page.file.name, other.page, other.page_name, other.date or date, link_page.url)
        for link_page, other in linked
        if page_key(other.page) != page_key(page_code)
    ]
    text = "\n".join(fields.paragraphs)
    return Article(
        title=fields.title or fallback_title(text),
        text=text,
        source=page.file.name,
        subtitle=fields.subtitle,
        reporter=reporter_of(fields.credit, fields.paragraphs),
        date=date,
        url=fields.url or page.url or page.file.name,
        external_id=fields.external_id,
        kicker=fields.kicker,
        paper=fields.paper or (index.paper if index else ""),
        page=page_code,
        page_name=fields.page_name or (index.page_name if index else ""),
        format="html",
        also_printed=tuple(dict.fromkeys(others)),
    )


@dataclass(frozen=True)
class _Part:
    """An article page as one part of a story continued on another page (转版)."""

    article: Article
    continues_on: str
    continued_from: str

    @property
    def page(self) -> str:
        return self.article.page

    @property
    def title(self) -> str:
        return self.article.title


def _joined(articles: Sequence[Article]) -> list[Article]:
    """Article pages joined where one ends `（下转第A03版）` and an article page of A03 begins
    `（上接第A01版）`: one article on the first page, the second in `also_printed`, markers gone."""
    parts = []
    for article in articles:
        paragraphs, continues_on, continued_from = split_markers(article.paragraphs)
        if continues_on or continued_from:
            article = replace(article, text="\n".join(paragraphs))
        parts.append(_Part(article, continues_on, continued_from))
    joined = []
    for head, rest in join_continuations(parts):
        article = head.article
        if rest:
            article = replace(
                article,
                text="\n".join([article.text, *(part.article.text for part in rest)]),
                also_printed=(*article.also_printed, *(placement_of(part.article) for part in rest)),
            )
        joined.append(article)
    return joined


def _unread_links(indexes: Sequence[_Linked], read: set[Path]) -> list[str]:
    """A warning for each page index none of whose article pages was read."""
    warnings = []
    for page, index in indexes:
        if _local_files(page, index.articles) & read:
            continue
        which = f"第{index.page}版" if index.page else "a page"
        warnings.append(
            f"{page.file.name}: the page index of {which} links {len(index.articles)} article pages "
            f"(such as {index.articles[0]}) but none was among the files read; save the article pages too, "
            "not only the page index"
        )
    return warnings
