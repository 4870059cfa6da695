"""Founder (方正) 数字报 pages: the e-paper system most Chinese papers publish on, people.cn's included.

A saved Founder e-paper has two kinds of page:

* a page index `node_N.htm`, one printed page (版): its 版次 and 版名 (`第A01版：要闻`), the page picture
  with a `<map name="PagePicMap">` whose `<area>`s link the page's articles (`content_N.htm`), the
  article list, the page PDF;
* an article page `content_N.htm`: 引题 / 主题 / 副题 (`<founder-title>` and kin, or the
  `<!--<npm:article-title>-->` markers of Founder's templates), the body in `<founder-content>` or
  between `<!--enpcontent-->` and `<!--/enpcontent-->`, and the metadata comment
  `<!--enpproperty <date>…</date><page>A01</page>… /enpproperty-->` (`<founder-date>`,
  `<founder-pagenum>`, `<founder-papername>` in the newer template).

Because people.cn's template and any other news page are read into the same fields, this module also
holds them: a `SavedPage` is read into a `PageArticle` or a `PageIndex`, and
`embeddings.sources.web.html` turns those into articles.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement, fragment_fromstring

from embeddings.sources.continuations import page_key
from embeddings.sources.metadata import date_from_name, parse_iso_date, valid_date
from embeddings.sources.reading import SourceFile
from embeddings.sources.text import byline_names, reporter_from_credit

__all__ = [
    "PageArticle",
    "PageIndex",
    "SavedPage",
    "block_paragraphs",
    "date_in_address",
    "date_in_text",
    "enp_properties",
    "headline",
    "own_page_files",
    "own_page_label",
    "page_label",
    "page_title",
    "paper_in_title",
    "read_article",
    "read_index",
    "recognises",
    "reporter_of",
]


@dataclass(frozen=True)
class SavedPage:
    """One saved web page, decoded and parsed."""

    file: SourceFile
    html: str
    root: HtmlElement
    url: str  # its original address when the page says it (canonical link, og:url, saved-from), else ""


@dataclass(frozen=True)
class PageArticle:
    """What an article page says about its article."""

    title: str
    paragraphs: tuple[str, ...]
    kicker: str = ""
    subtitle: str = ""
    credit: str = ""  # the byline as the page's metadata gives it, e.g. 本报记者 张三
    date: str | None = None
    page: str = ""
    page_name: str = ""
    paper: str = ""
    url: str = ""
    external_id: str = ""


@dataclass(frozen=True)
class PageIndex:
    """What a page index says: which printed page it is and what it links."""

    page: str
    page_name: str
    date: str | None
    paper: str
    articles: tuple[str, ...]  # hrefs of its article pages, in page order
    pictures: tuple[str, ...]  # hrefs of the page picture and the page PDFs


_BLOCKS = frozenset(
    {"address", "article", "blockquote", "br", "center", "dd", "div", "dl", "dt", "founder-content"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "li", "ol", "p", "section", "table", "td", "th", "tr", "ul"}
)
_ENP_PROPERTY = re.compile(r"<!--\s*enpproperty(.*?)/enpproperty\s*-->", re.DOTALL | re.IGNORECASE)
_ENP_FIELD = re.compile(r"<([\w:-]+)>(.*?)</\1>", re.DOTALL)
_ENP_CONTENT = re.compile(r"<!--\s*enpcontent\s*-->(.*?)<!--\s*/enpcontent\s*-->", re.DOTALL | re.IGNORECASE)
_NPM_FIELD = re.compile(r"<!--\s*<npm:article-([\w-]+)>\s*-->(.*?)<!--\s*</npm:article-\1>\s*-->", re.DOTALL)
_MARKUP = re.compile(r"<[^>]*>|<!\[CDATA\[|\]\]>")
_ARTICLE_HREF = re.compile(r"(?:^|/)content_[\d_]+\.s?html?$", re.IGNORECASE)
_PICTURE_HREF = re.compile(r"\.(?:pdf|jpe?g|png|tiff?|webp)$", re.IGNORECASE)
_LABEL = re.compile(r"^\s*第?\s*([A-Za-z]?\d{1,3})\s*(?:版\s*[:：]?|[:：])\s*(\S*)")
_LABEL_START = re.compile(r"第\s*[A-Za-z]?\d{1,3}\s*版")
_TEXT_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})(?!\d)")
_ADDRESS_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})/(\d{2})(?!\d)")  # html/2024-06/28/, pc/layout/202406/28/
_TITLE_SEPARATORS = re.compile(r"\s*(?:--|—+|-|_|\||·|｜)\s*")
_PAPER_SUFFIXES = ("数字报", "电子报", "电子版", "数字版", "社")
_MAX_PAPER_CHARS = 12
# 本报讯（记者 张三）, 本报北京6月27日电（记者 李四）, 新华社南京6月27日电（记者 王五）
_DATELINE_CREDIT = re.compile(r"^\S{0,16}?[讯电]\s*[(（](?P<credit>[^()（）]{2,40})[)）]")
_BYLINE_SEARCH = 3  # a byline stands in the first paragraphs or not at all


def recognises(page: SavedPage) -> bool:
    """True for a page of Founder's e-paper templates (its metadata comment, tags or page map)."""
    marks = page.root.xpath(
        "//founder-content | //founder-title | //map[translate(@name, 'PAGEICM', 'pageicm') = 'pagepicmap']"
    )
    return bool(marks) or _ENP_PROPERTY.search(page.html) is not None or "<!--enpcontent-->" in page.html


