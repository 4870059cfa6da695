"""Parsing newspaper pages: the bundled sample pages and small hand-made pages."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from embeddings.articles import Article
from embeddings.settings import bundled_sample_dir
from embeddings.sources.text import SENTENCE_END, ends_sentence, fallback_title, fix_ocr_words, parse_page

EXPECTED = [  # (title, subtitle, reporter) in page order, page 000 then 003
    ("乔俊杰集体约谈区委常委会班子成员", "", "朱梦琪"),
    ("提高政治站位 依法履行职权 奋力开创新时代人大工作新局面", "——区人大常委会工作综述(上)", "史莲寅"),
    ("同心同德共襄伟业 善作善为砥砺前行", "——区政协常委会工作综述(上)", "吴梦婷"),
    ("武进—汉滨 2024 年苏陕协作工作联席会召开", "高质量推动苏陕协作走深走实", "张可馨"),
    ("2024年区委党建工作领导小组第二次会议召开", "", "朱梦琪"),
    ("乔俊杰督查突出环境问题整改工作推进情况", "有力抓实问题整改 持续改善生态环境质量", "黄雅婷"),
    ("区领导调研乡村振兴工作", "", "宋祎凡"),
]
PULL_QUOTE = "推进全面从严治党,必须发挥领导干部的表率作用"


def _sample_text(stem_prefix: str) -> tuple[str, str]:
    (path,) = sorted(bundled_sample_dir().glob(f"{stem_prefix}_*.txt"))
    return path.read_text(encoding="utf-8"), f"wujin/{path.name}"


@pytest.fixture(scope="module")
def sample_articles() -> list[Article]:
    articles = []
    for prefix in ("000", "003"):
        text, source = _sample_text(prefix)
        articles.extend(parse_page(text, source))
    return articles


def test_sample_titles_subtitles_reporters(sample_articles: list[Article]) -> None:
    assert [(a.title, a.subtitle, a.reporter) for a in sample_articles] == EXPECTED


def test_sample_sources_are_the_given_names(sample_articles: list[Article]) -> None:
    assert {a.source for a in sample_articles} == {
        "wujin/000_540523ca5f8d8d9a.txt",
        "wujin/003_6b0ac8f283288027.txt",
    }
    assert all(a.date is None for a in sample_articles)


def test_no_paragraph_is_cut_by_a_column_break(sample_articles: list[Article]) -> None:
    for article in sample_articles:
        for paragraph in article.paragraphs[1:]:  # paragraph 0 is the byline
            assert paragraph and paragraph == paragraph.strip()
            assert ends_sentence(paragraph), f"{article.title}: cut paragraph {paragraph[-20:]!r}"


def test_column_breaks_are_joined_without_space(sample_articles: list[Article]) -> None:
    first, *_, fourth, fifth, _sixth, seventh = sample_articles
    assert "巩固发展风清气正的政治生态" in first.text
    assert "倍感振奋、由衷钦佩。" in fourth.text
    assert "向更高层次迈进。" in fourth.text
    assert "“两湖”创新区建设" in fifth.text
    assert "利用好志愿者服务队，" in seventh.text


def test_pull_quote_is_dropped(sample_articles: list[Article]) -> None:
    first = sample_articles[0]
    assert first.text.count(PULL_QUOTE) == 1
    assert first.paragraphs[-1].startswith("乔俊杰强调,元旦春节将至")


def test_bylines_are_their_own_first_paragraph(sample_articles: list[Article]) -> None:
    for article in sample_articles:
        assert article.reporter in article.paragraphs[0]
        assert "记者" in article.paragraphs[0]
        assert "记者" not in "\n".join(article.paragraphs[1:])
    assert sample_articles[0].paragraphs[:2] == ["本报讯 (记者 朱梦琪)", sample_articles[0].paragraphs[1]]
    assert sample_articles[0].paragraphs[1].startswith("昨天,市委常委")
    assert sample_articles[1].paragraphs[0] == "□ 记者 史莲寅"
    assert sample_articles[1].paragraphs[1].startswith("2023年,区人大常委会")
    assert sample_articles[3].paragraphs[0] == "本报讯（记者 张可馨）"
    assert sample_articles[3].paragraphs[1].startswith("6月26日—27日，陕西省")


def test_ocr_and_is_restored_to_he(sample_articles: list[Article]) -> None:
    assert all(" and " not in a.text and "and" not in a.title for a in sample_articles)
    assert "二十大精神和二十届二中全会精神" in sample_articles[0].text
    assert "大兴调查研究和“牢记嘱托" in sample_articles[1].text


def test_punctuation_is_kept_as_written(sample_articles: list[Article]) -> None:
    assert "，" not in sample_articles[0].text and "," in sample_articles[0].text
    assert "，" in sample_articles[3].text


def test_paragraph_counts(sample_articles: list[Article]) -> None:
    assert [len(a.paragraphs) for a in sample_articles] == [7, 4, 5, 7, 7, 6, 4]


def test_markdown_page_read_as_plain_text_gives_the_same_articles(sample_articles: list[Article]) -> None:
    text, source = _sample_text("000")
    plain = parse_page(re.sub(r"^#+ ", "", text, flags=re.MULTILINE), source)
    assert plain == sample_articles[:3]


def test_page_without_headline_is_one_article_titled_by_its_first_sentence() -> None:
    text = "市区今天发布暴雨预警，请市民注意出行安全。\n\n气象台预计，降雨将持续到周末。\n"
    (article,) = parse_page(text, "notice.txt")
    assert article.title == "市区今天发布暴雨预警，请市民注意出行安全"
    assert article.reporter == ""
    assert article.paragraphs == [
        "市区今天发布暴雨预警，请市民注意出行安全。",
        "气象台预计，降雨将持续到周末。",
    ]


def test_article_without_byline_has_no_reporter() -> None:
    text = "上一篇的结尾。\n\n区图书馆新馆开放\n\n昨天，区图书馆新馆正式开放，市民可免费入馆。\n"
    lead, article = parse_page(text, "p.txt")
    assert lead.text == "上一篇的结尾。"
    assert (article.title, article.reporter) == ("区图书馆新馆开放", "")


def test_pull_quote_before_plain_headline_is_not_a_title() -> None:
    text = (
        "区图书馆新馆开放\n\n本报讯（记者 王一）昨天，区图书馆新馆正式开放，全年预计接待读者五十万人次。\n\n"
        "全年预计接待读者五十万人次\n\n"
        "区体育馆完成改造\n\n□ 记者 李二\n\n区体育馆近日完成改造，\n\n将于下月重新开放。\n"
    )
    first, second = parse_page(text, "p.txt")
    assert first.paragraphs == [
        "本报讯（记者 王一）",
        "昨天，区图书馆新馆正式开放，全年预计接待读者五十万人次。",
    ]
    assert (second.title, second.subtitle, second.reporter) == ("区体育馆完成改造", "", "李二")
    assert second.text == "□ 记者 李二\n区体育馆近日完成改造，将于下月重新开放。"


def test_pull_quote_placed_before_its_sentence_is_dropped() -> None:
    text = (
        "区图书馆新馆开放\n\n老馆已闭馆。\n\n全年接待读者五十万人次。\n\n新馆开放后，全年接待读者五十万人次。"
    )
    (article,) = parse_page(text, "p.txt")
    assert article.paragraphs == ["老馆已闭馆。", "新馆开放后，全年接待读者五十万人次。"]


def test_identical_paragraphs_keep_the_first() -> None:
    text = "区图书馆新馆开放\n\n新馆全年接待读者五十万人次。\n\n新馆全年接待读者五十万人次。\n"
    (article,) = parse_page(text, "p.txt")
    assert article.paragraphs == ["新馆全年接待读者五十万人次。"]


@pytest.mark.parametrize(
    ("byline", "reporter"),
    [
        ("本报讯（记者 王一 通讯员 张三）", "王一"),
        ("本报讯 (通讯员 张三 记者 王一) ", "王一"),
        ("本报讯（通讯员 张三）", "张三"),
        ("本报讯 ", ""),
        ("□本报记者 王一\n", "王一"),
        ("记者 王一 李四\n\n", "王一 李四"),
    ],
)
def test_byline_variants(byline: str, reporter: str) -> None:
    (article,) = parse_page(f"区图书馆新馆开放\n\n{byline}昨天，新馆正式开放。\n", "p.txt")
    assert (article.reporter, article.text) == (reporter, f"{byline.strip()}\n昨天，新馆正式开放。")


def test_line_starting_with_jizhe_in_a_sentence_is_body_text() -> None:
    (article,) = parse_page("区图书馆新馆开放\n\n记者从区文体局获悉，新馆昨天开放。\n", "p.txt")
    assert (article.reporter, article.text) == ("", "记者从区文体局获悉，新馆昨天开放。")


def test_run_of_short_lines_is_a_list_not_a_headline() -> None:
    text = "主要任务如下。\n\n修路\n\n建桥\n\n治河\n\n造林\n\n以上任务年底前完成。\n"
    (article,) = parse_page(text, "p.txt")
    assert article.title == "主要任务如下"
    assert article.paragraphs == ["主要任务如下。", "修路建桥治河造林以上任务年底前完成。"]


def test_fix_ocr_words_only_between_chinese() -> None:
    assert fix_ocr_words("学习 and 贯彻") == "学习和贯彻"
    assert fix_ocr_words("研究 and “牢记嘱托”") == "研究和“牢记嘱托”"
    assert fix_ocr_words("rock and roll 音乐") == "rock and roll 音乐"
    assert fix_ocr_words("品味书香润初心 静享悦读担使命") == "品味书香润初心 静享悦读担使命"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("结束了。", True),
        ("他说：“好！”", True),
        ("（完。）", True),
        ("中汽研（常州）", False),
        ("巩固", False),
    ],
)
def test_ends_sentence(line: str, expected: bool) -> None:
    assert ends_sentence(line) is expected


def test_fallback_title_is_cut() -> None:
    assert fallback_title("一" * 40 + "。") == "一" * 30 + "…"


@given(
    st.text(alphabet=st.sampled_from(list("武进新闻#□ 记者本报讯（）\n。，and" + SENTENCE_END)), max_size=200)
)
def test_any_page_gives_clean_articles(text: str) -> None:
    for article in parse_page(text, "x.txt"):
        assert article.title
        assert all(p and p == p.strip() for p in article.paragraphs)
