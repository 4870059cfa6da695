"""People in Chinese news text: officials with their titles, other named people, and reporters.

Names come from jieba's words (a private tokenizer, tags looked up in its dictionary, see
`embeddings.extract.entities.tag_words`) checked against the way the paper writes them:

- a title run right before the name (`市委常委、区委书记乔俊杰`, `中共中央总书记、国家主席习近平`,
  `联合国秘书长古特雷斯`) or a title word right after it (`习近平总书记`): an "official";
- a name jieba knows as a full name (习近平), or one titled elsewhere in the same text: a "person";
- a surname and title (`习主席`, `乔书记`) standing for the one titled person of that text who fits;
- a list after 区领导 (`区领导薛红霞、胡泊参加`) or a byline (`记者 朱梦琪`).

jieba splits many Chinese names (乔/俊杰, 恽淇/丞, 古/特雷斯), so a name after a title is any 2-3
characters from a surname to a word boundary, and a foreign one any run of transliteration
characters; a title's unit is made of noun-like words only, so a sentence (在里约热内卢会见联合国
秘书长) never becomes a title.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from embeddings.articles import Article
from embeddings.chunking import split_sentences
from embeddings.extract.entities import COUNTRIES, Word, jieba_tags, sentence_of, tag_words, word_list

__all__ = [
    "BARE_TITLES",
    "SURNAMES",
    "TITLE_WORDS",
    "PersonMention",
    "PersonRecord",
    "find_people",
    "holds_title",
    "is_foreign",
    "people_in_articles",
]

# Titles only other countries give; and the international bodies whose heads are foreign
# (欧盟委员会主席冯德莱恩, 北约秘书长斯托尔滕贝格).
_FOREIGN_ONLY_TITLES = ("总统", "首相", "国王", "女王", "王储", "埃米尔", "最高领袖", "总干事")
_INTERNATIONAL_BODIES = (
    *("联合国", "欧盟", "欧洲理事会", "欧洲议会", "非盟", "北约", "世界银行", "国际货币基金组织"),
    *("世界贸易组织", "世贸组织"),
)
# Titles of foreign leaders and envoys (China's own 总理, 外长, 大使… among them): the name after
# them may be a transliteration (古特雷斯).
FOREIGN_TITLES = frozenset(
    [
        *_FOREIGN_ONLY_TITLES,
        *("副总统", "秘书长", "外长", "大使", "议长", "总理", "总书记", "委员长", "主席"),
        "国防部长",
    ]
)
# Longest first, so 副区长 wins over 区长 and 区委书记 over 书记.
TITLE_WORDS = sorted(
    [
        "书记",
        "副书记",
        "区长",
        "副区长",
        "常委",
        "主任",
        "副主任",
        "主席",
        "副主席",
        "部长",
        "副部长",
        "局长",
        "副局长",
        "镇长",
        "副镇长",
        "市长",
        "副市长",
        "县长",
        "副县长",
        "省长",
        "副省长",
        "党组书记",
        "组长",
        "副组长",
        "秘书长",
        "总书记",
        "董事长",
        "总经理",
        "院长",
        "校长",
        "区委书记",
        "市委书记",
        "省委书记",
        "区委副书记",
        "市委常委",
        "区委常委",
        "街道党工委书记",
        "国家主席",
        "国家副主席",
        "军委主席",
        "军委副主席",
        "总理",
        "副总理",
        "国务委员",
        "委员长",
        "副委员长",
        "委员",
        "外交部长",
        "外长",
        "国防部长",
        "检察长",
        "行长",
        "会长",
        "理事长",
        "总干事",
        "司令员",
        "政委",
        "厅长",
        "州长",
        "总裁",
        "国务卿",
        "所长",
        "副所长",
        "馆长",
        "团长",
        "社长",
        *FOREIGN_TITLES,
    ],
    key=len,
    reverse=True,
)
_TITLE = "|".join(map(re.escape, dict.fromkeys(TITLE_WORDS)))
_TITLE_AT = re.compile(rf"(?=({_TITLE}))")  # overlapping: 国务委员长 holds 国务委员 and 委员长
_TITLE_END = re.compile(rf"(?:{_TITLE})$")
_TITLE_SEARCH = re.compile(_TITLE)
_HAN = r"[\u4e00-\u9fff]"
# Characters that start the words following a name, never the third character of one.
_AFTER_NAME = set(
    "就会在参带主表说指强对代向率出到来是的等和与及一还也已将要为了均分首先认简作介实调督听同致谈称"
)
# Characters of transliterated foreign names (古特雷斯, 阿里·哈梅内伊, 内塔尼亚胡).
_TRANSLIT = set(
    "阿埃艾爱安昂奥巴拜班邦贝本比彼毕波伯博布查达戴丹道德登迪蒂丁东杜多厄恩尔法菲费芬丰弗福富盖甘冈戈格根"
    "古瓜哈海汉豪赫胡霍吉基加贾杰金卡凯坎康科克库拉莱赖兰朗劳勒雷里利莉林琳卢鲁伦罗洛马玛迈曼梅门蒙米明"
    "莫默姆穆纳娜奈南内尼涅努诺帕佩彭皮普齐奇恰切琼萨塞桑森沙莎尚什施舍斯松苏索塔泰坦汤特图托瓦旺威韦维"
    "温沃乌西希谢辛休雅亚扬耶伊尤泽扎詹兹卓佐京龙正泽连茨乔治夫滕武约济提冯娃·"
)
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
    "鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由恽习"
)
_LEADERS = re.compile(rf"区领导(?P<names>{_HAN}{{2,3}}(?:、{_HAN}{{2,3}})*)")
# A byline's names end at a bracket, a space or the line's end (（记者 朱梦琪）, □ 记者 史莲寅).
_BYLINE_NAME = rf"(?!记者|通讯员){_HAN}{{2,3}}"  # 记者 张可馨 通讯员 李明: two bylines
_BYLINE = re.compile(rf"(?:记者|通讯员)\s*(?P<names>{_BYLINE_NAME}(?:\s+{_BYLINE_NAME})*)(?=[\s）)]|$)")
# 本报记者张可馨报道, 《和平日报》记者王思翔所著: a name in running text, where jieba reads one; in
# 记者来到这里, 记者向中国…, 向记者展示 no name follows 记者.
_REPORTER_IN_TEXT = re.compile(rf"(?:记者|通讯员)(?={_HAN})")
# Words that open or join a title run but belong to no unit (会见联合国秘书长…, 同朝鲜劳动党…).
_NOT_UNIT = frozenset(
    word_list(
        "承办 会见 会谈 会晤 陪同 邀请 看望 听取 慰问 主持 出席 会同 联合 致电 致信 接见 "
        "举行 同 和 与 及 向 对 在 为 由 将 把 被 是 的 了 等 分别 并 以及 前 后 时 "
        "任 原 新任 代表 全体"
    )
)
_UNIT_TAGS = frozenset({"n", "nt", "ns", "nz", "j", "b", "x", "a", "vn", "s", "ng"})
_NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
_FUNCTION_TAGS = frozenset({"c", "p", "u", "r", "d", "uj", "ul", "m", "q"})
# Title words that may follow a name (习近平总书记, 李强总理) and those a surname may stand before (习主席).
BARE_TITLES = frozenset(
    [
        "总书记",
        "主席",
        "副主席",
        "总理",
        "副总理",
        "委员长",
        "国务委员",
        "书记",
        "部长",
        "外长",
        "总统",
        "首相",
        "秘书长",
    ]
)
_FOREIGN_ONLY = (*_FOREIGN_ONLY_TITLES, *_INTERNATIONAL_BODIES)
_NOT_NAMES = {"同志", "代表", "领导", "一行", "班子", "成员", "指出", "强调", "表示", "关于", "党建"}
_ALIAS = re.compile(
    rf"(?P<surname>[{''.join(SURNAMES)}])(?P<title>{'|'.join(sorted(BARE_TITLES, key=len, reverse=True))})"
)
_NOT_IN_UNIT = set("同为向在对和与及把被将由从经悼念降")
_FUNCTION_BEFORE = set("和与同及对向跟")  # jieba glues these to a following name: 和普京


@dataclass(frozen=True)
class PersonMention:
    name: str
    title: str  # as written next to the name, e.g. 市委常委、区委书记; 总书记; 区领导; 记者; "" untitled
    role: str  # "official" (a title stated), "person" (named, no title) or "reporter" (byline)
    start: int  # span of the name in the text (of 习主席 where the mention is an alias)
    end: int


@dataclass(frozen=True)
class _Tagged:
    """One text with its words and where they start and end."""

    text: str
    words: Sequence[Word]
    starts: list[int]
    bounds: frozenset[int]  # every word start and end

    @classmethod
    def of(cls, text: str, words: Sequence[Word]) -> _Tagged:
        starts = [w.start for w in words]
        return cls(text, words, starts, frozenset(starts) | {len(text)})

    def word_at(self, pos: int) -> int:
        """Index of the word holding character `pos`."""
        return bisect_right(self.starts, pos) - 1


def holds_title(title_run: str, title: str) -> bool:
    """Whether a title run such as 区委副书记、区长 holds `title`; 区长 is not 副区长."""
    for part in title_run.split("、"):
        at = part.find(title)
        if at >= 0 and not (part[at - 1 : at] == "副" and not title.startswith("副")):
            return True
    return False


def _is_han(text: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in text)


def _unit_word(word: Word) -> bool:
    """Whether `word` can be part of a title's unit: noun-like, no verb or preposition inside."""
    if word.tag not in _UNIT_TAGS or word.text in _NOT_UNIT or not _is_han(word.text):
        return False
    return word.tag != "x" or not set(word.text) & _NOT_IN_UNIT  # HMM glued 宫|同, 为|巴


