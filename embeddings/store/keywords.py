"""Chinese text -> keyword tokens for BM25: one tokenizer for documents and queries alike.

Traditional characters are folded to simplified (opencc t2s) so a DRCD-style page matches a
simplified question; jieba's search mode adds the short words inside long ones (苏陕协作 ->
苏陕, 协作, 苏陕协作); ASCII is lower-cased; punctuation, whitespace and bm25s's Chinese
stopwords are dropped, since question words like 什么 or 哪 never occur in the answer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np

__all__ = ["KeywordStats", "KeywordTokenizer", "keyword_index", "to_simplified"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class KeywordTokenizer:
    extra_words: Sequence[str] = ()  # names jieba must never split (officials, places)
    use_stopwords: bool = True

    @cached_property
    def _jieba(self):  # -> jieba.Tokenizer, a private instance: no shared global dictionary
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        for word in self.extra_words:
            tokenizer.add_word(word)
        return tokenizer

    @cached_property
    def _stopwords(self) -> frozenset[str]:
        if not self.use_stopwords:
            return frozenset()
        from bm25s.stopwords import STOPWORDS_CHINESE

        return frozenset(STOPWORDS_CHINESE)

    def tokenize(self, text: str) -> list[str]:
        text = to_simplified(text).lower()
        return [
            token
            for token in self._jieba.lcut_for_search(text)
            if _WORD.search(token) and token not in self._stopwords
        ]

    def word_spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each word of `text` in jieba's default (not search) mode."""
        return [(start, end) for _, start, end in self._jieba.tokenize(text)]

    def token_ids(self, texts: Iterable[str]):  # -> bm25s.tokenization.Tokenized
        """Each text as an int32 array of vocabulary ids, plus the vocabulary: what bm25s indexes.

        Ids, not lists of strings: 100k chunks make ~15M tokens, over 1 GB as Python strings and
        ~60 MB as arrays, so a large build stays within its memory bound."""
        from bm25s.tokenization import Tokenized

        vocab: dict[str, int] = {}
        ids = [
            np.fromiter((vocab.setdefault(t, len(vocab)) for t in self.tokenize(text)), dtype=np.int32)
            for text in texts
        ]
        return Tokenized(ids=ids, vocab=vocab)


@dataclass(frozen=True)
class KeywordStats:
    """What BM25 needs to score a chunk as the whole archive would: the number of chunks, their
    total length in tokens and each token's document frequency. A shard scored with the archive's
    statistics gives every chunk the score a single index of the archive gives it, so candidates
    from several shards merge by score."""

    documents: int = 0
    total_length: int = 0
    frequencies: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, tokenized) -> KeywordStats:  # tokenized: bm25s.tokenization.Tokenized
        token_of = {i: token for token, i in tokenized.vocab.items()}
        counts: Counter[int] = Counter()
        for ids in tokenized.ids:
            counts.update(np.unique(ids).tolist())
        return cls(
            documents=len(tokenized.ids),
            total_length=int(sum(len(ids) for ids in tokenized.ids)),
            frequencies={token_of[i]: n for i, n in counts.items()},
        )

    def __add__(self, other: KeywordStats) -> KeywordStats:
        frequencies = Counter(self.frequencies)
        frequencies.update(other.frequencies)
        return KeywordStats(
            self.documents + other.documents, self.total_length + other.total_length, dict(frequencies)
        )

    @property
    def mean_length(self) -> float:
        return self.total_length / max(self.documents, 1)


def keyword_index(tokenized, stats: KeywordStats | None = None):  # -> bm25s.BM25
    """A bm25s index of `tokenized` chunks, scored with their own statistics or the archive's."""
    import bm25s

    index = bm25s.BM25() if stats is None else _archive_bm25_class()(stats, tokenized.vocab)
    index.index(tokenized, show_progress=False)
    return index


@lru_cache(maxsize=1)
def _archive_bm25_class() -> type:
    """bm25s's BM25 with archive statistics; defined on first use, since bm25s loads slowly."""
    import bm25s
    from bm25s.scoring import (
        _build_scores_and_indices_for_matrix,
        _calculate_doc_freqs,
        _select_idf_scorer,
    )

    class ArchiveBM25(bm25s.BM25):
        """bm25s with idf and mean length taken from the whole archive, not from the chunks given.

        bm25s computes both inside `build_index_from_ids` (its documented extension point); the
        rest of its index, its file format and its scoring stay bm25s's own."""

        def __init__(self, stats: KeywordStats, vocab: dict[str, int]) -> None:
            super().__init__()
            self.archive_stats = stats
            self.token_of = {i: token for token, i in vocab.items()}

        def build_index_from_ids(
            self, unique_token_ids, corpus_token_ids, show_progress=True, leave_progress=False
        ):
            self.nonoccurrence_array = None  # only BM25L and BM25+ have one; the default lucene has not
            local = _calculate_doc_freqs(corpus_token_ids, unique_token_ids, show_progress=False)
            idf_of = _select_idf_scorer(self.idf_method)
            stats = self.archive_stats
            idf = np.zeros(len(unique_token_ids), dtype=self.dtype)
            for token_id in unique_token_ids:
                idf[token_id] = idf_of(stats.frequencies[self.token_of[token_id]], N=stats.documents)
            scores, rows, columns = _build_scores_and_indices_for_matrix(
                corpus_token_ids=corpus_token_ids,
                idf_array=idf,
                avg_doc_len=stats.mean_length,
                doc_frequencies=local,
                k1=self.k1,
                b=self.b,
                delta=self.delta,
                nonoccurrence_array=None,
                method=self.method,
                dtype=self.dtype,
                int_dtype=self.int_dtype,
                show_progress=False,
            )
            data, indices, indptr = self._np_csc(
                data=scores, rows=rows, cols=columns, shape=(len(corpus_token_ids), len(unique_token_ids))
            )
            return {
                "data": data.astype(self.dtype),
                "indices": indices,
                "indptr": indptr,
                "num_docs": len(corpus_token_ids),
            }

    return ArchiveBM25


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese; text without traditional characters comes back as is."""
    return _t2s_converter().convert(text)


@lru_cache(maxsize=1)
def _t2s_converter():  # -> opencc.OpenCC; it builds its tables on construction, so build once
    from opencc import OpenCC

    return OpenCC("t2s")
