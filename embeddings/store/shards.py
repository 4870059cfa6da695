"""One archive as several index shards: planning, writing, loading and searching them.

A sharded generation folder::

    manifest.json        IndexManifest of the whole archive; its `shards` describe each shard
    keyword_stats.json   KeywordStats of every chunk: each shard's BM25 scores as one index would
    people.jsonl …       the archive tables of all articles (a reprint may span shards)
    pages.json           the page images the archive cites
    shards/<name>/       one normal generation folder per shard, with its own manifest.json

A one-machine index is one shard: its generation folder is the unsharded layout and its manifest
has no `shards`, so existing indexes and `retrieve()` are unchanged.

Searching a sharded index asks each shard a filter may reach for its dense and BM25 candidates
and merges them by score. Dense scores are inner products and BM25 scores use the archive's
statistics, so the merged lists equal a single index's on the same candidates (exact search;
an HNSW graph per shard approximates as the single graph does). The driver keeps the text
(articles, chunks, the tables) to cite and read; the shards keep what is large, the vectors, the
graph and the keyword index, and may run elsewhere (`embeddings.cluster`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np

from embeddings.articles import Article
from embeddings.chunking import Chunk
from embeddings.errors import IndexMismatchError
from embeddings.extract.people import PersonRecord
from embeddings.stages import InlineRunner, Runner
from embeddings.store.archive_tables import ArchiveTables, write_tables
from embeddings.store.index import (
    Candidates,
    IndexManifest,
    SearchIndex,
    StoredChunks,
    article_from_row,
    jsonl_lines,
    load_generation,
    read_jsonl,
    vector_index_kind,
    write_generation,
    write_page_list,
)
from embeddings.store.keywords import KeywordStats, KeywordTokenizer

__all__ = [
    "LocalShards",
    "ShardInfo",
    "ShardPool",
    "ShardQuery",
    "ShardedIndex",
    "load_sharded",
    "plan_shards",
    "read_serving",
    "record_serving",
    "write_sharded",
]

log = logging.getLogger(__name__)

STATS_FILE = "keyword_stats.json"
SHARDS_DIR = "shards"
SERVING_FILE = "serving.json"  # in the index dir: where a cluster serves the shards now


@dataclass(frozen=True)
class ShardInfo:
    name: str
    articles: int
    chunks: int
    # Its articles' first and last publication dates. A date filter is checked per chunk (event
    # dates included), so a shard without a chunk in the window is never asked.
    first_day: str | None
    last_day: str | None
    undated: bool  # holds chunks of articles without a publication date
    bytes: int = 0  # on disk


def plan_shards(articles: Sequence[Article], chunk_counts: Sequence[int], count: int) -> list[list[int]]:
    """Article positions per shard: in date order (undated last), cut into `count` runs of about
    equal chunks, so each shard covers a stretch of time a date filter can skip."""
    order = sorted(range(len(articles)), key=lambda i: (articles[i].date is None, articles[i].date or "", i))
    total = sum(chunk_counts)
    shards: list[list[int]] = [[] for _ in range(max(1, min(count, len(articles))))]
    done = 0
    for i in order:
        shard = min(len(shards) - 1, done * len(shards) // max(total, 1))
        shards[shard].append(i)
        done += chunk_counts[i]
    return [sorted(positions) for positions in shards if positions]


@dataclass(frozen=True)
class _ShardJob:
    folder: Path
    manifest: IndexManifest
    vectors: np.ndarray
    chunks: list[Chunk]
    articles: list[Article]
    tables: ArchiveTables
    tokens: object = None  # bm25s Tokenized of its chunks, made once: for the statistics and the index


def _tokens(words: Sequence[str], chunks: Sequence[Chunk]):  # -> bm25s.tokenization.Tokenized
    return KeywordTokenizer(extra_words=words).token_ids(c.keyword_text for c in chunks)


def _write_shard(words: Sequence[str], stats: KeywordStats, job: _ShardJob) -> int:
    job.folder.mkdir(parents=True)
    write_generation(
        job.folder, job.manifest, job.vectors, job.chunks, job.articles, job.tables, words, stats, job.tokens
    )
    return sum(path.stat().st_size for path in job.folder.rglob("*") if path.is_file())


def _subset(tables: ArchiveTables, ids: set[str]) -> ArchiveTables:
    return ArchiveTables(
        people=[r for r in tables.people if r.article_id in ids],
        entities=[r for r in tables.entities if r.article_id in ids],
        reprints={a: first for a, first in tables.reprints.items() if a in ids},
    )


def write_sharded(
    folder: Path,
    manifest: IndexManifest,
    vectors: np.ndarray,
    chunks: Sequence[Chunk],
    articles: Sequence[Article],
    tables: ArchiveTables,
    count: int,
    runner: Runner | None = None,
) -> IndexManifest:
    """Store `articles` as `count` shards in the generation `folder`; the shards are written by
    `runner` (on a cluster, in parallel). Returns the archive's manifest, listing the shards."""
    runner = runner or InlineRunner()
    rows_of: dict[str, list[int]] = {}
    for row, chunk in enumerate(chunks):
        rows_of.setdefault(chunk.article_id, []).append(row)
    plan = plan_shards(articles, [len(rows_of.get(a.id, [])) for a in articles], count)
    words = sorted({p.name for p in tables.people})
    jobs = []
    for number, positions in enumerate(plan):
        mine = [articles[i] for i in positions]
        rows = [row for a in mine for row in rows_of.get(a.id, [])]
        shard_tables = _subset(tables, {a.id for a in mine})
        shard_manifest = replace(
            manifest,
            counts={"articles": len(mine), "chunks": len(rows)},
            articles={a.id: a.source for a in mine},
            vector_index=vector_index_kind(len(rows)),
            formats={},
            tables=shard_tables.summary(),
            files=[],
            warnings=[],
            shards=[],
        )
        jobs.append(
            _ShardJob(
                folder / SHARDS_DIR / f"{number:03d}",
                shard_manifest,
                vectors[rows],
                [chunks[row] for row in rows],
                mine,
                shard_tables,
            )
        )
    tokens = runner.map(partial(_tokens, words), [job.chunks for job in jobs])
    stats = sum((KeywordStats.of(t) for t in tokens), KeywordStats())
    jobs = [replace(job, tokens=t) for job, t in zip(jobs, tokens, strict=True)]
    sizes = runner.map(partial(_write_shard, words, stats), jobs)
    (folder / STATS_FILE).write_text(json.dumps(asdict(stats), ensure_ascii=False), encoding="utf-8")
    write_tables(folder, tables)
    write_page_list(folder, articles)
    infos = [
        ShardInfo(
            name=job.folder.name,
            articles=len(job.articles),
            chunks=len(job.chunks),
            first_day=min((a.date for a in job.articles if a.date), default=None),
            last_day=max((a.date for a in job.articles if a.date), default=None),
            undated=any(a.date is None for a in job.articles),
            bytes=size,
        )
        for job, size in zip(jobs, sizes, strict=True)
    ]
    sharded = replace(
        manifest,
        vector_index=vector_index_kind(max(info.chunks for info in infos)),
        shards=[asdict(info) for info in infos],
    )
    (folder / "manifest.json").write_text(sharded.to_json(), encoding="utf-8")
    log.info("wrote %d shards of %d chunks in all", len(infos), len(chunks))
    return sharded


