"""Zips, unknown formats and the same story read twice (real files, real zips)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

import embeddings.sources.archive as archive
from embeddings.errors import CorpusError
from embeddings.sources import load_articles

PAGE = (
    "区政协召开全体会议\n\n本报讯（记者 张可馨）12月1日，区政协召开全体会议，"
    "听取了全年工作情况的报告。会议指出，全年共收集信息线索一百二十条，形成调研报告十五篇。\n"
)
OTHER = "淹城公园改造完工\n\n本报讯（记者 李明）淹城公园改造工程日前完工，新增绿地三万平方米，步道五公里。\n"


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    return path


def test_zip_is_read_like_a_folder_and_named_from_the_zip(tmp_path: Path) -> None:
    zipped = _zip(tmp_path / "pages.zip", {"2024-12-01/a.txt": PAGE, "2024-12-01/b.txt": OTHER})
    result = load_articles([zipped], unpack_dir=tmp_path / "unpacked")
    sources = sorted(a.source for a in result.articles)
    assert sources == ["pages.zip/2024-12-01/a.txt", "pages.zip/2024-12-01/b.txt"]
    assert {a.date for a in result.articles} == {"2024-12-01"}
    # A second read reuses the unpacked folder instead of writing it again.
    folders = list((tmp_path / "unpacked").iterdir())
    load_articles([zipped], unpack_dir=tmp_path / "unpacked")
    assert list((tmp_path / "unpacked").iterdir()) == folders


def test_zip_names_written_on_chinese_windows_are_read_as_gbk(tmp_path: Path) -> None:
    path = tmp_path / "gbk.zip"
    gbk_name = "武进日报第3版.txt".encode("gbk")

    class WindowsName(zipfile.ZipInfo):
        """Stores the GBK bytes without the UTF-8 flag, as the zipper of Chinese Windows does."""

        def _encodeFilenameFlags(self):
            return gbk_name, self.flag_bits

    with zipfile.ZipFile(path, "w") as out:
        out.writestr(WindowsName(gbk_name.decode("cp437")), PAGE)
    with zipfile.ZipFile(path) as stored:
        assert not stored.infolist()[0].flag_bits & 0x800
    result = load_articles([path], unpack_dir=tmp_path / "unpacked")
    assert result.articles[0].source == "gbk.zip/武进日报第3版.txt"


@pytest.mark.parametrize("member", ["../escape.txt", "/etc/escape.txt", "a/../../escape.txt"])
def test_zip_leaving_its_folder_is_refused_and_nothing_is_written(tmp_path: Path, member: str) -> None:
    zipped = _zip(tmp_path / "evil.zip", {member: PAGE})
    good = tmp_path / "good"
    good.mkdir()
    (good / "b.txt").write_text(OTHER, encoding="utf-8")
    result = load_articles([zipped, good], unpack_dir=tmp_path / "unpacked" / "inner")
    assert [a.source for a in result.articles] == ["good/b.txt"]
    assert any("evil.zip" in w and "outside the zip's folder" in w for w in result.warnings)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "unpacked" / "escape.txt").exists()


def test_zip_expanding_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "MAX_UNPACKED_BYTES", 10_000)
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.txt": "零" * 20_000})
    good = tmp_path / "b.txt"
    good.write_text(OTHER, encoding="utf-8")
    result = load_articles([bomb, good], unpack_dir=tmp_path / "unpacked")
    assert [a.source for a in result.articles] == ["b.txt"]
    assert any(w.startswith("bomb.zip: would expand to") and "split it" in w for w in result.warnings)
    assert not any((tmp_path / "unpacked").rglob("zeros.txt"))


def test_damaged_zip_is_a_warning(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorpusError, match=r"broken.zip: not a readable zip"):
        load_articles([broken], unpack_dir=tmp_path / "unpacked")


def test_unknown_formats_in_a_folder_are_named_once(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text(OTHER, encoding="utf-8")
    for name in ["a.doc", "b.doc", "c.xls", "style.css"]:
        (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0")
    result = load_articles([tmp_path])
    assert len(result.articles) == 1
    assert result.warnings == [
        f"{tmp_path.name}: skipped 3 file(s) in formats newsqa does not read (.doc ×2, .xls ×1); "
        "save them as PDF, HTML or text to index them"
    ]


def test_the_same_article_twice_is_indexed_once_with_both_places(tmp_path: Path) -> None:
    (tmp_path / "2024-12-01").mkdir()
    (tmp_path / "2024-12-02").mkdir()
    (tmp_path / "2024-12-01" / "p1.txt").write_text(OTHER, encoding="utf-8")
    (tmp_path / "2024-12-02" / "p5.txt").write_text(OTHER, encoding="utf-8")
    result = load_articles([tmp_path])
    assert len(result.articles) == 1
    kept = result.articles[0]
    assert kept.source.endswith("2024-12-01/p1.txt")
    places = [(p.source.split("/", 1)[1], p.date) for p in kept.also_printed]
    assert places == [("2024-12-02/p5.txt", "2024-12-02")]
    assert len(result.warnings) == 1
    assert "2024-12-02/p5.txt: the same article '淹城公园改造完工'" in result.warnings[0]


def test_a_reprint_with_a_changed_headline_is_a_near_copy(tmp_path: Path) -> None:
    body = PAGE.split("\n\n", 1)[1] + (
        "会议要求，各专委会要围绕全区中心工作，深入基层开展调查研究，及时反映群众的意见和建议。"
        "会议还审议通过了明年的协商计划，确定了城乡融合、营商环境、养老服务等八个重点议题。"
        "与会委员表示，将立足本职岗位，积极建言献策，为武进高质量发展贡献智慧和力量。\n"
    )
    (tmp_path / "a.txt").write_text("区政协召开全体会议\n\n" + body, encoding="utf-8")
    reprint = "区政协全体会议召开\n\n" + body.replace("十五篇", "15篇")
    (tmp_path / "b.txt").write_text(reprint, encoding="utf-8")
    (tmp_path / "c.txt").write_text(OTHER, encoding="utf-8")
    result = load_articles([tmp_path])
    titles = sorted(a.title for a in result.articles)
    assert titles == ["区政协召开全体会议", "淹城公园改造完工"]
    council = next(a for a in result.articles if a.title == "区政协召开全体会议")
    assert [p.source for p in council.also_printed] == [f"{tmp_path.name}/b.txt"]
    assert any("b.txt: a near copy of the article '区政协召开全体会议'" in w for w in result.warnings)
