"""Files and folders → articles: decoding, JSONL exports, publication dates.

Supported files: `.txt` and `.md` pages (see `embeddings.pages`) and `.jsonl` exports with one
article per line (`id`, `title`, `text`, optional `date`, `author`, `source`, `url`).

A page's date comes from a first line `date: 2024-06-28` (removed from the text), else from a date
in its name as shown, folder included (`2024-06-28`, `2024_06_28`, `20240628`; digits inside a hex
hash such as `540523ca5f8d8d9a` do not count); otherwise it stays unknown, never guessed. JSONL
articles take only their own `date`. An article's `source` is its file named from the given
folder down (`wujin/000_540523ca5f8d8d9a.txt`), or the file name when a file was given; for
JSONL the record's `source`, else `file.jsonl:7`.

One bad file or line becomes a warning and the rest still load.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from embeddings.articles import Article
from embeddings.errors import CorpusError
from embeddings.pages import fallback_title, parse_page

__all__ = [
    "SUPPORTED_SUFFIXES",
    "LoadResult",
    "date_from_name",
    "iter_source_files",
    "load_articles",
    "parse_jsonl",
    "read_text_file",
]

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".jsonl", ".md", ".txt")
_MIN_YEAR, _MAX_YEAR = 1900, 2100
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})([-_]?)(\d{2})\2(\d{2})(?!\d)")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{12,}")  # content hashes in file names, e.g. 540523ca5f8d8d9a
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")
_FRONT_MATTER_DATE = re.compile(r"^date\s*[:：]\s*(?P<value>\S+)\s*$", re.IGNORECASE)
_SIMPLIFIED_SHARE = 0.9  # share of hanzi inside GB2312 above which a GB18030 decoding is trusted


@dataclass(frozen=True)
class LoadResult:
    articles: list[Article]
    warnings: list[str]  # one line each, naming the file (and line) and the problem


def read_text_file(path: Path) -> str:
    """A text file's content as str with "\\n" line ends; CorpusError when it is not text."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return _decode(data, path).replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows Notepad's "Unicode"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: starts like UTF-16 but does not decode ({exc.reason})") from exc
    if b"\x00" in data:
        raise CorpusError(f"{path}: binary file (contains NUL bytes), expected a text page")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    # GB18030 accepts almost any double-byte text, Big5 included, so only a decoding that reads as
    # Simplified Chinese is trusted without asking charset-normalizer.
    if text is not None and _simplified_share(text) >= _SIMPLIFIED_SHARE:
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        logger.debug("%s: decoded as %s", path, best.encoding)
        return str(best)
    if text is not None:
        return text
    raise CorpusError(f"{path}: not text in UTF-8, GB18030 or another known encoding; save it as UTF-8")


def _simplified_share(text: str) -> float:
    hanzi = [char for char in text if "\u4e00" <= char <= "\u9fff"]
    if not hanzi:
        return 1.0
    return sum(_in_gb2312(char) for char in hanzi) / len(hanzi)


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _parse_iso_date(value: str) -> str | None:
    """`2024-06-28` (a time after it is allowed) → "2024-06-28"; None when not a real date."""
    match = _ISO_DATE.match(value.strip())
    return _valid_date(*match.group(1, 2, 3)) if match else None


def _valid_date(year: str, month: str, day: str) -> str | None:
    if not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return None
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def date_from_name(name: str) -> str | None:
    """The first real calendar date in a file name, as yyyy-mm-dd; None when there is none."""
    hashes = [match.span() for match in _HEX_RUN.finditer(name) if not match.group().isdigit()]
    for match in _NAME_DATE.finditer(name):
        if any(start <= match.start() and match.end() <= end for start, end in hashes):
            continue  # digits inside a hex hash are no date
        found = _valid_date(match.group(1), match.group(3), match.group(4))
        if found:
            return found
    return None


def _split_front_matter(text: str, source: str) -> tuple[str, str | None, list[str]]:
    """Remove a first line `date: yyyy-mm-dd`; returns (text, date or None, warnings)."""
    lines = text.split("\n")
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    match = _FRONT_MATTER_DATE.match(lines[first].strip()) if first is not None else None
    if match is None:
        return text, None, []
    del lines[first]
    found = _parse_iso_date(match.group("value"))
    if found is None:
        bad = match.group("value")
        return "\n".join(lines), None, [f"{source}: bad date '{bad}', expected YYYY-MM-DD; date left unknown"]
    return "\n".join(lines), found, []


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
    article_date = _parse_iso_date(raw_date) if raw_date else None
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


def iter_source_files(paths: Sequence[Path]) -> list[Path]:
    """The supported files among `paths`; folders are walked recursively, each in sorted order."""
    return [path for path, _name in _source_entries(paths)]


def _source_entries(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """(file, short name for citations) for every supported file, without duplicates."""
    entries: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for given in paths:
        for path, name in _entries_for(Path(given)):
            if path.resolve() not in seen:
                seen.add(path.resolve())
                entries.append((path, name))
    return entries


def _entries_for(given: Path) -> list[tuple[Path, str]]:
    expected = ", ".join(SUPPORTED_SUFFIXES)
    if not given.exists():
        raise CorpusError(f"path not found: {given}")
    if given.is_dir():
        entries = _folder_entries(given)
        if not entries:
            raise CorpusError(
                f"{given}: no supported files in this folder; expected files ending in {expected}"
            )
        return entries
    if given.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise CorpusError(
            f"{given}: unsupported file type '{given.suffix}'; expected a name ending in {expected}"
        )
    return [(given, given.name)]


def _folder_entries(folder: Path) -> list[tuple[Path, str]]:
    """Supported files under `folder` (hidden ones skipped), named from the folder's own name down."""
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )
    prefix = folder.resolve().name  # "" for the file-system root
    return [(path, "/".join(filter(None, [prefix, path.relative_to(folder).as_posix()]))) for path in files]


def load_articles(paths: Sequence[Path]) -> LoadResult:
    """All articles in the given files and folders; a bad file becomes a warning, not an error.

    Raises CorpusError when a path does not exist, a folder holds no supported file, or no article at
    all could be loaded.
    """
    articles: list[Article] = []
    warnings: list[str] = []
    entries = _source_entries(paths)
    for path, name in entries:
        found, problems = _load_file(path, name)
        articles.extend(found)
        warnings.extend(problems)
        logger.debug("%s: %d articles", name, len(found))
    if not articles:
        details = "; ".join(warnings) or "no text found"
        raise CorpusError(f"no articles could be loaded from {len(entries)} file(s): {details}")
    return LoadResult(articles=articles, warnings=warnings)


def _load_file(path: Path, name: str) -> tuple[list[Article], list[str]]:
    try:
        text = read_text_file(path)
    except CorpusError as exc:
        return [], [f"{exc}; skipped"]
    if not text.strip():
        return [], [f"{name}: empty file, skipped"]
    if path.suffix.lower() == ".jsonl":
        return parse_jsonl(text, name)
    text, page_date, warnings = _split_front_matter(text, name)
    articles = parse_page(text, name)
    if not articles:
        warnings.append(f"{name}: no article text found, skipped")
    page_date = page_date or date_from_name(name)
    if page_date:
        articles = [replace(article, date=page_date) for article in articles]
    return articles, warnings
