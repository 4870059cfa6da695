"""Question (+ conversation) -> an Answer whose short answer and sentences are cited.

Default, no LLM: the span reader (qa.reader) reads the top passages and points at the answer
inside them. Its best span is the short answer (trimmed of punctuation, ending at a word edge),
the sentence that holds it is quoted and cited [1], passages are re-ranked by the reader's score,
and the answer abstains, listing the closest passages as 可能相关, when no span beats "no answer"
by the calibrated margin on the reader's card, the margin counted with how close the passage is to
the question in meaning (`sureness`). Questions about people go to the people table
first (qa.who). `reader=None` selects the older sentence scorer (qa.sentences). An optional LLM
writes the answer from the same passages, checked sentence by sentence.
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
from embeddings.extract.dates import parse_iso, spelled_out
from embeddings.settings import LLMSettings, Settings
from qa.archive.answers import ArchiveResult, archive_text, catalog_of, catalog_result, cite
from qa.history import FollowUp, Turn, contextualize, normalize_history
from qa.llm import LLMError, chat_completion, supported_sentences
from qa.page_crops import attach_page_crops
from qa.question_types import QuestionType, answer_shape, classify
from qa.reader.reader import Reader, ReaderSpan
from qa.retrieve import DateScope, PassageHit, Retriever, check_question, get_retriever
from qa.sentences import ScoredSentence, choose_sentences
from qa.who import PeopleAnswer, answer_about_people, answer_attendance

__all__ = ["ABSTAIN_TEXT", "Answer", "Citation", "answer", "answer_with", "confidence_words"]

log = logging.getLogger(__name__)

ABSTAIN_TEXT = "检索到的文章中没有找到这个问题的答案。"
UNRESOLVED_TEXT = (
    "没能确定“{pronoun}”指的是谁：前面的对话和它引用的文章都没有提到人物。请把“{pronoun}”换成人名再问一次。"
)
# A shard that died or timed out: the answer comes from the rest of the archive and says so.
UNSEARCHED_TEXT = (
    "注意：存档的一部分（分片 {shards}）这次没有检索到，它正在重新加载；答案可能不完整，请稍后再问。"
)
LIST_QUESTION = re.compile(r"哪些|哪几|有哪|什么活动|列举")
LIST_ANSWER_TOKENS = 96  # a list (哪些…) is read whole: longer than the card's single-answer limit
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CONJUNCTIONS = frozenset("和与及或")  # as words of their own: 和 of 国家和地区, not of 共和国
# How the reader reads, in two steps. First the top passage's best-ranked chunk alone (one
# window, ~0.14 s on 2 AVX2 cores at fp32): a span whose margin reaches SURE_MARGIN is the answer.
# Otherwise it reads on: the rest of the first READ_WHOLE passages (the top passage held an answer
# for 96% of held-out training questions, its best chunk for 86%) and the best chunks of the
# others up to READ_PASSAGES, and the best span over all it read wins. All three were fitted with
# the rank penalty below by bench/rerank.py on held-out training questions, never on an
# evaluation set (bench/results/rerank.json): the cheapest reading (by its 95th-percentile
# question) within 0.01 EM of the best. Refitted for the refined reader: sure at 10.0 (was 6.0,
# the 6-layer reader's fit), penalty 5.0, reading 2 passages, the first whole: held-out EM 0.496
# -> 0.511 for 8% more characters read at p95. A sure first chunk answers 67% of those questions.
READ_PASSAGES = 2
READ_WHOLE = 1
SURE_MARGIN = 10.0
# Characters of its chunk the rest of a passage reads again on each side, so that an answer
# across the chunk's edge is read whole at least once.
REST_OVERLAP = 60
# What a step down the retrieval order costs a passage's reader margin when the reader re-ranks:
# the margin alone let a sibling paragraph's span win over the retrieved top passage too often.
RANK_PENALTY = 5.0
# Whether to answer from the chosen span: its margin plus the reader precision's COSINE_WEIGHT
# times how far the question's dense cosine with the passage's best chunk lies above its
# REFERENCE_COSINE must reach the card's threshold for that precision. The first 12-layer reader
# let sibling paragraphs (same story, answer absent) answer: their spans look sure, but the
# passage is further from the question in meaning. Fitted by bench/abstention.py on held-out
# training questions, never on an evaluation set: the weight that makes the most of them abstain
# when their paragraphs are removed from the index (the smaller on ties), the reference that keeps
# the answerable ones abstaining as often as by the margin alone (bench/results/abstention-int8.json,
# -fp32.json). For the refined reader, which abstains on such passages by itself (95.8% / 96.3% by
# the margin alone), int8 fits 50 (96.6%) and fp32 0: there the cosine is not computed.
COSINE_WEIGHT = {"int8": 50.0, "fp32": 0.0}
REFERENCE_COSINE = {"int8": 0.8854, "fp32": 0.0}
TITLE_HINTS = ("书记", "区长", "常委", "主任", "主席")


@dataclass(frozen=True)
class Citation:
    number: int  # the marker [number] in the answer text
    hit: PassageHit
    spans: tuple[tuple[int, int], ...]  # cited sentences, as spans of the article text
    answer_span: tuple[int, int] | None = None  # the short answer inside them, as an article span
    page_crop: str | None = None  # image file: the printed page around the passage, sentences marked


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
    # The reader's confidence in its span, 0..1: sigmoid of its `sureness` over the abstention
    # threshold (0.5 = at the threshold). None for answers not read by the span reader.
    confidence: float | None = None
    archive: ArchiveResult | None = None  # an archive-wide answer: the count, the list, the months
    unsearched: tuple[str, ...] = ()  # shards of a sharded archive that did not answer in time


def confidence_words(confidence: float | None) -> str:
    """The reader's confidence as a reader of the chat would say it."""
    if confidence is None:
        return ""
    return "很确定" if confidence >= 0.95 else "较确定" if confidence >= 0.75 else "不确定"


