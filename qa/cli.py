"""`newsqa` command line: build, ask, info.

The only place that turns NewsqaError into a one-line message and an exit code, and the only
place with progress bars. Heavy libraries load inside the commands, so `newsqa --help` is instant.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from embeddings.errors import NewsqaError
from embeddings.settings import PRECISIONS, LLMSettings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Cited question answering over Chinese newspaper pages, offline.",
)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="index directory [env NEWSQA_INDEX]")]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="sentence-transformers model name or path [env NEWSQA_MODEL]")
]
HomeOpt = Annotated[Path | None, typer.Option("--home", help="cache/data directory [env NEWSQA_HOME]")]
PrecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help=f"encoder precision, one of {', '.join(PRECISIONS)}; auto = int8 (OpenVINO), else bf16, "
        "else fp32 [env NEWSQA_PRECISION]",
    ),
]


RayOpt = Annotated[
    str | None,
    typer.Option(
        "--ray",
        metavar="[ADDRESS]",
        help="run on a Ray cluster: no address starts a local one, `auto` joins the `ray start` "
        "cluster of this machine, `ray://host:10001` a remote one; put it after the paths or write "
        "--ray=local [env NEWSQA_RAY]",
    ),
]


def _settings(
    home: Path | None,
    model: str | None,
    index: Path | None,
    precision: str | None = None,
    ray: str | None = None,
    **more: object,
):
    from embeddings.settings import Settings

    if ray is not None and ray not in ("local", "auto") and ":" not in ray:
        hint = " (a path: put --ray after the paths, or write --ray=local)" if Path(ray).exists() else ""
        raise _fail(f"--ray {ray!r} is not a Ray address{hint}; give local, auto or ray://host:port")
    try:
        return Settings.from_env(
            home=home, model=model, index_dir=index, precision=precision, ray=ray, **more
        )
    except ValueError as error:  # a bad NEWSQA_* value
        raise _fail(error) from None


def _fail(error: Exception) -> typer.Exit:
    typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def _progress_bar():
    """A (callback, close) pair showing embedded chunks with chunks/s.

    The bar starts at the first callback, once the model is loaded, so its rate is embedding speed.
    """
    from tqdm import tqdm

    bars: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="chunk", desc="embedding", dynamic_ncols=True))
        bars[0].update(done - bars[0].n)

    def close() -> None:
        for bar in bars:
            bar.close()

    return update, close


def _build_with_progress(paths: list[Path], settings, full: bool = False, shards: int | None = None):
    from embeddings.build import build_from_paths

    update, close = _progress_bar()
    try:
        runner = None
        if settings.ray is not None:
            from embeddings.cluster import RayRunner

            runner = RayRunner(settings)
        return build_from_paths(paths, settings, progress=update, full=full, shards=shards, runner=runner)
    finally:
        close()


@app.command()
def build(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="files, folders or zips: text pages (.txt .md), JSONL exports, e-paper pages (.htm), "
            "page PDFs, scans (.png .jpg .tif), Founder XML"
        ),
    ] = None,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
    precision: PrecisionOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="embed every chunk again instead of reusing vectors")
    ] = False,
    shards: Annotated[
        int | None,
        typer.Option("--shards", help="split the index into N shards by date (default: as now, else 1)"),
    ] = None,
    ray: RayOpt = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="encoder actors of a --ray build [env NEWSQA_RAY_WORKERS]"),
    ] = None,
) -> None:
    """Build the index from PATHS (default: the bundled 武进 sample).

    Only new or changed articles are embedded; vectors of unchanged chunks are reused. With
    --ray the stages run on a Ray cluster (the result is the same index).
    """
    settings = _settings(home, model, index, precision, ray, ray_workers=workers)
    started = time.perf_counter()
    try:
        report = _build_with_progress(paths or [], settings, full, shards)
    except NewsqaError as error:
        raise _fail(error) from None
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    seconds = time.perf_counter() - started
    counts = report.manifest.counts
    typer.echo(
        f"indexed {counts['articles']} articles, {counts['chunks']} chunks into {report.index_dir} "
        f"in {seconds:.1f}s ({counts['chunks'] / max(seconds, 1e-9):.1f} chunks/s overall)"
    )
    typer.echo(f"articles: {report.changes}; chunks: {report.embedded} embedded, {report.reused} reused")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question, e.g. 前黄浜全长多少公里？")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="passages to show")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    date_from: Annotated[
        str | None, typer.Option("--from", help="only passages dated from YYYY-MM-DD")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="only passages dated up to YYYY-MM-DD")] = None,
    with_answer: Annotated[
        bool,
        typer.Option("--answer", help="answer with the span reader: short answer, confidence, citations"),
    ] = False,
    page: Annotated[
        int, typer.Option("--page", min=1, help="page of an archive question's list (20 stories a page)")
    ] = 1,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
    precision: PrecisionOpt = None,
    ray: RayOpt = None,
) -> None:
    """Show the passages that best answer QUESTION, with title and reporter (--answer: the answer).

    A question about the whole archive (有多少篇报道提到…, 列出所有…, 哪位记者发稿最多, …的时间线)
    prints the exact count and the matching stories instead, a page at a time."""
    from embeddings.build import ensure_default_index
    from qa.archive.answers import catalog_of, catalog_result
    from qa.retrieve import check_question, get_retriever

    settings = _settings(home, model, index, precision, ray)
    try:
        question = check_question(question)
        if not (settings.resolved_index_dir / "CURRENT").is_file() and settings.index_dir is None:
            typer.echo("no index yet: building the default index from the bundled sample first", err=True)
            update, close = _progress_bar()
            try:
                ensure_default_index(settings, progress=update)
            finally:
                close()
        retriever = get_retriever(settings)
        started = time.perf_counter()
        if with_answer:
            _print_answer(settings, question, k, date_from, date_to, as_json)
            return
        index = retriever.index
        archived = catalog_result(catalog_of(index), index.tokenizer, question, date_from, date_to, page=page)
        if archived is not None:
            _print_archive(archived, as_json)
            return
        hits = retriever.search(question, k, date_from=date_from, date_to=date_to)
    except NewsqaError as error:
        raise _fail(error) from None
    if as_json:
        from ui.render import hit_to_dict

        rows = [{**hit_to_dict(hit), "score": hit.score} for hit in hits]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{len(hits)} passages in {(time.perf_counter() - started) * 1000:.0f} ms\n")
    for rank, hit in enumerate(hits, start=1):
        typer.secho(f"[{rank}] {_hit_heading(hit)}", bold=True)
        typer.echo(f"    {hit.text}\n")


def _print_archive(result, as_json: bool) -> None:
    """An archive question's count, what was counted, and this page of the stories."""
    from qa.archive.answers import archive_text
    from ui.render import archive_to_dict

    if as_json:
        typer.echo(json.dumps(archive_to_dict(result), ensure_ascii=False, indent=2))
        return
    text, short, _ = archive_text(result)
    head = text.split("\n\n")[0]
    if short:
        typer.secho(short, bold=True)
    typer.echo(head + "\n")
    for n, ranked in enumerate(result.ranked, start=1):
        typer.secho(f"{n}. {ranked.name}  {ranked.stories} 篇", bold=True)
        if example := ranked.example:
            typer.echo(f"    {example.date or '日期未知'} 《{example.title}》 {example.quote}")
    for n, item in enumerate(
        result.items if not result.ranked else [], start=(result.page - 1) * result.page_size + 1
    ):
        again = f"  又见 {len(item.reprints)} 篇转载" if item.reprints else ""
        typer.secho(f"{n}. {item.date or '日期未知'} 《{item.title}》{again}", bold=True)
        typer.echo(f"    {item.quote or '（标题中出现）'}")
    if result.pages > 1:
        typer.echo(f"\n第 {result.page}/{result.pages} 页；--page {result.page + 1} 看下一页")
    if result.months:
        typer.echo("\n每月篇数: " + "  ".join(f"{m} {n}" for m, n in result.months))


