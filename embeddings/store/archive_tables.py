"""Articles -> the tables a generation keeps about the archive as a whole.

    people.jsonl    one PersonRecord per mention of a person (embeddings.extract.people)
    entities.jsonl  one EntityRecord per mention of a place or an organisation
    reprints.json   article id -> the first article of its story, for stories printed twice

Archive questions (qa.archive) count and list from these and from the articles, never from a
top-k passage list. Extraction reads every character with jieba, the slow part of a large build
after embedding, so an article the live generation already holds keeps its mentions from there
when the extractors' code is unchanged (`extractor_digest`, stored in the manifest): a day's new
pages cost a day's extraction.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from embeddings.articles import Article
from embeddings.extract import entities, people
from embeddings.extract.entities import EntityRecord, entities_in_articles
from embeddings.extract.people import PersonRecord, people_in_articles
from embeddings.sources import dedupe
from embeddings.sources.dedupe import reprint_groups
from embeddings.stages import Runner, in_batches

PARALLEL_MIN_CHARS = 2_000_000  # ~40 s of extraction on one core, against ~5 s to start workers
MAX_WORKERS = 8
BATCHES_PER_WORKER = 4  # smaller batches even out workers given slow and fast articles

__all__ = [
    "TABLE_FILES",
    "ArchiveTables",
    "extract_tables",
    "extractor_digest",
    "read_tables",
    "write_tables",
]

log = logging.getLogger(__name__)

TABLE_FILES = ("people.jsonl", "entities.jsonl", "reprints.json")


@dataclass(frozen=True)
class ArchiveTables:
    people: list[PersonRecord]
    entities: list[EntityRecord]
    reprints: dict[str, str]  # article id -> first article id of its story (grouped articles only)
    seconds: float = 0.0  # what extracting them cost this build
    extracted: int = 0  # articles read by the extractors (the others' mentions were reused)

    def summary(self) -> dict[str, int]:
        """Distinct names per table and reprinted stories, as `newsqa info` shows them."""
        kinds = {"place": set(), "organisation": set()}
        for record in self.entities:
            kinds[record.kind].add(record.name)
        return {
            "people": len({r.name for r in self.people if r.role != "reporter"}),
            "reporters": len({r.name for r in self.people if r.role == "reporter"}),
            "places": len(kinds["place"]),
            "organisations": len(kinds["organisation"]),
            "reprinted stories": len(set(self.reprints.values())),
        }


def extractor_digest() -> str:
    """A digest of the code that makes the tables: a change to it re-extracts every article."""
    code = "".join(inspect.getsource(module) for module in (people, entities, dedupe))
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def _read_rows(path: Path) -> list[dict]:
    # orjson: about 4x json's speed on these small rows (~250k of them at 100k chunks).
    if not path.is_file():
        return []
    with path.open("rb") as rows:
        return [orjson.loads(line) for line in rows if line.strip()]


def _mentions_of(articles: Sequence[Article]) -> tuple[list[PersonRecord], list[EntityRecord]]:
    return people_in_articles(articles), entities_in_articles(articles)


def _mentions(
    articles: Sequence[Article], runner: Runner | None = None
) -> tuple[list[PersonRecord], list[EntityRecord]]:
    """People and entity mentions of `articles`, on every core when there is enough text: jieba
    holds the GIL, so only processes run it in parallel. Each worker is spawned (not forked from
    a process that may run threads) and loads jieba's dictionaries (~4 s), worth it past
    PARALLEL_MIN_CHARS; articles are independent, so the result is the same either way. A
    parallel `runner` (a Ray cluster) gets the batches instead."""
    import os

    if runner is not None and runner.parallel:
        return _joined(runner.map(_mentions_of, in_batches(articles, MAX_WORKERS * BATCHES_PER_WORKER)))
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2 or sum(len(a.text) for a in articles) < PARALLEL_MIN_CHARS:
        return _mentions_of(articles)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    batches = in_batches(articles, workers * BATCHES_PER_WORKER)
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            return _joined(pool.map(_mentions_of, batches))
    except BrokenProcessPool as error:  # a worker could not start (e.g. a main module run from stdin)
        log.warning("extracting on one core: the worker processes failed (%s)", error)
        return _mentions_of(articles)


def _joined(
    results: Iterable[tuple[list[PersonRecord], list[EntityRecord]]],
) -> tuple[list[PersonRecord], list[EntityRecord]]:
    found_people: list[PersonRecord] = []
    found_entities: list[EntityRecord] = []
    for batch_people, batch_entities in results:
        found_people += batch_people
        found_entities += batch_entities
    return found_people, found_entities


def extract_tables(
    articles: Sequence[Article], previous: Path | None = None, runner: Runner | None = None
) -> ArchiveTables:
    """The tables of `articles`; mentions of articles already in `previous` (a generation folder
    built by the same extractors) are copied from it instead of extracted again. The reprint
    groups compare every story with every other, so they are made here, not in batches."""
    started = time.perf_counter()
    wanted = {a.id for a in articles}
    known_people: dict[str, list[PersonRecord]] = {}
    known_entities: dict[str, list[EntityRecord]] = {}
    if previous is not None:
        for row in _read_rows(previous / "people.jsonl"):
            if row["article_id"] in wanted:
                known_people.setdefault(row["article_id"], []).append(PersonRecord(**row))
        for row in _read_rows(previous / "entities.jsonl"):
            if row["article_id"] in wanted:
                known_entities.setdefault(row["article_id"], []).append(EntityRecord(**row))
    # An article is known when the previous build saw it, even if it named nobody.
    seen = set(json.loads((previous / "manifest.json").read_text())["articles"]) if previous else set()
    new = [a for a in articles if a.id not in seen]
    found_people = {a.id: [] for a in new} | known_people
    found_entities = {a.id: [] for a in new} | known_entities
    new_people, new_entities = _mentions(new, runner)
    for record in new_people:
        found_people[record.article_id].append(record)
    for record in new_entities:
        found_entities[record.article_id].append(record)
    tables = ArchiveTables(
        people=[r for a in articles for r in found_people.get(a.id, [])],
        entities=[r for a in articles for r in found_entities.get(a.id, [])],
        reprints=reprint_groups(articles),
        seconds=round(time.perf_counter() - started, 2),
        extracted=len(new),
    )
    log.info("archive tables: %d articles extracted, %d reused", len(new), len(articles) - len(new))
    return tables


def _write_jsonl(path: Path, rows: Sequence[object]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")


def write_tables(folder: Path, tables: ArchiveTables) -> None:
    _write_jsonl(folder / "people.jsonl", tables.people)
    _write_jsonl(folder / "entities.jsonl", tables.entities)
    (folder / "reprints.json").write_text(json.dumps(tables.reprints, ensure_ascii=False), encoding="utf-8")


def read_tables(folder: Path) -> ArchiveTables:
    """The tables of a generation folder (written by `write_tables`)."""

    return ArchiveTables(
        people=[PersonRecord(**row) for row in _read_rows(folder / "people.jsonl")],
        entities=[EntityRecord(**row) for row in _read_rows(folder / "entities.jsonl")],
        reprints=json.loads((folder / "reprints.json").read_text(encoding="utf-8")),
    )
