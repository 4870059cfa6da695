"""Page PDFs → articles: each page's text layer (or, for a scanned page, its OCR) → `PrintedPage`.

pdfplumber gives the characters with their boxes and fonts; a run of characters on one baseline
without a wide gap is one `PageLine` (a gap wider than `_SPLIT_GAP_EMS` is a column gutter or the
space between masthead fields). A line's size is its characters' font size, and it is bold when
its font is a bold face other than the page's body font, or when it is drawn filled and stroked
(the fake bold of word processors, which only pdfium reports). A page without any text is a scan:
it is rendered at `OCR_DPI` and read by `embeddings.sources.printed.ocr`. The layout analysis shared with
scans is `embeddings.sources.printed.layout.articles_from_pages`.

An encrypted or damaged file, or a page with no text that OCR cannot read either, becomes a
one-line warning; the other pages and files still load.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pdfplumber
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.utils.exceptions import PdfminerException

from embeddings.errors import CorpusError
from embeddings.sources.printed.layout import Box, PageLine, PrintedPage, articles_from_pages
from embeddings.sources.reading import LoadResult, SourceFile

__all__ = ["OCR_DPI", "SUFFIXES", "read_articles", "read_pages"]

SUFFIXES = (".pdf",)
OCR_DPI = 200

logger = logging.getLogger(__name__)

_SPLIT_GAP_EMS = 0.8  # wider gaps between characters end a line: column gutters, masthead fields
_SPACE_GAP_EMS = 0.25  # a gap this wide with no space character in it reads as a space
_BOLD_FONT = re.compile(r"bold|heavy|black|黑体|hei|-b(?![a-z])", re.IGNORECASE)
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")  # embedded subsets: ABCDEF+FontName
_SAME_SIZE_RATIO = 1.2
_OPEN_ROWS = 8  # rows still open for the next character (sorted by bottom, only the last few can match)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_STROKED_MODES = frozenset((pdfium_c.FPDF_TEXTRENDERMODE_STROKE, pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE))


@dataclass(frozen=True)
class FilePages:
    pages: list[PrintedPage]
    warnings: list[str]


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    pages: list[PrintedPage] = []
    warnings: list[str] = []
    for file in files:
        found = read_pages(file)
        pages.extend(found.pages)
        warnings.extend(found.warnings)
    laid_out = articles_from_pages(pages)
    return LoadResult(laid_out.articles, warnings + laid_out.warnings)


def read_pages(file: SourceFile) -> FilePages:
    """The printed pages of one PDF; a page that cannot be read is a warning."""
    try:
        with pdfplumber.open(file.path) as plumbed:
            document = pdfium.PdfDocument(file.path)
            try:
                return _pages(file, plumbed, document)
            finally:
                document.close()
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFEncryptionError):
            problem = "is encrypted (password-protected); save an unprotected copy to index it"
        else:
            problem = f"is not a readable PDF ({cause or type(cause).__name__}); re-export or re-download it"
        return FilePages([], [f"{file.name}: {problem}; skipped"])
    except pdfium.PdfiumError as exc:
        return FilePages(
            [], [f"{file.name}: is not a readable PDF ({exc}); re-export or re-download it; skipped"]
        )


def _pages(file: SourceFile, plumbed: pdfplumber.PDF, document: pdfium.PdfDocument) -> FilePages:
    pages: list[PrintedPage] = []
    warnings: list[str] = []
    for index, page in enumerate(plumbed.pages):
        number = index + 1
        try:
            lines = text_lines(page.chars, _stroked_boxes(document[index], page.height))
        except (PdfminerException, ValueError, KeyError, TypeError) as exc:  # a broken content stream
            warnings.append(f"{file.name}: page {number}: its text could not be read ({exc}); page skipped")
            continue
        finally:
            page.close()  # pdfplumber keeps every page's objects otherwise: a 100-page file in memory
        if lines:
            pages.append(PrintedPage(file, number, float(page.width), float(page.height), tuple(lines)))
            continue
        scanned, problem = _ocr_page(file, document, index)
        if scanned is not None:
            pages.append(scanned)
        else:
            warnings.append(f"{file.name}: page {number}: {problem}; page skipped")
    return FilePages(pages, warnings)


def _ocr_page(file: SourceFile, document: pdfium.PdfDocument, index: int) -> tuple[PrintedPage | None, str]:
    """The page read by OCR, or None and why not."""
    try:
        from embeddings.sources.printed.ocr import ocr_page_lines  # loads the OCR models: only for scans
    except ImportError as exc:
        return None, f"has no text layer and OCR could not be loaded ({exc}); reinstall newsqa's dependencies"
    image = document[index].render(scale=OCR_DPI / 72).to_pil()
    try:
        lines = ocr_page_lines(image)
    except CorpusError as exc:
        return None, f"has no text layer and OCR failed ({exc})"
    if not lines:
        return None, "has no text layer and OCR found no text (a blank page or a picture)"
    page = PrintedPage(file, index + 1, float(image.width), float(image.height), tuple(lines), ocr=True)
    return page, ""


def _stroked_boxes(page: pdfium.PdfPage, height: float) -> list[Box]:
    """Boxes (x0, top, x1, bottom; top-down like pdfplumber) of text drawn stroked: fake bold."""
    boxes = []
    for text in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT]):
        if pdfium_c.FPDFTextObj_GetTextRenderMode(text.raw) in _STROKED_MODES:
            left, bottom, right, top = text.get_bounds()
            boxes.append((left, height - top, right, height - bottom))
    return boxes


def text_lines(chars: list[dict], stroked: Sequence[Box] = ()) -> list[PageLine]:
    """pdfplumber characters → lines: one baseline, one size, no gap wider than `_SPLIT_GAP_EMS`.

    Rotated characters (pdfplumber's `upright` false) are left out: they are vertical captions or
    stamps, and would break the rows they cross."""
    upright = [char for char in chars if char.get("upright", True)]
    body_font = _body_font(upright)
    return [_page_line(run, body_font, stroked) for run in _runs(upright) if _glyphs(run)]


def _glyphs(chars: list[dict]) -> list[dict]:
    return [char for char in chars if char["text"].strip()]


def _body_font(chars: list[dict]) -> str:
    fonts = Counter(_font_name(char) for char in _glyphs(chars))
    return fonts.most_common(1)[0][0] if fonts else ""


def _font_name(char: dict) -> str:
    return _SUBSET_PREFIX.sub("", char.get("fontname", ""))


def _runs(chars: list[dict]) -> Iterator[list[dict]]:
    """Rows of characters cut at wide gaps, each run left to right. A gap is wide against the
    body text's size even between headline characters: the titles of two articles side by side
    stand only a gutter apart."""
    body_size = statistics.median(char["size"] for char in chars) if chars else 0.0
    for row in _rows(chars):
        run = [row[0]]
        for char in row[1:]:
            if char["x0"] - run[-1]["x1"] > _SPLIT_GAP_EMS * min(char["size"], body_size):
                yield run
                run = []
            run.append(char)
        yield run


def _rows(chars: list[dict]) -> list[list[dict]]:
    """Characters of about one size whose bottoms lie within a third of that size: one row. A
    headline beside the body text of the next column shares no row with it."""
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: c["bottom"]):
        row = next((row for row in reversed(rows[-_OPEN_ROWS:]) if _same_row(row[0], char)), None)
        if row is None:
            rows.append([char])
        else:
            row.append(char)
    return [sorted(row, key=lambda c: c["x0"]) for row in rows]


def _same_row(first: dict, char: dict) -> bool:
    size, other = first["size"], char["size"]
    similar = max(size, other) <= _SAME_SIZE_RATIO * min(size, other)
    return similar and abs(char["bottom"] - first["bottom"]) <= size / 3


def _page_line(run: list[dict], body_font: str, stroked: Sequence[Box]) -> PageLine:
    glyphs = _glyphs(run)
    box = (
        min(c["x0"] for c in glyphs),
        min(c["top"] for c in glyphs),
        max(c["x1"] for c in glyphs),
        max(c["bottom"] for c in glyphs),
    )
    font = Counter(_font_name(c) for c in glyphs).most_common(1)[0][0]
    bold = (font != body_font and bool(_BOLD_FONT.search(font))) or _centre_inside(box, stroked)
    size = statistics.median(c["size"] for c in glyphs)
    return PageLine(text=_run_text(run), box=box, size=float(size), bold=bold)


def _run_text(run: list[dict]) -> str:
    """The characters' text, one space for each space character or wide gap, except that a mere
    gap between two Chinese characters is justification, not a space."""
    text, spaced, before = "", False, None
    for char in run:
        if not char["text"].strip():
            spaced = True
            continue
        if before is not None:
            wide = char["x0"] - before["x1"] > _SPACE_GAP_EMS * char["size"]
            if spaced or (wide and not (_is_cjk(before["text"]) and _is_cjk(char["text"]))):
                text += " "
        text += char["text"]
        spaced, before = False, char
    return text


def _is_cjk(text: str) -> bool:
    return bool(_CJK.match(text))


def _centre_inside(box: Box, regions: Sequence[Box]) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in regions)
