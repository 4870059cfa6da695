"""Question (+ conversation) -> an extractive Answer whose every sentence is cited.

No LLM: the retrieved passages are split into sentences, sentences are scored by how much of the
question's rare words they hold (IDF from the keyword index) plus whether they contain the kind of
thing asked for (a number with the asked unit, a person, a date, a place), and the best ones are
quoted verbatim with markers [1], [2]… pointing at their passages. Who / when / where / how many /
which-title questions lead with the short answer itself. When no sentence holds the question's
key words, the answer abstains and lists the closest passages as 可能相关.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from embeddings.chunking import split_sentences
from embeddings.errors import NewsqaError
from embeddings.settings import LLMSettings, Settings
from qa.history import Turn, contextualize, normalize_history
from qa.llm import LLMError, chat_completion, supported_sentences
from qa.question_types import FRAME_WORDS, QuestionType, answer_fit, classify, extract_short_answer
from qa.retrieve import PassageHit, Retriever, check_question, get_retriever
from qa.who import answer_about_people

__all__ = ["ABSTAIN_TEXT", "Answer", "Citation", "answer", "answer_with"]

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "检索到的文章中没有找到这个问题的答案。"
MIN_COVERAGE = 0.55  # share of the question's IDF mass a sentence must hold to be an answer
KEEP_RATIO = 0.8  # further sentences are cited when they score this close to the best one
MAX_SENTENCES = 3
HEADING_CREDIT = 0.6  # a question word found only in the article's title or subtitle
CHARACTER_CREDIT = 0.5  # at most, for a word whose characters occur only scattered
ANSWER_BONUS = 0.15  # per unit of answer fit (qa.question_types.answer_fit)
RANK_PENALTY = 0.01  # per place of the passage in the retrieval ranking
TITLE_HINTS = ("书记", "区长", "常委", "主任", "主席")


@dataclass(frozen=True)
class Citation:
    number: int  # the marker [number] in the answer text
    hit: PassageHit
    spans: tuple[tuple[int, int], ...]  # cited sentences, as spans of the article text


@dataclass(frozen=True)
class Answer:
    question: str
    search_query: str  # the question as searched, with context carried over from the conversation
    text: str  # the answer with citation markers
    short_answer: str | None
    abstained: bool
    citations: list[Citation]
    related: list[PassageHit] = field(default_factory=list)  # closest passages when abstaining
    seconds: float = 0.0
    generated: bool = False  # written by the configured LLM (and checked), not extracted


@dataclass(frozen=True)
class _Sentence:
    hit_rank: int
    start: int  # span in the article text
    end: int
    text: str
    score: float


def _idf(retriever: Retriever, token: str) -> float:
    n = len(retriever.index.chunks)
    df = retriever.index.document_frequency(token)
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def _sentences(hits: Sequence[PassageHit]) -> list[tuple[int, int, int, str]]:
    """(hit rank, article start, article end, text) for each sentence of each passage."""
    return [
        (rank, hit.start + s, hit.start + e, hit.text[s:e])
        for rank, hit in enumerate(hits)
        for s, e in split_sentences(hit.text)
    ]


def token_credit(token: str, sentence: str, heading: str) -> float:
    """1 when the sentence holds the word; partial when only its article's heading does, or
    only some of its characters (发黑 vs 黑色: paraphrase, not absence)."""
    if token in sentence:
        return 1.0
    if token in heading:
        return HEADING_CREDIT
    return CHARACTER_CREDIT * sum(char in sentence for char in token) / len(token)


def score_sentences(
    retriever: Retriever, query: str, kind: QuestionType, hits: Sequence[PassageHit]
) -> list[_Sentence]:
    """Sentences of the passages, best first: IDF-weighted coverage of the query's words, plus a
    bonus when the sentence holds the kind of answer asked for, minus a little per passage rank."""
    tokens = set(retriever.index.tokenizer.tokenize(query)) - FRAME_WORDS
    weights = {token: _idf(retriever, token) for token in tokens}
    total = sum(weights.values()) or 1.0
    scored = []
    for rank, start, end, text in _sentences(hits):
        hit = hits[rank]
        folded, heading = text.lower(), f"{hit.title} {hit.subtitle}".lower()
        coverage = sum(w * token_credit(t, folded, heading) for t, w in weights.items()) / total
        bonus = ANSWER_BONUS * answer_fit(kind, query, text)
        scored.append(_Sentence(rank, start, end, text, coverage + bonus - RANK_PENALTY * rank))
    return sorted(scored, key=lambda s: -s.score)


def _compose(
    hits: Sequence[PassageHit], chosen: Sequence[_Sentence], short: str | None
) -> tuple[str, list[Citation]]:
    numbers: dict[int, int] = {}
    spans: dict[int, list[tuple[int, int]]] = {}
    for sentence in chosen:
        numbers.setdefault(sentence.hit_rank, len(numbers) + 1)
        spans.setdefault(sentence.hit_rank, []).append((sentence.start, sentence.end))
    in_order = sorted(chosen, key=lambda s: (numbers[s.hit_rank], s.start))
    quoted = "".join(f"{s.text}[{numbers[s.hit_rank]}]" for s in in_order)
    first = numbers[chosen[0].hit_rank]
    text = f"{short}[{first}]\n\n{quoted}" if short else quoted
    citations = [
        Citation(numbers[rank], hits[rank], tuple(spans[rank])) for rank in sorted(numbers, key=numbers.get)
    ]
    return text, citations


def verify_citations(answer: Answer, articles: dict) -> None:
    """Every cited span must be verbatim article text inside its passage: checked, not hoped."""
    for citation in answer.citations:
        article = articles[citation.hit.article_id]
        for start, end in citation.spans:
            quoted = article.text[start:end]
            if not (citation.hit.start <= start < end <= citation.hit.end) or quoted not in answer.text:
                raise NewsqaError(f"citation [{citation.number}] does not quote its passage: {quoted!r}")


def expand_query(kind: QuestionType, query: str) -> str:
    """Words the answer sentence will hold but the question does not: a 担任什么职务 question is
    answered by a byline-style title run (市委常委、区委书记乔俊杰), so search for title words too."""
    if kind is QuestionType.TITLE:
        return f"{query} {' '.join(TITLE_HINTS)}"
    return query


def support(retriever: Retriever, sentence: str, passage: str) -> float:
    """Share of a sentence's words found in a passage: whether the passage backs the sentence.

    A number the passage does not contain makes it 0: 前黄浜全长5公里 is not backed by 全长2.3公里.
    """
    tokens = set(retriever.index.tokenizer.tokenize(sentence))
    passage = passage.lower()
    if any(number not in passage for number in re.findall(r"\d+(?:\.\d+)?", sentence)):
        return 0.0
    return sum(token in passage for token in tokens) / len(tokens) if tokens else 0.0


def generated_answer(
    retriever: Retriever, llm: LLMSettings, extractive: Answer, hits: Sequence[PassageHit]
) -> Answer:
    """The LLM's answer with every sentence checked against its passage; `extractive` on failure."""
    try:
        raw = chat_completion(llm, extractive.search_query, hits)
    except LLMError as error:
        log.warning("%s; falling back to the extractive answer", error)
        return extractive
    kept = supported_sentences(raw, hits, lambda s, p: support(retriever, s, p))
    if not kept:
        log.warning(
            "no sentence of the generated answer is supported by its passages; using the extractive one"
        )
        return extractive
    numbers: dict[int, int] = {}
    for _, passage in kept:
        numbers.setdefault(passage, len(numbers) + 1)
    text = "".join(f"{sentence}[{numbers[passage]}]" for sentence, passage in kept)
    citations = [
        Citation(number, hits[passage - 1], ((hits[passage - 1].start, hits[passage - 1].end),))
        for passage, number in numbers.items()
    ]
    return replace(extractive, text=text, citations=citations, abstained=False, related=[], generated=True)


