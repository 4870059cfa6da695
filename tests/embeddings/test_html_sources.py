"""E-paper and news web pages → articles (`embeddings.sources.web.html` and its templates).

The fixtures under fixtures/epaper/ mirror real markup, trimmed: founder/ a wget mirror of a Founder
数字报 (page indexes node_N.htm modelled on saved 江西日报 and 中国纪检监察报 pages, article pages on
Founder's NPM article template), people/ paper.people.com.cn's 2024 template, generic/ a news site's
article page with navigation, sidebar and comments around the article.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from embeddings.articles import Placement
from embeddings.sources import load_articles
from embeddings.sources.reading import SourceFile
from embeddings.sources.web.founder_epaper import own_page_files
from embeddings.sources.web.html import read_articles

FIXTURES = Path(__file__).parent / "fixtures" / "epaper"
FOUNDER = "founder/html/2024-06/28"


def _read(*names: str):
    return read_articles([SourceFile(FIXTURES / name, name) for name in names])


def _by_title(articles):
    return {article.title: article for article in articles}


def test_founder_article_pages_take_their_page_from_the_page_indexes():
    names = [
        f"{FOUNDER}/{stem}.htm" for stem in ("node_1", "node_2", *(f"content_100{k}" for k in range(1, 5)))
    ]
    result = _read(*names)
    assert result.warnings == []
    found = _by_title(result.articles)
    assert sorted(found) == [
        "湖塘镇夏粮收购进度过半",
        "老旧小区改造惠及三万居民",
        "运河畔的老茶馆",
        "高新区新能源产业链加速成形",
    ]

    renovation = found["老旧小区改造惠及三万居民"]  # NPM template: markers, <founder-content>
    assert (renovation.kicker, renovation.subtitle) == ("城市更新持续推进", "今年计划改造46个小区")
    assert renovation.text == (
        "本报讯（记者 张三 通讯员 李四）6月27日，记者从区住建局获悉，今年我区计划改造老旧小区46个，"
        "涉及居民3.1万人，目前已有32个小区开工建设。\n"
        "改造内容包括屋面防水、雨污分流、加装电梯和增设停车位等，由居民议事会逐项投票确定。\n"
        "“电梯装好后，我每天都能下楼散步了。”家住湖塘新村的居民说。\n"
        "区住建局相关负责人表示，全部项目将于年底前完工。"
    )
    assert (renovation.reporter, renovation.date, renovation.paper) == ("张三", "2024-06-28", "武进日报")
    assert (renovation.page, renovation.page_name, renovation.format) == ("A01", "要闻", "html")
    assert renovation.url == renovation.source == f"{FOUNDER}/content_1001.htm"  # a wget mirror keeps no URL

    harvest = found["湖塘镇夏粮收购进度过半"]  # body between <!--enpcontent--> markers, ENP metadata
    assert harvest.text == (
        "□ 记者 王五\n连日来，湖塘镇各收购点迎来售粮高峰，截至6月27日，全镇已收购小麦1.2万吨，进度过半。\n"
        "为方便农户售粮，镇里延长了收购点营业时间，并安排专人上门服务。"
    )
    assert (harvest.reporter, harvest.page, harvest.page_name, harvest.external_id) == (
        "王五",
        "A01",
        "要闻",
        "1002",
    )

    teahouse = found["运河畔的老茶馆"]  # GBK, declared gb2312; saved by a browser
    assert teahouse.text.startswith("清晨六点，运河边的老茶馆已经坐满了茶客。")
    assert teahouse.text.endswith("茶馆成了街区的“会客厅”。")
    assert (teahouse.kicker, teahouse.reporter, teahouse.page, teahouse.page_name) == (
        "寻访老字号",
        "赵六",
        "A02",
        "综合新闻",
    )
    assert teahouse.url == "http://epaper.wjdaily.example/html/2024-06/28/content_1004.htm"

    industry = found["高新区新能源产业链加速成形"]  # 转版: linked from the page indexes of A01 and A02
    assert (industry.subtitle, industry.reporter) == ("上半年新签约项目21个，总投资超百亿元", "陈七")
    assert (industry.page, industry.page_name) == ("A01", "要闻")
    assert industry.also_printed == (Placement(f"{FOUNDER}/node_2.htm", "A02", "综合新闻", "2024-06-28", ""),)


def test_no_navigation_or_page_furniture_in_the_text():
    result = _read(
        f"{FOUNDER}/content_1001.htm", f"{FOUNDER}/content_1004.htm", f"{FOUNDER}/content_1002.htm"
    )
    for article in result.articles:
        for furniture in ("上一篇", "下一篇", "版权所有", "第A0", "放大", "打印", "摄"):
            assert furniture not in article.text


def test_people_daily_2024_template():
    result = _read(
        "people/rmrb/pc/layout/202406/28/node_01.html",
        "people/rmrb/pc/content/202406/28/content_30000001.html",
    )
    assert result.warnings == []
    [article] = result.articles
    assert (article.kicker, article.title, article.subtitle) == (
        "坚持以科技创新引领产业创新",
        "智能制造为产业升级注入新动能",
        "今年以来全国新建数字化车间和智能工厂逾千家",
    )
    assert article.text == (
        "本报北京6月27日电 （记者刘八）记者从工业和信息化部获悉："
        "今年以来，全国新建数字化车间和智能工厂逾千家，制造业数字化转型步伐加快。\n"
        "工业和信息化部有关负责人表示，下一步将加快推动人工智能与制造业深度融合。"
    )  # the picture caption in the body's table is left out
    assert (article.reporter, article.date, article.paper) == ("刘八", "2024-06-28", "人民日报")
    assert (article.page, article.page_name) == ("01", "要闻")
    assert article.url == "http://paper.people.com.cn/rmrb/pc/content/202406/28/content_30000001.html"


GENERIC_TEXT = (
    "记者6月27日从市文旅局获悉，古运河夜游线路将于7月1日正式开通，游客可从东坡公园码头登船，沿运河夜游两岸灯光景观。\n"
    "这条线路全长约6公里，沿途经过篦箕巷、西瀛里等历史街区，单程约50分钟，每晚发船8班。\n"
    "市文旅局相关负责人介绍，夜游船票可在线预约，开通首周市民凭身份证可享半价优惠。"
)


def test_any_news_page_through_trafilatura():
    [article] = _read("generic/news_article.html").articles
    assert article.title == "古运河夜游线路7月1日开通"
    assert article.text == GENERIC_TEXT  # no menu, sidebar, comments, share buttons or footer
    assert (article.reporter, article.date, article.paper) == ("孙九", "2024-06-28", "常州新闻网")
    assert article.url == "https://news.czxw.example/bendi/2024-06/28/c_118265.html"


def test_a_page_not_in_its_declared_charset_is_detected(tmp_path):
    page = tmp_path / "gbk.html"  # says utf-8, is GBK: the declaration is wrong, the detection right
    page.write_bytes((FIXTURES / "generic/news_article.html").read_text(encoding="utf-8").encode("gbk"))
    [article] = read_articles([SourceFile(page, "gbk.html")]).articles
    assert article.text == GENERIC_TEXT


def _write_page_files(mirror: Path) -> list[Path]:
    """The page pictures and a page PDF the page indexes link: a real PNG and a real one-page PDF."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    pictures = [mirror / f"images/2024-06/28/{page}/20240628{page}_b.png" for page in ("A01", "A02")]
    for picture in pictures:
        picture.parent.mkdir(parents=True)
        Image.new("RGB", (40, 60), "white").save(picture)
    pdfs = [mirror / f"page/2024-06/28/{page}/20240628{page}_pdf.pdf" for page in ("A01", "A02")]
    for pdf in pdfs:
        pdf.parent.mkdir(parents=True)
        sheet = canvas.Canvas(str(pdf))
        sheet.drawString(72, 720, f"Wujin Daily {pdf.parent.name}")
        sheet.save()
    return [*pictures, *pdfs]


