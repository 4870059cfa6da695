"""paper.people.com.cn, the 人民日报 e-paper in its 2024 template (a Founder system with its own markup).

Addresses: `rmrb/pc/layout/202406/28/node_01.html` (a page index) and
`rmrb/pc/content/202406/28/content_30000000.html` (an article).

* A layout page names its 版 in `<div class="paper-bot"><p class="left ban">第01版：要闻</p>`, the issue in
  `<p class="date left">2024年06月28日 星期五</p>`; it shows the page picture with its `PagePicMap`,
  the article list `<ul class="news-list">`, the page PDF, and every page of the issue in the
  `swiper-container` navigation.
* An article page holds `<div class="article">`: `<h3>` 引题, `<h1>` 主题, `<h2>` 副题, `<p class="sec">`
  with the byline and the issue (`本报记者 张三 《 人民日报 》（ 2024年06月28日 第 01 版）`), and the body's
  paragraphs in `<div id="ozoom">`, whose tables hold picture captions, not text.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from embeddings.sources.continuations import page_key
from embeddings.sources.web.founder_epaper import (
    PageArticle,
    PageIndex,
    SavedPage,
    block_paragraphs,
    date_in_address,
    date_in_text,
    headline,
    own_page_files,
    own_page_label,
    page_label,
    page_title,
    paper_in_title,
)

__all__ = ["read_article", "read_index", "recognises"]

_HOST = "paper.people.com.cn"
_ARTICLE = "//div[contains(concat(' ', normalize-space(@class), ' '), ' article ')]"
_PAPER_BOT = "//div[contains(concat(' ', normalize-space(@class), ' '), ' paper-bot ')]"
_CURRENT_PAGE = _PAPER_BOT + "//*[contains(concat(' ', normalize-space(@class), ' '), ' ban ')]"
_ISSUE_DATE = "//*[contains(concat(' ', normalize-space(@class), ' '), ' date ')]"
# 《 人民日报 》（ 2024年06月28日 第 01 版）
_ISSUE = re.compile(r"《\s*(?P<paper>[^》]+?)\s*》\s*[(（](?P<issue>[^)）]*)[)）]")
_ISSUE_PAGE = re.compile(r"第\s*(\d{1,3})\s*版")


def recognises(page: SavedPage) -> bool:
    """True for a page from paper.people.com.cn or in its template."""
    root = page.root
    return _HOST in page.url or bool(root.xpath(_PAPER_BOT) or root.xpath(_ARTICLE + "//*[@id='ozoom']"))


def read_article(page: SavedPage) -> PageArticle | None:
    """The article of an article page; None when the page has no `div.article` with a body."""
    article = next(iter(page.root.xpath(_ARTICLE)), None)
    zoom = article.xpath(".//*[@id='ozoom']") if article is not None else []
    paragraphs = block_paragraphs(zoom[0], skip_tables=True) if zoom else []
    if article is None or not paragraphs:
        return None
    bylines = article.xpath(".//p[contains(@class, 'sec')]")
    byline = " ".join(" ".join(block_paragraphs(sec)) for sec in bylines)
    issue = _ISSUE.search(byline)
    issue_text = issue.group("issue") if issue else ""
    printed_on = _ISSUE_PAGE.search(issue_text)
    label = _current_page(page.root)
    page_code = printed_on.group(1) if printed_on else (label[0] if label else "")
    return PageArticle(
        title=_child_headline(article, "h1", ""),
        paragraphs=tuple(paragraphs),
        kicker=_child_headline(article, "h3"),
        subtitle=_child_headline(article, "h2"),
        credit=(byline[: issue.start()] if issue else byline).strip(),
        date=date_in_text(issue_text) or _issue_date(page),
        page=page_code,
        page_name=label[1] if label and page_key(label[0]) == page_key(page_code) else "",
        paper=issue.group("paper") if issue else paper_in_title(page_title(page.root)),
    )


def read_index(page: SavedPage) -> PageIndex | None:
    """The printed page a layout page shows; None when it links no articles."""
    root = page.root
    articles = root.xpath("//ul[contains(@class, 'news-list')]//a/@href | //map//area/@href")
    if not articles:
        return None
    page_code, page_name = _current_page(root) or own_page_label(page) or ("", "")
    pdfs = root.xpath("//a[contains(translate(@href, 'PDF', 'pdf'), '.pdf')]/@href")
    return PageIndex(
        page=page_code,
        page_name=page_name,
        date=_issue_date(page),
        paper=paper_in_title(page_title(root)),
        articles=tuple(dict.fromkeys(articles)),
        pictures=(*dict.fromkeys(root.xpath("//img[@usemap]/@src")), *own_page_files(pdfs, page_code)),
    )


def _current_page(root: HtmlElement) -> tuple[str, str] | None:
    current = root.xpath(_CURRENT_PAGE)
    return page_label(current[0].text_content()) if current else None


def _issue_date(page: SavedPage) -> str | None:
    dates = (date_in_text(element.text_content()) for element in page.root.xpath(_ISSUE_DATE))
    return next(filter(None, dates), None) or date_in_address(page.url or page.file.name)


def _child_headline(article: HtmlElement, tag: str, joiner: str = " ") -> str:
    found = article.find(f".//{tag}")
    return headline(found, joiner) if found is not None else ""
