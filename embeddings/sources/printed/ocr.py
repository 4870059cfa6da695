"""Page images → `PageLine`s, read by RapidOCR (PP-OCRv4 Chinese detection and recognition).

The ONNX models ship inside the `rapidocr-onnxruntime` wheel, so reading a scan never downloads
anything. Settings, measured on generated 200-dpi A3 pages (2339×3307 px, two cores):

* the page is detected at full size. RapidOCR's default first shrinks anything over 2000 px (this
  page to 60 %), which read 99.1 % of the characters of 8-pt body text against 99.9 % at full
  size; full-size detection costs about 5 s more a page, a tenth of the page's time, which
  recognition dominates (about 0.2 s a line). Overlapping 1400-px tiles read 99.7 % and broke
  lines at the tile edges, in the same time. Larger pages (300-dpi broadsheets) are shrunk to
  `_MAX_SIDE_PX`, which still leaves 9-pt text about 20 px high;
* no 180° line classifier: scans are upright, and it could only turn a good line upside down;
* lines the recogniser scores under `_MIN_CONFIDENCE` are dropped as noise; those kept carry
  their score, so the layout can mark weakly read text as uncertain.

RapidOCR boxes runs of text, not printed lines: one line can come as several pieces, and where
columns stand about one character apart one box can run across the gutter. So every run is taken
apart into its characters (the recogniser's estimate of where each one sits), runs on one baseline
are laid side by side, and the row is cut again at column gutters: a gap of `_GUTTER_GAP` or more,
or a narrower gap where the lines above and below have no ink either (a gutter runs down the page;
the space in a byline does not). A line's size is the height of its glyphs' ink, not of its box,
which grows by a third where a line starts with a quote mark and would look like a headline.
Vertical text (竖排 headlines) is left out: the layout reads horizontal lines.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from embeddings.errors import CorpusError
from embeddings.sources.printed.layout import PageLine

__all__ = ["ocr_page_lines"]

_MAX_SIDE_PX = 4000  # a 200-dpi A3 page (3307 px) is read at full size
_MIN_CONFIDENCE = 0.3  # RapidOCR's default, 0.5, would hide the weakly read lines the layout flags
_MIN_BOX_SCORE = 0.5  # the detector's certainty that a box holds text
_VERTICAL_RATIO = 1.5  # a box this much taller than wide is vertical text (RapidOCR's own rule)
_SAME_ROW_SIZES = 0.35  # runs whose middles lie this close (in glyph heights) share a baseline
_SAME_SIZE_RATIO = 1.4  # a headline beside body text is not one row with it
_GLYPH_ROW_INK = 0.15  # rows with less ink than this share of the darkest row hold only marks
# Gaps between characters, in line heights: text runs have gaps under `_INK_GAP`; a gap of
# `_GUTTER_GAP` or more is a column gutter; in between, the lines around it decide.
_INK_GAP = 0.6
_PIECE_GAP = 1.0  # two runs closer than this are one line, when nothing around says otherwise
_GUTTER_GAP = 1.5
_SPACE_GAP = 0.25  # a gap this wide between two Latin letters or digits reads as a space
_NEIGHBOUR_HEIGHTS = 8.0  # lines this near above and below say whether a gap is a gutter
_MIN_NEIGHBOURS = 3
_MAX_INKED_SHARE = 0.25  # a gutter: at most this share of the lines beside the gap have ink there


@dataclass(frozen=True)
class _Glyph:
    text: str
    x0: float
    x1: float
    confidence: float


@dataclass(frozen=True)
class _Run:
    """One run of text as the detector boxed it, its characters where the recogniser put them."""

    glyphs: tuple[_Glyph, ...]
    x0: float
    top: float
    x1: float
    bottom: float
    size: float  # height of the glyphs' ink: the box also reaches round quotes and commas

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


_Placed = tuple[_Glyph, _Run]  # a character and the run it was read in


@cache
def _engine():
    # One engine per process, made on the first scan: loading the three models takes about a
    # second, and importing rapidocr pulls in OpenCV and onnxruntime, which text builds never need.
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(
        max_side_len=_MAX_SIDE_PX,
        use_cls=False,
        text_score=_MIN_CONFIDENCE,
        intra_op_num_threads=len(os.sched_getaffinity(0)),
        inter_op_num_threads=1,
    )


def ocr_page_lines(image: Image.Image) -> list[PageLine]:
    """The horizontal text lines of a page image, top to bottom, in pixels of `image`.

    Raises CorpusError when the OCR engine fails on the image."""
    runs = _detected_runs(_on_white(image))
    lines = [line for row in _rows(runs) for line in _cut_row(row, runs)]
    return sorted(lines, key=lambda line: (line.box[1], line.box[0]))


def _on_white(image: Image.Image) -> Image.Image:
    """8-bit RGB: transparency on white (RapidOCR would invert a transparent image instead), and
    16-bit or float greys scaled to 8 bits (Pillow would clip them, most of a 16-bit scan to white)."""
    if image.mode.startswith("I") or image.mode == "F":
        grey = np.asarray(image, dtype=np.float64)
        brightest = float(grey.max()) if grey.size else 0.0
        scaled = grey * (255 / brightest) if brightest > 255 else grey
        return Image.fromarray(scaled.clip(0, 255).astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        white = Image.new("RGBA", image.size, "white")
        return Image.alpha_composite(white, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def _detected_runs(image: Image.Image) -> list[_Run]:
    from rapidocr_onnxruntime.utils.infer_engine import ONNXRuntimeError

    try:
        # Per-call options are all given: RapidOCR resets the ones left out to its defaults.
        found, _elapsed = _engine()(
            image,
            return_word_box=True,
            text_score=_MIN_CONFIDENCE,
            box_thresh=_MIN_BOX_SCORE,
            unclip_ratio=1.6,
        )
    except ONNXRuntimeError as exc:
        raise CorpusError(f"the OCR engine failed on a {image.width}×{image.height} image: {exc}") from exc
    gray = np.asarray(image.convert("L"))
    runs = (_run(gray, *item) for item in found or ())
    return [run for run in runs if run is not None]


def _run(
    gray: np.ndarray,
    corners: Sequence[Sequence[float]],
    text: str,
    score: float,
    char_corners: Sequence[Sequence[Sequence[float]]] = (),
    chars: Sequence[str] = (),
    char_scores: Sequence[float] = (),
) -> _Run | None:
    """A detected run, or None when it is vertical or empty."""
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    x0, top, x1, bottom = min(xs), min(ys), max(xs), max(ys)
    if bottom - top >= _VERTICAL_RATIO * (x1 - x0):
        return None
    if len(char_corners) == len(chars) == len(char_scores) == len(text):
        glyphs = [
            _Glyph(char, float(min(p[0] for p in box)), float(max(p[0] for p in box)), float(conf))
            for char, box, conf in zip(chars, char_corners, char_scores, strict=True)
        ]
    else:  # no places for the characters: spread them evenly over the box
        step = (x1 - x0) / max(len(text), 1)
        glyphs = [
            _Glyph(char, x0 + k * step, x0 + (k + 1) * step, float(score)) for k, char in enumerate(text)
        ]
    glyphs = [glyph for glyph in glyphs if glyph.text.strip()]  # spaces come back from the gaps
    if not glyphs:
        return None
    size = _ink_height(gray[int(top) : int(bottom) + 1, int(x0) : int(x1) + 1]) or bottom - top
    ordered = tuple(sorted(glyphs, key=lambda g: g.x0))
    return _Run(ordered, float(x0), float(top), float(x1), float(bottom), float(size))


def _ink_height(crop: np.ndarray) -> float:
    """Height of the rows that hold a fair share of the crop's dark pixels: the glyphs, without
    the quote marks above them and the commas below; 0 for a crop without contrast."""
    if crop.size == 0 or crop.max() == crop.min():
        return 0.0
    dark = crop < (int(crop.max()) + int(crop.min())) / 2
    ink_per_row = dark.mean(axis=1)
    rows = np.nonzero(ink_per_row >= _GLYPH_ROW_INK * ink_per_row.max())[0]
    return float(rows[-1] - rows[0] + 1)


def _same_size(a: float, b: float) -> bool:
    return max(a, b) <= _SAME_SIZE_RATIO * min(a, b)


def _same_row(a: _Run, b: _Run) -> bool:
    return _same_size(a.size, b.size) and abs(a.middle - b.middle) <= _SAME_ROW_SIZES * min(a.size, b.size)


def _rows(runs: list[_Run]) -> list[list[_Run]]:
    """Runs on one baseline, left to right; a row may cross columns (`_cut_row` parts them)."""
    rows: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: r.x0):
        row = next((row for row in rows if _same_row(row[-1], run)), None)
        if row is None:
            rows.append([run])
        else:
            row.append(run)
    return rows


def _cut_row(row: list[_Run], runs: list[_Run]) -> list[PageLine]:
    """The row's characters cut into lines at column gutters."""
    placed = [(glyph, run) for run in row for glyph in run.glyphs]
    lines, start = [], 0
    for k in range(1, len(placed)):
        if not _joins(placed[k - 1], placed[k], row, runs):
            lines.append(_page_line(placed[start:k]))
            start = k
    return [*lines, _page_line(placed[start:])]


