"""Answer quality on the sample: does the cited answer contain an accepted answer, and does the
assistant abstain exactly when the pages cannot answer?

    python bench/answers.py [--shared ../shared]

Builds the bundled sample's index in a temporary folder with the default model, answers every
question of ../shared/eval/wujin_questions.jsonl with `qa.answer`, and writes
bench/results/answers.json and the README table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme import replace_section  # noqa: E402
from embeddings.build import build_from_paths  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from qa.answer import answer_with  # noqa: E402
from qa.retrieve import get_retriever  # noqa: E402


def judge(row: dict, result) -> bool:
    if not row["answers"]:
        return result.abstained
    return not result.abstained and any(a in result.text for a in row["answers"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (args.shared / "eval/wujin_questions.jsonl").open(encoding="utf-8")]
    with tempfile.TemporaryDirectory(prefix="newsqa-answers-") as tmp:
        settings = replace(Settings.from_env(), index_dir=Path(tmp) / "index")
        build_from_paths([], settings)
        retriever = get_retriever(settings)
        started = time.perf_counter()
        results = [(row, answer_with(retriever, row["question"])) for row in rows]
        seconds = time.perf_counter() - started
    answerable = [(row, r) for row, r in results if row["answers"]]
    unanswerable = [(row, r) for row, r in results if not row["answers"]]
    summary = {
        "answerable_correct": sum(judge(row, r) for row, r in answerable),
        "answerable": len(answerable),
        "unanswerable_abstained": sum(judge(row, r) for row, r in unanswerable),
        "unanswerable": len(unanswerable),
        "short_answers": sum(r.short_answer is not None for _, r in answerable),
        "mean_seconds": round(seconds / len(rows), 3),
    }
    details = [
        {
            "id": row["id"],
            "question": row["question"],
            "expected": row["answers"],
            "short_answer": r.short_answer,
            "abstained": r.abstained,
            "correct": judge(row, r),
            "answer": r.text,
        }
        for row, r in results
    ]
    out = ROOT / "bench" / "results" / "answers.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "questions": details}, ensure_ascii=False, indent=2))
    table = (
        "| answerable answered correctly | unanswerable abstained | with a short answer | mean time |\n"
        "|---|---|---|---|\n"
        f"| {summary['answerable_correct']}/{summary['answerable']} "
        f"({summary['answerable_correct'] / summary['answerable']:.0%}) "
        f"| {summary['unanswerable_abstained']}/{summary['unanswerable']} "
        f"| {summary['short_answers']}/{summary['answerable']} | {summary['mean_seconds']} s |"
    )
    replace_section("answers-bench", table)
    print(json.dumps(summary, indent=1))
    for d in details:
        if not d["correct"]:
            print("wrong:", d["question"], d["expected"], "->", d["answer"][:80])


if __name__ == "__main__":
    main()