def _compose(
    hits: Sequence[PassageHit],
    chosen: Sequence[ScoredSentence],
    short: str | None,
    answer_span: tuple[int, int] | None = None,
) -> tuple[str, list[Citation]]:
    numbers: dict[int, int] = {}
    spans: dict[int, list[tuple[int, int]]] = {}
    for sentence in chosen:
        numbers.setdefault(sentence.hit_rank, len(numbers) + 1)
        spans.setdefault(sentence.hit_rank, []).append((sentence.start, sentence.end))
    in_order = sorted(chosen, key=lambda s: (numbers[s.hit_rank], s.start))
    quoted = "".join(f"{s.text}[{numbers[s.hit_rank]}]" for s in in_order)
    first = numbers[chosen[0].hit_rank]
    note = dates_note(short, hits[chosen[0].hit_rank].date) if short else ""
    text = f"{short}[{first}]{note}\n\n{quoted}" if short else quoted
    citations = [
        Citation(
            numbers[rank], hits[rank], tuple(spans[rank]), answer_span if rank == chosen[0].hit_rank else None
        )
        for rank in sorted(numbers, key=numbers.get)
    ]
    return text, citations


def dates_note(short: str, published: str | None) -> str:
    """The short answer's relative dates written out from its article's publication date:
    昨天上午 -> （即2024年6月27日）; an archive is read long after 昨天."""
    if not published:
        return ""
    dates = spelled_out(short, parse_iso(published))
    # 今天（6月2日） names one day twice: written out once.
    if len({day for _, day in dates}) == 1:
        return f"（即{dates[0][1]}）"
    return f"（{'，'.join(f'{said}即{day}' for said, day in dates)}）" if dates else ""


def _from_people(retriever: Retriever, question: str, query: str, found: PeopleAnswer) -> Answer:
    short, text, hits, spans = found
    citations = [Citation(n, hit, tuple(spans[n])) for n, hit in enumerate(hits, start=1)]
    result = Answer(question, query, text, short, False, citations)
    verify_citations(result, retriever.index.articles)
    return result


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
    reader: Reader | None = None,
    people_table: bool = True,
) -> Answer:
    """The answer to `question` from `retriever`'s index, given the conversation so far.

    Questions about people are answered from the people table first (`people_table=False`
    skips it: bench/answers.py measures what it adds). The top passages are read by `reader`
    (None: scored by the sentence scorer instead).
    With `llm`, a generated answer is checked sentence by sentence against its passages and
    falls back to the extracted one on any failure.
    """
    started = time.perf_counter()
    question = check_question(question)
    follow_up = contextualize(question, history, retriever.index)
    use_people = people_table and not (date_from or date_to)
    retriever.unsearched.clear()
    result = _answer(retriever, question, follow_up, k, llm, (date_from, date_to), reader, use_people)
    if retriever.unsearched:
        missing = tuple(sorted(retriever.unsearched))
        note = UNSEARCHED_TEXT.format(shards="、".join(missing))
        result = replace(result, text=f"{result.text}\n\n{note}", unsearched=missing)
    return replace(result, seconds=round(time.perf_counter() - started, 3))


