"""People in Chinese news text: officials with their titles, and reporters from bylines.

jieba's part-of-speech tags split many names (乔俊杰 -> 乔/俊杰, 恽淇丞 -> 恽淇/丞), so names are
found by the way the paper writes them instead: a title run right before the name
(`市委常委、区委书记乔俊杰`), a list after 区领导 (`区领导薛红霞、胡泊参加`), or a byline
(`记者 朱梦琪`). Whether a name has two or three characters is decided by what follows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from embeddings.articles import Article
from embeddings.chunking import split_sentences

__all__ = [
    "SURNAMES",
    "TITLE_WORDS",
    "PersonMention",
    "PersonRecord",
    "find_people",
    "people_in_articles",
]

# Longest first, so 副区长 wins over 区长 and 区委书记 over 书记.
TITLE_WORDS = sorted(
    [
        "书记", "副书记", "区长", "副区长", "常委", "主任", "副主任", "主席", "副主席", "部长", "副部长",
        "局长", "副局长", "镇长", "副镇长", "市长", "副市长", "县长", "副县长", "省长", "副省长",
        "党组书记", "组长", "副组长", "秘书长", "总书记", "董事长", "总经理", "院长", "校长",
        "区委书记", "市委书记", "省委书记", "区委副书记", "市委常委", "区委常委", "街道党工委书记",
    ],
    key=len,
    reverse=True,
)  # fmt: skip
_TITLE = "|".join(map(re.escape, TITLE_WORDS))
_UNIT = r"[\u4e00-\u9fff]{0,10}?"  # 汉滨区委, 区委党建工作领导小组, … in front of a title
# A title run starts after punctuation or a function word, never inside a word (总书记 in 习近平总书记).
_RUN_START = r"(?:(?<=[，。、；：,;:（(“\"\s了的和与由及在是为对向同将把被请让任])|^)"
# A full title run: unit+title, optionally chained with 、 (市委常委、区委书记).
_TITLE_RUN = rf"(?:{_UNIT}(?:{_TITLE}))(?:、{_UNIT}(?:{_TITLE}))*"
_HAN = r"[\u4e00-\u9fff]"
# Characters that start the words following a name, never the third character of one.
_AFTER_NAME = set("就会在参带主表说指强对代向率出到来是的等和与及一还也已将要为了均分首先认简作介实调督听")
_TITLED = re.compile(rf"{_RUN_START}(?P<title>{_TITLE_RUN})(?P<name>{_HAN}{{2,3}})", re.MULTILINE)
# Common Chinese surnames (including rarer ones seen in local news, such as 恽): a candidate that
# does not start with one is a phrase (常委会…, 委员…), not a name.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练"
    "廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿"
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由恽"
)
_LEADERS = re.compile(rf"区领导(?P<names>{_HAN}{{2,3}}(?:、{_HAN}{{2,3}})*)")
_BYLINE = re.compile(rf"(?:记者|通讯员)\s*(?P<names>{_HAN}{{2,3}}(?:\s+{_HAN}{{2,3}})*)")
# Verbs that can open a title run (承办市委书记陈金虎领办的…) but are not part of the title.
_LEADING_VERB = re.compile(r"^(?:承办|会见了?|陪同|邀请|看望|听取|慰问|主持|出席|会同|联合)")
_NOT_NAMES = {"同志", "代表", "领导", "一行", "班子", "成员", "指出", "强调", "表示", "关于", "党建"}


@dataclass(frozen=True)
class PersonMention:
    name: str
    title: str  # as written before the name, e.g. 市委常委、区委书记; 区领导; 记者
    role: str  # "official" or "reporter"
    start: int  # span of the name in the text
    end: int


def _trim_name(candidate: str) -> str:
    """Three characters unless the third starts the next word (乔俊杰就… vs 胡泊参加…).

    Returns "" when the candidate is not a name at all.
    """
    if len(candidate) == 3 and candidate[2] in _AFTER_NAME:
        candidate = candidate[:2]
    if candidate[0] not in SURNAMES or candidate in _NOT_NAMES or candidate[:2] in _NOT_NAMES:
        return ""
    return candidate


def _mentions(pattern: re.Pattern[str], text: str, title: str, role: str, sep: str) -> list[PersonMention]:
    found = []
    for match in pattern.finditer(text):
        offset = match.start("names")
        for part in re.split(sep, match.group("names")):
            name = _trim_name(part)
            if name:
                start = text.index(part, offset)
                found.append(PersonMention(name, title, role, start, start + len(name)))
            offset += len(part) + 1
            if len(name) < len(part):  # the list ended inside this part
                break
    return found


def find_people(text: str) -> list[PersonMention]:
    """Every titled official, listed 区领导 and byline reporter in `text`, in order."""
    people = [
        PersonMention(
            name,
            _LEADING_VERB.sub("", match.group("title")),
            "official",
            match.start("name"),
            match.start("name") + len(name),
        )
        for match in _TITLED.finditer(text)
        if (name := _trim_name(match.group("name")))
    ]
    people += _mentions(_LEADERS, text, "区领导", "official", "、")
    people += _mentions(_BYLINE, text, "记者", "reporter", r"\s+")
    return sorted(people, key=lambda p: p.start)


@dataclass(frozen=True)
class PersonRecord:
    """One mention of a person in the archive, as stored with the index (people.jsonl)."""

    name: str
    title: str
    role: str  # "official" or "reporter"
    article_id: str
    article_title: str
    date: str | None  # the article's publication date, when known
    sentence_start: int  # the sentence that names the person, as a span of the article text
    sentence_end: int


def people_in_articles(articles: Iterable[Article]) -> list[PersonRecord]:
    """Every person mention in `articles`, each with the sentence that states it."""
    records = []
    for article in articles:
        sentences = split_sentences(article.text)
        for mention in find_people(article.text):
            sentence = next(
                ((s, e) for s, e in sentences if s <= mention.start < e), (mention.start, mention.end)
            )
            records.append(
                PersonRecord(
                    mention.name,
                    mention.title,
                    mention.role,
                    article.id,
                    article.title,
                    article.date,
                    *sentence,
                )
            )
    return records
