"""Answer quality and latency: the span reader against the old sentence scorer, in one run.

    python bench/answers.py [--shared ../shared] [--phases sample,cmrc,abstain,xquad,drcd]
                            [--fresh | --reread]

Phases:
  sample   the bundled pages and ../shared/eval/wujin_questions.jsonl: does the answer contain an
           accepted answer, does it lead with it (first 40 characters), does the unanswerable
           question abstain.
  cmrc     open-book CMRC 2018 dev: all 3,219 questions over the 2,088-paragraph corpus of
           bench/retrieval.py (CMRC dev + XQuAD-zh + DRCD dev as distractors), the project's own
           retrieval. Short-answer exact match and character F1 (CMRC's official metric), answer
           text contains an accepted answer, its first 40 characters do, hit@1 of the first
           passage after re-ranking, abstention rate, and answer latency p50 / p95.
  abstain  a fixed random 300 of those questions over the corpus without their paragraphs: the
           share that abstains.
  xquad    the same, for the 1,190 XQuAD-zh questions over the same corpus (which holds their
  drcd     paragraphs), and for the 3,524 DRCD dev questions (converted to simplified): the
           reader checked on sets of other writers and sources than its training data's.
  int8     the first 300 CMRC questions again with the int8 reader, for its quality and latency
           where `auto` chose fp32 (CPUs without VNNI/AMX).
Each method's answers are kept per question in <home>/bench-answers/progress.jsonl, so a stopped
run resumes where it was (--fresh starts over); a reader's answers count only for the weights
and the reading (threshold, passages read, rank penalty, cosine weight) that made them, so a
change is measured anew.
Vectors are cached in <home>/bench-cache.sqlite.
Results go to bench/results/answers.json and the README.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.readme import replace_section  # noqa: E402
from bench.retrieval import cmrc_corpus, squad_paragraphs  # noqa: E402
from embeddings.articles import Article  # noqa: E402
from embeddings.build import build_from_paths, build_index  # noqa: E402
from embeddings.encoding.embedding_cache import CachingEncoder  # noqa: E402
from embeddings.encoding.encoder import load_encoder  # noqa: E402
from embeddings.settings import Settings  # noqa: E402
from embeddings.store.index import load_index  # noqa: E402
from embeddings.store.keywords import to_simplified  # noqa: E402
from qa.answer import (  # noqa: E402
    COSINE_WEIGHT,
    RANK_PENALTY,
    READ_PASSAGES,
    READ_WHOLE,
    REFERENCE_COSINE,
    SURE_MARGIN,
    Answer,
    answer_with,
)
from qa.reader.loading import get_reader, reader_precision, weights_hash  # noqa: E402
from qa.reader.metrics import exact_match, f1  # noqa: E402
from qa.reader.model import read_card, shipped_dir  # noqa: E402
from qa.retrieve import Retriever, get_retriever  # noqa: E402

METHODS = ("sentences", "reader", "reader without people table")
ABSTAIN_QUESTIONS = 300
INT8_QUESTIONS = 300
LEAD_CHARS = 40


@dataclass(frozen=True)
class Item:
    qid: str
    question: str
    answers: tuple[str, ...]  # empty: the corpus cannot answer it


class Progress:
    """Per-question records of one phase and method, appended as they are made. `frozen`: answer
    nothing new, summarise what a stopped run has (its tables then say how many it covers)."""

    def __init__(self, path: Path, fresh: bool, frozen: bool = False) -> None:
        self.frozen = frozen
        path.parent.mkdir(parents=True, exist_ok=True)
        if fresh and path.exists():
            path.unlink()
        self.path = path
        self.done: dict[tuple[str, str, str], dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                self.done[(row["phase"], row["method"], row["qid"])] = row

    def add(self, row: dict) -> None:
        self.done[(row["phase"], row["method"], row["qid"])] = row
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")

    def forget_other_readers(self, reader: str) -> None:
        """Drop reader answers made otherwise than `reader` says (the sentence scorer's stay)."""
        self.done = {
            key: row
            for key, row in self.done.items()
            if row["method"] == "sentences" or row.get("reader") == reader
        }


@functools.cache
def reader_setup() -> str:
    """What makes a reader's answers: the shipped weights, the precision they run at here (as
    NEWSQA_PRECISION says) and its threshold, and how qa.answer reads with them."""
    precision = reader_precision(Settings.from_env())
    return (
        f"{weights_hash(shipped_dir())} at {precision}, threshold "
        f"{read_card(shipped_dir()).threshold(precision)}, "
        f"first chunk sure at {SURE_MARGIN}, else {READ_PASSAGES} passages read ({READ_WHOLE} whole), "
        f"rank penalty {RANK_PENALTY}, sure at margin + {COSINE_WEIGHT} * (cosine - {REFERENCE_COSINE})"
    )


def record(phase: str, method: str, item: Item, result: Answer, seconds: float) -> dict:
    short = result.short_answer or ""
    first = result.citations[0].hit if result.citations else (result.related[0] if result.related else None)
    return {
        "phase": phase,
        "method": method,
        "qid": item.qid,
        "question": item.question,
        "expected": list(item.answers),
        "abstained": result.abstained,
        "short_answer": result.short_answer,
        "confidence": result.confidence,
        "text": result.text,
        "em": exact_match(short, item.answers) if item.answers and not result.abstained else 0.0,
        "f1": f1(short, item.answers) if item.answers and not result.abstained else 0.0,
        "contains": not result.abstained and any(a in result.text for a in item.answers),
        "leads": not result.abstained and any(a in result.text[:LEAD_CHARS] for a in item.answers),
        "hit1": first is not None and any(a in first.text for a in item.answers),
        "seconds": round(seconds, 4),
        "reader": None if method == "sentences" else reader_setup(),
    }


def answer_all(
    phase: str,
    retriever: Retriever,
    items: Sequence[Item],
    progress: Progress,
    settings: Settings,
    methods: Sequence[str] = METHODS[:2],
) -> dict[str, list[dict]]:
    """Every item answered by each method (resuming from `progress`)."""
    reader = get_reader(settings)
    options = {
        "sentences": {"reader": None},
        "reader": {"reader": reader},
        "reader without people table": {"reader": reader, "people_table": False},
        "reader int8": {
            "reader": get_reader(replace(settings, precision="int8")) if "reader int8" in methods else None
        },
    }
    rows: dict[str, list[dict]] = {}
    for method in methods:
        started, count = time.perf_counter(), 0
        for item in items:
            if (phase, method, item.qid) in progress.done or progress.frozen:
                continue
            t = time.perf_counter()
            result = answer_with(retriever, item.question, **options[method])
            progress.add(record(phase, method, item, result, time.perf_counter() - t))
            count += 1
            if count % 250 == 0:
                print(
                    f"  {phase} {method}: {count} answered, {time.perf_counter() - started:.0f}s", flush=True
                )
        rows[method] = [
            progress.done[key] for item in items if (key := (phase, method, item.qid)) in progress.done
        ]
    if progress.frozen:  # a stopped run: compare the methods on the questions all of them answered
        common = set.intersection(*({r["qid"] for r in rs} for rs in rows.values()))
        rows = {method: [r for r in rs if r["qid"] in common] for method, rs in rows.items()}
    return rows


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def mean(key: str, rows: list[dict]) -> float:
    return round(statistics.fmean(float(r[key]) for r in rows), 4)


def summarize(rows: list[dict]) -> dict:
    if not rows:
        return {}
    answerable = [r for r in rows if r["expected"]]
    unanswerable = [r for r in rows if not r["expected"]]
    out = {"questions": len(rows)}
    if answerable:
        out |= {key: mean(key, answerable) for key in ("em", "f1", "contains", "leads", "hit1")}
        out["answerable_abstained"] = mean("abstained", answerable)
    if unanswerable:
        out["unanswerable_abstained"] = mean("abstained", unanswerable)
    seconds = [r["seconds"] for r in rows]
    out |= {
        "p50_ms": round(1000 * percentile(seconds, 0.5), 1),
        "p95_ms": round(1000 * percentile(seconds, 0.95), 1),
    }
    return out


def sample_phase(shared: Path, settings: Settings, work: Path, progress: Progress) -> dict:
    rows = [json.loads(line) for line in (shared / "eval/wujin_questions.jsonl").open(encoding="utf-8")]
    items = [Item(r["id"], r["question"], tuple(r["answers"])) for r in rows]
    sample = replace(settings, index_dir=work / "sample-index")
    build_from_paths([], sample)
    answered = answer_all("sample", get_retriever(sample), items, progress, settings, METHODS)
    return {method: summarize(rs) for method, rs in answered.items()} | {"rows": answered}


EVAL_SETS = {  # phase -> its file under ../shared/eval and whether it is in traditional script
    "cmrc": ("cmrc2018/cmrc2018_dev.json", False),
    "xquad": ("xquad_zh/xquad.zh.json", False),
    "drcd": ("drcd/DRCD_dev.json", True),
}


def squad_items(shared: Path, phase: str) -> list[Item]:
    name, traditional = EVAL_SETS[phase]
    convert = to_simplified if traditional else (lambda text: text)
    return [
        Item(
            qa["id"],
            convert(qa["question"]),
            tuple(dict.fromkeys(convert(a["text"]) for a in qa["answers"] if a["text"])),
        )
        for _, _, qas in squad_paragraphs(shared / "eval" / name)
        for qa in qas
    ]


def cmrc_items(shared: Path) -> list[Item]:
    return squad_items(shared, "cmrc")


def retriever_over(
    articles: list[Article], encoder: CachingEncoder, settings: Settings, folder: Path
) -> Retriever:
    if not (folder / "CURRENT").is_file():
        started = time.perf_counter()
        build_index(articles, encoder, folder, settings.chunking)
        print(
            f"  built {folder.name}: {len(articles)} articles in {time.perf_counter() - started:.0f}s",
            flush=True,
        )
    return Retriever(load_index(folder, encoder.model_id), encoder)


def open_book_phase(
    phase: str, shared: Path, settings: Settings, encoder: CachingEncoder, work: Path, progress: Progress
) -> dict:
    """One evaluation set's questions over the whole 2,088-paragraph corpus (it holds all three
    sets' paragraphs)."""
    corpus = cmrc_corpus(shared)
    retriever = retriever_over(corpus.articles, encoder, settings, work / "cmrc-index")
    answered = answer_all(phase, retriever, squad_items(shared, phase), progress, settings)
    return {method: summarize(rs) for method, rs in answered.items()}


def abstain_phase(
    shared: Path, settings: Settings, encoder: CachingEncoder, work: Path, progress: Progress
) -> dict:
    """The fixed 300 questions over the corpus without the paragraphs that answer them."""
    corpus = cmrc_corpus(shared)
    cmrc = squad_paragraphs(shared / "eval/cmrc2018/cmrc2018_dev.json")
    paragraph_of = {qa["id"]: i for i, (_, _, qas) in enumerate(cmrc) for qa in qas}
    chosen = random.Random(2018).sample(cmrc_items(shared), ABSTAIN_QUESTIONS)
    removed = {f"p{paragraph_of[item.qid]}" for item in chosen}
    kept = [a for a in corpus.articles if a.source not in removed]
    retriever = retriever_over(kept, encoder, settings, work / "abstain-index")
    items = [Item(item.qid, item.question, ()) for item in chosen]  # nothing left can answer them
    answered = answer_all("abstain", retriever, items, progress, settings)
    return {method: summarize(rs) | {"removed_paragraphs": len(removed)} for method, rs in answered.items()}


def int8_phase(
    shared: Path, settings: Settings, encoder: CachingEncoder, work: Path, progress: Progress
) -> dict:
    retriever = retriever_over(cmrc_corpus(shared).articles, encoder, settings, work / "cmrc-index")
    items = cmrc_items(shared)[:INT8_QUESTIONS]
    answered = answer_all("int8", retriever, items, progress, settings, ("reader int8",))
    fp32 = [
        progress.done[("cmrc", "reader", item.qid)]
        for item in items
        if ("cmrc", "reader", item.qid) in progress.done
    ]
    return {
        "reader int8": summarize(answered["reader int8"]),
        "reader (same questions)": summarize(fp32) if fp32 else {},
    }


def readme_table(results: dict, card: dict) -> str:
    lines = [
        "| set | method | EM | F1 | contains answer | leads with it | hit@1 | answerable abstained "
        "| unanswerable abstained | p50 / p95 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "cmrc": "CMRC dev open-book",
        "abstain": "CMRC, answer removed",
        "xquad": "XQuAD-zh open-book",
        "drcd": "DRCD dev open-book",
        "sample": "sample pages",
        "int8": "CMRC dev, first questions",
    }
    for phase, name in names.items():
        for method in (*METHODS, "reader int8", "reader (same questions)"):
            s = results.get(phase, {}).get(method)
            if not s:
                continue
            cells = [
                f"{s[k]:.3f}" if k in s else "–"
                for k in (
                    "em",
                    "f1",
                    "contains",
                    "leads",
                    "hit1",
                    "answerable_abstained",
                    "unanswerable_abstained",
                )
            ]
            lines.append(
                f"| {name} ({s['questions']:,}) | {method} | "
                + " | ".join(cells)
                + f" | {s['p50_ms']:.0f} / {s['p95_ms']:.0f} ms |"
            )
    lines.append("")
    lines.append(
        f"Reader: {card['precision']}, trained {card['minutes']:.0f} min"
        + (f" and refined {card['refined_minutes']:.0f} min" if card.get("refined_minutes") else "")
        + ", "
        f"shipped weights {card['mb']:.1f} MB, load {card['load_seconds']:.1f} s (warm cache)."
    )
    return "\n".join(lines)


def reader_facts(settings: Settings) -> dict:
    from qa.reader.loading import load_reader
    from qa.reader.model import READER_WEIGHTS, read_card, shipped_dir

    started = time.perf_counter()
    reader = load_reader(settings)  # the int8 model is cached by now: this is a warm load
    card = read_card()
    return {
        "precision": reader.precision,
        "load_seconds": round(time.perf_counter() - started, 2),
        "mb": (shipped_dir() / READER_WEIGHTS).stat().st_size / 1e6,
        "minutes": card.training["seconds"] / 60,
        "refined_minutes": card.training.get("refinement", {"seconds": 0})["seconds"] / 60,
        "threshold": reader.threshold,
        "heldout": card.scores(reader.precision),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--phases", default="sample,cmrc,abstain,xquad,drcd")
    parser.add_argument("--fresh", action="store_true", help="discard the answers of a stopped run")
    parser.add_argument("--summarize", action="store_true", help="answer nothing: tables of what is done")
    parser.add_argument(
        "--reread",
        action="store_true",
        help="answer again with the reader after a change its setup does not name (span rules); "
        "the sentence scorer's answers stay",
    )
    args = parser.parse_args()
    settings = Settings.from_env()
    work = settings.home / "bench-answers"
    progress = Progress(work / "progress.jsonl", args.fresh, frozen=args.summarize)
    progress.forget_other_readers("" if args.reread else reader_setup())
    out_path = ROOT / "bench" / "results" / "answers.json"
    results = json.loads(out_path.read_text(encoding="utf-8")).get("results", {}) if out_path.exists() else {}
    phases = args.phases.split(",")
    known = ("sample", "cmrc", "abstain", "xquad", "drcd", "int8")
    if unknown := set(phases) - set(known):
        parser.error(f"unknown phase {', '.join(sorted(unknown))}: choose from {', '.join(known)}")
    encoder = CachingEncoder(load_encoder(settings), settings.home / "bench-cache.sqlite")
    started = time.perf_counter()
    for phase in phases:
        print(f"{phase}…", flush=True)
        if phase == "sample":
            results["sample"] = sample_phase(args.shared, settings, work, progress)
        elif phase in EVAL_SETS:
            results[phase] = open_book_phase(phase, args.shared, settings, encoder, work, progress)
        elif phase == "abstain":
            results["abstain"] = abstain_phase(args.shared, settings, encoder, work, progress)
        elif phase == "int8":
            results["int8"] = int8_phase(args.shared, settings, encoder, work, progress)
        print(
            json.dumps({m: results[phase][m] for m in METHODS if m in results[phase]}, indent=1), flush=True
        )
    facts = reader_facts(settings)
    out = {
        "reader": facts,
        "encoder_precision": encoder.precision,
        "seconds": round(time.perf_counter() - started, 1),
        "results": results,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    replace_section("answers-bench", readme_table(results, facts))


if __name__ == "__main__":
    main()
