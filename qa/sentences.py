"""The sentence scorer: the answer's sentences chosen by word overlap with the question.

The retrieved passages are split into sentences, sentences are scored by how much of the
question's rare words they hold (IDF from the keyword index) plus whether they contain the kind of
thing asked for (a number with the asked unit, a person, a date, a place); the short answer is
then cut from the best sentence by pattern (qa.question_types). It matches words, it does not
read: the span reader (qa.reader) replaced it as the default, and bench/answers.py compares the
two. `NEWSQA_READER=sentences` still selects it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from embeddings.chunking import split_sentences
from qa.question_types import FRAME_WORDS, QuestionType, answer_fit, extract_short_answer
from qa.retrieve import PassageHit, Retriever

__all__ = ["ScoredSentence", "choose_sentences", "score_sentences", "token_credit"]

MIN_COVERAGE = 0.55  # share of the question's IDF mass a sentence must hold to be an answer
KEEP_RATIO = 0.8  # further sentences are cited when they score this close to the best one
MAX_SENTENCES = 3
HEADING_CREDIT = 0.6  # a question word found only in the article's title or subtitle
CHARACTER_CREDIT = 0.5  # at most, for a word whose characters occur only scattered
ANSWER_BONUS = 0.15  # per unit of answer fit (qa.question_types.answer_fit)
RANK_PENALTY = 0.01  # per place of the passage in the retrieval ranking


@dataclass(frozen=True)
class ScoredSentence:
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
) -> list[ScoredSentence]:
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
        scored.append(ScoredSentence(rank, start, end, text, coverage + bonus - RANK_PENALTY * rank))
    return sorted(scored, key=lambda s: -s.score)


def choose_sentences(
    retriever: Retriever, query: str, kind: QuestionType, hits: Sequence[PassageHit]
) -> tuple[list[ScoredSentence], str | None] | None:
    """The sentences to quote, best first, and the short answer cut from the best; None to abstain."""
    ranked = score_sentences(retriever, query, kind, hits)
    if not ranked or ranked[0].score < MIN_COVERAGE:
        return None
    best = ranked[0]
    chosen = [best] + [s for s in ranked[1:MAX_SENTENCES] if s.score >= KEEP_RATIO * best.score]
    return chosen, extract_short_answer(kind, query, best.text)