def test_mirrored_e_paper_folder(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURES / "founder", mirror)
    page_files = _write_page_files(mirror)
    (mirror / "saved").mkdir()  # the same article saved a second time, by a browser
    shutil.copy(mirror / "html/2024-06/28/content_1002.htm", mirror / "saved/content_1002.htm")

    result = load_articles([mirror])
    titles = [article.title for article in result.articles]
    assert sorted(titles) == [
        "湖塘镇夏粮收购进度过半",
        "老旧小区改造惠及三万居民",
        "运河畔的老茶馆",
        "高新区新能源产业链加速成形",
    ]
    pages = {article.title: (article.page, article.page_name) for article in result.articles}
    assert pages["运河畔的老茶馆"] == ("A02", "综合新闻")
    found = _by_title(result.articles)
    assert found["高新区新能源产业链加速成形"].also_printed == (
        Placement("mirror/html/2024-06/28/node_2.htm", "A02", "综合新闻", "2024-06-28", ""),
    )
    assert [place.source for place in found["湖塘镇夏粮收购进度过半"].also_printed] == [
        "mirror/saved/content_1002.htm"
    ]
    # The page pictures and PDF are the pages' own: covered, neither read nor warned about.
    names = {path.name for path in page_files}
    assert not [article for article in result.articles if Path(article.source).name in names]
    assert result.warnings == [
        "mirror/saved/content_1002.htm: the same article '湖塘镇夏粮收购进度过半' of "
        "mirror/html/2024-06/28/content_1002.htm; indexed once, both places recorded"
    ]


