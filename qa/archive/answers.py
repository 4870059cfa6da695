"""Archive questions answered from the whole index: exact counts, complete (paged) lists,
rankings and timelines, each item cited to the sentence that matched.

What is counted is a story: an article and its reprints (grouped at build time, see
`embeddings.sources.dedupe.reprint_groups`) count once, and the grouping is shown. The number
of matching articles is reported too, so either can be checked against a plain scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np

from embeddings.errors import QuestionError
from embeddings.extract.dates import DateRange, parse_iso, question_date_range, written
from embeddings.store.keywords import KeywordTokenizer
from qa.archive.catalog import Catalog, Mention, Stories
from qa.archive.grammar import ArchiveQuestion, Asked, parse_archive_question
from qa.retrieve import PassageHit, Retriever, date_window

__all__ = [
    "PAGE_SIZE",
    "ArchiveItem",
    "ArchiveResult",
    "RankedEntity",
    "archive_text",
    "catalog_of",
    "catalog_result",
    "cite",
]

PAGE_SIZE = 20  # items per page of a list
TEXT_ITEMS = 10  # items quoted in the answer text; the rest are in the result (and the UI's pages)
_KIND_WORDS = {
    "reporter": "记者",
    "person": "人物",
    "place": "地点",
    "organisation": "机构",
    "term": "关键词",
}
_PERIODS = {"month": "月份", "year": "年份"}


@dataclass(frozen=True)
class ArchiveItem:
    article_id: str
    title: str
    date: str | None
    quote: str  # the sentence that matched, verbatim ("" when only the title matched)
    span: tuple[int, int] | None  # the quote as a span of the article text
    mentions: int  # how often the term occurs in the article
    reprints: tuple[tuple[str, str | None, str], ...] = ()  # other articles of the story: (id, date, title)


@dataclass(frozen=True)
class RankedEntity:
    name: str
    kind: str  # reporter, person, place, organisation
    category: str  # 镇, 公司… for places and organisations
    stories: int  # stories that name it (reprints once)
    articles: int
    example: ArchiveItem | None  # the first story naming it, with the sentence (None: no story)


@dataclass(frozen=True)
class ArchiveResult:
    question: str
    asked: str  # count, list, most, entities, timeline
    terms: tuple[str, ...]
    counted: str  # what exactly was counted, in words: 关键词 / 人物 / 时间范围
    window: tuple[str, str] | None  # the time range applied (ISO days)
    articles: int  # matching articles
    stories: int  # matching stories (reprints grouped)
    mentions: int  # occurrences of the first term in the matching articles
    undated: int  # matching articles without a date, left out of a time-bounded count
    dates_known: bool  # whether the archive has publication dates at all
    months: list[tuple[str, int]]  # stories per month, YYYY-MM
    items: list[ArchiveItem]  # this page of the matching stories, in date order
    page: int
    page_size: int
    ranked: list[RankedEntity] = field(default_factory=list)  # for "most" and "entities" questions
    named: int = 0  # how many entities of the kind asked the stories name (the ranking's first are shown)
    ambiguous: list[str] = field(default_factory=list)  # names that may mean several people
    month: str | None = None  # the month the items were restricted to (a chart bar's)
    period: str = ""  # "month" or "year" for 哪个月…最多: the periods are what is ranked
    by_month: bool = False  # the answer text gives the count month by month (每个月有多少篇…)

    @property
    def pages(self) -> int:
        return max(1, -(-self.stories // self.page_size))


@lru_cache(maxsize=4)
def catalog_of(index) -> Catalog:  # index: embeddings.store.index.SearchIndex, hashed by identity
    """Built once per loaded index (~1 s per 100k chunks), not once per question."""
    return Catalog.of_generation(list(index.articles.values()), index.folder)


def _window(
    newest: date | None, question: str, date_from: str | date | None, date_to: str | date | None
) -> tuple[DateRange | None, str]:
    """(the time range asked for, the question without its time expression)."""
    if date_from or date_to:
        return date_window(date_from, date_to), question
    # An undated archive resolves against today, so that 2024年 is still recognised (and
    # answered as unanswerable) instead of being searched as a keyword.
    return question_date_range(question, newest or date.today())


def catalog_result(
    catalog: Catalog,
    tokenizer: KeywordTokenizer,
    question: str,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    month: str | None = None,
) -> ArchiveResult | None:
    """The archive-wide answer to `question`, or None when it is not an archive question.

    `catalog` is `catalog_of(index)` and `tokenizer` the index's own, so names stay whole."""
    window, rest = _window(catalog.newest, question, date_from, date_to)

    def cut(text: str) -> list[str]:
        return [text[s:e] for s, e in tokenizer.word_spans(text)]

    parsed = parse_archive_question(rest, cut, timed=window is not None)
    if parsed is None:
        return None
    if parsed.asked is Asked.MOST and parsed.ranked in _PERIODS:
        return _busiest(catalog, question, parsed, window, page_size)
    if parsed.asked in (Asked.MOST, Asked.ENTITIES):
        return _ranking(catalog, question, parsed, window, page_size)
    if parsed.asked is Asked.COMPARE:
        return _compared(catalog, question, parsed, window, page_size)
    if parsed.asked in (Asked.FIRST, Asked.LAST):
        return _first_or_last(catalog, question, parsed, window, page_size)
    return _listing(catalog, question, parsed, window, max(1, page), page_size, month)


