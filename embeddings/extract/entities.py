"""Places and organisations in Chinese news text, and the tagged words both they and people are found in.

Words come from a private jieba tokenizer (HMM on, so unknown names come out whole), their tags
from jieba's dictionary: a dictionary lookup per word instead of `jieba.posseg`'s tagger, which is
several times slower. A place or organisation is a run of name-like words ending in a category
suffix (前黄镇, 常州市第一人民医院, 中国石油天然气集团有限公司), or a country jieba knows as a place
(中国, 俄罗斯). Runs never start with a verb, preposition or pronoun (来到…, 在…, 该公司), and
generic words (全区, 本市, 各地) are not names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from embeddings.articles import Article
from embeddings.chunking import split_sentences

__all__ = [
    "COUNTRIES",
    "EntityMention",
    "EntityRecord",
    "Word",
    "entities_in_articles",
    "find_entities",
    "find_organisations",
    "find_places",
    "sentence_of",
    "tag_words",
]


def word_list(*lines: str) -> list[str]:
    """Words written space-separated over several lines (long word lists stay readable)."""
    return " ".join(lines).split()


class Word(NamedTuple):
    """One jieba word of a text (a NamedTuple: a text has hundreds, an archive millions)."""

    text: str
    start: int
    end: int
    tag: str  # jieba's dictionary tag; "x" for a word the dictionary lacks (HMM-found, punctuation)


@lru_cache(maxsize=1)
def _jieba():  # -> (jieba.Tokenizer, word -> tag): loaded on first use, never at import
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()  # private: the global instance may carry others' added words
    tokenizer.initialize()
    return tokenizer, jieba.posseg.POSTokenizer(tokenizer).word_tag_tab


def jieba_tags() -> dict[str, str]:
    """jieba's dictionary: word -> part-of-speech tag."""
    return _jieba()[1]


def tag_words(text: str, only: Callable[[str], object] | None = None) -> list[Word]:
    """The words of `text` with their spans and dictionary tags, punctuation and spaces left out.

    `only`: cut just the blocks (runs between punctuation) it is true of (a pattern's `search`),
    for callers that look near a few kinds of words: most of an archive then needs no cutting.
    """
    words = []
    for block in _BLOCK.finditer(text):  # jieba cuts each such block on its own
        if only is not None and not only(block.group()):
            continue
        at = block.start()
        for word, tag in _tagged_block(block.group()):
            words.append(Word(word, at, at + len(word), tag))
            at += len(word)
    return words


# jieba's own blocks (jieba.re_han_default), with the dot of foreign names (阿里·哈梅内伊) inside.
_BLOCK = re.compile("[\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-·]+")


@lru_cache(maxsize=200_000)
def _tagged_block(block: str) -> tuple[tuple[str, str], ...]:
    """One block's words and tags; news repeats its clauses (titles, names), so they are cut once."""
    tokenizer, tags = _jieba()
    return tuple((word, tags.get(word, "x")) for word in tokenizer.cut(block))


COUNTRIES = frozenset(
    word_list(
        "中国 美国 俄罗斯 日本 韩国 朝鲜 英国 法国 德国 意大利 西班牙 葡萄牙 希腊 荷兰 "
        "比利时 瑞士 奥地利 瑞典 挪威 芬兰 丹麦 波兰 匈牙利 捷克 斯洛伐克 塞尔维亚 罗马尼亚 "
        "保加利亚 乌克兰 白俄罗斯 土耳其 伊朗 伊拉克 叙利亚 黎巴嫩 以色列 约旦 沙特 沙特阿拉伯 "
        "阿联酋 卡塔尔 科威特 阿曼 也门 埃及 利比亚 突尼斯 阿尔及利亚 摩洛哥 苏丹 埃塞俄比亚 "
        "肯尼亚 坦桑尼亚 南非 尼日利亚 尼日尔 加纳 刚果 安哥拉 赞比亚 津巴布韦 莫桑比克 "
        "马达加斯加 印度 巴基斯坦 孟加拉国 斯里兰卡 尼泊尔 阿富汗 哈萨克斯坦 乌兹别克斯坦 "
        "吉尔吉斯斯坦 塔吉克斯坦 土库曼斯坦 蒙古 越南 老挝 柬埔寨 泰国 缅甸 马来西亚 新加坡 "
        "印度尼西亚 印尼 菲律宾 文莱 东帝汶 澳大利亚 新西兰 斐济 瑙鲁 巴布亚新几内亚 加拿大 "
        "墨西哥 古巴 巴西 阿根廷 智利 秘鲁 哥伦比亚 委内瑞拉 厄瓜多尔 玻利维亚 乌拉圭 巴拉圭 "
        "尼加拉瓜 洪都拉斯 巴拿马 多米尼加 阿塞拜疆 亚美尼亚 格鲁吉亚 巴勒斯坦 爱尔兰 冰岛 "
        "立陶宛 拉脱维亚 爱沙尼亚 克罗地亚 斯洛文尼亚 黑山 北马其顿 阿尔巴尼亚 摩尔多瓦 塞浦路斯 "
        "马耳他 卢森堡 马尔代夫 所罗门群岛 瓦努阿图 汤加 萨摩亚 基里巴斯 贝宁 多哥 马里 乍得 "
        "塞内加尔 几内亚 喀麦隆 加蓬 卢旺达 乌干达 布隆迪 吉布提 索马里 毛里塔尼亚 纳米比亚 "
        "博茨瓦纳"
    )
)