def _unit_start(t: _Tagged, title_start: int) -> int:
    """Where the unit of a title word starts: noun-like words only, at most 14 characters."""
    pos = title_start
    while pos > 0 and title_start - pos < 14:
        i = t.word_at(pos - 1)
        word = t.words[i]
        # 前|黄镇: jieba splits off a direction word that begins a place name; before anything
        # but a place it is the word "before" (会议前), not part of the unit.
        place_head = word.tag == "f" and len(word.text) == 1 and t.words[i + 1].tag == "ns"
        if i < 0 or word.end < pos or not (_unit_word(word) or place_head):
            break
        pos = word.start
    return pos


def _title_before(t: _Tagged, name_start: int) -> str:
    """The title run ending right at `name_start`: unit+title parts joined by 、, or ""."""
    run_start, end = name_start, name_start
    while found := _TITLE_END.search(t.text, max(0, end - 8), end):
        part_start = _unit_start(t, found.start())
        before = t.words[t.word_at(part_start - 1)] if part_start else None
        if (
            before
            and before.end == part_start
            and before.tag in _NAME_TAGS
            and (part_start == found.start() or end < name_start)
        ):
            # A title right after a name is that name's: a bare one (习近平主席|卓越领导), and an
            # earlier part of a run into whose unit a name runs (同马克|龙总统、欧盟委员会主席冯德莱恩:
            # 总统 is 马克龙's, jieba having cut his name).
            break
        run_start = part_start
        if run_start < 1 or t.text[run_start - 1] != "、":
            break
        end = run_start - 1
    return t.text[run_start:name_start]


