"""How far the reader should trust the retrieval order when it re-ranks, fitted on held-out
training questions (never on an evaluation set).

    python bench/rerank.py [--shared ../shared]

The reader re-ranks the passages it reads by its span margin. This benchmark asks whether the
retrieval rank should count too: score = margin - penalty * rank (rank 0, 1, 2 as retrieved),
penalty 0 being the reader alone. It builds an index over every paragraph of the training
articles that hold a paragraph held out from reader training (qa.reader.train.is_heldout): the
held-out paragraphs and their siblings, the hardest distractors. Each held-out question is
retrieved and read as qa.answer does (the top READ_PASSAGES chunks), and the margins and spans are
kept, so every penalty is scored on the same reads. The sibling paragraphs were training data:
the reader has seen their questions, not these.
Results: bench/results/rerank.json (EM, hit@1 and abstention per penalty, and the fitted one);
the reads are kept per weights in <home>/bench-rerank/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.articles import Article  # noqa: E402
from embeddings.build import build_index  # noqa: E402
from embeddings.encoding.embedding_cache import CachingEncoder  # noqa: E402
from embeddings.encoding.encoder import load_encoder  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from embeddings.store.index import load_index  # noqa: E402
from qa.answer import READ_PASSAGES, expand_query, reader_order, reading_windows  # noqa: E402
from qa.question_types import classify  # noqa: E402
from qa.reader.loading import get_reader, weights_hash  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.model import shipped_dir  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

PENALTIES = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 100.0)


def heldout_articles(train_dir: Path, share: float) -> tuple[list[Article], list[dict]]:
    """Every paragraph of the articles holding a held-out one, and the held-out questions."""
    articles, questions = [], []
    for name in TRAIN_FILES:
        for n, entry in enumerate(json.loads((train_dir / name).read_text(encoding="utf-8"))["data"]):
            paragraphs = entry["paragraphs"]
            if not any(is_heldout(p["context"], share) for p in paragraphs):
                continue
            for m, p in enumerate(paragraphs):
                source = f"{name}:{n}:{m}"
                articles.append(Article(title=entry.get("title", ""), text=p["context"], source=source))
                if is_heldout(p["context"], share):
                    questions += [
                        {"qid": qa["id"], "question": qa["question"], "answers": answers, "source": source}
                        for qa in p["qas"]
                        if (answers := [a["text"] for a in qa["answers"] if a["text"].strip()])
                    ]
    return articles, questions


def read_all(retriever: Retriever, reader, questions: list[dict]) -> list[dict]:
    """Per question: each read passage's margin, span, and whether it holds / is an answer."""
    rows = []
    for q in questions:
        query = q["question"]
        ranked = retriever.rank(expand_query(classify(query), query))
        hits = retriever.to_hits(ranked, 5)
        windows = reading_windows(retriever, ranked, hits, READ_PASSAGES)
        spans = reader.read(query, [hits[i].text[s:e] for i, (s, e) in enumerate(windows)])
        rows.append(
            q
            | {
                "passages": [
                    {
                        "holds": any(a in hits[i].text for a in q["answers"]),
                        "margin": span.margin if span else None,
                        "em": exact_match(span.text, q["answers"]) if span else 0.0,
                    }
                    for i, span in enumerate(spans)
                ]
            }
        )
    return rows


def score(rows: list[dict], penalty: float, threshold: float) -> dict:
    """The reads re-ranked with `penalty`: the answer is the best penalized score among passages
    whose margin reaches the threshold (none: abstain, as without a penalty), and hit@1 asks
    whether the first passage after re-ranking holds an accepted answer."""
    em = hit = abstained = 0
    for row in rows:
        passages = row["passages"]
        if not passages:
            abstained += 1
            continue
        best = passages[reader_order([p["margin"] for p in passages], threshold, penalty)[0]]
        if best["margin"] is not None and best["margin"] >= threshold:
            em += best["em"]
        else:
            abstained += 1
        hit += best["holds"]
    n = len(rows)
    return {
        "penalty": penalty,
        "em": round(em / n, 4),
        "hit1": round(hit / n, 4),
        "abstained": round(abstained / n, 4),
    }


def fitted(scores: list[dict]) -> float:
    """The penalty with the best EM, the better hit@1 breaking ties: the answer comes first, the
    citation second."""
    return max(scores, key=lambda s: (s["em"], s["hit1"], -s["penalty"]))["penalty"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    settings = Settings.from_env()
    articles, questions = heldout_articles(args.shared / "train", Plan().heldout_share)
    encoder = CachingEncoder(load_encoder(settings), settings.home / "bench-cache.sqlite")
    folder = settings.home / "bench-rerank" / "index"
    started = time.perf_counter()
    if not (folder / "CURRENT").is_file():
        build_index(articles, encoder, folder, settings.chunking)
    retriever = Retriever(load_index(folder, encoder.model_id), encoder)
    reader = get_reader(settings)
    built = time.perf_counter()
    reads = settings.home / "bench-rerank" / f"reads-{weights_hash(shipped_dir())}.json"
    if reads.is_file():
        rows = json.loads(reads.read_text(encoding="utf-8"))
    else:
        rows = read_all(retriever, reader, questions)
        reads.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    threshold = reader.card.threshold
    scores = [score(rows, penalty, threshold) for penalty in PENALTIES]
    out = {
        "articles": len(articles),
        "questions": len(questions),
        "reader_threshold": threshold,
        "index_seconds": round(built - started, 1),
        "read_seconds": round(time.perf_counter() - built, 1),
        "retrieved_hit1": round(sum(r["passages"][0]["holds"] for r in rows if r["passages"]) / len(rows), 4),
        "penalties": scores,
        "fitted_penalty": fitted(scores),
    }
    path = ROOT / "bench" / "results" / "rerank.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
