"""The archive as a whole: counts, complete lists, rankings, timelines, and who/where/which
organisation, answered from every article of the index rather than from the top passages.

    from qa import archive
    archive.query("2024年有多少篇报道提到乡村振兴？")      # ArchiveResult: count, items, months
    archive.query("列出所有报道苏陕协作的文章", page=2)     # the next page of the list
    archive.query("苏陕协作的报道有多少篇", month="2024-06")  # one month's items (a chart bar)
    archive.entities("place")                           # places, most-reported first
    archive.profile("乔俊杰")                            # one entity: titles, timeline, months…

`qa.answer` answers archive questions the same way, quoting the first items with citations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from embeddings.settings import Settings
from embeddings.store.index import SearchIndex
from qa.archive.answers import PAGE_SIZE, ArchiveItem, ArchiveResult, RankedEntity, catalog_of, catalog_result
from qa.archive.catalog import Catalog
from qa.retrieve import check_question, get_index

__all__ = [
    "KINDS",
    "ArchiveItem",
    "ArchiveResult",
    "EntityProfile",
    "EntitySummary",
    "RankedEntity",
    "entities",
    "profile",
    "query",
]

KINDS = ("person", "reporter", "place", "organisation")


@dataclass(frozen=True)
class EntitySummary:
    name: str
    kind: str  # person, reporter, place, organisation
    category: str  # 镇, 公司… (places and organisations)
    stories: int
    articles: int
    mentions: int
    first_date: str | None
    last_date: str | None


@dataclass(frozen=True)
class EntityProfile:
    summary: EntitySummary
    titles: list[tuple[str, int]]  # for people: title as stated, mentions stating it; most first
    months: list[tuple[str, int]]  # stories per month, YYYY-MM
    co_people: list[tuple[str, int]]  # people named in the same articles, with article counts
    co_places: list[tuple[str, int]]
    timeline: list[ArchiveItem]  # every article naming it, oldest first, with the sentence
    other_kinds: list[str]  # the same name as another kind of entity (a reporter and a person)


def _index(index_dir: str | Path | None, settings: Settings | None) -> SearchIndex:
    """The loaded index: archive questions read its articles and tables, never the model."""
    settings = settings or Settings.from_env()
    if index_dir is not None:
        settings = replace(settings, index_dir=Path(index_dir))
    return get_index(settings)


def query(
    question: str,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    month: str | None = None,
    index_dir: str | Path | None = None,
    settings: Settings | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> ArchiveResult | None:
    """The archive-wide answer to `question` (None when it is not a count / list / most /
    timeline question): exact counts, one page of the matching stories, stories per month.
    `month` (YYYY-MM) keeps the items of that month only; the counts stay the question's."""
    question = check_question(question)
    index = _index(index_dir, settings)
    return catalog_result(
        catalog_of(index), index.tokenizer, question, date_from, date_to, page, page_size, month
    )


def _summary(catalog: Catalog, kind: str, name: str, positions: np.ndarray) -> EntitySummary:
    dates = sorted(catalog.articles[i].date for i in positions if catalog.articles[i].date)
    return EntitySummary(
        name,
        kind,
        catalog.categories.get(name, "") if kind in ("place", "organisation") else "",
        len(np.unique(catalog.story[positions])),
        len(positions),
        catalog.mention_counts[(kind, name)],
        dates[0] if dates else None,
        dates[-1] if dates else None,
    )


def entities(
    kind: str, limit: int | None = 100, index_dir: str | Path | None = None, settings: Settings | None = None
) -> list[EntitySummary]:
    """People, reporters, places or organisations of the archive, most-reported first."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    catalog = catalog_of(_index(index_dir, settings))
    found = [
        _summary(catalog, kind, name, positions)
        for (k, name), positions in catalog.entity_positions.items()
        if k == kind
    ]
    found.sort(key=lambda s: (-s.stories, -s.articles, s.name))
    return found[:limit] if limit else found


def _per_article(pairs: set[tuple[str, str]]) -> list[tuple[str, int]]:
    """(name, article id) pairs -> names with their article counts, most first."""
    return Counter(name for name, _ in pairs).most_common(10)


def _co_mentioned(catalog: Catalog, positions: np.ndarray, exclude: str) -> tuple[list, list]:
    """The people and the places named in the same articles, with article counts."""
    wanted = {catalog.articles[i].id for i in positions}
    people = {
        (r.name, r.article_id)
        for r in catalog.tables.people
        if r.article_id in wanted and r.role != "reporter" and r.name != exclude
    }
    places = {
        (r.name, r.article_id)
        for r in catalog.tables.entities
        if r.article_id in wanted and r.kind == "place" and r.name != exclude
    }
    return _per_article(people), _per_article(places)


def profile(
    name: str, kind: str | None = None, index_dir: str | Path | None = None, settings: Settings | None = None
) -> EntityProfile | None:
    """Everything the archive says about one person, reporter, place or organisation."""
    catalog = catalog_of(_index(index_dir, settings))
    kinds = catalog.kinds_of(name)
    if not kinds:
        return None
    kind = kind if kind in kinds else next(k for k in KINDS if k in kinds)
    positions = catalog.entity_positions[(kind, name)]
    ordered = sorted(positions.tolist(), key=lambda i: (catalog.articles[i].date or "9999", i))
    titles: Counter[str] = Counter()
    if kind == "person":
        stated = (r.title for r in catalog.tables.people if r.name == name and r.role == "official")
        titles.update(title for title in stated if title)
    timeline = []
    for position in ordered:
        mention = catalog.entity_sentence(kind, name, position)
        article = catalog.articles[position]
        quoted = mention.end > mention.start
        timeline.append(
            ArchiveItem(
                article.id,
                article.title,
                article.date,
                article.text[mention.start : mention.end] if quoted else "",
                (mention.start, mention.end) if quoted else None,
                catalog.occurrences(position, (name,)),
            )
        )
    co_people, co_places = _co_mentioned(catalog, positions, name)
    return EntityProfile(
        summary=_summary(catalog, kind, name, positions),
        titles=titles.most_common(),
        months=catalog.month_counts(catalog.stories(positions).leads),
        co_people=co_people,
        co_places=co_places,
        timeline=timeline,
        other_kinds=[k for k in kinds if k != kind],
    )