def _answer(
    retriever: Retriever,
    question: str,
    follow_up: FollowUp,
    k: int,
    llm: LLMSettings | None,
    dates: tuple[str | date | None, str | date | None],
    reader: Reader | None,
    use_people: bool,
) -> Answer:
    query = follow_up.query
    if follow_up.unresolved:
        return Answer(question, query, UNRESOLVED_TEXT.format(pronoun=follow_up.unresolved), None, True, [])
    archived = catalog_result(catalog_of(retriever.index), retriever.index.tokenizer, query, *dates)
    if archived is not None:
        return _from_archive(retriever, question, query, archived)
    kind = classify(query)
    scope = retriever.date_scope(query, *dates)
    from_people = answer_about_people(retriever, query, scope) if use_people else None
    if from_people is not None:
        return _from_people(retriever, question, query, from_people)
    ranked, hits = search_passages(retriever, query, kind, k, scope)
    attended = answer_attendance(retriever, query, hits[0]) if use_people and hits else None
    if attended is not None:
        return _from_people(retriever, question, query, attended)
    if reader is None:
        result = _from_sentences(retriever, question, query, kind, hits)
    else:
        spans = read_passages(retriever, reader, query, ranked, hits)
        prefer_dated = scope is not None and scope.keep_undated
        result = _from_reader(retriever, reader, question, query, ranked, hits, spans, prefer_dated)
    if llm is not None and hits:
        result = generated_answer(retriever, llm, result, hits)
    return result


def _from_archive(retriever: Retriever, question: str, query: str, archived: ArchiveResult) -> Answer:
    """An archive question's count or list, each quoted item cited to its sentence."""
    text, short, items = archive_text(archived)
    citations = [
        Citation(n, cite(retriever, item), (item.span,) if item.span else ())
        for n, item in enumerate(items, start=1)
    ]
    abstained = not items and not archived.stories
    result = Answer(question, query, text, short, abstained, citations, archive=archived)
    verify_citations(result, retriever.index.articles)
    return result


def _from_sentences(
    retriever: Retriever, question: str, query: str, kind: QuestionType, hits: Sequence[PassageHit]
) -> Answer:
    chosen = choose_sentences(retriever, query, kind, hits)
    if chosen is None:
        return Answer(question, query, ABSTAIN_TEXT, None, True, [], list(hits[:3]))
    sentences, short = chosen
    text, citations = _compose(hits, sentences, short)
    result = Answer(question, query, text, short, False, citations)
    verify_citations(result, retriever.index.articles)
    return result


def end_at_word_edge(
    text: str, start: int, end: int, words: Sequence[tuple[int, int]], last_token: int
) -> int:
    """A span's end moved back to the last word edge between two Chinese characters inside its
    last reader token (`last_token` characters): 6月26日在 -> 6月26日, 日在 being one token; past
    a unit that 个 begins (1个 -> 1个月, of 为期1个月); and before a conjunction left dangling at
    its end (59个国家和 -> 59个国家, of 59个国家和地区)."""
    # The reader was trained to point at the token holding the answer's last character, so a
    # token that runs into the next word ends the answer at the word edge inside it. Han
    # characters only: jieba's edges in Latin words, numbers and quotes are no answer edges
    # (Kitchen, 25,000, 箱」). Widening the other way, to jieba's words, lost answers: jieba
    # splits names and rare words badly (bench/token_edges.py, on training data).
    inner = [
        w_start
        for w_start, _ in words
        if max(start, end - last_token) < w_start < end
        and _HAN.match(text[w_start - 1])
        and _HAN.match(text[w_start])
    ]
    end = inner[-1] if inner else end
    if unit := _COMPOUND_UNIT.match(text, end - 1):
        end = unit.end()
    if end - start > 1 and text[end - 1] in _CONJUNCTIONS and (end - 1, end) in words:
        end -= 1
    return end


