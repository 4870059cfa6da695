"""Our own questions on newspaper text, answered as a user gets them: right, leading, or abstaining.

    python bench/probe.py [--shared ../shared] [--probes wujin,xwlb]

Probes (questions and accepted answers in bench/labels/, written by developers; see its README):
  wujin  wujin_probe_questions.jsonl over the bundled sample pages;
  xwlb   xwlb_probe_questions.jsonl over the 2024 news archive (../shared/corpus/xwlb, 5,042
         stories: the index is built once into <home>/bench-probe-xwlb, ~5 min on 2 cores).
A question is right when the answer text contains an accepted answer (when it has none: when it
abstains), and leads when its first 40 characters do. A question with `follow_up_of` is asked
after that question, with its answer as the conversation. Read the misses; these are checks of
text the evaluation sets do not cover, not targets: nothing is fitted on them.
Results: bench/results/probe-<name>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.build import build_from_paths  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from qa.answer import answer_with  # noqa: E402
from qa.history import Turn  # noqa: E402
from qa.reader.loading import get_reader  # noqa: E402
from qa.retrieve import get_retriever  # noqa: E402

LEAD_CHARS = 40
PROBES = {  # name -> (labels file, sources under ../shared; none: the bundled sample)
    "wujin": ("wujin_probe_questions.jsonl", ()),
    "xwlb": ("xwlb_probe_questions.jsonl", ("corpus/xwlb/xwlb_2024.jsonl",)),
}


def run_probe(name: str, shared: Path, settings: Settings) -> dict:
    labels, sources = PROBES[name]
    rows = [json.loads(line) for line in (ROOT / "bench" / "labels" / labels).open(encoding="utf-8")]
    index = replace(settings, index_dir=settings.home / f"bench-probe-{name}")
    build_from_paths([shared / source for source in sources], index)
    retriever, reader = get_retriever(index), get_reader(settings)
    asked: dict[str, str] = {}  # question -> its answer text, for the follow-ups
    results = []
    for row in rows:
        before = row.get("follow_up_of")
        if before and before not in asked:
            asked[before] = answer_with(retriever, before, reader=reader).text
        history = [Turn(before, asked[before])] if before else []
        result = answer_with(retriever, row["question"], history, reader=reader)
        asked[row["question"]] = result.text
        accepted = row["answers"]
        if accepted:
            right = not result.abstained and any(a in result.text for a in accepted)
            lead = not result.abstained and any(a in result.text[:LEAD_CHARS] for a in accepted)
        else:
            right = lead = result.abstained
        results.append(
            {
                "id": row["id"],
                "question": row["question"],
                "right": right,
                "leads": lead,
                "short_answer": result.short_answer,
                "abstained": result.abstained,
                "text": result.text[:LEAD_CHARS],  # the archive's text is not ours to keep in full
            }
        )
    return {
        "questions": len(results),
        "right": sum(r["right"] for r in results),
        "leads": sum(r["leads"] for r in results),
        "reader_precision": reader.precision,
        "rows": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--probes", default=",".join(PROBES))
    args = parser.parse_args()
    names = args.probes.split(",")
    if unknown := set(names) - set(PROBES):
        parser.error(f"unknown probe {', '.join(sorted(unknown))}: choose from {', '.join(PROBES)}")
    settings = Settings.from_env()
    for name in names:
        result = run_probe(name, args.shared, settings)
        path = ROOT / "bench" / "results" / f"probe-{name}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {result['right']}/{result['questions']} right, {result['leads']} lead")
        for row in result["rows"]:
            if not row["right"] or not row["leads"]:
                print(
                    f"  {'MISS' if not row['right'] else 'NOLEAD'} {row['question']} | {row['text'][:80]!r}"
                )


if __name__ == "__main__":
    main()
