"""Chunks -> one index directory: FAISS vectors, a bm25s keyword index, metadata, a manifest.

Layout of an index directory::

    CURRENT                  name of the live generation (replaced atomically)
    generations/<id>/        one complete build
        manifest.json        IndexManifest: what built it, checked on load
        vectors.faiss        FAISS inner-product index over L2-normalised vectors
        bm25/                bm25s index over jieba search-mode tokens (numpy + JSON)
        keywords.json        words added to jieba's dictionary (people's names)
        people.jsonl         one PersonRecord per mention of a person (and the archive's other
        entities.jsonl       tables: places, organisations, reprints; see archive_tables.py)
        reprints.json
        chunks.jsonl         one Chunk per line, in vector order
        chunk_dates.npy      (chunk id, first day, last day) per publication or event date
        articles.jsonl       one Article per line

A sharded index's generation holds one such folder per shard (`embeddings.store.shards`).
A build writes a new generation, then swaps CURRENT; an interrupted build leaves only an unused
folder, so the previous index stays loadable. Nothing here is pickled.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from embeddings.articles import Article
from embeddings.chunking import Chunk
from embeddings.encoding.encoder import Encoder
from embeddings.errors import IndexMismatchError, IndexMissingError
from embeddings.extract.dates import DateRange, parse_iso
from embeddings.extract.people import PersonRecord
from embeddings.settings import ChunkingSettings
from embeddings.store.archive_tables import (
    TABLE_FILES,
    ArchiveTables,
    extractor_digest,
    write_tables,
)
from embeddings.store.keywords import KeywordStats, KeywordTokenizer, keyword_index

__all__ = [
    "SCHEMA_VERSION",
    "Candidates",
    "IndexManifest",
    "SearchIndex",
    "load_index",
    "new_manifest",
    "publish_generation",
    "read_jsonl",
    "read_manifest",
    "write_generation",
]

log = logging.getLogger(__name__)

# 2: keywords.json (names kept whole by jieba); 3: people.jsonl; 4: chunk event dates;
# 5: chunk_dates.npy (the date filter's table, so loading never parses every chunk);
# 6: entities.jsonl and reprints.json (the archive tables), people with the role "person"
SCHEMA_VERSION = 6
PAGE_LIST = "pages.json"  # the page images a generation cites
INDEX_FILES = (
    "manifest.json",
    "vectors.faiss",
    "bm25",
    "keywords.json",
    "chunks.jsonl",
    "articles.jsonl",
    "chunk_dates.npy",
    *TABLE_FILES,
)
# Exact search scans every vector (1.5 KB each) per query: ~16 ms at 100k chunks on 2 cores
# (measured), so ~3 ms at 20k. Beyond EXACT_SEARCH_MAX an HNSW graph answers in ~1.5 ms.
# e5 vectors crowd together: at 100k chunks M=32 / efConstruction 80 gave recall@10 0.966
# against exact search (0.989 even at efSearch 1,024). With M=48 / efConstruction 200, efSearch
# 128 gave 0.990 at 50k and 0.992 at 100k; 192 gives 0.994 at both for +0.4 ms (bench/perf.py).
EXACT_SEARCH_MAX = 20_000
HNSW_NEIGHBOURS = 48
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 192
FILTERED_EXACT_MAX = 20_000  # a date filter leaving fewer chunks than this is searched exactly


@dataclass(frozen=True)
class IndexManifest:
    schema_version: int
    model_id: str
    dimension: int
    chunking: dict[str, int]
    counts: dict[str, int]
    articles: dict[str, str]  # article id (content hash) -> source file
    built_at: str
    build_seconds: float
    versions: dict[str, str] = field(default_factory=dict)
    precision: str = ""  # of the passage vectors: "int8", "bf16" or "fp32"
    vector_index: str = "flat"  # "flat" (exact) or "hnsw" (see EXACT_SEARCH_MAX)
    formats: dict[str, int] = field(default_factory=dict)  # articles by how they were read
    page_images: int = 0  # printed pages the index cites (rendered in <index>/pages/)
    extraction: str = ""  # digest of the extractors that made the archive tables
    table_seconds: float = 0.0  # what extracting the archive tables took in this build
    tables: dict[str, int] = field(default_factory=dict)  # distinct people, places, … and reprints
    files: list[str] = field(default_factory=list)  # the source files read (a zip as one)
    warnings: list[str] = field(default_factory=list)  # what reading them warned of
    shards: list[dict] = field(
        default_factory=list
    )  # a sharded index's ShardInfo rows (embeddings.store.shards)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> IndexManifest:
        return cls(**json.loads(text))


def _versions() -> dict[str, str]:
    names = (
        "newsqa",
        "sentence-transformers",
        "transformers",
        "torch",
        "openvino",
        "faiss-cpu",
        "bm25s",
        "jieba",
    )
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def vector_index_kind(count: int) -> str:
    return "flat" if count <= EXACT_SEARCH_MAX else "hnsw"


def make_vector_index(vectors: np.ndarray, kind: str):  # -> faiss.Index
    """An inner-product FAISS index over `vectors`: exact ("flat") or an HNSW graph ("hnsw")."""
    import faiss

    dimension = vectors.shape[1]
    if kind == "flat":
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def chunk_date_table(chunks: Sequence[Chunk]) -> np.ndarray:
    """(chunk id, first day, last day) rows as date ordinals: one per publication date and one per
    event date of each chunk, so a date filter is one vectorised comparison, not a loop."""
    rows = []
    for i, chunk in enumerate(chunks):
        if chunk.date:
            day = parse_iso(chunk.date).toordinal()
            rows.append((i, day, day))
        for start, end in chunk.event_dates:
            rows.append((i, parse_iso(start).toordinal(), parse_iso(end).toordinal()))
    return np.array(rows, dtype=np.int32).reshape(-1, 3)


def _write_jsonl(path: Path, rows: Sequence[object]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def write_generation(
    folder: Path,
    manifest: IndexManifest,
    vectors: np.ndarray,
    chunks: Sequence[Chunk],
    articles: Sequence[Article],
    tables: ArchiveTables,
    keyword_words: Sequence[str] | None = None,
    keyword_stats: KeywordStats | None = None,
    keyword_tokens=None,  # bm25s Tokenized of `chunks` made with `keyword_words`, when at hand
) -> None:
    """Store one generation (or one shard of a sharded one) in `folder`.

    `keyword_words` (default: the names in `tables`) go into jieba's dictionary, so 乔俊杰 stays
    one token in chunks and questions; a shard is given the whole archive's names and its
    `keyword_stats`, so it tokenizes and scores as a single index would."""
    import faiss

    faiss.write_index(make_vector_index(vectors, manifest.vector_index), str(folder / "vectors.faiss"))
    write_tables(folder, tables)
    words = sorted({p.name for p in tables.people}) if keyword_words is None else list(keyword_words)
    tokenizer = KeywordTokenizer(extra_words=words)
    (folder / "keywords.json").write_text(
        json.dumps({"extra_words": list(tokenizer.extra_words)}, ensure_ascii=False)
    )
    if keyword_tokens is None:
        keyword_tokens = tokenizer.token_ids(c.keyword_text for c in chunks)
    keyword_index(keyword_tokens, keyword_stats).save(str(folder / "bm25"))
    _write_jsonl(folder / "chunks.jsonl", chunks)
    np.save(folder / "chunk_dates.npy", chunk_date_table(chunks), allow_pickle=False)
    _write_jsonl(folder / "articles.jsonl", articles)
    write_page_list(folder, articles)
    (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")


def write_page_list(folder: Path, articles: Sequence[Article]) -> None:
    """The page images `articles` cite, for pruning the rendered pages of dropped generations."""
    pages = sorted({box.image for article in articles for box in article.boxes if box.image})
    (folder / PAGE_LIST).write_text(json.dumps(pages))


def jsonl_lines(path: Path) -> list[bytes]:
    """The non-empty lines of a JSONL file, unparsed (StoredChunks parses them when read)."""
    return [line for line in path.read_bytes().split(b"\n") if line]


def cited_page_images(index_dir: Path) -> set[str]:
    """The page images (`embeddings.store.page_images`) that the kept generations cite."""
    keys: set[str] = set()
    for generation in (Path(index_dir) / "generations").iterdir():
        listing = generation / PAGE_LIST
        if listing.is_file():
            keys.update(json.loads(listing.read_text()))
    return keys


def _publish(index_dir: Path, generation: Path) -> None:
    """Point CURRENT at `generation` atomically, then drop generations older than the previous one."""
    pointer = index_dir / "CURRENT"
    previous = pointer.read_text().strip() if pointer.is_file() else None
    tmp = index_dir / f".CURRENT.{uuid.uuid4().hex}"
    tmp.write_text(generation.name)
    os.replace(tmp, pointer)
    # Keep the previous generation: a reader that resolved CURRENT a moment ago may still open it.
    for old in (index_dir / "generations").iterdir():
        if old.name not in (generation.name, previous):
            shutil.rmtree(old, ignore_errors=True)


def same_extractors(index_dir: Path) -> Path | None:
    """The live generation, when its archive tables were made by today's extractors."""
    try:
        folder, manifest = read_manifest(index_dir)
    except (IndexMissingError, OSError, TypeError, ValueError):
        return None
    return folder if manifest.extraction == extractor_digest() else None