def _joins(left: _Placed, right: _Placed, row: list[_Run], runs: list[_Run]) -> bool:
    """Whether two neighbouring characters of a row belong to one printed line."""
    (left_glyph, left_run), (right_glyph, right_run) = left, right
    height = (left_run.height + right_run.height) / 2
    gap = (right_glyph.x0 - left_glyph.x1) / height
    if gap < _INK_GAP:
        return True
    if gap >= _GUTTER_GAP:
        return False
    gutter = _blank_above_and_below((left_glyph.x1 + right_glyph.x0) / 2, left_run, row, runs)
    if gutter is None:  # nothing around to tell: trust the detector, and join close pieces
        return left_run is right_run or gap < _PIECE_GAP
    return not gutter


def _blank_above_and_below(x: float, run: _Run, row: list[_Run], runs: list[_Run]) -> bool | None:
    """Whether the lines of this size above and below the row leave `x` blank, as a column
    gutter does; None when too few of them come near `x` to tell."""
    in_row = {id(member) for member in row}
    height = run.height
    reach = _GUTTER_GAP * height  # a line ending this close to `x` could have crossed it
    margin = _INK_GAP / 2 * height
    near = inked = 0
    for other in runs:
        close = abs(other.middle - run.middle) <= _NEIGHBOUR_HEIGHTS * height
        beside = other.x0 - reach <= x <= other.x1 + reach
        if close and beside and _same_size(other.size, run.size) and id(other) not in in_row:
            near += 1
            inked += any(g.x0 - margin <= x <= g.x1 + margin for g in other.glyphs)
    if near < _MIN_NEIGHBOURS:
        return None
    return inked <= _MAX_INKED_SHARE * near


def _page_line(placed: list[_Placed]) -> PageLine:
    glyphs = [glyph for glyph, _ in placed]
    runs = {id(run): run for _, run in placed}.values()
    top, bottom = min(r.top for r in runs), max(r.bottom for r in runs)
    height = float(np.median([r.height for r in runs]))
    size = float(np.median([r.size for r in runs]))
    text = glyphs[0].text
    for before, glyph in itertools.pairwise(glyphs):
        latin = _is_latin(before.text[-1]) and _is_latin(glyph.text[0])
        text += " " * (latin and glyph.x0 - before.x1 > _SPACE_GAP * height) + glyph.text
    return PageLine(
        text=text,
        box=(glyphs[0].x0, top, max(g.x1 for g in glyphs), bottom),
        size=size,
        confidence=float(np.mean([g.confidence for g in glyphs])),
    )


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()
