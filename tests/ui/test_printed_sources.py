"""End to end over real newspaper formats: a page PDF and a saved e-paper folder built into one
index with the real model, questions answered from Python and in Chromium, the citation naming
its 版 and page, the card showing the crop of the printed page with the cited line marked."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from serving import ANSWER_TIMEOUT, ask, serve

from embeddings.build import BuildReport, build_from_paths
from embeddings.settings import Settings
from qa.answer import answer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "embeddings" / "fixtures" / "epaper" / "founder"
SCREENSHOT = ROOT / "docs" / "page-crop.png"
SEED = 11
# The page generator lives with the layout tests (tests/ is not a package).
sys.path.insert(0, str(ROOT / "tests" / "embeddings"))


@pytest.fixture(scope="module")
def printed(
    tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path], settings: Settings, encoder
):
    import newspaper_pages as pages

    home = make_home(tmp_path_factory.mktemp("printed-home"))
    sources = home / "sources"
    sources.mkdir()
    issue = pages.make_issue(SEED)
    pdf = pages.write_pdf(sources / "wjrb_20231128.pdf", issue.pages)
    shutil.copytree(FIXTURES, sources / "epaper")
    index_settings = replace(settings, home=home, index_dir=home / "index")
    report = build_from_paths([pdf, sources / "epaper"], index_settings, encoder=encoder)
    return issue, index_settings, report


def _story_with_byline(issue):
    return next(a for a in issue.articles if a.reporter and len(a.pages) == 1)


def test_build_reads_both_formats_and_renders_the_cited_pages(printed) -> None:
    issue, settings, report = printed
    assert isinstance(report, BuildReport)
    assert report.manifest.formats.get("pdf", 0) >= len(issue.articles) - 2
    assert report.manifest.formats.get("html") == 4
    assert report.manifest.page_images == len(issue.pages)
    assert len(list((settings.resolved_index_dir / "pages").glob("*.jpg"))) == len(issue.pages)


def test_answer_from_a_pdf_cites_the_page_with_a_crop(printed) -> None:
    issue, settings, _ = printed
    story = _story_with_byline(issue)
    result = answer(f"{story.title}是哪位记者写的？", settings=settings)
    assert not result.abstained and story.reporter in result.text
    cited = result.citations[0]
    assert cited.hit.title == story.title and cited.hit.format == "pdf"
    assert cited.hit.page == issue.pages[story.pages[0] - 1].page_label
    assert {box.page for box in cited.hit.boxes} == {story.pages[0]}
    crop = Image.open(cited.page_crop)
    assert 50 < crop.width <= 960 and crop.height > 20


def test_answer_from_the_epaper_links_to_the_article(printed) -> None:
    _, settings, _ = printed
    result = answer("今年我区计划改造多少个老旧小区？", settings=settings)
    assert not result.abstained and "46" in result.short_answer
    hit = result.citations[0].hit
    assert hit.format == "html" and hit.page == "A01" and hit.page_name == "要闻"
    assert hit.url.endswith("content_1001.htm") and hit.boxes == () and result.citations[0].page_crop is None


@pytest.fixture(scope="module")
def printed_server(printed) -> Iterator[str]:
    _, settings, _ = printed
    yield from serve(settings.home, settings.home / "serve.log", "--index", str(settings.resolved_index_dir))


def test_browser_shows_the_page_crop(printed, printed_server: str, open_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    issue, _, _ = printed
    story = _story_with_byline(issue)
    tab = open_page(printed_server)
    page = tab.page
    reply = ask(page, f"{story.title}是哪位记者写的？")
    assert story.reporter in reply
    card = page.locator("#nqa-sources .nqa-card").first
    expect(card.locator(".nqa-title")).to_contain_text(story.title)
    crop = card.locator("img.nqa-crop")
    expect(crop).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert crop.evaluate("img => img.complete && img.naturalWidth > 50")
    label = issue.pages[story.pages[0] - 1].page_label
    expect(card.locator("figcaption")).to_contain_text(re.compile(rf"{label}.*页面 {story.pages[0]}"))
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "page-crop.png"), full_page=True)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert tab.offsite == [], "the page fetched something from outside the server"
