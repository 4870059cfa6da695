"""Files, folders and zips → articles, each file read by the module of its format.

Formats (one module each, see `embeddings.sources.reading` for their contract): `.txt`/`.md`
pages (`text`), `.jsonl` exports (`jsonl`), e-paper and news web pages (`web.html`), page PDFs
with a text layer or scanned (`printed.pdf`), scanned page images (`printed.image`) and Founder
page XML (`printed.founder_xml`). A `.zip` is unpacked (safely, see `embeddings.sources.archive`)
and read like a folder. An article's `source` is its file named from the given folder down
(`wujin/000_540523ca5f8d8d9a.txt`), or the file name when a file was given; JSONL records may
name their own.

The same story read twice (two copies of a file, a reprint, a page PDF and its e-paper page) is
indexed once, with every place it was printed recorded (`embeddings.sources.dedupe`).
"""

from __future__ import annotations

import importlib
import logging
from collections import Counter
from collections.abc import Sequence
from functools import partial
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings.errors import CorpusError
from embeddings.sources.archive import ARCHIVE_SUFFIXES, unpack_archive
from embeddings.sources.dedupe import merge_duplicates
from embeddings.sources.reading import LoadResult, SourceFile

if TYPE_CHECKING:
    from embeddings.stages import Runner

__all__ = ["FORMAT_MODULES", "SUPPORTED_SUFFIXES", "iter_source_files", "load_articles"]

logger = logging.getLogger(__name__)

# Format modules in reading order: e-paper pages first, because the page images and PDFs a page
# index links are that page's pictures, not separate sources (see `LoadResult.covers`).
FORMAT_MODULES = {
    "web.html": (".htm", ".html", ".shtml"),
    "printed.founder_xml": (".xml",),
    "text": (".md", ".txt"),
    "jsonl": (".jsonl",),
    "printed.pdf": (".pdf",),
    "printed.image": (".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"),
}
# Formats whose cross-file facts (a page PDF's 转第3版) stay within one folder, an issue: a
# parallel build reads their folders as separate batches. An e-paper's page index may link pages
# anywhere in the site, and Founder XML continues across an issue's files, so those read whole.
FOLDER_BATCHED = frozenset(("text", "jsonl", "printed.pdf", "printed.image"))
SUPPORTED_SUFFIXES = tuple(sorted({s for suffixes in FORMAT_MODULES.values() for s in suffixes}))
# What a saved web site also holds; never a source, never worth a warning.
_WEB_ASSETS = frozenset(
    (".css", ".js", ".gif", ".ico", ".svg", ".woff", ".woff2", ".ttf", ".eot", ".map", ".json", ".db")
)


def iter_source_files(paths: Sequence[Path]) -> list[Path]:
    """The supported files among `paths`; folders are walked recursively, each in sorted order."""
    files, _skipped = _source_files(paths, unpack_dir=None, list_only=True)
    return [file.path for file in files]


def _source_files(
    paths: Sequence[Path], unpack_dir: Path | None, list_only: bool = False
) -> tuple[list[SourceFile], list[str]]:
    """Every supported file (zips unpacked unless `list_only`) once, and warnings for the rest."""
    files: list[SourceFile] = []
    warnings: list[str] = []
    seen: set[Path] = set()
    for given in paths:
        found, problems = _files_for(Path(given), unpack_dir, list_only)
        warnings.extend(problems)
        for file in found:
            if file.path.resolve() not in seen:
                seen.add(file.path.resolve())
                files.append(file)
    return files, warnings


def _files_for(given: Path, unpack_dir: Path | None, list_only: bool) -> tuple[list[SourceFile], list[str]]:
    expected = ", ".join((*SUPPORTED_SUFFIXES, *ARCHIVE_SUFFIXES))
    if not given.exists():
        raise CorpusError(f"path not found: {given}")
    if given.is_dir():
        files, warnings = _folder_files(given, given.resolve().name, unpack_dir, list_only)
        if not files and not warnings:
            raise CorpusError(
                f"{given}: no supported files in this folder; expected files ending in {expected}"
            )
        return files, warnings
    suffix = given.suffix.lower()
    if suffix in ARCHIVE_SUFFIXES:
        return _archive_files(given, given.name, unpack_dir, list_only)
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"{given}: unsupported file type '{given.suffix}'; expected a name ending in {expected}"
        )
    return [SourceFile(given, given.name)], []