def _scope(catalog: Catalog, matched: np.ndarray, window: DateRange | None) -> tuple[np.ndarray, int]:
    if window is None:
        return matched, 0
    inside, undated = catalog.within(matched, window)
    return inside, len(undated)


def _item(catalog: Catalog, mention: Mention, terms: tuple[str, ...], others: list[int]) -> ArchiveItem:
    article = catalog.articles[mention.article]
    quoted = mention.end > mention.start
    return ArchiveItem(
        article_id=article.id,
        title=article.title,
        date=article.date,
        quote=article.text[mention.start : mention.end] if quoted else "",
        span=(mention.start, mention.end) if quoted else None,
        mentions=catalog.occurrences(mention.article, terms) if terms else 0,
        reprints=tuple(
            (catalog.articles[i].id, catalog.articles[i].date, catalog.articles[i].title) for i in others
        ),
    )


def _subject(catalog: Catalog, terms: tuple[str, ...]) -> tuple[str, str] | None:
    """(kind, name) when the first term names a known person, place or organisation."""
    if not terms:
        return None
    kinds = catalog.kinds_of(terms[0])
    preferred = [k for k in ("person", "place", "organisation", "reporter") if k in kinds]
    return (preferred[0], terms[0]) if preferred else None


def _ambiguous(catalog: Catalog, terms: tuple[str, ...]) -> list[str]:
    """Names that may be several people: a reporter's byline and a person in the news, or
    officials of different places (天宁区副区长张伟, 前黄镇党委书记张伟) never named together."""
    notes = []
    for term in terms:
        kinds = catalog.kinds_of(term)
        if "reporter" in kinds and "person" in kinds:
            reporter = len(catalog.entity_positions[("reporter", term)])
            person = len(catalog.entity_positions[("person", term)])
            notes.append(
                f"“{term}”可能不止一人：记者{term}（署名{reporter}篇）和报道中的{term}（{person}篇）"
            )
        places = catalog.title_places.get(term, {})
        together = any(a & b for i, a in enumerate(places.values()) for b in list(places.values())[i + 1 :])
        if len(places) > 1 and not together:
            each = "、".join(f"{place}的{term}（{len(ids)}篇）" for place, ids in places.items())
            notes.append(f"“{term}”可能不止一人：{each}")
    return notes


def _counted(parsed: ArchiveQuestion, subject: tuple[str, str] | None, window: DateRange | None) -> str:
    parts = []
    if parsed.terms:
        label = _KIND_WORDS[subject[0]] if subject else "关键词"
        parts.append(f"{label}：{'、'.join(parsed.terms)}（标题或正文逐字出现）")
    else:
        parts.append("全部文章")
    if window is not None:
        parts.append(f"时间范围：{written(window)}（按发布日期）")
    parts.append("同一报道的转载只计一次")
    return "；".join(parts)


def _story_item(
    catalog: Catalog, terms: tuple[str, ...], stories: Stories, subject: tuple[str, str] | None, index: int
) -> ArchiveItem:
    """Story `index` of `stories` as listed: its first article, the sentence naming the subject
    (or the first term), and its reprints."""
    members = stories.members(index)
    first = members[0]
    mention = (
        catalog.entity_sentence(subject[0], subject[1], first) if subject else catalog.mention(first, terms)
    )
    return _item(catalog, mention, terms, members[1:])


