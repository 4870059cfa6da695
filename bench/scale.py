"""Past one machine: build throughput on Ray and sharded query latency, measured in one run.

    python bench/scale.py [--phases build,query] [--shared ../shared] [--work DIR]

1. build: the same 2024 news stories (about BUILD_CHUNKS chunks) built end to end with every
   chunk embedded (`--full`): on one machine, then on a local Ray cluster with 1 and with 2
   encoder actors (0.5 CPU each). Chunks per second include reading, chunking, the archive
   tables and writing; the Ray runs include starting their actors (each loads the int8 encoder).
2. query: the 100k-chunk synthetic archive of bench/perf.py as one index and as 4 shards, the
   shards searched in this process and by Ray actors; `Retriever.search` p50/p95 over CMRC
   questions after warm-up ones, query embedding by the real model included. The passage vectors
   come from a hashing encoder (random unit vectors, 384 dimensions): what a search costs depends
   on the number and size of the vectors, not on their meaning, and embedding 100k chunks with
   the model takes ~4 hours here. Index bytes per chunk are measured on these indexes.

Each phase's result is written to bench/results/scale.json as it finishes (a re-run of one phase
keeps the other's); the indexes stay in the work folder, so an interrupted query phase resumes
without rebuilding them. The README's sizing table is computed from these figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import cpu_model, percentile  # noqa: E402
from bench.readme import replace_section  # noqa: E402
from embeddings.settings import Settings  # noqa: E402

PHASES = ("build", "query")
BUILD_STORIES = 80  # 2024 news stories: about BUILD_CHUNKS chunks
BUILD_CHUNKS = 300
SYNTHETIC_CHUNKS = 100_000
QUERY_SHARDS = 4
WARMUP, QUESTIONS = 20, 200
TARGET_CHUNKS = 20_000_000  # a newspaper group: 20 papers x 20 years
NODE_GB = 24  # this machine's memory, the node size of the sizing table
RESULTS = ROOT / "bench" / "results" / "scale.json"


@dataclass
class HashingEncoder:
    """Random unit vectors keyed by the text: stands in for the model where meaning is not measured."""

    model_id: str = "hashing-384"
    dimension: int = 384
    precision: str = "fp32"

    def encode(self, texts, kind):
        rows = [
            np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little"))
            .standard_normal(self.dimension)
            .astype(np.float32)
            for t in texts
        ]
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _fresh(settings: Settings, name: str, work: Path) -> Settings:
    """Settings of a new index under `work`, with the user's converted models and no vector cache."""
    home = work / f"home-{name}"
    (home / "models").mkdir(parents=True, exist_ok=True)
    for model in settings.models_dir.iterdir():
        link = home / "models" / model.name
        if not link.exists():
            link.symlink_to(model, target_is_directory=model.is_dir())
    return replace(settings, home=home, index_dir=work / f"index-{name}")


