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
    assert [name for name, _, _ in _names("本报讯（记者 张可馨 通讯员 李明）")] == ["张可馨", "李明"]
    # In running text, a name jieba reads after 记者; none where a verb or a preposition follows
    # (national news says 记者从…了解到, 向记者展示).
    assert _names("本报记者张可馨报道") == [("张可馨", "记者", "reporter")]
    assert _names("台湾《和平日报》记者王思翔所著") == [("王思翔", "记者", "reporter")]
    for text in [
        "记者来到这里，看到",
        "记者从水利部了解到",
        "记者向中国驻所在国使领馆",
        "给记者来了个“下马威”",
    ]:
        assert _names(text) == [], text


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


def test_national_and_foreign_leaders_from_the_2024_archive() -> None:
    assert _names("习近平总书记高度重视") == [("习近平", "总书记", "official")]
    assert _names("中共中央总书记、国家主席、中央军委主席习近平出席") == [
        ("习近平", "中共中央总书记、国家主席、中央军委主席", "official")
    ]
    assert _names("国务院总理李强监誓") == [("李强", "国务院总理", "official")]
    assert _names("在里约热内卢会见联合国秘书长古特雷斯") == [("古特雷斯", "联合国秘书长", "official")]
    assert _names("伊朗最高领袖阿里·哈梅内伊") == [("阿里·哈梅内伊", "伊朗最高领袖", "official")]
    assert ("金正恩", "朝鲜劳动党总书记、国务委员长", "official") in _names(
        "中共中央总书记、国家主席习近平同朝鲜劳动党总书记、国务委员长金正恩互致新年贺电"
    )
    # 总统 after 马克龙 is his (jieba cuts 马克|龙), not the first part of the next name's run.
    names = _names("习近平主席在巴黎同马克龙总统、欧盟委员会主席冯德莱恩举行会晤")
    assert ("冯德莱恩", "欧盟委员会主席", "official") in names  # an international body's head: whole
    assert not any("总统" in title for _, title, _ in names)
    assert _names("北约秘书长斯托尔滕贝格表示") == [("斯托尔滕贝格", "北约秘书长", "official")]


def test_untitled_mentions_are_persons() -> None:
    assert _names("俄罗斯总统普京。习近平和普京会谈") == [
        ("普京", "俄罗斯总统", "official"),
        ("习近平", "", "person"),
        ("普京", "", "person"),
    ]
    assert _names("习近平指出，中朝是山水相连的友好邻邦。") == [("习近平", "", "person")]


def test_aliases_stand_for_the_one_fitting_person() -> None:
    assert _names("国务院总理李强出席。李总理说") == [
        ("李强", "国务院总理", "official"),
        ("李强", "总理", "official"),
    ]
    # Two 乔 who are 书记: 乔书记 could be either, so it is nobody.
    names = [n for n, _, _ in _names("区委书记乔俊杰、市委书记乔大林出席。乔书记说")]
    assert names == ["乔俊杰", "乔大林"]
