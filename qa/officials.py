"""Who's who in the archive: officials with their titles, reporters with their articles.

Built from the person mentions the index stores (people.jsonl, see `embeddings.extract.people`):

    from qa import officials
    officials.people()                 # everyone, most-mentioned first
    officials.by_name("乔俊杰")         # one Person: titles, mentions, articles
    officials.by_title("区长")          # people holding a title (区长 does not match 副区长)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from embeddings.extract.people import PersonRecord
from embeddings.settings import Settings

__all__ = ["Person", "by_name", "by_title", "group_people", "holds_title", "people"]

LISTED_ONLY = "区领导"  # a name in a 区领导… list: a leader, title not stated


@dataclass(frozen=True)
class Person:
    name: str
    role: str  # "official" or "reporter"
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
    def title(self) -> str:
        """The title to show: the most specific one stated."""
        return self.titles[0] if self.titles else ""


def _titles(records: Sequence[PersonRecord]) -> tuple[str, ...]:
    stated = list(dict.fromkeys(r.title for r in records if r.title != LISTED_ONLY))
    stated.sort(key=len, reverse=True)
    return tuple(stated) or ((LISTED_ONLY,) if records and records[0].role == "official" else ())


def group_people(records: Sequence[PersonRecord]) -> list[Person]:
    """Mentions grouped per person and role, most articles first, then by name."""
    groups: dict[tuple[str, str], list[PersonRecord]] = {}
    for record in records:
        groups.setdefault((record.name, record.role), []).append(record)
    people = [
        Person(name, role, _titles(mentions) if role == "official" else ("记者",), tuple(mentions))
        for (name, role), mentions in groups.items()
    ]
    return sorted(people, key=lambda p: (-p.article_count, p.role, p.name))


def holds_title(title_run: str, title: str) -> bool:
    """Whether a title run such as 区委副书记、区长 holds `title`; 区长 is not 副区长."""
    for part in title_run.split("、"):
        at = part.find(title)
        if at >= 0 and not (part[at - 1 : at] == "副" and not title.startswith("副")):
            return True
    return False


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
    """The official (else the reporter) called `name`, or None."""
    found = [p for p in _people_of(index_dir, settings) if p.name == name]
    return min(found, key=lambda p: p.role != "official") if found else None


def by_title(
    title: str, index_dir: str | Path | None = None, settings: Settings | None = None
) -> list[Person]:
    """Officials with `title` in any stated title (区长 matches 区委副书记、区长, not 副区长)."""
    return [
        p
        for p in _people_of(index_dir, settings)
        if p.role == "official" and any(holds_title(t, title) for t in p.titles)
    ]
