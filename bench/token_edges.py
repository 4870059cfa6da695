"""Where a short answer ends when the reader's tokens cross words, measured on training data only.

    python bench/token_edges.py [--shared ../shared] [--sample 3000]

The reader points at whole tokens of the e5 (XLM-R) vocabulary, and a token may run from the
answer into the next word (日在 of 6月26日在). qa.answer.end_at_word_edge ends such a span at the
last word edge (jieba) inside its last token. Two measurements, neither on an evaluation set:
  gold     a random `--sample` of CMRC train + DRCD test answers: the share whose gold span is
           recovered (CMRC exact match) from its tokens, as tokens, widened to jieba's words (the
           rule before), and ended at the word edge inside the last token (now);
  reader   the reader's span on the gold paragraph of each held-out training question (the
           paragraphs qa.reader.train keeps apart): exact match of the span by the same rules.
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
from qa.answer import end_at_word_edge  # noqa: E402
from qa.reader.loading import get_reader  # noqa: E402
from qa.reader.metrics import exact_match  # noqa: E402
from qa.reader.spans import snap_to_text  # noqa: E402
from qa.reader.train import TRAIN_FILES, Plan, is_heldout, load_squad  # noqa: E402


def gold_recovery(tokenizer, words, paragraphs, questions, sample: int) -> dict:
    """The share of gold answers that qa.answer's edge rules recover from the answer's tokens
    (trimmed of edge punctuation as the reader trims them), by CMRC's exact match."""
    random.seed(0)
    hits = dict.fromkeys(RULES, 0)
    counted = 0
    for q in random.sample(questions, min(sample, len(questions))):
        context, answer = paragraphs[q.paragraph].context, q.answers[0]
        a, b = q.answer_start, q.answer_start + len(answer)
        if context[a:b] != answer:
            continue
        offsets = [o for o in tokenizer.encode(context, add_special_tokens=False).offsets if o[1] > o[0]]
        first = next(o for o in offsets if o[1] > a)
        last = [o for o in offsets if o[0] < b][-1]
        start, end = snap_to_text(context, first[0], last[1])
        counted += 1
        last_token = max(0, end - max(last[0], start))
        for rule, (s, e) in zip(
            RULES, edge_rules(context, start, end, last_token, words(context)), strict=True
        ):
            hits[rule] += exact_match(context[s:e], [answer])
    return {"answers": counted} | {rule: round(n / counted, 4) for rule, n in hits.items()}


RULES = ("as read", "widened to jieba words (before)", "ended at the word edge in its last token (now)")


def widened_to_words(start: int, end: int, words) -> tuple[int, int]:
    """The rule before, kept here to compare: an edge inside a jieba word of at most 4
    characters moved out to the word's edge."""
    for w_start, w_end in words:
        if w_end - w_start <= 4:
            start = w_start if w_start < start < w_end else start
            end = w_end if w_start < end < w_end else end
    return start, end


def edge_rules(text: str, start: int, end: int, last_token: int, words) -> list[tuple[int, int]]:
    """A read span as each of RULES leaves it."""
    return [
        (start, end),
        widened_to_words(start, end, words),
        (start, end_at_word_edge(text, start, end, words, last_token)),
    ]


def reader_heldout(reader, words, paragraphs, questions) -> dict:
    """Exact match of the reader's span on each held-out question's gold paragraph, by rule."""
    share = Plan().heldout_share
    held = [q for q in questions if is_heldout(paragraphs[q.paragraph].context, share)]
    scores = dict.fromkeys(RULES, 0.0)
    changed = 0
    for q in held:
        context = paragraphs[q.paragraph].context
        (span,) = reader.read(q.question, [context])
        if span is None:
            continue
        read = edge_rules(context, span.start, span.end, span.last_token, words(context))
        changed += read[1] != read[2]
        for rule, (s, e) in zip(RULES, read, strict=True):
            scores[rule] += exact_match(context[s:e], q.answers)
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
