"""Date filters over a small dated archive written for the test (real model, real index)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from embeddings.build import build_from_paths
from embeddings.errors import QuestionError
from qa import retrieve
from qa.answer import answer_with
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow

ARTICLES = [
    ("2023-07-03", "区防汛工作会议召开", "本报讯 昨天，区防汛抗旱指挥部召开防汛工作会议，部署汛期安全工作。"),
    ("2024-04-10", "春季植树活动举行", "本报讯 昨天上午，区领导参加春季植树活动，全区共植树两万株。"),
    ("2024-05-16", "区人大视察河道整治", "本报讯 昨天，区人大常委会视察河道整治工作，查看了三条河道。"),
    ("2024-06-20", "区委召开防汛工作会议", "本报讯 昨天下午，区委召开防汛工作会议，要求全力做好防汛准备。"),
]


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory, settings, encoder):
    folder = tmp_path_factory.mktemp("dated")
    rows = [
        {"id": f"a{i}", "title": title, "text": text, "date": day}
        for i, (day, title, text) in enumerate(ARTICLES)
    ]
    (folder / "archive.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
    )
    (folder / "2024-06-28_page.txt").write_text(
        "区图书馆新馆开放\n\n本报讯（记者 王一）昨天，区图书馆新馆正式开放，防汛物资也已备齐。\n",
        encoding="utf-8",
    )
    dated_settings = replace(settings, index_dir=folder / "index")
    build_from_paths([folder], dated_settings, encoder=encoder)
    return dated_settings


def _titles(hits) -> set[str]:
    return {hit.title for hit in hits}


def test_explicit_range_filters(dated) -> None:
    hits = retrieve("防汛工作会议", k=5, settings=dated, date_from="2024-06-01", date_to="2024-06-30")
    assert _titles(hits) == {"区委召开防汛工作会议", "区图书馆新馆开放"}
    hits = retrieve("防汛工作会议", k=5, settings=dated, date_to="2023-12-31")
    assert _titles(hits) == {"区防汛工作会议召开"}


def test_event_date_counts_as_well_as_publication_date(dated) -> None:
    # Published 2024-05-16, but 昨天 is 2024-05-15: a filter on the 15th finds it.
    hits = retrieve("河道整治", k=5, settings=dated, date_from="2024-05-15", date_to="2024-05-15")
    assert _titles(hits) == {"区人大视察河道整治"}


def test_date_from_the_file_name(dated) -> None:
    hits = retrieve("图书馆", k=5, settings=dated, date_from="2024-06-28", date_to="2024-06-28")
    assert [(h.title, h.date) for h in hits][:1] == [("区图书馆新馆开放", "2024-06-28")]


@pytest.mark.parametrize(
    ("question", "titles"),
    [
        ("上个月有哪些活动？", {"区人大视察河道整治"}),  # newest issue 2024-06-28: May 2024
        ("去年开了什么防汛会议？", {"区防汛工作会议召开"}),
        ("2024年4月有什么活动？", {"春季植树活动举行"}),
    ],
)
def test_time_in_the_question_applies(dated, question: str, titles: set[str]) -> None:
    assert _titles(retrieve(question, k=5, settings=dated)) == titles


def test_answer_respects_the_window(dated) -> None:
    retriever = get_retriever(dated)
    result = answer_with(retriever, "防汛工作会议是什么时候召开的？", date_to="2023-12-31")
    assert {c.hit.title for c in result.citations} <= {"区防汛工作会议召开"}


def test_bad_date_filter_is_a_clear_error(dated) -> None:
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        retrieve("防汛", settings=dated, date_from="2024/13/01")
