"""What a newspaper page becomes: one `Article` per story.

`Article.text` is the clean body: paragraphs joined back across column breaks, separated by a
single "\n". Character offsets of chunks and citations refer to this text. Where the article
came from a printed page (a PDF or a scan), `boxes` say where each span of that text is printed,
so a citation can show the page itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = ["Article", "Placement", "PrintedBox", "article_id"]


def article_id(title: str, text: str) -> str:
    """Stable id from content: the same story always gets the same id, a changed one a new id."""
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class PrintedBox:
    """Where the span `start:end` of `Article.text` is printed: one region of one page."""

    start: int
    end: int
    file: str  # the page's file as the build read it (a path); the page image is rendered from it
    page: int  # 1-based page of that file (a PDF's page; 1 for an image)
    box: tuple[float, float, float, float]  # x0, top, x1, bottom as fractions of the page's size
    image: str = ""  # key of the rendered page image: "<sha256 of the file, 16 hex>-p<page>"


@dataclass(frozen=True)
class Placement:
    """One place an article was printed or published."""

    source: str
    page: str = ""  # 版次 as printed: A03, 第3版, 3
    page_name: str = ""  # 版名: 要闻, 综合新闻
    date: str | None = None
    url: str = ""


@dataclass(frozen=True)
class Article:
    title: str
    text: str
    source: str
    subtitle: str = ""
    reporter: str = ""
    date: str | None = None  # ISO yyyy-mm-dd publication date; None when unknown (never invented)
    url: str = ""
    external_id: str = ""  # the id a JSONL export gave the article, kept for reference
    kicker: str = ""  # 引题: the line printed above the headline
    paper: str = ""  # 报名, e.g. 武进日报
    page: str = ""  # 版次 as printed (A03, 第3版), or the page number of a PDF
    page_name: str = ""  # 版名
    format: str = "text"  # how it was read: text, jsonl, html, pdf, ocr, founder-xml
    boxes: tuple[PrintedBox, ...] = ()  # where its text is printed, in text order (PDFs and scans)
    also_printed: tuple[Placement, ...] = ()  # a 转版 continuation's page, reprints of the same story
    uncertain: tuple[tuple[int, int], ...] = ()  # spans of text the OCR read with low confidence
    id: str = field(init=False)  # content hash, so a rebuild recognises unchanged stories

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", article_id(self.title, self.text))

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")

    def boxes_within(self, start: int, end: int) -> list[PrintedBox]:
        """The printed regions of the text span start:end, clipped to it."""
        return [
            PrintedBox(max(b.start, start), min(b.end, end), b.file, b.page, b.box, b.image)
            for b in self.boxes
            if b.start < end and start < b.end
        ]

    @staticmethod
    def from_row(row: dict) -> Article:
        """An article from its stored JSON form (`dataclasses.asdict`), nested records rebuilt."""
        row = dict(row)
        row.pop("id", None)
        row["boxes"] = tuple(PrintedBox(**{**box, "box": tuple(box["box"])}) for box in row.get("boxes", ()))
        row["also_printed"] = tuple(Placement(**place) for place in row.get("also_printed", ()))
        row["uncertain"] = tuple(tuple(span) for span in row.get("uncertain", ()))
        return Article(**row)