def new_manifest(
    encoder: Encoder,
    chunking: ChunkingSettings,
    articles: Sequence[Article],
    chunk_count: int,
    tables: ArchiveTables,
    build_seconds: float,
    files: Sequence[str] = (),
    warnings: Sequence[str] = (),
) -> IndexManifest:
    """The manifest of a generation holding `articles` (or of one shard of them)."""
    return IndexManifest(
        schema_version=SCHEMA_VERSION,
        model_id=encoder.model_id,
        dimension=encoder.dimension,
        chunking={"size": chunking.size, "overlap": chunking.overlap},
        counts={"articles": len(articles), "chunks": chunk_count},
        articles={a.id: a.source for a in articles},
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_seconds=round(build_seconds, 2),
        versions=_versions(),
        precision=encoder.precision,
        vector_index=vector_index_kind(chunk_count),
        formats=dict(Counter(a.format for a in articles).most_common()),
        page_images=len({box.image for a in articles for box in a.boxes if box.image}),
        extraction=extractor_digest(),
        table_seconds=tables.seconds,
        tables=tables.summary(),
        files=list(files),
        warnings=list(warnings),
    )


def publish_generation(index_dir: Path, write: Callable[[Path], IndexManifest]) -> IndexManifest:
    """Run `write(folder)` into a new generation folder of `index_dir`, then make it the live one;
    returns the manifest `write` stored.

    Until the rename, the folder is hidden and unused; on any failure (a cancelled build
    included) it is deleted, so the previous generation stays live and nothing half-written is
    left."""
    generations = index_dir / "generations"
    generations.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=generations))
    try:
        manifest = write(work)
        final = generations / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _publish(index_dir, final)
    return manifest


