"""Speed and memory on this machine, measured side by side in one run.

    python bench/perf.py [--sizes 1000,10000,50000,100000] [--phases ...] [--shared ../shared] [--work DIR]

Phases (each prints a progress bar or a line as it goes):

1. throughput: ~1,200 chunks of up to 300 characters embedded by a plain fp32
   `SentenceTransformer.encode` (batch 32), then built end to end (JSONL parse, chunk, embed,
   index) by `build_from_paths` at the default precision with an empty vector cache.
2. quality: the CMRC benchmark of bench/retrieval.py (CMRC 2018 dev with XQuAD-zh and DRCD
   paragraphs as distractors), newsqa's chunked index built once with fp32 and once with the
   default precision; hit@1 / hit@5 / MRR@10 for dense and hybrid retrieval.
3. scale: a synthetic archive (below) built at each size by `build_from_paths` in a child
   process, which reports its peak RSS. Sizes are prefixes of one archive and share one vector
   cache, emptied at the start of the phase, so each build embeds the chunks the one before did
   not (an archive growing), and the 100k build embeds about 50k chunks.
4. query: `retrieve()` in a fresh process per index size, 300 CMRC questions after 20 warm-up
   ones: p50/p95 wall time including query embedding, BM25, dense search, fusion and passage
   assembly; recall@10 of the HNSW graph against exact search for the sizes that use one; memory
   per chunk (RSS growth on loading the index) and bytes per chunk on disk.
5. start-up: `newsqa serve` on the largest index until its page answers and until a first
   question comes back through the API.

The synthetic archive: every sentence of the CMRC 2018, XQuAD-zh and DRCD (folded to simplified)
contexts, shuffled with a fixed seed and dealt into articles of 3-7 paragraphs of 2-5 sentences,
each titled after a random source article and dated on a random day of 2020-2024. Recombined
sentences make texts that embed differently from the originals while staying real Chinese prose.

Writes bench/results/perf.json and the README table. The work folder (default:
<NEWSQA_HOME>/perf) keeps the archive, the indexes and the CMRC vectors (a re-run of the quality
phase embeds nothing); the throughput and scale phases always embed from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import time
from collections import deque
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import OFFLINE_ENV, cpu_model, percentile, running_server, wait_until_up  # noqa: E402
from bench.readme import replace_section  # noqa: E402
from bench.retrieval import cmrc_corpus, evaluate, squad_paragraphs  # noqa: E402
from embeddings.settings import ChunkingSettings, Settings  # noqa: E402

PHASES = ("throughput", "quality", "scale", "query", "startup")
THROUGHPUT_CHUNKS = 1200
THROUGHPUT_CHUNKING = ChunkingSettings(size=300, overlap=60)
QUERY_COUNT, WARMUP_COUNT = 300, 20
STARTUP_SECONDS = 120
SENTENCE = re.compile(r"[^。！？]+[。！？]?")


# --- the synthetic archive ----------------------------------------------------------------------


def source_sentences(shared: Path) -> tuple[list[str], list[str]]:
    """(sentences, titles) of the three public reading-comprehension sets."""
    paragraphs = (
        squad_paragraphs(shared / "eval/cmrc2018/cmrc2018_dev.json")
        + squad_paragraphs(shared / "eval/xquad_zh/xquad.zh.json")
        + squad_paragraphs(shared / "eval/drcd/DRCD_dev.json", simplify=True)
    )
    sentences = [s.strip() for _, text, _ in paragraphs for s in SENTENCE.findall(text) if len(s.strip()) > 4]
    titles = sorted({title for title, _, _ in paragraphs if title})
    return sentences, titles


def synthetic_records(shared: Path, seed: int = 0):
    """An endless stream of article records (title, text, date), the same for the same seed."""
    sentences, titles = source_sentences(shared)
    rng = random.Random(seed)
    first_day = date(2020, 1, 1)
    dealt: deque[str] = deque()
    while True:
        if len(dealt) < 5 * 7:  # the most one article takes: a new shuffled pass of all sentences
            again = sentences[:]
            rng.shuffle(again)
            dealt.extend(again)
        paragraphs = [
            "".join(dealt.popleft() for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(3, 7))
        ]
        yield {
            "title": rng.choice(titles),
            "text": "\n".join(paragraphs),
            "date": (first_day + timedelta(days=rng.randrange(1827))).isoformat(),
        }


def write_archives(shared: Path, work: Path, sizes: list[int], chunking: ChunkingSettings) -> dict[int, Path]:
    """JSONL archives of (at least) each size in chunks, each a prefix of the next."""
    from tqdm import tqdm

    from embeddings.chunking import chunk_article
    from embeddings.sources.jsonl import parse_jsonl

    paths = {size: work / f"archive-{size}.jsonl" for size in sizes}
    if all(p.is_file() for p in paths.values()):
        return paths
    records, total = synthetic_records(shared), 0
    outs = {size: paths[size].with_suffix(".part").open("w", encoding="utf-8") for size in sizes}
    with tqdm(total=max(sizes), unit="chunk", desc="synthetic archive") as bar:
        while total < max(sizes):
            record = next(records)
            line = json.dumps(record, ensure_ascii=False)
            articles, _ = parse_jsonl(line, "synthetic")
            for size, out in outs.items():
                if total < size:
                    out.write(line + "\n")
            count = len(chunk_article(articles[0], chunking))
            total += count
            bar.update(count)
    for size, out in outs.items():
        out.close()
        paths[size].with_suffix(".part").replace(paths[size])
    return paths


# --- phase 1: throughput ------------------------------------------------------------------------


def throughput(settings: Settings, archive: Path, work: Path) -> dict:
    from embeddings.build import build_from_paths
    from embeddings.chunking import chunk_article
    from embeddings.encoding.encoder import load_encoder
    from embeddings.sources import load_articles

    # The first articles whose 300-character chunks reach THROUGHPUT_CHUNKS.
    articles, chunks = [], []
    for article in load_articles([archive]).articles:
        articles.append(article)
        chunks += chunk_article(article, THROUGHPUT_CHUNKING)
        if len(chunks) >= THROUGHPUT_CHUNKS:
            break
    sample = work / "throughput.jsonl"
    sample.write_text(
        "".join(
            json.dumps({"title": a.title, "text": a.text, "date": a.date}, ensure_ascii=False) + "\n"
            for a in articles
        ),
        encoding="utf-8",
    )
    texts = [c.text for c in chunks]
    fp32 = load_encoder(replace(settings, precision="fp32"))
    tokens = fp32.model.tokenizer([fp32.model.prompts["passage"] + t for t in texts])["input_ids"]
    fp32.encode(texts[:32], "passage")  # warm-up
    print(f"throughput: fp32 sentence-transformers encode of {len(texts)} chunks …", flush=True)
    started = time.perf_counter()
    fp32.encode(texts, "passage")
    fp32_seconds = time.perf_counter() - started
    del fp32

    home = fresh_home(settings, work / "throughput-home")
    fast_settings = replace(settings, home=home, index_dir=home / "index", chunking=THROUGHPUT_CHUNKING)
    encoder = load_encoder(fast_settings)
    encoder.encode(texts[:32], "passage")  # warm-up, as for fp32
    print(f"throughput: end-to-end build at {encoder.precision} …", flush=True)
    started = time.perf_counter()
    report = build_from_paths([sample], fast_settings, encoder=encoder, progress=_bar("build"))
    build_seconds = time.perf_counter() - started
    assert report.manifest.counts["chunks"] == len(texts) and report.embedded == len(texts)
    result = {
        "chunks": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "mean_tokens": round(sum(map(len, tokens)) / len(tokens), 1),
        "fp32_encode_chunks_per_s": round(len(texts) / fp32_seconds, 1),
        "default_precision": encoder.precision,
        "default_build_chunks_per_s": round(len(texts) / build_seconds, 1),
    }
    result["speedup"] = round(result["default_build_chunks_per_s"] / result["fp32_encode_chunks_per_s"], 2)
    print(json.dumps(result), flush=True)
    return result


def fresh_home(settings: Settings, home: Path) -> Path:
    """An empty NEWSQA_HOME (no vector cache) sharing the converted and quantized models."""
    shutil.rmtree(home, ignore_errors=True)
    (home / "models").mkdir(parents=True)
    for model in settings.models_dir.iterdir():
        if model.is_dir():
            (home / "models" / model.name).symlink_to(model.resolve(), target_is_directory=True)
    return home


def _bar(desc: str):
    from tqdm import tqdm

    bars: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="chunk", desc=desc))
        bars[0].update(done - bars[0].n)
        if done >= total:
            bars[0].close()

    return update


# --- phase 2: quality ---------------------------------------------------------------------------


def quality(settings: Settings, shared: Path, work: Path) -> dict:
    from embeddings.build import build_index
    from embeddings.encoding.embedding_cache import CachingEncoder
    from embeddings.encoding.encoder import load_encoder
    from embeddings.store.index import load_index
    from qa.retrieve import Retriever

    corpus = cmrc_corpus(shared)
    results = {}
    for precision in ("fp32", settings.precision):
        encoder = CachingEncoder(
            load_encoder(replace(settings, precision=precision)), work / "vectors.sqlite"
        )
        name = encoder.precision
        print(f"quality: CMRC index at {name} ({len(corpus.articles)} paragraphs) …", flush=True)
        encoder.encode([q.text for q in corpus.questions], "query")
        index_dir = work / f"cmrc-{name}"
        build_index(corpus.articles, encoder, index_dir, settings.chunking, _bar(f"cmrc {name}"))
        retriever = Retriever(load_index(index_dir, encoder.model_id), encoder)
        results[name] = {mode: evaluate(retriever, corpus.questions, mode) for mode in ("dense", "hybrid")}
        encoder.close()
        print(f"  {name}: {results[name]}", flush=True)
    fast = next(name for name in results if name != "fp32") if len(results) > 1 else "fp32"
    results["hit@5_delta_points"] = {
        mode: round(100 * (results[fast][mode]["hit@5"] - results["fp32"][mode]["hit@5"]), 2)
        for mode in ("dense", "hybrid")
    }
    results["questions"] = len(corpus.questions)
    return results


# --- phase 3: scale (child processes) -----------------------------------------------------------


def child_build(archive: Path, index_dir: Path) -> None:
    """In a child: build `archive` into `index_dir` with the settings of the environment."""
    from embeddings.build import build_from_paths

    settings = replace(Settings.from_env(), index_dir=index_dir)
    started = time.perf_counter()
    report = build_from_paths([archive], settings, progress=_bar(archive.stem))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "chunks": report.manifest.counts["chunks"],
                "articles": report.manifest.counts["articles"],
                "embedded": report.embedded,
                "reused": report.reused,
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(_memory_bytes("VmHWM") / 2**20),
                "vector_index": report.manifest.vector_index,
            }
        )
    )


def _run_child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), *args], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed with code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def scale(settings: Settings, archives: dict[int, Path], work: Path, env: dict[str, str]) -> dict[int, dict]:
    from embeddings.store.index import read_manifest

    # Every run starts from an empty vector cache: each size embeds what the smaller one lacked.
    env = {**env, "NEWSQA_HOME": str(fresh_home(settings, work / "scale-home"))}
    results = {}
    for size, archive in sorted(archives.items()):
        index_dir = work / f"index-{size}"
        results[size] = _run_child(["--child-build", str(archive), str(index_dir)], env)
        folder, _ = read_manifest(index_dir)
        chunks = results[size]["chunks"]
        vectors, keywords = (folder / "vectors.faiss").stat().st_size, _dir_bytes(folder / "bm25")
        results[size]["disk_bytes_per_chunk"] = {
            "vectors": round(vectors / chunks),
            "keywords": round(keywords / chunks),
            "metadata": round((_dir_bytes(folder) - vectors - keywords) / chunks),
            "total": round(_dir_bytes(folder) / chunks),
        }
        print(f"scale {size}: {results[size]}", flush=True)
    return results


# --- phase 4: query latency (child processes) ---------------------------------------------------


def child_query(index_dir: Path, questions_file: Path) -> None:
    """In a child: load the index, then time `retrieve()` per question; recall of HNSW vs exact."""
    import faiss
    import numpy as np

    from embeddings.encoding.encoder import load_encoder
    from embeddings.store.index import load_index
    from qa.retrieve import get_retriever, retrieve

    questions = json.loads(questions_file.read_text(encoding="utf-8"))
    settings = replace(Settings.from_env(), index_dir=index_dir)
    encoder = load_encoder(settings)  # imports and model first: the RSS growth below is the index alone
    rss_before = _memory_bytes("VmRSS")
    started = time.perf_counter()
    index = load_index(index_dir, settings.model)
    load_seconds = time.perf_counter() - started
    index_bytes = _memory_bytes("VmRSS") - rss_before
    for question in questions[:WARMUP_COUNT]:  # the first call loads retrieve()'s own model and index
        retrieve(question, 5, settings=settings)
    seconds = []
    for question in questions[WARMUP_COUNT:]:
        started = time.perf_counter()
        retrieve(question, 5, settings=settings)
        seconds.append(time.perf_counter() - started)
    assert get_retriever(settings).index.manifest == index.manifest
    result = {
        "chunks": len(index.chunks),
        "vector_index": index.manifest.vector_index,
        "p50_ms": round(1000 * percentile(seconds, 0.5), 2),
        "p95_ms": round(1000 * percentile(seconds, 0.95), 2),
        "mean_ms": round(1000 * sum(seconds) / len(seconds), 2),
        "index_load_seconds": round(load_seconds, 2),
        "memory_bytes_per_chunk": round(index_bytes / len(index.chunks)),
    }
    if index.manifest.vector_index != "flat":
        vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        queries = encoder.encode(questions[WARMUP_COUNT:], "query")
        truth = exact.search(queries, 10)[1]
        found = index.vectors.search(queries, 10)[1]
        recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
        result["recall@10_vs_exact"] = round(float(recall), 4)
    print(json.dumps(result))


def _memory_bytes(field: str) -> int:
    """VmRSS (resident now) or VmHWM (peak) of this process. Not ru_maxrss: Linux carries the
    forking parent's peak over into a child's ru_maxrss, which would inflate every child's figure."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def query_latency(indexes: dict[int, Path], shared: Path, work: Path, env: dict[str, str]) -> dict[int, dict]:
    rows = squad_paragraphs(shared / "eval/cmrc2018/cmrc2018_dev.json")
    questions = [qa["question"] for _, _, qas in rows for qa in qas]
    random.Random(1).shuffle(questions)
    questions_file = work / "questions.json"
    questions_file.write_text(json.dumps(questions[: WARMUP_COUNT + QUERY_COUNT], ensure_ascii=False))
    results = {}
    for size, index_dir in sorted(indexes.items()):
        print(f"query: {size} chunks …", flush=True)
        results[size] = _run_child(["--child-query", str(index_dir), str(questions_file)], env)
        print(f"  {results[size]}", flush=True)
    return results


