"""Cited answers on the sample, with the real model, the real index and the shipped reader."""

from __future__ import annotations

import math
from functools import partial

import pytest

from embeddings.errors import QuestionError
from qa import answer
from qa.answer import (
    ABSTAIN_TEXT,
    READ_PASSAGES,
    REST_OVERLAP,
    answer_with,
    best_chunks,
    read_passages,
    reading_plan,
    search_passages,
)
from qa.history import FollowUp, Turn
from qa.question_types import classify
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retriever(sample_index, sample_settings):
    return get_retriever(sample_settings)


@pytest.fixture(scope="module")
def ask(retriever, reader):
    """answer_with over the sample, read by the shipped span reader."""
    return partial(answer_with, retriever, reader=reader)


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("前黄浜全长多少公里？", "2.3公里"),
        ("建东村现有多少条小微水体？", "38条"),
        ("武进区区长是谁？", "恽淇丞"),
        ("汉滨区区长是谁？", "吴大林"),
        ("南夏墅街道与哪个镇签订了结对帮扶协议？", "吉河镇"),
        ("区人大常委会工作综述是哪位记者写的？", "史莲寅"),
    ],
)
def test_short_answer_leads_and_is_cited(ask, retriever, question: str, short: str) -> None:
    result = ask(question)
    assert not result.abstained
    assert result.short_answer == short
    assert result.text.startswith(f"{short}[1]")
    assert result.citations[0].number == 1


@pytest.fixture(scope="module")
def eval_answers(ask, eval_questions) -> list[tuple[dict, object]]:
    """Each sample evaluation question with its answer, answered once for the tests below."""
    return [(row, ask(row["question"])) for row in eval_questions]


def test_every_cited_sentence_is_verbatim_in_its_passage(retriever, eval_answers) -> None:
    for _, result in eval_answers:
        for citation in result.citations:
            article = retriever.index.articles[citation.hit.article_id]
            assert citation.hit.text == article.text[citation.hit.start : citation.hit.end]
            for start, end in citation.spans:
                quoted = article.text[start:end]
                assert citation.hit.start <= start < end <= citation.hit.end
                assert f"{quoted}[{citation.number}]" in result.text


def test_eval_questions_meet_the_bar(eval_answers) -> None:
    answerable = [row for row, _ in eval_answers if row["answers"]]
    correct = 0
    for row, result in eval_answers:
        if not row["answers"]:
            assert result.abstained, row["question"]
            assert result.text == ABSTAIN_TEXT and result.related
        else:
            correct += not result.abstained and any(a in result.text for a in row["answers"])
    assert correct >= 0.9 * len(answerable), f"{correct}/{len(answerable)}"


def test_the_reader_reads_the_best_chunks_then_the_rest_of_the_top_passage(retriever) -> None:
    question = "武进区防汛工作会议有哪些人参加？"
    ranked, hits = search_passages(retriever, question, classify(question), 5)
    chunks = best_chunks(retriever, ranked, hits, 3)
    assert [c.passage for c in chunks] == [0, 1, 2]
    index_chunks = retriever.index.chunks
    for chunk, hit in zip(chunks, hits, strict=False):
        # The best-ranked chunk inside the passage, as a span of the passage text.
        inside = [
            index_chunks[c]
            for c, _ in ranked
            if index_chunks[c].article_id == hit.article_id
            and hit.start <= index_chunks[c].start
            and index_chunks[c].end <= hit.end
        ]
        assert (chunk.start, chunk.end) == (inside[0].start - hit.start, inside[0].end - hit.start)
    lengths = [len(h.text) for h in hits]
    first, more = reading_plan(chunks, lengths, whole=1)
    assert first == chunks[:1]
    assert more[:2] == chunks[1:]
    # The rest of the top passage, overlapping its chunk, covers the passage with it.
    rest = more[2:]
    assert rest and all(p.passage == 0 for p in rest)
    covered = set().union(*(range(p.start, p.end) for p in [chunks[0], *rest]))
    assert covered == set(range(lengths[0]))
    for part in rest:  # each reads REST_OVERLAP characters of the chunk again
        shared = min(part.end, chunks[0].end) - max(part.start, chunks[0].start)
        assert shared == min(REST_OVERLAP, chunks[0].end - chunks[0].start)