class StoredChunks(Sequence[Chunk]):
    """The chunks of a loaded index, each parsed from its JSONL line when read.

    Parsing all 100k records of a large archive up front took ~1.3 s of a server's start-up; a
    search reads a few dozen."""

    def __init__(self, lines: list[bytes]) -> None:
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, i):  # -> Chunk, or list[Chunk] for a slice
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return Chunk(**json.loads(self._lines[i]))


@dataclass(frozen=True)
class Candidates:
    """What one search asks of an index: its best dense and BM25 chunks, (chunk id, score)."""

    dense: list[tuple[int, float]]
    keyword: list[tuple[int, float]]
    unsearched: tuple[str, ...] = ()  # shards of a sharded index that did not answer


@dataclass(eq=False)  # identity equality: an index is hashable, so per-index caches can key on it
class SearchIndex:
    manifest: IndexManifest
    chunks: Sequence[Chunk]
    articles: dict[str, Article]
    vectors: object  # faiss.Index
    keywords: object  # bm25s.BM25
    tokenizer: KeywordTokenizer
    people: list[PersonRecord] = field(default_factory=list)  # every person mention, with its sentence
    chunk_dates: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int32))
    folder: Path | None = None  # the generation folder it was loaded from (its archive tables)

    def dense_search(
        self, query_vector: np.ndarray, n: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The n nearest chunks; with `allowed` (chunk ids), only among those."""
        import faiss

        n = min(n, self.vectors.ntotal)
        query = query_vector.reshape(1, -1).astype(np.float32)
        if allowed is not None and len(allowed) <= FILTERED_EXACT_MAX:
            # A graph walk that may only stop at a few allowed nodes degrades; scanning them is exact.
            scores = self.vectors.reconstruct_batch(allowed) @ query[0]
            best = np.argsort(-scores, kind="stable")[:n]
            return [(int(allowed[i]), float(scores[i])) for i in best]
        params = None if allowed is None else faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = self.vectors.search(query, n, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def candidates(
        self, query_vector: np.ndarray | None, question: str | None, n: int, allowed: np.ndarray | None = None
    ) -> Candidates:
        """The n best dense chunks for `query_vector` and BM25 chunks for `question` (either may be
        None: not searched); with `allowed` (chunk ids), only among those."""
        return Candidates(
            self.dense_search(query_vector, n, allowed) if query_vector is not None else [],
            self.keyword_search(question, n, allowed) if question is not None else [],
        )

    def chunks_within(self, window: DateRange) -> np.ndarray:
        """Ids of the chunks published in, or telling of events in, `window`.

        An event date counts only when it is at least as precise as the window: a chunk that says
        just 2024年 does not match a question about 2024年6月, but matches one about 2024."""
        ids, first, last = self.chunk_dates.T
        start, end = window.start.toordinal(), window.end.toordinal()
        inside = (first <= end) & (last >= start) & (last - first <= end - start)
        return np.unique(ids[inside]).astype(np.int64)

    @cached_property
    def undated_chunks(self) -> np.ndarray:
        """Ids of the chunks of articles with no known publication date (parsed once, on first use)."""
        return np.array([i for i, chunk in enumerate(self.chunks) if chunk.date is None], dtype=np.int64)

    @cached_property
    def newest_date(self) -> date | None:
        """The newest publication date in the archive: what 上个月 or 去年 are counted from.

        Computed once per loaded index: it is read on every search."""
        dates = [a.date for a in self.articles.values() if a.date]
        return parse_iso(max(dates)) if dates else None

    def document_frequency(self, token: str) -> int:
        """How many chunks contain `token` (0 for a word the corpus never uses)."""
        column = self.keywords.vocab_dict.get(token)
        if column is None:
            return 0
        indptr = self.keywords.scores["indptr"]  # bm25s keeps one sparse column per token
        return int(indptr[column + 1] - indptr[column])

    def keyword_search(
        self, question: str, n: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The n best BM25 chunks; with `allowed` (chunk ids), only among those."""
        tokens = [t for t in self.tokenizer.tokenize(question) if t in self.keywords.vocab_dict]
        if not tokens:
            return []
        # Scores straight from bm25s's matrix, top n by argpartition: bm25s's own `retrieve` spends
        # ~14 ms per call at 100k chunks on a thread pool and progress bookkeeping, for 0.5 ms of work.
        scores = self.keywords.get_scores(tokens)
        if allowed is not None:
            kept = np.zeros_like(scores)
            kept[allowed] = scores[allowed]
            scores = kept
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as rows:
        return [json.loads(line) for line in rows if line.strip()]


def current_generation(index_dir: Path) -> Path:
    """The live generation folder (one small file read: this runs on every search)."""
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        raise IndexMissingError(f"no index at {index_dir}: build one with `newsqa build --index {index_dir}`")
    return index_dir / "generations" / pointer.read_text().strip()


def read_manifest(index_dir: Path) -> tuple[Path, IndexManifest]:
    """The live generation folder and its manifest; a clear error when there is none."""
    folder = current_generation(index_dir)
    return folder, IndexManifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))