def read_article(page: SavedPage) -> PageArticle | None:
    """The article of an article page; None when the page has no article body."""
    root, props = page.root, enp_properties(page.html)
    npm = {name: _markup_text(value) for name, value in _NPM_FIELD.findall(page.html)}
    paragraphs = _body(page)
    if not paragraphs:
        return None
    label = _text_label(root)
    paper = props.get("papername") or paper_in_title(page_title(root))
    url = props.get("url", "")
    return PageArticle(
        title=_first(_founder_title(root, paper), npm.get("title"), props.get("title")),
        paragraphs=tuple(paragraphs),
        kicker=_first(
            _element_headline(root, "founder-introtitle"), npm.get("pretitle"), props.get("introtitle")
        ),
        subtitle=_first(
            _element_headline(root, "founder-subtitle"), npm.get("subtitle"), props.get("subtitle")
        ),
        credit=_first(_element_headline(root, "founder-author"), npm.get("author"), props.get("author")),
        date=parse_iso_date(props.get("date", "")) or date_in_address(page.url or page.file.name),
        page=props.get("pagenum") or props.get("page") or (label[0] if label else ""),
        page_name=props.get("nodename") or (label[1] if label else ""),
        paper=paper,
        url=url if url.startswith("http") else "",
        external_id=props.get("articleid", ""),
    )


def read_index(page: SavedPage) -> PageIndex | None:
    """The printed page a page index shows; None when it links no article pages."""
    root, props = page.root, enp_properties(page.html)
    links = root.xpath("//a/@href")
    # The page map's areas are this page's articles; lists beside it may name other pages' too.
    articles = root.xpath("//map//area/@href") or [href for href in links if _ARTICLE_HREF.search(href)]
    if not articles:
        return None
    page_code, page_name = own_page_label(page) or _text_label(root) or (props.get("pagenum", ""), "")
    page_files = [href for href in links if _PICTURE_HREF.search(href)]
    return PageIndex(
        page=page_code,
        page_name=page_name,
        date=parse_iso_date(props.get("date", "")) or date_in_address(page.url or page.file.name),
        paper=props.get("papername") or paper_in_title(page_title(root)),
        articles=_unique(articles),
        pictures=(*_unique(root.xpath("//img[@usemap]/@src")), *own_page_files(page_files, page_code)),
    )


def own_page_files(hrefs: Sequence[str], page_code: str) -> tuple[str, ...]:
    """Of the page PDFs and pictures a page index links, its own: the only one, or those in a folder
    named by its 版次 (`page/2024-06/28/A01/….pdf`). The navigation links every page's PDF, and a PDF
    whose own page index was not saved must still be read."""
    distinct = _unique(hrefs)
    if len(distinct) <= 1:
        return distinct
    names = {page_code, page_key(page_code)} - {""}
    return tuple(href for href in distinct if names & set(PurePosixPath(urlsplit(href).path).parts[:-1]))


def enp_properties(page_html: str) -> dict[str, str]:
    """The fields of the `<!--enpproperty …-->` comment, `founder-` prefixes dropped: date, page, title …"""
    found = _ENP_PROPERTY.search(page_html)
    if found is None:
        return {}
    fields = {}
    for name, value in _ENP_FIELD.findall(found.group(1)):
        text = _markup_text(value)
        if text:
            fields.setdefault(name.lower().removeprefix("founder-"), text)
    return fields


def _body(page: SavedPage) -> list[str]:
    """The body's paragraphs: `<founder-content>`, else the enpcontent span, else `#ozoom`."""
    for content in page.root.iter("founder-content"):
        paragraphs = block_paragraphs(content)
        if paragraphs:
            return paragraphs
    marked = _ENP_CONTENT.search(page.html)
    if marked and marked.group(1).strip():
        return block_paragraphs(fragment_fromstring(marked.group(1), create_parent="div"))
    zoom = page.root.xpath("//*[@id='ozoom']")
    return block_paragraphs(zoom[0]) if zoom else []


