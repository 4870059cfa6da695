"""Archive questions at scale: build-time cost of the archive tables, answer latency and memory.

    python bench/archive.py [--phases xwlb,index,synthetic] [--shared ../shared] [--work DIR]

Phases:

1. xwlb: the 2024 archive (../shared/corpus/xwlb, 5,043 stories) read as a build reads it; the
   archive tables (people, places, organisations, reprints) extracted as a build does, timed;
   the catalog built; then 240 archive questions (counts with and without a month, lists,
   rankings, timelines; terms are the archive's own most-reported people, places and
   organisations and its most frequent words, so nothing is picked by hand) answered with
   their citation text: p50 / p95 / max wall time after 20 warm-up ones.
2. index: every tenth story of the archive built into a real index (`build_from_paths`; the
   embedding cache of the default home makes a rerun cheap), and archive questions through
   `qa.answer.answer_with` end to end (grammar, catalog, citations built and checked).
3. synthetic: the 100k-chunk synthetic archive of bench/perf.py (its JSONL is written if
   missing); its tables extracted and timed, and the questions answered from its catalog. No
   vectors are built for it: archive questions never read them.
4. broad: 50,000 synthetic articles and four questions matching most or all of them (counts
   exact, the third page of the list), five times each.

Writes bench/results/archive.json and the README table between the archive markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import cpu_model, percentile  # noqa: E402
from bench.readme import replace_section  # noqa: E402
from embeddings.settings import ChunkingSettings, Settings  # noqa: E402
from qa.archive.answers import catalog_of  # noqa: E402

PHASES = ("xwlb", "index", "synthetic", "broad")
BROAD_ARTICLES = 50_000
BROAD_QUESTIONS = (
    "一共有多少篇文章？",
    "有多少篇报道提到中国？",
    "列出所有报道中国的文章",
    "2022年有多少篇报道提到中国？",
)
WARMUP = 20
SYNTHETIC_CHUNKS = 100_000
TEMPLATES = (
    "有多少篇报道提到{term}？",
    "{month}月份有多少篇报道提到{term}？",
    "列出所有报道{term}的文章",
    "{term}的时间线",
    "{term}被提到多少次？",
    "{month}月提到{term}的报道有哪些？",
)
RANKINGS = (
    "哪位记者发稿最多？",
    "被提到最多的人物是谁？",
    "哪些国家被报道得最多？",
    "哪些公司被报道得最多？",
)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions(catalog, count: int = 240) -> list[str]:
    """Archive questions over the archive's own most-reported entities and frequent words."""
    from embeddings.store.keywords import KeywordTokenizer

    by_kind: dict[str, list[str]] = {}
    ranked = sorted(catalog.entity_positions.items(), key=lambda kv: -len(kv[1]))
    for (kind, name), _ in ranked:
        by_kind.setdefault(kind, []).append(name)
    words = Counter()
    tokenizer = KeywordTokenizer()
    for article in catalog.articles[:: max(1, len(catalog.articles) // 500)]:
        words.update(w for w in tokenizer.tokenize(article.title) if len(w) >= 2)
    terms = [
        *by_kind.get("person", [])[:10],
        *by_kind.get("place", [])[:10],
        *by_kind.get("organisation", [])[:10],
        *[w for w, _ in words.most_common(10)],
    ]
    asked = [
        template.format(term=term, month=1 + (i % 12))
        for i, term in enumerate(terms)
        for template in TEMPLATES
    ]
    return (asked + list(RANKINGS) * 5)[:count]


def time_questions(answer, asked: list[str]) -> dict:
    for question in asked[:WARMUP]:
        answer(question)
    seconds, archive_answers = [], 0
    for question in asked:
        started = time.perf_counter()
        result = answer(question)
        seconds.append(time.perf_counter() - started)
        archive_answers += result is not None
    return {
        "questions": len(asked),
        "archive_answers": archive_answers,
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
    }


def catalog_phase(articles, label: str) -> tuple[dict, object]:
    """Tables extracted and timed, the catalog built, the questions answered from it."""
    from embeddings.store.archive_tables import extract_tables
    from embeddings.store.keywords import KeywordTokenizer
    from qa.archive.answers import archive_text, catalog_result
    from qa.archive.catalog import Catalog

    characters = sum(len(a.title) + len(a.text) for a in articles)
    started = time.perf_counter()
    tables = extract_tables(articles)
    extraction = time.perf_counter() - started
    before = _rss_mb()
    started = time.perf_counter()
    catalog = Catalog(articles, tables)
    _ = catalog.entity_positions, catalog.categories
    catalog_seconds = time.perf_counter() - started
    tokenizer = KeywordTokenizer(extra_words=sorted({p.name for p in tables.people}))

    def answer(question: str):
        result = catalog_result(catalog, tokenizer, question)
        if result is not None:
            archive_text(result)
        return result

    asked = questions(catalog)
    row = {
        "archive": label,
        "articles": len(articles),
        "characters": characters,
        "people_mentions": len(tables.people),
        "entity_mentions": len(tables.entities),
        "reprint_groups": len(set(tables.reprints.values())),
        "table_seconds": round(extraction, 1),
        "table_chars_per_s": round(characters / extraction),
        "catalog_seconds": round(catalog_seconds, 2),
        "catalog_rss_growth_mb": round(_rss_mb() - before, 1),
        **time_questions(answer, asked),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row, asked


def index_phase(xwlb: Path, work: Path) -> dict:
    """Every tenth story of the archive built into a real index, and archive questions through
    `qa.answer.answer_with` (citations built and checked). A tenth: the int8 encoder embeds
    ~6.5 chunks/s on this machine's AVX2-only cores, so the whole archive takes ~45 minutes;
    the catalog phases above measure the whole archive."""
    from embeddings.build import build_from_paths
    from qa.answer import answer_with
    from qa.retrieve import get_retriever

    sample = work / "xwlb-every-tenth.jsonl"
    lines = xwlb.read_text(encoding="utf-8").splitlines()
    sample.write_text("\n".join(lines[::10]) + "\n", encoding="utf-8")
    # The default home: its embedding cache keeps the vectors of an earlier run.
    settings = replace(Settings.from_env(), index_dir=work / "xwlb-index")
    started = time.perf_counter()
    report = build_from_paths([sample], settings)
    build_seconds = time.perf_counter() - started
    retriever = get_retriever(settings)
    asked = questions(catalog_of(retriever.index))

    def answer(question: str):
        return answer_with(retriever, question).archive

    row = {
        "archive": f"xwlb 2024, every tenth story ({report.manifest.counts['articles']} articles)",
        "chunks": report.manifest.counts["chunks"],
        "build_seconds": round(build_seconds, 1),
        "embedded": report.embedded,
        "table_seconds": report.manifest.table_seconds,
        **time_questions(answer, asked),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def broad_phase(shared: Path) -> dict:
    """50,000 articles and questions matching most or all of them: exact counts, one page of
    items, in bounded time and memory. The tables are left empty: these questions only match
    words, and extracting 40M characters would take a quarter of an hour here."""
    from itertools import islice

    from bench.perf import synthetic_records
    from embeddings.articles import Article
    from embeddings.store.archive_tables import ArchiveTables
    from embeddings.store.keywords import KeywordTokenizer
    from qa.archive.answers import archive_text, catalog_result
    from qa.archive.catalog import Catalog

    records = islice(synthetic_records(shared, seed=1), BROAD_ARTICLES)
    articles = [Article(r["title"], r["text"], "broad.jsonl", date=r["date"]) for r in records]
    before = _rss_mb()
    catalog = Catalog(articles, ArchiveTables([], [], {}))
    tokenizer = KeywordTokenizer()
    seconds, matched = [], {}
    catalog_result(catalog, tokenizer, BROAD_QUESTIONS[0])  # warm-up: jieba's dictionary loads
    for _ in range(5):
        for question in BROAD_QUESTIONS:
            started = time.perf_counter()
            result = catalog_result(catalog, tokenizer, question, page=3)
            archive_text(result)
            seconds.append(time.perf_counter() - started)
            matched[question] = result.articles
    row = {
        "archive": f"synthetic {BROAD_ARTICLES:,} articles, questions matching most of them",
        "articles": len(articles),
        "matched": matched,
        "p50_ms": round(percentile(seconds, 0.5) * 1000, 1),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "catalog_rss_growth_mb": round(_rss_mb() - before, 1),
    }
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def readme_table(out: dict) -> str:
    lines = [
        "| archive | articles | tables built in | chars/s | catalog | archive-question p50 / p95 / max |",
        "|---|---|---|---|---|---|",
    ]
    for row in out["rows"]:
        if "matched" in row:
            most = max(row["matched"].values())
            lines.append(
                f"| {row['archive']} (up to {most:,} matching) | {row['articles']:,} | | | "
                f"+{row['catalog_rss_growth_mb']} MB | "
                f"{row['p50_ms']} / {row['p95_ms']} / {row['max_ms']} ms |"
            )
        elif "characters" in row:
            lines.append(
                f"| {row['archive']} | {row['articles']:,} | {row['table_seconds']} s | "
                f"{row['table_chars_per_s']:,} | "
                f"{row['catalog_seconds']} s, +{row['catalog_rss_growth_mb']} MB | "
                f"{row['p50_ms']} / {row['p95_ms']} / {row['max_ms']} ms |"
            )
        else:
            lines.append(
                f"| {row['archive']}: {row['chunks']:,} chunks, `answer_with` end to end | | "
                f"{row['table_seconds']} s in a {row['build_seconds']} s build | | | "
                f"{row['p50_ms']} / {row['p95_ms']} / {row['max_ms']} ms |"
            )
    lines.append(f"\n{out['machine']}; {out['questions']} questions each (bench/archive.py).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=Settings.from_env().home / "bench-archive")
    args = parser.parse_args()
    phases = args.phases.split(",")
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from embeddings.sources import load_articles

    xwlb = args.shared / "corpus" / "xwlb" / "xwlb_2024.jsonl"
    rows, asked = [], []
    if "xwlb" in phases:
        row, asked = catalog_phase(load_articles([xwlb]).articles, "xwlb 2024")
        rows.append({**row, "phase": "xwlb"})
    if "index" in phases:
        rows.append({**index_phase(xwlb, args.work), "phase": "index"})
    if "synthetic" in phases:
        from bench.perf import write_archives

        archive = write_archives(args.shared, args.work, [SYNTHETIC_CHUNKS], ChunkingSettings())[
            SYNTHETIC_CHUNKS
        ]
        row, _ = catalog_phase(
            load_articles([archive]).articles, f"synthetic {SYNTHETIC_CHUNKS // 1000}k chunks"
        )
        rows.append({**row, "phase": "synthetic"})
    if "broad" in phases:
        rows.append({**broad_phase(args.shared), "phase": "broad"})
    results = ROOT / "bench" / "results" / "archive.json"
    # Rows of the phases not run this time are kept from the last run.
    kept = json.loads(results.read_text(encoding="utf-8"))["rows"] if results.is_file() else []
    rows += [row for row in kept if row.get("phase") not in phases]
    rows.sort(key=lambda row: PHASES.index(row.get("phase", "xwlb")))
    out = {
        "machine": f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "questions": len(asked) or 240,
        "rows": rows,
    }
    results.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    replace_section("archive-bench", readme_table(out))
    print(readme_table(out))


if __name__ == "__main__":
    main()