def test_a_page_index_covers_its_own_pdf_not_every_page_s():
    # The page navigation of a 江西日报 page index links every page's PDF.
    pdfs = ["../../../page/186/2017-10-09/A01/5128.pdf", "../../../page/186/2017-10-09/A02/5457.pdf"]
    assert own_page_files(pdfs, "A01") == (pdfs[0],)
    assert own_page_files(["../../1/2017-07/22/1/201707221_pdf.pdf"], "1") == (
        "../../1/2017-07/22/1/201707221_pdf.pdf",
    )


def test_pages_without_an_article_become_warnings(tmp_path):
    bad = tmp_path / "site"
    bad.mkdir()
    for name in ("bad/home.html", "bad/not_found.html", "generic/news_article.html", f"{FOUNDER}/node_1.htm"):
        shutil.copy(FIXTURES / name, bad)
    (bad / "broken.htm").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
    (bad / "empty.html").write_bytes(b"")

    result = load_articles([bad])
    assert [article.title for article in result.articles] == ["古运河夜游线路7月1日开通"]
    warnings = "\n".join(result.warnings)
    assert len(result.warnings) == 5, warnings
    assert (
        "site/home.html: no article found in this page (a home, error or index page?); skipped. "
        "Save the article pages themselves"
    ) in result.warnings
    assert "site/not_found.html: no article found in this page" in warnings
    assert "site/node_1.htm: the page index of 第A01版 links 3 article pages" in warnings
    assert "broken.htm: binary file" in warnings
    assert "site/empty.html: empty file, skipped" in warnings


def test_a_story_continued_on_another_article_page_is_joined() -> None:
    result = load_articles([FIXTURES / "founder_continued"])
    assert result.warnings == []
    titles = sorted(a.title for a in result.articles)
    assert titles == ["暑期托管班下周开班", "西太湖科技产业园新添三家研发中心"]
    story = next(a for a in result.articles if a.title.startswith("西太湖"))
    assert story.page == "A01" and story.reporter == "孙八"
    assert story.text.endswith("园区新增高新技术企业17家。") and "共享中试基地" in story.text
    assert "下转" not in story.text and "上接" not in story.text
    assert [(p.page, p.page_name) for p in story.also_printed] == [("A03", "综合新闻")]
    assert story.also_printed[0].source.endswith("content_2002.htm")