# Units that 个 begins, which jieba cuts apart (1|个|月): no gold answer of the training sets
# ends at such a 个, and 6 end at the unit.
_COMPOUND_UNIT = re.compile(r"个(?:月|小时|星期|钟头|工作日|交易日|季度|学期|百分点|世纪)")


# Words that bound a number (超过40个, 近2万人, 约15米): the span leads with them, unless the question
# holds one itself (约多少人口). Annotators of the training sets agree 30 to 20 where the question
# holds none (not counting 仅, 年仅18岁, whose 18岁 they take alone).
_APPROXIMATE = re.compile(
    r"(?:超过|超|逾|将近|接近|(?<![最附])近|大约|(?<![条节公契])约|不到|不足|多达|至少|最多)$"
)
_APPROXIMATE_ASKED = re.compile(r"超|逾|近|约|不到|不足|多达|至少|最多|大概|左右|以上|以下|多于|少于|高达")
_NUMBER_START = re.compile(r"[0-9０-９一二两三四五六七八九十百千万几半]")


def start_with_bound(text: str, start: int, question: str) -> int:
    """A number span's start moved back over the bound right before it: 40个 -> 超过40个."""
    if not _NUMBER_START.match(text[start : start + 1]) or _APPROXIMATE_ASKED.search(question):
        return start
    bound = _APPROXIMATE.search(text, max(0, start - 2), start)
    return bound.start() if bound else start


def _sentence_of(hit: PassageHit, span: ReaderSpan) -> tuple[int, int]:
    """The passage's sentences that hold the span, as one span of the passage text."""
    sentences = [(s, e) for s, e in split_sentences(hit.text) if s < span.end and e > span.start]
    return (sentences[0][0], sentences[-1][1]) if sentences else (span.start, span.end)


def _confidence(sure: float, threshold: float) -> float:
    return round(1 / (1 + math.exp(-(sure - threshold))), 3)


def sureness(margin: float, cosine: float, reference: float, weight: float) -> float:
    """What decides whether a span answers, on the scale of the reader's margin: the margin
    raised or lowered by how close the passage is to the question in meaning."""
    return margin + weight * (cosine - reference)


def chosen_cosine(
    retriever: Retriever,
    query: str,
    ranked: Sequence[tuple[int, float]],
    hits: Sequence[PassageHit],
    passage: int,
) -> float:
    """The question's dense cosine with the best chunk of hits[passage], the passage chosen."""
    chunk = best_chunks(retriever, ranked, hits, passage + 1)[passage]
    return retriever.similarity(query, hits[passage].text[chunk.start : chunk.end])


@dataclass(frozen=True)
class Piece:
    """A span of a passage's text that the reader reads."""

    passage: int  # index into the hits
    start: int
    end: int


def best_chunks(
    retriever: Retriever, ranked: Sequence[tuple[int, float]], hits: Sequence[PassageHit], count: int
) -> list[Piece]:
    """The best-ranked chunk inside each of the first `count` passages (the whole passage where
    none is). A passage is a chunk widened to its paragraph for the reader of the citation;
    reading its chunk alone keeps the reader to about one window."""
    count = min(count, len(hits))
    found: dict[int, Piece] = {}
    for chunk_id, _ in ranked:
        if len(found) == count:
            break
        chunk = retriever.index.chunks[chunk_id]
        for i, hit in enumerate(hits[:count]):
            inside = hit.article_id == chunk.article_id and hit.start <= chunk.start and chunk.end <= hit.end
            if inside and i not in found:
                found[i] = Piece(i, chunk.start - hit.start, chunk.end - hit.start)
    return [found.get(i, Piece(i, 0, len(hits[i].text))) for i in range(count)]


def rest_of(chunk: Piece, length: int, overlap: int = REST_OVERLAP) -> list[Piece]:
    """The parts of a passage of `length` characters before and after `chunk`, each reading
    `overlap` characters of the chunk again."""
    parts = []
    if chunk.start > 0:
        parts.append(Piece(chunk.passage, 0, min(chunk.end, chunk.start + overlap)))
    if chunk.end < length:
        parts.append(Piece(chunk.passage, max(chunk.start, chunk.end - overlap), length))
    return parts


