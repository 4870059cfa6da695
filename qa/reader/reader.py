"""Question + passages -> the best answer span of each passage, with its no-answer margin.

`Reader.read(question, passages)` windows every passage (the card's max length, with a stride
for long ones), runs the span network on all windows in one batch, and keeps each passage's best
span (qa.reader.spans). The network runs in torch, or as the int8 OpenVINO model that
qa/reader/loading.py builds once per base model; both take the same token arrays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.reader.model import ReaderCard
from qa.reader.spans import snap_to_text, top_spans

__all__ = ["Reader", "ReaderSpan", "torch_runner"]

STRIDE = 48  # tokens shared by consecutive windows of a long passage
# A longer question is cut to this many characters. A character makes at most two tokens here
# (itself and a word-start piece), so the question never fills the 192-token window alone;
# Chinese runs ~0.75 tokens a character, so 90 characters is about 70 tokens.
MAX_QUESTION_CHARS = 90
BATCH = 16
# Spans of a window tried, best first, for one of the shape a question asks for (`fits`) that
# stays on one line.
CANDIDATES = 20
# An article's opening credit names the outlet, not what happened: 央视网消息（新闻联播）：, 本报讯.
# No span is read inside it, else 在哪里举行 is answered 央视网 when the passage never says where.
# (Bylines after 本报讯, （记者 朱梦琪）, stay readable: who wrote a story is asked.)
_CREDIT = re.compile(
    r"^\s*(?:[^，。：:\s]{2,16}?消息(?:（[^）]{0,20}）|\([^)]{0,20}\))?[：:]|(?:本|[^，。：:\s（(]{1,6}[网社台报])[报刊]?讯)"
)

# (input_ids, attention_mask) -> (start_logits, end_logits), all [windows, tokens]
Runner = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class ReaderSpan:
    passage: int  # index into the passages given to read()
    start: int  # character offsets in that passage
    end: int
    text: str
    margin: float  # best span score minus the no-answer score: >= Reader.threshold means "answer"
    # Characters of the span's last token (0: it was trimmed away): the reader can only point at
    # whole tokens, and a token may run past the answer's last word (日在 of 6月26日在).
    last_token: int = 0


def torch_runner(model) -> Runner:
    import torch

    model.eval()

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(input_ids), attention_mask=torch.from_numpy(attention_mask)
            )
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()

    return run


@dataclass
class Reader:
    tokenizer: object  # tokenizers.Tokenizer of the base model (its tokenizer.json)
    run: Runner
    card: ReaderCard
    precision: str  # "int8" (OpenVINO) or "fp32" (torch)
    pad_id: int = 1

    def __post_init__(self) -> None:
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.card.max_length, stride=STRIDE, strategy="only_second")

    @property
    def threshold(self) -> float:
        """The no-answer margin calibrated for this reader's precision."""
        return self.card.threshold(self.precision)

    def read(
        self,
        question: str,
        passages: Sequence[str],
        max_tokens: int | None = None,
        fits: Callable[..., bool] | None = None,
    ) -> list[ReaderSpan | None]:
        """Each passage's best span (None when it has none), in the order given; spans are at
        most `max_tokens` long (default: the card's limit) and never cross a line break. With
        `fits` (called with a span and the passage's text before and after it), a passage's best
        span is the best one that fits among each window's first CANDIDATES and overlaps none of
        the better ones that do not fit (None when there is none)."""
        question = question[:MAX_QUESTION_CHARS]
        windows = [
            (number, window)
            for number, encoding in enumerate(self.tokenizer.encode_batch([(question, p) for p in passages]))
            for window in (encoding, *encoding.overflowing)
        ]
        if not windows:
            return []
        starts, ends = self._logits([w for _, w in windows])
        best: list[ReaderSpan | None] = [None] * len(passages)
        credits = [m.end() if (m := _CREDIT.match(p)) else 0 for p in passages]
        for row, (number, window) in enumerate(windows):
            offsets = np.array(window.offsets)
            mask = np.array([sid == 1 for sid in window.sequence_ids]) & (offsets[:, 0] >= credits[number])
            spans = top_spans(
                starts[row],
                ends[row],
                offsets,
                mask,
                max_tokens or self.card.max_answer_tokens,
                CANDIDATES,
            )
            text = passages[number]
            unfit: list[tuple[int, int]] = []  # spans of the wrong shape, and what overlaps them
            for span in spans:
                if best[number] is not None and best[number].margin >= span.margin:
                    break
                start, end = snap_to_text(text, span.start, span.end)
                if start >= end or any(start < u_end and u_start < end for u_start, u_end in unfit):
                    continue
                if "\n" in text[start:end]:
                    # An answer never runs from one line into the next: a headline into its
                    # story (18项便利措施服务保障广交会\n今天（4月9日）…), one item of a list into
                    # another. The spans inside either line stay candidates.
                    continue
                if fits is not None and not fits(text[start:end], text[:start], text[end:]):
                    # 在刚刚闭幕 is no place, and 在刚刚闭幕的中央经济工作会议上 no better one.
                    unfit.append((start, end))
                    continue
                last_token = max(0, end - max(span.last_token_start, start))
                best[number] = ReaderSpan(number, start, end, text[start:end], span.margin, last_token)
                break
        return best

    def _logits(self, windows: list) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits of every window, run in batches padded to the batch's longest."""
        # Lengths rounded up to a multiple of 32: OpenVINO keeps buffers per input shape.
        width = -(-max(len(w.ids) for w in windows) // 32) * 32
        starts = np.full((len(windows), width), -np.inf, dtype=np.float32)
        ends = starts.copy()
        for first in range(0, len(windows), BATCH):
            part = windows[first : first + BATCH]
            longest = -(-max(len(w.ids) for w in part) // 32) * 32
            ids = np.full((len(part), longest), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(part), longest), dtype=np.int64)
            for row, window in enumerate(part):
                ids[row, : len(window.ids)] = window.ids
                mask[row, : len(window.ids)] = 1
            start, end = self.run(ids, mask)
            starts[first : first + len(part), :longest] = start
            ends[first : first + len(part), :longest] = end
        return starts, ends
