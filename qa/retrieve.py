"""Question -> ranked, de-duplicated passages: dense + BM25 candidates, fused, merged per article.

`retrieve()` is the one search path; the CLI and the UI call it too. The loaded model and index
are cached per process (keyed by model and by the index generation), so a second call is fast
and a rebuilt index is picked up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache, partial
from itertools import zip_longest
from pathlib import Path

import numpy as np

from embeddings.articles import Placement, PrintedBox
from embeddings.build import ensure_default_index
from embeddings.encoding.encoder import Encoder, load_encoder
from embeddings.errors import QuestionError
from embeddings.extract.dates import DateRange, parse_iso, question_date_range
from embeddings.settings import Settings
from embeddings.store.index import SearchIndex, current_generation, load_index
from qa.fusion import reciprocal_rank_fusion

__all__ = ["MAX_QUESTION_CHARS", "DateScope", "PassageHit", "RetrievalSettings", "Retriever", "retrieve"]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500


@dataclass(frozen=True)
class RetrievalSettings:
    """Fusion parameters, tuned by bench/retrieval.py."""

    candidates: int = 50  # taken from each of dense and BM25 before fusion
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    paragraph_chars: int = 800  # a chunk is shown as its whole paragraph up to this length
    max_passage_chars: int = 1000  # merged overlapping passages grow up to this


@dataclass(frozen=True)
class PassageHit:
    text: str
    score: float
    article_id: str  # the content hash newsqa gives the article
    title: str
    subtitle: str
    date: str | None
    reporter: str
    source: str
    start: int
    end: int
    # The source's own identity, to link an answer back to the user's system: a JSONL record's
    # `id` and `url`, an e-paper article's URL.
    external_id: str = ""
    url: str = ""
    kicker: str = ""  # 引题
    paper: str = ""
    page: str = ""  # 版次 as printed
    page_name: str = ""  # 版名
    format: str = "text"  # how the source was read (text, jsonl, html, pdf, ocr, founder-xml)
    boxes: tuple[PrintedBox, ...] = ()  # where this passage is printed (PDFs and scans)
    also_printed: tuple[Placement, ...] = ()  # the article's other pages and reprints
    uncertain: tuple[tuple[int, int], ...] = ()  # article spans in this passage the OCR was unsure of


def check_question(question: str) -> str:
    """The question stripped, or a QuestionError that says what to change."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty: type a question, e.g. 前黄浜全长多少公里？")
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; ask in at most {MAX_QUESTION_CHARS}"
        )
    return question


@dataclass(frozen=True)
class DateScope:
    window: DateRange
    keep_undated: bool  # a window the question named (not a filter): undated articles may answer


