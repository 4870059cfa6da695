"""Reading files and folders into articles: encodings, JSONL, dates, warnings."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.errors import CorpusError
from embeddings.settings import bundled_sample_dir
from embeddings.sources import (
    iter_source_files,
    load_articles,
)
from embeddings.sources.decode import read_text_file
from embeddings.sources.jsonl import parse_jsonl
from embeddings.sources.metadata import date_from_name
from embeddings.sources.text import parse_page

SAMPLE_NAME = "003_6b0ac8f283288027.txt"
TRADITIONAL = "本報訊（記者 張可馨）武進與漢濱簽訂協議。"


@pytest.fixture(scope="module")
def sample_text() -> str:
    return (bundled_sample_dir() / SAMPLE_NAME).read_text(encoding="utf-8")


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_sample_folder_loads_seven_articles_named_from_the_folder() -> None:
    result = load_articles([bundled_sample_dir()])
    assert result.warnings == []
    assert len(result.articles) == 7
    assert [a.source for a in result.articles] == ["wujin/000_540523ca5f8d8d9a.txt"] * 3 + [
        "wujin/003_6b0ac8f283288027.txt"
    ] * 4
    assert all(a.date is None for a in result.articles)  # hex in the names is no date


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("gb18030"),
        lambda text: text.encode("gbk"),
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),
        lambda text: text.encode("utf-16"),
    ],
    ids=["gb18030", "gbk", "utf8-bom", "crlf", "utf16-bom"],
)
def test_encodings_give_the_same_articles(tmp_path: Path, sample_text: str, encode) -> None:
    utf8 = load_articles([_write(tmp_path / "a", SAMPLE_NAME, sample_text)])
    other = load_articles([_write(tmp_path / "b", SAMPLE_NAME, encode(sample_text))])
    assert other.articles == utf8.articles
    assert len(other.articles) == 4


def test_read_text_file_keeps_traditional_chinese(tmp_path: Path) -> None:
    assert read_text_file(_write(tmp_path, "utf8.txt", TRADITIONAL)) == TRADITIONAL
    assert read_text_file(_write(tmp_path, "big5.txt", (TRADITIONAL * 5).encode("big5"))) == TRADITIONAL * 5
    assert read_text_file(_write(tmp_path, "gb.txt", TRADITIONAL.encode("gb18030"))) == TRADITIONAL


def test_read_text_file_rejects_binary(tmp_path: Path) -> None:
    path = _write(tmp_path, "scan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CorpusError, match=r"scan\.txt: binary file"):
        read_text_file(path)


@pytest.mark.parametrize("data", [b"\xff\xfe\x41", bytes(range(128, 256)) * 8])
def test_read_text_file_rejects_undecodable_bytes(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(CorpusError, match=r"junk\.txt: .*(UTF-16|not text)"):
        read_text_file(_write(tmp_path, "junk.txt", data))


def test_binary_and_empty_files_become_warnings(tmp_path: Path, sample_text: str) -> None:
    _write(tmp_path / "pages", "a_binary.txt", b"\x00\x01\x02\xff" * 10)
    _write(tmp_path / "pages", "b_empty.md", " \n\n")
    _write(tmp_path / "pages", SAMPLE_NAME, sample_text)
    result = load_articles([tmp_path / "pages"])
    assert len(result.articles) == 4
    assert len(result.warnings) == 2
    assert "a_binary.txt: binary file" in result.warnings[0]
    assert result.warnings[1] == "pages/b_empty.md: empty file, skipped"


def test_nothing_loadable_raises_with_the_warnings(tmp_path: Path) -> None:
    _write(tmp_path, "empty.txt", "")
    with pytest.raises(CorpusError, match=r"no articles could be loaded.*empty\.txt: empty file"):
        load_articles([tmp_path])


def test_jsonl_bad_lines_are_warnings_and_good_lines_load(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "title": "标题一", "text": "第一段。\n\n  第二段。 ", "date": "2024-06-28"}),
        '{"id": 2, "title": "坏行", "text": ',
        json.dumps({"id": 3, "title": "没有正文"}),
        json.dumps({"id": "x4", "title": "坏日期", "text": "正文。", "date": "2024-13-45", "author": "王一"}),
        "",
        json.dumps(
            {"id": 5, "title": "来源", "text": "正文。", "source": "武进日报", "url": "https://e.x/5"}
        ),
    ]
    _write(tmp_path / "export", "news.jsonl", "\n".join(lines) + "\n")
    result = load_articles([tmp_path / "export"])
    assert [a.external_id for a in result.articles] == ["1", "x4", "5"]
    first, bad_date, last = result.articles
    assert (first.text, first.date, first.source) == (
        "第一段。\n第二段。",
        "2024-06-28",
        "export/news.jsonl:1",
    )
    assert (bad_date.date, bad_date.reporter) == (None, "王一")
    assert (last.source, last.url) == ("武进日报", "https://e.x/5")
    assert len(result.warnings) == 3
    assert result.warnings[0].startswith("export/news.jsonl:2: not valid JSON (")
    assert result.warnings[1] == "export/news.jsonl:3: missing 'text'"
    assert result.warnings[2] == (
        "export/news.jsonl:4: bad date '2024-13-45', expected YYYY-MM-DD; date left unknown"
    )


def test_jsonl_odd_records() -> None:
    lines = ["[1, 2]", json.dumps({"title": "t", "text": 5}), json.dumps({"text": "无标题的新闻。第二句。"})]
    articles, warnings = parse_jsonl("\n".join(lines), "x.jsonl")
    assert [a.title for a in articles] == ["无标题的新闻"]
    assert warnings[0] == "x.jsonl:1: expected a JSON object with 'title' and 'text', got list"
    assert warnings[1] == "x.jsonl:2: 'text' must be a string, got int"
    assert warnings[2].startswith("x.jsonl:3: missing 'title'")


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"path not found: .*nowhere"):
        load_articles([tmp_path / "nowhere"])


def test_folder_without_supported_files_raises(tmp_path: Path) -> None:
    _write(tmp_path / "office", "page.doc", b"\xd0\xcf")
    unread = r"office: skipped 1 file\(s\) in formats newsqa does not read \(\.doc ×1\)"
    with pytest.raises(CorpusError, match=unread):
        load_articles([tmp_path / "office"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="no supported files"):
        load_articles([tmp_path / "empty"])


def test_unsupported_file_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"unsupported file type '\.doc'.*\.pdf.*\.zip"):
        iter_source_files([_write(tmp_path, "page.doc", b"%PDF")])


def test_iter_source_files_walks_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ["b/2.txt", "b/1.MD", "a.jsonl", "c.doc", ".git/x.txt", "b/.hidden.txt"]:
        _write(tmp_path, name, "x")
    extra = _write(tmp_path.parent / f"{tmp_path.name}_extra", "z.txt", "x")
    found = iter_source_files([tmp_path, extra, tmp_path / "a.jsonl"])
    assert found == [tmp_path / "a.jsonl", tmp_path / "b" / "1.MD", tmp_path / "b" / "2.txt", extra]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wujin_2024-06-28_p3.txt", "2024-06-28"),
        ("2024_06_28.md", "2024-06-28"),
        ("武进日报20240628第3版.txt", "2024-06-28"),
        ("page20240229.txt", "2024-02-29"),
        ("2023-02-29.txt", None),  # no such day
        ("18991231.txt", None),  # out of range
        ("120240628.txt", None),  # digits run on
        ("2024-06_28.txt", None),  # mixed separators
        ("000_540523ca5f8d8d9a.txt", None),
        ("003_6b0ac8f283288027.txt", None),
        ("ab20240628cdef01.txt", None),  # inside a hex hash
    ],
)
def test_date_from_name(name: str, expected: str | None) -> None:
    assert date_from_name(name) == expected


def test_date_from_file_name_applies_to_every_article(tmp_path: Path, sample_text: str) -> None:
    result = load_articles([_write(tmp_path, "wujin_2024-06-28_003.txt", sample_text)])
    assert {a.date for a in result.articles} == {"2024-06-28"}
    assert result.articles[0].source == "wujin_2024-06-28_003.txt"


def test_front_matter_date_is_used_and_removed(tmp_path: Path, sample_text: str) -> None:
    path = _write(tmp_path, "20230101.txt", "\ndate: 2024-06-28\n" + sample_text)
    result = load_articles([path])
    assert {a.date for a in result.articles} == {"2024-06-28"}  # front matter wins over the name
    assert [a.text for a in result.articles] == [a.text for a in parse_page(sample_text, "x")]
    assert result.warnings == []


def test_bad_front_matter_date_is_a_warning(tmp_path: Path, sample_text: str) -> None:
    result = load_articles([_write(tmp_path, "p.txt", "date: 2024-02-30\n" + sample_text)])
    assert {a.date for a in result.articles} == {None}
    assert result.warnings == ["p.txt: bad date '2024-02-30', expected YYYY-MM-DD; date left unknown"]
    assert result.articles[0].title == "武进—汉滨 2024 年苏陕协作工作联席会召开"


def test_same_file_twice_loads_once(tmp_path: Path) -> None:
    folder = tmp_path / "wujin"
    shutil.copytree(bundled_sample_dir(), folder)
    result = load_articles([folder, folder / SAMPLE_NAME])
    assert len(result.articles) == 7