# Category suffixes, longest first so 有限公司 wins over 公司 and 自治区 over 区.
_PLACE_SUFFIXES = sorted(
    [
        "省",
        "自治区",
        "市",
        "区",
        "县",
        "自治县",
        "自治州",
        "州",
        "镇",
        "乡",
        "街道",
        "村",
        "社区",
        "河",
        "湖",
        "江",
        "山",
        "岛",
        "湾",
        "海峡",
        "港",
        "峡",
        "盆地",
        "半岛",
        "高原",
        "新区",
    ],
    key=len,
    reverse=True,
)
_ORG_SUFFIXES = sorted(
    word_list(
        "有限公司 公司 集团 医院 学校 大学 学院 中学 小学 幼儿园 委员会 协会 学会 联合会 "
        "银行 研究院 研究所 科学院 法院 检察院 政府 党委 人大常委会 政协 局 厅 部 办公室 "
        "中心 基金会 商会 合作社 工厂 厂 博物馆 图书馆 出版社 电视台 报社 联盟 组织 总署 "
        "理事会 议会"
    ),
    key=len,
    reverse=True,
)
# Tags of words that can be part of a name: nouns, names, abbreviations, distinguishing words.
_NAME_TAGS = frozenset({"n", "nr", "nrfg", "nrt", "ns", "nt", "nz", "j", "b", "x", "l", "s", "f"})
_PROPER_TAGS = frozenset({"nr", "nrfg", "nrt", "ns", "nt", "nz", "j", "x"})  # a run needs one
_ORG_TAGS = _NAME_TAGS | {"m"}  # 第一 in 常州市第一人民医院
# Words that are whole categories of their own, never a name's first part (全区, 本市, 该公司).
_GENERIC_STARTS = frozenset(
    [
        "全",
        "本",
        "该",
        "各",
        "我",
        "此",
        "这",
        "那",
        "每",
        "多",
        "其",
        "两",
        "贵",
        "全国",
        "我国",
        "本地",
        "当地",
        "外地",
        "各地",
        "全省",
        "全市",
    ]
)
_GENERIC = frozenset(
    word_list(
        "地区 社区 园区 景区 城区 辖区 市区 郊区 山区 库区 湖区 片区 小区 林区 牧区 矿区 "
        "灾区 战区 街区 校区 城市 都市 城乡 乡村 农村 村 镇 县 市 区 省 河 湖 江 山 海 "
        "港 公司 集团 医院 学校 大学 中心 政府 党委 局 部 厅 企业 单位 部门 机构 组织 "
        "委员会 办公室 总部 银行 协会 全党 全社会 江山 河山 冰山 火山 高山 泰山 金山 银山 "
        "长河 江湖 东海 南海 北海 大海 上海市区 北部湾 海港"
    )
)


_CLASSIFIERS = frozenset("个位名项家所座条批只支")
_NUMERALS = frozenset("0123456789０１２３４５６７８９一二两三四五六七八九十百千万几多")


@dataclass(frozen=True)
class EntityMention:
    kind: str  # "place" or "organisation"
    name: str
    category: str  # the suffix that makes it one (镇, 公司, …), or 国家 for a country
    start: int  # span of the name in the text
    end: int


@lru_cache(maxsize=200_000)  # called for every word and its neighbours; words repeat
def _kind_of(word: str) -> tuple[str, str]:
    """("organisation" or "place", its suffix) when `word` ends in a category suffix, else ("", "")."""
    for kind, suffixes in (("organisation", _ORG_SUFFIXES), ("place", _PLACE_SUFFIXES)):
        suffix = next((s for s in suffixes if word.endswith(s)), "")
        if suffix:
            return kind, suffix
    return "", ""


