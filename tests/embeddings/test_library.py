"""The archive folder and its build jobs (`embeddings.library`), with real files, a real model and
real child processes: uploads checked and kept, sources listed and removed, jobs queued, run,
cancelled mid-build and failed, each time with the live index untouched until a build completes."""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from embeddings.build import build_from_paths, rebuild
from embeddings.errors import NewsqaError
from embeddings.library import (
    BuildJobs,
    Job,
    add_files,
    article_detail,
    find_titles,
    list_sources,
    remove_file,
    source_articles,
)
from embeddings.settings import Settings
from embeddings.store.index import current_generation

ROOT = Path(__file__).resolve().parents[2]
XWLB = ROOT.parent / "shared" / "corpus" / "xwlb" / "xwlb_2024.jsonl"
PAGE = "# 星河湾社区图书馆开馆\n\n本报讯（记者 周明）湖塘镇星河湾社区图书馆昨天开馆，藏书12.6万册。\n"


def _page(folder: Path, name: str, text: str = PAGE) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def home_settings(tmp_path: Path, make_home: Callable[[Path], Path]) -> Settings:
    return Settings(home=make_home(tmp_path / "home"), max_upload_mb=1)


def test_uploads_are_checked_and_kept_only_in_the_archive_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", max_upload_mb=1)
    given = tmp_path / "given"
    given.mkdir()
    page = _page(given, "0319.md")
    copy = _page(given, "copy.md")
    other = _page(given, "0320.md", PAGE.replace("12.6", "13.1"))
    unknown = _page(given, "notes.docx", "x")
    large = _page(given, "large.txt", "大" * 400_000)  # 1.2 MB
    empty = _page(given, "empty.txt", "")
    escape = given / "escape.zip"
    with zipfile.ZipFile(escape, "w") as archive:
        archive.writestr("../../outside.txt", PAGE)
    bomb = given / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.txt", b"0" * 11_000_000)  # past 10 x the 1 MB limit
    report = add_files(
        settings,
        [(p.name, p) for p in (page, copy, unknown, large, empty, escape, bomb)]
        + [("../../../0320.md", other)],
    )
    assert [(f.name, f.replaced) for f in report.stored] == [("0319.md", False), ("0320.md", False)]
    reasons = "\n".join(map(str, report.refused))
    said = "\n".join(refusal.zh for refusal in report.refused)  # the archive page's words
    assert "copy.md：同样的文件已在资料库中（0319.md）" in said and "notes.docx：不支持的格式“.docx”" in said
    assert "escape.zip：其中的 ../../outside.txt 指向压缩包以外的位置" in said
    assert "bomb.zip：解压后有 10.5 MB" in said
    assert "copy.md: the same file is already in the archive as 0319.md" in reasons
    assert "notes.docx: unknown format '.docx'" in reasons
    assert "large.txt: 1.1 MB, more than the 1 MB an upload may be" in reasons
    assert "empty.txt: the file is empty" in reasons
    assert "escape.zip: member '../../outside.txt' points outside the zip's folder" in reasons
    assert "bomb.zip: would expand to 10.5 MB, more than 10.0 MB" in reasons
    archive_dir = settings.archive_dir
    assert sorted(p.name for p in archive_dir.iterdir() if not p.name.startswith(".")) == [
        "0319.md",
        "0320.md",
    ]
    assert not list(tmp_path.rglob("outside.txt"))
    newer = _page(given, "0320-v2.md", PAGE.replace("12.6", "13.2"))
    again = add_files(settings, [("0320.md", newer)])  # same name, other content: a new version
    assert again.stored[0].replaced and "13.2" in (archive_dir / "0320.md").read_text(encoding="utf-8")
    (refusal,) = add_files(settings, [("..", page)]).refused
    assert str(refusal) == "'..': not a usable file name; rename the file and upload it again"
    assert refusal.zh == "“..”：文件名不可用；请重命名后再上传"


