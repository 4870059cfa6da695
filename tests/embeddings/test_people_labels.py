"""The people table of the 2024 news archive against its hand-labelled top 100 (bench/labels)."""

from __future__ import annotations

import json

import pytest

from qa.officials import group_people
from tests.conftest import ROOT, XWLB

ARCHIVE = XWLB
LABELS = ROOT / "bench" / "labels" / "people_xwlb_2024.jsonl"
LEADERS = {
    "习近平": {"中共中央总书记", "国家主席", "中央军委主席"},
    "李强": {"国务院总理"},
    "赵乐际": {"全国人大常委会委员长"},
    "王沪宁": {"全国政协主席"},
    "丁薛祥": {"国务院副总理"},
}

pytestmark = pytest.mark.skipif(not ARCHIVE.exists(), reason=f"the 2024 news archive is not at {ARCHIVE}")


@pytest.fixture(scope="module")
def top100(xwlb_tables):
    return group_people(xwlb_tables.people)[:100]


def test_top_names_are_labelled_and_mostly_people(top100) -> None:
    labels = {row["name"]: row for row in map(json.loads, LABELS.read_text("utf-8").splitlines())}
    unlabelled = [p.name for p in top100 if p.name not in labels]
    assert not unlabelled, f"label these names in {LABELS.name}: {unlabelled}"
    persons = sum(labels[p.name]["is_person"] for p in top100)
    assert persons / len(top100) >= 0.95


def test_leaders_main_titles(top100) -> None:
    by_name = {p.name: p for p in top100}
    for name, titles in LEADERS.items():
        assert titles <= set(by_name[name].main_titles[: len(titles) + 1]), (name, by_name[name].main_titles)
