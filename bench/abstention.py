"""When the reader should abstain, fitted on held-out training questions (never on an evaluation
set).

    python bench/abstention.py [--shared ../shared]

qa.answer abstains when the chosen span's sureness, margin + COSINE_WEIGHT * (cosine -
REFERENCE_COSINE) at the reader's precision, is below the threshold on the reader's card; the
cosine is the question's dense similarity with the chosen passage's best chunk. The card's
threshold was calibrated on gold and distractor paragraphs; what it may miss are sibling
paragraphs of the same story, which a reader can read as sure as the real one. This fits the two
constants of one precision the way bench/answers.py measures abstention: each of the 407
held-out questions (qa.reader.train.is_heldout) is answered by qa.answer's own retrieval,
reading plan and choice over every paragraph of their articles, once with the held-out
paragraphs in the index (each question answerable) and once without them (none is). For each
weight, the reference keeps the answerable questions abstaining exactly as often as by the
margin alone at the card's threshold; the weight fitted is the one with which most
answer-removed questions abstain (the smaller on ties).
Results: bench/results/abstention-<precision>.json (NEWSQA_PRECISION chooses the precision); the
reads are kept per reader weights and precision in <home>/bench-abstention/.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.rerank import heldout_articles, shared_folder  # noqa: E402
from embeddings.build import build_index  # noqa: E402
from embeddings.encoding.embedding_cache import CachingEncoder  # noqa: E402
from embeddings.encoding.encoder import load_encoder  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from embeddings.store.index import load_index  # noqa: E402
from qa.answer import choose_span, chosen_cosine, read_passages, search_passages, sureness  # noqa: E402
from qa.question_types import classify  # noqa: E402
from qa.reader.loading import get_reader, weights_hash  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.model import shipped_dir  # noqa: E402
from qa.reader.train import Plan, is_heldout  # noqa: E402
from qa.retrieve import Retriever  # noqa: E402

WEIGHTS = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0, 150.0, 200.0, 300.0, 500.0)


def read_chosen(retriever: Retriever, reader, questions: list[dict]) -> list[dict]:
    """Per question, the margin of the span qa.answer chooses (None: no span), the cosine of its
    passage's best chunk, and whether the span is an accepted answer."""
    rows = []
    for q in questions:
        query = q["question"]
        ranked, hits = search_passages(retriever, query, classify(query), 5)
        spans = read_passages(retriever, reader, query, ranked, hits)
        choice = choose_span(retriever, reader, query, ranked, hits, spans)
        if choice.span is None:
            rows.append({"margin": None, "cosine": None, "em": False})
            continue
        # every weight is fitted on the same reads: the cosine even where qa.answer gives it none
        cosine = choice.cosine
        if cosine is None:
            cosine = chosen_cosine(retriever, query, ranked, hits, choice.order[0])
        em = exact_match(choice.span.text, q["answers"])
        rows.append({"margin": choice.span.margin, "cosine": round(cosine, 6), "em": em})
    return rows


def reference_for(rows: list[dict], weight: float, threshold: float) -> float:
    """The reference cosine with which, at `weight`, exactly the answerable questions whose margin
    is below `threshold` abstain as many times: halfway between the sorted scores around that
    count, as a cosine."""
    read = [r for r in rows if r["margin"] is not None]
    count = sum(r["margin"] < threshold for r in read)
    scores = sorted(r["margin"] + weight * r["cosine"] for r in read)
    cut = scores[0] - 1.0 if count == 0 else (scores[count - 1] + scores[count]) / 2
    return (cut - threshold) / weight


def rates(rows: list[dict], weight: float, reference: float, threshold: float) -> dict:
    """Abstained and EM (abstaining counts as wrong) of `rows` with these constants."""

    def answers(r: dict) -> bool:
        return r["margin"] is not None and sureness(r["margin"], r["cosine"], reference, weight) >= threshold

    return {
        "abstained": round(float(np.mean([not answers(r) for r in rows])), 4),
        "em": round(float(np.mean([answers(r) and r["em"] for r in rows])), 4),
    }


def fit(answerable: list[dict], removed: list[dict], threshold: float) -> tuple[list[dict], dict]:
    """Each weight with its reference and rates on both indexes, and the one fitted."""
    scored = []
    for weight in WEIGHTS:
        reference = reference_for(answerable, weight, threshold) if weight else 0.0
        scored.append(
            {
                "weight": weight,
                "reference": round(reference, 4),
                "answerable": rates(answerable, weight, reference, threshold),
                "answer_removed": rates(removed, weight, reference, threshold),
            }
        )
    best = max(scored, key=lambda s: (s["answer_removed"]["abstained"], -s["weight"]))
    return scored, best


def main() -> None:
    shared = shared_folder(__doc__)
    settings = Settings.from_env()
    share = Plan().heldout_share
    articles, questions = heldout_articles(shared / "train", share)
    without = [a for a in articles if not is_heldout(a.text, share)]
    encoder = CachingEncoder(load_encoder(settings), settings.home / "bench-cache.sqlite")
    reader = get_reader(settings)
    home = settings.home / "bench-abstention"
    reads = home / f"reads-{weights_hash(shipped_dir())}-{reader.precision}.json"
    if reads.is_file():
        kept = json.loads(reads.read_text(encoding="utf-8"))
    else:
        kept = {}
        for name, indexed in (("answerable", articles), ("answer_removed", without)):
            folder = home / name
            if not (folder / "CURRENT").is_file():
                build_index(indexed, encoder, folder, settings.chunking)
            started = time.perf_counter()
            retriever = Retriever(load_index(folder, encoder.model_id), encoder)
            kept[name] = read_chosen(retriever, reader, questions)
            kept[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
        home.mkdir(parents=True, exist_ok=True)
        reads.write_text(json.dumps(kept), encoding="utf-8")
    scored, best = fit(kept["answerable"], kept["answer_removed"], reader.threshold)
    out = {
        "questions": len(questions),
        "articles": len(articles),
        "articles_answer_removed": len(without),
        "precision": reader.precision,
        "reader_threshold": reader.threshold,
        "read_seconds": {name: kept[f"{name}_seconds"] for name in ("answerable", "answer_removed")},
        "margin_alone": scored[0],
        "fitted": best,
        "weights": scored,
    }
    path = ROOT / "bench" / "results" / f"abstention-{reader.precision}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in out.items() if k != "weights"}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