def _listing(
    catalog: Catalog,
    question: str,
    parsed: ArchiveQuestion,
    window: DateRange | None,
    page: int,
    page_size: int,
    month: str | None,
) -> ArchiveResult:
    matched = catalog.matching(parsed.terms)
    positions, undated = _scope(catalog, matched, window)
    stories = catalog.stories(positions)
    subject = _subject(catalog, parsed.terms)
    shown = np.arange(len(stories))
    if month:
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise QuestionError(f"month {month!r} is not YYYY-MM, e.g. 2024-06")
        shown = shown[catalog.month_of[stories.leads] == int(month.replace("-", ""))]
    items = [
        _story_item(catalog, parsed.terms, stories, subject, int(index))
        for index in shown[(page - 1) * page_size : page * page_size]
    ]
    mentions = sum(catalog.occurrences(int(i), parsed.terms) for i in positions) if parsed.mentions else 0
    return ArchiveResult(
        question=question,
        asked=parsed.asked.value,
        terms=parsed.terms,
        counted=_counted(parsed, subject, window),
        window=window.iso() if window else None,
        articles=len(positions),
        stories=len(stories),
        mentions=mentions,
        undated=undated,
        dates_known=catalog.dated,
        months=catalog.month_counts(stories.leads),
        items=items,
        page=page,
        page_size=page_size,
        ambiguous=_ambiguous(catalog, parsed.terms),
        month=month,
        by_month=parsed.by_month,
    )


def _busiest(
    catalog: Catalog, question: str, parsed: ArchiveQuestion, window: DateRange | None, page_size: int
) -> ArchiveResult:
    """哪个月提到X的报道最多: the months (or years) by their matching stories, each with its first
    story cited; the count and the months chart are those of the whole match."""
    whole = _listing(catalog, question, replace(parsed, asked=Asked.COUNT), window, 1, page_size, None)
    stories = catalog.stories(_scope(catalog, catalog.matching(parsed.terms), window)[0])
    months = catalog.month_of[stories.leads]  # YYYYMM of each story, 0 when undated
    periods = months if parsed.ranked == "month" else months // 100
    # Stories come oldest first, so a period's first index is its first story.
    values, firsts, counts = np.unique(periods, return_index=True, return_counts=True)
    dated = values > 0
    values, firsts, counts = values[dated], firsts[dated], counts[dated]
    subject = _subject(catalog, parsed.terms)
    ranked = []
    for i in sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))[: parsed.top]:
        value, count = int(values[i]), int(counts[i])
        name = f"{value // 100}年{value % 100}月" if parsed.ranked == "month" else f"{value}年"
        item = _story_item(catalog, parsed.terms, stories, subject, int(firsts[i]))
        ranked.append(RankedEntity(name, parsed.ranked, "", count, count, item))
    counted = f"{whole.counted}；按发布{_PERIODS[parsed.ranked]}统计"
    return replace(
        whole,
        asked=parsed.asked.value,
        counted=counted,
        items=[r.example for r in ranked],
        ranked=ranked,
        period=parsed.ranked,
    )


def _ranking(
    catalog: Catalog, question: str, parsed: ArchiveQuestion, window: DateRange | None, page_size: int
) -> ArchiveResult:
    allowed, undated = _scope(catalog, catalog.matching(parsed.terms), window)
    allowed_mask = np.zeros(len(catalog.articles), dtype=bool)
    allowed_mask[allowed] = True
    ranked = []
    every = catalog.ranking(parsed.ranked, parsed.category, allowed_mask)
    for name, stories, articles in every[: parsed.top]:
        positions = catalog.entity_positions[(parsed.ranked, name)]
        kept = positions[allowed_mask[positions]]
        first = min(kept.tolist(), key=lambda i: (catalog.articles[i].date or "9999", i))
        mention = catalog.entity_sentence(parsed.ranked, name, first)
        item = _item(catalog, mention, (name,), [])
        ranked.append(
            RankedEntity(name, parsed.ranked, catalog.categories.get(name, ""), stories, articles, item)
        )
    label = _KIND_WORDS[parsed.ranked] + (f"（{parsed.category}）" if parsed.category else "")
    counted = f"按{label}统计提到它的报道篇数（转载只计一次）"
    if parsed.terms:
        counted += f"；只计含“{'、'.join(parsed.terms)}”的报道"
    return _ranked_result(
        catalog, question, parsed, window, page_size, counted, allowed, undated, ranked, len(every)
    )


