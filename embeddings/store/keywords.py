"""Chinese text -> keyword tokens for BM25: one tokenizer for documents and queries alike.

Traditional characters are folded to simplified (opencc t2s) so a DRCD-style page matches a
simplified question; jieba's search mode adds the short words inside long ones (苏陕协作 ->
苏陕, 协作, 苏陕协作); ASCII is lower-cased; punctuation, whitespace and bm25s's Chinese
stopwords are dropped, since question words like 什么 or 哪 never occur in the answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

__all__ = ["KeywordTokenizer", "to_simplified"]

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


def to_simplified(text: str) -> str:
    """Traditional -> simplified Chinese; text without traditional characters comes back as is."""
    return _t2s_converter().convert(text)


@lru_cache(maxsize=1)
def _t2s_converter():  # -> opencc.OpenCC; it builds its tables on construction, so build once
    from opencc import OpenCC

    return OpenCC("t2s")
