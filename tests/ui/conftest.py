"""Browser fixtures: the system Chromium (never a downloaded one) and fresh tabs that record
every request leaving the server under test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Tab:
    page: Any  # playwright.sync_api.Page
    offsite: list[str]  # requests to anywhere but the server under test


@pytest.fixture
def open_page(browser) -> Iterator[Callable[[str], Tab]]:
    """Open a URL in a fresh browser context (a new Gradio session), recording off-site requests."""
    contexts = []

    def open_(url: str) -> Tab:
        context = browser.new_context(viewport={"width": 1400, "height": 950}, locale="zh-CN")
        contexts.append(context)
        tab = Tab(context.new_page(), [])

        def record(request) -> None:
            if not request.url.startswith((url, "data:", "blob:")):
                tab.offsite.append(request.url)

        tab.page.on("request", record)
        tab.page.goto(url)
        return tab

    yield open_
    for context in contexts:
        context.close()
