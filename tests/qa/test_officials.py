"""The people table of the sample index, and the answers built from it (real model and index)."""

from __future__ import annotations

import pytest

from qa import officials
from qa.answer import answer_with
from qa.retrieve import get_retriever

pytestmark = pytest.mark.slow

EXPECTED_OFFICIALS = {
    "乔俊杰": "市委常委、区委书记",
    "恽淇丞": "区委副书记、区长",
    "孙益锋": "区委常委、副区长",
    "朱小平": "副区长",
    "吴大林": "汉滨区委副书记、区长",
    "陈金虎": "市委书记",
}
LISTED_LEADERS = ["薛红霞", "胡泊", "郑政平", "李皓", "张小虎"]
REPORTERS = {"朱梦琪": 2, "史莲寅": 1, "吴梦婷": 1, "张可馨": 1, "黄雅婷": 1, "宋祎凡": 1}


@pytest.fixture(scope="module")
def people(sample_index, sample_settings) -> dict[tuple[str, str], officials.Person]:
    return {(p.name, p.role): p for p in officials.people(settings=sample_settings)}


def test_officials_with_their_titles(people) -> None:
    for name, title in EXPECTED_OFFICIALS.items():
        assert title in people[(name, "official")].titles, name
    for name in LISTED_LEADERS:
        assert (name, "official") in people, name


def test_reporters_with_article_counts(people) -> None:
    for name, count in REPORTERS.items():
        assert people[(name, "reporter")].article_count == count, name


def test_no_organisation_place_or_phrase_is_a_person(people) -> None:
    # 习近平 is named in the sample too (深入学习贯彻习近平总书记关于…).
    expected = set(EXPECTED_OFFICIALS) | set(LISTED_LEADERS) | set(REPORTERS) | {"习近平"}
    assert {name for name, _ in people} == expected


def test_lookup_by_name_and_title(sample_index, sample_settings) -> None:
    assert officials.by_name("乔俊杰", settings=sample_settings).article_count == 4
    assert officials.by_name("无此人", settings=sample_settings) is None
    assert {p.name for p in officials.by_title("区长", settings=sample_settings)} == {"恽淇丞", "吴大林"}
    assert {p.name for p in officials.by_title("副区长", settings=sample_settings)} == {"孙益锋", "朱小平"}


@pytest.fixture(scope="module")
def retriever(sample_index, sample_settings):
    return get_retriever(sample_settings)


@pytest.mark.parametrize(
    ("question", "short"),
    [
        ("谁是区长？", "恽淇丞"),
        ("武进区委书记是谁？", "乔俊杰"),
        ("汉滨区区长是谁？", "吴大林"),
    ],
)
def test_who_holds_a_title(retriever, question: str, short: str) -> None:
    result = answer_with(retriever, question)
    assert result.short_answer == short
    quoted = result.citations[0].hit.text
    assert short in quoted


def test_titles_of_a_person_are_each_cited(retriever) -> None:
    result = answer_with(retriever, "乔俊杰担任什么职务？")
    assert result.short_answer == "市委常委、区委书记、区委党建工作领导小组组长"
    assert len(result.citations) == 2
    for citation in result.citations:
        for start, end in citation.spans:
            sentence = retriever.index.articles[citation.hit.article_id].text[start:end]
            assert "乔俊杰" in sentence and f"{sentence}[{citation.number}]" in result.text


def test_activities_are_a_timeline_one_line_per_article(retriever) -> None:
    result = answer_with(retriever, "乔俊杰参加了哪些活动？")
    lines = [line for line in result.text.splitlines() if line.startswith("·")]
    assert len(lines) == 4 == len({c.hit.article_id for c in result.citations})
    assert all("乔俊杰" in line for line in lines)


def test_reporter_articles(retriever) -> None:
    result = answer_with(retriever, "朱梦琪报道了哪些新闻？")
    assert result.short_answer == "2篇"
    titles = {c.hit.title for c in result.citations}
    assert titles == {"乔俊杰集体约谈区委常委会班子成员", "2024年区委党建工作领导小组第二次会议召开"}


def test_national_titles_in_questions() -> None:
    from qa.question_types import QuestionType, extract_short_answer, person_fit

    assert person_fit("谁是国务院总理？", "中共中央政治局常委、国务院总理") > person_fit(
        "谁是国务院总理？", "国务院副总理"
    )
    sentence = "国务委员、国务院秘书长吴政隆宣读任命书，国务院总理李强监誓。"
    assert extract_short_answer(QuestionType.PERSON, "谁是国务院总理？", sentence) == "李强"
    assert (
        extract_short_answer(QuestionType.TITLE, "李强担任什么职务？", "国务院总理李强监誓。") == "国务院总理"
    )


def test_who_attended_is_the_attendance_line_not_the_host(retriever) -> None:
    # The opening sentence names the host (乔俊杰主持召开…第二次会议) in the question's words;
    # the attendance line that answers comes at the paragraph's end.
    result = answer_with(retriever, "谁参加了2024年区委党建工作领导小组第二次会议？")
    assert result.short_answer == "区领导薛红霞、胡泊" and "乔俊杰" not in result.short_answer
    assert result.text.endswith("区领导薛红霞、胡泊参加会议。[1]")
    assert result.citations[0].hit.title.startswith("2024年区委党建工作领导小组第二次会议")
    other = answer_with(retriever, "谁带队调研了乡村振兴工作？")  # no attendance asked: as before
    assert "孙益锋" in other.short_answer
