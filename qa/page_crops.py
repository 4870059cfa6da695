"""A citation on the printed page: the crop of the page image around the cited passage, with the
cited sentences' lines highlighted.

Crops are drawn from the page images rendered at build time (`embeddings.store.page_images`) and
cached under `<index>/crops/`, named by what they show, so the same citation is drawn once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from embeddings.articles import PrintedBox
from embeddings.store.page_images import page_image_path
from qa.retrieve import PassageHit

__all__ = ["CROPS_DIR", "attach_page_crops", "page_crop"]

CROPS_DIR = "crops"
_PAD = 0.015  # of the page's size, around the passage
# A one-line passage (a byline) is shown with some of the page around it, as a reader finds it.
_MIN_WIDTH, _MIN_HEIGHT = 0.3, 0.12
_MAX_WIDTH = 960  # pixels; a crop wider than a source card is scaled down
_HIGHLIGHT = (255, 214, 0, 110)  # translucent yellow, as a highlighter pen
_OUTLINE = (230, 120, 0, 255)


def _cited_boxes(hit: PassageHit, spans: Sequence[tuple[int, int]]) -> list[PrintedBox]:
    cited = [b for b in hit.boxes if any(b.start < end and start < b.end for start, end in spans)]
    return cited or list(hit.boxes)


def _span_around(low: float, high: float, least: float) -> tuple[float, float]:
    """[low, high] padded, widened about its middle to at least `least`, kept within [0, 1]."""
    low, high = low - _PAD, high + _PAD
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    shift = max(0.0, -low) - max(0.0, high - 1.0)
    return max(0.0, low + shift), min(1.0, high + shift)


def page_crop(index_dir: Path, hit: PassageHit, spans: Sequence[tuple[int, int]]) -> Path | None:
    """The crop image of the page holding the first cited sentence; None when the passage has no
    printed page or the page image is missing."""
    cited = _cited_boxes(hit, spans)
    if not cited:
        return None
    key = cited[0].image
    source = page_image_path(index_dir, key)
    if not key or not source.is_file():
        return None
    marked = [b.box for b in cited if b.image == key]
    passage = [b.box for b in hit.boxes if b.image == key]
    x0, x1 = _span_around(min(b[0] for b in passage), max(b[2] for b in passage), _MIN_WIDTH)
    top, bottom = _span_around(min(b[1] for b in passage), max(b[3] for b in passage), _MIN_HEIGHT)
    region = (x0, top, x1, bottom)
    name = hashlib.sha256(json.dumps([key, region, marked]).encode()).hexdigest()[:20]
    target = Path(index_dir) / CROPS_DIR / f"{name}.jpg"
    if not target.is_file():
        _draw(source, region, marked, target)
    return target


def _draw(
    source: Path,
    region: tuple[float, float, float, float],
    marked: Sequence[tuple[float, float, float, float]],
    target: Path,
) -> None:
    from PIL import Image, ImageDraw

    with Image.open(source) as page:
        width, height = page.size
        layer = Image.new("RGBA", page.size, (0, 0, 0, 0))
        pen = ImageDraw.Draw(layer)
        for x0, top, x1, bottom in marked:
            box = (x0 * width - 2, top * height - 2, x1 * width + 2, bottom * height + 2)
            pen.rectangle(box, fill=_HIGHLIGHT, outline=_OUTLINE, width=2)
        drawn = Image.alpha_composite(page.convert("RGBA"), layer).convert("RGB")
    x0, top, x1, bottom = region
    crop = drawn.crop((int(x0 * width), int(top * height), int(x1 * width) + 1, int(bottom * height) + 1))
    if crop.width > _MAX_WIDTH:
        crop = crop.resize((_MAX_WIDTH, max(1, round(crop.height * _MAX_WIDTH / crop.width))))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    crop.save(partial, "JPEG", quality=85)
    partial.replace(target)


def attach_page_crops(answer, index_dir: Path):  # (Answer, Path) -> Answer
    """The answer with each citation from a printed page carrying its crop's path."""
    citations = [
        replace(c, page_crop=str(crop)) if (crop := page_crop(index_dir, c.hit, c.spans)) else c
        for c in answer.citations
    ]
    return replace(answer, citations=citations)