def block_paragraphs(element: HtmlElement, skip_tables: bool = False) -> list[str]:
    """The element's text cut into paragraphs at block elements and line breaks, blanks dropped.

    Indents (full-width spaces) are stripped and runs of spaces inside a paragraph become one space.
    Scripts and styles are dropped; so are tables when `skip_tables` (picture captions inside a body).
    """
    copy = deepcopy(element)
    copy.tail = None
    dropped = ".//script | .//style" + (" | .//table" if skip_tables else "")
    for node in copy.xpath(dropped):
        node.drop_tree()
    for node in copy.iter():
        if isinstance(node.tag, str) and node.tag.lower() in _BLOCKS:
            node.text = "\n" + (node.text or "")
            node.tail = "\n" + (node.tail or "")
    lines = (" ".join(line.split()) for line in copy.text_content().split("\n"))
    return [line for line in lines if line]


def headline(element: HtmlElement, joiner: str = "") -> str:
    """A headline's text; its lines (cut by `<br>`) joined by `joiner`."""
    return joiner.join(block_paragraphs(element))


def _founder_title(root: HtmlElement, paper: str) -> str:
    # Some templates print the masthead in a <founder-title> of its own before the headline's.
    titles = (headline(element) for element in root.iter("founder-title"))
    return next((title for title in titles if title and title != paper), "")


def _element_headline(root: HtmlElement, tag: str, joiner: str = " ") -> str:
    found = next(root.iter(tag), None)
    return headline(found, joiner) if found is not None else ""


def _markup_text(value: str) -> str:
    return " ".join(html.unescape(_MARKUP.sub(" ", value)).split())


def _first(*values: str | None) -> str:
    return next((value for value in values if value), "")


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))


def page_title(root: HtmlElement) -> str:
    title = root.find(".//title")
    return title.text_content().strip() if title is not None else ""


def page_label(text: str) -> tuple[str, str] | None:
    """`第A01版：要闻` → ("A01", "要闻"); also `A01： 头版`, `第1版　要闻`, `第 01 版`; else None."""
    found = _LABEL.match(text)
    return (found.group(1).upper(), found.group(2)) if found else None


def own_page_label(page: SavedPage) -> tuple[str, str] | None:
    """The label of the page-navigation link that points at this very page (`第A02版：综合新闻`)."""
    own = page.file.path.name
    for anchor in page.root.iter("a"):
        target = PurePosixPath(unquote(urlsplit(anchor.get("href", "")).path)).name
        label = page_label(anchor.text_content()) if target == own else None
        if label:
            return label
    return None


def _text_label(root: HtmlElement) -> tuple[str, str] | None:
    """The first `第A01版：要闻` printed outside a link: the page's own label, not its navigation."""
    for element in root.iter():
        if not isinstance(element.tag, str) or not _LABEL_START.search(element.text or ""):
            continue
        if element.tag != "a" and not any(parent.tag == "a" for parent in element.iterancestors()):
            label = page_label(element.text_content())
            if label:
                return label
    return None


def date_in_text(text: str) -> str | None:
    """The first real date written as 2024年6月28日, 2024-06-28 or 2024/6/28."""
    for found in _TEXT_DATE.finditer(text):
        iso = valid_date(*found.groups())
        if iso:
            return iso
    return None


def date_in_address(address: str) -> str | None:
    """The issue date in an e-paper address (`html/2024-06/28/`, `layout/202406/28/`) or file name."""
    for found in _ADDRESS_DATE.finditer(address):
        iso = valid_date(*found.groups())
        if iso:
            return iso
    return date_from_name(address)


def paper_in_title(title: str) -> str:
    """The paper's name in a page title: `标题--武进日报` → 武进日报, `…·江西日报社数字报` → 江西日报."""
    for segment in reversed(_TITLE_SEPARATORS.split(title.strip())):
        name = segment
        for suffix in _PAPER_SUFFIXES:
            name = name.removesuffix(suffix)
        if name.endswith("报") and 2 < len(name) <= _MAX_PAPER_CHARS:
            return name
    return ""


def reporter_of(credit: str, paragraphs: Sequence[str]) -> str:
    """The reporter's names: from the credit the metadata gives, else from a byline opening the body
    (`本报讯（记者 张三 通讯员 李四）…`, `□ 记者 张三`)."""
    if credit:
        return reporter_from_credit(credit) or credit
    for paragraph in paragraphs[:_BYLINE_SEARCH]:
        names = byline_names(paragraph)
        dateline = _DATELINE_CREDIT.match(paragraph)
        if names is None and dateline:
            names = reporter_from_credit(dateline.group("credit"))
        if names:
            return names
    return ""
