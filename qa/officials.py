"""Who's who in the archive: officials with their titles, reporters with their articles.

Built from the person mentions the index stores (people.jsonl, see `embeddings.extract.people`):

    from qa import officials
    officials.people()                 # everyone, most-mentioned first
    officials.by_name("乔俊杰")         # one Person: titles, mentions, articles
    officials.by_title("区长")          # people holding a title (区长 does not match 副区长)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from embeddings.extract.people import BARE_TITLES, PersonRecord, holds_title
from embeddings.settings import Settings

__all__ = ["LISTED_ONLY", "Person", "by_name", "by_title", "group_people", "holds_title", "people"]

LISTED_ONLY = "区领导"  # a name in a 区领导… list: a leader, title not stated


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # "official" (a title stated in some mention), "person" (never titled) or "reporter"
    titles: tuple[str, ...]  # distinct titles as written, most specific first
    mentions: tuple[PersonRecord, ...]

    @property
    def article_ids(self) -> list[str]:
        return list(dict.fromkeys(m.article_id for m in self.mentions))

    @property
    def article_count(self) -> int:
        return len(self.article_ids)

    @property
    def title_parts(self) -> list[str]:
        """Each distinct title once: 市委常委、区委书记 and 区委书记、…组长 give three parts."""
        parts = [part for run in self.titles for part in run.split("、") if part != LISTED_ONLY]
        return list(dict.fromkeys(parts)) or list(self.titles)

    @property
    def main_titles(self) -> list[str]:
        """Title parts ranked by how many mentions state them, short forms folded into full ones.

        总书记 (习近平总书记) is dropped when 中共中央总书记 is stated too; 区长 is kept beside 副区长.
        Parts stated by fewer than a fifth as many mentions as the first are left out.
        """
        counts = Counter(
            part
            for m in self.mentions
            if m.role == "official" and m.title != LISTED_ONLY
            for part in dict.fromkeys(m.title.split("、"))
        )
        full = [p for p in counts if not any(_shortens(p, q) for q in counts)]
        ranked = sorted(full, key=lambda p: (-counts[p], p))
        return [p for p in ranked if counts[p] * 5 >= counts[ranked[0]]]

    @property
    def title(self) -> str:
        """The title to show: the most specific one stated."""
        return self.titles[0] if self.titles else ""


def _shortens(part: str, other: str) -> bool:
    """Whether `part` is a bare title word that `other` states with its unit: 总书记 of 中共中央总书记."""
    return part in BARE_TITLES and other != part and other.endswith(part) and not other.endswith("副" + part)


def _titles(records: Sequence[PersonRecord]) -> tuple[str, ...]:
    titled = [r for r in records if r.role == "official"]
    stated = list(dict.fromkeys(r.title for r in titled if r.title != LISTED_ONLY))
    stated.sort(key=len, reverse=True)
    return tuple(stated) or ((LISTED_ONLY,) if titled else ())


def _role(mentions: Sequence[PersonRecord]) -> str:
    return "official" if any(m.role == "official" for m in mentions) else "person"


def group_people(records: Sequence[PersonRecord]) -> list[Person]:
    """Mentions grouped per person, most articles first, then by name.

    A name's official and untitled mentions are one Person (an official if any mention states a
    title); a reporter of the same name stays apart.
    """
    groups: dict[tuple[str, bool], list[PersonRecord]] = {}
    for record in records:
        groups.setdefault((record.name, record.role == "reporter"), []).append(record)
    people = [
        Person(name, "reporter", ("记者",), tuple(mentions))
        if reporter
        else Person(name, _role(mentions), _titles(mentions), tuple(mentions))
        for (name, reporter), mentions in groups.items()
    ]
    return sorted(people, key=lambda p: (-p.article_count, p.role, p.name))


def _people_of(index_dir: str | Path | None, settings: Settings | None) -> list[Person]:
    from qa.retrieve import get_retriever

    settings = settings or Settings.from_env()
    if index_dir is not None:
        settings = replace(settings, index_dir=Path(index_dir))
    return group_people(get_retriever(settings).index.people)


def people(index_dir: str | Path | None = None, settings: Settings | None = None) -> list[Person]:
    """Everyone named in the index (default: the bundled sample's), most-mentioned first."""
    return _people_of(index_dir, settings)


def by_name(
    name: str, index_dir: str | Path | None = None, settings: Settings | None = None
) -> Person | None:
    """The official or person (else the reporter) called `name`, or None."""
    found = [p for p in _people_of(index_dir, settings) if p.name == name]
    return min(found, key=lambda p: p.role == "reporter") if found else None


def by_title(
    title: str, index_dir: str | Path | None = None, settings: Settings | None = None
) -> list[Person]:
    """Officials with `title` in any stated title (区长 matches 区委副书记、区长, not 副区长)."""
    return [
        p
        for p in _people_of(index_dir, settings)
        if p.role == "official" and any(holds_title(t, title) for t in p.titles)
    ]
