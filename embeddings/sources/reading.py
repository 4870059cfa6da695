"""The contract every format module keeps.

A format module (`text`, `jsonl`, `web.html`, `printed.pdf`, `printed.image`,
`printed.founder_xml`) has `SUFFIXES` and `read_articles(files) -> LoadResult`. It gets all
files of its format in one build at once, because some facts span files: an e-paper's page index
names the 版 of the article pages it links, and a page PDF's `转第3版` continues on another file.
A bad file (or line, or page) becomes a one-line warning naming it and what to do; the other
files still load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from embeddings.articles import Article

__all__ = ["LoadResult", "SourceFile", "page_image_key"]


@dataclass(frozen=True)
class SourceFile:
    path: Path
    name: str  # how citations name it: the file from the given folder down, e.g. wujin/000_5405.txt


@dataclass(frozen=True)
class LoadResult:
    articles: list[Article]
    warnings: list[str] = field(default_factory=list)  # one line each, naming the file and the problem
    # Files this result already accounts for, so no other format reads them: the page pictures and
    # page PDFs an e-paper's page index links.
    covers: frozenset[Path] = frozenset()
    # The source files read, a zip as one file (named like the articles' sources); load_articles
    # fills it, so an index can list its files, those that gave no article included.
    files: tuple[str, ...] = ()


@cache
def _file_digest(path: Path, size: int, mtime_ns: int) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


def page_image_key(path: Path, page: int) -> str:
    """Names the rendered image of page `page` (1-based) of `path` by the file's content, so the
    same page is rendered once however often it is rebuilt, and a changed file gets new images."""
    stat = path.stat()
    return f"{_file_digest(path.resolve(), stat.st_size, stat.st_mtime_ns)}-p{page}"