def is_foreign(title: str) -> bool:
    """Whether a title is another country's (俄罗斯总统, 首相) or an international body's (联合国…)."""
    return any(w in title for w in _FOREIGN_ONLY) or any(c in title for c in COUNTRIES if c != "中国")


def _chinese_name(t: _Tagged, start: int) -> str:
    """A 2-3 character name from a surname at `start` to a word boundary, or ""."""
    i = t.word_at(start)
    first = t.words[i]
    if first.start != start or first.text[0] not in SURNAMES or first.text in COUNTRIES:
        return ""
    if first.tag == "x" and first.text[0] in _FUNCTION_BEFORE:
        return ""  # 和基层, 同中方: HMM glued a conjunction to what follows
    rest = t.words[i + 1] if i + 1 < len(t.words) and t.words[i + 1].start == first.end else None
    if len(first.text) == 1 and rest and len(rest.text) <= 2 and _is_han(rest.text):
        name = first.text + rest.text  # 乔/俊杰, 丁/薛祥, 吴/大林; not 和/基层
        ok = first.tag not in _FUNCTION_TAGS and (len(rest.text) == 1 or rest.tag in _NAME_TAGS | {"nz", "x"})
    elif first.tag == "x" and len(first.text) == 2 and rest and len(rest.text) == 1:
        third = rest.text not in _AFTER_NAME and rest.tag not in _FUNCTION_TAGS
        name, ok = first.text + rest.text if third else first.text, True  # 恽淇/丞
    else:
        name, ok = first.text, first.tag in _NAME_TAGS | {"x"} and 2 <= len(first.text) <= 3
        if first.tag == "x" and len(name) == 3 and name[2] in _AFTER_NAME:
            name = name[:2]  # HMM glued the next word on: 王毅|同
    if not ok or not _is_han(name) or name in _NOT_NAMES or name[:2] in _NOT_NAMES or name[-1] == "副":
        return ""
    return name


