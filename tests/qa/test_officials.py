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
        ("常州市的市委书记是谁？", "陈金虎"),  # the page names no 常州: the paper's own city
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
    wrote = answer_with(retriever, "张可馨写了哪篇报道？")  # 哪篇 asks the same
    assert wrote.short_answer == "1篇" and wrote.citations[0].hit.title.startswith("武进—汉滨")


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


@pytest.fixture(scope="module")
def national_retriever(settings, encoder, tmp_path_factory):
    """2024 news naming office holders of many places and banks, and who spoke at a study
    session, beside the sample pages."""
    import json
    import shutil
    from dataclasses import replace

    from embeddings.build import build_from_paths
    from embeddings.settings import bundled_sample_dir
    from tests.conftest import XWLB

    if not XWLB.is_file():
        pytest.skip(f"{XWLB} is absent")
    wanted = {
        *("20240305-1", "20240312-9", "20240325-11", "20240424-1", "20240826-3", "20241209-5"),
        *("20240906-5", "20240526-1"),  # 王毅参加会见 untitled; 外交部长王毅 elsewhere
    }
    rows = [row for line in XWLB.open(encoding="utf-8") if (row := json.loads(line))["id"] in wanted]
    folder = tmp_path_factory.mktemp("offices")
    (folder / "xwlb.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    shutil.copytree(bundled_sample_dir(), folder / "wujin")
    index = replace(settings, index_dir=folder / "index")
    build_from_paths([folder], index, encoder=encoder)
    return get_retriever(index)


def test_who_went_along_is_the_closing_line_named_by_the_archive(national_retriever) -> None:
    # 王毅参加会见。 closes the report untitled; another story of the archive titles him. The
    # reader alone answers with the guest the question names (恩巴洛).
    for question in ("哪些人陪同习近平会见几内亚比绍总统？", "谁参加了习近平会见几内亚比绍总统的活动？"):
        result = answer_with(national_retriever, question)
        assert result.short_answer == "王毅" and result.text.endswith("王毅参加会见。[1]")


def test_a_title_answers_only_for_the_office_and_place_asked(national_retriever, reader) -> None:
    def ask(question: str):
        return answer_with(national_retriever, question, reader=reader)

    # 市长胡衡华 stands in a report from 重庆: 重庆's mayor, not 北京's; and 北京市副市长司马红
    # holds another title. The archive names no mayor of 北京.
    assert ask("重庆市市长是谁？").short_answer == "胡衡华"
    beijing = ask("北京市市长是谁？")
    assert beijing.short_answer not in ("胡衡华", "司马红")
    # 新开发银行行长罗塞芙 is a 银行行长 (a bank's president) but not the 亚洲开发银行's.
    assert ask("谁是新开发银行行长？").short_answer == "罗塞芙"
    asian = ask("亚洲开发银行行长是谁？")
    assert asian.short_answer != "罗塞芙"
    assert "浅川雅嗣" in asian.text
    # The paper's own district names no place in its titles: 区长 is still 武进's.
    assert ask("武进区区长是谁？").short_answer == "恽淇丞"


def test_a_deputy_is_not_the_holder_of_the_title() -> None:
    from qa.question_types import answer_shape

    mayor = answer_shape("北京市市长是谁？")
    assert mayor("胡衡华", "重庆市委书记袁家军和市长") and not mayor("司马红", "北京市副市长")
    assert answer_shape("谁是国务院副总理？")("丁薛祥", "国务院副总理")


def test_who_did_the_act_asked_is_named_where_the_act_is(national_retriever, reader) -> None:
    def ask(question: str):
        return answer_with(national_retriever, question, reader=reader)

    # 李强 hosts the session in the opening sentence, in the question's words; the lecturer and
    # the speakers are named where the report says 作讲解 and 作交流发言.
    lecturer = ask("谁在国务院第九次专题学习时作讲解？")
    assert lecturer.short_answer == "复旦大学教授吴玉韶"
    assert lecturer.text.endswith("复旦大学教授吴玉韶作讲解。[1]")
    speakers = ask("谁在国务院第九次专题学习时作交流发言？")
    assert speakers.short_answer == "国务院副总理刘国中，国务委员王小洪、谌贻琴"
    # 作政府工作报告 is read by the reader as before: its 作 is not the 作 of 工作报告.
    assert ask("谁作了2024年政府工作报告？").short_answer == "李强"