def _hit_heading(hit) -> str:
    """Title, reporter, date, 版 and where: file, printed page, characters, the source's URL."""
    from ui.render import page_label

    printed = page_label(hit.page, hit.page_name)
    pages = sorted({box.page for box in hit.boxes})
    on_pages = f"页面 {','.join(map(str, pages))}" if pages else ""
    where = " ".join(filter(None, [hit.source, on_pages, f"{hit.start}-{hit.end}"]))
    extras = [f"记者 {hit.reporter}" if hit.reporter else "", hit.date or "", printed]
    head = " · ".join(filter(None, [hit.title, *extras]))
    return f"{head}  ({where})" + (f" {hit.url}" if hit.url else "")


def _print_answer(
    settings, question: str, k: int, date_from: str | None, date_to: str | None, as_json: bool
) -> None:
    from qa.answer import answer_with, confidence_words
    from qa.page_crops import attach_page_crops
    from qa.reader.loading import get_reader
    from qa.retrieve import get_retriever
    from ui.render import answer_to_dict

    reader = get_reader(settings) if settings.reader == "span" else None
    result = answer_with(
        get_retriever(settings), question, k=k, date_from=date_from, date_to=date_to, reader=reader
    )
    result = attach_page_crops(result, settings.resolved_index_dir)
    if as_json:
        typer.echo(json.dumps(answer_to_dict(result), ensure_ascii=False, indent=2))
        return
    if result.short_answer:
        words = confidence_words(result.confidence)
        typer.secho(f"{result.short_answer}" + (f"  ({words})" if words else ""), bold=True)
    typer.echo(f"{result.text}\n")
    for citation in result.citations or []:
        hit = citation.hit
        typer.secho(f"[{citation.number}] {_hit_heading(hit)}", bold=True)
        if citation.page_crop:
            typer.echo(f"    版面截图: {citation.page_crop}")
    for hit in result.related:
        typer.echo(f"可能相关: {_hit_heading(hit)}")
    typer.echo(f"\n{result.seconds * 1000:.0f} ms")


