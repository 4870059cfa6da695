"""Article -> overlapping, sentence-aligned chunks with exact character spans.

Sentences end at 。！？!?；;… (with any closing quotes or brackets after them) and at paragraph
breaks. Chunks are whole sentences packed up to `size` characters; the next chunk repeats the last
sentences of the previous one, up to `overlap` characters. A sentence longer than `size` is the
only thing ever cut: at clause punctuation (，,、：:) where possible, else hard at `size`.
`Chunk.text == article.text[start:end]` always, so a citation can be highlighted in the article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings.articles import Article
from embeddings.extract.dates import event_dates, parse_iso
from embeddings.settings import ChunkingSettings

__all__ = ["Chunk", "chunk_article", "split_long", "split_sentences"]

_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)\]】\"']*|\n")
_CLAUSE_END = re.compile(r"[，,、：:]+")


@dataclass(frozen=True)
class Chunk:
    article_id: str
    title: str
    start: int
    end: int
    text: str
    date: str | None = None
    reporter: str = ""
    source: str = ""
    # ISO (start, end) of every date the chunk's text mentions, resolved against the publication
    # date (昨天 -> the day before it); partial dates without one are left out, never guessed.
    event_dates: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "event_dates", tuple(tuple(pair) for pair in self.event_dates))

    @property
    def id(self) -> str:
        return f"{self.article_id}:{self.start}-{self.end}"

    @property
    def keyword_text(self) -> str:
        """What BM25 indexes: the title gives every chunk its article's topic words.

        The dense vector is of `text` alone: with the title in it, every chunk of an article
        embeds alike and the model can no longer tell which one answers (bench/retrieval.py:
        sample dense hit@1 0.50 with the title, 0.82 without).
        """
        return f"{self.title}\n{self.text}"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _split_at(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Spans of text[start:end] cut after each match of `pattern`, whitespace-trimmed."""
    spans, begin = [], start
    for match in pattern.finditer(text, start, end):
        if (span := _trimmed(text, begin, match.end())) is not None:
            spans.append(span)
        begin = match.end()
    if (span := _trimmed(text, begin, end)) is not None:
        spans.append(span)
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in `text`, in order, without surrounding whitespace."""
    return _split_at(text, 0, len(text), _SENTENCE_END)


def split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `size` characters, at clauses if possible."""
    pieces: list[tuple[int, int]] = []
    for c_start, c_end in _split_at(text, start, end, _CLAUSE_END):
        for cut in range(c_start, c_end, size):  # a clause longer than `size` is cut hard
            span = _trimmed(text, cut, min(cut + size, c_end))
            if span is None:
                continue
            if pieces and span[1] - pieces[-1][0] <= size:
                pieces[-1] = (pieces[-1][0], span[1])
            else:
                pieces.append(span)
    return pieces


def _units(text: str, size: int) -> list[tuple[int, int]]:
    """Sentences, with any sentence over `size` replaced by its pieces."""
    units = []
    for start, end in split_sentences(text):
        units.extend(split_long(text, start, end, size) if end - start > size else [(start, end)])
    return units


def _pack(units: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of units into spans; each span after the first starts with overlap units."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i
        while j + 1 < len(units) and units[j + 1][1] - units[i][0] <= size:
            j += 1
        spans.append((units[i][0], units[j][1]))
        if j + 1 == len(units):
            break
        nxt = units[j + 1][1]
        # Earliest unit in (i, j] whose tail fits the overlap and still leaves room for unit j+1.
        i = next(
            (
                k
                for k in range(i + 1, j + 1)
                if units[j][1] - units[k][0] <= overlap and nxt - units[k][0] <= size
            ),
            j + 1,
        )
    return spans


def _event_dates(article: Article) -> list[tuple[int, int, tuple[str, str]]]:
    published = parse_iso(article.date) if article.date else None
    return [(m.start, m.end, m.range.iso()) for m in event_dates(article.text, published) if m.range]


def chunk_article(article: Article, settings: ChunkingSettings) -> list[Chunk]:
    """Sentence-aligned chunks of `article`, each carrying its article's metadata, span and dates."""
    spans = _pack(_units(article.text, settings.size), settings.size, settings.overlap)
    mentions = _event_dates(article)
    return [
        Chunk(
            article_id=article.id,
            title=article.title,
            start=start,
            end=end,
            text=article.text[start:end],
            date=article.date,
            reporter=article.reporter,
            source=article.source,
            event_dates=tuple(dict.fromkeys(r for s, e, r in mentions if start <= s and e <= end)),
        )
        for start, end in spans
    ]