def _foreign_name(t: _Tagged, start: int) -> str:
    """The run of transliteration words at `start` (古/特雷斯, 阿里/·/哈梅内伊), or ""."""
    end = start
    for word in t.words[t.word_at(start) :]:
        if word.start != end:
            break
        tagged = len(word.text) == 1 or word.tag in _NAME_TAGS | {"ns", "nz", "x"}
        if not tagged or not set(word.text) <= _TRANSLIT:
            break
        end = word.end
    name = t.text[start:end].strip("·")
    return name if len(name) >= 2 else ""


def _titled(t: _Tagged) -> list[PersonMention]:
    """Officials with a title run before the name, or a title word right after it (习近平总书记)."""
    found = []
    for at in sorted({m.start() + len(m.group(1)) for m in _TITLE_AT.finditer(t.text)}):
        if at not in t.bounds or at == len(t.text) or not (title := _title_before(t, at)):
            continue
        name = _chinese_name(t, at)
        foreign_title = is_foreign(title) or title.endswith(tuple(FOREIGN_TITLES))
        if foreign_title and len(foreign := _foreign_name(t, at)) > len(name):
            name = foreign
        if name:
            found.append(PersonMention(name, title, "official", at, at + len(name)))
    taken = {p.start for p in found}
    for before, word in zip(t.words, t.words[1:], strict=False):
        if (
            word.text in BARE_TITLES
            and before.end == word.start
            and before.start not in taken
            and 2 <= len(before.text) <= 3
            and before.text[0] in SURNAMES
            and before.tag in _NAME_TAGS | {"x"}
            and before.text not in COUNTRIES
        ):
            found.append(PersonMention(before.text, word.text, "official", before.start, before.end))
    return found


def _named(t: _Tagged, titled: Sequence[PersonMention]) -> list[PersonMention]:
    """Untitled mentions of the text's titled names and of the full names jieba knows (习近平)."""
    # jieba's full names, less its place-like ones (刘家, 陈家).
    known = {w.text for w in t.words if w.tag == "nrfg" and w.text[0] in SURNAMES and w.text[-1] != "家"}
    taken = {i for p in titled for i in range(p.start, p.end)}
    found = []
    for name in known | {p.name for p in titled}:
        at = t.text.find(name)
        while at >= 0:
            end = at + len(name)
            starts = at in t.bounds or t.text[at - 1] in _FUNCTION_BEFORE
            if starts and end in t.bounds and at not in taken:
                found.append(PersonMention(name, "", "person", at, end))
            at = t.text.find(name, end)
    return found