def _reader_lines(settings) -> list[str]:
    """What `info` says of the reader: its card, the precision it runs at, whether it is built."""
    from embeddings.encoding.openvino_encoder import openvino_available
    from qa.reader.loading import reader_ov_dir, reader_precision
    from qa.reader.model import read_card

    try:
        card = read_card()
        precision = reader_precision(settings)
        converted = reader_ov_dir(settings, precision).is_dir()
    except NewsqaError as error:
        return [f"reader      unavailable: {error}"]
    if settings.reader != "span":
        runs = "off (NEWSQA_READER=sentences: the sentence scorer answers)"
    elif openvino_available():
        runs = f"{precision} (OpenVINO), " + ("converted" if converted else "converted on first use")
    else:
        runs = "fp32 (torch)"
    s = card.scores(precision)
    return [
        f"reader      span reader on {card.base_model.split(' ')[0]}, {card.layers_trained} trained; {runs}",
        f"reader card held-out EM {s['gold_passage_em']:.3f} / F1 {s['gold_passage_f1']:.3f} "
        f"(gold passage), abstains below margin {s['threshold']:.2f} "
        f"({s['unanswerable_abstained']:.0%} of held-out unanswerable, "
        f"{s['answerable_abstained']:.0%} of answerable)",
    ]


@app.command()
def info(index: IndexOpt = None, model: ModelOpt = None, home: HomeOpt = None) -> None:
    """Describe the index: model, chunking, counts, build time."""
    from embeddings.store.index import read_manifest

    settings = _settings(home, model, index)
    try:
        folder, manifest = read_manifest(settings.resolved_index_dir)
    except NewsqaError as error:
        raise _fail(error) from None
    typer.echo(f"index       {settings.resolved_index_dir}  (generation {folder.name})")
    typer.echo(f"model       {manifest.model_id}  ({manifest.dimension} dimensions)")
    search = "exact" if manifest.vector_index == "flat" else "HNSW graph"
    typer.echo(f"vectors     {manifest.precision or 'fp32'} embeddings, {search} search")
    typer.echo(f"chunking    {manifest.chunking['size']} chars, overlap {manifest.chunking['overlap']}")
    typer.echo(f"contents    {manifest.counts['articles']} articles, {manifest.counts['chunks']} chunks")
    if manifest.formats:
        read = ", ".join(f"{count} {kind}" for kind, count in manifest.formats.items())
        pages = f"; {manifest.page_images} printed pages for citations" if manifest.page_images else ""
        typer.echo(f"read from   {read}{pages}")
    if manifest.tables:
        named = ", ".join(f"{count} {kind}" for kind, count in manifest.tables.items())
        typer.echo(f"archive     {named} (tables built in {manifest.table_seconds}s)")
    typer.echo(
        f"built       {manifest.built_at} in {manifest.build_seconds}s (schema {manifest.schema_version})"
    )
    typer.echo("versions    " + ", ".join(f"{k} {v}" for k, v in manifest.versions.items()))
    sources = sorted(set(manifest.articles.values()))
    typer.echo(
        f"sources     {len(sources)} files: " + ", ".join(sources[:10]) + (" …" if len(sources) > 10 else "")
    )
    for line in _shard_lines(settings.resolved_index_dir, manifest):
        typer.echo(line)
    for line in _reader_lines(settings):
        typer.echo(line)


