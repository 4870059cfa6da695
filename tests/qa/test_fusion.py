"""Reciprocal rank fusion: pure math, no model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.fusion import reciprocal_rank_fusion


def test_exact_scores_for_a_small_example() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)
    assert [doc for doc, _ in fused] == [1, 3, 2]
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[2] == pytest.approx(1 / 62)


def test_k_changes_the_scores() -> None:
    assert reciprocal_rank_fusion([[7, 8]], k=1) == [(7, pytest.approx(1 / 2)), (8, pytest.approx(1 / 3))]


def test_weights_scale_each_ranking() -> None:
    fused = reciprocal_rank_fusion([[1, 2], [2, 1]], k=60, weights=[2.0, 1.0])
    assert fused == [(1, pytest.approx(2 / 61 + 1 / 62)), (2, pytest.approx(2 / 62 + 1 / 61))]
    # A heavy enough second list flips the order.
    assert [doc for doc, _ in reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1.0, 3.0])] == [2, 1]


def test_zero_weight_ignores_a_ranking_but_keeps_its_documents() -> None:
    fused = reciprocal_rank_fusion([[1, 2], [3]], weights=[1.0, 0.0])
    assert [doc for doc, _ in fused] == [1, 2, 3]
    assert dict(fused)[3] == 0.0


def test_ties_keep_first_seen_order() -> None:
    # 10 and 20 both score 1/61 + 1/62; 10 was seen first. 30 and 40 tie too, 30 seen first.
    fused = reciprocal_rank_fusion([[10, 20, 30], [20, 10, 40]])
    assert [doc for doc, _ in fused] == [10, 20, 30, 40]
    assert fused[0][1] == fused[1][1] and fused[2][1] == fused[3][1]
    assert [doc for doc, _ in reciprocal_rank_fusion([[20, 10, 40], [10, 20, 30]])] == [20, 10, 40, 30]


def test_empty_inputs() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []
    assert [doc for doc, _ in reciprocal_rank_fusion([[], [5, 4]])] == [5, 4]


@pytest.mark.parametrize(
    "weights",
    [
        [1.0],
        [1.0, 1.0, 1.0],
        [],
    ],
)
def test_weight_count_must_match(weights: list[float]) -> None:
    with pytest.raises(ValueError, match="one per ranking"):
        reciprocal_rank_fusion([[1], [2]], weights=weights)


rankings = st.lists(st.lists(st.integers(0, 30), unique=True, max_size=15), max_size=4)


@given(rankings)
def test_fusion_properties(lists: list[list[int]]) -> None:
    fused = reciprocal_rank_fusion(lists)
    docs = [doc for doc, _ in fused]
    assert len(docs) == len(set(docs)) and set(docs) == {d for ranking in lists for d in ranking}
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    for doc, score in fused:
        assert score == pytest.approx(sum(1 / (60 + r.index(doc) + 1) for r in lists if doc in r))
    assert reciprocal_rank_fusion(lists) == fused  # deterministic


@given(rankings)
def test_unit_weights_equal_no_weights(lists: list[list[int]]) -> None:
    assert reciprocal_rank_fusion(lists, weights=[1.0] * len(lists)) == reciprocal_rank_fusion(lists)