@dataclass
class Retriever:
    index: SearchIndex
    encoder: Encoder
    settings: RetrievalSettings = RetrievalSettings()
    # Shards of a sharded index that did not answer a search of this retriever (one per request):
    # an answer then says which part of the archive was not searched.
    unsearched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # An answer asks for its question's vector up to three times (the ranking, once more with
        # undated articles in play, the sureness cosine): encoded once.
        self.query_vector = lru_cache(maxsize=4)(self._encode_query)

    def _encode_query(self, question: str) -> np.ndarray:
        vector = self.encoder.encode([question], "query")[0]
        vector.flags.writeable = False  # shared by every caller of the cache
        return vector

    def rank(
        self, question: str, mode: str = "hybrid", scope: DateScope | None = None
    ) -> list[tuple[int, float]]:
        """Chunk ids with scores, best first; mode is "hybrid", "dense" or "keyword".

        With a date scope, only chunks published in its window or telling of events in it
        compete; a scope the question named keeps undated articles in play, each ranked just
        below the dated match of the same rank (the paper's date may simply be unknown).
        """
        if scope is None:
            return self._rank_among(question, mode, None)
        dated = self._rank_among(question, mode, self.index.chunks_within(scope.window))
        if not scope.keep_undated:
            return dated
        undated = self._rank_among(question, mode, self.index.undated_chunks)
        merged = [pair for pairs in zip_longest(dated, undated) for pair in pairs if pair is not None]
        return list({chunk: (chunk, score) for chunk, score in reversed(merged)}.values())[::-1]

    def _rank_among(self, question: str, mode: str, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if allowed is not None and not len(allowed):
            return []
        query_vector = self.query_vector(question) if mode in ("hybrid", "dense") else None
        found = self.index.candidates(
            query_vector,
            question if mode in ("hybrid", "keyword") else None,
            self.settings.candidates,
            allowed,
        )
        self.unsearched.update(found.unsearched)
        if mode != "hybrid":
            return found.dense or found.keyword
        return reciprocal_rank_fusion(
            [[i for i, _ in found.dense], [i for i, _ in found.keyword]],
            k=self.settings.rrf_k,
            weights=[self.settings.dense_weight, self.settings.keyword_weight],
        )

    def similarity(self, question: str, text: str) -> float:
        """The dense cosine of `question` and a passage `text` (the encoder's vectors are unit
        length): how close the passage is in meaning, whatever the reader reads in it."""
        passage = self.encoder.encode([text], "passage")[0]
        return float(self.query_vector(question) @ passage)

    def date_scope(
        self, question: str, date_from: str | date | None = None, date_to: str | date | None = None
    ) -> DateScope | None:
        """The dates to search: given explicitly (strict), else named by the question (2024年6月,
        上个月, resolved against the newest issue; undated articles stay in play). A question's
        dates apply only to a dated archive."""
        if date_from is not None or date_to is not None:
            return DateScope(date_window(date_from, date_to), keep_undated=False)
        newest = self.index.newest_date
        window = question_date_range(question, newest)[0] if newest else None
        return DateScope(window, keep_undated=True) if window else None

    def search(
        self,
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        date_from: str | date | None = None,
        date_to: str | date | None = None,
    ) -> list[PassageHit]:
        question = check_question(question)
        return self.to_hits(self.rank(question, mode, self.date_scope(question, date_from, date_to)), k)

    def to_hits(self, ranked: list[tuple[int, float]], k: int) -> list[PassageHit]:
        """Top-k passages, never showing one stretch of an article twice.

        A chunk overlapping a passage already taken from its article widens that passage, up to
        `max_passage_chars`; past that it is skipped, since its overlap is already on screen.
        """
        taken: list[list] = []  # [article id, start, end, score], best first
        for chunk_id, score in ranked:
            if len(taken) == k:
                break
            chunk = self.index.chunks[chunk_id]
            c_start, c_end = self.passage_span(chunk.article_id, chunk.start, chunk.end)
            overlapping = [
                hit for hit in taken if hit[0] == chunk.article_id and c_start < hit[2] and c_end > hit[1]
            ]
            if not overlapping:
                taken.append([chunk.article_id, c_start, c_end, score])
                continue
            # Merge the chunk and every passage it touches into the best-ranked of them, if it fits.
            start = min(c_start, *(hit[1] for hit in overlapping))
            end = max(c_end, *(hit[2] for hit in overlapping))
            if end - start <= self.settings.max_passage_chars:
                overlapping[0][1], overlapping[0][2] = start, end
                taken = [hit for hit in taken if all(hit is not other for other in overlapping[1:])]
        return [self.hit_for(article_id, start, end, score) for article_id, start, end, score in taken]

    def passage_span(self, article_id: str, start: int, end: int) -> tuple[int, int]:
        """A chunk's span widened to whole paragraphs when they fit `paragraph_chars`.

        A reader checks a claim more easily in its paragraph than in a window cut at arbitrary
        sentences, and the answer often sits a sentence beyond the best-matching chunk.
        """
        text = self.index.articles[article_id].text
        p_start = text.rfind("\n", 0, start) + 1
        p_end = text.find("\n", end)
        p_end = len(text) if p_end == -1 else p_end
        return (p_start, p_end) if p_end - p_start <= self.settings.paragraph_chars else (start, end)

    def hit_for(self, article_id: str, start: int, end: int, score: float) -> PassageHit:
        article = self.index.articles[article_id]
        return PassageHit(
            text=article.text[start:end],
            score=round(score, 6),
            article_id=article_id,
            title=article.title,
            subtitle=article.subtitle,
            date=article.date,
            reporter=article.reporter,
            source=article.source,
            start=start,
            end=end,
            external_id=article.external_id,
            url=article.url,
            kicker=article.kicker,
            paper=article.paper,
            page=article.page,
            page_name=article.page_name,
            format=article.format,
            boxes=tuple(article.boxes_within(start, end)),
            also_printed=article.also_printed,
            uncertain=tuple(
                (max(s, start), min(e, end)) for s, e in article.uncertain if s < end and start < e
            ),
        )


def date_window(date_from: str | date | None, date_to: str | date | None) -> DateRange:
    """An inclusive date range from ISO strings or dates; an open end stretches to any date."""
    try:
        start = date_from if isinstance(date_from, date) else parse_iso(date_from) if date_from else date.min
        end = date_to if isinstance(date_to, date) else parse_iso(date_to) if date_to else date.max
        return DateRange(start, end)
    except ValueError as error:
        raise QuestionError(f"bad date filter: {error}") from None


@lru_cache(maxsize=4)
def _cached_encoder(settings: Settings) -> Encoder:
    return load_encoder(settings)


@lru_cache(maxsize=4)
def _cached_index(index_dir: Path, generation: str, model_id: str, cluster: Settings | None) -> SearchIndex:
    shard_pool = None
    if cluster is not None:  # a sharded index's shards go to actors on the Ray cluster
        from embeddings.cluster import RayShards

        shard_pool = partial(RayShards.start, cluster)
    return load_index(index_dir, model_id, shard_pool)


def get_index(settings: Settings) -> SearchIndex:
    """The process-wide loaded index for `settings` (its live generation), without the model."""
    ensure_default_index(settings)
    index_dir = settings.resolved_index_dir
    cluster = settings if settings.ray is not None else None
    return _cached_index(index_dir, current_generation(index_dir).name, settings.model, cluster)


def get_retriever(settings: Settings) -> Retriever:
    """The process-wide retriever for `settings`, loading model and index once."""
    return Retriever(index=get_index(settings), encoder=_cached_encoder(settings))


def retrieve(
    question: str,
    k: int = 5,
    index_dir: str | Path | None = None,
    settings: Settings | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> list[PassageHit]:
    """The k best passages for `question` from the index (default: the bundled sample's).

    `date_from` / `date_to` (YYYY-MM-DD, inclusive, either may be open) keep passages published
    in that range or telling of events in it; without them, a time the question names (2024年6月,
    上个月, 去年: resolved against the archive's newest issue) is applied.

    Raises QuestionError for an empty or over-long question, IndexMissingError when `index_dir`
    holds no index, IndexMismatchError when it was built with another model.
    """
    question = check_question(question)
    settings = settings or Settings.from_env()
    if index_dir is not None:
        settings = replace(settings, index_dir=Path(index_dir))
    return get_retriever(settings).search(question, k, date_from=date_from, date_to=date_to)