def reading_plan(
    chunks: Sequence[Piece], lengths: Sequence[int], whole: int
) -> tuple[list[Piece], list[Piece]]:
    """What the reader reads first (the top passage's chunk) and what it reads on when that is
    not sure: the other passages' chunks and the rest of the first `whole` passages."""
    if not chunks:
        return [], []
    more = [*chunks[1:], *(part for c in chunks[:whole] for part in rest_of(c, lengths[c.passage]))]
    return [chunks[0]], more


def is_sure(first: Sequence[ReaderSpan | None], sure: float) -> bool:
    """Whether the first reading's span is the answer without reading on."""
    return bool(first) and first[0] is not None and first[0].margin >= sure


def best_per_passage(spans: Sequence[ReaderSpan | None], count: int) -> list[ReaderSpan | None]:
    """Each of `count` passages' highest-margin span among those read (None: none)."""
    best: list[ReaderSpan | None] = [None] * count
    for span in spans:
        if span is not None and (best[span.passage] is None or span.margin > best[span.passage].margin):
            best[span.passage] = span
    return best


def search_passages(
    retriever: Retriever, query: str, kind: QuestionType, k: int, scope: DateScope | None = None
) -> tuple[list[tuple[int, float]], list[PassageHit]]:
    """The ranked chunks for `query` (widened by its question type) and its top `k` passages."""
    ranked = retriever.rank(expand_query(kind, query), scope=scope)
    return ranked, retriever.to_hits(ranked, k)


def read_pieces(
    reader: Reader, query: str, hits: Sequence[PassageHit], pieces: Sequence[Piece]
) -> list[ReaderSpan | None]:
    """The reader's best span in each piece of the shape the question asks for (`answer_shape`),
    as offsets of its passage's text; a list question (哪些…) may take a longer span."""
    if not pieces:
        return []
    max_tokens = LIST_ANSWER_TOKENS if LIST_QUESTION.search(query) else None
    texts = [hits[p.passage].text[p.start : p.end] for p in pieces]
    read = reader.read(query, texts, max_tokens, answer_shape(query))
    return [
        replace(span, passage=p.passage, start=span.start + p.start, end=span.end + p.start) if span else None
        for span, p in zip(read, pieces, strict=True)
    ]


def read_passages(
    retriever: Retriever,
    reader: Reader,
    query: str,
    ranked: Sequence[tuple[int, float]],
    hits: Sequence[PassageHit],
    count: int = READ_PASSAGES,
    whole: int = READ_WHOLE,
    sure: float = SURE_MARGIN,
) -> list[ReaderSpan | None]:
    """The reader's best span in each passage it read (None: none), in retrieval order: the top
    passage's alone when its chunk reads an answer at the `sure` margin, else each of the first
    `count` (`reading_plan`)."""
    chunks = best_chunks(retriever, ranked, hits, count)
    first_pieces, more_pieces = reading_plan(chunks, [len(h.text) for h in hits], whole)
    first = read_pieces(reader, query, hits, first_pieces)
    if is_sure(first, sure):
        return first
    return best_per_passage([*first, *read_pieces(reader, query, hits, more_pieces)], len(chunks))


def reader_order(
    margins: Sequence[float | None],
    threshold: float,
    penalty: float = RANK_PENALTY,
    dated: Sequence[bool] | None = None,
) -> list[int]:
    """The read passages (margins in retrieval order; None: no span) as the reader re-ranks them:
    those that answer (margin at the threshold or above) first, by margin less `penalty` per
    retrieval rank, then the others the same way, unread ones last. With `dated`, a dated
    passage that answers comes before every undated one."""

    def rank(i: int) -> tuple[bool, bool, float]:
        margin = margins[i]
        answers = margin is not None and margin >= threshold
        dated_answer = dated is not None and answers and dated[i]
        return (not dated_answer, not answers, -(margin - penalty * i) if margin is not None else math.inf)

    return sorted(range(len(margins)), key=rank)


@dataclass(frozen=True)
class Choice:
    """The span the answer rests on, and how sure it is."""

    order: list[int]  # the passages read, as the reader re-ranks them (`reader_order`)
    span: ReaderSpan | None  # the best span of the first of them (None: no span read)
    cosine: float | None  # the question's dense cosine with that passage's best chunk (None:
    # not computed, as the reader's precision gives it no weight)
    sureness: float  # -inf without a span; the answer abstains below the card's threshold


