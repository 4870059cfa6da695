"""Printed pages → articles: the layout analysis shared by page PDFs (text layer) and scans (OCR).

A `PrintedPage` is what a PDF's text layer or an OCR engine says is on one page: lines of text
with their boxes, font sizes and weight. `articles_from_pages` turns the pages of one build into
articles: columns put in reading order, headlines told from body text by size and weight,
bylines, article boundaries, `转第X版` / `下转` / `上接` continuations joined across pages, and
each article's `boxes` recording where every line of its text is printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.sources.reading import SourceFile

__all__ = ["PageLine", "PrintedPage"]


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