# --- phase 5: start-up --------------------------------------------------------------------------


def startup(home: Path, index_dir: Path, env: dict[str, str]) -> dict:
    """Seconds from `newsqa serve` to its page answering, and to a first answer over the API."""
    from gradio_client import Client

    os.environ.update(env)
    started = time.monotonic()
    with running_server(home, ["--index", str(index_dir)]) as (server, url):
        wait_until_up(server, url, STARTUP_SECONDS)
        page = time.monotonic() - started
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        answer = client.predict("前黄浜全长多少公里？", "[]", api_name="/answer")
        first_answer = time.monotonic() - started
        client.close()
        assert isinstance(answer, dict) and "text" in answer, answer
    return {"page_seconds": round(page, 2), "first_answer_seconds": round(first_answer, 2)}


# --- report -------------------------------------------------------------------------------------


def machine() -> dict:
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cpu_flags": [flag for flag in wanted if flag in flags],
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
    }


def readme_table(out: dict) -> str:
    t, q = out["throughput"], out["quality"]
    fast = t["default_precision"]
    lines = [
        f"Machine: {out['machine']['cpu']}, {out['machine']['cores']} cores "
        f"({', '.join(out['machine']['cpu_flags'])}); {t['chunks']} chunks of {t['mean_chars']:.0f} "
        f"characters ({t['mean_tokens']:.0f} tokens) on average.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| embedding, fp32 `SentenceTransformer.encode` | {t['fp32_encode_chunks_per_s']} chunks/s |",
        f"| build end to end, default ({fast}) | {t['default_build_chunks_per_s']} chunks/s "
        f"(**{t['speedup']}x**) |",
    ]
    for mode in ("dense", "hybrid"):
        lines.append(
            f"| CMRC hit@5, {mode}: fp32 → {fast} | {q['fp32'][mode]['hit@5']:.3f} → "
            f"{q[fast][mode]['hit@5']:.3f} ({q['hit@5_delta_points'][mode]:+.2f} points) |"
        )
    for size, r in out["query"].items():
        recall = f", recall@10 {r['recall@10_vs_exact']}" if "recall@10_vs_exact" in r else ""
        lines.append(
            f"| `retrieve()` at {int(size):,} chunks ({r['vector_index']}{recall}) | "
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms |"
        )
    for size, r in out["scale"].items():
        lines.append(
            f"| build {int(size):,} chunks: peak RSS | {r['peak_rss_mb']:,} MB ({r['embedded']:,} embedded, "
            f"{r['reused']:,} from cache, {r['seconds']} s) |"
        )
    largest = max(out["query"], key=int)
    r, up, disk = out["query"][largest], out["startup"], out["scale"][largest]["disk_bytes_per_chunk"]
    lines += [
        f"| bytes per chunk at {int(largest):,} | {r['memory_bytes_per_chunk']:,} in memory; on disk "
        f"{disk['total']:,} = vectors {disk['vectors']:,} + keywords {disk['keywords']:,} + "
        f"metadata {disk['metadata']:,} |",
        f"| `newsqa serve` start-up, {int(largest):,} chunks | page after "
        f"{up['page_seconds']} s, first answer after {up['first_answer_seconds']} s |",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] in ("--child-build", "--child-query"):
        child = child_build if sys.argv[1] == "--child-build" else child_query
        child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,50000,100000", help="archive sizes in chunks")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, help="archive and vector cache (default: <home>/perf)")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help="a subset re-runs those, keeping the other phases' results"
    )
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    phases = [p for p in PHASES if p in args.phases.split(",")]
    settings = Settings.from_env()
    work = args.work or settings.home / "perf"
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **OFFLINE_ENV, "NEWSQA_HOME": str(settings.home)}
    results = ROOT / "bench" / "results" / "perf.json"
    out = json.loads(results.read_text()) if results.is_file() and len(phases) < len(PHASES) else {}
    out |= {"machine": machine(), "sizes": sizes}
    started = time.perf_counter()
    archives = write_archives(args.shared, work, sizes, settings.chunking)
    indexes = {size: work / f"index-{size}" for size in sizes}
    runs = {
        "throughput": lambda: throughput(settings, archives[max(sizes)], work),
        "quality": lambda: quality(settings, args.shared, work),
        "scale": lambda: scale(settings, archives, work, env),
        "query": lambda: query_latency(indexes, args.shared, work, env),
        "startup": lambda: startup(settings.home, indexes[max(sizes)], env),
    }
    for phase in phases:
        out[phase] = runs[phase]()
        out.setdefault("seconds", {})[phase] = round(time.perf_counter() - started)
        started = time.perf_counter()
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    print(json.dumps(out, ensure_ascii=False, indent=1))
    if all(phase in out for phase in PHASES):
        replace_section("perf-bench", readme_table(out))


if __name__ == "__main__":
    main()