def test_sources_listed_inspected_and_removed(tmp_path: Path, home_settings: Settings, encoder) -> None:
    settings = home_settings
    outside = tmp_path / "papers"
    outside.mkdir()
    _page(outside, "0101.md", PAGE.replace("星河湾", "月亮湾"))
    kept = _page(tmp_path, "single.md", PAGE.replace("星河湾", "太阳湾"))
    build_from_paths([outside, kept], settings, encoder=encoder)
    add_files(settings, [("0319.md", _page(tmp_path, "0319.md"))])
    status = {s.name: s.status for s in list_sources(settings)}
    assert status == {"papers/0101.md": "indexed", "single.md": "indexed", "sources/0319.md": "pending"}

    rebuild(settings, encoder)
    listed = {s.name: s for s in list_sources(settings)}
    assert listed["sources/0319.md"].status == "indexed" and listed["sources/0319.md"].articles == 1
    assert listed["sources/0319.md"].removable and not listed["papers/0101.md"].removable
    [row] = source_articles(settings, "sources/0319.md")
    assert row.title == "星河湾社区图书馆开馆" and row.reporter == "周明" and row.chunks >= 1
    detail = article_detail(settings, row.id)
    assert "12.6万册" in "".join(c.text for c in detail.chunks)
    assert ("湖塘镇", "镇") in detail.places
    assert [r.id for r in find_titles(settings, "星河湾")] == [row.id]

    with pytest.raises(NewsqaError, match="never deletes files outside its archive folder") as outside_error:
        remove_file(settings, "0101.md")
    assert "newsqa 从不删除资料库文件夹以外的文件" in outside_error.value.zh
    assert (outside / "0101.md").is_file()
    left_out = remove_file(settings, "single.md")
    assert "left out of the index" in str(left_out) and "不再收入索引" in left_out.zh
    assert kept.is_file()  # a file given by itself is left where it is
    deleted = remove_file(settings, "0319.md")
    assert "deleted from the archive folder" in str(deleted)
    assert deleted.zh == "已从资料库文件夹删除 0319.md。"
    assert {s.name: s.status for s in list_sources(settings)}["sources/0319.md"] == "removed"
    rebuild(settings, encoder)
    assert {s.name for s in list_sources(settings)} == {"papers/0101.md"}
    (settings.resolved_index_dir / "inputs.json").unlink()  # as an index built before it was kept
    with pytest.raises(NewsqaError, match="run `newsqa build PATHS` once"):
        rebuild(settings, encoder)
    assert {s.name for s in list_sources(settings)} == {"papers/0101.md"}
    with pytest.raises(NewsqaError, match=r"holds no source named sources/0319\.md"):
        source_articles(settings, "sources/0319.md")


def _wait(jobs: BuildJobs, job_id: str, done: Callable[[Job], bool], timeout: float = 240) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs.latest()  # what the page calls: it also notices a job whose server has gone
        job = jobs.job(job_id)
        if job is not None and done(job):
            return job
        time.sleep(0.2)
    raise AssertionError(f"the job did not get there in {timeout}s: {jobs.job(job_id)}")


def test_jobs_queue_run_cancel_and_fail_leaving_the_live_index(
    tmp_path: Path, home_settings: Settings, encoder
) -> None:
    if not XWLB.is_file():
        pytest.skip(f"{XWLB} is absent")
    settings = home_settings
    add_files(settings, [("0319.md", _page(tmp_path, "0319.md"))])
    rebuild(settings, encoder)  # the archive folder alone
    live = current_generation(settings.resolved_index_dir)
    with pytest.raises(NewsqaError, match=r"0319\.md is the last source of this archive, so it was kept"):
        remove_file(settings, "0319.md")  # the rebuild would fail and the index go on citing it
    assert (settings.archive_dir / "0319.md").is_file()
    with XWLB.open(encoding="utf-8") as lines:
        stories = [next(lines) for _ in range(60)]
    (tmp_path / "news.jsonl").write_text("".join(stories), encoding="utf-8")
    add_files(settings, [("news.jsonl", tmp_path / "news.jsonl")])

    jobs = BuildJobs(settings)
    first = jobs.submit("上传 news.jsonl")
    running = _wait(jobs, first.id, lambda j: j.state == "running" and j.stage == "embedding" and j.done > 0)
    assert running.total > running.done and jobs.latest().id == first.id
    queued = jobs.submit("上传 a")
    assert queued.state == "queued" and jobs.submit("上传 b").id == queued.id  # later changes join it
    assert jobs.cancel(queued.id).state == "cancelled"
    jobs.cancel(first.id)
    ended = _wait(jobs, first.id, lambda j: not j.active, timeout=60)
    assert ended.state == "cancelled", ended
    assert current_generation(settings.resolved_index_dir) == live  # untouched
    assert not [p for p in (settings.resolved_index_dir / "generations").iterdir() if p.name.startswith(".")]

    add_files(settings, [("broken.jsonl", _page(tmp_path, "broken.jsonl", "{not json\n"))])
    remove_file(settings, "0319.md")
    remove_file(settings, "news.jsonl")
    failing = jobs.submit("上传 broken.jsonl")
    failed = _wait(jobs, failing.id, lambda j: not j.active)
    assert failed.state == "failed" and "broken.jsonl" in failed.message and "索引保持原样" in failed.message
    assert current_generation(settings.resolved_index_dir) == live
    assert json.loads((live / "manifest.json").read_text())["counts"]["articles"] == 1
