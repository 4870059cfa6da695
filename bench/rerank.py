"""How the reader should read and re-rank the retrieved passages, fitted on held-out training
questions (never on an evaluation set).

    python bench/rerank.py [--shared ../shared]

Two choices of qa.answer are fitted here. What to read: the first READ_PASSAGES passages, the
first READ_WHOLE of them whole and the others by their best-ranked chunk (a passage is a
paragraph, a chunk ~220 characters; reading more costs latency). How to re-rank: the reader
orders the passages it reads by score = margin - penalty * rank (rank 0, 1, 2 as retrieved),
penalty 0 being the reader alone. It builds an index over every paragraph of the training
articles that hold a paragraph held out from reader training (qa.reader.train.is_heldout): the
held-out paragraphs and their siblings, the hardest distractors. Each held-out question is
retrieved as qa.answer retrieves it and its first passages are read both ways
(qa.answer.read_passages); the margins and spans are kept, so every strategy and penalty is
scored on the same reads. The sibling paragraphs were training data: the reader has seen their
questions, not these.
Results: bench/results/rerank.json (EM, hit@1, abstention and characters read per strategy and
penalty, the share of questions whose reads hold an answer at all, and the fitted choice); the
reads are kept per weights in <home>/bench-rerank/.
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
from qa.answer import READ_PASSAGES, read_passages, reader_order, reading_windows, search_passages  # noqa: E402
from qa.question_types import classify  # noqa: E402
from qa.reader.loading import get_reader, weights_hash  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.model import shipped_dir  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout, load_squad  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

PENALTIES = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 100.0)
# (READ_PASSAGES, READ_WHOLE): passages read, and how many of the first are read whole
STRATEGIES = ((3, 0), (2, 1), (3, 1), (2, 2), (3, 3))
# EM differences smaller than this (4 of the 407 questions) are not worth reading more for.
EM_TOLERANCE = 0.01


def heldout_articles(train_dir: Path, share: float) -> tuple[list[Article], list[dict]]:
    """Every paragraph of the articles holding a held-out one, and the held-out questions."""
    paragraphs, questions = load_squad([train_dir / name for name in TRAIN_FILES])
    held = [is_heldout(p.context, share) for p in paragraphs]
    kept = {p.article for p, h in zip(paragraphs, held, strict=True) if h}
    articles = [
        Article(title=p.title, text=p.context, source=p.source) for p in paragraphs if p.article in kept
    ]
    asked = [
        {
            "qid": q.qid,
            "question": q.question,
            "answers": list(q.answers),
            "source": paragraphs[q.paragraph].source,
        }
        for q in questions
        if held[q.paragraph]
    ]
    return articles, asked


def read_all(retriever: Retriever, reader, questions: list[dict]) -> list[dict]:
    """Per question, each of the first READ_PASSAGES passages as retrieved: whether it holds an
    accepted answer, and the reader's span in it read two ways, by its best-ranked chunk alone and
    whole (margin, exact match, characters read)."""
    rows = []
    for q in questions:
        query = q["question"]
        ranked, hits = search_passages(retriever, query, classify(query), 5)
        reads = {
            mode: zip(
                read_passages(retriever, reader, query, ranked, hits, READ_PASSAGES, whole),
                reading_windows(retriever, ranked, hits, READ_PASSAGES, whole),
                strict=True,
            )
            for mode, whole in (("chunk", 0), ("whole", READ_PASSAGES))
        }
        passages = [{"holds": any(a in hit.text for a in q["answers"])} for hit in hits[:READ_PASSAGES]]
        for mode, spans in reads.items():
            for hit, passage, (span, (start, end)) in zip(hits, passages, spans, strict=False):
                passage[mode] = {
                    "margin": span.margin if span else None,
                    "em": exact_match(span.text, q["answers"]) if span else 0.0,
                    "chars": end - start,
                    "read_holds": any(a in hit.text[start:end] for a in q["answers"]),
                }
        rows.append(q | {"passages": passages})
    return rows


def strategy_reads(row: dict, count: int, whole: int) -> list[dict]:
    """The reads of a row as qa.answer makes them with READ_PASSAGES = count, READ_WHOLE = whole."""
    return [
        p["whole" if i < whole else "chunk"] | {"holds": p["holds"]}
        for i, p in enumerate(row["passages"][:count])
    ]


def score(rows: list[dict], count: int, whole: int, penalty: float, threshold: float) -> dict:
    """The reads of a strategy re-ranked with `penalty`: the answer is the best penalized score
    among passages whose margin reaches the threshold (none: abstain, as without a penalty), and
    hit@1 asks whether the first passage after re-ranking holds an accepted answer."""
    em = hit = abstained = chars = 0
    for row in rows:
        passages = strategy_reads(row, count, whole)
        chars += sum(p["chars"] for p in passages)
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
        "read_passages": count,
        "read_whole": whole,
        "penalty": penalty,
        "em": round(em / n, 4),
        "hit1": round(hit / n, 4),
        "abstained": round(abstained / n, 4),
        "chars_read": round(chars / n),
    }


def answer_in_reads(rows: list[dict], count: int, whole: int) -> float:
    """The share of questions where what a strategy reads holds an accepted answer somewhere: the
    most its EM could be."""
    return round(
        sum(any(p["read_holds"] for p in strategy_reads(r, count, whole)) for r in rows) / len(rows), 4
    )


def fitted(scores: list[dict]) -> dict:
    """The cheapest reading (fewest characters read: the latency) among the strategies whose EM
    is within EM_TOLERANCE of the best, then its best penalty by EM, the better hit@1 breaking
    ties (the answer comes first, the citation second)."""
    best = max(s["em"] for s in scores)
    close = [s for s in scores if s["em"] >= best - EM_TOLERANCE]
    cheapest = min(s["chars_read"] for s in close)
    return max(
        (s for s in close if s["chars_read"] == cheapest), key=lambda s: (s["em"], s["hit1"], -s["penalty"])
    )


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
    reads = settings.home / "bench-rerank" / f"reads-chunk-whole-{weights_hash(shipped_dir())}.json"
    if reads.is_file():
        kept = json.loads(reads.read_text(encoding="utf-8"))
    else:
        kept = {"rows": read_all(retriever, reader, questions)}
        kept["read_seconds"] = round(time.perf_counter() - built, 1)
        reads.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    rows = kept["rows"]
    threshold = reader.card.threshold
    scores = [
        score(rows, count, whole, penalty, threshold) for count, whole in STRATEGIES for penalty in PENALTIES
    ]
    out = {
        "articles": len(articles),
        "questions": len(questions),
        "reader_threshold": threshold,
        "index_seconds": round(built - started, 1),
        "read_seconds": kept["read_seconds"],  # when the reads were made, not this run's
        "retrieved_hit1": round(sum(r["passages"][0]["holds"] for r in rows if r["passages"]) / len(rows), 4),
        # Does what the reader reads hold an answer at all: the ceiling of each strategy's EM.
        "answer_in_reads": {
            f"{count} read, {whole} whole": answer_in_reads(rows, count, whole) for count, whole in STRATEGIES
        },
        "scores": scores,
        "fitted": fitted(scores),
    }
    path = ROOT / "bench" / "results" / "rerank.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
