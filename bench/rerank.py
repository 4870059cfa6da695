"""How the reader should read and re-rank the retrieved passages, fitted on held-out training
questions (never on an evaluation set).

    python bench/rerank.py [--shared ../shared]

Three choices of qa.answer are fitted here, together. What to read (qa.answer.reading_plan):
the top passage's best-ranked chunk first, and when its margin is below SURE_MARGIN, the best
chunks of the next passages up to READ_PASSAGES and the rest of the first READ_WHOLE of them (a
passage is a paragraph, a chunk ~220 characters; reading more costs latency). How to re-rank: the
reader orders the passages it read by score = margin - penalty * rank (rank 0, 1, 2 as
retrieved), penalty 0 being the reader alone. It builds an index over every paragraph of the
training articles that hold a paragraph held out from reader training
(qa.reader.train.is_heldout): the held-out paragraphs and their siblings, the hardest
distractors. Each held-out question is retrieved as qa.answer retrieves it and every piece any
strategy might read (the best chunk and the rest of each of the first passages) is read once;
the spans are kept, so every strategy, sure margin and penalty is scored on the same reads, with
qa.answer's own plan and choice. The sibling paragraphs were training data: the reader has seen
their questions, not these.
Results: bench/results/rerank.json (EM, hit@1, abstention and characters read per strategy, sure
margin and penalty, the share of questions whose reads hold an answer at all, and the fitted
choice); the reads are kept per weights in <home>/bench-rerank/.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.articles import Article  # noqa: E402
from embeddings.build import build_index  # noqa: E402
from embeddings.encoding.embedding_cache import CachingEncoder  # noqa: E402
from embeddings.encoding.encoder import load_encoder  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from embeddings.store.index import load_index  # noqa: E402
from qa.answer import (  # noqa: E402
    Piece,
    best_chunks,
    best_per_passage,
    is_sure,
    read_pieces,
    reader_order,
    reading_plan,
    rest_of,
    search_passages,
)
from qa.question_types import classify  # noqa: E402
from qa.reader.loading import get_reader, weights_hash  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.model import shipped_dir  # noqa: E402
from qa.reader.reader import ReaderSpan  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout, load_squad  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

PENALTIES = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 100.0)
# (READ_PASSAGES, READ_WHOLE): passages read, and how many of the first are read whole
STRATEGIES = ((3, 0), (2, 1), (3, 1), (2, 2), (3, 3))
# margins at which the top passage's chunk is answer enough; inf: always read on
SURE_MARGINS = (2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, math.inf)
MOST_PASSAGES = max(count for count, _ in STRATEGIES)
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
    """Per question, each of the first MOST_PASSAGES passages as retrieved (its length, best
    chunk and whether it holds an accepted answer) and the reader's span in every piece a
    strategy may read: each passage's chunk and the rest of it."""
    rows = []
    for q in questions:
        query = q["question"]
        ranked, hits = search_passages(retriever, query, classify(query), 5)
        chunks = best_chunks(retriever, ranked, hits, MOST_PASSAGES)
        lengths = [len(hit.text) for hit in hits[:MOST_PASSAGES]]
        pieces = [*chunks, *(part for c in chunks for part in rest_of(c, lengths[c.passage]))]
        spans = read_pieces(reader, query, hits, pieces)
        rows.append(
            q
            | {
                "passages": [
                    {
                        "length": n,
                        "chunk": [c.start, c.end],
                        "holds": any(a in hit.text for a in q["answers"]),
                    }
                    for n, c, hit in zip(lengths, chunks, hits, strict=False)
                ],
                "reads": [
                    {
                        "piece": [p.passage, p.start, p.end],
                        "span": [s.start, s.end, s.text, s.margin] if s else None,
                        "holds": any(a in hits[p.passage].text[p.start : p.end] for a in q["answers"]),
                    }
                    for p, s in zip(pieces, spans, strict=True)
                ],
            }
        )
    return rows


def strategy_reads(
    row: dict, count: int, whole: int, sure: float
) -> tuple[list[dict], list[ReaderSpan | None], bool]:
    """The reads of a row as qa.answer makes them with READ_PASSAGES = count, READ_WHOLE = whole
    and SURE_MARGIN = sure: the pieces read, each read passage's best span, and whether it read
    on after the first chunk."""
    kept = {tuple(r["piece"]): r for r in row["reads"]}

    def reads(pieces: list[Piece]) -> list[dict]:
        return [kept[(p.passage, p.start, p.end)] for p in pieces]

    def spans(pieces: list[Piece]) -> list[ReaderSpan | None]:
        return [
            ReaderSpan(p.passage, *r["span"]) if r["span"] else None
            for p, r in zip(pieces, reads(pieces), strict=True)
        ]

    passages = row["passages"][:count]
    chunks = [Piece(i, *p["chunk"]) for i, p in enumerate(passages)]
    first, more = reading_plan(chunks, [p["length"] for p in passages], whole)
    read = spans(first)
    if is_sure(read, sure):
        return reads(first), read, False
    return reads([*first, *more]), best_per_passage([*read, *spans(more)], len(chunks)), True


