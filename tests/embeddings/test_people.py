"""Finding people in news text: pure pattern tests, no model."""

from __future__ import annotations

from embeddings.extract.people import find_people, people_in_articles


def _names(text: str) -> list[tuple[str, str, str]]:
    return [(p.name, p.title, p.role) for p in find_people(text)]


def test_title_runs_names_and_lists() -> None:
    assert _names("昨天,市委常委、区委书记乔俊杰就落实全面从严治党主体责任") == [
        ("乔俊杰", "市委常委、区委书记", "official")
    ]
    assert _names("市委常委、区委书记乔俊杰会见了汉滨区委副书记、区长吴大林，双方") == [
        ("乔俊杰", "市委常委、区委书记", "official"),
        ("吴大林", "汉滨区委副书记、区长", "official"),
    ]
    assert [n for n, _, _ in _names("区领导薛红霞、胡泊参加会议。")] == ["薛红霞", "胡泊"]
    assert _names("副区长朱小平参加活动。") == [("朱小平", "副区长", "official")]


def test_leading_verb_is_not_part_of_the_title() -> None:
    assert _names("以提案为纽带,承办市委书记陈金虎领办的专题重点提案") == [("陈金虎", "市委书记", "official")]


def test_reporters_from_bylines() -> None:
    assert _names("□ 记者 史莲寅") == [("史莲寅", "记者", "reporter")]
    assert _names("本报讯（记者 张可馨）6月26日") == [("张可馨", "记者", "reporter")]


def test_organisations_and_phrases_are_not_people() -> None:
    for text in [
        "对区委常委会班子成员进行集体约谈",
        "陕西省安康市汉滨区党政代表团来我区",
        "调研组首先来到礼嘉镇建东村",
        "深入学习贯彻党纪学习教育的重要讲话",
        "政协委员和基层群众",
        "记者从区文体局获悉",
    ]:
        assert _names(text) == [], text


def test_mentions_keep_their_sentence(sample_articles) -> None:
    records = people_in_articles(sample_articles)
    by_id = {a.id: a for a in sample_articles}
    for record in records:
        sentence = by_id[record.article_id].text[record.sentence_start : record.sentence_end]
        assert record.name in sentence
