"""Whether a span has the shape its question asks for, measured on training data only.

    python bench/answer_shapes.py [--shared ../shared]

qa.question_types.answer_shape says what a span must hold to answer a question (a number for
多少公里, a ratio for 占比多少, a time word for 什么时候, a noun for 谁 and 哪里, the count of the
thing asked for 多少灯笼 where the passage counts it), and the reader takes each window's
best span that holds it and overlaps no better span that does not. Two measurements, neither
on an evaluation set:
  gold     every CMRC train + DRCD test question: how many are shaped, and how many gold
           answers lack their shape (a rejected gold answer is an answer the check loses);
  reader   the held-out training questions (the paragraphs qa.reader.train keeps apart), each
           over its gold paragraph: the reader's exact match and abstentions (no span reaching
           the card's threshold) with and without the check.
Results: bench/results/answer_shapes.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.settings import Settings  # noqa: E402
from qa.question_types import answer_shape, classify  # noqa: E402
from qa.reader.loading import get_reader  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout, load_squad  # noqa: E402

EXAMPLES = 10  # rejected gold answers kept per kind, to read


def gold_shapes(paragraphs, questions) -> dict:
    """Per question kind: questions, those shaped, gold answers lacking the shape (examples).
    The first accepted answer is checked in its paragraph (the text before and after it), the
    others alone."""
    counts: Counter = Counter()
    rejected: dict[str, list] = {}
    for q in questions:
        kind = classify(q.question).value
        shape = answer_shape(q.question)
        counts[f"{kind} questions"] += 1
        if shape is None:
            continue
        counts[f"{kind} shaped"] += 1
        context = paragraphs[q.paragraph].context
        end = q.answer_start + len(q.answers[0])
        in_place = shape(q.answers[0], context[: q.answer_start], context[end:])
        if not in_place and not any(shape(answer) for answer in q.answers[1:]):
            counts[f"{kind} rejected"] += 1
            rejected.setdefault(kind, []).append([q.question, q.answers[0]])
    shaped = sum(v for k, v in counts.items() if k.endswith("shaped"))
    lost = sum(v for k, v in counts.items() if k.endswith("rejected"))
    return {
        "questions": len(questions),
        "shaped": shaped,
        "rejected": lost,
        "by_kind": dict(sorted(counts.items())),
        "examples": {kind: items[:EXAMPLES] for kind, items in rejected.items()},
    }


def reader_heldout(reader, paragraphs, questions) -> dict:
    """The reader on each shaped held-out question's gold paragraph, with and without the check."""
    share = Plan().heldout_share
    held = [
        q
        for q in questions
        if is_heldout(paragraphs[q.paragraph].context, share) and answer_shape(q.question)
    ]
    result = {}
    for name, shaped in (("without", False), ("with", True)):
        em = abstained = 0.0
        for q in held:
            context = paragraphs[q.paragraph].context
            (span,) = reader.read(q.question, [context], fits=answer_shape(q.question) if shaped else None)
            if span is None or span.margin < reader.threshold:
                abstained += 1
                continue
            em += exact_match(span.text, q.answers)
        result[name] = {"em": round(em / len(held), 4), "abstained": round(abstained / len(held), 4)}
    return {"questions": len(held)} | result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    reader = get_reader(Settings.from_env())
    paragraphs, questions = load_squad([args.shared / "train" / name for name in TRAIN_FILES])
    result = {
        "reader_precision": reader.precision,
        "gold": gold_shapes(paragraphs, questions),
        "reader": reader_heldout(reader, paragraphs, questions),
    }
    path = ROOT / "bench" / "results" / "answer_shapes.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "gold"} | {"gold": result["gold"]["by_kind"]}))


if __name__ == "__main__":
    main()