def score(rows: list[dict], count: int, whole: int, sure: float, penalty: float, threshold: float) -> dict:
    """The reads of a strategy re-ranked with `penalty`: the answer is the best penalized score
    among passages whose margin reaches the threshold (none: abstain, as without a penalty), and
    hit@1 asks whether the first passage after re-ranking holds an accepted answer."""
    em = hit = abstained = read_on = 0
    chars = []
    for row in rows:
        pieces, spans, went_on = strategy_reads(row, count, whole, sure)
        read_on += went_on
        chars.append(sum(r["piece"][2] - r["piece"][1] for r in pieces))
        if not spans:
            abstained += 1
            continue
        best = reader_order([s.margin if s else None for s in spans], threshold, penalty)[0]
        span = spans[best]
        if span is not None and span.margin >= threshold:
            em += exact_match(span.text, row["answers"])
        else:
            abstained += 1
        hit += row["passages"][best]["holds"]
    n = len(rows)
    return {
        "read_passages": count,
        "read_whole": whole,
        "sure_margin": sure if math.isfinite(sure) else None,
        "penalty": penalty,
        "em": round(em / n, 4),
        "hit1": round(hit / n, 4),
        "abstained": round(abstained / n, 4),
        "chars_read": round(float(np.mean(chars))),
        "chars_read_p95": round(float(np.percentile(chars, 95))),
        "read_on": round(read_on / n, 4),
    }


def answer_in_reads(rows: list[dict], count: int, whole: int) -> float:
    """The share of questions where what a strategy reads when it reads on holds an accepted
    answer somewhere: the most its EM could be."""
    held = (any(r["holds"] for r in strategy_reads(row, count, whole, math.inf)[0]) for row in rows)
    return round(sum(held) / len(rows), 4)


def fitted(scores: list[dict]) -> dict:
    """The cheapest reading among the strategies whose EM is within EM_TOLERANCE of the best:
    the fewest characters read by the 95th-percentile question (the latency target is a p95),
    then on average; then its best penalty by EM, the better hit@1 breaking ties (the answer
    comes first, the citation second), then the smaller penalty."""
    best = max(s["em"] for s in scores)
    close = [s for s in scores if s["em"] >= best - EM_TOLERANCE]
    cheapest = min((s["chars_read_p95"], s["chars_read"]) for s in close)
    return max(
        (s for s in close if (s["chars_read_p95"], s["chars_read"]) == cheapest),
        key=lambda s: (s["em"], s["hit1"], -s["penalty"]),
    )


def shared_folder(doc: str) -> Path:
    """The --shared folder (training data) of a bench that takes nothing else."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    return parser.parse_args().shared


def main() -> None:
    shared = shared_folder(__doc__)
    settings = Settings.from_env()
    articles, questions = heldout_articles(shared / "train", Plan().heldout_share)
    encoder = CachingEncoder(load_encoder(settings), settings.home / "bench-cache.sqlite")
    folder = settings.home / "bench-rerank" / "index"
    started = time.perf_counter()
    if not (folder / "CURRENT").is_file():
        build_index(articles, encoder, folder, settings.chunking)
    retriever = Retriever(load_index(folder, encoder.model_id), encoder)
    reader = get_reader(settings)
    built = time.perf_counter()
    reads = settings.home / "bench-rerank" / f"reads-pieces-{weights_hash(shipped_dir())}.json"
    if reads.is_file():
        kept = json.loads(reads.read_text(encoding="utf-8"))
    else:
        kept = {"rows": read_all(retriever, reader, questions)}
        kept["read_seconds"] = round(time.perf_counter() - built, 1)
        reads.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
    rows = kept["rows"]
    threshold = reader.threshold
    scores = [
        score(rows, count, whole, sure, penalty, threshold)
        for count, whole in STRATEGIES
        for sure in SURE_MARGINS
        for penalty in PENALTIES
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
    # One line per scored strategy: 405 of them, readable side by side.
    head = json.dumps({k: v for k, v in out.items() if k != "scores"}, ensure_ascii=False, indent=1)
    rows = ",\n  ".join(json.dumps(s) for s in scores)
    path.write_text(f'{head[:-2]},\n "scores": [\n  {rows}\n ]\n}}\n', encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
