"""JSONL exports: one article per line (`id`, `title`, `text`, optional `date`, `author`, `source`,
`url`). JSONL articles take only their own `date`; a record without `source` is cited as
`file.jsonl:7`. A bad line becomes a warning and the rest still load."""

from __future__ import annotations

import json
from collections.abc import Sequence

from embeddings.articles import Article
from embeddings.sources.decode import text_sources
from embeddings.sources.metadata import parse_iso_date
from embeddings.sources.reading import LoadResult, SourceFile
from embeddings.sources.text import fallback_title

__all__ = ["SUFFIXES", "parse_jsonl", "read_articles"]

SUFFIXES = (".jsonl",)


def read_articles(files: Sequence[SourceFile]) -> LoadResult:
    articles: list[Article] = []
    warnings: list[str] = []
    for file, text in text_sources(files, warnings):
        found, problems = parse_jsonl(text, file.name)
        articles.extend(found)
        warnings.extend(problems)
    return LoadResult(articles, warnings)


def parse_jsonl(text: str, source: str) -> tuple[list[Article], list[str]]:
    """Articles from a JSONL export, plus one warning per bad line ("file.jsonl:7: …").

    A line that is not a JSON object or has no text is skipped; a bad date only loses the date.
    """
    articles: list[Article] = []
    warnings: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warnings.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        article, problems = _article_from_record(record, where)
        warnings.extend(problems)
        if article is not None:
            articles.append(article)
    return articles, warnings


def _article_from_record(record: object, where: str) -> tuple[Article | None, list[str]]:
    if not isinstance(record, dict):
        return None, [f"{where}: expected a JSON object with 'title' and 'text', got {type(record).__name__}"]
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        return None, [f"{where}: 'text' must be a string, got {type(text).__name__}"]
    body = "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())
    if not body:
        return None, [f"{where}: missing 'text'"]
    warnings = []
    title = _string_field(record, "title")
    if not title:
        title = fallback_title(body)
        warnings.append(f"{where}: missing 'title'; using the first sentence '{title}'")
    raw_date = _string_field(record, "date")
    article_date = parse_iso_date(raw_date) if raw_date else None
    if raw_date and article_date is None:
        warnings.append(f"{where}: bad date '{raw_date}', expected YYYY-MM-DD; date left unknown")
    article = Article(
        title=title,
        text=body,
        source=_string_field(record, "source") or where,
        reporter=_string_field(record, "author"),
        date=article_date,
        url=_string_field(record, "url"),
        external_id=_string_field(record, "id"),
    )
    return article, warnings


def _string_field(record: dict[str, object], key: str) -> str:
    value = record.get(key)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    return ""