def _is_han(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def _split_unknown(words: Sequence[Word]) -> list[Word]:
    """HMM words that swallow an admin suffix cut after it: 礼嘉镇建|东村 -> 礼嘉镇, 建|东村."""
    out = []
    for w in words:
        cut = next((i + 1 for i in range(2, len(w.text) - 1) if w.text[i] in "省市县镇乡村"), 0)
        if w.tag == "x" and cut and _is_han(w.text):
            out += [Word(w.text[:cut], w.start, w.start + cut, "ns")]
            out += [Word(w.text[cut:], w.start + cut, w.end, "x")]
        else:
            out.append(w)
    return out


def _run_start(words: Sequence[Word], last: int, kind: str) -> int:
    """Index of the first word of the name-like run ending at words[last] (at most 6 words)."""
    tags = _ORG_TAGS if kind == "organisation" else _NAME_TAGS
    first = last
    while first > 0 and last - first < 5:
        word = words[first - 1]
        if word.end != words[first].start:
            break  # punctuation between: 省、市人大常委会 is not one name
        after_place = first > 1 and _kind_of(words[first - 2].text)[0] == "place"
        if kind == "place" and len(word.text) == 1 and after_place:
            return first - 1  # 前黄镇|建|东村: a one-character word right after a town starts a village
        if word.tag not in tags or not _is_han(word.text) or word.text in _GENERIC_STARTS:
            break
        if kind == "place" and _kind_of(word.text)[0] == "place":
            break  # 江苏省 before 常州市: two places, not one
        first -= 1
    while first < last and (words[first].tag == "m" or words[first].text in _GENERIC_STARTS):
        first += 1  # a run never starts with a number or a generic word
    return first


def _suffixed(words: Sequence[Word]) -> list[EntityMention]:
    found = []
    for i, word in enumerate(words):
        kind, category = _kind_of(word.text) if word.tag in _NAME_TAGS and _is_han(word.text) else ("", "")
        if not kind or (i + 1 < len(words) and _kind_of(words[i + 1].text)[0] == "organisation"):
            continue  # 江苏省 in 江苏省人民医院: the organisation is the whole run
        first = _run_start(words, i, kind)
        run = words[first : i + 1]
        name, start = "".join(w.text for w in run), run[0].start
        if run[0].tag == "x" and name[0] in "与和在对向同及从到":
            name, start = name[1:], start + 1  # HMM glued a preposition on: 与|吉河
        if len(name) <= len(category) or name in _GENERIC or name[0] in "全本该各我此这那每其":
            continue
        before = words[first - 1] if first else None
        if name[0] in _CLASSIFIERS and before and before.end == start and before.text[-1] in _NUMERALS:
            continue  # 31|个省: a count of provinces, no province
        if not any(w.tag in _PROPER_TAGS for w in run):
            continue  # 基层干部, 城市: common nouns, not a name
        found.append(EntityMention(kind, name, category, start, word.end))
    return found


def find_entities(text: str, words: Sequence[Word] | None = None) -> list[EntityMention]:
    """Every place and organisation named in `text`, in order (`words`: its tagged words, if known)."""
    words = _split_unknown(tag_words(text) if words is None else words)
    found = _suffixed(words)
    covered = {i for m in found for i in range(m.start, m.end)}
    found += [
        EntityMention("place", w.text, "国家", w.start, w.end)
        for w in words
        if w.text in COUNTRIES and w.start not in covered
    ]
    return sorted(found, key=lambda m: m.start)


def find_places(text: str) -> list[EntityMention]:
    return [m for m in find_entities(text) if m.kind == "place"]


def find_organisations(text: str) -> list[EntityMention]:
    return [m for m in find_entities(text) if m.kind == "organisation"]


@dataclass(frozen=True)
class EntityRecord:
    """One mention of a place or organisation in the archive, as stored with the index."""

    kind: str  # "place" or "organisation"
    name: str  # 前黄镇, 武进区, 长江, 江苏省, 常州市第一人民医院, 中国石油天然气集团有限公司
    category: str  # 省 市 区 县 镇 … / 公司 集团 医院 …, 国家 for a country
    article_id: str
    article_title: str
    date: str | None  # the article's publication date, when known
    sentence_start: int  # the sentence that names it, as a span of the article text
    sentence_end: int


def sentence_of(sentences: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The sentence holding the span start:end, or the span itself when no sentence does."""
    return next(((s, e) for s, e in sentences if s <= start and end <= e), (start, end))


def entities_in_articles(articles: Iterable[Article]) -> list[EntityRecord]:
    """Every place and organisation mention in `articles`, each with the sentence that names it."""
    records = []
    for article in articles:
        sentences = split_sentences(article.text)
        for m in find_entities(article.text):
            sentence = sentence_of(sentences, m.start, m.end)
            records.append(
                EntityRecord(m.kind, m.name, m.category, article.id, article.title, article.date, *sentence)
            )
    return records
