"""Paths -> a published index: the one build path the CLI, the UI and `retrieve` share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.articles import Article
from embeddings.encoding.embedding_cache import CachingEncoder
from embeddings.encoding.encoder import Encoder, load_encoder
from embeddings.errors import NewsqaError
from embeddings.library.folder import archive_files, build_inputs, record_inputs
from embeddings.settings import Settings, bundled_sample_dir
from embeddings.sources import load_articles
from embeddings.store.index import IndexManifest, build_index, cited_page_images, read_manifest
from embeddings.store.page_images import prune_page_images, render_page_images

__all__ = [
    "ArticleChanges",
    "BuildReport",
    "build_from_paths",
    "compare_articles",
    "ensure_default_index",
    "rebuild",
]

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 600  # seconds a second build waits for the first before giving up


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


def _previous_articles(index_dir: Path) -> dict[str, str]:
    try:
        return read_manifest(index_dir)[1].articles
    except NewsqaError:
        return {}


def build_from_paths(
    paths: Sequence[Path],
    settings: Settings,
    encoder: Encoder | None = None,
    progress: Callable[[int, int], None] | None = None,
    full: bool = False,
) -> BuildReport:
    """Read `paths` (default: the bundled sample), embed and publish an index.

    Vectors of chunks embedded before (same model, same text) come from the embedding cache in
    the home dir, so a rebuild after a day's new pages only embeds those; `full=True` embeds
    everything again. `progress(done, total)` is called as chunks are embedded. Only one build
    runs per index directory at a time; a second one waits for it. The index's archive folder
    (files added through the archive page) is always read too, and `paths` are recorded for
    `rebuild`.
    """
    from filelock import FileLock, Timeout

    given = list(paths) or [bundled_sample_dir()]
    loaded = load_articles(with_archive_folder(given, settings), unpack_dir=settings.home / "unpacked")
    index_dir = settings.resolved_index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    for warning in loaded.warnings:
        log.warning(warning)
    warnings = list(loaded.warnings)
    model = encoder or load_encoder(settings)
    cached = CachingEncoder(model, settings.home / "embedding-cache.sqlite", read=not full)
    try:
        with FileLock(str(index_dir / ".build.lock"), timeout=BUILD_LOCK_TIMEOUT):
            changes = compare_articles(_previous_articles(index_dir), loaded.articles)
            for warning in render_page_images(loaded.articles, index_dir):
                log.warning(warning)
                warnings.append(warning)
            manifest = build_index(
                loaded.articles, cached, index_dir, settings.chunking, progress, loaded.files, warnings
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
