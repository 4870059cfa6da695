"""Scans read by real OCR (RapidOCR's bundled models, no mocks): `ocr_page_lines` and `image`.

OCR costs about 0.3 s a text line on two cores, so the module reads few images, each once
(module-scoped fixtures), and the newspaper page is the top tier of a generated A3 page from
`newspaper_pages.py` rendered at 200 dpi, not the whole page.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from newspaper_pages import PAGE_HEIGHT, PAGE_WIDTH, DrawnLine, Issue, TruthArticle, make_issue, write_pdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from embeddings.articles import Article
from embeddings.sources import load_articles
from embeddings.sources.printed import image as image_format
from embeddings.sources.printed.layout import LOW_CONFIDENCE, PageLine
from embeddings.sources.printed.ocr import ocr_page_lines
from embeddings.sources.reading import SourceFile

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
DPI = 200
CHAR_PX = 28  # 10 pt at 200 dpi
GUTTER_PX = 35  # 1.25 characters: close enough that RapidOCR boxes some lines across it
COLUMN_CHARS = 14
COLUMN_LINES = 6
MARGIN_PX = 60
BYLINE = "本报记者　顾晓燕　钱伟"  # full-width spaces: one line that the detector may box in pieces
BODY = (
    "今年以来，我区坚持把招商引资作为经济工作的生命线，围绕新能源、智能制造等重点产业链精准招商，"
    "一批投资规模大、科技含量高、带动能力强的优质项目相继落户。截至目前，全区新签约亿元以上项目四十二个，"
    "计划总投资三百六十亿元。区商务局负责人介绍，下一步将持续优化营商环境，完善项目全周期服务机制，"
    "推动签约项目早开工、开工项目早投产。与此同时，各镇街道也结合自身产业基础，积极对接长三角优质资源，"
    "在科技研发、人才引进、市场开拓等方面深化合作，为高质量发展注入新动能。在湖塘镇的一家装备制造企业，"
    "新投用的智能生产线正在满负荷运转，企业负责人说，今年订单同比增长三成，新招聘技术工人八十余名。"
    "园区管委会表示，将加快标准厂房和人才公寓建设，让企业引得进、留得住、发展好。"
)
BLURRED = "活动现场，志愿者分成五个小组，为群众提供政策咨询"
VERTICAL = "武进新闻"
SEED = 15  # its 4-column page's top tier holds three whole articles in 78 lines


def _letters(text: str) -> str:
    """Text without whitespace and punctuation, full-width forms folded (OCR reads ( as （)."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))


def char_accuracy(truth: str, read: str) -> float:
    """Share of the truth's characters that the reading has, in order."""
    truth, read = _letters(truth), _letters(read)
    blocks = difflib.SequenceMatcher(None, truth, read, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) / max(len(truth), 1)


def char_f1(truth: str, read: str) -> float:
    """F1 of the two texts' characters taken as multisets."""
    want, got = Counter(_letters(truth)), Counter(_letters(read))
    common = sum((want & got).values())
    return 2 * common / max(sum(want.values()) + sum(got.values()), 1)


# ---- lines of a drawn page -------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnText:
    text: str
    column: int
    box: tuple[float, float, float, float]  # of the glyphs' ink, pixels


@dataclass(frozen=True)
class DrawnPage:
    image: Image.Image
    lines: tuple[DrawnText, ...]
    columns: tuple[tuple[float, float], ...]  # x0, x1 of each column
    blurred: tuple[float, float, float, float]  # where the blurred line is
    vertical: tuple[float, float, float, float]  # where the vertical headline is


def _column_texts() -> list[str]:
    assert len(BODY) >= (4 * COLUMN_LINES - 1) * COLUMN_CHARS
    texts, rest = [BYLINE], BODY
    while len(texts) < 4 * COLUMN_LINES:
        texts.append(rest[:COLUMN_CHARS])
        rest = rest[COLUMN_CHARS:]
    return texts


def draw_columns_page() -> DrawnPage:
    """Four columns of 10-pt text 1.25 characters apart, a blurred line below them and a
    vertical headline at the right."""
    font = ImageFont.truetype(FONT, CHAR_PX)
    column_width = COLUMN_CHARS * CHAR_PX
    columns_right = MARGIN_PX + 4 * column_width + 3 * GUTTER_PX
    image = Image.new("RGB", (columns_right + 160, 560), "white")
    draw = ImageDraw.Draw(image)
    drawn = []
    for k, text in enumerate(_column_texts()):
        column, row = divmod(k, COLUMN_LINES)
        x, y = MARGIN_PX + column * (column_width + GUTTER_PX), MARGIN_PX + row * CHAR_PX * 3 // 2
        draw.text((x, y), text, font=font, fill="black")
        drawn.append(DrawnText(text, column, draw.textbbox((x, y), text, font=font)))
    lefts = [MARGIN_PX + column * (column_width + GUTTER_PX) for column in range(4)]
    columns = tuple((x0, x0 + column_width) for x0 in lefts)
    band = Image.new("RGB", (column_width * 2, CHAR_PX * 2), "white")
    ImageDraw.Draw(band).text((8, CHAR_PX // 2), BLURRED, font=ImageFont.truetype(FONT, 26), fill="black")
    blurred_at = (MARGIN_PX, 440)
    image.paste(band.filter(ImageFilter.GaussianBlur(3.5)), blurred_at)
    blurred = (*blurred_at, blurred_at[0] + band.width, blurred_at[1] + band.height)
    headline = ImageFont.truetype(FONT, 48)
    x = columns_right + 60
    for k, char in enumerate(VERTICAL):
        draw.text((x, MARGIN_PX + k * 56), char, font=headline, fill="black")
    vertical = (x - 10, MARGIN_PX - 10, x + 60, MARGIN_PX + len(VERTICAL) * 56 + 10)
    return DrawnPage(image, tuple(drawn), columns, blurred, vertical)


@pytest.fixture(scope="module")
def columns_page() -> DrawnPage:
    return draw_columns_page()


@pytest.fixture(scope="module")
def columns_read(columns_page: DrawnPage) -> list[PageLine]:
    return ocr_page_lines(columns_page.image)


def _inside(line: PageLine, region: tuple[float, float, float, float], slack: float = 0.0) -> bool:
    x0, top, x1, bottom = line.box
    return (
        x0 >= region[0] - slack
        and x1 <= region[2] + slack
        and top >= region[1] - slack
        and bottom <= region[3] + slack
    )


def _centre_in(line: PageLine, box: tuple[float, float, float, float]) -> bool:
    x, y = (line.box[0] + line.box[2]) / 2, (line.box[1] + line.box[3]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def test_columns_read_line_by_line_into_their_columns(columns_page: DrawnPage, columns_read: list[PageLine]):
    in_columns = [line for line in columns_read if line.box[1] < columns_page.blurred[1]]
    slack = CHAR_PX / 2
    for line in in_columns:  # never one line across a gutter
        assert any(
            x0 - slack <= line.box[0] and line.box[2] <= x1 + slack for x0, x1 in columns_page.columns
        ), line
    accuracies = []
    for column, (x0, x1) in enumerate(columns_page.columns):
        truth = [drawn for drawn in columns_page.lines if drawn.column == column]
        read = sorted(
            (line for line in in_columns if x0 - slack <= line.box[0] <= x1), key=lambda line: line.box[1]
        )
        assert len(read) == len(truth), [line.text for line in read]  # pieces merged, nothing split
        accuracies.append(char_accuracy("".join(d.text for d in truth), "".join(line.text for line in read)))
        for drawn, line in zip(truth, read, strict=True):
            assert _centre_in(line, drawn.box), (drawn, line)
            assert all(abs(a - b) <= CHAR_PX for a, b in zip(line.box, drawn.box, strict=True)), (
                drawn,
                line,
            )
            assert 0.6 * CHAR_PX <= line.size <= 1.2 * CHAR_PX
            assert line.bold is False
    accuracy = sum(accuracies) / len(accuracies)
    print(f"\nOCR character accuracy on 10-pt columns: {accuracy:.4f} (per column {accuracies})")
    assert accuracy >= 0.9


def test_byline_with_wide_spaces_is_one_line(columns_page: DrawnPage, columns_read: list[PageLine]):
    byline = next(drawn for drawn in columns_page.lines if drawn.text == BYLINE)
    read = [line for line in columns_read if _centre_in(line, byline.box)]
    assert len(read) == 1
    assert char_accuracy(BYLINE, read[0].text) >= 0.8


def test_blurred_text_is_read_with_low_confidence(columns_page: DrawnPage, columns_read: list[PageLine]):
    blurred = [line for line in columns_read if _inside(line, columns_page.blurred, slack=4)]
    assert blurred, "the blurred line was not read at all"
    assert all(line.confidence < LOW_CONFIDENCE for line in blurred), blurred
    sharp = [line for line in columns_read if line.box[1] < columns_page.blurred[1]]
    assert min(line.confidence for line in sharp) >= LOW_CONFIDENCE


def test_vertical_headline_is_left_out_and_joins_no_column(
    columns_page: DrawnPage, columns_read: list[PageLine]
):
    touching = [line for line in columns_read if line.box[2] > columns_page.vertical[0]]
    assert all(_inside(line, columns_page.vertical) for line in touching), touching


# ---- files that are not pages ----------------------------------------------------------------


def _photo() -> Image.Image:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:900, 0:1200]
    sky = np.stack([x * 200 // 1200, y * 255 // 900, np.full_like(x, 180)], axis=-1)
    return Image.fromarray(np.clip(sky + rng.normal(0, 25, sky.shape), 0, 255).astype(np.uint8))


def _noise() -> Image.Image:
    return Image.fromarray(np.random.default_rng(3).integers(0, 256, (800, 1000, 3), dtype=np.uint8))


def _tiny_page() -> Image.Image:
    image = Image.new("RGB", (280, 200), "white")
    ImageDraw.Draw(image).text((10, 80), "本报讯小图片", font=ImageFont.truetype(FONT, 24), fill="black")
    return image


def test_photos_tiny_and_unreadable_images_are_warnings(tmp_path: Path):
    files = {
        "photo.jpg": lambda path: _photo().save(path, quality=90),
        "noise.png": lambda path: _noise().save(path),
        "tiny.png": lambda path: _tiny_page().save(path),
        "broken.png": lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        "frames.tif": lambda path: _noise().save(path, save_all=True, append_images=[_tiny_page()]),
    }
    sources = []
    for name, write in files.items():
        write(tmp_path / name)
        sources.append(SourceFile(tmp_path / name, f"scans/{name}"))
    result = image_format.read_articles(sources)
    assert result.articles == []
    by_file = {name: [w for w in result.warnings if w.startswith(f"scans/{name}")] for name in files}
    assert len(result.warnings) == 6, result.warnings
    photo_warning = "no page text found by OCR (a photo, not a newspaper page?); skipped"
    assert by_file["photo.jpg"] == [f"scans/photo.jpg: {photo_warning}"]
    assert by_file["noise.png"] == [f"scans/noise.png: {photo_warning}"]
    assert "280×200 px is too small for a newspaper page" in by_file["tiny.png"][0]
    assert (
        "not a readable image" in by_file["broken.png"][0]
        and "expected a scanned page" in by_file["broken.png"][0]
    )
    assert by_file["frames.tif"] == [
        f"scans/frames.tif: page 1: {photo_warning}",
        "scans/frames.tif: page 2: 280×200 px is too small for a newspaper page "
        "(expected a scan at least 300 px on its short side); skipped",
    ]
    assert all("\n" not in warning and "Traceback" not in warning for warning in result.warnings)


# ---- a generated newspaper page, end to end --------------------------------------------------


@dataclass(frozen=True)
class ScannedTier:
    image: Image.Image  # the top of the rendered page, full width
    page_height_px: int  # of the whole rendered page
    articles: tuple[TruthArticle, ...]  # the articles printed whole in it
    blurred: TruthArticle  # two of its body lines are blurred
    blurred_text: str


def _pixels(line: DrawnLine, size: tuple[int, int]) -> tuple[int, int, int, int]:
    x0, top, x1, bottom = line.box
    return int(x0 * size[0]) - 4, int(top * size[1]) - 4, int(x1 * size[0]) + 4, int(bottom * size[1]) + 4


def _render(pdf: Path) -> Image.Image:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[0].render(scale=DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()


@pytest.fixture(scope="module")
def issue() -> Issue:
    return make_issue(SEED, page_count=1, columns=(4,))


@pytest.fixture(scope="module")
def scanned_tier(issue: Issue, tmp_path_factory: pytest.TempPathFactory) -> ScannedTier:
    """The page's masthead and first tier of articles as a 200-dpi scan, two lines blurred."""
    page = issue.pages[0]
    pdf = write_pdf(tmp_path_factory.mktemp("issue") / "issue.pdf", issue.pages)
    rendered = _render(pdf)
    tier_bottom = page.rules[1][1] - 4  # rules[0] is under the masthead, rules[1] under the first tier
    whole = tuple(a for a in issue.articles if all(line.baseline < tier_bottom for _, line in a.lines))
    image = rendered.crop((0, 0, rendered.width, int(tier_bottom / PAGE_HEIGHT * rendered.height)))
    blurred = max(whole, key=lambda a: len(a.lines))
    body = [line for _, line in blurred.lines if line.role == "body"]
    for line in body[4:6]:
        box = _pixels(line, rendered.size)
        image.paste(image.crop(box).filter(ImageFilter.GaussianBlur(3.5)), box[:2])
    return ScannedTier(image, rendered.height, whole, blurred, "".join(line.text for line in body[4:6]))


def _best_match(truth: TruthArticle, articles: list[Article]) -> Article:
    return max(articles, key=lambda article: char_f1(truth.text, article.text))


def _recovery(truths: tuple[TruthArticle, ...], articles: list[Article]) -> tuple[list[float], float]:
    scores = [char_f1(t.text, _best_match(t, articles).text) for t in truths]
    read = "".join(_best_match(t, articles).title + _best_match(t, articles).text for t in truths)
    return scores, char_accuracy("".join(t.title + t.text for t in truths), read)


@pytest.fixture(scope="module")
def scan_folder_result(scanned_tier: ScannedTier, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("scans")
    scanned_tier.image.save(folder / "page-01.png")
    _photo().save(folder / "reporter-photo.jpg", quality=90)
    return load_articles([folder])


def test_scanned_page_articles_recovered(scanned_tier: ScannedTier, scan_folder_result):
    articles = scan_folder_result.articles
    assert {article.format for article in articles} == {"ocr"}
    scores, accuracy = _recovery(scanned_tier.articles, articles)
    mean = sum(scores) / len(scores)
    rounded = [round(score, 3) for score in scores]
    print(f"\nscan: character accuracy {accuracy:.4f}, article F1 {rounded} mean {mean:.4f}")
    assert accuracy >= 0.9
    assert mean >= 0.85
    for truth in scanned_tier.articles:
        assert _best_match(truth, articles).title == truth.title
    warnings = scan_folder_result.warnings
    assert any("/reporter-photo.jpg: no page text found by OCR" in w for w in warnings), warnings


def test_scanned_page_boxes_point_at_the_printed_lines(scanned_tier: ScannedTier, scan_folder_result):
    truth = scanned_tier.articles[0]
    article = _best_match(truth, scan_folder_result.articles)
    assert article.boxes and all(box.file.endswith("page-01.png") and box.page == 1 for box in article.boxes)
    # Boxes are fractions of the scan, which is the top of the page: truth fractions of the page
    # scale by the page's height over the scan's.
    stretch = scanned_tier.page_height_px / scanned_tier.image.height
    for _, line in truth.lines:
        x0, top, x1, bottom = line.box
        centre = ((x0 + x1) / 2, (top + bottom) / 2 * stretch)
        assert any(
            b.box[0] <= centre[0] <= b.box[2] and b.box[1] <= centre[1] <= b.box[3] for b in article.boxes
        ), line


def test_blurred_lines_are_marked_uncertain(scanned_tier: ScannedTier, scan_folder_result):
    article = _best_match(scanned_tier.blurred, scan_folder_result.articles)
    assert article.uncertain, "the blurred lines were read as certain"
    uncertain = "".join(article.text[start:end] for start, end in article.uncertain)
    assert len(_letters(uncertain)) >= len(_letters(scanned_tier.blurred_text)) // 2
    assert len(_letters(uncertain)) <= 3 * len(_letters(scanned_tier.blurred_text))


def test_image_only_pdf_is_read_by_ocr(scanned_tier: ScannedTier, issue: Issue, tmp_path: Path):
    truth = min(scanned_tier.articles, key=lambda a: len(a.lines))
    page = issue.pages[0]
    scale = scanned_tier.image.width / PAGE_WIDTH
    x0 = min(line.x for _, line in truth.lines) - 6
    x1 = max(line.x + line.width for _, line in truth.lines) + 6
    top, bottom = page.rules[0][1] + 2, max(line.baseline for _, line in truth.lines) + 8
    block = scanned_tier.image.crop(tuple(int(v * scale) for v in (x0, top, x1, bottom)))
    pdf = tmp_path / "scanned-page.pdf"
    block.save(pdf, "PDF", resolution=float(DPI))
    result = load_articles([pdf])
    best = _best_match(truth, result.articles)
    print(f"\nimage-only PDF: article F1 {char_f1(truth.text, best.text):.4f}")
    assert best.format == "ocr"
    assert best.boxes[0].file.endswith("scanned-page.pdf")
    assert char_f1(truth.text, best.text) >= 0.85
