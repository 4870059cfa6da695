"""The build's stages, each a function over a batch, and the runners that map them.

`embeddings.build` composes them; the data flows one way:

    files      -> articles     `embeddings.sources.load_articles` (one batch per format and folder)
    articles   -> chunks       `chunk_articles` (sentence-aligned, with their event dates)
    chunks     -> vectors      `encode_chunks` here; encoder actors on Ray (`embeddings.cluster`)
    articles   -> tables       `embeddings.store.archive_tables.extract_tables` (people, places, …)
    all        -> generation   `embeddings.store.index.write_generation`, once or per shard

A runner maps a stage over batches: `InlineRunner` in this process, `embeddings.cluster.RayRunner`
on a Ray cluster. The stage functions are the same either way, so a Ray build equals a
one-machine build of the same sources.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import numpy as np

from embeddings.articles import Article
from embeddings.chunking import Chunk, chunk_article
from embeddings.encoding.encoder import Encoder
from embeddings.settings import ChunkingSettings

__all__ = ["InlineRunner", "Runner", "chunk_articles", "encode_chunks", "in_batches"]

T = TypeVar("T")
R = TypeVar("R")

ENCODE_BATCH = 64  # chunks per encode call; sorted by length so a batch pads little
Progress = Callable[[int, int], None]


class Runner(Protocol):
    # True when batches run elsewhere at once: stages then split their work into batches.
    parallel: bool

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`, in order."""
        ...

    def embed(self, chunks: Sequence[Chunk], encoder: Encoder, progress: Progress | None) -> np.ndarray:
        """Passage vectors of `chunks`, in order (`encoder` may be a CachingEncoder)."""
        ...


@dataclass(frozen=True)
class InlineRunner:
    """Every stage in this process, one batch after another (the one-machine build)."""

    parallel: bool = False

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [fn(item) for item in items]

    def embed(self, chunks: Sequence[Chunk], encoder: Encoder, progress: Progress | None) -> np.ndarray:
        return encode_chunks(chunks, encoder, progress)


def in_batches(items: Sequence[T], count: int) -> list[list[T]]:
    """`items` cut into at most `count` consecutive batches of near-equal size."""
    size = max(1, -(-len(items) // max(count, 1)))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def chunk_articles(articles: Sequence[Article], chunking: ChunkingSettings) -> list[Chunk]:
    """The chunks of `articles`, in article order."""
    return [chunk for article in articles for chunk in chunk_article(article, chunking)]


def encode_chunks(chunks: Sequence[Chunk], encoder: Encoder, progress: Progress | None = None) -> np.ndarray:
    """Passage vectors for `chunks`, in order, encoded in length-sorted batches.

    `progress(done, total)` is called after each batch.
    """
    vectors = np.zeros((len(chunks), encoder.dimension), dtype=np.float32)
    order = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))
    if progress:
        progress(0, len(order))
    for begin in range(0, len(order), ENCODE_BATCH):
        batch = order[begin : begin + ENCODE_BATCH]
        vectors[batch] = encoder.encode([chunks[i].text for i in batch], "passage")
        if progress:
            progress(min(begin + ENCODE_BATCH, len(order)), len(order))
    return vectors