def read_people(index_dir: Path) -> list[PersonRecord]:
    """The person mentions of the live index, without loading vectors or a model."""
    folder, _ = read_manifest(index_dir)
    path = folder / "people.jsonl"
    return [PersonRecord(**row) for row in read_jsonl(path)] if path.is_file() else []


def load_index(index_dir: Path, model_id: str, shard_pool: Callable | None = None) -> SearchIndex:
    """Load the live index; fail if it was built by another model or schema version.

    A sharded index comes back as a `ShardedIndex`; its shards' search structures are loaded by
    `shard_pool(folders)` (e.g. onto a Ray cluster), by default in this process."""
    folder, manifest = read_manifest(index_dir)
    _check(index_dir, folder, manifest, model_id)
    if manifest.shards:
        from embeddings.store.shards import load_sharded, shard_folders

        pool = shard_pool(shard_folders(folder, manifest)) if shard_pool else None
        return load_sharded(folder, manifest, pool)
    return load_generation(folder)


def _check(index_dir: Path, folder: Path, manifest: IndexManifest, model_id: str) -> None:
    rebuild = f"rebuild it with `newsqa build --index {index_dir} --model {model_id}`"
    if manifest.schema_version != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has schema version {manifest.schema_version}, this newsqa reads "
            f"{SCHEMA_VERSION}: {rebuild}"
        )
    if manifest.model_id != model_id:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {manifest.model_id!r}, not {model_id!r}: {rebuild}, "
            f"or ask with --model {manifest.model_id}"
        )
    names = (*TABLE_FILES, "manifest.json") if manifest.shards else INDEX_FILES
    missing = [name for name in names if not (folder / name).exists()]
    if missing:
        raise IndexMismatchError(f"index at {index_dir} lacks {', '.join(missing)}: {rebuild}")


