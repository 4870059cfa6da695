"""Page reading benchmark: generated newspaper pages through the PDF text layer and through OCR.

    python bench/pages.py [--pages 20] [--ocr-pages 3] [--seed 1]

The pages come from tests/embeddings/newspaper_pages.py (A3, 4 to 6 columns, mastheads, kickers,
subtitles, bylines, a 下转/上接 continuation in every two-page issue), in issues of two pages
(one page for an odd count). Text layer: each issue's PDF through `embeddings.sources.printed.pdf`
(pdfplumber, then the layout analysis). OCR, when `embeddings.sources.printed.ocr` is there: the first
--ocr-pages pages of the same issues, rendered to PNG at 200 dpi, read by `ocr_page_lines` and laid
out by the same analysis. Reported per route: pages per second (reading only, not generating or
rendering) and the scores of newspaper_pages.score (each truth article matched to the read article
with the best character F1): mean and lowest text F1, segmentation F1, right titles, reporters,
kickers and subtitles. Writes bench/results/pages.json and prints a table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import cpu_model  # noqa: E402
from embeddings.articles import Article  # noqa: E402
from embeddings.sources.printed.layout import PrintedPage, articles_from_pages  # noqa: E402
from embeddings.sources.printed.pdf import OCR_DPI, read_articles  # noqa: E402
from embeddings.sources.reading import SourceFile  # noqa: E402


def _newspaper_pages():
    # The generator lives with the layout tests; loaded by path (tests/ is not a package).
    spec = importlib.util.spec_from_file_location(
        "newspaper_pages", ROOT / "tests/embeddings/newspaper_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


pages_module = _newspaper_pages()


@dataclass(frozen=True)
class RouteResult:
    route: str
    pages: int
    articles: int
    seconds: float
    pages_per_second: float
    text_f1_mean: float
    text_f1_min: float
    segmentation_f1: float
    titles: float
    reporters: float
    kickers: float
    subtitles: float


def issue_sizes(pages: int) -> list[int]:
    """Two-page issues, and a one-page issue for an odd count."""
    return [2] * (pages // 2) + [1] * (pages % 2)


def make_issues(seed: int, sizes: Sequence[int], folder: Path) -> list[tuple[object, Path]]:
    issues = []
    for k, size in enumerate(sizes):
        issue = pages_module.make_issue(seed + k, page_count=size)
        issues.append((issue, pages_module.write_pdf(folder / f"issue{k:03d}.pdf", issue.pages)))
    return issues


def read_pdf(path: Path) -> list[Article]:
    return read_articles([SourceFile(path, path.name)]).articles


def render_pngs(path: Path) -> list[Path]:
    """The PDF's pages as 200-dpi PNG scans beside it."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    images = []
    for index in range(len(document)):
        image = path.with_name(f"{path.stem}-p{index + 1}.png")
        document[index].render(scale=OCR_DPI / 72).to_pil().save(image)
        images.append(image)
    return images


def read_scans(images: list[Path]) -> list[Article]:
    """OCR, then the layout analysis: the route of a scanned page."""
    from PIL import Image

    from embeddings.sources.printed.ocr import ocr_page_lines

    pages = []
    for path in images:
        with Image.open(path) as image:
            lines = tuple(ocr_page_lines(image.convert("RGB")))
            pages.append(
                PrintedPage(SourceFile(path, path.name), 1, image.width, image.height, lines, ocr=True)
            )
    return articles_from_pages(pages).articles


def run_route(
    route: str, issues: list[tuple[object, Path]], read: Callable, prepare: Callable = lambda path: path
) -> RouteResult:
    """Read each issue (`prepare` turns its PDF into what `read` takes, untimed) and score it."""
    seconds, scores, weights = 0.0, [], []
    for issue, path in issues:
        given = prepare(path)
        start = time.perf_counter()
        articles = read(given)
        took = time.perf_counter() - start
        seconds += took
        scores.append(pages_module.score(articles, issue.articles))
        weights.append(len(issue.articles))
        print(f"{route}: {path.name} read in {took:.1f} s", file=sys.stderr, flush=True)
    pages = sum(len(issue.pages) for issue, _ in issues)
    f1s = [f1 for found in scores for f1 in found.text_f1]

    def mean(field: str) -> float:
        return round(
            sum(getattr(s, field) * w for s, w in zip(scores, weights, strict=True)) / sum(weights), 4
        )

    return RouteResult(
        route=route,
        pages=pages,
        articles=sum(weights),
        seconds=round(seconds, 2),
        pages_per_second=round(pages / seconds, 3),
        text_f1_mean=round(sum(f1s) / len(f1s), 4),
        text_f1_min=round(min(f1s), 4),
        segmentation_f1=mean("segmentation_f1"),
        titles=mean("titles"),
        reporters=mean("reporters"),
        kickers=mean("kickers"),
        subtitles=mean("subtitles"),
    )


def table(results: list[RouteResult]) -> str:
    rows = [
        "| route | pages | articles | pages/s | text F1 mean / min | segmentation F1 | titles | reporters "
        "| kickers | subtitles |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r.route} | {r.pages} | {r.articles} | {r.pages_per_second:.2f} | {r.text_f1_mean:.3f} / "
            f"{r.text_f1_min:.3f} | {r.segmentation_f1:.3f} | {r.titles:.0%} | {r.reporters:.0%} "
            f"| {r.kickers:.0%} | {r.subtitles:.0%} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=20, help="pages read through the text layer")
    parser.add_argument("--ocr-pages", type=int, default=3, help="of those, pages read by OCR (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.pages < 1 or not 0 <= args.ocr_pages <= args.pages:
        parser.error("--pages must be at least 1 and --ocr-pages between 0 and --pages")
    have_ocr = importlib.util.find_spec("embeddings.sources.printed.ocr") is not None
    with tempfile.TemporaryDirectory(prefix="newsqa-pages-") as tmp:
        folder = Path(tmp)
        # The OCR pages are the first issues, so both routes read the same pages.
        issues = make_issues(
            args.seed, issue_sizes(args.ocr_pages) + issue_sizes(args.pages - args.ocr_pages), folder
        )
        results = [run_route("pdf text layer", issues, read_pdf)]
        if have_ocr and args.ocr_pages:
            ocr_issues = issues[: len(issue_sizes(args.ocr_pages))]
            results.append(run_route(f"OCR, {OCR_DPI} dpi PNG", ocr_issues, read_scans, render_pngs))
    machine = {"cpu": cpu_model(), "cores": os.cpu_count()}
    missing = ["embeddings.sources.printed.ocr not found: OCR not measured"]
    notes = [] if have_ocr or not args.ocr_pages else missing
    out = ROOT / "bench" / "results" / "pages.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {"machine": machine, "seed": args.seed, "results": [asdict(r) for r in results], "notes": notes}
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(table(results))
    for note in notes:
        print(note)
    print(f"{machine['cores']} cores, {machine['cpu']}; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
