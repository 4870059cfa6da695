"""Where a short answer ends when the reader's tokens cross words, measured on training data only.

    python bench/token_edges.py [--shared ../shared] [--sample 3000]

The reader points at whole tokens of the e5 (XLM-R) vocabulary, and a token may run from the
answer into the next word (日在 of 6月26日在). qa.answer.whole_words ends such a span at the last
word edge (jieba) inside its last token. Two measurements, neither on an evaluation set:
  gold     a random `--sample` of CMRC train + DRCD test answers: the share whose gold span is
           recovered exactly from its tokens, as tokens and after each rule (first or last word
           edge inside the last token; also moving the start);
  reader   the reader's span on the gold paragraph of each held-out training question (the
           paragraphs qa.reader.train keeps apart): exact match of the span as read, widened to
           whole words (the previous rule), and ended at the token's last word edge first (now).
Results: bench/results/token_edges.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tokenizers import Tokenizer  # noqa: E402

from embeddings.settings import Settings  # noqa: E402
from embeddings.store.keywords import KeywordTokenizer  # noqa: E402
from qa.answer import whole_words  # noqa: E402
from qa.reader.loading import get_reader  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout, load_squad  # noqa: E402


def edge_rules(first: tuple[int, int], last: tuple[int, int], edges: set[int]):
    """(rule, start, end) for an answer's first and last tokens: as tokens, and moved to word edges."""
    inner_end = sorted(x for x in edges if last[0] < x < last[1])
    inner_start = sorted(x for x in edges if first[0] < x < first[1])
    ends = {
        "tokens": last[1],
        "end at first edge": inner_end[0] if inner_end else last[1],
        "end at last edge": inner_end[-1] if inner_end else last[1],
    }
    for name, end in ends.items():
        yield name, first[0], end
        yield f"{name}, start at last edge", inner_start[-1] if inner_start else first[0], end


def gold_recovery(tokenizer, words, paragraphs, questions, sample: int) -> dict:
    random.seed(0)
    hits: dict[str, int] = {}
    counted = 0
    for q in random.sample(questions, min(sample, len(questions))):
        context, answer = paragraphs[q.paragraph].context, q.answers[0]
        a, b = q.answer_start, q.answer_start + len(answer)
        if context[a:b] != answer:
            continue
        offsets = [o for o in tokenizer.encode(context, add_special_tokens=False).offsets if o[1] > o[0]]
        first = next(o for o in offsets if o[1] > a)
        last = [o for o in offsets if o[0] < b][-1]
        edges = {x for span in words(context) for x in span}
        counted += 1
        for name, s, e in edge_rules(first, last, edges):
            hits[name] = hits.get(name, 0) + (s == a and e == b)
    return {"answers": counted} | {name: round(n / counted, 4) for name, n in hits.items()}


def reader_heldout(reader, words, paragraphs, questions) -> dict:
    share = Plan().heldout_share
    held = [q for q in questions if is_heldout(paragraphs[q.paragraph].context, share)]
    scores = dict.fromkeys(
        ("as read", "whole words (before)", "token's last word edge, whole words (now)"), 0.0
    )
    changed = 0
    for q in held:
        context = paragraphs[q.paragraph].context
        (span,) = reader.read(q.question, [context])
        if span is None:
            continue
        spans = words(context)
        before = whole_words(context, span.start, span.end, spans)
        now = whole_words(context, span.start, span.end, spans, span.last_token)
        changed += before != now
        scores["as read"] += exact_match(span.text, q.answers)
        scores["whole words (before)"] += exact_match(context[slice(*before)], q.answers)
        scores["token's last word edge, whole words (now)"] += exact_match(context[slice(*now)], q.answers)
    return {"questions": len(held), "changed": changed} | {
        k: round(v / len(held), 4) for k, v in scores.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sample", type=int, default=3000)
    args = parser.parse_args()
    settings = Settings.from_env()
    reader = get_reader(settings)
    tokenizer = Tokenizer.from_str(reader.tokenizer.to_str())  # a copy: the reader's one windows
    tokenizer.no_truncation()
    words = KeywordTokenizer().word_spans
    paragraphs, questions = load_squad([args.shared / "train" / name for name in TRAIN_FILES])
    result = {
        "reader_precision": reader.precision,
        "gold": gold_recovery(tokenizer, words, paragraphs, questions, args.sample),
        "reader": reader_heldout(reader, words, paragraphs, questions),
    }
    path = ROOT / "bench" / "results" / "token_edges.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