def choose_span(
    retriever: Retriever,
    reader: Reader,
    query: str,
    ranked: Sequence[tuple[int, float]],
    hits: Sequence[PassageHit],
    spans: Sequence[ReaderSpan | None],
    dated: Sequence[bool] | None = None,
) -> Choice:
    """The reader's choice among its spans in the passages read (`read_passages`) and its
    `sureness`. With `dated`, a dated passage that answers wins over an undated one."""
    order = reader_order([span.margin if span else None for span in spans], reader.threshold, dated=dated)
    best = spans[order[0]] if spans else None
    if best is None:
        return Choice(order, None, None, -math.inf)
    weight = COSINE_WEIGHT[reader.precision]
    if not weight:
        return Choice(order, best, None, best.margin)
    cosine = chosen_cosine(retriever, query, ranked, hits, order[0])
    return Choice(
        order, best, cosine, sureness(best.margin, cosine, REFERENCE_COSINE[reader.precision], weight)
    )


def _from_reader(
    retriever: Retriever,
    reader: Reader,
    question: str,
    query: str,
    ranked: Sequence[tuple[int, float]],
    hits: Sequence[PassageHit],
    spans: Sequence[ReaderSpan | None],
    prefer_dated: bool = False,
) -> Answer:
    """The reader's answer from its spans in the passages read (`read_passages`), or an
    abstention when the chosen span's `sureness` is below the card's threshold. With
    `prefer_dated` (the question named a time and undated articles stayed in play), a dated
    passage that answers wins over an undated one: an undated article is only a candidate for
    the time asked about."""
    dated = [bool(hits[i].date) for i in range(len(spans))] if prefer_dated else None
    choice = choose_span(retriever, reader, query, ranked, hits, spans, dated)
    order, best = choice.order, choice.span
    ranked_hits = [hits[i] for i in order] + list(hits[len(spans) :])
    if best is None or choice.sureness < reader.threshold:
        return Answer(question, query, ABSTAIN_TEXT, None, True, [], ranked_hits[:3])
    hit = hits[order[0]]
    words = retriever.index.tokenizer.word_spans(hit.text)
    end = end_at_word_edge(hit.text, best.start, best.end, words, best.last_token)
    start = start_with_bound(hit.text, best.start, query)
    s, e = _sentence_of(hit, replace(best, start=start, end=end))
    chosen = [ScoredSentence(0, hit.start + s, hit.start + e, hit.text[s:e], best.margin)]
    cited = [hit]
    # A second passage that reads the same answer backs it: cite it too.
    backing = next(
        (
            i
            for i in order[1:]
            if spans[i] and spans[i].margin >= reader.threshold and spans[i].text == best.text
        ),
        None,
    )
    if backing is not None:
        s, e = _sentence_of(hits[backing], spans[backing])
        other = hits[backing]
        chosen.append(
            ScoredSentence(1, other.start + s, other.start + e, other.text[s:e], spans[backing].margin)
        )
        cited.append(other)
    short = hit.text[start:end]
    text, citations = _compose(cited, chosen, short, (hit.start + start, hit.start + end))
    confidence = _confidence(choice.sureness, reader.threshold)
    result = Answer(question, query, text, short, False, citations, confidence=confidence)
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
    """Answer `question` with a cited short answer from the index (default: the bundled sample's).

    `history` is the conversation so far: (question, answer) pairs or chat messages
    ({"role": "user"|"assistant", "content": ...}); a follow-up such as 他还参加了哪些活动？ is
    searched with the person or topic of the previous turn. `date_from` / `date_to`
    (YYYY-MM-DD) restrict the passages as in `qa.retrieve.retrieve`. The span reader is loaded
    once per process (`NEWSQA_READER=sentences` selects the sentence scorer instead).
    """
    from qa.reader.loading import get_reader

    settings = settings or Settings.from_env()
    if index_dir is not None:
        settings = replace(settings, index_dir=Path(index_dir))
    result = answer_with(
        get_retriever(settings),
        question,
        normalize_history(history),
        llm=settings.llm,
        date_from=date_from,
        date_to=date_to,
        reader=get_reader(settings) if settings.reader == "span" else None,
    )
    return attach_page_crops(result, settings.resolved_index_dir)
