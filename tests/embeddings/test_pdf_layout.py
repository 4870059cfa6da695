"""Page PDFs with a text layer → articles: generated newspaper pages read back against their truth.

The pages come from `newspaper_pages.py`: A3 pages of 4, 5 and 6 columns with mastheads, kickers,
titles over one to three columns, subtitles, the usual bylines and one article continued from
page 1 to page 2. Each test reads PDFs written once per module.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from newspaper_pages import (
    Issue,
    TruthArticle,
    best_matches,
    char_f1,
    make_issue,
    score,
    write_pdf,
)
from reportlab.lib.pagesizes import A3
from reportlab.pdfgen import canvas

from embeddings.articles import PrintedBox
from embeddings.sources import load_articles
from embeddings.sources.printed.layout import LOW_CONFIDENCE, PageLine, PrintedPage, articles_from_pages
from embeddings.sources.printed.pdf import read_articles
from embeddings.sources.reading import LoadResult, SourceFile

# Two issues, so that the pages have 6, 4, 5 and 6 columns.
ISSUES = {"wjrb_20231128.pdf": (3, (6, 4)), "czrb_20240305.pdf": (8, (5, 6))}
MARKERS = re.compile(r"[（(](?:下转|转|上接|接)")


@dataclasses.dataclass(frozen=True)
class ReadIssue:
    issue: Issue
    path: Path
    result: LoadResult


@pytest.fixture(scope="module")
def issues(tmp_path_factory: pytest.TempPathFactory) -> list[ReadIssue]:
    folder = tmp_path_factory.mktemp("pages")
    read = []
    for name, (seed, columns) in ISSUES.items():
        issue = make_issue(seed, columns=columns)
        path = write_pdf(folder / name, issue.pages)
        read.append(ReadIssue(issue, path, read_articles([SourceFile(path, name)])))
    return read


@pytest.fixture(scope="module")
def two_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Issue, list[Path], LoadResult]:
    """The first issue again, each page its own file."""
    folder = tmp_path_factory.mktemp("two-files")
    seed, columns = ISSUES["wjrb_20231128.pdf"]
    issue = make_issue(seed, columns=columns)
    paths = [write_pdf(folder / f"wjrb_20231128_p{page.number}.pdf", [page]) for page in issue.pages]
    return issue, paths, read_articles([SourceFile(path, path.name) for path in paths])


def _continued(issue: Issue) -> TruthArticle:
    return next(article for article in issue.articles if len(article.pages) == 2)


def test_every_article_is_read_back(issues: list[ReadIssue]) -> None:
    for read in issues:
        assert read.result.warnings == []
        scores = score(read.result.articles, read.issue.articles)
        low = [
            (t.title, round(f1, 3))
            for t, f1 in zip(read.issue.articles, scores.text_f1, strict=True)
            if f1 < 0.95
        ]
        assert low == [], read.path.name
        assert len(read.result.articles) == len(read.issue.articles)
        assert scores.segmentation_f1 >= 0.95


def test_titles_bylines_kickers_and_subtitles(issues: list[ReadIssue]) -> None:
    for read in issues:
        scores = score(read.result.articles, read.issue.articles)
        assert scores.titles >= 0.95 and scores.reporters >= 0.95, read.path.name
        assert scores.kickers >= 0.9 and scores.subtitles >= 0.9, read.path.name


def test_text_keeps_paragraphs_and_the_byline_paragraph(issues: list[ReadIssue]) -> None:
    for read in issues:
        matches = best_matches(read.result.articles, read.issue.articles)
        for found, wanted in zip(matches, read.issue.articles, strict=True):
            assert found.paragraphs[0].replace(" ", "") == wanted.text.split("\n")[0].replace(" ", "")
            # Paragraph breaks where the page has them: equal up to spaces at line ends.
            assert found.text.replace(" ", "") == wanted.text.replace(" ", ""), wanted.title


def test_the_continued_article_is_one_article_over_both_pages(issues: list[ReadIssue]) -> None:
    for read in issues:
        wanted = _continued(read.issue)
        (article,) = best_matches(read.result.articles, [wanted])
        # Both parts in it (the part on page 2 is no article of its own), the markers gone.
        assert char_f1(article.text, wanted.text) >= 0.99 and not MARKERS.search(article.text)
        assert len(read.result.articles) == len(read.issue.articles)
        assert {box.page for box in article.boxes} == {1, 2}
        assert article.page == read.issue.pages[0].page_label
        assert [p.page for p in article.also_printed] == [read.issue.pages[1].page_label]
        assert article.also_printed[0].page_name == read.issue.pages[1].page_name


def test_a_continuation_in_another_file_is_joined(two_files: tuple[Issue, list[Path], LoadResult]) -> None:
    issue, paths, result = two_files
    assert result.warnings == []
    wanted = _continued(issue)
    (article,) = best_matches(result.articles, [wanted])
    assert char_f1(article.text, wanted.text) >= 0.99
    assert {(box.file, box.page) for box in article.boxes} == {(str(paths[0]), 1), (str(paths[1]), 1)}
    assert article.source == paths[0].name
    assert [(p.source, p.page) for p in article.also_printed] == [(paths[1].name, issue.pages[1].page_label)]
    assert len(result.articles) == len(issue.articles)


def test_mastheads(issues: list[ReadIssue]) -> None:
    for read in issues:
        truth_pages = {page.page_label: page for page in read.issue.pages}
        for article in read.result.articles:
            page = truth_pages[article.page]
            assert (article.paper, article.date, article.page_name) == (page.paper, page.date, page.page_name)
            assert article.format == "pdf" and article.source == read.path.name


def test_a_page_without_masthead_takes_date_and_page_from_the_file_name(tmp_path: Path) -> None:
    issue = make_issue(21, page_count=1, masthead=False)
    path = write_pdf(tmp_path / "wujin_2024-03-05_p3.pdf", issue.pages)
    result = read_articles([SourceFile(path, "wujin/wujin_2024-03-05_p3.pdf")])
    assert result.articles and all(a.date == "2024-03-05" and a.page == "3" for a in result.articles)
    assert all(a.paper == "" and a.page_name == "" for a in result.articles)
    assert min(score(result.articles, issue.articles).text_f1) >= 0.95


def _contains(outer: tuple[float, ...], inner: tuple[float, ...], slack: float) -> bool:
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def _centre(box: tuple[float, ...]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _compact(text: str) -> str:
    return "".join(text.split())


def _drawn_where(box: PrintedBox, span: str, issue: Issue) -> bool:
    """The box lies on the drawn line whose text holds `span`, within its glyphs give or take
    half a character, and covers the middle of its part of that line."""
    for line in issue.pages[box.page - 1].lines:
        slack = line.size / A3[1] / 2
        if _contains(line.box, box.box, slack) and _compact(span) in _compact(line.text):
            return True
    return False


def test_boxes_lie_in_the_page_and_where_each_line_was_drawn(issues: list[ReadIssue]) -> None:
    for read in issues:
        boxes = [(article, box) for article in read.result.articles for box in article.boxes]
        for article, box in boxes:
            x0, top, x1, bottom = box.box
            assert 0 <= x0 < x1 <= 1 and 0 <= top < bottom <= 1
            assert box.file == str(read.path) and box.image.endswith(f"-p{box.page}")
            assert 0 <= box.start < box.end <= len(article.text)
        placed = [_drawn_where(box, article.text[box.start : box.end], read.issue) for article, box in boxes]
        assert len(placed) > 500 and sum(placed) / len(placed) >= 0.99
        # Every character of the text has its box (the paragraph breaks between them have none).
        for article in read.result.articles:
            covered = sum(box.end - box.start for box in article.boxes)
            assert covered == len(article.text) - article.text.count("\n")


def test_a_known_sentence_is_boxed_where_it_was_drawn(issues: list[ReadIssue]) -> None:
    read = issues[0]
    wanted = read.issue.articles[0]
    page, line = [(page, line) for page, line in wanted.lines if line.role == "body"][5]
    found = best_matches(read.result.articles, [wanted])[0]
    x, y = _centre(line.box)
    (box,) = [
        b for b in found.boxes if b.page == page and b.box[0] <= x <= b.box[2] and b.box[1] <= y <= b.box[3]
    ]
    assert _compact(found.text[box.start : box.end]) == _compact(line.text)
    assert _contains(line.box, box.box, line.size / A3[1] / 2)


def test_low_confidence_ocr_lines_are_uncertain_spans() -> None:
    """The layout on OCR-like input: pixel units, a confidence per line (no OCR engine needed)."""
    issue = make_issue(5, page_count=1, columns=(5,))
    scale = 200 / 72
    file = SourceFile(Path(__file__), "scan.pdf")
    doubtful = {
        k
        for k, line in enumerate(issue.pages[0].lines)
        if line.role == "body" and k % 7 == 0 and not line.text.startswith("本报讯")
    }
    lines = tuple(
        PageLine(
            text=line.text,
            box=tuple(v * side * scale for v, side in zip(line.box, (*A3, *A3), strict=True)),
            size=line.size * scale,
            bold=line.bold,
            confidence=0.5 if k in doubtful else 0.95,
        )
        for k, line in enumerate(issue.pages[0].lines)
    )
    page = PrintedPage(file, 1, A3[0] * scale, A3[1] * scale, lines, ocr=True)
    result = articles_from_pages([page])
    assert min(score(result.articles, issue.articles).text_f1) >= 0.95
    assert all(article.format == "ocr" for article in result.articles)
    uncertain = {article.text[start:end] for article in result.articles for start, end in article.uncertain}
    assert uncertain == {issue.pages[0].lines[k].text for k in doubtful}
    assert 0.5 < LOW_CONFIDENCE < 0.95


def _blank_pdf(path: Path, pages: int = 1) -> Path:
    pdf = canvas.Canvas(str(path), pagesize=(144, 144))  # small: OCR, where installed, looks at it
    for _ in range(pages):
        pdf.showPage()
    pdf.save()
    return path


def test_unreadable_files_and_pages_are_warnings(tmp_path: Path) -> None:
    issue = make_issue(13, page_count=1)
    encrypted = write_pdf(tmp_path / "locked.pdf", issue.pages, encrypt="secret")
    good = write_pdf(tmp_path / "good.pdf", issue.pages)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    blank = _blank_pdf(tmp_path / "blank.pdf")
    files = [SourceFile(path, path.name) for path in (encrypted, truncated, blank)]
    result = read_articles(files)
    assert result.articles == []
    assert len(result.warnings) == 3 and all("\n" not in warning for warning in result.warnings)
    locked, broken, empty = result.warnings
    assert locked.startswith("locked.pdf:") and "encrypted" in locked
    assert broken.startswith("truncated.pdf:") and "not a readable PDF" in broken
    assert empty.startswith("blank.pdf: page 1:") and "no text layer" in empty


def test_a_build_with_a_bad_file_loads_the_good_one(tmp_path: Path) -> None:
    issue = make_issue(13, page_count=1)
    folder = tmp_path / "papers"
    folder.mkdir()
    write_pdf(folder / "good.pdf", issue.pages)
    (folder / "bad.pdf").write_bytes(b"%PDF-1.4 not really")
    result = load_articles([folder])
    assert min(score(result.articles, issue.articles).text_f1) >= 0.95
    assert [w for w in result.warnings if "bad.pdf" in w] and all(
        "good.pdf" not in w for w in result.warnings
    )
