"""Scanned page images (`.jpeg`, `.png`, `.tif`, …) → articles: OCR, then the shared page layout.

Each image is a page; a multi-page TIFF is one page a frame. Every page is read by
`embeddings.sources.printed.ocr` into a `PrintedPage` in pixels, and all pages of the build go through
`embeddings.sources.printed.layout.articles_from_pages` together, so a `下转第2版` continues across files.
A camera's EXIF orientation is applied first: a page photographed sideways reads like the others.

A file that is not a page becomes a one-line warning and the other files still load: one that
cannot be opened, one too small to hold newspaper text, or one in which OCR finds almost no text
(a photo or an illustration).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps

from embeddings.errors import CorpusError
from embeddings.sources.printed.layout import PrintedPage, articles_from_pages
from embeddings.sources.printed.ocr import ocr_page_lines
from embeddings.sources.reading import LoadResult, SourceFile

__all__ = ["MIN_PAGE_CHARS", "MIN_PAGE_SIDE_PX", "SUFFIXES", "read_articles"]

SUFFIXES = (".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp")
MIN_PAGE_SIDE_PX = 300  # a page scan smaller than this on its short side has no legible body text
MIN_PAGE_CHARS = 20  # fewer characters read: a photo's sign or caption, not a page of articles
# What Pillow raises for a file it cannot decode (UnidentifiedImageError is an OSError).
_UNDECODABLE = (OSError, EOFError, ValueError, Image.DecompressionBombError)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Frame:
    """One page of an image file, or why the file could not be decoded."""

    number: int  # 1-based page of the file
    name: str  # how warnings name it: the file, or "file: page 3" in a multi-page TIFF
    image: Image.Image | None  # upright; None when the file could not be decoded
    problem: str = ""


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    pages: list[PrintedPage] = []
    warnings: list[str] = []
    for file in files:
        for frame in _frames(file):
            page, problem = _page(file, frame)
            if page is not None:
                pages.append(page)
            else:
                warnings.append(problem)
    laid_out = articles_from_pages(pages)
    return LoadResult(laid_out.articles, warnings + laid_out.warnings)


def _frames(file: SourceFile) -> Iterator[_Frame]:
    """Each page of the file; a file that cannot be decoded ends with a frame saying so."""
    try:
        with Image.open(file.path) as image:
            # Other formats' extra frames are animation, not pages.
            count = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
            for index in range(count):
                image.seek(index)
                name = file.name if count == 1 else f"{file.name}: page {index + 1}"
                yield _Frame(index + 1, name, ImageOps.exif_transpose(image))
    except _UNDECODABLE as exc:
        problem = f"{file.name}: not a readable image ({exc}); expected a scanned page; skipped"
        yield _Frame(0, file.name, None, problem)


def _page(file: SourceFile, frame: _Frame) -> tuple[PrintedPage | None, str]:
    """The page read by OCR, or None and a warning saying why it is not a page."""
    image, name = frame.image, frame.name
    if image is None:
        return None, frame.problem
    if min(image.size) < MIN_PAGE_SIDE_PX:
        return None, (
            f"{name}: {image.width}×{image.height} px is too small for a newspaper page "
            f"(expected a scan at least {MIN_PAGE_SIDE_PX} px on its short side); skipped"
        )
    try:
        lines = ocr_page_lines(image)
    except CorpusError as exc:
        return None, f"{name}: {exc}; skipped"
    read = sum(len(line.text) for line in lines)
    logger.debug("%s: %d lines, %d characters read", name, len(lines), read)
    if read < MIN_PAGE_CHARS:
        return None, f"{name}: no page text found by OCR (a photo, not a newspaper page?); skipped"
    page = PrintedPage(file, frame.number, float(image.width), float(image.height), tuple(lines), ocr=True)
    return page, ""