def test_a_sure_first_chunk_ends_the_reading(retriever, reader) -> None:
    question = "前黄浜全长多少公里？"
    ranked, hits = search_passages(retriever, question, classify(question), 5)
    sure = read_passages(retriever, reader, question, ranked, hits, sure=-math.inf)
    read_on = read_passages(retriever, reader, question, ranked, hits, sure=math.inf)
    assert len(sure) == 1 and len(read_on) == min(READ_PASSAGES, len(hits))
    # Reading on keeps the first chunk's span unless the rest of the passage reads a better one.
    assert read_on[0].margin >= sure[0].margin
    assert "2.3公里" in hits[0].text[sure[0].start : sure[0].end + 2]


def test_unanswerable_question_abstains_with_related_passages(ask, retriever) -> None:
    result = ask("武进的GDP是多少？")
    assert result.abstained and not result.citations
    assert 1 <= len(result.related) <= 3


def test_follow_up_about_a_person(ask, retriever) -> None:
    first = ask("乔俊杰担任什么职务？")
    assert "区委书记" in (first.short_answer or "")
    second = ask("他还参加了哪些活动？", [Turn("乔俊杰担任什么职务？", first.text)])
    assert "乔俊杰" in second.search_query
    assert not second.abstained and "乔俊杰" in second.text


def test_follow_up_switches_place(ask, retriever) -> None:
    first = ask("武进区区长是谁？")
    second = ask("那汉滨区的区长是谁？", [Turn("武进区区长是谁？", first.text)])
    assert first.short_answer == "恽淇丞"
    assert second.short_answer == "吴大林"


def test_x_ne_asks_the_previous_question_of_x(ask) -> None:
    first = ask("武进区区长是谁？")
    second = ask("汉滨区呢？", [Turn("武进区区长是谁？", first.text)])
    assert second.search_query == "汉滨区区长是谁？" and second.short_answer == "吴大林"


@pytest.mark.parametrize(
    ("previous", "question", "query"),
    [
        ("广西2023年经济总量是多少？", "2012年呢？", "广西2012年经济总量是多少？"),
        ("2024年3月有多少篇报道提到两会？", "那6月呢？", "2024年6月有多少篇报道提到两会？"),  # the year stays
        ("习近平11月去了哪些国家？", "去年呢？", "习近平去年去了哪些国家？"),
        # A titled name is no bare person: searched as asked.
        ("国务院总理李强去了哪里？", "国务院副总理丁薛祥呢？", "国务院副总理丁薛祥呢？"),
        ("中国体育代表团获得了多少枚金牌？", "奖牌总数呢？", "奖牌总数呢？"),  # no date, person or place
    ],
)
def test_x_ne_swaps_a_date_person_or_place(previous: str, question: str, query: str) -> None:
    from qa.history import contextualize

    assert contextualize(question, [Turn(previous)]).query == query


def test_a_leaning_question_is_searched_with_the_previous_topic_not_its_question() -> None:
    from qa.history import contextualize

    # Read with the whole previous question, the reader answered it again (三年).
    previous = Turn("全国碳市场启动几年了？", "三年[1]")
    assert contextualize("此次启动以来减排成本降低了多少？", [previous]) == FollowUp(
        "全国碳市场启动 启动以来减排成本降低了多少？"
    )
    assert contextualize("这次对话是第几次？", [Turn("中欧高层对话在哪里举行？")]) == FollowUp(
        "中欧高层对话 对话是第几次？"
    )


def test_history_as_chat_messages(sample_index, sample_settings) -> None:
    history = [
        {"role": "user", "content": "乔俊杰担任什么职务？"},
        {"role": "assistant", "content": [{"type": "text", "text": "市委常委、区委书记[1]"}]},
    ]
    result = answer("他去了哪个镇？", history=history, settings=sample_settings)
    assert result.short_answer == "前黄镇"


@pytest.mark.parametrize("question", ["", "   ", "问" * 600])
def test_bad_questions_raise_a_clear_error(ask, retriever, question: str) -> None:
    with pytest.raises(QuestionError):
        ask(question)


@pytest.mark.parametrize(
    "question", ["😀😀😀", "Who is the mayor of Wujin?", "<script>alert(1)</script>", "？？？", "的的的"]
)
def test_odd_questions_abstain_instead_of_failing(ask, retriever, question: str) -> None:
    result = ask(question)
    assert result.abstained and result.text == ABSTAIN_TEXT


