"""The whole archive of one loaded index, searched exhaustively: every article that contains a
term, every mention of a person, place or organisation, by date and by story.

Terms are matched as exact substrings of title and text, through one string holding every
article (C-speed `str.find`, one jump per matching article), not through the BM25 postings:
jieba may segment a phrase differently in different sentences (乡村振兴 / 乡村 振兴), and a
count must be exact. Entity mentions come from the archive tables built with the index.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np

from embeddings.articles import Article
from embeddings.chunking import split_sentences
from embeddings.extract.dates import DateRange, parse_iso
from embeddings.extract.people import is_foreign
from embeddings.store.archive_tables import ArchiveTables, read_tables
from embeddings.store.keywords import to_simplified
from qa.archive.grammar import FOREIGN

__all__ = ["Catalog", "Mention", "Stories"]

# The place a title names first: 汉滨区委副书记 -> 汉滨区, 前黄镇党委书记 -> 前黄镇 (区委书记 names none).
_TITLE_PLACE = re.compile(r"^(?:中共)?([\u4e00-\u9fff]{2,6}?(?:省|市|区|县|镇|乡|街道|村))")
_ARTICLE_END = "\x01"  # never in article text: a term cannot match across two articles
_TITLE_END = "\x00"


@dataclass(frozen=True)
class Stories:
    """Matching articles grouped into stories (an article and its reprints)."""

    ordered: np.ndarray  # the matching articles' positions, oldest first
    story_of: np.ndarray  # the story of each, in the same order
    numbers: np.ndarray  # each story once, in the order of its oldest match
    leads: np.ndarray  # the article that stands for each story (its first printing, if matched)

    def __len__(self) -> int:
        return len(self.numbers)

    def members(self, index: int) -> list[int]:
        """The matching articles of the `index`-th story, its lead first."""
        lead = int(self.leads[index])
        others = self.ordered[self.story_of == self.numbers[index]]
        return [lead, *(int(i) for i in others if i != lead)]


@dataclass(frozen=True)
class Mention:
    """Where an article names what was asked: a sentence of its text, or its title."""

    article: int  # position in Catalog.articles
    start: int  # span of article.text; (0, 0) when only the title names it
    end: int


class Catalog:
    def __init__(
        self, articles: list[Article], tables: ArchiveTables | None = None, folder: Path | None = None
    ) -> None:
        """`tables` as given, or read from the generation `folder` when first needed."""
        if tables is None and folder is None:
            raise ValueError("a Catalog needs its tables or the folder that holds them")
        self.articles = articles
        if tables is not None:
            self.tables = tables
        self._folder = folder
        self.position = {a.id: i for i, a in enumerate(articles)}
        parts, self._starts, offset = [], [], 0
        for article in articles:
            part = f"{article.title}{_TITLE_END}{article.text}{_ARTICLE_END}"
            self._starts.append(offset)
            parts.append(part)
            offset += len(part)
        self._haystack = "".join(parts)
        self.days = np.array(
            [parse_iso(a.date).toordinal() if a.date else 0 for a in articles], dtype=np.int64
        )
        self.month_of = np.array(
            [int(a.date[:4] + a.date[5:7]) if a.date else 0 for a in articles], dtype=np.int64
        )

    @classmethod
    def of_generation(cls, articles: list[Article], folder: Path) -> Catalog:
        return cls(articles, folder=folder)

    @cached_property
    def tables(self) -> ArchiveTables:
        # Read on first use: most questions are not about the archive as a whole, and at 100k
        # chunks the tables are ~250k rows (a second of a server's start-up).
        return read_tables(self._folder)

    @cached_property
    def story(self) -> np.ndarray:
        """The story of each article: reprints share the position of their story's first article."""
        story = np.arange(len(self.articles))
        for copy, first in self.tables.reprints.items():
            if copy in self.position and first in self.position:
                story[self.position[copy]] = self.position[first]
        return story

    @property
    def dated(self) -> bool:
        return bool((self.days > 0).any())

    @property
    def newest(self) -> date | None:
        """The newest publication date: what 今年 or 上个月 are counted from."""
        return date.fromordinal(int(self.days.max())) if self.dated else None

    def containing(self, term: str) -> np.ndarray:
        """Positions of the articles whose title or text contains `term` (or its simplified form)."""
        found: set[int] = set()
        for form in dict.fromkeys((term, to_simplified(term))):
            at = self._haystack.find(form)
            while at != -1:
                article = bisect.bisect_right(self._starts, at) - 1
                found.add(article)
                following = self._starts[article + 1] if article + 1 < len(self._starts) else None
                at = -1 if following is None else self._haystack.find(form, following)
        return np.array(sorted(found), dtype=np.int64)

    def matching(self, terms: tuple[str, ...]) -> np.ndarray:
        """Positions of the articles that contain every term (all articles for no terms)."""
        matched = np.arange(len(self.articles))
        for term in terms:
            matched = np.intersect1d(matched, self.containing(term), assume_unique=True)
        return matched

    def within(self, positions: np.ndarray, window: DateRange) -> tuple[np.ndarray, np.ndarray]:
        """(dated articles in `window`, undated articles) among `positions`."""
        days = self.days[positions]
        inside = (days >= window.start.toordinal()) & (days <= window.end.toordinal())
        return positions[inside], positions[days == 0]

    def occurrences(self, position: int, terms: tuple[str, ...]) -> int:
        """How often the first term occurs in the article (title and text)."""
        start = self._starts[position]
        end = self._starts[position + 1] if position + 1 < len(self._starts) else len(self._haystack)
        return sum(
            self._haystack.count(form, start, end)
            for form in dict.fromkeys((terms[0], to_simplified(terms[0])))
        )

    def mention(self, position: int, terms: tuple[str, ...]) -> Mention:
        """The first sentence of the article's text that holds the first term, or its title;
        without terms (every story of a day), its first sentence: the lead says what happened."""
        text = self.articles[position].text
        if not terms:
            return Mention(position, *next(iter(split_sentences(text)), (0, 0)))
        for form in (terms[0], to_simplified(terms[0])):
            at = text.find(form)
            if at >= 0:
                start, end = next(
                    ((s, e) for s, e in split_sentences(text) if s <= at < e), (at, at + len(form))
                )
                return Mention(position, start, end)
        return Mention(position, 0, 0)

    def stories(self, positions: np.ndarray) -> Stories:
        """The stories of the matching articles `positions`, oldest first (undated last)."""
        undated_last = np.where(self.days[positions] > 0, self.days[positions], np.iinfo(np.int64).max)
        ordered = positions[np.lexsort((positions, undated_last))]
        story_of = self.story[ordered]
        numbers, first = np.unique(story_of, return_index=True)
        by_age = np.argsort(first, kind="stable")
        numbers, oldest = numbers[by_age], ordered[first[by_age]]
        # A story is led by its first printing when that matched, else by its oldest match.
        leads = np.where(np.isin(numbers, positions), numbers, oldest)
        return Stories(ordered, story_of, numbers, leads)

    def month_counts(self, leads: np.ndarray) -> list[tuple[str, int]]:
        """Stories per month by their leading article, oldest month first (undated left out)."""
        months, counts = np.unique(self.month_of[leads][self.month_of[leads] > 0], return_counts=True)
        return [(f"{m // 100:04d}-{m % 100:02d}", int(n)) for m, n in zip(months, counts, strict=True)]

    # --- entities --------------------------------------------------------------------------

    @cached_property
    def entity_positions(self) -> dict[tuple[str, str], np.ndarray]:
        """(kind, name) -> sorted positions of the articles that mention it. Kinds: reporter,
        person (officials and other named people), place, organisation."""
        found: dict[tuple[str, str], set[int]] = {}
        for record in self.tables.people:
            kind = "reporter" if record.role == "reporter" else "person"
            if record.article_id in self.position:
                found.setdefault((kind, record.name), set()).add(self.position[record.article_id])
        for record in self.tables.entities:
            if record.article_id in self.position:
                found.setdefault((record.kind, record.name), set()).add(self.position[record.article_id])
        return {key: np.array(sorted(v), dtype=np.int64) for key, v in found.items()}

    @cached_property
    def _pairs(self) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
        """kind -> (names, entity number, article position) per (entity, article) pair, so a
        ranking is a few array operations, not a loop over every name (50k on a large archive)."""
        found: dict[str, tuple[list[str], list[np.ndarray], list[np.ndarray]]] = {}
        for (kind, name), positions in self.entity_positions.items():
            names, numbers, where = found.setdefault(kind, ([], [], []))
            numbers.append(np.full(len(positions), len(names), dtype=np.int64))
            where.append(positions)
            names.append(name)
        return {kind: (names, np.concatenate(n), np.concatenate(w)) for kind, (names, n, w) in found.items()}

    @cached_property
    def _alphabetical(self) -> dict[str, np.ndarray]:
        """kind -> each name's rank in alphabetical order: the ranking's last tie-break."""
        return {kind: np.argsort(np.argsort(np.array(names))) for kind, (names, _, _) in self._pairs.items()}

    def ranking(
        self, kind: str, category: str, allowed: np.ndarray, top: int | None = None
    ) -> list[tuple[str, int, int]]:
        """The `top` entities (all by default) of `kind` (and `category`, if any) by stories, then
        articles, then name, counting only the articles `allowed` (a boolean mask): (name,
        stories, articles)."""
        if kind not in self._pairs:
            return []
        names, numbers, where = self._pairs[kind]
        keep = allowed[where]
        if category:
            fits = np.array([self.categories.get(name, "") == category for name in names])
            keep &= fits[numbers]
        numbers, where = numbers[keep], where[keep]
        articles = np.bincount(numbers, minlength=len(names))
        stories_of = np.unique(numbers * len(self.articles) + self.story[where]) // len(self.articles)
        stories = np.bincount(stories_of, minlength=len(names))
        order = np.lexsort((self._alphabetical[kind], -articles, -stories))
        return [(names[i], int(stories[i]), int(articles[i])) for i in order[:top] if articles[i]]

    @cached_property
    def mention_counts(self) -> Counter[tuple[str, str]]:
        """(kind, name) -> how many times the tables record it."""
        counts: Counter[tuple[str, str]] = Counter()
        counts.update(("reporter" if r.role == "reporter" else "person", r.name) for r in self.tables.people)
        counts.update((r.kind, r.name) for r in self.tables.entities)
        return counts

    @cached_property
    def title_places(self) -> dict[str, dict[str, set[str]]]:
        """Name -> place named in its titles (汉滨区 of 汉滨区委副书记) -> articles stating it."""
        places: dict[str, dict[str, set[str]]] = {}
        for record in self.tables.people:
            if record.role != "official":
                continue
            for part in record.title.split("、"):
                found = _TITLE_PLACE.match(part)
                if found:
                    places.setdefault(record.name, {}).setdefault(found.group(1), set()).add(
                        record.article_id
                    )
        return places

    @cached_property
    def categories(self) -> dict[str, str]:
        """Place or organisation name -> its category (镇, 公司…); person -> 外国 when a title
        of theirs is another country's or an international body's (俄罗斯总统, 联合国秘书长)."""
        foreign = {
            r.name: FOREIGN for r in self.tables.people if r.role == "official" and is_foreign(r.title)
        }
        return foreign | {r.name: r.category for r in self.tables.entities}

    def names(self, kind: str) -> list[str]:
        return [name for k, name in self.entity_positions if k == kind]

    def kinds_of(self, name: str) -> list[str]:
        """The kinds of entity called `name` (a reporter and a person may share a name)."""
        return [k for k, n in self.entity_positions if n == name]

    @cached_property
    def _entity_sentences(self) -> dict[tuple[str, str, str], tuple[int, int]]:
        """(kind, name, article id) -> the first sentence of the article naming that entity."""
        first: dict[tuple[str, str, str], tuple[int, int]] = {}
        for record in self.tables.people:
            kind = "reporter" if record.role == "reporter" else "person"
            first.setdefault(
                (kind, record.name, record.article_id), (record.sentence_start, record.sentence_end)
            )
        for record in self.tables.entities:
            key = (record.kind, record.name, record.article_id)
            first.setdefault(key, (record.sentence_start, record.sentence_end))
        return first

    def entity_sentence(self, kind: str, name: str, position: int) -> Mention:
        """The sentence of the archive tables that names the entity in the article."""
        span = self._entity_sentences.get((kind, name, self.articles[position].id))
        return Mention(position, *span) if span else self.mention(position, (name,))
