"""Retrieval quality benchmark: BM25-only, dense-only and hybrid, newsqa vs a naive pipeline.

    python bench/retrieval.py [--shared ../shared] [--tune]

Two corpora:
  sample  the bundled 武进 pages with ../shared/eval/wujin_questions.jsonl (answerable questions)
  cmrc    CMRC 2018 dev paragraphs (each one article, with its title) plus XQuAD-zh and DRCD dev
          paragraphs (DRCD converted to simplified) as distractors; CMRC dev questions
A hit is a returned passage that contains one of the question's answer strings. Metrics:
hit@1, hit@5, MRR@10. The naive pipeline indexes whole paragraphs (sample: pages split on blank
lines) without titles and fuses with plain RRF k=60. Vectors are cached in <home>/bench-cache.sqlite,
so a re-run only embeds what changed. Results go to bench/results/retrieval.json and the README.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme import replace_section  # noqa: E402
from embeddings.articles import Article  # noqa: E402
from embeddings.build import build_index  # noqa: E402
from embeddings.encoding.embedding_cache import CachingEncoder  # noqa: E402
from embeddings.encoding.encoder import load_encoder  # noqa: E402
from embeddings.settings import ChunkingSettings, Settings  # noqa: E402
from embeddings.sources import load_articles  # noqa: E402
from embeddings.store.index import load_index  # noqa: E402
from embeddings.store.keywords import to_simplified  # noqa: E402
from qa.retrieve import RetrievalSettings, Retriever  # noqa: E402

MODES = ("keyword", "dense", "hybrid")
WHOLE = ChunkingSettings(size=4000, overlap=0)  # naive: one chunk per paragraph
NAIVE_FUSION = RetrievalSettings(
    rrf_k=60.0, dense_weight=1.0, keyword_weight=1.0, paragraph_chars=0, max_passage_chars=4000
)


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Corpus:
    name: str
    articles: list[Article]
    naive_articles: list[Article]
    questions: list[Question]


def squad_paragraphs(path: Path, simplify: bool = False) -> list[tuple[str, str, list[dict]]]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    convert = to_simplified if simplify else (lambda s: s)
    return [
        (convert(doc.get("title", "")), convert(p["context"]), p["qas"])
        for doc in data
        for p in doc["paragraphs"]
    ]


def cmrc_corpus(shared: Path) -> Corpus:
    cmrc = squad_paragraphs(shared / "eval/cmrc2018/cmrc2018_dev.json")
    distractors = squad_paragraphs(shared / "eval/xquad_zh/xquad.zh.json") + squad_paragraphs(
        shared / "eval/drcd/DRCD_dev.json", simplify=True
    )
    paragraphs = cmrc + distractors
    articles = [Article(title=t, text=c, source=f"p{i}") for i, (t, c, _) in enumerate(paragraphs)]
    naive = [Article(title="", text=c, source=f"p{i}") for i, (_, c, _) in enumerate(paragraphs)]
    questions = [
        Question(qa["question"], tuple(a["text"] for a in qa["answers"] if a["text"]))
        for _, _, qas in cmrc
        for qa in qas
    ]
    return Corpus("cmrc", articles, naive, questions)


def sample_corpus(shared: Path) -> Corpus:
    articles = load_articles([ROOT / "data" / "wujin"]).articles
    naive = [
        Article(title="", text=block.strip(), source=f"{page.name}#{i}")
        for page in sorted((ROOT / "data" / "wujin").glob("*.txt"))
        for i, block in enumerate(page.read_text(encoding="utf-8").split("\n\n"))
        if block.strip()
    ]
    rows = [
        json.loads(line) for line in (shared / "eval/wujin_questions.jsonl").read_text().splitlines() if line
    ]
    questions = [Question(r["question"], tuple(r["answers"])) for r in rows if r["answers"]]
    return Corpus("sample", articles, naive, questions)


def evaluate(retriever: Retriever, questions: list[Question], mode: str) -> dict[str, float]:
    hit1 = hit5 = mrr = 0.0
    for question in questions:
        hits = retriever.to_hits(retriever.rank(question.text, mode), 10)
        rank = next((r for r, h in enumerate(hits, 1) if any(a in h.text for a in question.answers)), None)
        hit1 += rank == 1
        hit5 += rank is not None and rank <= 5
        mrr += 1.0 / rank if rank else 0.0
    n = len(questions)
    return {"hit@1": round(hit1 / n, 4), "hit@5": round(hit5 / n, 4), "mrr@10": round(mrr / n, 4)}


def build(articles: list[Article], encoder: CachingEncoder, chunking: ChunkingSettings, work: Path):
    index_dir = work / f"index-{len(list(work.iterdir()))}"
    started = time.perf_counter()
    build_index(articles, encoder, index_dir, chunking)
    print(
        f"  built {index_dir.name}: {len(articles)} articles in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    return load_index(index_dir, encoder.model_id)


def run_corpus(corpus: Corpus, encoder: CachingEncoder, settings: Settings, work: Path, tune: bool) -> dict:
    print(f"{corpus.name}: {len(corpus.articles)} articles, {len(corpus.questions)} questions", flush=True)
    encoder.encode([q.text for q in corpus.questions], "query")  # one batch, then served from the cache
    results: dict[str, dict] = {}
    naive = Retriever(build(corpus.naive_articles, encoder, WHOLE, work), encoder, NAIVE_FUSION)
    results["naive"] = {mode: evaluate(naive, corpus.questions, mode) for mode in MODES}
    ours = Retriever(build(corpus.articles, encoder, settings.chunking, work), encoder, RetrievalSettings())
    results["newsqa"] = {mode: evaluate(ours, corpus.questions, mode) for mode in MODES}
    if tune:
        results["tuning"] = tune_fusion(ours, corpus.questions)
    print(json.dumps(results, indent=1), flush=True)
    return results


def tune_fusion(retriever: Retriever, questions: list[Question]) -> list[dict]:
    """Hybrid scores over RRF k and the paragraph widening of passages (no re-embedding needed)."""
    grid = []
    for rrf_k in (5.0, 20.0, 60.0):
        for paragraph_chars in (0, 400, 800, 1200):
            fusion = replace(
                retriever.settings,
                rrf_k=rrf_k,
                paragraph_chars=paragraph_chars,
                max_passage_chars=max(paragraph_chars, 400) + 200,
            )
            scores = evaluate(replace(retriever, settings=fusion), questions, "hybrid")
            grid.append({"rrf_k": rrf_k, "paragraph_chars": paragraph_chars, **scores})
            print("  tune", grid[-1], flush=True)
    return grid


def readme_table(results: dict) -> str:
    lines = [
        "| corpus | pipeline | BM25 hit@1 / @5 / MRR | dense hit@1 / @5 / MRR | hybrid hit@1 / @5 / MRR |",
        "|---|---|---|---|---|",
    ]
    for corpus in ("sample", "cmrc"):
        for pipeline in ("naive", "newsqa"):
            cells = [
                " / ".join(f"{results[corpus][pipeline][mode][m]:.3f}" for m in ("hit@1", "hit@5", "mrr@10"))
                for mode in MODES
            ]
            lines.append(f"| {corpus} | {pipeline} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--tune", action="store_true", help="also sweep the fusion parameters")
    parser.add_argument("--corpus", choices=("sample", "cmrc", "all"), default="all")
    args = parser.parse_args()
    settings = Settings.from_env()
    encoder = CachingEncoder(load_encoder(settings), settings.home / "bench-cache.sqlite")
    corpora = {"sample": sample_corpus, "cmrc": cmrc_corpus}
    names = list(corpora) if args.corpus == "all" else [args.corpus]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="newsqa-bench-") as tmp:
        results = {
            name: run_corpus(corpora[name](args.shared), encoder, settings, Path(tmp), args.tune)
            for name in names
        }
    out = {
        "model": settings.model,
        "chunking": asdict(settings.chunking),
        "fusion": asdict(RetrievalSettings()),
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "retrieval.json").write_text(json.dumps(out, ensure_ascii=False, indent=2))
    if len(names) == len(corpora):
        replace_section("retrieval-bench", readme_table(results))
    print(f"done in {out['seconds']}s; embedded {encoder.misses} new texts, {encoder.hits} from cache")


if __name__ == "__main__":
    main()