def test_relative_dates_of_a_short_answer_are_written_out_once_per_day() -> None:
    from qa.answer import dates_note

    assert dates_note("今天（6月2日）", "2024-06-02") == "（即2024年6月2日）"  # one day, named twice
    assert dates_note("昨天和前天", "2024-06-28") == "（昨天即2024年6月27日，前天即2024年6月26日）"
    assert dates_note("近日", "2024-06-28") == ""  # a vague window is left as printed
    assert dates_note("昨天", None) == ""  # no publication date: nothing to count from


@pytest.mark.parametrize(
    ("previous", "question", "query"),
    [
        (
            "巴黎奥运会中国体育代表团获得了多少枚金牌？",
            "他们一共获得多少枚奖牌？",
            "巴黎奥运会中国体育代表团一共获得多少枚奖牌？",
        ),
        ("神舟十八号乘组的航天员有哪些？", "他们什么时候返回地球？", "神舟十八号乘组什么时候返回地球？"),
        ("中美两国领导人互致贺信了吗？", "他们说了什么？", "中美两国领导人说了什么？"),
    ],
)
def test_they_after_a_question_about_a_group_is_that_group(previous: str, question: str, query: str) -> None:
    from qa.history import contextualize

    assert contextualize(question, [Turn(previous)]) == FollowUp(query)
    # 他 is a person, never the group: with nobody named it stays unresolved (no index to look in).
    assert contextualize("他去了哪里？", [Turn(previous)]).unresolved == "他"


@pytest.mark.parametrize(
    ("previous", "question", "query"),
    [
        ("秦岭站在哪里？", "它是什么时候建成的？", "秦岭站是什么时候建成的？"),
        ("第十五届中国航展在哪里举办？", "它有多少家企业参展？", "第十五届中国航展有多少家企业参展？"),
        ("请问嫦娥六号从月球背面带回了多少克样品？", "它什么时候发射的？", "嫦娥六号什么时候发射的？"),
    ],
)
def test_it_is_the_thing_the_previous_question_asked_about(previous: str, question: str, query: str) -> None:
    from qa.history import contextualize

    assert contextualize(question, [Turn(previous, "乔俊杰强调…")]) == FollowUp(query)  # never a person


def test_among_them_narrows_the_previous_question() -> None:
    from datetime import date

    from embeddings.extract.dates import question_date_range
    from embeddings.store.keywords import KeywordTokenizer
    from qa.archive.grammar import Asked, parse_archive_question
    from qa.history import contextualize

    count = "2024年3月有多少篇报道提到两会？"
    # The previous answer names people: 其中 stands for none of them.
    followed = contextualize(
        "其中提到新质生产力的有多少篇？", [Turn(count, "共有30篇报道提到“两会”。…乔俊杰…")]
    )
    assert followed == FollowUp(f"{count} 提到新质生产力的有多少篇？")
    window, rest = question_date_range(followed.query, date(2024, 12, 31))
    tokenizer = KeywordTokenizer()
    parsed = parse_archive_question(rest, lambda text: [text[s:e] for s, e in tokenizer.word_spans(text)])
    assert window is not None and window.iso() == ("2024-03-01", "2024-03-31")
    assert parsed.asked is Asked.COUNT and parsed.terms == ("两会", "新质生产力")


@pytest.mark.parametrize(
    ("text", "question", "answer"),
    [
        ("福建已打造了超过40个平台", "福建打造了多少个平台？", "超过40个平台"),
        ("居住着近2万人", "居住着多少人？", "近2万人"),
        ("大约92%的妇女", "多少比例的妇女？", "大约92%的妇女"),
        ("人口约49.3万", "约多少人口？", "49.3万"),  # the question holds the bound
        ("最近3年", "几年？", "3年"),  # 最近 is recently, no bound
        ("节约40吨", "多少吨？", "40吨"),
        ("年仅18岁", "几岁？", "18岁"),
    ],
)
def test_a_number_leads_with_its_bound(text: str, question: str, answer: str) -> None:
    from qa.answer import start_with_bound

    start = next(i for i, c in enumerate(text) if c.isdigit())
    assert text[start_with_bound(text, start, question) :] == answer