def answer_with(
    retriever: Retriever,
    question: str,
    history: Sequence[Turn] = (),
    k: int = 5,
    llm: LLMSettings | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> Answer:
    """The answer to `question` from `retriever`'s index, given the conversation so far.

    Extractive unless `llm` names a chat endpoint; a generated answer is checked sentence by
    sentence against its passages and falls back to the extractive one on any failure.
    """
    started = time.perf_counter()
    question = check_question(question)
    query = contextualize(question, history, retriever.index)
    kind = classify(query)
    from_people = None if date_from or date_to else answer_about_people(retriever, query)
    if from_people is not None:
        short, text, hits, spans = from_people
        citations = [Citation(n, hit, tuple(spans[n])) for n, hit in enumerate(hits, start=1)]
        result = Answer(question, query, text, short, False, citations)
        verify_citations(result, retriever.index.articles)
        return replace(result, seconds=round(time.perf_counter() - started, 3))
    window = retriever.date_window(query, date_from, date_to)
    hits = retriever.to_hits(retriever.rank(expand_query(kind, query), window=window), k)
    result = _extractive(retriever, question, query, kind, hits)
    if llm is not None and hits:
        result = generated_answer(retriever, llm, result, hits)
    return replace(result, seconds=round(time.perf_counter() - started, 3))


def _extractive(
    retriever: Retriever, question: str, query: str, kind: QuestionType, hits: Sequence[PassageHit]
) -> Answer:
    ranked = score_sentences(retriever, query, kind, hits)
    if not ranked or ranked[0].score < MIN_COVERAGE:
        return Answer(question, query, ABSTAIN_TEXT, None, True, [], list(hits[:3]))
    best = ranked[0]
    chosen = [best] + [s for s in ranked[1:MAX_SENTENCES] if s.score >= KEEP_RATIO * best.score]
    short = extract_short_answer(kind, query, best.text)
    text, citations = _compose(hits, chosen, short)
    result = Answer(question, query, text, short, False, citations)
    verify_citations(result, retriever.index.articles)
    return result


def answer(
    question: str,
    history: Sequence | None = None,
    index_dir: str | Path | None = None,
    settings: Settings | None = None,
    date_from: str | date | None = None,
    date_to: str | date | None = None,
) -> Answer:
    """Answer `question` with cited sentences from the index (default: the bundled sample's).

    `history` is the conversation so far: (question, answer) pairs or chat messages
    ({"role": "user"|"assistant", "content": ...}); a follow-up such as 他还参加了哪些活动？ is
    searched with the person or topic of the previous turn. `date_from` / `date_to`
    (YYYY-MM-DD) restrict the passages as in `qa.retrieve.retrieve`.
    """
    settings = settings or Settings.from_env()
    if index_dir is not None:
        settings = replace(settings, index_dir=Path(index_dir))
    return answer_with(
        get_retriever(settings),
        question,
        normalize_history(history),
        llm=settings.llm,
        date_from=date_from,
        date_to=date_to,
    )
