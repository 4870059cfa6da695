"""What the index holds, source by source: the archive page's and `newsqa sources`' one view.

Read from the live generation's files (articles, chunks, people and entity tables), never by
loading the vectors or the model, and cached per generation folder (a generation never changes).
A source is a file as the articles cite it (`sources/0105.jsonl`, `wujin/000_5405.txt`, a zip as
one file); files in the archive folder that the live generation has not read yet are listed too,
as pending.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from embeddings.articles import Article
from embeddings.chunking import Chunk
from embeddings.errors import IndexMissingError, NewsqaError
from embeddings.library.folder import archive_files
from embeddings.settings import Settings
from embeddings.store.archive_tables import read_tables
from embeddings.store.index import IndexManifest, read_jsonl, read_manifest

__all__ = [
    "ArticleDetail",
    "ArticleRow",
    "SourceSummary",
    "article_detail",
    "find_titles",
    "list_sources",
    "source_articles",
]

ARCHIVE_PREFIX = "sources/"  # how articles from the archive folder are cited
TITLE_RESULTS = 50


@dataclass(frozen=True)
class SourceSummary:
    name: str  # as its articles cite it
    status: str  # "indexed", "pending" (not read by the live index yet), "removed" (until rebuilt)
    articles: int
    file: str = ""  # its name in the archive folder; "" for a file read from elsewhere
    size: int | None = None  # bytes, for a file in the archive folder
    formats: dict[str, int] = field(default_factory=dict)  # articles by how they were read
    papers: list[str] = field(default_factory=list)
    first_date: str | None = None
    last_date: str | None = None
    pages: list[str] = field(default_factory=list)  # 版次 as printed, in order
    warnings: list[str] = field(default_factory=list)

    @property
    def removable(self) -> bool:
        return bool(self.file) and self.status != "removed"


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    date: str | None
    paper: str
    page: str
    page_name: str
    reporter: str
    format: str
    chars: int
    chunks: int
    uncertain: int  # spans the OCR read with low confidence
    source: str


@dataclass(frozen=True)
class ArticleDetail:
    article: ArticleRow
    text: str
    chunks: list[Chunk]
    people: list[tuple[str, str]]  # (name, title), in the order the article names them
    places: list[tuple[str, str]]  # (name, category)
    organisations: list[tuple[str, str]]
    also_printed: list[str]  # other places the same story was printed


@dataclass(frozen=True, eq=False)
class _Generation:
    manifest: IndexManifest
    built: float  # when its manifest was written (epoch seconds)
    articles: dict[str, Article]
    chunks: dict[str, list[Chunk]]  # by article id
    folder: Path

    def file_of(self, source: str) -> str:
        """The file `source` was read from: itself, a JSONL file's line (`x.jsonl:12`) or a zip's
        member (`may.zip/0501.txt`)."""
        files = self.files
        if source in files:
            return source
        head = source.rsplit(":", 1)[0]
        if head in files:
            return head
        parts = source.split("/")
        for end in range(len(parts) - 1, 0, -1):
            prefix = "/".join(parts[:end])
            if prefix in files:
                return prefix
        return source

    @cached_property  # file_of asks for every article: built once, not once a call
    def files(self) -> frozenset[str]:
        return frozenset(self.manifest.files)

    def by_file(self) -> dict[str, list[Article]]:
        """Each file's articles: where the story is printed first and every other place."""
        found: dict[str, list[Article]] = defaultdict(list)
        for article in self.articles.values():
            sources = {self.file_of(article.source)}
            sources |= {self.file_of(place.source) for place in article.also_printed}
            for source in sources:
                found[source].append(article)
        return found


@lru_cache(maxsize=4)
def _generation(folder: Path) -> _Generation:
    manifest_path = folder / "manifest.json"
    manifest = IndexManifest.from_json(manifest_path.read_text(encoding="utf-8"))
    articles = {row["id"]: Article.from_row(row) for row in read_jsonl(folder / "articles.jsonl")}
    chunks: dict[str, list[Chunk]] = defaultdict(list)
    for row in read_jsonl(folder / "chunks.jsonl"):
        chunk = Chunk(**row)
        chunks[chunk.article_id].append(chunk)
    return _Generation(manifest, manifest_path.stat().st_mtime, articles, dict(chunks), folder)


def _live(settings: Settings) -> _Generation | None:
    try:
        folder, _ = read_manifest(settings.resolved_index_dir)
    except IndexMissingError:
        return None
    return _generation(folder)


