"""The printed pages an index cites, rendered once into `<index>/pages/`.

A citation from a page PDF or a scan shows the page itself (see `qa.page_crops`), so the pages
its articles are printed on are rendered at build time, while the source files are at hand; the
index then does not depend on the files staying where they were. Images are named by their
file's content (`PrintedBox.image`), so a rebuild renders only pages it has not seen, and pages
no generation still cites are removed after a build.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from embeddings.articles import Article

__all__ = ["PAGES_DIR", "PAGE_DPI", "page_image_path", "prune_page_images", "render_page_images"]

log = logging.getLogger(__name__)

PAGES_DIR = "pages"
PAGE_DPI = 150  # sharp enough to read 9-pt body text in a crop, ~0.5 MB a broadsheet page as JPEG
_JPEG_QUALITY = 85


def page_image_path(index_dir: Path, key: str) -> Path:
    return Path(index_dir) / PAGES_DIR / f"{key}.jpg"


def _render(file: Path, page: int):  # -> PIL.Image.Image
    from PIL import Image

    if file.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(str(file))
        try:
            return document[page - 1].render(scale=PAGE_DPI / 72).to_pil().convert("RGB")
        finally:
            document.close()
    from PIL import ImageOps

    with Image.open(file) as image:
        image.seek(page - 1)  # a multi-page TIFF: one frame a page
        # Upright as the OCR read it (a phone photo's EXIF rotation), so the boxes line up.
        return ImageOps.exif_transpose(image).convert("RGB")


def render_page_images(articles: Sequence[Article], index_dir: Path) -> list[str]:
    """Render every page the articles' boxes name that is not rendered yet; warnings for failures."""
    wanted: dict[str, tuple[Path, int]] = {}
    for article in articles:
        for box in article.boxes:
            if box.image:
                wanted.setdefault(box.image, (Path(box.file), box.page))
    folder = Path(index_dir) / PAGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    warnings = []
    for key, (file, page) in wanted.items():
        target = page_image_path(index_dir, key)
        if target.is_file():
            continue
        try:
            image = _render(file, page)
        except Exception as exc:  # any decoder failure only costs the picture, never the build
            warnings.append(
                f"{file} page {page}: could not render the page image ({exc}); "
                "its citations show the text without the page"
            )
            continue
        partial = target.with_name(f".{target.name}.partial")
        image.save(partial, "JPEG", quality=_JPEG_QUALITY)
        partial.replace(target)
    return warnings


def prune_page_images(index_dir: Path, keep: Iterable[str]) -> None:
    """Remove rendered pages that no live generation cites."""
    keep = set(keep)
    folder = Path(index_dir) / PAGES_DIR
    if not folder.is_dir():
        return
    for image in folder.glob("*.jpg"):
        if image.stem not in keep:
            image.unlink(missing_ok=True)
