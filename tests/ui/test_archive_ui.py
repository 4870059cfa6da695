"""End to end over 60 real 2024 news stories: an archive count question in Chromium shows the
stories-per-month chart and the complete, paged list; clicking a bar lists that month only; the
entity page shows a person's chart and timeline. Expected numbers come from a plain scan."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from serving import ANSWER_TIMEOUT, ask, serve

from embeddings.settings import Settings
from qa import archive

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
XWLB = ROOT.parent / "shared" / "corpus" / "xwlb" / "xwlb_2024.jsonl"
CHART_SHOT = ROOT / "docs" / "archive-chart.png"
ENTITY_SHOT = ROOT / "docs" / "entity-page.png"
TERM = "乡村振兴"
WITH_TERM = {"2024-01": 4, "2024-02": 6, "2024-03": 3, "2024-04": 5, "2024-05": 7}  # 25: two pages
WITHOUT_TERM = 2  # stories per month that do not name it


@dataclass(frozen=True)
class Archive:
    settings: Settings
    per_month: dict[str, int]  # stories naming TERM in title or text, by a plain scan

    @property
    def total(self) -> int:
        return sum(self.per_month.values())


def _names(row: dict) -> bool:
    return TERM in row["title"] or TERM in row["text"]


@pytest.fixture(scope="module")
def news(
    tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path], settings: Settings, encoder
):
    from embeddings.build import build_from_paths

    if not XWLB.is_file():
        pytest.skip(f"{XWLB} is absent (the shared corpus lives next to the repository)")
    rows = [json.loads(line) for line in XWLB.open(encoding="utf-8")]
    chosen = []
    for month, wanted in WITH_TERM.items():
        of_month = [r for r in rows if r["date"].startswith(month)]
        chosen += [r for r in of_month if _names(r)][:wanted]
        chosen += [r for r in of_month if not _names(r)][:WITHOUT_TERM]
    home = make_home(tmp_path_factory.mktemp("archive-home"))
    folder = home / "sources"
    folder.mkdir()
    (folder / "xwlb.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in chosen), "utf-8")
    index_settings = replace(settings, home=home, index_dir=home / "index")
    build_from_paths([folder], index_settings, encoder=encoder)
    per_month = Counter(r["date"][:7] for r in chosen if _names(r))
    return Archive(index_settings, dict(sorted(per_month.items())))


@pytest.fixture(scope="module")
def news_server(news: Archive) -> Iterator[str]:
    home = news.settings.home
    yield from serve(home, home / "serve.log", "--index", str(news.settings.resolved_index_dir))


def test_the_archive_counts_what_a_scan_counts(news: Archive) -> None:
    result = archive.query(f"有多少篇报道提到{TERM}？", settings=news.settings)
    assert result is not None and result.stories == news.total == 25
    assert dict(result.months) == news.per_month


def _listed(page) -> list[str]:
    return page.locator("#nqa-archive-items li.nqa-item").evaluate_all(
        "items => items.map(i => i.dataset.date)"
    )


def _bar(page, chart: str, month: str):
    return page.locator(f'{chart} .nqa-bar[data-month="{month}"]')


def _bar_counts(page, chart: str) -> dict[str, int]:
    return page.locator(f"{chart} .nqa-bar").evaluate_all(
        "bars => Object.fromEntries(bars.map(b => [b.dataset.month, Number(b.dataset.stories)]))"
    )


def _full_span(months: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Every month from the first to the last, 0 where nothing was published."""
    counts = dict(months)
    first, last = min(counts), max(counts)
    span = [f"{y}-{m:02d}" for y in range(int(first[:4]), int(last[:4]) + 1) for m in range(1, 13)]
    return [(month, counts.get(month, 0)) for month in span if first <= month <= last]


def _choose_month(page, month: str) -> None:
    """List one month through the month list beside the chart."""
    page.locator("#nqa-archive-month input").click()
    page.get_by_role("option", name=month, exact=True).click()


def test_browser_shows_chart_list_pages_and_one_month(news: Archive, news_server: str, open_page) -> None:
    from playwright.sync_api import expect

    tab = open_page(news_server)
    page = tab.page
    reply = ask(page, f"有多少篇报道提到{TERM}？")
    assert f"{news.total}篇" in reply
    panel = page.locator("#nqa-archive")
    expect(panel).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(_bar(page, "#nqa-archive-chart", next(iter(news.per_month)))).to_be_visible()
    assert _bar_counts(page, "#nqa-archive-chart") == news.per_month
    head = page.locator("#nqa-archive-items .nqa-archive-head")
    expect(head).to_contain_text(f"共 {news.total} 篇报道")
    items = page.locator("#nqa-archive-items li.nqa-item")
    expect(items).to_have_count(20)
    expect(page.locator("#nqa-archive-items mark").first).to_have_text(TERM)

    page.locator("#nqa-archive-next").click()
    expect(head).to_contain_text("第 2/2 页", timeout=ANSWER_TIMEOUT)  # the first page loads the index
    expect(items).to_have_count(news.total - 20)
    page.locator("#nqa-archive-prev").click()
    expect(head).to_contain_text("第 1/2 页")
    expect(items).to_have_count(20)

    month = "2024-02"
    _bar(page, "#nqa-archive-chart", month).click()  # clicking a bar lists that month
    expect(head).to_contain_text(f"{month}：{news.per_month[month]} 篇")
    expect(items).to_have_count(news.per_month[month])
    assert {date[:7] for date in _listed(page)} == {month}
    expect(_bar(page, "#nqa-archive-chart", month)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#nqa-archive-month input")).to_have_value(month)
    other = "2024-04"
    _choose_month(page, other)  # the month list does the same
    expect(head).to_contain_text(f"{other}：{news.per_month[other]} 篇")
    assert {date[:7] for date in _listed(page)} == {other}
    _bar(page, "#nqa-archive-chart", month).click()
    expect(items).to_have_count(news.per_month[month])
    panel.scroll_into_view_if_needed()
    CHART_SHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(CHART_SHOT), full_page=True)

    _choose_month(page, "全部月份")
    expect(items).to_have_count(20)
    assert tab.offsite == [], "the page fetched something from outside the server"


def test_browser_entity_page_shows_a_person(news: Archive, news_server: str, open_page) -> None:
    from playwright.sync_api import expect

    people = archive.entities("person", settings=news.settings)
    assert people, "the 60 stories name no person"
    person = people[0]
    found = archive.profile(person.name, "person", settings=news.settings)
    assert found is not None and found.timeline
    tab = open_page(news_server)
    page = tab.page
    page.get_by_role("tab", name="人物与地点").click()
    picker = page.locator("#nqa-entity input")
    picker.click()
    picker.fill(person.name)
    page.get_by_role("option", name=f"{person.name} · 人物").first.click()
    profile = page.locator("#nqa-entity-page .nqa-entity")
    expect(profile).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(profile.locator(".nqa-entity-name")).to_contain_text(person.name)
    expect(profile.locator(".nqa-timeline li.nqa-item")).to_have_count(min(200, len(found.timeline)))
    expect(profile).to_contain_text(f"{person.stories} 篇报道")
    expect(page.locator("#nqa-entity-chart .nqa-bar").first).to_be_visible()
    assert _bar_counts(page, "#nqa-entity-chart") == dict(_full_span(found.months))
    expect(page.locator("#nqa-entity-chart button")).to_have_count(0)  # a picture, not a control
    ENTITY_SHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(ENTITY_SHOT), full_page=True)
    assert tab.offsite == [], "the page fetched something from outside the server"
