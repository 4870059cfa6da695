"""Paths -> a published index: the one build path the CLI, the UI and `retrieve` share."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from embeddings.articles import Article
from embeddings.chunking import Chunk
from embeddings.encoding.embedding_cache import CachingEncoder
from embeddings.encoding.encoder import Encoder, load_encoder
from embeddings.errors import NewsqaError
from embeddings.library.folder import archive_files, build_inputs, record_inputs
from embeddings.settings import ChunkingSettings, Settings, bundled_sample_dir
from embeddings.sources import load_articles
from embeddings.stages import InlineRunner, Runner, chunk_articles, in_batches
from embeddings.store.archive_tables import extract_tables
from embeddings.store.index import (
    IndexManifest,
    cited_page_images,
    new_manifest,
    publish_generation,
    read_manifest,
    same_extractors,
    write_generation,
)
from embeddings.store.page_images import prune_page_images, render_page_images

__all__ = [
    "ArticleChanges",
    "BuildReport",
    "build_from_paths",
    "build_index",
    "compare_articles",
    "ensure_default_index",
    "rebuild",
]

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 600  # seconds a second build waits for the first before giving up
MAX_SHARDS = 256
PARALLEL_BATCHES = 32  # batches of articles a parallel runner gets per stage


@dataclass(frozen=True)
class BuildReport:
    manifest: IndexManifest
    index_dir: Path
    warnings: list[str] = field(default_factory=list)
    changes: ArticleChanges | None = None  # against the index this build replaced
    embedded: int = 0  # chunks run through the model
    reused: int = 0  # chunks whose vectors came from the embedding cache


@dataclass(frozen=True)
class ArticleChanges:
    added: int
    changed: int
    removed: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.unchanged} unchanged"
        )


def compare_articles(previous: dict[str, str], current: Sequence[Article]) -> ArticleChanges:
    """Article ids are content hashes: a known id is unchanged; a new id from a source that had
    an article the build no longer has is a change; otherwise it is new."""
    current_ids = {a.id for a in current}
    gone_sources = [source for article_id, source in previous.items() if article_id not in current_ids]
    new = [a for a in current if a.id not in previous]
    changed = 0
    for article in new:
        if article.source in gone_sources:
            gone_sources.remove(article.source)
            changed += 1
    return ArticleChanges(len(new) - changed, changed, len(gone_sources), len(current) - len(new))


def _previous_manifest(index_dir: Path) -> IndexManifest | None:
    try:
        return read_manifest(index_dir)[1]
    except NewsqaError:
        return None


def _chunks(articles: Sequence[Article], chunking: ChunkingSettings, runner: Runner) -> list[Chunk]:
    if not runner.parallel:
        return chunk_articles(articles, chunking)
    batches = runner.map(partial(chunk_articles, chunking=chunking), in_batches(articles, PARALLEL_BATCHES))
    return [chunk for batch in batches for chunk in batch]


def build_index(
    articles: Sequence[Article],
    encoder: Encoder,
    index_dir: Path,
    chunking: ChunkingSettings,
    progress: Callable[[int, int], None] | None = None,
    files: Sequence[str] = (),
    warnings: Sequence[str] = (),
    shards: int = 1,
    runner: Runner | None = None,
) -> IndexManifest:
    """Chunk, embed and index `articles` into a new generation of `index_dir`, then publish it;
    the manifest records the source `files` read and the `warnings` reading them gave.

    The stages (`embeddings.stages`) run on `runner` (default: this process); `shards` > 1 stores
    the archive as that many shards (`embeddings.store.shards`)."""
    from embeddings.store.shards import write_sharded

    runner = runner or InlineRunner()
    started = time.perf_counter()
    chunks = _chunks(articles, chunking, runner)
    vectors = runner.embed(chunks, encoder, progress)
    tables = extract_tables(articles, same_extractors(index_dir), runner)

    def write(folder: Path) -> IndexManifest:
        seconds = time.perf_counter() - started
        manifest = new_manifest(encoder, chunking, articles, len(chunks), tables, seconds, files, warnings)
        if shards > 1:
            return write_sharded(folder, manifest, vectors, chunks, articles, tables, shards, runner)
        write_generation(folder, manifest, vectors, chunks, articles, tables)
        return manifest

    manifest = publish_generation(index_dir, write)
    log.info("index built in %s: %d articles, %d chunks", index_dir, len(articles), len(chunks))
    return manifest


def build_from_paths(
    paths: Sequence[Path],
    settings: Settings,
    encoder: Encoder | None = None,
    progress: Callable[[int, int], None] | None = None,
    full: bool = False,
    shards: int | None = None,
    runner: Runner | None = None,
) -> BuildReport:
    """Read `paths` (default: the bundled sample), embed and publish an index.

    `shards` (default: as many as the index has now, else 1) splits it into shards; `runner`
    (e.g. `embeddings.cluster.RayRunner`) runs the stages elsewhere.

    Vectors of chunks embedded before (same model, same text) come from the embedding cache in
    the home dir, so a rebuild after a day's new pages only embeds those; `full=True` embeds
    everything again. `progress(done, total)` is called as chunks are embedded. Only one build
    runs per index directory at a time; a second one waits for it. The index's archive folder
    (files added through the archive page) is always read too, and `paths` are recorded for
    `rebuild`.
    """
    from filelock import FileLock, Timeout

    given = list(paths) or [bundled_sample_dir()]
    if shards is not None and not 1 <= shards <= MAX_SHARDS:
        raise NewsqaError(f"--shards must be between 1 and {MAX_SHARDS}, got {shards}")
    loaded = load_articles(
        with_archive_folder(given, settings), unpack_dir=settings.home / "unpacked", runner=runner
    )
    index_dir = settings.resolved_index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    for warning in loaded.warnings:
        log.warning(warning)
    warnings = list(loaded.warnings)
    model = encoder or load_encoder(settings)
    cached = CachingEncoder(model, settings.home / "embedding-cache.sqlite", read=not full)
    try:
        with FileLock(str(index_dir / ".build.lock"), timeout=BUILD_LOCK_TIMEOUT):
            previous = _previous_manifest(index_dir)
            changes = compare_articles(previous.articles if previous else {}, loaded.articles)
            if shards is None:
                shards = max(1, len(previous.shards)) if previous else 1
            for warning in render_page_images(loaded.articles, index_dir):
                log.warning(warning)
                warnings.append(warning)
            manifest = build_index(
                loaded.articles,
                cached,
                index_dir,
                settings.chunking,
                progress,
                loaded.files,
                warnings,
                shards,
                runner,
            )
            record_inputs(settings, given)
            prune_page_images(index_dir, cited_page_images(index_dir))
    except Timeout as exc:
        raise NewsqaError(
            f"another build of {index_dir} has been running for {BUILD_LOCK_TIMEOUT}s; wait for it or stop it"
        ) from exc
    finally:
        cached.close()
    return BuildReport(manifest, index_dir, warnings, changes, cached.misses, cached.hits)


def with_archive_folder(paths: Sequence[Path], settings: Settings) -> list[Path]:
    """`paths` and, when it holds files and is not among them, the index's archive folder."""
    folder = settings.archive_dir
    given = {Path(p).resolve() for p in paths}
    return [*paths, folder] if archive_files(settings) and folder.resolve() not in given else list(paths)


def rebuild(
    settings: Settings,
    encoder: Encoder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Build the index again from what its last build read and its archive folder as it is now
    (after files were added or removed)."""
    return build_from_paths(build_inputs(settings), settings, encoder, progress)


def ensure_default_index(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> BuildReport | None:
    """Build the index of the bundled sample when `settings` points at a missing default index.

    An index directory the user named explicitly is never built behind their back.
    """
    if settings.index_dir is not None or (settings.resolved_index_dir / "CURRENT").is_file():
        return None
    log.warning("no index at %s yet: building it from the bundled sample", settings.resolved_index_dir)
    return build_from_paths([], settings, progress=progress)
