"""Founder page XML (方正见报 XML) → articles.

No saved Founder page XML file could be found to copy. The fixtures under fixtures/epaper/founder_xml/
use the element names of Founder's export as a real e-paper client maps them (版面, 大样, 日期, 报名,
版次, 版名, 小样, 引题, 标题, 副题, 作者, 内容, 版面图映射, 顶点 …); the layout of 内容 (lines, or a
CDATA section of <P>s), the 下转/上接 markers and the page attributes on <版面> follow the issue's
description. A01.xml is UTF-8, A03.xml GB2312.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from embeddings.articles import Placement
from embeddings.sources import load_articles
from embeddings.sources.printed.founder_xml import read_articles
from embeddings.sources.reading import SourceFile

FIXTURES = Path(__file__).parent / "fixtures" / "epaper"


def _read(*names: str):
    return read_articles([SourceFile(FIXTURES / name, name) for name in names])


def test_page_xml_stories_become_articles_and_continuations_join():
    result = _read("founder_xml/A01.xml", "founder_xml/A03.xml")
    assert result.warnings == []
    renovation, harvest, industry = result.articles
    assert (renovation.kicker, renovation.title, renovation.subtitle) == (
        "城市更新持续推进",
        "老旧小区改造惠及三万居民",
        "今年计划改造46个小区",
    )
    # Its 下转 part on A03 (上接第A01版) joined; the markers are not text.
    assert renovation.text == (
        "6月27日，记者从区住建局获悉，今年我区计划改造老旧小区46个，涉及居民3.1万人，目前已有32个小区开工建设。\n"
        "改造内容包括屋面防水、雨污分流、加装电梯和增设停车位等，由居民议事会逐项投票确定。\n"
        "区住建局相关负责人表示，全部项目将于年底前完工。"
    )
    assert (renovation.reporter, renovation.date, renovation.paper) == ("张三", "2024-06-28", "武进日报")
    assert (renovation.page, renovation.page_name, renovation.format) == ("A01", "要闻", "founder-xml")
    assert renovation.also_printed == (Placement("founder_xml/A03.xml", "A03", "区域经济", "2024-06-28"),)

    assert (harvest.title, harvest.reporter, harvest.page) == ("湖塘镇夏粮收购进度过半", "王五", "A01")
    assert harvest.also_printed == ()

    # Page attributes on <版面>, text in a CDATA section of <P>s, GB2312.
    assert (industry.title, industry.page, industry.page_name, industry.date) == (
        "高新区新能源产业链加速成形",
        "A03",
        "区域经济",
        "2024-06-28",
    )
    assert industry.text == (
        "今年以来，高新区围绕动力电池、光伏组件和储能设备三条主线招引项目，上半年新签约项目21个。\n"
        "一家储能企业的二期厂房已经封顶，预计9月投产。"
    )


def test_a_continuation_whose_first_part_is_missing_stands_alone():
    titles = [article.title for article in _read("founder_xml/A03.xml").articles]
    assert titles == ["高新区新能源产业链加速成形", "老旧小区改造惠及三万居民"]


def test_other_xml_becomes_a_warning_and_the_rest_loads(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(FIXTURES / "founder_xml/A01.xml", folder)
    shutil.copy(FIXTURES / "bad/feed.xml", folder)
    (folder / "broken.xml").write_bytes(b"<?xml version='1.0'?>\n<\xff\x00 \x00")
    (folder / "empty.xml").write_bytes(b"")

    result = load_articles([folder])
    assert [article.title for article in result.articles] == [
        "老旧小区改造惠及三万居民",
        "湖塘镇夏粮收购进度过半",
    ]
    assert len(result.warnings) == 3, result.warnings
    feed, broken, empty = sorted(result.warnings, key=lambda warning: ("feed" not in warning, warning))
    assert feed == "pages/feed.xml: not a Founder page XML file (root element <rss>); skipped"
    assert broken.startswith("pages/broken.xml: not a Founder page XML file (not well-formed")
    assert empty.startswith("pages/empty.xml: not a Founder page XML file (not well-formed")