def _folder_files(
    folder: Path, prefix: str, unpack_dir: Path | None, list_only: bool
) -> tuple[list[SourceFile], list[str]]:
    """Supported files under `folder` (hidden ones skipped), named from `prefix` down."""
    files: list[SourceFile] = []
    warnings: list[str] = []
    unknown: Counter[str] = Counter()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        name = "/".join(filter(None, [prefix, relative.as_posix()]))
        suffix = path.suffix.lower()
        if suffix in SUPPORTED_SUFFIXES:
            files.append(SourceFile(path, name))
        elif suffix in ARCHIVE_SUFFIXES:
            found, problems = _archive_files(path, name, unpack_dir, list_only)
            files.extend(found)
            warnings.extend(problems)
        elif suffix not in _WEB_ASSETS:
            unknown[suffix or "(no suffix)"] += 1
    if unknown:
        kinds = ", ".join(f"{suffix} ×{count}" for suffix, count in sorted(unknown.items()))
        warnings.append(
            f"{prefix or folder}: skipped {sum(unknown.values())} file(s) in formats newsqa does not read "
            f"({kinds}); save them as PDF, HTML or text to index them"
        )
    return files, warnings


def _archive_files(
    path: Path, name: str, unpack_dir: Path | None, list_only: bool
) -> tuple[list[SourceFile], list[str]]:
    if list_only:
        return [SourceFile(path, name)], []
    try:
        folder = unpack_archive(path, name, unpack_dir)
    except CorpusError as exc:
        return [], [f"{exc}; skipped"]
    files, warnings = _folder_files(folder, name, unpack_dir, list_only)
    if not files and not warnings:
        warnings.append(f"{name}: the zip holds no supported files; skipped")
    return files, warnings


def _read_module(name: str):
    # Imported when a build has files of that format: PDF and OCR libraries load in seconds.
    return importlib.import_module(f"embeddings.sources.{name}")


def _read_batch(module_name: str, files: Sequence[SourceFile]) -> LoadResult:
    return _read_module(module_name).read_articles(files)


def _batches(module_name: str, files: list[SourceFile], runner: Runner | None) -> list[list[SourceFile]]:
    if runner is None or not runner.parallel or module_name not in FOLDER_BATCHED:
        return [files]
    return [list(group) for _, group in groupby(files, key=lambda file: file.path.parent)]


def load_articles(
    paths: Sequence[Path], unpack_dir: Path | None = None, runner: Runner | None = None
) -> LoadResult:
    """All articles in the given files, folders and zips; a bad file becomes a warning.

    Zips are unpacked under `unpack_dir` (default: a temporary folder). A parallel `runner` reads
    the folders of a format as separate batches (see FOLDER_BATCHED), in the same order. Raises
    CorpusError when a path does not exist, a folder holds no supported file, or no article at
    all could be loaded.
    """
    files, warnings = _source_files(paths, unpack_dir)
    articles = []
    covered: set[Path] = set()
    resolved = {file: file.path.resolve() for file in files}
    for module_name, suffixes in FORMAT_MODULES.items():
        mine = [f for f in files if f.path.suffix.lower() in suffixes and resolved[f] not in covered]
        if not mine:
            continue
        batches = _batches(module_name, mine, runner)
        read = partial(_read_batch, module_name)
        for result in runner.map(read, batches) if runner else map(read, batches):
            articles.extend(result.articles)
            warnings.extend(result.warnings)
            covered |= {path.resolve() for path in result.covers}
        logger.debug("%s: %d files in %d batches", module_name, len(mine), len(batches))
    if not articles:
        details = "; ".join(warnings) or "no text found"
        raise CorpusError(f"no articles could be loaded from {len(files)} file(s): {details}")
    merged = merge_duplicates(articles)
    read = tuple(sorted({_outer_name(file.name) for file in files}))
    return LoadResult(merged.articles, warnings + merged.warnings, files=read)


def _outer_name(name: str) -> str:
    """A zip member's file named by its zip (`pages/may.zip/0501.txt` -> `pages/may.zip`)."""
    parts = name.split("/")
    for end, part in enumerate(parts, 1):
        if part.lower().endswith(ARCHIVE_SUFFIXES):
            return "/".join(parts[:end])
    return name
