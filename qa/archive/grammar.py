"""Which questions ask about the archive as a whole, and what they ask for.

A small grammar of Chinese question forms, each a regular expression over the question:

    count     2024年有多少篇报道提到乡村振兴？  6月份一共报道了几次督查？  乔俊杰被提到多少次？
    list      列出所有报道苏陕协作的文章。  哪些报道提到了前黄镇？  有哪些关于防汛的新闻？
    most      哪位记者发稿最多？  哪些镇被报道得最多？  提到最多的国家是哪个？
              哪个月提到人工智能的报道最多？  哪一年报道乡村振兴最多？
    entities  报道中提到了哪些人？  有哪些记者？  2024年的报道提到了哪些国家？
    compare   人工智能和新质生产力哪个被报道得更多？
    first     嫦娥六号第一次出现在报道中是什么时候？  最近一篇提到台风的报道是哪天？
    timeline  乔俊杰今年参加了哪些活动，按时间排列？  苏陕协作的时间线

What is left of the question once its form, its time expression and its filler words are taken
out are the terms to match (several terms: all must occur). A question in none of these forms
is not an archive question: it goes to passage retrieval and the reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

__all__ = ["ArchiveQuestion", "Asked", "parse_archive_question"]


class Asked(Enum):
    COUNT = "count"
    LIST = "list"
    MOST = "most"
    ENTITIES = "entities"  # every entity of a kind the stories name, by coverage
    COMPARE = "compare"  # each term's stories, counted apart: 人工智能和新质生产力哪个报道得多
    FIRST = "first"  # the oldest story naming the terms: 嫦娥六号第一次出现在报道中是什么时候
    LAST = "last"  # the newest dated one: 最近一篇提到台风的报道是哪天
    TIMELINE = "timeline"


@dataclass(frozen=True)
class ArchiveQuestion:
    asked: Asked
    terms: tuple[str, ...]  # words every matching article contains (empty: every article)
    # For MOST and ENTITIES: what is ranked: "reporter", "person", "place", "organisation", or the "month" or
    # "year" with the most matching stories, and the category
    # asked for (镇, 公司…; "" for any).
    ranked: str = ""
    category: str = ""
    mentions: bool = False  # count how often the terms are mentioned (提到几次), not articles
    by_month: bool = False  # 每个月有多少篇…: the count month by month too
    top: int = 10  # how many a MOST answer names


_PIECE = r"(?:篇|条|则|份|个|次)"
_REPORT = r"(?:报道|文章|新闻|稿件|消息|稿子|报导)"
_REPORT_VERB = r"(?:报道|提到|提及|涉及|谈到|讲到|关于|有关|出现|说到|刊登|刊发|发表)"
_HOW_MANY = r"(?:多少|(?<!哪)几)"  # 哪几篇 asks which ones
_VERB_WORD = re.compile(_REPORT_VERB)
_COUNT = re.compile(
    rf"{_HOW_MANY}{_PIECE}{_REPORT}|{_HOW_MANY}{_PIECE}.*{_REPORT_VERB}|{_REPORT_VERB}.*{_HOW_MANY}{_PIECE}"
    rf"|{_REPORT}.*(?:有|共){_HOW_MANY}{_PIECE}"
    # 关于低空经济的报道有多少？: the stories themselves counted, the question ending there.
    rf"|{_REPORT}(?:一共|总共|共)?有?{_HOW_MANY}{_PIECE}?[？?。]?$"
)
_MENTION_COUNT = re.compile(r"(?:提到|提及|出现|说到|谈到)了?(?:多少|几)次|(?:多少|几)次.*(?:提到|提及|出现)")
_LIST = re.compile(
    rf"(?:列出|列举|罗列|找出|给出).*{_REPORT}|(?:哪些|哪几篇|哪几条)(?:{_REPORT_VERB}.*?的)?{_REPORT}"
    rf"|(?:所有|全部).*{_REPORT}|{_REPORT}.*有哪些"
)
# A ranking ranks coverage (被报道得最多, 发稿最多, 提到最多): 哪个市人口最多 asks about the world.
# Publishing (发表, 刊登, 刊发) counts as coverage with a story as its object (发表文章最多) only:
# 哪所大学每年发表的科研论文数量最多 asks about the world.
_COVERAGE = re.compile(rf"{_REPORT}|(?!发表|刊登|刊发){_REPORT_VERB}|发稿")
_COMPARE = re.compile(
    rf"(?:哪个|哪一个|谁)(?:被)?{_REPORT_VERB}?(?:得|的)?(?:更多|多|次数更多|更频繁)|(?:更多|多)还是(?:更)?少"
    rf"|还是[^？?]*?{_REPORT_VERB}(?:得|的)?(?:更多|多)"
)
_IN_REPORTS = re.compile(rf"{_REPORT}[中里上]")
# The stories asked about outright: 他第一次出现在电视上是什么时候 asks about the world.
_OF_STORIES = re.compile(rf"{_REPORT}|提到|提及")
# …asking when, or which story: 哪位作家在文章中第一次使用了… asks about the world.
_WHEN_OR_WHICH = re.compile(r"什么时候|何时|哪一?天|哪一?年|哪个月|几月|几号|日期|哪一?篇|哪一?条|是什么")
_FIRST = re.compile(r"第一次|首次|最早|第一篇|第一条|头一篇")
_LAST = re.compile(r"最近一次|最后一次|最近一篇|最新一篇|最后一篇|最后一条|最晚|最新的")
_PER_MONTH = re.compile(r"每个?月|各月|逐月|按月|每一个月")
_ABOUT_THE_WORLD = re.compile(r"为什么|为何|怎么|如何|哪个|哪一个")  # 为什么需要第二个时间线
_TIMELINE = re.compile(r"按(?:时间|日期)|时间(?:线|轴|顺序)|先后顺序|历次|大事记")
_MOST = re.compile(r"最多|最频繁|最常|最多次|次数最多|排名|排行|前(?:[一二三四五六七八九十]|\d+)(?:名|位|个)")
_NOUNS = "镇|乡|街道|村|社区|区|县|市|省|国家|城市|地方|河|湖"
_ORGS = "公司|企业|集团|医院|学校|大学|单位|机构|部门|组织|银行|协会"
_RANKED_KIND = (
    ("month", re.compile(r"哪(?:一)?个月|哪(?:一)?月|几月份?(?!几)")),
    ("year", re.compile(r"哪(?:一)?年")),
    ("reporter", re.compile(r"记者|作者|通讯员|发稿")),
    ("place", re.compile(rf"(?:哪(?:个|些|座)?|最多的)(?:{_NOUNS})|地区")),
    ("organisation", re.compile(rf"(?:哪(?:个|些|家|所)?|最多的)(?:{_ORGS})")),
    ("person", re.compile(r"谁|哪(?:位|个人|些人)|人物|领导|官员")),
)
# Which entities the stories name, asked of the stories (报道中提到了哪些人, 哪些国家被报道过) or
# of the paper's own reporters (有哪些记者): 代表团考察了哪些地方 asks about the world.
_ENTITY_LIST = re.compile(
    rf"{_REPORT}[中里]?(?:都|还)?{_REPORT_VERB}(?:了|过|到)?哪些|哪些.{{0,6}}被{_REPORT_VERB}"
    r"|^(?:请问)?(?:都|一共)?有哪些(?:记者|作者|通讯员)[？?]?$"
)
ENTITY_LIST_TOP = 30  # entities an ENTITIES answer names
# 哪位外国领导人被提到最多: people of another country or an international body only (the category
# the catalog gives a person with such a title).
FOREIGN = "外国"
_FOREIGN_ASKED = re.compile(r"外国|国外|外方|海外|境外")
_CATEGORY = re.compile(rf"(?:哪(?:个|些|座|家|所|位)?|最多的)({_NOUNS}|{_ORGS})")
_TOP = re.compile(r"前(\d+|[一二三四五六七八九十])(?:名|位|个)")
_CN_NUMBERS = dict(zip("一二三四五六七八九十", range(1, 11), strict=True))

# Words of the question's form, dropped from its words before the terms are read. Whole words
# only (jieba's): a single character such as 中 or 上 is dropped as a word, never inside 中国.
# Not 前: jieba cuts 前黄镇 as 前|黄镇 (前5名 is taken out before the terms are read).
_FILLER = frozenset(
    (  # noqa: SIM905 - a word list reads best as words
        "请问 请 帮 帮我 给 给我 我 一下 列出 列举 罗列 找出 给出 所有 全部 一共 "
        "总共 共有 共 总计 有 多少 几 几篇 几条 几次 几个 篇 条 则 次 个 报道 "
        "报导 文章 新闻 稿件 消息 稿子 篇文章 篇报道 条新闻 提到 提及 涉及 涉及到 "
        "谈到 讲到 说到 关于 有关 出现 出现过 刊登 刊发 发表 被 得 的 了 过 是 "
        "哪些 哪几篇 哪几条 哪位 哪个 哪家 哪所 哪座 哪 什么 按 按照 时间 日期 "
        "顺序 先后 排列 排序 时间线 时间轴 历次 大事记 最多 最 多 频繁 最常 常 "
        "次数 排名 排行 参加 参加过 出席 活动 都 还 呢 吗 啊 份 月份 期间 以来 "
        "中 里 上 在 发稿 记者 作者 通讯员 人物 领导 官员 谁 人 镇 乡 街道 村 "
        "社区 区 县 市 省 国家 城市 地方 地区 河 湖 公司 企业 集团 医院 学校 领导人 "
        "大学 单位 机构 部门 组织 银行 协会 名 位 数量 篇数 统计 分别 各 每 "
        "做 做过 哪些人 哪里 哪儿 哪个月 哪月 哪一年 哪年 月 年 几月 每个 每月 各月 逐月 按月 "
        "哪个 哪一个 更 更多 多 少 频繁 更频繁 相比 比较 时候 一次 一篇 日子 "
    ).split()
)
# Words that separate terms: 苏陕协作和乡村振兴 asks for both.
_SEPARATORS = frozenset(
    {"和", "与", "以及", "及", "或", "还是"} | set("、，。？！?!,.；;：:“”\"'《》（）()【】")
)
Cut = Callable[[str], list[str]]  # text -> its words (jieba's default mode)


def parse_archive_question(question: str, cut: Cut, timed: bool = False) -> ArchiveQuestion | None:
    """The archive question `question` asks (its time expression already removed), or None.

    The time expression is read by the caller (`question_date_range`), since resolving 上个月
    needs the archive's newest date; `timed` says whether there was one.
    """
    if _MOST.search(question) and _COVERAGE.search(question):
        ranked = next((kind for kind, pattern in _RANKED_KIND if pattern.search(question)), "")
        if ranked:
            category, question = _category_asked(ranked, question)
            top = _TOP.search(question)
            count = (
                (int(top.group(1)) if top.group(1).isdigit() else _CN_NUMBERS[top.group(1)]) if top else 10
            )
            return ArchiveQuestion(
                Asked.MOST,
                _terms(_TOP.sub("", question), cut),
                ranked=ranked,
                category=category,
                top=max(1, min(count, 100)),
            )
    if _ENTITY_LIST.search(question):
        ranked = next((kind for kind, pattern in _RANKED_KIND if pattern.search(question)), "")
        category, question = _category_asked(ranked, question)
        # Listed whole, the tables of places and organisations show their extraction's misses
        # (人才强区, 与汉滨区: a ranking's top is cleaner): people, reporters and countries only.
        if ranked in ("reporter", "person") or (ranked, category) == ("place", "国家"):
            return ArchiveQuestion(
                Asked.ENTITIES, _terms(question, cut), ranked=ranked, category=category, top=ENTITY_LIST_TOP
            )
    # The first or the last story of a subject: 第一次出现在报道中, 最近一篇提到台风的报道.
    for asked, pattern in ((Asked.LAST, _LAST), (Asked.FIRST, _FIRST)):
        if pattern.search(question) and _OF_STORIES.search(question) and _WHEN_OR_WHICH.search(question):
            terms = _terms(pattern.sub("", question), cut)
            return ArchiveQuestion(asked, terms) if terms else None
    # Two subjects or more, each counted apart: one alone is compared with nothing.
    if _COMPARE.search(question) and _OF_STORIES.search(question):
        terms = _terms(question, cut)
        return ArchiveQuestion(Asked.COMPARE, terms) if len(terms) >= 2 else None
    # A timeline or a mention count needs its subject: 按时间排列 alone asks for nothing.
    if _TIMELINE.search(question) and not _ABOUT_THE_WORLD.search(question):
        terms = _terms(question, cut)
        return ArchiveQuestion(Asked.TIMELINE, terms) if terms else None
    if _MENTION_COUNT.search(question):
        terms = _terms(question, cut)
        return ArchiveQuestion(Asked.COUNT, terms, mentions=True) if terms else None
    if _COUNT.search(question):
        return ArchiveQuestion(Asked.COUNT, _terms(question, cut), by_month=bool(_PER_MONTH.search(question)))
    # A list needs a subject or a time: 哪些报道 alone asks for nothing, 1月1日有哪些新闻 for
    # every story of that day.
    if _LIST.search(question):
        terms = _terms(question, cut)
        return ArchiveQuestion(Asked.LIST, terms) if terms or timed else None
    return None


def _category_asked(ranked: str, question: str) -> tuple[str, str]:
    """The category asked for (镇, 公司; 外国 for people), or "" for any (哪些地方, 哪些单位), and
    the question without a 外国 it took (not a term then)."""
    if ranked == "person" and _FOREIGN_ASKED.search(question):
        return FOREIGN, _FOREIGN_ASKED.sub("", question)
    found = _CATEGORY.search(question)
    return (found.group(1) if found and found.group(1) not in ("地方", "单位", "机构") else ""), question


def _terms(question: str, cut: Cut) -> tuple[str, ...]:
    """Runs of the question's words that are not form words: 报道苏陕协作的文章 -> (苏陕协作,)."""
    question = _IN_REPORTS.sub("", question)  # 出现在报道中是…: jieba cuts 中是 as a word
    terms, run = [], ""
    named = after_verb = False  # named: the run is the object of 提到 / 关于 / 报道 (了)
    for word in [*cut(question), "。"]:
        # 哪些地方 / 哪些人 may be cut as one word: a question word all the same.
        if word.strip() and word not in _FILLER and word not in _SEPARATORS and not word.startswith("哪"):
            named = named or (not run and after_verb)
            run += word
            continue
        # One character is a particle left over (的, 是), unless it is what is reported: 提到雪的报道.
        if len(run) >= 2 or (run and (named or not re.fullmatch(r"[\u4e00-\u9fff]", run))):
            terms.append(run)
        run, named = "", False
        after_verb = _VERB_WORD.fullmatch(word) is not None or (after_verb and word in ("了", "过"))
    return tuple(dict.fromkeys(terms))
