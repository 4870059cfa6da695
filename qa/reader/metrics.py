"""CMRC 2018's official answer metrics (cmrc2018_evaluate.py), reimplemented without nltk.

Exact match compares the texts after dropping the script's punctuation list; F1 is over the
longest common substring of "mixed segmentation" units (each Chinese character or punctuation
mark a unit, runs of other characters split at whitespace), punctuation removed; both take the
best over the accepted answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["exact_match", "f1"]

# The official script's sp_char list.
_PUNCTUATION = frozenset("-:_*^/\\~`+=，。：？！“”；’《》…·、「」（）－～『』")
_HAN = re.compile(r"[\u4e00-\u9fa5]")


def _units(text: str) -> list[str]:
    units, run = [], ""
    for char in text.lower().strip():
        if _HAN.match(char) or char in _PUNCTUATION:
            units += run.split()
            run = ""
            if char not in _PUNCTUATION:
                units.append(char)
        else:
            run += char
    return units + run.split()


def _longest_common_substring(a: list[str], b: list[str]) -> int:
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def f1(prediction: str, answers: Sequence[str]) -> float:
    pred = _units(prediction)
    scores = [0.0]
    for answer in answers:
        gold = _units(answer)
        common = _longest_common_substring(pred, gold)
        if common:
            precision, recall = common / len(pred), common / len(gold)
            scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def _without_punctuation(text: str) -> str:
    return "".join(char for char in text.lower().strip() if char not in _PUNCTUATION)


def exact_match(prediction: str, answers: Sequence[str]) -> float:
    pred = _without_punctuation(prediction)
    return float(any(pred == _without_punctuation(answer) for answer in answers))
