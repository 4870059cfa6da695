"""Archive questions: exact counts and complete lists on the real 2024 archive, against a plain
scan of its JSONL; reprint grouping on constructed reprints; the sample's people; bad input.

The catalog is built from the archive's articles and its extracted tables, exactly as a build
stores them, without the vectors (archive questions never read them); the end-to-end path
through a built index, `qa.answer` and the CLI is tested on the bundled sample.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace
from pathlib import Path

import pytest

from embeddings.articles import Article
from embeddings.sources.dedupe import reprint_groups
from embeddings.store.archive_tables import extract_tables, read_tables, write_tables
from embeddings.store.keywords import KeywordTokenizer
from qa.archive.answers import archive_text, catalog_result
from qa.archive.catalog import Catalog
from qa.archive.grammar import Asked, parse_archive_question
from tests.conftest import XWLB

needs_archive = pytest.mark.skipif(
    not XWLB.is_file(), reason=f"{XWLB} not found (../shared is not beside the repo)"
)
TOKENIZER = KeywordTokenizer()


def cut(text: str) -> list[str]:
    return [text[s:e] for s, e in TOKENIZER.word_spans(text)]


# --- the grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "asked", "terms"),
    [
        ("有多少篇报道提到乡村振兴？", Asked.COUNT, ("乡村振兴",)),
        ("关于苏陕协作的报道有几篇", Asked.COUNT, ("苏陕协作",)),
        ("一共报道了几次督查？", Asked.COUNT, ("督查",)),
        ("列出所有报道苏陕协作的文章。", Asked.LIST, ("苏陕协作",)),
        ("哪些报道提到了中国式现代化和上海？", Asked.LIST, ("中国式现代化", "上海")),
        ("有哪些关于防汛的报道？", Asked.LIST, ("防汛",)),
        ("列出提到雪的报道", Asked.LIST, ("雪",)),  # one character, but what is reported
        ("人工智能和新质生产力哪个被报道得更多？", Asked.COMPARE, ("人工智能", "新质生产力")),
        ("乔俊杰还是恽淇丞被提到得多？", Asked.COMPARE, ("乔俊杰", "恽淇丞")),
        ("每个月有多少篇报道提到人工智能？", Asked.COUNT, ("人工智能",)),
        ("嫦娥六号第一次出现在报道中是什么时候？", Asked.FIRST, ("嫦娥六号",)),
        ("最近一篇提到台风的报道是哪天？", Asked.LAST, ("台风",)),
        ("第一篇提到低空经济的报道是哪天？", Asked.FIRST, ("低空经济",)),
        ("关于低空经济的报道有多少？", Asked.COUNT, ("低空经济",)),  # the count asked last, no 篇
        ("哪位记者发表的文章最多？", Asked.MOST, ()),
        ("关于雪的报道有几篇", Asked.COUNT, ("雪",)),
        ("哪几篇涉及苏陕协作的文章？", Asked.LIST, ("苏陕协作",)),
        ("哪几篇报道提到了乡村振兴？", Asked.LIST, ("乡村振兴",)),
        ("乔俊杰参加了哪些活动，按时间排列？", Asked.TIMELINE, ("乔俊杰",)),
        ("苏陕协作的时间线", Asked.TIMELINE, ("苏陕协作",)),
        ("哪位记者发稿最多？", Asked.MOST, ()),
        ("哪些镇被报道得最多？", Asked.MOST, ()),
    ],
)
def test_archive_question_forms(question: str, asked: Asked, terms: tuple[str, ...]) -> None:
    parsed = parse_archive_question(question, cut)
    assert parsed is not None and parsed.asked is asked and parsed.terms == terms


def test_what_most_questions_rank() -> None:
    assert parse_archive_question("哪位记者发稿最多？", cut).ranked == "reporter"
    town = parse_archive_question("哪些镇被报道得最多？", cut)
    assert (town.ranked, town.category) == ("place", "镇")
    assert parse_archive_question("提到最多的国家是哪个？", cut).category == "国家"
    top = parse_archive_question("被提到最多的前5位领导是谁？", cut)
    assert (top.ranked, top.top, top.terms) == ("person", 5, ())
    month = parse_archive_question("哪个月提到人工智能的报道最多？", cut)
    assert (month.asked, month.ranked, month.terms) == (Asked.MOST, "month", ("人工智能",))
    assert parse_archive_question("哪一年报道乡村振兴最多？", cut).ranked == "year"


@pytest.mark.parametrize(
    "question",
    [
        "前黄浜全长多少公里？",
        "谁是国务院总理？",
        "武进区有几个镇？",
        "乔俊杰参加了哪些活动？",
        "他还参加了哪些活动？",
        "哪些国家领导人发表了祝贺的消息？",  # who sent messages, not a list of stories
        "哪位作家在他的文章中第一次公开使用了这个称谓？",  # who, not when a story first said it
        "他第一次出现在电视上是什么时候？",
        "为什么需要第二个时间线？",
        "哪个时间线在第四个尺度中得到了进一步扩展？",
        "在北美哪所大学每年发表的科研论文数量最多?",  # 发表 of papers, not of stories
        "这个国家的报纸有多少？",
    ],
)
def test_questions_about_content_are_not_archive_questions(question: str) -> None:
    assert parse_archive_question(question, cut) is None


def test_a_list_without_a_subject_needs_a_time() -> None:
    """哪些报道 alone asks for nothing; with a time (its expression already taken out by the
    caller), 1月1日有哪些新闻 asks for every story of that day."""
    for rest in ("有哪些新闻？", "列出的报道"):
        assert parse_archive_question(rest, cut) is None
        parsed = parse_archive_question(rest, cut, timed=True)
        assert parsed is not None and (parsed.asked, parsed.terms) == (Asked.LIST, ())


def test_one_character_words_are_dropped_only_as_words() -> None:
    """中 and 上 are filler words, never cut out of 中国 or 上海."""
    assert parse_archive_question("哪些报道提到中国和上海？", cut).terms == ("中国", "上海")


# --- the 2024 archive against a plain scan -------------------------------------------------------


@pytest.fixture(scope="module")
def archive(xwlb_articles, xwlb_tables) -> tuple[Catalog, list[dict]]:
    rows = [json.loads(line) for line in XWLB.read_text(encoding="utf-8").splitlines() if line.strip()]
    # The reader indexes a story printed twice word for word once (one such pair in 2024), so
    # the scan counts distinct (title, text) pairs.
    distinct = list({(r["title"], r["text"]): r for r in rows}.values())
    return Catalog(xwlb_articles, xwlb_tables), distinct


def scan(rows: list[dict], term: str, month: str | None = None) -> set[str]:
    """Ids of the stories whose title or text contains `term`, by a plain loop over the JSONL."""
    return {
        r["id"]
        for r in rows
        if (term in r["title"] or term in r["text"]) and (month is None or r["date"].startswith(month))
    }


def all_pages(catalog: Catalog, question: str) -> list:
    first = catalog_result(catalog, TOKENIZER, question)
    items = list(first.items)
    for page in range(2, first.pages + 1):
        items += catalog_result(catalog, TOKENIZER, question, page=page).items
    return first, items


@needs_archive
@pytest.mark.parametrize(
    ("question", "term", "month"),
    [
        ("2024年有多少篇报道提到乡村振兴？", "乡村振兴", None),
        ("有多少篇报道提到人工智能？", "人工智能", None),
        ("2024年7月一共有几篇报道提到防汛？", "防汛", "2024-07"),
        ("一共报道了几次督查？", "督查", None),
        ("3月份有多少篇报道提到两会？", "两会", "2024-03"),
        ("列出所有报道一带一路的文章", "一带一路", None),
        ("11月提到进博会的报道有哪些？", "进博会", "2024-11"),
    ],
)
def test_counts_and_lists_equal_a_plain_scan(archive, question: str, term: str, month: str | None) -> None:
    catalog, rows = archive
    expected = scan(rows, term, month)
    result, items = all_pages(catalog, question)
    assert result.articles == len(expected) > 0
    by_id = {a.id: a for a in catalog.articles}
    listed = {by_id[i.article_id].external_id for i in items} | {
        by_id[r[0]].external_id for i in items for r in i.reprints
    }
    assert listed == expected  # complete: recall 1.0, and nothing else
    assert result.stories == len(items) <= result.articles
    for item in items:
        article = by_id[item.article_id]
        assert (month is None or item.date.startswith(month)) and item.date
        if item.span:
            assert article.text[item.span[0] : item.span[1]] == item.quote and term in item.quote
        else:
            assert term in article.title
    assert sum(n for _, n in result.months) == result.stories


@needs_archive
@pytest.mark.parametrize("question", ["2024年3月5日有哪些新闻？", "列出2024年3月5日的报道"])
def test_a_days_stories_equal_a_plain_scan_and_quote_their_leads(archive, question: str) -> None:
    catalog, rows = archive
    expected = {r["id"] for r in rows if r["date"] == "2024-03-05"}
    result, items = all_pages(catalog, question)
    assert (result.asked, result.terms, result.window) == ("list", (), ("2024-03-05", "2024-03-05"))
    by_id = {a.id: a for a in catalog.articles}
    listed = {by_id[i.article_id].external_id for i in items} | {
        by_id[r[0]].external_id for i in items for r in i.reprints
    }
    assert listed == expected and len(expected) > 5
    for item in items:  # each story's first sentence: what happened that day, not its title again
        text = by_id[item.article_id].text
        assert item.span[0] == len(text) - len(text.lstrip()) and text[slice(*item.span)] == item.quote
    head = archive_text(result)[0].splitlines()[0]
    assert head == f"共有{result.stories}篇报道。"  # no "提到全部": nothing was searched for


@needs_archive
def test_mention_counts_equal_a_plain_scan(archive) -> None:
    catalog, rows = archive
    result = catalog_result(catalog, TOKENIZER, "习近平被提到多少次？")
    expected = sum(r["title"].count("习近平") + r["text"].count("习近平") for r in rows)
    assert result.mentions == expected and result.articles == len(scan(rows, "习近平"))


@needs_archive
def test_a_term_in_most_of_the_archive_is_counted_exactly_and_listed_a_page_at_a_time(archive) -> None:
    catalog, rows = archive
    result = catalog_result(catalog, TOKENIZER, "有多少篇报道提到中国？")
    assert result.articles == len(scan(rows, "中国")) > 2000
    assert len(result.items) == result.page_size and result.pages == -(-result.stories // result.page_size)


@needs_archive
def test_ranking_of_people_counts_their_stories(archive) -> None:
    catalog, rows = archive
    result = catalog_result(catalog, TOKENIZER, "被提到最多的人物是谁？")
    top = result.ranked[0]
    assert top.name == "习近平"
    # Every story the table credits to 习近平 contains the name; the scan bounds it from above.
    assert top.articles <= len(scan(rows, "习近平"))
    assert top.example.quote and "习近平" in top.example.quote


# --- reprints ----------------------------------------------------------------------------------


def _reprinted(article: Article, rng: random.Random, days: int) -> Article:
    """The same story as a paper reprints it days later, with small edits: a lead added, one
    sentence cut, a typo fixed, a comma changed."""
    sentences = re.findall(r"[^。！？]+[。！？]?", article.text)
    if len(sentences) > 3:
        sentences.pop(rng.randrange(1, len(sentences) - 1))
    text = "本报讯 " + "".join(sentences)
    text = text.replace("的", "地", 1).replace("，", "；", 1)
    year, month, day = map(int, article.date.split("-"))
    later = f"{year:04d}-{month:02d}-{min(day + days, 28):02d}"
    return replace(article, text=text, date=later, source=f"{article.source}#reprint")


@needs_archive
def test_the_busiest_month_equals_a_plain_scan(archive) -> None:
    catalog, rows = archive
    result = catalog_result(catalog, TOKENIZER, "2024年下半年哪个月提到台风的报道最多？")
    per_month: dict[str, int] = {}
    for story in scan(rows, "台风"):
        day = next(r["date"] for r in rows if r["id"] == story)
        if day >= "2024-07":
            per_month[day[:7]] = per_month.get(day[:7], 0) + 1
    ordered = sorted(per_month.items(), key=lambda pair: (-pair[1], pair[0]))
    assert [(r.name, r.stories) for r in result.ranked] == [
        (f"{m[:4]}年{int(m[5:])}月", n) for m, n in ordered
    ]
    assert all(item.date.startswith(month) for item, (month, _) in zip(result.items, ordered, strict=True))
    from qa.archive.answers import archive_text

    text, short, _ = archive_text(result)
    best = [f"{m[:4]}年{int(m[5:])}月" for m, n in ordered if n == ordered[0][1]]
    assert short == "、".join(best) and text.startswith(short)


def test_the_busiest_month_of_an_undated_archive_says_dates_are_unknown(sample_articles) -> None:
    from qa.archive.answers import archive_text

    undated = [replace(a, date=None) for a in sample_articles]
    result = catalog_result(Catalog(undated, extract_tables(undated)), TOKENIZER, "哪个月报道苏陕协作最多？")
    text, short, items = archive_text(result)
    assert "没有发布日期" in text and short is None and not items


def test_reprint_grouping_precision_and_recall(xwlb_articles) -> None:
    rng = random.Random(7)
    stories = [a for a in xwlb_articles if len(a.text) >= 200]
    originals = rng.sample(stories, 400)
    reprinted = rng.sample(originals, 60)
    copies = [_reprinted(a, rng, rng.randint(1, 3)) for a in reprinted]
    archive = originals + copies
    truth = {frozenset((a.id, c.id)) for a, c in zip(reprinted, copies, strict=True)}
    groups: dict[str, list[str]] = {}
    for article_id, first in reprint_groups(archive).items():
        groups.setdefault(first, []).append(article_id)
    found = {frozenset((a, b)) for members in groups.values() for a in members for b in members if a < b}
    precision = len(found & truth) / max(1, len(found))
    recall = len(found & truth) / len(truth)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_reprints_count_once_and_show_the_grouping(sample_articles) -> None:
    article = next(a for a in sample_articles if "苏陕协作" in a.text)
    copy = replace(
        article, text="本报讯 " + article.text.replace("的", "地", 1), date="2024-07-01", source="reprint.txt"
    )
    articles = [*sample_articles, copy]
    catalog = Catalog(articles, extract_tables(articles))
    result = catalog_result(catalog, TOKENIZER, "列出所有报道苏陕协作的文章")
    assert result.articles == result.stories + 1
    grouped = [item for item in result.items if item.reprints]
    assert len(grouped) == 1 and grouped[0].reprints[0][0] == copy.id


def test_a_stored_catalog_reads_its_tables_only_for_an_archive_question(sample_articles, tmp_path) -> None:
    write_tables(tmp_path, extract_tables(sample_articles))
    catalog = Catalog.of_generation(sample_articles, tmp_path)
    assert catalog_result(catalog, TOKENIZER, "前黄浜全长多少公里？") is None
    assert "tables" not in vars(catalog)  # a start-up's warm-up question leaves them on disk
    result = catalog_result(catalog, TOKENIZER, "乔俊杰被提到多少次？")
    assert "tables" in vars(catalog) and result.mentions > 5
    assert (
        result.mentions
        == catalog_result(
            Catalog(sample_articles, read_tables(tmp_path)), TOKENIZER, "乔俊杰被提到多少次？"
        ).mentions
    )


# --- the sample: people and reporters ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_catalog(sample_articles) -> Catalog:
    return Catalog(sample_articles, extract_tables(sample_articles))


def test_person_mentions_on_the_sample_equal_a_plain_scan(sample_catalog) -> None:
    files = sorted(Path(__file__).resolve().parents[2].joinpath("data", "wujin").glob("*.txt"))
    expected = sum(f.read_text(encoding="utf-8").count("乔俊杰") for f in files)
    result = catalog_result(sample_catalog, TOKENIZER, "乔俊杰被提到多少次？")
    assert result.mentions == expected > 5


def test_reporter_ranking_on_the_sample_equals_the_bylines(sample_catalog) -> None:
    files = sorted(Path(__file__).resolve().parents[2].joinpath("data", "wujin").glob("*.txt"))
    bylines: dict[str, int] = {}
    for file in files:
        for chunk in re.split(r"\n(?=#|\S.{0,40}\n\n)", file.read_text(encoding="utf-8")):
            for name in dict.fromkeys(re.findall(r"记者\s*([\u4e00-\u9fff]{2,3})[）)\s]", chunk)):
                bylines[name] = bylines.get(name, 0) + 1
    result = catalog_result(sample_catalog, TOKENIZER, "哪位记者发稿最多？")
    ranked = {r.name: r.articles for r in result.ranked}
    assert ranked == {name: n for name, n in bylines.items() if name in ranked} and set(ranked) == set(
        bylines
    )


def test_the_sample_s_reporters_and_people_are_listed_by_coverage(sample_catalog) -> None:
    reporters = catalog_result(sample_catalog, TOKENIZER, "有哪些记者？")
    ranking = catalog_result(sample_catalog, TOKENIZER, "哪位记者发稿最多？")
    assert reporters.asked == "entities" and reporters.named == len(reporters.ranked) == 6
    assert [r.name for r in reporters.ranked] == [r.name for r in ranking.ranked]
    text, short, items = archive_text(reporters)
    assert short.startswith("朱梦琪、") and text.startswith(f"{short}，共6个记者。依次是：朱梦琪（2篇）")
    assert len(items) == 6
    people = catalog_result(sample_catalog, TOKENIZER, "报道中提到了哪些人？")
    assert {"乔俊杰", "恽淇丞", "吴大林"} <= {r.name for r in people.ranked}
    # Places are listed only as a ranking (哪些镇被报道得最多): listed whole, the table shows its
    # extraction's misses. And 代表团考察了哪些地方 asks about the world, not the archive.
    assert catalog_result(sample_catalog, TOKENIZER, "报道中提到了哪些地方？") is None
    assert catalog_result(sample_catalog, TOKENIZER, "汉滨区党政代表团考察了哪些地方？") is None


@needs_archive
def test_national_news_has_no_bylines_and_lists_its_countries(archive) -> None:
    catalog, _ = archive
    # 记者从水利部了解到 and 记者来到这里 are no bylines: the 2024 archive has none.
    assert not any(record.role == "reporter" for record in catalog.tables.people)
    countries = catalog_result(catalog, TOKENIZER, "报道中提到了哪些国家？")
    assert countries.named > len(countries.ranked) == 30
    assert [r.name for r in countries.ranked[:2]] == ["中国", "美国"]
    assert all(r.category == "国家" for r in countries.ranked)
    text, short, _ = archive_text(countries)
    assert text.startswith(f"{short}等，共{countries.named}个地点，按报道篇数列出前30个。")


@needs_archive
def test_a_comparison_and_a_month_by_month_count_equal_a_plain_scan(archive) -> None:
    catalog, rows = archive
    compared = catalog_result(catalog, TOKENIZER, "人工智能和新质生产力哪个被报道得更多？")
    counts = {r.name: r.stories for r in compared.ranked}
    assert counts == {term: len(scan(rows, term)) for term in ("人工智能", "新质生产力")}
    text, short, _ = archive_text(compared)
    assert short == max(counts, key=counts.get) and text.startswith(f"{short}更多，{counts[short]}篇报道")
    monthly = catalog_result(catalog, TOKENIZER, "每个月有多少篇报道提到人工智能？")
    assert monthly.terms == ("人工智能",)  # 每个 is no term
    text, _, _ = archive_text(monthly)
    june = len(scan(rows, "人工智能", "2024-06"))
    assert f"2024年6月{june}篇" in text.split("\n")[0]


@needs_archive
@pytest.mark.parametrize("term", ["嫦娥六号", "台风", "秦岭站"])
def test_the_first_and_the_last_story_equal_a_plain_scan(archive, term: str) -> None:
    catalog, rows = archive
    days = sorted(r["date"] for r in rows if r["id"] in scan(rows, term))
    first = catalog_result(catalog, TOKENIZER, f"{term}第一次出现在报道中是什么时候？")
    last = catalog_result(catalog, TOKENIZER, f"最近一篇提到{term}的报道是哪天？")
    assert (first.items[0].date, last.items[0].date) == (days[0], days[-1])
    text, short, items = archive_text(last)
    assert text.startswith(f"最近一篇提到“{term}”的报道是{short}的《{items[0].title}》")
    assert term in items[0].quote or term in items[0].title


@needs_archive
def test_foreign_leaders_are_those_with_a_foreign_title(archive) -> None:
    catalog, _ = archive
    leaders = catalog_result(catalog, TOKENIZER, "哪位领导人出现在报道中最多？")
    assert leaders.ranked[0].name == "习近平" and "领导人" not in leaders.counted  # no term
    foreign = catalog_result(catalog, TOKENIZER, "哪位外国领导人被提到最多？")
    names = [r.name for r in foreign.ranked]
    assert names[0] == "普京" and not {"习近平", "李强", "王毅"} & set(names)
    assert all(r.category == "外国" for r in foreign.ranked) and "外国" not in foreign.terms


# --- bad input -----------------------------------------------------------------------------------


def test_a_time_question_on_an_undated_archive_says_dates_are_unknown(sample_articles) -> None:
    undated = [replace(a, date=None) for a in sample_articles]
    catalog = Catalog(undated, extract_tables(undated))
    result = catalog_result(catalog, TOKENIZER, "2024年有多少篇报道提到苏陕协作？")
    assert not result.dates_known and result.window is not None
    from qa.archive.answers import archive_text

    text, short, items = archive_text(result)
    assert "没有发布日期" in text and short is None and not items


def test_a_name_that_is_a_reporter_and_a_person_is_reported_as_ambiguous() -> None:
    articles = [
        Article(
            title="全区秋粮收购进度过半",
            text="本报讯（记者 张伟）全区秋粮收购进度过半。",
            source="a.txt",
            date="2024-10-01",
        ),
        Article(
            title="区长调研秋粮收购",
            text="区委副书记、区长张伟调研秋粮收购工作。",
            source="b.txt",
            date="2024-10-02",
        ),
    ]
    catalog = Catalog(articles, extract_tables(articles))
    result = catalog_result(catalog, TOKENIZER, "列出所有提到张伟的报道")
    assert result.articles == 2 and result.ambiguous and "张伟" in result.ambiguous[0]


def test_officials_of_two_places_with_one_name_are_reported_as_ambiguous() -> None:
    articles = [
        Article(
            "天宁区部署防汛工作", "天宁区委副书记、区长张伟主持召开防汛工作会议。", "a.txt", date="2024-06-01"
        ),
        Article("前黄镇推进河道整治", "前黄镇党委书记张伟调研河道整治工作。", "b.txt", date="2024-06-03"),
        Article(
            "武进区召开会议",
            "区委书记乔俊杰主持会议。区委副书记、区长吴大林参加。",
            "c.txt",
            date="2024-06-05",
        ),
    ]
    catalog = Catalog(articles, extract_tables(articles))
    result = catalog_result(catalog, TOKENIZER, "列出所有提到张伟的报道")
    assert result.articles == 2 and any("天宁区" in note and "前黄镇" in note for note in result.ambiguous)
    assert not catalog_result(catalog, TOKENIZER, "列出所有提到吴大林的报道").ambiguous