def _warnings_of(name: str, warnings: Sequence[str]) -> list[str]:
    return [w for w in warnings if w.startswith((f"{name}:", f"{name} ", f"{name}/"))]


def _summary(name: str, status: str, articles: Sequence[Article], warnings: Sequence[str]) -> SourceSummary:
    dates = sorted(a.date for a in articles if a.date)
    pages = sorted({a.page for a in articles if a.page}, key=lambda p: (len(p), p))
    return SourceSummary(
        name=name,
        status=status,
        articles=len(articles),
        formats=dict(Counter(a.format for a in articles).most_common()),
        papers=sorted({a.paper for a in articles if a.paper}),
        first_date=dates[0] if dates else None,
        last_date=dates[-1] if dates else None,
        pages=pages,
        warnings=_warnings_of(name, warnings),
    )


def list_sources(settings: Settings) -> list[SourceSummary]:
    """Every source of the index and every file of its archive folder: the live generation's
    files with their articles, papers, dates, pages, formats and warnings, and files added or
    removed since it was built."""
    live = _live(settings)
    by_file = live.by_file() if live else {}
    warnings = live.manifest.warnings if live else []
    read = set(live.files) if live else set()
    on_disk = {ARCHIVE_PREFIX + p.name: p for p in archive_files(settings)}
    summaries = []
    for name in sorted(read | set(on_disk)):
        path = on_disk.get(name)
        fresh = live is not None and name in read and (path is None or path.stat().st_mtime <= live.built)
        if name.startswith(ARCHIVE_PREFIX) and path is None:
            status = "removed"
        else:
            status = "indexed" if fresh else "pending"
        summary = _summary(name, status, by_file.get(name, []) if fresh else [], warnings)
        if path is not None:
            summary = replace(summary, file=path.name, size=path.stat().st_size)
        summaries.append(summary)
    return summaries


def _row(article: Article, live: _Generation) -> ArticleRow:
    return ArticleRow(
        id=article.id,
        title=article.title,
        date=article.date,
        paper=article.paper,
        page=article.page,
        page_name=article.page_name,
        reporter=article.reporter,
        format=article.format,
        chars=len(article.text),
        chunks=len(live.chunks.get(article.id, [])),
        uncertain=len(article.uncertain),
        source=article.source,
    )


def _order(articles: Sequence[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.date or "", a.page, a.source))


def source_articles(settings: Settings, name: str) -> list[ArticleRow]:
    """The articles of the source `name` in the live index, by date and page; NewsqaError when the
    index does not hold that source."""
    live = _live(settings)
    found = live.by_file().get(name) if live else None
    if found is None:
        raise NewsqaError(
            f"the index holds no source named {name}; `newsqa sources` lists them",
            zh=f"索引中没有名为 {name} 的来源；来源列表里有可选的来源。",
        )
    return [_row(article, live) for article in _order(found)]


def find_titles(settings: Settings, text: str, limit: int = TITLE_RESULTS) -> list[ArticleRow]:
    """Articles whose title (or subtitle, kicker) contains `text`, case-insensitively."""
    live = _live(settings)
    wanted = text.strip().casefold()
    if not live or not wanted:
        return []
    hits = [a for a in live.articles.values() if wanted in f"{a.kicker}\n{a.title}\n{a.subtitle}".casefold()]
    return [_row(article, live) for article in _order(hits)[:limit]]


def _named(records, kind: str | None = None) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.sentence_start):
        if kind is None or record.kind == kind:
            extra = record.category if kind else record.title
            if record.name not in seen or (extra and not seen[record.name]):
                seen[record.name] = extra
    return list(seen.items())


def article_detail(settings: Settings, article_id: str) -> ArticleDetail:
    """One article as indexed: its chunks, and the people, places and organisations found in it."""
    live = _live(settings)
    article = live.articles.get(article_id) if live else None
    if article is None:
        raise NewsqaError(
            f"the index holds no article {article_id}", zh="索引中没有这篇文章（索引可能刚刚更新过）。"
        )
    tables = _tables(live.folder)
    people = [p for p in tables.people if p.article_id == article_id]
    entities = [e for e in tables.entities if e.article_id == article_id]
    return ArticleDetail(
        article=_row(article, live),
        text=article.text,
        chunks=live.chunks.get(article_id, []),
        people=_named(people),
        places=_named(entities, "place"),
        organisations=_named(entities, "organisation"),
        also_printed=[f"{p.source} {p.page}".strip() for p in article.also_printed],
    )


@lru_cache(maxsize=2)
def _tables(folder: Path):
    return read_tables(folder)