@dataclass(frozen=True)
class ShardQuery:
    """One search sent to the shards: the query vector (None: no dense search), the question
    (None: no BM25) and how many candidates of each."""

    vector: np.ndarray | None
    question: str | None
    n: int

    def run(self, index: SearchIndex, allowed: np.ndarray | None) -> Candidates:
        return index.candidates(self.vector, self.question, self.n, allowed)


# Shard number -> the ids (local to the shard) a search may return; None: any of its chunks.
ShardRequests = dict[int, np.ndarray | None]


class ShardPool(Protocol):
    """Where the shards' search structures live and answer: in this process or on a cluster."""

    def search(self, requests: ShardRequests, query: ShardQuery) -> tuple[dict[int, Candidates], list[int]]:
        """Each requested shard's candidates, and the shards that did not answer."""
        ...

    def placement(self) -> list[str]:
        """Where each shard is served, in shard order."""
        ...


@dataclass
class LocalShards:
    """Every shard's search structures loaded in this process."""

    shards: list[SearchIndex]

    @classmethod
    def load(cls, folders: Sequence[Path]) -> LocalShards:
        return cls([load_generation(folder, search_only=True) for folder in folders])

    def search(self, requests: ShardRequests, query: ShardQuery) -> tuple[dict[int, Candidates], list[int]]:
        return {s: query.run(self.shards[s], allowed) for s, allowed in requests.items()}, []

    def placement(self) -> list[str]:
        return ["this process"] * len(self.shards)