def _ranked_result(
    catalog: Catalog,
    question: str,
    parsed: ArchiveQuestion,
    window: DateRange | None,
    page_size: int,
    counted: str,
    positions: np.ndarray,
    undated: int,
    ranked: list[RankedEntity],
    named: int = 0,
) -> ArchiveResult:
    """A ranking's result: the `ranked` names (or terms) over the stories of `positions`."""
    stories = catalog.stories(positions)
    return ArchiveResult(
        question=question,
        asked=parsed.asked.value,
        terms=parsed.terms,
        counted=counted + (f"；时间范围：{written(window)}" if window is not None else ""),
        window=window.iso() if window else None,
        articles=len(positions),
        stories=len(stories),
        mentions=0,
        undated=undated,
        dates_known=catalog.dated,
        months=catalog.month_counts(stories.leads),
        items=[r.example for r in ranked if r.example],
        page=1,
        page_size=page_size,
        ranked=ranked,
        named=named,
    )


def _first_or_last(
    catalog: Catalog, question: str, parsed: ArchiveQuestion, window: DateRange | None, page_size: int
) -> ArchiveResult:
    """最早提到X的报道 / 最近一篇提到X的报道: the oldest (or newest) dated story naming the terms, as
    the one-story page of their listing (oldest first, undated last); none when no dated story does."""
    first = _listing(catalog, question, parsed, window, 1, 1, None)
    dated = sum(n for _, n in first.months)
    if not dated:
        return replace(first, items=[], page_size=page_size)
    last = (
        _listing(catalog, question, parsed, window, dated, 1, None) if parsed.asked is Asked.LAST else first
    )
    return replace(last, page=1, page_size=page_size)


def _compared(
    catalog: Catalog, question: str, parsed: ArchiveQuestion, window: DateRange | None, page_size: int
) -> ArchiveResult:
    """人工智能和新质生产力哪个报道得多: each term's stories counted apart, ranked as a MOST answer
    ranks names, each with its first story cited; a term no story names is ranked last, uncited."""
    each = [
        _listing(catalog, question, replace(parsed, asked=Asked.COUNT, terms=(term,)), window, 1, 1, None)
        for term in parsed.terms
    ]
    ranked = sorted(
        (
            RankedEntity(term, "term", "", r.stories, r.articles, r.items[0] if r.items else None)
            for term, r in zip(parsed.terms, each, strict=True)
        ),
        key=lambda r: -r.stories,
    )
    counted = "按关键词分别统计提到它的报道篇数（标题或正文逐字出现，转载只计一次）"
    # The whole: the stories naming any of the terms, each once.
    any_term = np.unique(np.concatenate([catalog.containing(term) for term in parsed.terms]))
    positions, undated = _scope(catalog, any_term, window)
    return _ranked_result(catalog, question, parsed, window, page_size, counted, positions, undated, ranked)


def cite(retriever: Retriever, item: ArchiveItem) -> PassageHit:
    """The passage (the sentence's paragraph) a citation of `item` points to."""
    start, end = item.span or (0, 0)
    p_start, p_end = retriever.passage_span(item.article_id, start, end) if item.span else (0, 0)
    if not item.span:
        text = retriever.index.articles[item.article_id].text
        p_start, p_end = retriever.passage_span(item.article_id, 0, min(len(text), 1))
    return retriever.hit_for(item.article_id, p_start, p_end, 1.0)


def _line(item: ArchiveItem, number: int) -> str:
    quote = f"{item.quote}[{number}]" if item.quote else f"（标题）[{number}]"
    again = (
        f"（又见：{'、'.join(d or '日期未知' for _, d, _ in item.reprints)}，共{len(item.reprints) + 1}篇）"
        if item.reprints
        else ""
    )
    return f"{number}. {item.date or '日期未知'}《{item.title}》{again}：{quote}"


