"""Start/end logits of one window -> the best answer span in characters, and its no-answer margin.

Pure functions over arrays (no model): SQuAD 2.0 style. A window is [CLS] question [SEP][SEP]
passage [SEP]; position 0 (CLS) is "no answer". A span's score is start[s] + end[e] over passage
tokens with s <= e < s + max_tokens; the margin is the best span's score minus the CLS score, and
the reader abstains when no window's margin reaches the calibrated threshold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

__all__ = ["SpanScore", "snap_to_text", "top_spans"]

# Characters a span never begins or ends with: an answer is 2.3公里, not ，2.3公里。
_EDGE_PUNCTUATION = set(" \t\n\r，。、；：！？,.;:!?…—-·（）()《》〈〉「」『』【】“”‘’\"'")
_OPENERS = {"《": "》", "“": "”", "「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "‘": "’"}
# Runs a span never starts or ends inside: a number (1851, 2.3, 25,000) or a Latin word. The
# reader's pieces split them (▁18 51), and 51年 for 1851年 is a wrong answer, not a shorter one.
_RUN = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[A-Za-z]+")
_RUN_REACH = 40  # characters either side searched for the run around an edge


@dataclass(frozen=True)
class SpanScore:
    start: int  # character offsets in the passage
    end: int
    score: float  # start logit + end logit
    margin: float  # score minus the no-answer score
    last_token_start: int  # where the span's last token begins: a token may cross words (日在)


def top_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: np.ndarray,
    passage_mask: np.ndarray,
    max_tokens: int = 40,
    count: int = 1,
) -> list[SpanScore]:
    """The `count` highest-scoring passage spans of one window, best first (none when the window
    has no passage)."""
    positions = np.flatnonzero(passage_mask)
    if positions.size == 0:
        return []
    start, end = start_logits[positions], end_logits[positions]
    # scores[i, j] = start[i] + end[j] for passage tokens i <= j < i + max_tokens
    scores = start[:, None] + end[None, :]
    i, j = np.indices(scores.shape)
    scores = np.where((j >= i) & (j < i + max_tokens), scores, -np.inf).ravel()
    count = min(count, int(np.isfinite(scores).sum()))
    best = np.argpartition(-scores, count - 1)[:count] if count < scores.size else np.arange(scores.size)
    best = best[np.argsort(-scores[best], kind="stable")][:count]
    null = float(start_logits[0] + end_logits[0])
    spans = []
    for flat in best:
        s, e = divmod(int(flat), positions.size)
        first, (last_start, last) = offsets[positions[s]][0], offsets[positions[e]]
        score = float(scores[flat])
        spans.append(SpanScore(int(first), int(last), score, score - null, int(last_start)))
    return spans


def _closes(text: str, start: int, at: int) -> bool:
    """Whether text[at] closes a mark left open in text[start:at] (“伦敦碗” keeps its ”)."""
    inside = text[start:at]
    opened = (opener for opener, closer in _OPENERS.items() if closer == text[at])
    return any(inside.count(opener) > inside.count(text[at]) for opener in opened)


def _whole_runs(text: str, start: int, end: int) -> tuple[int, int]:
    """The span widened to the whole number or Latin word its start or end falls inside."""
    if start >= end:
        return start, end
    for edge in (start, end):
        offset = max(0, edge - _RUN_REACH)
        for run in _RUN.finditer(text, offset, min(len(text), edge + _RUN_REACH)):
            if run.start() < edge < run.end():
                start, end = min(start, run.start()), max(end, run.end())
    return start, end


def snap_to_text(text: str, start: int, end: int) -> tuple[int, int]:
    """The span trimmed of edge punctuation and spaces, with a title's or quote's closing mark
    kept when its opening one is inside (《乡村振兴》, not 《乡村振兴; 俗称“伦敦碗”, not 俗称“伦敦碗),
    and taken in when the text closes it right after the span (杜威和「吉祥兄弟」); an edge inside
    a number or a Latin word moves out to its end (1851年, not 51年)."""
    while start < end and text[start] in _EDGE_PUNCTUATION and text[start] not in _OPENERS:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCTUATION and not _closes(text, start, end - 1):
        end -= 1
    while start < end < len(text) and _closes(text, start, end):
        end += 1
    start, end = _whole_runs(text, start, end)
    if start < end:
        closer = _OPENERS.get(text[start])
        if closer is not None and closer not in text[start + 1 : end]:
            start += 1  # an opening mark whose closing one is not next to the span: drop it
    return start, end