def load_generation(folder: Path, search_only: bool = False) -> SearchIndex:
    """One generation folder (or one shard), checked by `load_index`; `search_only` loads what
    searching needs (vectors, keyword index, tokenizer) and leaves out the text: a shard served
    elsewhere."""
    import bm25s
    import faiss

    manifest = IndexManifest.from_json((folder / "manifest.json").read_text(encoding="utf-8"))
    vectors = faiss.read_index(str(folder / "vectors.faiss"))
    if manifest.vector_index == "hnsw":
        vectors.hnsw.efSearch = HNSW_EF_SEARCH
    text = not search_only
    return SearchIndex(
        manifest=manifest,
        chunks=StoredChunks(jsonl_lines(folder / "chunks.jsonl") if text else []),
        articles={row["id"]: article_from_row(row) for row in read_jsonl(folder / "articles.jsonl")}
        if text
        else {},
        vectors=vectors,
        keywords=bm25s.BM25.load(str(folder / "bm25"), mmap=False),
        tokenizer=KeywordTokenizer(**json.loads((folder / "keywords.json").read_text(encoding="utf-8"))),
        people=[PersonRecord(**row) for row in read_jsonl(folder / "people.jsonl")] if text else [],
        chunk_dates=np.load(folder / "chunk_dates.npy", allow_pickle=False),
        folder=folder,
    )


def article_from_row(row: dict) -> Article:
    stored_id = row["id"]
    article = Article.from_row(row)
    if article.id != stored_id:
        raise IndexMismatchError(
            f"article {stored_id} does not match its stored text: the index is damaged, rebuild it"
        )
    return article
