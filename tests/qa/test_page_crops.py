"""Page crops for citations from printed pages: real images rendered and cropped, real cache."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw

from embeddings.articles import Article, PrintedBox
from embeddings.sources.reading import page_image_key
from embeddings.store.page_images import page_image_path, prune_page_images, render_page_images
from qa.answer import Answer, Citation
from qa.page_crops import attach_page_crops, page_crop
from qa.retrieve import PassageHit
from ui.render import answer_to_dict, render_sources, source_card

FIRST = "前黄浜全长2.3公里。"
SECOND = "河道经过整治后水清岸绿。"
TEXT = FIRST + SECOND
# Where each sentence is "printed", as fractions of the page: two lines of the left column.
LINES = [(0.1, 0.20, 0.45, 0.23), (0.1, 0.24, 0.45, 0.27)]


def _page(tmp_path: Path) -> Path:
    page = Image.new("RGB", (800, 1000), "white")
    pen = ImageDraw.Draw(page)
    for x0, top, x1, bottom in LINES:
        pen.rectangle((x0 * 800, top * 1000, x1 * 800, bottom * 1000), fill=(40, 40, 40))
    path = tmp_path / "scan_p1.png"
    page.save(path)
    return path


def _article(page: Path) -> Article:
    key = page_image_key(page, 1)
    spans = [(0, len(FIRST)), (len(FIRST), len(TEXT))]
    boxes = tuple(PrintedBox(s, e, str(page), 1, box, key) for (s, e), box in zip(spans, LINES, strict=True))
    return Article(title="前黄浜", text=TEXT, source="scan_p1.png", page="3", page_name="要闻", boxes=boxes)


def _hit(article: Article) -> PassageHit:
    return PassageHit(
        text=article.text,
        score=1.0,
        article_id=article.id,
        title=article.title,
        subtitle="",
        date=None,
        reporter="",
        source=article.source,
        start=0,
        end=len(article.text),
        page=article.page,
        page_name=article.page_name,
        format="ocr",
        boxes=tuple(article.boxes_within(0, len(article.text))),
    )


def test_the_crop_shows_the_passage_with_the_cited_line_marked(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    article = _article(_page(tmp_path))
    assert render_page_images([article], index_dir) == []
    assert page_image_path(index_dir, article.boxes[0].image).is_file()
    hit = _hit(article)
    crop = page_crop(index_dir, hit, [(0, len(FIRST))])
    assert crop is not None and crop.parent == index_dir / "crops"
    image = Image.open(crop).convert("RGB")
    # The crop is the passage's region (two lines, padded), not the whole page.
    assert image.width < 400 and image.height < 150
    # The cited first line is drawn over in yellow; the uncited second line stays dark.
    xs = range(image.width // 4, image.width * 3 // 4, 10)
    rows = [y for y in range(image.height) if any(_yellowish(image.getpixel((x, y))) for x in xs)]
    assert rows, "no highlighted line in the crop"
    assert max(rows) < image.height * 0.6
    # Drawn once: the same citation reuses the cached file.
    before = crop.stat().st_mtime_ns
    assert page_crop(index_dir, hit, [(0, len(FIRST))]) == crop
    assert crop.stat().st_mtime_ns == before


def _yellowish(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 80 and green > 60 and blue < red * 0.6


def test_no_crop_without_a_printed_page(tmp_path: Path) -> None:
    article = _article(_page(tmp_path))
    text_only = _hit(Article(title="t", text=TEXT, source="a.txt"))
    assert page_crop(tmp_path / "index", text_only, [(0, 5)]) is None
    # The page image was never rendered (or was removed): the citation keeps its text only.
    assert page_crop(tmp_path / "index", _hit(article), [(0, 5)]) is None


def test_pruning_keeps_only_cited_pages(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    article = _article(_page(tmp_path))
    render_page_images([article], index_dir)
    prune_page_images(index_dir, keep=[])
    assert not page_image_path(index_dir, article.boxes[0].image).exists()


def test_an_unreadable_page_costs_the_picture_not_the_build(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    key = page_image_key(broken, 1)
    article = Article(
        title="t", text=TEXT, source="broken.png", boxes=(PrintedBox(0, 5, str(broken), 1, LINES[0], key),)
    )
    warnings = render_page_images([article], tmp_path / "index")
    assert len(warnings) == 1 and "broken.png page 1: could not render the page image" in warnings[0]


def test_the_source_card_shows_the_crop_and_the_page(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    article = _article(_page(tmp_path))
    render_page_images([article], index_dir)
    hit = _hit(article)
    answer = Answer(
        "前黄浜多长？",
        "前黄浜多长？",
        f"{FIRST}[1]",
        "2.3公里",
        False,
        [Citation(1, hit, ((0, len(FIRST)),))],
    )
    answer = attach_page_crops(answer, index_dir)
    html = render_sources(answer)
    assert "第3版 · 要闻" in html and "页面 1" in html
    encoded = html.split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0]
    assert (
        Image.open(io.BytesIO(base64.b64decode(encoded))).size
        == Image.open(answer.citations[0].page_crop).size
    )
    api = answer_to_dict(answer)["citations"][0]
    assert api["page_crop"] is True and api["boxes"][0]["page"] == 1 and "file" not in api["boxes"][0]
    assert api["boxes"][0]["box"] == list(LINES[0])


def test_only_web_urls_become_links() -> None:
    article = Article(title="t", text=TEXT, source="a.html")
    web = _hit(article).__class__(
        **{**_hit(article).__dict__, "url": "https://paper.example.cn/content_1.htm"}
    )
    local = _hit(article).__class__(**{**_hit(article).__dict__, "url": "javascript:alert(1)"})
    assert 'href="https://paper.example.cn/content_1.htm"' in source_card(web)
    assert "href" not in source_card(local) and "javascript" not in source_card(local)


def test_a_passage_with_uncertain_ocr_says_so(tmp_path: Path) -> None:
    from dataclasses import replace

    article = replace(_article(_page(tmp_path)), uncertain=((len(FIRST), len(TEXT)),))
    hit = replace(_hit(article), uncertain=((len(FIRST), len(TEXT)),))
    assert "OCR 识别不确定" in source_card(hit)
    assert "OCR 识别不确定" not in source_card(_hit(_article(_page(tmp_path))))
    assert answer_to_dict(Answer("q", "q", "t", None, False, [Citation(1, hit, ((0, 3),))]))["citations"][0][
        "uncertain"
    ] == [[len(FIRST), len(TEXT)]]