def build_phase(settings: Settings, shared: Path, work: Path) -> dict:
    from embeddings.build import build_from_paths
    from embeddings.cluster import RayRunner

    stories = (shared / "corpus/xwlb/xwlb_2024.jsonl").read_text(encoding="utf-8").splitlines()
    source = work / "build-stories.jsonl"
    source.write_text("\n".join(stories[:: len(stories) // BUILD_STORIES][:BUILD_STORIES]) + "\n")
    rows = []
    for name, workers in (("one machine", 0), ("ray, 1 worker", 1), ("ray, 2 workers", 2)):
        run = _fresh(settings, name.replace(" ", "").replace(",", "-"), work)
        runner = RayRunner(replace(run, ray="local", ray_workers=workers)) if workers else None
        print(f"build: {name} …", flush=True)
        started = time.perf_counter()
        report = build_from_paths([source], run, full=True, runner=runner)
        seconds = time.perf_counter() - started
        chunks = report.manifest.counts["chunks"]
        rows.append(
            {
                "run": name,
                "chunks": chunks,
                "embedded": report.embedded,
                "seconds": round(seconds, 1),
                "chunks_per_s": round(chunks / seconds, 2),
            }
        )
        print(rows[-1], flush=True)
    return {"rows": rows, "cores": os.cpu_count()}


def _index(settings: Settings, archive: Path, name: str, shards: int, work: Path) -> Path:
    from embeddings.build import build_from_paths

    run = _fresh(settings, name, work)
    if not (run.resolved_index_dir / "CURRENT").is_file():
        print(f"query: building {name} ({shards} shard(s)) …", flush=True)
        build_from_paths([archive], run, encoder=HashingEncoder(), shards=shards)
    return run.resolved_index_dir


def _bytes(folder: Path, names: tuple[str, ...]) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.parts[-1] in names)


def _latency(retriever, questions: list[str]) -> dict:
    for question in questions[:WARMUP]:
        retriever.search(question, 5)
    times = []
    for question in questions[WARMUP:]:
        started = time.perf_counter()
        retriever.search(question, 5)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(percentile(times, 0.5), 1), "p95_ms": round(percentile(times, 0.95), 1)}


def query_phase(settings: Settings, shared: Path, work: Path) -> dict:
    from bench.perf import write_archives
    from bench.retrieval import cmrc_corpus
    from embeddings.cluster import RayShards
    from embeddings.encoding.encoder import load_encoder
    from embeddings.store.index import current_generation, load_index
    from qa.retrieve import Retriever

    archive = write_archives(shared, work, [SYNTHETIC_CHUNKS], settings.chunking)[SYNTHETIC_CHUNKS]
    single = _index(settings, archive, "synthetic-1", 1, work)
    sharded = _index(settings, archive, f"synthetic-{QUERY_SHARDS}", QUERY_SHARDS, work)
    encoder = load_encoder(settings)
    questions = [q.text for q in cmrc_corpus(shared).questions[: WARMUP + QUESTIONS]]
    model = HashingEncoder().model_id
    rows = []
    for name, index_dir, pool in (
        ("one index", single, None),
        (f"{QUERY_SHARDS} shards, this process", sharded, None),
        (f"{QUERY_SHARDS} shards, Ray actors", sharded, "ray"),
    ):
        start = None
        if pool:
            ray_settings = replace(settings, ray="local", index_dir=index_dir)
            start = lambda folders, s=ray_settings: RayShards.start(s, folders)  # noqa: E731
        index = load_index(index_dir, model, start)
        row = {"run": name, "chunks": len(index.chunks), **_latency(Retriever(index, encoder), questions)}
        generation = current_generation(index_dir)
        search = (
            "vectors.faiss",
            "data.csc.index.npy",
            "indices.csc.index.npy",
            "indptr.csc.index.npy",
            "vocab.index.json",
        )
        text = ("chunks.jsonl", "articles.jsonl", "people.jsonl", "entities.jsonl", "chunk_dates.npy")
        row["search_bytes_per_chunk"] = round(_bytes(generation, search) / len(index.chunks))
        row["text_bytes_per_chunk"] = round(_bytes(generation, text) / len(index.chunks))
        rows.append(row)
        print(row, flush=True)
    return {"rows": rows, "questions": QUESTIONS}


def sizing(out: dict) -> list[str]:
    """The sizing table and the arithmetic for TARGET_CHUNKS, from the measured figures."""
    build = {row["run"]: row for row in out["build"]["rows"]}
    query = out["query"]["rows"][0]
    per_core = build["one machine"]["chunks_per_s"] / out["build"]["cores"]
    search_gb = query["search_bytes_per_chunk"] * 1e6 / 1e9
    text_gb = query["text_bytes_per_chunk"] * 1e6 / 1e9
    shard_chunks = 1_000_000
    usable = NODE_GB - 4  # the OS, Ray's object store and the encoder
    per_node = int(usable // (search_gb * shard_chunks / 1e6))
    shards = TARGET_CHUNKS // shard_chunks
    nodes = -(-shards // max(per_node, 1))
    core_hours = TARGET_CHUNKS / per_core / 3600
    return [
        "| figure | measured here | for 20 million chunks |",
        "|---|---|---|",
        f"| build, chunks/s per core (int8 encoder, all stages) | {per_core:.1f} | "
        f"{TARGET_CHUNKS:,} / {per_core:.1f} = {core_hours:,.0f} core-hours: "
        f"{core_hours / 64:,.0f} h on 64 cores |",
        f"| search structures per million chunks (vectors, graph, BM25; held by shards) | "
        f"{search_gb:.2f} GB | {search_gb * TARGET_CHUNKS / 1e6:,.0f} GB |",
        f"| text per million chunks (articles, chunks, tables; held by the driver) | {text_gb:.2f} GB | "
        f"{text_gb * TARGET_CHUNKS / 1e6:,.0f} GB |",
        f"| shards of 1M chunks per {NODE_GB} GB node ({usable} GB usable) | {per_node} | "
        f"{shards} shards on {nodes} nodes |",
    ]


def readme_table(out: dict) -> str:
    lines = [
        "| build (same stories, every chunk embedded) | chunks | seconds | chunks/s |",
        "|---|---|---|---|",
    ]
    for row in out["build"]["rows"]:
        lines.append(f"| {row['run']} | {row['chunks']} | {row['seconds']} | {row['chunks_per_s']} |")
    lines += ["", "| query, 100k-chunk synthetic archive | p50 | p95 |", "|---|---|---|"]
    for row in out["query"]["rows"]:
        lines.append(f"| {row['run']} | {row['p50_ms']} ms | {row['p95_ms']} ms |")
    lines += ["", *sizing(out), "", f"{out['machine']} (bench/scale.py)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phases", default=",".join(PHASES))
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--work", type=Path, default=Settings.from_env().home / "bench-scale")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    args.work.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env()
    out = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    out["machine"] = f"{cpu_model()}, {os.cpu_count()} cores"
    for phase in args.phases.split(","):
        run = build_phase if phase == "build" else query_phase
        out[phase] = run(settings, args.shared, args.work)
        RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if "build" in out and "query" in out:
        replace_section("scale", readme_table(out))
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
