"""Places and organisations in news text: real sentences of the sample and the 2024 archive, no model."""

from __future__ import annotations

from embeddings.extract.entities import entities_in_articles, find_entities, find_organisations, find_places


def _found(text: str) -> list[tuple[str, str, str]]:
    return [(m.kind, m.name, m.category) for m in find_entities(text)]


def test_places_with_their_category() -> None:
    assert _found("委书记乔俊杰带队来到前黄镇，督查突出环境问题整") == [("place", "前黄镇", "镇")]
    assert [m.name for m in find_places("乔俊杰一行还来到前黄镇红星村滩涂上浜西侧地")][:2] == [
        "前黄镇",
        "红星村",
    ]
    assert [m.name for m in find_places("江苏省常州市武进区")] == ["江苏省", "常州市", "武进区"]
    assert ("place", "俄罗斯", "国家") in _found("俄罗斯总统普京")


def test_organisations_keep_their_whole_name() -> None:
    names = [m.name for m in find_organisations("中国石油天然气集团有限公司和常州市第一人民医院")]
    assert names == ["中国石油天然气集团有限公司", "常州市第一人民医院"]


def test_leading_verbs_and_generic_words_are_not_names() -> None:
    assert [m.name for m in find_places("调研组首先来到礼嘉镇建东村")] == ["礼嘉镇", "建东村"]
    for text in ["全区各地", "该公司", "本市", "基层干部", "全国31个省（区、市）"]:
        assert _found(text) == [], text
    assert [m.name for m in find_places("云南个旧市")] == ["云南个旧市"]  # 个 after no number


def test_spans_are_verbatim_in_their_sentences(sample_articles) -> None:
    records = entities_in_articles(sample_articles)
    by_id = {a.id: a for a in sample_articles}
    assert {"前黄镇", "红星村"} <= {r.name for r in records}
    for record in records:
        assert record.name in by_id[record.article_id].text[record.sentence_start : record.sentence_end]