def _aliases(t: _Tagged, titled: Sequence[PersonMention]) -> list[PersonMention]:
    """习主席, 乔书记: the one titled person of the text with that surname and title, else nothing."""
    found = []
    for match in _ALIAS.finditer(t.text):
        at = match.start()
        if at not in t.bounds or t.words[t.word_at(at)].end != at + 1 or match.end() not in t.bounds:
            continue
        surname, title = match.group("surname"), match.group("title")
        fits = {p.name for p in titled if p.name[0] == surname and holds_title(p.title, title)}
        if len(fits) == 1:
            found.append(PersonMention(fits.pop(), title, "official", at, match.end()))
    return found


def _trim_name(candidate: str) -> str:
    """Three characters unless the third starts the next word (乔俊杰就… vs 胡泊参加…).

    Returns "" when the candidate is not a name at all.
    """
    if len(candidate) == 3 and candidate[2] in _AFTER_NAME:
        candidate = candidate[:2]
    if candidate[0] not in SURNAMES or candidate in _NOT_NAMES or candidate[:2] in _NOT_NAMES:
        return ""
    return candidate


def _reporters_in_text(text: str) -> list[PersonMention]:
    found = []
    for match in _REPORTER_IN_TEXT.finditer(text):
        window = text[match.end() : match.end() + 8]
        name = _chinese_name(_Tagged.of(window, tag_words(window)), 0)
        if name and name[-1] not in "了着过":  # 记者来了个…: a verb and its particle
            found.append(PersonMention(name, "记者", "reporter", match.end(), match.end() + len(name)))
    return found


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


@lru_cache(maxsize=1)
def _first_pass() -> re.Pattern[str]:
    """Blocks worth cutting: those with a title word or one of jieba's few hundred full names (习近平)."""
    full_names = sorted((w for w, tag in jieba_tags().items() if tag == "nrfg"), key=len, reverse=True)
    return re.compile("|".join([_TITLE, *map(re.escape, full_names)]))


def find_people(text: str, words: Sequence[Word] | None = None) -> list[PersonMention]:
    """Every official, named person, listed 区领导 and byline reporter in `text`, in order.

    `words`: the text's tagged words, when the caller has them already.
    """
    if words is None:
        first_pass = _first_pass().search
        titled = _titled(_Tagged.of(text, tag_words(text, first_pass)))
        # Their untitled mentions are cut too; names are plain strings, so no pattern is compiled
        # per article (compiling one with the first pass's few hundred names took 2 ms each).
        names = {p.name for p in titled}
        t = _Tagged.of(
            text, tag_words(text, lambda block: first_pass(block) or any(n in block for n in names))
        )
    else:
        t = _Tagged.of(text, words)
        titled = _titled(t)
    people = titled + _aliases(t, titled) + _named(t, titled)
    people += _mentions(_LEADERS, text, "区领导", "official", "、")
    people += _mentions(_BYLINE, text, "记者", "reporter", r"\s+") + _reporters_in_text(text)
    kept, taken = [], set()
    for person in sorted(people, key=lambda p: (p.start, p.role == "person")):  # titled first
        if person.start not in taken:
            kept.append(person)
            taken.update(range(person.start, person.end))
    return kept


@dataclass(frozen=True)
class PersonRecord:
    """One mention of a person in the archive, as stored with the index (people.jsonl)."""

    name: str
    title: str
    role: str  # "official", "person" or "reporter"
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
            sentence = sentence_of(sentences, mention.start, mention.end)
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