def archive_text(result: ArchiveResult) -> tuple[str, str | None, list[ArchiveItem]]:
    """(answer text with citation markers, short answer, the items it cites in marker order)."""
    if (result.window or result.period) and not result.dates_known:
        return (
            "这个资料库里的文章都没有发布日期，无法按时间统计或排序；去掉问题里的时间再问，可以统计全部文章。",
            None,
            [],
        )
    cited = result.items[:TEXT_ITEMS]
    head = ""
    if result.asked in ("most", "entities", "compare"):
        if not result.ranked:
            return f"没有找到可以统计的条目。（{result.counted}）", None, []
        best = result.ranked[0]
        if result.asked == "compare":
            tied = [r.name for r in result.ranked if r.stories == best.stories]
            short = "、".join(tied)
            if not best.stories:
                short, lead = None, f"没有报道提到{'、'.join(r.name for r in result.ranked)}"
            elif len(tied) > 1:
                lead = f"{short}一样多，各{best.stories}篇报道"
            else:
                lead = f"{best.name}更多，{best.stories}篇报道"
        elif result.asked == "entities":
            short = "、".join(r.name for r in result.ranked[:TEXT_ITEMS])
            shown = f"，按报道篇数列出前{len(result.ranked)}个" if result.named > len(result.ranked) else ""
            more = "等" if result.named > TEXT_ITEMS else ""
            lead = f"{short}{more}，共{result.named}个{_KIND_WORDS[best.kind]}{shown}"
        else:
            tied = [r.name for r in result.ranked if r.stories == best.stories]
            short = "、".join(tied)
            lead = (
                f"{best.name}最多，{best.stories}篇报道"
                if len(tied) == 1
                else f"{short}并列最多，各{best.stories}篇报道"
            )
        ranking = "；".join(f"{r.name}（{r.stories}篇）" for r in result.ranked)
        head = f"{lead}。依次是：{ranking}。\n统计口径：{result.counted}。"
        examples = [r.example for r in result.ranked[:TEXT_ITEMS] if r.example]
        lines = [_line(example, n) for n, example in enumerate(examples, 1)]
        return head + "\n\n" + "\n".join(lines), short, examples
    what = "、".join(f"“{t}”" for t in result.terms)
    about = f"提到{what}" if what else ""  # no terms: every story of the time asked
    if result.asked in ("first", "last"):
        if not result.items:
            return (
                f"没有{'带发布日期的' if result.stories else ''}报道{about}。（{result.counted}）",
                None,
                [],
            )
        item = result.items[0]
        day = parse_iso(item.date)
        short = written(DateRange(day, day))
        word = "最早" if result.asked == "first" else "最近一篇"
        head = f"{word}{about}的报道是{short}的《{item.title}》（共{result.stories}篇报道{about}）。"
        return f"{head}\n统计口径：{result.counted}。\n\n{_line(item, 1)}", short, [item]
    short = f"{result.stories}篇"
    grouped = (
        f"（{result.articles}篇文章，其中同一报道的转载合为{result.stories}篇）"
        if result.articles != result.stories
        else ""
    )
    if result.asked == "count" and result.mentions:
        head = f"{what}共被提到{result.mentions}次，出现在{result.stories}篇报道中{grouped}。"
        short = f"{result.mentions}次"
    elif result.asked == "timeline":
        head = f"{what}的时间线：共{result.stories}篇报道{grouped}，按日期排列。"
    else:
        head = f"共有{result.stories}篇报道{about}{grouped}。"
    if result.by_month and result.months:
        head += "按月：" + "；".join(f"{m[:4]}年{int(m[5:])}月{n}篇" for m, n in result.months) + "。"
    head += f"\n统计口径：{result.counted}。"
    if result.undated:
        head += f"\n另有{result.undated}篇{about and about + '的'}文章没有发布日期，未计入。"
    for note in result.ambiguous:
        head += f"\n注意：{note}。"
    if not result.stories:
        return head, short, []
    first, last = (result.page - 1) * result.page_size + 1, (result.page - 1) * result.page_size + len(cited)
    more = (
        f"\n（第{first}–{last}篇，共{result.stories}篇；其余见列表的下一页。）"
        if result.stories > len(cited)
        else ""
    )
    lines = [_line(item, n) for n, item in enumerate(cited, 1)]
    return head + "\n\n" + "\n".join(lines) + more, short, cited