def _merged(lists: Sequence[list[tuple[int, float]]], n: int) -> list[tuple[int, float]]:
    """The n best of several shards' (chunk id, score) lists; ties keep shard order."""
    pairs = [pair for ranked in lists for pair in ranked]
    return sorted(pairs, key=lambda pair: -pair[1])[:n]


@dataclass(eq=False)
class ShardedIndex(SearchIndex):
    """A SearchIndex whose vectors and keyword index are shards; chunk ids run over all shards
    in order (shard s holds ids offsets[s] to offsets[s + 1] - 1)."""

    shards: list[ShardInfo] = field(default_factory=list)
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    pool: ShardPool | None = None
    stats: KeywordStats = field(default_factory=KeywordStats)

    def shards_for(self, allowed: np.ndarray | None) -> ShardRequests:
        """The shards a search among `allowed` (all chunks when None) must ask, with their local ids."""
        if allowed is None:
            return dict.fromkeys(range(len(self.shards)))
        requests = {}
        for s in range(len(self.shards)):
            begin, end = self.offsets[s], self.offsets[s + 1]
            local = allowed[(allowed >= begin) & (allowed < end)] - begin
            if len(local):
                requests[s] = local
        return requests

    def candidates(
        self, query_vector: np.ndarray | None, question: str | None, n: int, allowed: np.ndarray | None = None
    ) -> Candidates:
        results, failed = self.pool.search(self.shards_for(allowed), ShardQuery(query_vector, question, n))
        dense, keyword = [], []
        for s, found in results.items():
            begin = int(self.offsets[s])
            dense.append([(begin + i, score) for i, score in found.dense])
            keyword.append([(begin + i, score) for i, score in found.keyword])
        return Candidates(_merged(dense, n), _merged(keyword, n), tuple(self.shards[s].name for s in failed))

    def document_frequency(self, token: str) -> int:
        return self.stats.frequencies.get(token, 0)


def load_sharded(folder: Path, manifest: IndexManifest, pool: ShardPool | None = None) -> ShardedIndex:
    """The sharded generation `folder`: text and tables loaded here, search structures in `pool`
    (default: loaded in this process)."""
    infos = [ShardInfo(**row) for row in manifest.shards]
    folders = shard_folders(folder, manifest)
    missing = [str(f) for f in folders if not (f / "manifest.json").is_file()]
    if missing:
        raise IndexMismatchError(f"sharded index at {folder} lacks shards {', '.join(missing)}: rebuild it")
    lines: list[bytes] = []
    articles: dict[str, Article] = {}
    dates = []
    offsets = [0]
    for shard in folders:
        rows = jsonl_lines(shard / "chunks.jsonl")
        table = np.load(shard / "chunk_dates.npy", allow_pickle=False).astype(np.int64)
        table[:, 0] += offsets[-1]
        dates.append(table)
        lines += rows
        offsets.append(offsets[-1] + len(rows))
        articles.update((row["id"], article_from_row(row)) for row in read_jsonl(shard / "articles.jsonl"))
    words = (
        json.loads((folders[0] / "keywords.json").read_text(encoding="utf-8"))["extra_words"]
        if folders
        else []
    )
    return ShardedIndex(
        manifest=manifest,
        chunks=StoredChunks(lines),
        articles=articles,
        vectors=None,
        keywords=None,
        tokenizer=KeywordTokenizer(extra_words=words),
        people=[PersonRecord(**row) for row in read_jsonl(folder / "people.jsonl")],
        chunk_dates=np.concatenate(dates) if dates else np.zeros((0, 3), dtype=np.int64),
        folder=folder,
        shards=infos,
        offsets=np.array(offsets, dtype=np.int64),
        pool=pool or LocalShards.load(folders),
        stats=KeywordStats(**json.loads((folder / STATS_FILE).read_text(encoding="utf-8"))),
    )


def shard_folders(folder: Path, manifest: IndexManifest) -> list[Path]:
    """The shard generation folders of the sharded generation `folder`, in shard order."""
    return [folder / SHARDS_DIR / row["name"] for row in manifest.shards]


def record_serving(index_dir: Path, placement: dict[str, str]) -> None:
    """Note where each shard (by name) is served, for `newsqa info` to tell."""
    tmp = index_dir / f".{SERVING_FILE}.tmp"
    tmp.write_text(json.dumps(placement, ensure_ascii=False), encoding="utf-8")
    tmp.replace(index_dir / SERVING_FILE)


def read_serving(index_dir: Path) -> dict[str, str]:
    path = index_dir / SERVING_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
