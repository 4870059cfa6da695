"""`newsqa serve` end to end: a real server subprocess, the real model, gradio_client and Chromium.

Each server gets its own NEWSQA_HOME (made with `make_home`, so the model is not converted again)
and a free port; it is always terminated, then killed if it lingers. The browser is the system
Chromium driven by Playwright; no browser is downloaded.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from serving import ANSWER_TIMEOUT, ask, serve

from embeddings.build import build_from_paths
from embeddings.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshot.png"
QUESTION = "前黄浜全长多少公里？"
TITLE = "乔俊杰督查突出环境问题整改工作推进情况"
SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
TEMPLATE = "${window.__xss=3}"
XSS_ARTICLE = {
    "id": "xss-1",
    "title": "网页安全演练<b>标题</b>",
    "author": "<i>记者</i>",
    "date": "2024-07-01",
    "text": (
        f"城东街道昨天举办了网页安全演练。演练材料里写着{SCRIPT}这样一行代码。"
        f"另一份材料写着{IMG}这样的图片标签。模板材料写着{TEMPLATE}这种写法。"
        "共有35名网格员参加了网页安全演练。"
    ),
}


@pytest.fixture(scope="module")
def sample_server(
    tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path]
) -> Iterator[str]:
    """A server over the default index, which it builds from the bundled sample at start."""
    home = make_home(tmp_path_factory.mktemp("serve-home"))
    yield from serve(home, home / "serve.log")


@pytest.fixture(scope="module")
def xss_server(
    tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path], settings: Settings, encoder
) -> Iterator[str]:
    """A server over a one-article index whose text holds script, img and template markup."""
    home = make_home(tmp_path_factory.mktemp("xss-home"))
    corpus = home / "xss.jsonl"
    corpus.write_text(json.dumps(XSS_ARTICLE, ensure_ascii=False) + "\n", encoding="utf-8")
    index = home / "xss-index"
    build_from_paths([corpus], replace(settings, home=home, index_dir=index), encoder=encoder)
    yield from serve(home, home / "serve.log", "--index", str(index))


def test_api_answers_with_citation(sample_server: str) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(sample_server, verbose=False)
    assert set(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == {"/answer"}
    result = client.predict(QUESTION, "[]", api_name="/answer")
    assert "2.3公里" in result["text"] and not result["abstained"]
    assert TITLE in [citation["title"] for citation in result["citations"]]
    cited = next(c for c in result["citations"] if c["title"] == TITLE)
    assert any("2.3公里" in quote for quote in cited["quotes"]) and cited["spans"]
    with pytest.raises(AppError, match="empty"):
        client.predict("  ", "[]", api_name="/answer")


def test_browser_answers_with_cited_source(sample_server: str, open_page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    tab = open_page(sample_server)
    page = tab.page
    reply = ask(page, QUESTION)
    assert "2.3公里" in reply and "[1]" in reply
    card = page.locator("#nqa-sources .nqa-card", has_text=TITLE)
    expect(card).to_have_count(1)
    expect(card.locator(".nqa-number")).to_have_text("[1]")
    expect(card.locator("mark")).to_contain_text("前黄浜全长2.3公里")
    # The short answer leads, large, with the reader's confidence in words; in the card it is
    # highlighted inside the cited sentence.
    short = page.locator("#nqa-chat .nqa-short").last
    expect(short).to_contain_text("2.3公里")
    expect(short.locator(".nqa-confidence")).to_have_text(re.compile("很确定|较确定|不确定"))
    expect(card.locator("mark strong.nqa-answer")).to_have_text("2.3公里")
    expect(page.locator("#nqa-sources .nqa-timing")).to_contain_text("用时")
    page.screenshot(path=str(tmp_path / "screenshot.png"), full_page=True)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert tab.offsite == [], "the page fetched something from outside the server"


def test_browser_follow_up_question(sample_server: str, open_page) -> None:
    page = open_page(sample_server).page
    assert "区委书记" in ask(page, "乔俊杰担任什么职务？")
    assert "乔俊杰" in ask(page, "他还参加了哪些活动？")


def test_browser_example_and_clear(sample_server: str, open_page) -> None:
    from playwright.sync_api import expect

    page = open_page(sample_server).page
    page.get_by_text("武进区区长是谁？", exact=True).click()
    expect(page.get_by_placeholder("输入问题")).to_have_value("武进区区长是谁？")
    page.get_by_role("button", name="提问", exact=True).click()
    expect(page.locator("#nqa-sources .nqa-card").first).to_be_visible(timeout=ANSWER_TIMEOUT)
    page.get_by_role("button", name="清空", exact=True).click()
    expect(page.locator('#nqa-chat [data-testid="bot"]')).to_have_count(0)
    expect(page.locator("#nqa-sources .nqa-empty")).to_be_visible()


def test_browser_people_view_asks_about_a_person(sample_server: str, open_page) -> None:
    from playwright.sync_api import expect

    page = open_page(sample_server).page
    replies = page.locator('#nqa-chat [data-testid="bot"]')
    page.get_by_text("人物（点击提问）").click()
    person = page.get_by_text("乔俊杰 · 市委常委、区委书记、区委党建工作领导小组组长 · 4篇")
    expect(person).to_be_visible()
    person.click()
    expect(replies).to_have_count(1, timeout=ANSWER_TIMEOUT)
    reply = replies.last.inner_text()
    assert "乔俊杰出现在4篇文章中" in reply
    expect(page.locator("#nqa-sources .nqa-card")).to_have_count(4)


def test_browser_date_filter_on_an_undated_archive(sample_server: str, open_page) -> None:
    page = open_page(sample_server).page
    page.get_by_label("起始日期").fill("2030-01-01")
    reply = ask(page, "前黄浜全长多少公里？")  # the sample's pages carry no date: nothing is in range
    assert "没有找到" in reply
    page.get_by_label("起始日期").fill("2030-13-01")
    assert "YYYY-MM-DD" in ask(page, "前黄浜全长多少公里？")


def test_browser_empty_question_is_friendly(sample_server: str, open_page) -> None:
    page = open_page(sample_server).page
    reply = ask(page, "")
    assert "请输入一个问题" in reply and "Traceback" not in reply


def test_corpus_markup_is_shown_not_run(xss_server: str, open_page) -> None:
    from playwright.sync_api import expect

    tab = open_page(xss_server)
    page = tab.page
    replies = [
        ask(page, q) for q in ("演练材料里写着什么代码？", "另一份材料写着什么？", "模板材料写着什么写法？")
    ]
    expect(page.locator("#nqa-sources .nqa-card")).to_have_count(1)
    assert page.evaluate("typeof window.__xss") == "undefined"
    sources = page.locator("#nqa-sources").inner_text()
    for literal in (SCRIPT, IMG, TEMPLATE, "网页安全演练<b>标题</b>", "<i>记者</i>"):
        assert literal in sources
    assert SCRIPT in replies[0] and IMG in replies[1] and TEMPLATE in replies[2]
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("#nqa-sources script, #nqa-chat script").count() == 0
    assert tab.offsite == []


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path]) -> Iterator[str]:
    home = make_home(tmp_path_factory.mktemp("auth-home"))
    yield from serve(home, home / "serve.log", "--auth", "editor:s3cret")


def test_login_protects_the_ui_and_its_api(auth_server: str) -> None:
    from gradio_client import Client

    with pytest.raises(Exception):  # noqa: B017 - refused whichever way gradio_client reports it
        Client(auth_server, verbose=False).predict(QUESTION, "[]", api_name="/answer")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(auth_server + "config", timeout=10)
    assert refused.value.code == 401
    upload = urllib.request.Request(auth_server + "gradio_api/upload", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:  # the archive page's upload, too
        urllib.request.urlopen(upload, timeout=10)
    assert refused.value.code == 401
    client = Client(auth_server, auth=("editor", "s3cret"), verbose=False)
    assert "2.3公里" in client.predict(QUESTION, "[]", api_name="/answer")["text"]


def test_login_protects_the_archive_page(auth_server: str, open_page) -> None:
    from playwright.sync_api import expect

    page = open_page(auth_server).page
    expect(page.get_by_role("button", name="登录")).to_be_visible(timeout=ANSWER_TIMEOUT)
    assert page.get_by_role("tab", name="资料库").count() == 0
    page.get_by_label("用户名").fill("editor")
    page.get_by_label("密码").fill("s3cret")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("tab", name="资料库").click()
    expect(page.locator("#nqa-source-list table")).to_be_visible(timeout=ANSWER_TIMEOUT)
