"""Paths -> a published index: the one build path the CLI, the UI and `retrieve` share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.encoder import Encoder, load_encoder
from embeddings.errors import NewsqaError
from embeddings.index import IndexManifest, build_index
from embeddings.settings import Settings, bundled_sample_dir
from embeddings.sources import load_articles

__all__ = ["BuildReport", "build_from_paths", "ensure_default_index"]

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT = 600  # seconds a second build waits for the first before giving up


@dataclass(frozen=True)
class BuildReport:
    manifest: IndexManifest
    index_dir: Path
    warnings: list[str] = field(default_factory=list)


def build_from_paths(
    paths: Sequence[Path],
    settings: Settings,
    encoder: Encoder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Read `paths` (default: the bundled sample), embed and publish an index.

    `progress(done, total)` is called as chunks are embedded. Only one build runs per index
    directory at a time; a second one waits for it.
    """
    from filelock import FileLock, Timeout

    loaded = load_articles(list(paths) or [bundled_sample_dir()])
    for warning in loaded.warnings:
        log.warning(warning)
    index_dir = settings.resolved_index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    encoder = encoder or load_encoder(settings)
    try:
        with FileLock(str(index_dir / ".build.lock"), timeout=BUILD_LOCK_TIMEOUT):
            manifest = build_index(loaded.articles, encoder, index_dir, settings.chunking, progress)
    except Timeout as exc:
        raise NewsqaError(
            f"another build of {index_dir} has been running for {BUILD_LOCK_TIMEOUT}s; wait for it or stop it"
        ) from exc
    return BuildReport(manifest=manifest, index_dir=index_dir, warnings=list(loaded.warnings))


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
