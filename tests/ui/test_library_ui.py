"""The 资料库 page in Chromium, against a real server, model and index: upload a text page and a
JSONL export, follow the build job (through a reload), ask what only the new article answers
while the job runs and after it, remove the source and see the article gone; and the bad inputs:
an unknown format, too large a file, a zip leaving its folder or expanding too far, the same file
twice, two users uploading at once. Nothing outside the archive folder is written."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import ANSWER_TIMEOUT, ask, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
XWLB = ROOT.parent / "shared" / "corpus" / "xwlb" / "xwlb_2024.jsonl"
SHOT = ROOT / "docs" / "library-page.png"
JOB_SHOT = ROOT / "docs" / "library-job.png"
JOB_TIMEOUT = 240_000  # milliseconds for a build job (the child loads the model, then embeds)
NEW_FACT = "星河湾社区图书馆于2024年3月18日开馆，馆内藏书12.6万册，由湖塘镇投资建设。"
NEW_QUESTION = "星河湾社区图书馆藏书多少册？"
NEW_ANSWER = "12.6万册"
PAGE = "# 湖塘镇新添一座社区图书馆\n\n本报讯（记者 周明）" + NEW_FACT + "图书馆每天开放十二小时。\n"
FILLER_STORIES = 40  # real stories of 2024, so the job embeds long enough to ask during it


@dataclass(frozen=True)
class Server:
    url: str
    home: Path


@pytest.fixture(scope="module")
def library_server(
    tmp_path_factory: pytest.TempPathFactory, make_home: Callable[[Path], Path]
) -> Iterator[Server]:
    home = make_home(tmp_path_factory.mktemp("library-home"))
    # A small upload limit, so "too large" is cheap to make.
    for url in serve(home, home / "serve.log", env={"NEWSQA_MAX_UPLOAD_MB": "1"}):
        yield Server(url, home)


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not XWLB.is_file():
        pytest.skip(f"{XWLB} is absent (the shared corpus lives next to the repository)")
    folder = tmp_path_factory.mktemp("uploads")
    files = {}
    files["page"] = folder / "2024-03-19_湖塘.md"
    files["page"].write_text(PAGE, encoding="utf-8")
    with XWLB.open(encoding="utf-8") as lines:
        stories = [json.loads(next(lines)) for _ in range(FILLER_STORIES)]
    files["jsonl"] = folder / "xwlb-2024-01.jsonl"
    files["jsonl"].write_text("\n".join(json.dumps(s, ensure_ascii=False) for s in stories), "utf-8")
    files["unknown"] = folder / "page.docx"
    files["unknown"].write_bytes(b"PK\x03\x04 not a format newsqa reads")
    files["large"] = folder / "large.txt"
    files["large"].write_text("大" * 700_000, encoding="utf-8")  # 2.1 MB > the 1 MB limit
    files["escape"] = folder / "escape.zip"
    with zipfile.ZipFile(files["escape"], "w") as archive:
        archive.writestr("../../outside.txt", "# 越界\n\n这个文件想写到资料库外面。")
    files["bomb"] = folder / "bomb.zip"
    with zipfile.ZipFile(files["bomb"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", io.BytesIO(b"0" * 30_000_000).getvalue())  # 30 MB > 10 x 1 MB
    for name, text in (
        ("other-a.md", "# 甲镇新闻\n\n甲镇召开会议。"),
        ("other-b.md", "# 乙镇新闻\n\n乙镇召开会议。"),
    ):
        files[name] = folder / name
        files[name].write_text(text, encoding="utf-8")
    return files


def _library(page):
    page.get_by_role("tab", name="资料库").click()
    from playwright.sync_api import expect

    expect(page.locator("#nqa-source-list table")).to_be_visible(timeout=ANSWER_TIMEOUT)


def _upload(page, paths: list[Path]) -> None:
    page.locator("#nqa-upload input[type=file]").set_input_files([str(p) for p in paths])
    page.locator("#nqa-upload-go").click()


def _wait_job_done(page, reason: str) -> None:
    """Wait until the job asked for by `reason` (上传 x, 删除 y) has finished."""
    from playwright.sync_api import expect

    state = page.locator("#nqa-job .nqa-job-state")
    expect(state).to_contain_text(reason, timeout=JOB_TIMEOUT)
    expect(state).to_contain_text("已完成：", timeout=JOB_TIMEOUT)


def _sources(page) -> dict[str, str]:
    return page.locator("#nqa-source-list tr.nqa-source-row").evaluate_all(
        "rows => Object.fromEntries(rows.map(r => [r.dataset.source, r.dataset.status]))"
    )


def test_upload_index_ask_and_remove(library_server: Server, uploads: dict[str, Path], open_page) -> None:
    from playwright.sync_api import expect

    tab = open_page(library_server.url)
    page = tab.page
    _library(page)
    before = _sources(page)
    assert before and all(status == "indexed" for status in before.values())  # the bundled sample
    _upload(page, [uploads["page"], uploads["jsonl"]])
    note = page.locator("#nqa-upload-note")
    expect(note).to_contain_text(f"已加入：{uploads['page'].name}", timeout=ANSWER_TIMEOUT)
    expect(note).to_contain_text(f"已加入：{uploads['jsonl'].name}")
    state = page.locator("#nqa-job .nqa-job-state")
    expect(state).to_contain_text("正在建立索引", timeout=ANSWER_TIMEOUT)
    expect(page.locator("#nqa-job progress")).to_be_visible()
    expect(page.locator("#nqa-job-cancel")).to_be_visible()

    page.reload()  # the job is the server's: a reloaded page finds it still running
    _library(page)
    expect(state).to_contain_text("正在建立索引", timeout=ANSWER_TIMEOUT)
    expect(page.locator("#nqa-job")).to_contain_text(uploads["page"].name)
    page.screenshot(path=str(JOB_SHOT))

    page.get_by_role("tab", name="问答").click()
    during = ask(page, NEW_QUESTION)
    still_running = "正在建立索引" in page.locator("#nqa-job").inner_text()
    assert still_running, "the job ended before the question was answered; make it longer"
    assert NEW_ANSWER not in during  # the live generation does not have the article yet

    page.get_by_role("tab", name="资料库").click()
    _wait_job_done(page, uploads["page"].name)
    expect(page.locator("#nqa-job")).to_contain_text("新增")
    listed = _sources(page)
    assert listed[f"sources/{uploads['page'].name}"] == "indexed"
    assert listed[f"sources/{uploads['jsonl'].name}"] == "indexed"
    page.get_by_role("tab", name="问答").click()
    assert NEW_ANSWER in ask(page, NEW_QUESTION)

    page.get_by_role("tab", name="资料库").click()
    page.locator("#nqa-source-pick input").click()
    page.get_by_role("option", name=f"sources/{uploads['page'].name}", exact=False).click()
    articles = page.locator("#nqa-source-articles li.nqa-article-row")
    expect(articles).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(articles.first).to_contain_text("湖塘镇新添一座社区图书馆")
    page.locator("#nqa-article-pick input").click()
    page.get_by_role("option", name="湖塘镇新添一座社区图书馆", exact=False).click()
    detail = page.locator("#nqa-article-detail .nqa-article-detail")
    expect(detail).to_contain_text(NEW_FACT[:20], timeout=ANSWER_TIMEOUT)
    expect(detail.locator(".nqa-detail-places")).to_contain_text("湖塘镇")
    page.locator("#nqa-title-search textarea, #nqa-title-search input").first.fill("图书馆")
    page.locator("#nqa-title-search textarea, #nqa-title-search input").first.press("Enter")
    expect(page.locator("#nqa-source-articles")).to_contain_text("湖塘镇新添一座社区图书馆")
    SHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)

    page.locator("#nqa-source-remove").click()
    expect(page.locator("#nqa-remove-note")).to_contain_text("确定从资料库删除")
    page.locator("#nqa-remove-confirm").click()
    expect(page.locator("#nqa-remove-note")).to_contain_text(f"已从资料库文件夹删除 {uploads['page'].name}")
    _wait_job_done(page, f"删除 sources/{uploads['page'].name}")
    expect(page.locator("#nqa-job")).to_contain_text("删除 1")
    assert f"sources/{uploads['page'].name}" not in _sources(page)
    page.get_by_role("tab", name="问答").click()
    assert NEW_ANSWER not in ask(page, NEW_QUESTION)
    assert tab.offsite == [], "the page fetched something from outside the server"


def test_bad_uploads_are_refused_and_two_users_upload_at_once(
    library_server: Server, uploads: dict[str, Path], open_page
) -> None:
    from playwright.sync_api import expect

    archive = library_server.home / "indexes" / "default" / "sources"
    kept_before = sorted(p.name for p in archive.iterdir() if not p.name.startswith("."))
    first, second = open_page(library_server.url).page, open_page(library_server.url).page
    _library(first)
    note = first.locator("#nqa-upload-note")
    for name, reason in (
        ("unknown", "不支持的格式“.docx”"),
        ("large", "超过单个文件 1 MB 的上限"),
        ("escape", "指向压缩包以外的位置"),
        ("bomb", "超过 10.0 MB"),
    ):
        _upload(first, [uploads[name]])
        expect(note).to_contain_text(f"未加入：{uploads[name].name}", timeout=ANSWER_TIMEOUT)
        expect(note).to_contain_text(reason)
    assert sorted(p.name for p in archive.iterdir() if not p.name.startswith(".")) == kept_before
    assert not list(library_server.home.rglob("outside.txt"))  # the zip's member went nowhere

    _library(second)
    _upload(first, [uploads["other-a.md"]])
    _upload(second, [uploads["other-b.md"]])  # at once: both are kept, one build at a time
    expect(note).to_contain_text("已加入：other-a.md", timeout=ANSWER_TIMEOUT)
    expect(second.locator("#nqa-upload-note")).to_contain_text("已加入：other-b.md", timeout=ANSWER_TIMEOUT)
    for page in (first, second):  # each page's list follows the server's jobs
        for name in ("other-a.md", "other-b.md"):
            row = page.locator(f'#nqa-source-list tr[data-source="sources/{name}"]')
            expect(row).to_have_attribute("data-status", "indexed", timeout=JOB_TIMEOUT)

    _upload(second, [uploads["other-a.md"]])  # the same file again
    expect(second.locator("#nqa-upload-note")).to_contain_text(
        "other-a.md：同样的文件已在资料库中（other-a.md）", timeout=ANSWER_TIMEOUT
    )