def _shard_lines(index_dir: Path, manifest) -> list[str]:
    """What `info` says of a sharded index: each shard's size, dates and where it is served."""
    if not manifest.shards:
        return []
    from embeddings.store.shards import read_serving

    serving = read_serving(index_dir)
    lines = [f"shards      {len(manifest.shards)} shards (BM25 scored with the archive's statistics)"]
    for shard in manifest.shards:
        days = f"{shard['first_day']} … {shard['last_day']}" if shard["first_day"] else "no dates"
        undated = " + undated" if shard["undated"] and shard["first_day"] else ""
        where = serving.get(shard["name"], "in the asking process (no cluster)")
        lines.append(
            f"  {shard['name']}  {shard['articles']} articles, {shard['chunks']} chunks, "
            f"{shard['bytes'] / 1e6:.1f} MB, {days}{undated}; served: {where}"
        )
    return lines


def _rebuild_after(settings, what: str) -> None:
    """Bring the index up to date after files were added or removed (one build, like `build`)."""
    from embeddings.build import rebuild

    update, close = _progress_bar()
    try:
        report = rebuild(settings, progress=update)
    except NewsqaError as error:
        raise _fail(f"{what}, but the index was not rebuilt: {error}") from None
    finally:
        close()
    for warning in report.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    counts = report.manifest.counts
    typer.echo(f"index rebuilt: {counts['articles']} articles, {counts['chunks']} chunks ({report.changes})")


NoBuildOpt = Annotated[bool, typer.Option("--no-build", help="change the archive folder only; build later")]


@app.command()
def add(
    files: Annotated[list[Path], typer.Argument(help="files or zips to add to the index's archive folder")],
    no_build: NoBuildOpt = False,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
) -> None:
    """Copy FILES into the index's archive folder (as the archive page's upload does), then rebuild.

    A file already there (same content) or in a format newsqa does not read is refused; a file of
    the same name is replaced."""
    from embeddings.library import add_files

    settings = _settings(home, model, index)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise _fail(f"not a file: {', '.join(missing)}")
    try:
        report = add_files(settings, [(f.name, f) for f in files])
    except NewsqaError as error:
        raise _fail(error) from None
    for refused in report.refused:
        typer.secho(f"refused: {refused}", fg=typer.colors.YELLOW, err=True)
    for stored in report.stored:
        typer.echo(f"{'replaced' if stored.replaced else 'added'} {stored.name} ({stored.size} bytes)")
    if not report.stored:
        raise typer.Exit(code=1)
    if not no_build:
        _rebuild_after(settings, f"{len(report.stored)} file(s) added")


STATUS_WORDS = {"indexed": "indexed", "pending": "not indexed yet", "removed": "removed, rebuild pending"}


@app.command()
def sources(
    source: Annotated[str | None, typer.Argument(help="a source: list its articles instead")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
) -> None:
    """List the index's sources: files, articles, papers, dates, pages, warnings (SOURCE: its articles)."""
    from dataclasses import asdict

    from embeddings.library import list_sources, source_articles

    settings = _settings(home, model, index)
    try:
        rows = source_articles(settings, source) if source else list_sources(settings)
    except NewsqaError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2))
        return
    if source:
        for row in rows:
            where = " ".join(filter(None, [row.date or "undated", row.paper, row.page, row.page_name]))
            by = f" · {row.reporter}" if row.reporter else ""
            typer.echo(f"{row.id}  {where}  {row.title}{by}  ({row.format}, {row.chunks} chunks)")
        return
    if not rows:
        typer.echo(f"no sources yet: newsqa add FILES, or newsqa build PATHS ({settings.resolved_index_dir})")
    for row in rows:
        dates = f"{row.first_date} – {row.last_date}" if row.first_date else "undated"
        kinds = ", ".join(f"{n} {kind}" for kind, n in row.formats.items()) or "-"
        where = "archive folder" if row.file else "read from its folder"
        typer.echo(
            f"{row.name}  [{STATUS_WORDS[row.status]}; {where}]  {row.articles} articles ({kinds}), {dates}"
            + (f", pages {' '.join(row.pages)}" if row.pages else "")
            + (f", {', '.join(row.papers)}" if row.papers else "")
        )
        for warning in row.warnings:
            typer.secho(f"    warning: {warning}", fg=typer.colors.YELLOW)


@app.command()
def remove(
    source: Annotated[str, typer.Argument(help="a file of the archive folder, as `newsqa sources` names it")],
    no_build: NoBuildOpt = False,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
) -> None:
    """Remove SOURCE from the index, then rebuild. Files outside the archive folder are never deleted."""
    from embeddings.library import remove_file

    settings = _settings(home, model, index)
    try:
        done = remove_file(settings, source.removeprefix("sources/"))
    except NewsqaError as error:
        raise _fail(error) from None
    typer.echo(done)
    if not no_build:
        _rebuild_after(settings, done)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 7860,
    index: IndexOpt = None,
    model: ModelOpt = None,
    home: HomeOpt = None,
    precision: PrecisionOpt = None,
    llm_url: Annotated[
        str | None, typer.Option("--llm-url", help="OpenAI-compatible base URL [env NEWSQA_LLM_BASE_URL]")
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option("--llm-model", help="chat model [env NEWSQA_LLM_MODEL]")
    ] = None,
    auth: Annotated[
        str | None, typer.Option("--auth", help="require a login, user:password [env NEWSQA_AUTH]")
    ] = None,
    ray: RayOpt = None,
) -> None:
    """Serve the chat UI (Gradio) at http://HOST:PORT, building the default index first if missing.

    Answers are extractive unless an LLM endpoint is configured; the key is read from the
    NEWSQA_LLM_API_KEY environment variable only, never from the command line. With --ray, a
    sharded index's shards are served by actors on the Ray cluster.
    """
    from ui.server import serve as serve_ui

    settings = _settings(home, model, index, precision, ray)
    if llm_url:
        key = os.environ.get("NEWSQA_LLM_API_KEY", "")
        settings = replace(
            settings, llm=LLMSettings(base_url=llm_url, model=llm_model or "default", api_key=key)
        )
    update, close = _progress_bar()

    def progress(done: int, total: int) -> None:
        update(done, total)
        if done >= total:
            close()  # the bar ends with the build, not when the server stops

    try:
        serve_ui(settings, host=host, port=port, progress=progress, auth=auth)
    except NewsqaError as error:
        raise _fail(error) from None
    finally:
        close()


def _bare_ray_flag(args: list[str]) -> list[str]:
    """`--ray` with no address (last, or before another option) means a local cluster; Typer's
    options have no optional values, so it is spelled `--ray=local` for it."""
    return [
        "--ray=local" if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")) else arg
        for i, arg in enumerate(args)
    ]


def main() -> None:
    # Level on the handler, not only the root: bm25s sets its own logger to DEBUG on import.
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    # The CLI shows its own progress; the libraries' load bars would only add noise.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    app(args=_bare_ray_flag(sys.argv[1:]))
